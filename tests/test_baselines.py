import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_attnrec import BaselineRegressor, PopularityRecommender
from sklearn_attnrec.datasets import make_interactions


def _reference_biases(X, y, alpha_user, alpha_item):
    """Solve the regularised least-squares problem directly (dense normal equations).

    Unknowns are [b_u..., b_i...]; the design matrix has one indicator for the
    user and one for the item of each rating; the penalty is diagonal.
    """
    users, user_idx = np.unique(X[:, 0], return_inverse=True)
    items, item_idx = np.unique(X[:, 1], return_inverse=True)
    n_u, n_i = len(users), len(items)
    rows = np.arange(len(y))
    A = sp.hstack(
        [
            sp.csr_matrix((np.ones(len(y)), (rows, user_idx)), shape=(len(y), n_u)),
            sp.csr_matrix((np.ones(len(y)), (rows, item_idx)), shape=(len(y), n_i)),
        ]
    ).toarray()
    penalty = np.diag(np.r_[np.full(n_u, alpha_user), np.full(n_i, alpha_item)])
    mu = y.mean()
    solution = np.linalg.solve(A.T @ A + penalty, A.T @ (y - mu))
    return mu, solution[:n_u], solution[n_u:]


@pytest.mark.parametrize("alpha_user, alpha_item", [(5.0, 3.0), (0.5, 20.0), (15, 10)])
def test_biases_equal_the_closed_form_ridge_solution(alpha_user, alpha_item):
    X, y = make_interactions(n_users=30, n_items=20, density=0.3, random_state=0)
    model = BaselineRegressor(
        alpha_user=alpha_user, alpha_item=alpha_item, max_iter=1000, tol=1e-12
    ).fit(X, y)
    mu, b_u, b_i = _reference_biases(X, y, alpha_user, alpha_item)
    assert model.global_mean_ == pytest.approx(mu)
    np.testing.assert_allclose(model.user_bias_, b_u, atol=1e-8)
    np.testing.assert_allclose(model.item_bias_, b_i, atol=1e-8)
    assert model.n_iter_ < 1000


def test_worked_example_by_hand():
    # Ratings: u1 rates a=5, b=3; u2 rates a=4. With no damping the fit is exact
    # for a model with 2 user + 2 item biases (3 ratings), and no clipping needed.
    X = np.array([[1, "a"], [1, "b"], [2, "a"]], dtype=object)
    y = np.array([5.0, 3.0, 4.0])
    model = BaselineRegressor(
        alpha_user=0, alpha_item=0, max_iter=5000, tol=1e-13, clip=False
    )
    np.testing.assert_allclose(model.fit(X, y).predict(X), y, atol=1e-6)
    # The unseen pair (2, b): b is 2 below a for u1, u2 is 1 below u1 on a -> 2.
    assert model.predict(np.array([[2, "b"]], dtype=object))[0] == pytest.approx(
        2.0, abs=1e-6
    )


def test_damping_pulls_rare_items_towards_the_mean():
    # 20 users rate item 0 with 5 and item 2 with 1; user 0 also rates item 1
    # with 5. Items 0 and 1 deviate equally from the mean, but item 1 has one
    # rating: damping divides its deviation by (alpha + 1) instead of (alpha + 20).
    X = np.array([[u, 0] for u in range(20)] + [[u, 2] for u in range(20)] + [[0, 1]])
    y = np.r_[np.full(20, 5.0), np.full(20, 1.0), 5.0]
    model = BaselineRegressor(alpha_user=1e9, alpha_item=5).fit(X, y)
    deviation = 5.0 - y.mean()
    assert model.item_bias_[0] == pytest.approx(20 * deviation / 25, rel=1e-6)
    assert model.item_bias_[1] == pytest.approx(deviation / 6, rel=1e-6)


def test_recovers_planted_biases():
    X, y, truth = make_interactions(
        n_users=200,
        n_items=100,
        density=0.3,
        noise=0.1,
        return_factors=True,
        random_state=0,
    )
    model = BaselineRegressor().fit(X, y)
    assert np.corrcoef(model.item_bias_, truth.item_bias)[0, 1] > 0.9
    assert np.corrcoef(model.user_bias_, truth.user_bias)[0, 1] > 0.8


