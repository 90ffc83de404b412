"""Renamed parameters: the old name keeps working, with a FutureWarning, for one
release."""

import warnings

__all__ = ["ALPHA_NOTE", "DEPRECATED", "renamed_parameter"]

# Default of a renamed parameter's old name: "not given".
DEPRECATED = "deprecated"

# NeuralCF's and TwoTowerRetriever's alpha -> weight_decay changed meaning too.
ALPHA_NOTE = (
    " (alpha was Adam's L2 penalty of every parameter; weight_decay is AdamW's "
    "decoupled decay of the weight matrices: the same value gives another model)"
)


def renamed_parameter(estimator, old, new, *, since="0.2", removed="0.3", note=""):
    """The value of parameter ``new``, or of its old name ``old`` when given.

    Parameters
    ----------
    estimator : BaseEstimator
        Has both parameters; ``old`` defaults to :data:`DEPRECATED`.
    old, new : str
        Parameter names.
    note : str, default=""
        Appended to the warning (e.g. how the meaning changed).

    Returns
    -------
    value : object
        ``getattr(estimator, old)`` when the user set it (with a
        ``FutureWarning`` naming the new name), else ``getattr(estimator,
        new)``. The old name wins when both are given: the new one cannot tell
        "set" from "default".

    Examples
    --------
    >>> import warnings
    >>> from sklearn_attnrec.utils._deprecation import renamed_parameter
    >>> class Model:
    ...     alpha, weight_decay = 0.5, 0.0
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = renamed_parameter(Model(), "alpha", "weight_decay")
    >>> value, caught[0].category.__name__
    (0.5, 'FutureWarning')
    """
    value = getattr(estimator, old)
    if isinstance(value, str) and value == DEPRECATED:
        return getattr(estimator, new)
    warnings.warn(
        f"{type(estimator).__name__}: the parameter {old!r} was renamed {new!r} "
        f"in {since} and will be removed in {removed}; use {new}={value!r}{note}",
        FutureWarning,
        stacklevel=3,
    )
    return value
