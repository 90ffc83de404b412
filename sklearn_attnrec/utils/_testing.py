"""Instances of every public estimator for the package's own conformance tests."""

from ._discovery import all_estimators


def fast_params(cls):
    """The tiny configuration a slow estimator declares for the package's own
    tests (its ``_test_params`` class attribute), or ``{}``."""
    return dict(getattr(cls, "_test_params", {}))


def estimator_instances(base=None):
    """One instance of every public estimator (a subclass of ``base`` if given).

    Returns
    -------
    instances : list of estimators
        Built with each estimator's own fast test parameters
        (``_test_params``), defaults otherwise.
    """
    return [
        cls(**fast_params(cls))
        for _, cls in all_estimators()
        if base is None or issubclass(cls, base)
    ]