def test_clip_limits_predictions_to_training_range():
    # u0 rates i0=5, i1=4; u1 rates i1=5. An exact fit predicts (u1, i0) = 6:
    # u1 is 1 above u0 on i1, and i0 is 1 above i1 for u0.
    X = np.array([[0, 0], [0, 1], [1, 1]])
    y = np.array([5.0, 4.0, 5.0])
    params = dict(alpha_user=0, alpha_item=0, max_iter=5000, tol=1e-13)
    raw = BaselineRegressor(clip=False, **params).fit(X, y)
    assert raw.predict([[1, 0]])[0] == pytest.approx(6.0, abs=1e-6)
    clipped = BaselineRegressor(**params).fit(X, y)
    assert clipped.predict([[1, 0]])[0] == 5.0
    assert clipped.rating_range_ == (4.0, 5.0)


def test_transform_returns_the_biases_and_feeds_a_pipeline():
    X, y = make_interactions(n_users=30, n_items=20, random_state=0)
    model = BaselineRegressor().fit(X, y)
    features = model.transform(X[:5])
    users = np.searchsorted(model.user_ids_, X[:5, 0])
    items = np.searchsorted(model.item_ids_, X[:5, 1])
    np.testing.assert_allclose(features[:, 0], model.user_bias_[users])
    np.testing.assert_allclose(features[:, 1], model.item_bias_[items])
    assert model.get_feature_names_out().tolist() == ["user_bias", "item_bias"]
    np.testing.assert_allclose(model.transform([[999, 999]]), [[0.0, 0.0]])
    scaled = make_pipeline(BaselineRegressor(), StandardScaler()).fit_transform(X, y)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha_user": -1}, "alpha_user"),
        ({"alpha_item": "big"}, "alpha_item"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_bad_hyper_parameters_are_named(params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        BaselineRegressor(**params).fit([[0, 0], [1, 1]], [1.0, 2.0])


def test_baseline_rmse_on_movielens_fold(movielens):
    train, test = movielens.folds[0]
    X, y = movielens.data, movielens.target
    model = BaselineRegressor().fit(X[train], y[train])
    rmse = np.sqrt(np.mean((model.predict(X[test]) - y[test]) ** 2))
    # Full 5-fold figures are printed by benchmarks/bench_baselines.py. On this
    # fold (u1) the defaults measured 0.9534, Surprise's BaselineOnly 0.9599.
    assert rmse < 0.955


def test_popularity_counts_distinct_users_and_ranks_by_them():
    X = np.array([["a", 1], ["a", 1], ["b", 1], ["b", 2], ["c", 3], ["c", 1]])
    model = PopularityRecommender().fit(X)
    # item ids are strings here ("1", "2", "3"); item 1 has 3 distinct users.
    assert model.item_ids_.tolist() == ["1", "2", "3"]
    assert model.item_popularity_.tolist() == [3.0, 1.0, 1.0]
    assert model.user_activity_.tolist() == [1.0, 2.0, 2.0]
    items, scores = model.recommend(["a", "zed"], n=2)
    assert items.tolist() == [["2", "3"], ["1", "2"]]
    assert scores.tolist() == [[1.0, 1.0], [3.0, 1.0]]
    np.testing.assert_allclose(model.predict([["x", "1"], ["a", "9"]]), [3.0, 0.0])
    np.testing.assert_allclose(model.transform([["c", "2"]]), [[1.0, 2.0]])


def test_popularity_score_is_ndcg_of_held_out_rows():
    # Hand-made: popularity ranks a (3 users), b (2), c (1), d (1).
    X = [[1, "a"], [2, "a"], [3, "a"], [1, "b"], [2, "b"], [3, "c"], [4, "d"]]
    model = PopularityRecommender().fit(X)
    # User 3 has seen a and c: the list is b, d; user 4 (seen d): a, b, c.
    # Held out: user 3 -> d (rank 2), user 4 -> c (rank 3).
    held_out = [[3, "d"], [4, "c"]]
    expected = np.mean([1 / np.log2(3), 1 / np.log2(4)])  # ideal DCG is 1
    assert model.score(held_out) == pytest.approx(expected)
