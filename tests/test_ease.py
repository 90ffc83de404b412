"""EASE against a plain numpy reference, its fallbacks and limits, and MovieLens."""

import numpy as np
import pytest

from sklearn_attnrec import EASE, PopularityRecommender, base, make_ranking_scorer
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.neighbors import _ease


def reference_ease(R, alpha):
    """Steck (2019), Algorithm 1, in float64."""
    G = R.T @ R + alpha * np.eye(R.shape[1])
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    return B


@pytest.fixture(scope="module")
def data():
    X, y = make_interactions(n_users=60, n_items=35, density=0.25, random_state=0)
    return X, y


@pytest.mark.parametrize("alpha", [0.5, 10.0, 300.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_weights_and_scores_match_the_reference(data, alpha, weighted):
    X, y = data
    model = EASE(alpha=alpha).fit(X, y if weighted else None)
    R = model.user_items_.toarray()
    B = reference_ease(R, alpha)
    np.testing.assert_allclose(model.coef_, B, atol=2e-5 * np.abs(B).max())
    assert np.all(model.coef_.diagonal() == 0)
    users = np.arange(len(model.user_ids_))
    np.testing.assert_allclose(
        model._score_items(users), R @ B, atol=1e-4 * np.abs(R @ B).max()
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ease_weights_in_both_precisions(dtype):
    rng = np.random.default_rng(1)
    R = (rng.random((80, 50)) < 0.2).astype(np.float64)
    gram = np.ascontiguousarray(R.T @ R, dtype=dtype)
    B = _ease.ease_weights(gram, 3.0)
    assert B.dtype == dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(B, reference_ease(R, 3.0), atol=tolerance)


def test_symmetrising_in_blocks(monkeypatch):
    """The inverse is completed from one triangle a block of rows at a time."""
    monkeypatch.setattr(_ease, "_SYMMETRISE_BLOCK", 7)
    rng = np.random.default_rng(2)
    R = (rng.random((60, 30)) < 0.3).astype(np.float64)
    B = _ease.ease_weights(np.ascontiguousarray(R.T @ R), 2.0)
    np.testing.assert_allclose(B, reference_ease(R, 2.0), atol=1e-12)


def test_predict_equals_the_ranking_scores_and_is_blocked(data, monkeypatch):
    X, _ = data
    model = EASE(alpha=5.0).fit(X)
    users = np.repeat(model.user_ids_, len(model.item_ids_))
    items = np.tile(model.item_ids_, len(model.user_ids_))
    full = model._score_items(np.arange(len(model.user_ids_))).ravel()
    monkeypatch.setattr(base, "_USER_BLOCK", 4)
    np.testing.assert_allclose(model.predict(np.column_stack([users, items])), full)
    features = model.transform(np.column_stack([users, items]))
    np.testing.assert_allclose(features[:, 0], full)
    assert list(model.get_feature_names_out()) == ["score", "item_popularity"]


def test_unknown_user_gets_popularity_and_unknown_item_zero(data):
    X, _ = data
    model = EASE(alpha=5.0).fit(X)
    popular = PopularityRecommender().fit(X).recommend([-1], n=5)[0]
    np.testing.assert_array_equal(model.recommend([-1], n=5)[0], popular)
    assert model.predict([[X[0, 0], 10_000]]) == [0.0]


def test_recommendations_follow_co_occurrence():
    # Items a and b always come together; c goes with d.
    X = [[u, i] for u in range(6) for i in ("a", "b")]
    X += [[u, i] for u in range(6, 9) for i in ("c", "d")]
    X += [[9, "a"], [10, "c"]]
    model = EASE(alpha=1.0).fit(X)
    items, _ = model.recommend([9, 10], n=1)
    assert items.ravel().tolist() == ["b", "d"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": -1.0}, "alpha"),
        ({"alpha": float("nan")}, "alpha"),
        ({"alpha": float("inf")}, "alpha"),
        ({"alpha": "big"}, "alpha"),
    ],
)
def test_bad_parameters(data, params, message):
    X, _ = data
    with pytest.raises((ValueError, TypeError), match=message):
        EASE(**params).fit(X)


def test_negative_weights_and_too_many_items(data, monkeypatch):
    X, y = data
    with pytest.raises(ValueError, match="non-negative"):
        EASE().fit(X, y - 10)
    monkeypatch.setattr(_ease, "_MAX_DENSE_ITEMS", 10)
    with pytest.raises(ValueError, match="dense 35 x 35 item matrix"):
        EASE().fit(X)


def test_movielens_u1_matches_the_published_style_reference(movielens):
    """NDCG@10 at alpha=500 equals the float64 numpy reference on fold u1."""
    X, y = movielens.data, movielens.target
    train, test = movielens.folds[0]
    model = EASE(alpha=500.0).fit(X[train])
    scorer = make_ranking_scorer("ndcg", k=10, threshold=4)
    ours = scorer(model, X[test], y[test])
    model.coef_ = reference_ease(model.user_items_.toarray(), 500.0)
    assert ours == pytest.approx(scorer(model, X[test], y[test]), abs=1e-3)
    assert ours == pytest.approx(0.4476, abs=1e-3)  # the reference figure


def test_y_weighs_the_interactions_of_the_gram_matrix(data):
    """y is x_ui in XᵀX and in the scored history, built here from the rows by
    hand (a repeated pair weighs the mean of its y); c * y with alpha * c**2
    gives the same weights, as the docstring says."""
    X, y = data
    X = np.vstack([X, X[:1]])
    y = np.concatenate([y, [y[0] + 2.0]])  # a repeated pair: mean y[0] + 1
    users, u = np.unique(X[:, 0], return_inverse=True)
    items, i = np.unique(X[:, 1], return_inverse=True)
    R = np.zeros((len(users), len(items)))
    counts = np.zeros_like(R)
    np.add.at(R, (u, i), y)
    np.add.at(counts, (u, i), 1)
    R = np.divide(R, counts, out=np.zeros_like(R), where=counts > 0)
    model = EASE(alpha=10.0).fit(X, y)
    B = reference_ease(R, 10.0)
    np.testing.assert_allclose(model.coef_, B, atol=2e-5 * np.abs(B).max())
    np.testing.assert_allclose(
        model._score_items(np.arange(len(users))),
        R @ B,
        atol=1e-4 * np.abs(R @ B).max(),
    )
    scaled = EASE(alpha=10.0 * 3.0**2).fit(X, 3.0 * y)
    np.testing.assert_allclose(scaled.coef_, model.coef_, atol=1e-5)
    unweighted = EASE(alpha=10.0).fit(X)
    assert not np.allclose(unweighted.coef_, model.coef_, atol=1e-3)


def test_movielens_u1_star_ratings_as_weights(movielens):
    """The documented effect of y on fold u1 (benchmarks/bench_ease_weights.py):
    stars as weights lose at the default alpha and win at alpha=8000."""
    X, y = movielens.data, movielens.target
    train, test = movielens.folds[0]
    scorer = make_ranking_scorer("ndcg", k=10, threshold=4)
    plain = scorer(EASE().fit(X[train]), X[test], y[test])
    default = scorer(EASE().fit(X[train], y[train]), X[test], y[test])
    larger = scorer(EASE(alpha=8000.0).fit(X[train], y[train]), X[test], y[test])
    assert plain == pytest.approx(0.4476, abs=1e-3)
    assert default == pytest.approx(0.4331, abs=1e-3)
    assert larger == pytest.approx(0.4833, abs=1e-3)
