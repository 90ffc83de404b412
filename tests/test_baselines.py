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
    model = BaselineRegressor(alpha_user=0, alpha_item=0, max_iter=5000, tol=1e-13)
    np.testing.assert_allclose(model.fit(X, y).predict(X), y, atol=1e-6)
    # The unseen pair (2, b): b is 2 below a for u1, u2 is 1 below u1 on a -> 2.
    assert model.predict(np.array([[2, "b"]], dtype=object))[0] == pytest.approx(
        2.0, abs=1e-6
    )


def test_damping_pulls_rare_items_towards_the_mean():
    X = np.array([[u, 0] for u in range(20)] + [[0, 1]])
    y = np.r_[np.full(20, 5.0), 5.0]
    model = BaselineRegressor(alpha_user=0, alpha_item=5).fit(X, y)
    # Item 0 rated by 20 users gets most of its deviation, item 1 (1 rating)
    # is shrunk: damping divides by (alpha + count).
    assert model.item_bias_[0] > model.item_bias_[1] >= 0


def test_recovers_planted_biases():
    X, y, truth = make_interactions(
        n_users=200, n_items=100, density=0.3, noise=0.1, return_factors=True,
        random_state=0,
    )
    model = BaselineRegressor().fit(X, y)
    assert np.corrcoef(model.item_bias_, truth.item_bias)[0, 1] > 0.9
    assert np.corrcoef(model.user_bias_, truth.user_bias)[0, 1] > 0.8


def test_clip_limits_predictions_to_training_range():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]])
    y = np.array([5.0, 5.0, 5.0, 5.0, 1.0])
    clipped = BaselineRegressor(alpha_user=0, alpha_item=0).fit(X, y)
    raw = BaselineRegressor(alpha_user=0, alpha_item=0, clip=False).fit(X, y)
    pairs = [[0, 0], [2, 0], [0, 2]]
    assert (clipped.predict(pairs) <= 5).all() and (clipped.predict(pairs) >= 1).all()
    assert raw.predict(pairs).max() > 5 or raw.predict(pairs).min() < 1


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
    # Full 5-fold figures are printed by benchmarks/bench_baselines.py; one fold
    # of the default model must already beat Surprise's BaselineOnly (0.9457).
    assert rmse < 0.945


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
    X, y = make_interactions(n_users=50, n_items=40, density=0.2, random_state=0)
    model = PopularityRecommender().fit(X[:400])
    score = model.score(X[400:])
    assert 0.0 < score <= 1.0
