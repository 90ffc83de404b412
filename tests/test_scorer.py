import warnings

import numpy as np
import pytest
from conftest import FixedScores
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline, make_pipeline

from sklearn_attnrec import (
    EASE,
    BaselineRegressor,
    PerUserKFold,
    PopularityRecommender,
    make_ranking_scorer,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from sklearn_attnrec.datasets import make_interactions

# Training: user 0 saw item 0, user 1 saw item 4, user 2 saw items 1, 2 and 3.
# Every user is scored with the same item scores: items 0..4 score 5, 4, 3, 2, 1.
TRAIN = np.array([[0, 0], [1, 4], [2, 1], [2, 2], [2, 3]])
SCORES = [5.0, 4.0, 3.0, 2.0, 1.0]


def test_scorer_by_hand():
    model = FixedScores(SCORES).fit(TRAIN)
    # Test: user 0 likes items 2 (rating 5) and 4 (rating 2); user 1 likes item 1.
    X_test = np.array([[0, 2], [0, 4], [1, 1]])
    y_test = np.array([5.0, 2.0, 4.0])
    # user 0 ranking (item 0 excluded): 1, 2, 3, 4 -> relevant at ranks 2 and 4.
    # user 1 ranking (item 4 excluded): 0, 1, 2, 3 -> relevant at rank 2.
    p2 = make_ranking_scorer("precision", k=2)(model, X_test, y_test)
    assert p2 == pytest.approx((1 / 2 + 1 / 2) / 2)
    r2 = make_ranking_scorer("recall", k=2)(model, X_test, y_test)
    assert r2 == pytest.approx((1 / 2 + 1) / 2)
    ndcg = make_ranking_scorer("ndcg", k=4)(model, X_test, y_test)
    user0 = (1 / np.log2(3) + 1 / np.log2(5)) / (1 + 1 / np.log2(3))
    user1 = (1 / np.log2(3)) / 1
    assert ndcg == pytest.approx((user0 + user1) / 2)
    mrr = make_ranking_scorer("mrr", k=4)(model, X_test, y_test)
    assert mrr == pytest.approx(0.5)
    # threshold=4 drops (0, 4): user 0 keeps item 2 only, at rank 2.
    r1 = make_ranking_scorer("recall", k=1, threshold=4)(model, X_test, y_test)
    assert r1 == pytest.approx(0.0)
    hit2 = make_ranking_scorer("hit_rate", k=2, threshold=4)(model, X_test, y_test)
    assert hit2 == pytest.approx(1.0)


def test_scorer_equals_metric_functions_on_the_same_matrices():
    X, y = make_interactions(n_users=30, n_items=20, density=0.3, random_state=3)
    X_train, X_test = X[:120], X[120:]
    model = BaselineRegressor(ranking="rating").fit(X_train, y[:120])
    users = np.unique(X_test[:, 0])
    # Expected scores by another route than the scorer's: predict on every
    # (user, item) pair, training pairs masked by hand.
    items = model.item_ids_
    pairs = np.column_stack([np.repeat(users, len(items)), np.tile(items, len(users))])
    scores = model.predict(pairs).reshape(len(users), len(items))
    for row, user in enumerate(users):
        seen = X_train[X_train[:, 0] == user, 1]
        scores[row, np.isin(items, seen)] = -np.inf
    known = np.isin(X_test[:, 1], model.item_ids_) & np.isin(X_test[:, 0], users)
    relevance = np.zeros_like(scores)
    relevance[
        np.searchsorted(users, X_test[known, 0]),
        np.searchsorted(model.item_ids_, X_test[known, 1]),
    ] = 1
    scores[np.isneginf(scores)] = -1e9  # metric functions reject inf
    all_known = np.isin(X_test[:, 1], model.item_ids_).all()
    assert all_known, "construct the test so every test item is known"
    for metric, function in [
        ("ndcg", ndcg_at_k),
        ("precision", precision_at_k),
        ("recall", recall_at_k),
    ]:
        expected = function(relevance, scores, k=5)
        assert make_ranking_scorer(metric, k=5)(model, X_test) == pytest.approx(
            expected
        )


def test_unknown_relevant_items_count_as_misses():
    model = FixedScores(SCORES).fit(TRAIN)
    X_test = np.array([[1, 0], [1, 99]])  # item 99 was never seen in training
    assert make_ranking_scorer("recall", k=5)(model, X_test) == pytest.approx(0.5)


def test_exclude_seen_can_be_turned_off():
    model = FixedScores(SCORES).fit(TRAIN)
    X_test = np.array([[0, 0]])  # re-consumption of a training item
    assert make_ranking_scorer("hit_rate", k=1)(model, X_test) == 0.0
    keep = make_ranking_scorer("hit_rate", k=1, exclude_seen=False)
    assert keep(model, X_test) == 1.0


# Issue 22 item 7: user 0 had items 1 and 2 in training; only items 3 and 4 are
# left to rank, and the test item 2 is one of the excluded ones.
SEEN_TRAIN = np.array([[0, 1], [0, 2], [1, 1], [1, 3], [2, 2], [2, 3], [2, 4]])


@pytest.mark.parametrize("model", [PopularityRecommender(), EASE()])
@pytest.mark.parametrize("metric", ["hit_rate", "ndcg", "recall", "mrr", "map"])
def test_excluded_test_item_is_never_a_hit_whatever_k(model, metric):
    model.fit(SEEN_TRAIN)
    X_test = np.array([[0, 2]])
    for k in (1, 2, 3, 10):
        assert make_ranking_scorer(metric, k=k)(model, X_test) == 0.0, k
    # Ranked again when the scorer keeps the seen items.
    keep = make_ranking_scorer(metric, k=10, exclude_seen=False)
    assert keep(model, X_test) > 0


def test_excluded_padding_does_not_hide_an_eligible_hit():
    """User 0 with an eligible (item 3) and an excluded (item 2) relevant item:
    one of two found, at any k past the eligible items."""
    model = PopularityRecommender().fit(SEEN_TRAIN)
    X_test = np.array([[0, 2], [0, 3]])
    for k in (2, 5, 10):
        assert make_ranking_scorer("recall", k=k)(model, X_test) == 0.5
        assert make_ranking_scorer("precision", k=k)(model, X_test) == 1 / k


@pytest.mark.parametrize("with_y", [False, True])
def test_threshold_needs_y(with_y):
    model = FixedScores(SCORES).fit(TRAIN)
    scorer = make_ranking_scorer("ndcg", k=2, threshold=4)
    X_test = np.array([[0, 2], [0, 4]])
    if with_y:
        assert scorer(model, X_test, [5.0, 2.0]) == pytest.approx(1 / np.log2(3))
        return
    with pytest.raises(
        ValueError, match=r"threshold=4\) .* but y is None.*fit\(X, y\)"
    ):
        scorer(model, X_test)


def test_grid_search_without_y_does_not_score_every_row_as_relevant():
    """The README trap: a threshold scorer in a search fitted without y."""
    X, y = make_interactions(n_users=40, n_items=30, density=0.3, random_state=0)
    search = GridSearchCV(
        EASE(),
        {"alpha": [10.0, 100.0]},
        scoring=make_ranking_scorer("ndcg", k=10, threshold=4),
        cv=PerUserKFold(3, random_state=0),
        error_score="raise",
    )
    with pytest.raises(ValueError, match="threshold=4.*y is None"):
        search.fit(X)
    assert np.isfinite(search.fit(X, y).cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize(
    "threshold", ["4", np.nan, np.inf, -np.inf, True, [4]], ids=repr
)
def test_threshold_is_checked_when_the_scorer_is_made(threshold):
    with pytest.raises(ValueError, match="threshold must be a finite number"):
        make_ranking_scorer("ndcg", threshold=threshold)


@pytest.mark.parametrize("threshold", [4, 3.5, np.float32(4), np.int64(4), -1])
def test_numeric_thresholds_are_accepted(threshold):
    model = FixedScores(SCORES).fit(TRAIN)
    scorer = make_ranking_scorer("hit_rate", k=2, threshold=threshold)
    assert scorer(model, [[0, 2]], [5.0]) == 1.0


def test_threshold_checks_the_ratings():
    model = FixedScores(SCORES).fit(TRAIN)
    scorer = make_ranking_scorer("ndcg", threshold=4)
    with pytest.raises(ValueError, match="y has 1 ratings but X has 2 rows"):
        scorer(model, [[0, 2], [0, 3]], [5.0])
    with pytest.raises(ValueError, match="1 NaN rating"):
        scorer(model, [[0, 2], [0, 3]], [5.0, np.nan])
    with pytest.raises(ValueError, match="numeric test ratings"):
        scorer(model, [[0, 2]], ["good"])


def test_no_relevant_item_gives_nan_and_a_warning():
    model = FixedScores(SCORES).fit(TRAIN)
    with pytest.warns(UndefinedMetricWarning):
        value = make_ranking_scorer("ndcg", threshold=5)(model, [[0, 1]], [3.0])
    assert np.isnan(value)


def test_scorer_rejects_bad_arguments_and_non_recommenders():
    with pytest.raises(ValueError, match="metric"):
        make_ranking_scorer("auc")
    with pytest.raises(ValueError, match="k must be"):
        make_ranking_scorer("ndcg", k=0)
    ridge = Ridge().fit([[0, 1], [1, 0]], [1.0, 2.0])
    with pytest.raises(TypeError, match="not a recommender"):
        make_ranking_scorer()(ridge, [[0, 1]], [1.0])


def test_pipeline_is_scored_through_predict():
    X, y = make_interactions(n_users=40, n_items=30, density=0.2, random_state=0)
    train, test = X[:200], X[200:]
    direct = PopularityRecommender().fit(train)
    pipe = Pipeline([("pop", PopularityRecommender())]).fit(train)
    scorer = make_ranking_scorer("ndcg", k=10)
    assert scorer(pipe, test) == pytest.approx(scorer(direct, test))


def test_pipeline_with_a_recommender_fits_and_scores():
    X, y = make_interactions(n_users=40, n_items=30, density=0.3, random_state=0)
    pipe = make_pipeline(BaselineRegressor(), Ridge())
    result = cross_validate(
        pipe,
        X,
        y,
        cv=PerUserKFold(3, random_state=0),
        scoring={"r2": "r2", "ndcg@10": make_ranking_scorer("ndcg", k=10)},
    )
    assert np.isfinite(result["test_ndcg@10"]).all()
    assert result["test_r2"].mean() > 0


def test_grid_search_on_synthetic_data():
    X, y = make_interactions(n_users=60, n_items=40, density=0.25, random_state=0)
    search = GridSearchCV(
        BaselineRegressor(),
        {"alpha_item": [0.0, 5.0, 50.0]},
        scoring={
            "ndcg@10": make_ranking_scorer("ndcg", k=10, threshold=4),
            "recall@20": make_ranking_scorer("recall", k=20, threshold=4),
        },
        refit="ndcg@10",
        cv=PerUserKFold(3, random_state=0),
    ).fit(X, y)
    scores = search.cv_results_["mean_test_ndcg@10"]
    assert np.isfinite(scores).all() and (scores > 0).all()
    # refit="ndcg@10": the best candidate is the one with the best mean NDCG.
    best = search.cv_results_["params"][int(np.argmax(scores))]
    assert search.best_params_ == best
    assert search.best_score_ == pytest.approx(scores.max())


def test_grid_search_on_movielens(movielens):
    X, y = movielens.data, movielens.target
    search = GridSearchCV(
        BaselineRegressor(),
        {"alpha_item": [3.0, 25.0]},
        scoring=make_ranking_scorer("ndcg", k=10, threshold=4),
        cv=PerUserKFold(3, random_state=0),
    ).fit(X, y)
    ndcg = search.cv_results_["mean_test_score"]
    # Popularity-like rankings reach NDCG@10 of a few percent on ML-100K;
    # a broken scorer (e.g. seen items not excluded, ids misaligned) gives ~0.
    assert (ndcg > 0.02).all()
    pop = cross_validate(
        PopularityRecommender(),
        X,
        y,
        cv=PerUserKFold(3, random_state=0),
        scoring=make_ranking_scorer("ndcg", k=10, threshold=4),
    )["test_score"].mean()
    assert pop > 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search.score(X[:1000], y[:1000])
