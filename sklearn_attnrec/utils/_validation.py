"""Parameter checks shared by every estimator."""

import numbers

import numpy as np
from sklearn.utils import check_scalar as _sklearn_check_scalar

__all__ = ["check_scalar"]


def check_scalar(x, name, target_type, **kwargs):
    """:func:`sklearn.utils.check_scalar` that also rejects NaN and infinity.

    scikit-learn's check lets ``float("nan")`` through every bound (comparisons
    with NaN are false), and a NaN penalty or learning rate then gives all-NaN
    or quietly different models. Bools are not integers here either.

    Parameters
    ----------
    x, name, target_type, **kwargs
        As for :func:`sklearn.utils.check_scalar`.

    Returns
    -------
    x : numbers.Number
        The validated value.

    Examples
    --------
    >>> import numbers
    >>> from sklearn_attnrec.utils._validation import check_scalar
    >>> check_scalar(0.5, "alpha", numbers.Real, min_val=0)
    0.5
    >>> check_scalar(float("nan"), "alpha", numbers.Real, min_val=0)
    Traceback (most recent call last):
    ...
    ValueError: alpha must be a finite number; got nan.
    """
    if isinstance(x, (bool, np.bool_)) and target_type in (
        numbers.Integral,
        numbers.Real,
        int,
        float,
    ):
        raise TypeError(f"{name} must be a number, not a bool; got {x!r}.")
    if isinstance(x, numbers.Real) and not np.isfinite(x):
        raise ValueError(f"{name} must be a finite number; got {x!r}.")
    return _sklearn_check_scalar(x, name, target_type, **kwargs)
