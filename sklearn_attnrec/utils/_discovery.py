"""Find every public estimator of the package (used by the common tests)."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator


def all_estimators():
    """List the package's public estimator classes.

    Walks every module of ``sklearn_attnrec`` (skipping private and test modules'
    names starting with ``_`` only at the class level, so classes defined in
    private modules and re-exported publicly are found) and returns the classes
    that subclass :class:`~sklearn.base.BaseEstimator`, are defined in the
    package, are not abstract and whose name does not start with ``_``.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from sklearn_attnrec.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "BaselineRegressor" in names
    True
    """
    import sklearn_attnrec

    found = {}
    modules = pkgutil.walk_packages(sklearn_attnrec.__path__, prefix="sklearn_attnrec.")
    for info in modules:
        if ".tests" in info.name or info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseEstimator)
                and cls.__module__.startswith("sklearn_attnrec.")
                and not name.startswith("_")
                and not inspect.isabstract(cls)
            ):
                found[name] = cls
    return sorted(found.items())
