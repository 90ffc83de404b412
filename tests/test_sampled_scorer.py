import numpy as np
import pytest
from conftest import FixedScores as ItemScores
from sklearn.model_selection import cross_validate

from sklearn_attnrec import LeaveLastOut, PopularityRecommender
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.metrics import make_sampled_ranking_scorer


def _catalogue(n_users=30, n_items=200, seen_per_user=20, seed=0):
    """Each user saw ``seen_per_user`` random items; every item is seen once more
    (by user ``item % n_users``) so that the model knows the whole catalogue."""
    rng = np.random.default_rng(seed)
    seen = [
        [u, i]
        for u in range(n_users)
        for i in rng.choice(n_items, seen_per_user, False)
    ]
    every_item = np.column_stack([np.arange(n_items) % n_users, np.arange(n_items)])
    return np.vstack([np.array(seen), every_item])


def test_negatives_are_distinct_unseen_and_uniform():
    X = _catalogue()
    model = ItemScores(np.zeros(200)).fit(X)
    scorer = make_sampled_ranking_scorer(n_negatives=50, random_state=0)
    users = np.repeat(np.arange(30), 20)
    items = np.array(
        [np.setdiff1d(np.arange(200), X[X[:, 0] == u, 1])[0] for u in users]
    )
    index_u = np.searchsorted(model.user_ids_, users)
    index_i = np.searchsorted(model.item_ids_, items)
    negatives = scorer._negatives(model, index_u, index_i)
    assert negatives.shape == (600, 50)
    seen = model.user_items_.toarray() > 0
    for row, (u, i) in enumerate(zip(index_u, index_i)):
        assert len(set(negatives[row])) == 50
        assert not seen[u, negatives[row]].any()
        assert i not in negatives[row]
    # Uniform over eligible items: no item is drawn wildly more than average.
    counts = np.bincount(negatives.ravel(), minlength=200)
    assert counts.max() < 3 * counts[counts > 0].mean()


def test_hand_computed_ranks():
    X = _catalogue(n_users=3, n_items=200, seen_per_user=5)
    scores = np.arange(200, dtype=float)  # higher item index scores higher
    model = ItemScores(scores).fit(X)
    X_test = np.array([[1, 199], [2, 0]])
    # Item 199 beats every negative (rank 0); item 0 loses to all (rank 100).
    hr = make_sampled_ranking_scorer("hit_rate", k=10)(model, X_test)
    ndcg = make_sampled_ranking_scorer("ndcg", k=10)(model, X_test)
    rr = make_sampled_ranking_scorer("reciprocal_rank", k=10)(model, X_test)
    assert hr == pytest.approx(0.5)
    assert ndcg == pytest.approx(0.5 * 1 / np.log2(2))
    assert rr == pytest.approx(0.5)


def test_ties_count_against_the_positive_and_unknown_items_miss():
    X = _catalogue()
    model = ItemScores(np.ones(200)).fit(X)
    X_test = np.array([[1, 150], [2, 10_000]])
    assert make_sampled_ranking_scorer("hit_rate")(model, X_test) == 0.0


def test_fixed_seed_fixes_the_negatives():
    X = _catalogue()
    model = ItemScores(np.random.default_rng(1).random(200)).fit(X)
    X_test = np.array([[u, 199 - u] for u in range(30)])
    a = make_sampled_ranking_scorer("ndcg", random_state=3)(model, X_test)
    b = make_sampled_ranking_scorer("ndcg", random_state=3)(model, X_test)
    assert a == b


def test_bad_arguments_and_too_few_items():
    with pytest.raises(ValueError, match="metric"):
        make_sampled_ranking_scorer("auc")
    with pytest.raises(ValueError, match="n_negatives"):
        make_sampled_ranking_scorer(n_negatives=0)
    X = np.array([[0, 0], [0, 1], [1, 2]])
    model = ItemScores(np.zeros(3)).fit(X)
    with pytest.raises(ValueError, match="fewer than n_negatives"):
        make_sampled_ranking_scorer(n_negatives=5, k=5)(model, [[1, 0]])


def test_leave_last_out_protocol_with_cross_validate():
    X = make_interactions(n_users=60, n_items=300, density=0.05, random_state=0)[0]
    result = cross_validate(
        PopularityRecommender(),
        X,
        cv=LeaveLastOut(),
        scoring={
            "hr": make_sampled_ranking_scorer("hit_rate", k=10),
            "ndcg": make_sampled_ranking_scorer("ndcg", k=10),
        },
    )
    # Popular items are drawn more often for users: popularity beats chance
    # (10 / 101 ~ 0.1 hit rate for a random ranking).
    assert result["test_hr"][0] > 0.15
    assert 0 < result["test_ndcg"][0] < result["test_hr"][0]
