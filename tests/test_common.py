"""scikit-learn's own estimator checks, run over every public estimator.

Estimators are discovered automatically (``sklearn_attnrec.utils.all_estimators``),
so a new estimator is covered without editing this file. Each expected failure is
listed below with the reason it cannot pass; keep the list short and honest.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_attnrec.base import RecommenderMixin
from sklearn_attnrec.utils import all_estimators
from sklearn_attnrec.utils._testing import estimator_instances

# Expected failures shared by every recommender (none at present). Failures are
# strict: an entry whose check starts passing fails the suite, so stale entries
# are removed rather than kept as blanket excuses.
RECOMMENDER_EXPECTED_FAILURES = {}

# Expected failures of one estimator, by class name.
EXPECTED_FAILURES = {}


def _expected_failed_checks(estimator):
    failures = {}
    if isinstance(estimator, RecommenderMixin):
        failures.update(RECOMMENDER_EXPECTED_FAILURES)
    failures.update(EXPECTED_FAILURES.get(type(estimator).__name__, {}))
    return failures


def test_estimators_are_discovered():
    names = {name for name, _ in all_estimators()}
    assert {"BaselineRegressor", "PopularityRecommender"} <= names


@parametrize_with_checks(
    estimator_instances(),
    expected_failed_checks=_expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name, cls", all_estimators())
def test_public_estimator_is_exported(name, cls):
    import sklearn_attnrec

    assert getattr(sklearn_attnrec, name) is cls, f"{name} missing from __all__"
