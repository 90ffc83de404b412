"""Declarative parameter validation: one constraint table per estimator.

An estimator lists every parameter of its ``__init__`` in a class attribute
``_parameter_constraints``, a dict ``{name: [constraint, ...]}`` in the format of
scikit-learn's own estimators (a value is valid when it satisfies any one of the
constraints of its list), and calls :func:`validate_params` at the start of
``fit``. Checks that relate two parameters (``max_tokens`` against the number of
special tokens, ``feedback="implicit"`` with ``solver="als"`` only) stay explicit,
after the table.

This module is the only place that imports scikit-learn's private
``sklearn.utils._param_validation`` (scikit-learn >= 1.8 is required): if it
moves, only this shim changes. On top of it:

- :class:`Interval` refuses ``bool`` (``True`` is not a number of neighbours)
  and NaN or infinity, whatever its bounds;
- :class:`NonEmptyStr`: a string other than ``""`` (special tokens);
- scikit-learn's ``Hidden``, for a value accepted but left out of the error
  message: the ``"deprecated"`` default of a renamed parameter,
  ``[Interval(...), Hidden(StrOptions({"deprecated"}))]``;
- shared entries: :data:`RECOMMENDER_CONSTRAINTS` (``columns`` and
  ``handle_unknown``, which every recommender has), :data:`RANDOM_STATE`,
  :data:`N_JOBS`, :data:`VERBOSE`.

Errors are scikit-learn's ``InvalidParameterError``, a subclass of both
``ValueError`` and ``TypeError``, worded
``The 'alpha' parameter of EASE must be a float in the range (0.0, inf). Got nan
instead.``

Examples
--------
>>> from numbers import Real
>>> from sklearn.base import BaseEstimator
>>> from sklearn_attnrec.utils._param_validation import Interval, validate_params
>>> class Shrunk(BaseEstimator):
...     _parameter_constraints = {"shrinkage": [Interval(Real, 0, None, closed="left")]}
...     def __init__(self, shrinkage=10.0):
...         self.shrinkage = shrinkage
>>> validate_params(Shrunk(shrinkage=float("nan")))
Traceback (most recent call last):
...
sklearn.utils._param_validation.InvalidParameterError: The 'shrinkage' parameter of \
Shrunk must be a float in the range [0.0, inf). Got nan instead.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils._param_validation import Interval as _SklearnInterval

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "N_JOBS",
    "NonEmptyStr",
    "Options",
    "RANDOM_STATE",
    "RECOMMENDER_CONSTRAINTS",
    "StrOptions",
    "VERBOSE",
    "check_layer_sizes",
    "validate_params",
]


class Interval(_SklearnInterval):
    """scikit-learn's ``Interval`` that also refuses bools, NaN and infinity.

    scikit-learn's accepts ``True`` as the integer 1 (``bool`` subclasses
    ``int``), and infinity where a bound is open-ended and closed
    (``Interval(Real, 0, None, closed="both")``).

    Examples
    --------
    >>> from numbers import Integral, Real
    >>> Interval(Integral, 1, None, closed="left").is_satisfied_by(True)
    False
    >>> Interval(Real, 0, None, closed="both").is_satisfied_by(float("inf"))
    False
    """

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        if isinstance(val, Real) and not isinstance(val, Integral):
            if not math.isfinite(val):
                return False
        return super().is_satisfied_by(val)


class NonEmptyStr(Options):
    """Any string except ``""``.

    Examples
    --------
    >>> NonEmptyStr().is_satisfied_by(""), NonEmptyStr().is_satisfied_by("<pad>")
    (False, True)
    """

    def __init__(self):
        super().__init__(str, set())

    def is_satisfied_by(self, val):
        return isinstance(val, str) and val != ""

    def __str__(self):
        return "a non-empty str"


# Entries every recommender (RecommenderMixin) shares: unpack them into its table,
# ``{**RECOMMENDER_CONSTRAINTS, ...}``. ``columns`` is further checked against X
# by ``utils._interactions.select_columns`` (at least two, no repeats).
RECOMMENDER_CONSTRAINTS = {
    "columns": ["array-like", None],
    "handle_unknown": [StrOptions({"fallback", "error"})],
}

# What sklearn.utils.check_random_state takes, bools excepted.
RANDOM_STATE = [
    Interval(Integral, 0, 2**32 - 1, closed="both"),
    np.random.RandomState,
    None,
]

# joblib's convention: None, or a nonzero number of jobs (-1: all cores).
N_JOBS = [
    None,
    Interval(Integral, None, -1, closed="right"),
    Interval(Integral, 1, None, closed="left"),
]

# 0 is silent; a bool is refused like any other bool for a number.
VERBOSE = [Interval(Integral, 0, None, closed="left")]


def validate_params(estimator, params=None):
    """Check parameters against the ``_parameter_constraints`` of their class.

    Parameters
    ----------
    estimator : object
        An object whose class holds ``_parameter_constraints``.
    params : dict, default=None
        The values to check; None reads ``estimator.get_params(deep=False)``
        (or, for an object that is not an estimator, the attributes named in
        the table).

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) naming the first parameter that
        satisfies none of its constraints, what it must be and what it got.
    """
    constraints = type(estimator)._parameter_constraints
    if params is None:
        if hasattr(estimator, "get_params"):
            params = estimator.get_params(deep=False)
        else:
            params = {name: getattr(estimator, name) for name in constraints}
    validate_parameter_constraints(
        constraints, params, caller_name=type(estimator).__name__
    )


def check_layer_sizes(sizes, name="hidden_layer_sizes", *, allow_empty=False):
    """``sizes`` as a tuple of positive ints (a single int is one layer).

    Parameters
    ----------
    sizes : int or sequence of int
    name : str, default="hidden_layer_sizes"
        Named in the error.
    allow_empty : bool, default=False
        Whether no hidden layer at all is valid.

    Returns
    -------
    sizes : tuple of int

    Raises
    ------
    ValueError
        Naming ``name`` and the value.

    Examples
    --------
    >>> from sklearn_attnrec.utils._param_validation import check_layer_sizes
    >>> check_layer_sizes(8), check_layer_sizes([16, 8])
    ((8,), (16, 8))
    """
    value = (sizes,) if isinstance(sizes, Integral) else tuple(sizes)
    if (not value and not allow_empty) or any(
        isinstance(s, bool) or not isinstance(s, Integral) or s < 1 for s in value
    ):
        raise ValueError(
            f"{name} must be a {'' if allow_empty else 'non-empty '}tuple of "
            f"positive integers; got {sizes!r}"
        )
    return value
