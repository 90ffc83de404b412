"""Constraint tables (``_parameter_constraints``), auto-discovered.

Every public estimator that declares a table is held to it: the table lists
exactly the parameters of ``__init__``, scikit-learn's own
``check_param_validation`` passes, and bad values derived from the table (NaN,
infinity and bools for numbers, floats for integers, wrong strings for string
options) are refused at the start of ``fit`` with an error naming the
parameter. A new estimator gets these cases by declaring its table.
"""

import inspect
from numbers import Integral, Real

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils._param_validation import make_constraint
from sklearn.utils.estimator_checks import check_param_validation

from sklearn_attnrec.retrieval import ExactIndex, HNSWIndex
from sklearn_attnrec.utils import all_estimators
from sklearn_attnrec.utils._param_validation import (
    N_JOBS,
    RANDOM_STATE,
    Interval,
    InvalidParameterError,
    NonEmptyStr,
    StrOptions,
    validate_params,
)
from sklearn_attnrec.utils._testing import fast_params

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# Estimators whose parameters are still checked by hand (none left: every
# estimator declares a table). Strict: remove a name once its class declares one.
NOT_YET_DECLARED = set()

DECLARED = [
    (name, cls)
    for name, cls in all_estimators()
    if hasattr(cls, "_parameter_constraints")
]
# Classes with a table that are not estimators (validated in __init__).
OTHER_CLASSES = [ExactIndex, HNSWIndex]


def _init_params(cls):
    return {
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


@pytest.mark.parametrize("name, cls", all_estimators())
def test_every_estimator_declares_a_table(name, cls):
    declared = hasattr(cls, "_parameter_constraints")
    assert declared != (name in NOT_YET_DECLARED), (
        f"{name}: declare _parameter_constraints"
        if not declared
        else f"{name} declares a table: remove it from NOT_YET_DECLARED"
    )


@pytest.mark.parametrize(
    "cls", [cls for _, cls in DECLARED] + OTHER_CLASSES, ids=lambda c: c.__name__
)
def test_table_lists_exactly_the_init_parameters(cls):
    table = set(cls._parameter_constraints)
    expected = _init_params(cls)
    assert table == expected, (
        f"missing from the table: {sorted(expected - table)}; "
        f"not parameters of __init__: {sorted(table - expected)}"
    )


@pytest.mark.parametrize("name, cls", DECLARED, ids=[n for n, _ in DECLARED])
def test_sklearn_check_param_validation(name, cls):
    check_param_validation(name, cls(**fast_params(cls)))


# --------------------------------------------------------------------------- #
# Bad values derived from the tables
# --------------------------------------------------------------------------- #
def _accepts(constraints, value):
    return any(make_constraint(c).is_satisfied_by(value) for c in constraints)


def _bad_values(constraints):
    """Values that a parameter with these constraints must refuse, by kind:
    numbers refuse NaN, infinity and (unless declared "boolean") bools;
    integers refuse floats; string options refuse other strings."""
    takes_bool = _accepts(constraints, True)
    takes_any_str = _accepts(constraints, "any text")
    constraints = [make_constraint(c) for c in constraints]
    intervals = [c for c in constraints if isinstance(c, Interval)]
    bad = []
    if intervals:
        bad += [("nan", float("nan")), ("inf", float("inf")), ("-inf", -np.inf)]
        if not any(c.type is Real for c in intervals):
            bad.append(("float", 1.5))
    if intervals and not takes_bool:
        bad += [("True", True), ("np.True_", np.True_)]
    for c in constraints:
        if isinstance(c, StrOptions) and not takes_any_str:
            first = sorted(c.options)[0]
            bad += [("other_str", "not-an-option"), ("upper_case", first.upper())]
        if isinstance(c, NonEmptyStr):
            bad.append(("empty_str", ""))
    return bad


def _cases(classes):
    cases = []
    for cls in classes:
        for param, constraints in cls._parameter_constraints.items():
            for label, value in _bad_values(constraints):
                case = f"{cls.__name__}-{param}={label}"
                cases.append(pytest.param(cls, param, value, id=case))
    return cases


def _fit_args(estimator):
    """Small valid data of the estimator's kind of input."""
    kind = getattr(estimator, "_input_kind", "interactions")
    if kind == "texts":
        return (["a b", "b c"],)
    if kind == "sequences":
        X = np.array([[1, 2, 3], [3, 2, 1], [2, 3, 1], [1, 3, 2]])
        supervised = estimator.__sklearn_tags__().target_tags.required
        return X, (np.array([0, 1, 0, 1]) if supervised else None)
    X = np.array([[0, 0], [0, 1], [1, 1], [2, 0]])
    return X, np.array([1.0, 2.0, 3.0, 4.0])


def test_derived_cases_cover_every_kind():
    """The derivation finds numbers, integers, bools and strings to refuse."""
    labels = {case.id.split("=")[1] for case in _cases([c for _, c in DECLARED])}
    assert {"nan", "inf", "float", "True", "other_str", "empty_str"} <= labels


@pytest.mark.parametrize("cls, param, value", _cases([cls for _, cls in DECLARED]))
def test_fit_refuses_bad_values_naming_the_parameter(cls, param, value):
    estimator = clone(cls(**fast_params(cls))).set_params(**{param: value})
    match = rf"The '{param}' parameter of {cls.__name__} must be .* Got .* instead"
    with pytest.raises(InvalidParameterError, match=match):
        estimator.fit(*_fit_args(estimator))
    assert not [k for k in vars(estimator) if k.endswith("_")], "fitted anyway"


@pytest.mark.parametrize("cls, param, value", _cases(OTHER_CLASSES))
def test_indexes_refuse_bad_values_naming_the_parameter(cls, param, value):
    if cls is HNSWIndex:
        pytest.importorskip("faiss")
    with pytest.raises(InvalidParameterError, match=rf"The '{param}' parameter"):
        cls(**{param: value})


def test_parameters_are_checked_before_the_data():
    """The table runs first: a bad parameter is reported even with bad data."""
    cls = dict(DECLARED)["EASE"]
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of EASE"):
        cls(alpha=-1.0).fit("not interactions")


# --------------------------------------------------------------------------- #
# The shim itself
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "interval",
    [
        Interval(Real, 0, None, closed="left"),
        Interval(Real, 0, None, closed="both"),
        Interval(Real, None, None, closed="neither"),
        Interval(Integral, 0, None, closed="left"),
    ],
    ids=str,
)
@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), np.float32("inf"), True, np.True_]
)
def test_interval_refuses_non_finite_numbers_and_bools(interval, value):
    assert not interval.is_satisfied_by(value)


def test_interval_accepts_numpy_scalars():
    assert Interval(Integral, 1, None, closed="left").is_satisfied_by(np.int64(3))
    assert Interval(Real, 0, 1, closed="both").is_satisfied_by(np.float32(0.5))
    assert Interval(Real, 0, None, closed="left").is_satisfied_by(2)


def test_shared_constraints():
    assert not _accepts(RANDOM_STATE, True)
    assert all(_accepts(RANDOM_STATE, v) for v in (None, 0, np.random.RandomState(0)))
    assert not _accepts(N_JOBS, 0)
    assert all(_accepts(N_JOBS, v) for v in (None, -1, 2))


def test_error_is_a_value_error_and_a_type_error():
    class Obj:
        _parameter_constraints = {"k": [Interval(Integral, 1, None, closed="left")]}
        k = 0

    for error in (ValueError, TypeError):
        with pytest.raises(error, match="The 'k' parameter of Obj must be an int"):
            validate_params(Obj())
