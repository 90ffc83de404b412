import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.stats import norm
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sklearn_attnrec import (
    BaselineRegressor,
    MatrixFactorization,
    PopularityRecommender,
)
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.factorization._als import (
    RowBuckets,
    implicit_half_step,
    ridge_half_step,
)
from sklearn_attnrec.metrics import make_ranking_scorer
from sklearn_attnrec.model_selection import train_test_split_interactions
from sklearn_attnrec.utils._testing import personal_ratings


@pytest.fixture(scope="module")
def planted():
    return make_interactions(
        n_users=120,
        n_items=80,
        n_components=3,
        density=0.3,
        noise=0.1,
        return_factors=True,
        random_state=0,
    )


def _random_ratings(seed=0, shape=(15, 12), density=0.4):
    rng = np.random.default_rng(seed)
    matrix = sp.random(*shape, density=density, format="csr", random_state=seed)
    matrix.data = rng.integers(1, 6, matrix.nnz).astype(float)
    return matrix


def test_als_step_equals_the_closed_form_ridge_solution():
    ratings = _random_ratings()
    rng = np.random.default_rng(1)
    fixed = rng.normal(size=(ratings.shape[1], 4))
    offset = rng.normal(size=ratings.shape[1])
    penalty = rng.uniform(0.5, 2.0, size=(ratings.shape[0], 4))
    solution = ridge_half_step(
        RowBuckets(ratings),
        torch.tensor(fixed, dtype=torch.float32),
        torch.tensor(offset, dtype=torch.float32),
        torch.tensor(penalty, dtype=torch.float32),
    ).numpy()
    for u in range(ratings.shape[0]):
        cols = ratings[u].indices
        if len(cols) == 0:
            np.testing.assert_array_equal(solution[u], 0)
            continue
        F = fixed[cols]
        target = ratings[u].data - offset[cols]
        expected = np.linalg.solve(F.T @ F + np.diag(penalty[u]), F.T @ target)
        np.testing.assert_allclose(solution[u], expected, rtol=1e-4, atol=1e-4)


def test_implicit_cg_converges_to_the_exact_hu_koren_volinsky_solution():
    confidence = _random_ratings(seed=2)
    confidence.data = 0.5 * confidence.data  # c - 1
    rng = np.random.default_rng(3)
    k, alpha = 4, 0.1
    fixed = rng.normal(size=(confidence.shape[1], k))
    start = torch.zeros(confidence.shape[0], k)
    solution = implicit_half_step(
        RowBuckets(confidence),
        torch.tensor(fixed, dtype=torch.float32),
        start,
        alpha,
        cg_steps=k + 2,
    ).numpy()
    for u in range(confidence.shape[0]):
        c = np.ones(confidence.shape[1])
        preference = np.zeros(confidence.shape[1])
        c[confidence[u].indices] += confidence[u].data
        preference[confidence[u].indices] = 1
        A = fixed.T @ (c[:, None] * fixed) + alpha * np.eye(k)
        expected = np.linalg.solve(A, fixed.T @ (c * preference))
        np.testing.assert_allclose(solution[u], expected, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("feedback", ["explicit", "implicit"])
@pytest.mark.parametrize("init", ["svd", "normal"])
def test_als_objective_never_increases(planted, feedback, init):
    X, y, _ = planted
    model = MatrixFactorization(
        n_components=5,
        feedback=feedback,
        init=init,
        max_iter=12,
        tol=0,
        random_state=0,
    ).fit(X, y if feedback == "explicit" else None)
    curve = np.array(model.loss_curve_)
    # tol=0 stops only when an iteration fails to decrease the objective at all
    # (float32 round-off once converged).
    assert len(curve) >= 5
    assert np.all(np.diff(curve) <= 1e-5 * np.abs(curve[:-1])), curve


@pytest.mark.parametrize("solver", ["als", "sgd"])
def test_recovers_a_planted_low_rank_matrix(planted, solver):
    X, y, truth = planted
    # Error against the noiseless planted ratings on every cell, 70% of which
    # were never observed.
    users, items = np.meshgrid(np.arange(120), np.arange(80), indexing="ij")
    pairs = np.column_stack([users.ravel(), items.ravel()])

    def rmse(model):
        prediction = model.fit(X, y).predict(pairs)
        return np.sqrt(np.mean((prediction - truth.ratings.ravel()) ** 2))

    model = MatrixFactorization(
        n_components=3, solver=solver, alpha=0.1, random_state=0
    )
    # Measured: ALS 0.11, SGD 0.19; the biases alone (no factors) 0.79.
    assert rmse(model) < 0.2
    assert rmse(BaselineRegressor()) > 0.6


def test_fold_in_equals_the_als_user_step(planted):
    X, y, _ = planted
    model = MatrixFactorization(n_components=4, random_state=0).fit(X, y)
    user = 7
    rows = X[:, 0] == user
    items, ratings = X[rows, 1], y[rows]
    index = np.searchsorted(model.item_ids_, items)
    history = sp.csr_matrix(
        (ratings, (np.zeros(len(index), dtype=int), index)),
        shape=(1, len(model.item_ids_)),
    )
    vectors, biases = model._fold_in(history)
    vector, bias = vectors[0], biases[0]
    # The same problem solved directly: features [q_i, 1], target r - μ - b_i.
    F = np.column_stack([model.item_factors_[index], np.ones(len(items))])
    penalty = np.r_[np.full(4, 1.3 * np.sqrt(len(items))), 0.02 * len(items)]
    target = ratings - model.global_mean_ - model.item_bias_[index]
    expected = np.linalg.solve(F.T @ F + np.diag(penalty), F.T @ target)
    np.testing.assert_allclose(np.r_[vector, bias], expected, rtol=1e-6)
    # After the last sweep a user's fitted factors are close to the fold-in
    # (the item step moved Q a little after the user step).
    np.testing.assert_allclose(vector, model.user_factors_[user], atol=0.05)

    new_items, scores = model.recommend_for_history([items], [ratings], n=5)
    new_items, scores = new_items[0], scores[0]
    assert len(new_items) == 5 and not set(new_items) & set(items)
    assert np.all(np.diff(scores) <= 0)
    fitted_items, _ = model.recommend([user], n=5)
    assert len(set(new_items) & set(fitted_items[0])) >= 3


def test_fold_in_for_implicit_feedback_and_unknown_items():
    X, _ = make_interactions(n_users=80, n_items=60, implicit=True, random_state=0)
    model = MatrixFactorization(
        n_components=4, feedback="implicit", random_state=0
    ).fit(X)
    items, scores = model.recommend_for_history([[0, 1, 2, 999]], n=4)
    assert items.shape == (1, 4) and not {0, 1, 2} & set(items[0].tolist())
    strict = MatrixFactorization(
        n_components=4, feedback="implicit", handle_unknown="error", random_state=0
    ).fit(X)
    with pytest.raises(ValueError, match="unknown item"):
        strict.recommend_for_history([[0, 999]])
    with pytest.raises(ValueError, match=r"ratings\[0\] must be 2 finite numbers"):
        model.recommend_for_history([[0, 1]], [[1.0]])


def test_implicit_fold_in_solves_each_history_exactly():
    # Histories of different lengths (one empty) are solved together, grouped
    # by length; each must equal its own implicit-ALS user step:
    # (QᵀQ + Σ_i s r_i q_i q_iᵀ + α I) p = Σ_i (1 + s r_i) q_i.
    X, _ = make_interactions(n_users=80, n_items=60, implicit=True, random_state=0)
    model = MatrixFactorization(
        n_components=4,
        feedback="implicit",
        alpha=0.5,
        confidence_scale=3.0,
        random_state=0,
    ).fit(X)
    rng, n_items = np.random.default_rng(1), len(model.item_ids_)
    histories = [rng.choice(n_items, k, replace=False) for k in (3, 0, 12, 1, 40)]
    weights = [rng.uniform(0.5, 2.0, len(h)) for h in histories]
    rows = np.repeat(np.arange(len(histories)), [len(h) for h in histories])
    H = sp.csr_matrix(
        (np.concatenate(weights), (rows, np.concatenate(histories))),
        shape=(5, n_items),
    )
    vectors, biases = model._fold_in(H)
    Q = model.item_factors_.astype(np.float64)
    for row, (items, r) in enumerate(zip(histories, weights)):
        gram = Q.T @ Q + (Q[items].T * 3.0 * r) @ Q[items] + 0.5 * np.eye(4)
        expected = np.linalg.solve(gram, Q[items].T @ (1 + 3.0 * r))
        np.testing.assert_allclose(vectors[row], expected, rtol=1e-9, atol=1e-12)
    assert not biases.any() and not vectors[1].any()


def test_relevance_ranking_multiplies_picking_by_liking():
    # ranking="relevance": max(s, 0)² · Φ((r̂ − r̄_u) / σ), s from pick_model_,
    # an implicit MF of who rated what with the same n_components, chosen
    # where who rates what is personal.
    X, y = personal_ratings(n_items=80)
    model = MatrixFactorization(n_components=4, random_state=0).fit(X, y)
    pick = model.pick_model_
    assert pick.feedback == "implicit" and pick.n_components == 4
    assert pick.user_items_.nnz == model.user_items_.nnz
    np.testing.assert_array_equal(pick.user_items_.data, 1.0)
    users = np.arange(6)
    r = np.clip(
        model._predict_pairs(np.repeat(users, 80), np.tile(np.arange(80), 6)),
        *model.rating_range_,
    ).reshape(6, 80)
    means = np.array([y[X[:, 0] == model.user_ids_[u]].mean() for u in users])
    s = pick._score_items(users)
    stats = model._relevance_stats_
    expected = np.maximum(s, 0) ** 2 * norm.cdf((r - means[:, None]) / stats.std)
    np.testing.assert_allclose(model._score_items(users), expected, rtol=1e-9)
    # A new user with a training user's ratings is folded into both models.
    rows = X[:, 0] == model.user_ids_[2]
    _, folded = model.recommend_for_history(
        [X[rows, 1]], [y[rows]], n=80, exclude_seen=False
    )
    assert folded.shape == (1, 80) and (folded >= 0).all()
    # ranking="rating" fits no pick model.
    rating = MatrixFactorization(n_components=4, ranking="rating", random_state=0)
    assert not hasattr(rating.fit(X, y), "pick_model_")


def test_relevance_falls_back_to_popularity_where_picks_are_not_personal():
    # Pairs drawn at random: the pick model finds no more held-out pairs than
    # popularity, so popularity · Φ((r̂ − r̄_u) / σ) ranks.
    rng = np.random.default_rng(0)
    X = np.unique(
        np.column_stack([rng.integers(0, 80, 1500), rng.integers(0, 50, 1500)]), axis=0
    )
    y = rng.integers(1, 6, len(X)).astype(float)
    model = MatrixFactorization(n_components=4, random_state=0).fit(X, y)
    assert model.pick_model_ is None
    users = np.arange(5)
    r = model.set_params(ranking="rating")._score_items(users)
    model.set_params(ranking="relevance")
    means = np.array([y[X[:, 0] == model.user_ids_[u]].mean() for u in users])
    stats = model._relevance_stats_
    expected = stats.popularity * norm.cdf((r - means[:, None]) / stats.std)
    np.testing.assert_allclose(model._score_items(users), expected, rtol=1e-9)


def test_relevance_of_a_history_folds_it_into_the_pick_model():
    X, y = personal_ratings(n_items=80)
    model = MatrixFactorization(n_components=4, random_state=0).fit(X, y)
    assert model.pick_model_ is not None
    items, ratings = [3, 7, 11, 40], [5.0, 1.0, 4.0, 2.0]
    _, scores = model.recommend_for_history(
        [items], [ratings], n=80, exclude_seen=False
    )
    found, _ = model.recommend_for_history([items], [ratings], n=80, exclude_seen=False)
    H = sp.csr_matrix((ratings, ([0] * 4, items)), shape=(1, 80))
    vectors, biases = model._fold_in(H)
    r = np.clip(
        vectors @ model.item_factors_.T
        + model.item_bias_
        + model.global_mean_
        + biases[:, None],
        *model.rating_range_,
    )
    ones = sp.csr_matrix((np.ones(4), ([0] * 4, items)), shape=(1, 80))
    s = model.pick_model_._score_histories(ones)
    expected = np.maximum(s, 0) ** 2 * norm.cdf(
        (r - np.mean(ratings)) / model._relevance_stats_.std
    )
    order = np.searchsorted(model.item_ids_, found[0])
    np.testing.assert_allclose(scores[0], expected[0, order], rtol=1e-6)


def test_similar_items_are_cosine_neighbours(planted):
    X, y, _ = planted
    model = MatrixFactorization(n_components=4, random_state=0).fit(X, y)
    items, scores = model.similar_items([5, 9], n=3)
    assert items.shape == scores.shape == (2, 3)
    Q = model.item_factors_.astype(float)
    unit = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    cosine = unit @ unit[5]
    cosine[5] = -np.inf
    np.testing.assert_array_equal(items[0], np.argsort(-cosine)[:3])
    np.testing.assert_allclose(scores[0], np.sort(cosine)[::-1][:3], rtol=1e-6)
    with pytest.raises(ValueError, match="similar_items needs"):
        model.similar_items([12345])


def test_transform_returns_user_and_item_factors(planted):
    X, y, _ = planted
    model = MatrixFactorization(n_components=3, random_state=0).fit(X, y)
    features = model.transform(X[:4])
    np.testing.assert_allclose(features[:, :3], model.user_factors_[X[:4, 0]])
    np.testing.assert_allclose(features[:, 3:], model.item_factors_[X[:4, 1]])
    assert model.get_feature_names_out()[[0, 3]].tolist() == [
        "user_factor_0",
        "item_factor_0",
    ]
    pipe = make_pipeline(MatrixFactorization(n_components=3, random_state=0), Ridge())
    assert pipe.fit(X, y).predict(X[:3]).shape == (3,)


def test_unknown_users_get_the_average_user(planted):
    X, y, _ = planted
    model = MatrixFactorization(n_components=3, random_state=0).fit(X, y)
    item = 4
    expected = model.global_mean_ + model.item_bias_[item]
    assert model.predict([[10_000, item]])[0] == pytest.approx(expected)


def test_early_stopping_keeps_the_best_iteration(planted, capsys):
    X, y, _ = planted
    model = MatrixFactorization(
        n_components=3,
        solver="sgd",
        early_stopping=True,
        n_iter_no_change=2,
        max_iter=60,
        tol=0,
        verbose=1,
        random_state=0,
    ).fit(X, y)
    scores = model.validation_loss_curve_
    assert len(scores) == model.n_iter_
    with pytest.warns(FutureWarning, match="renamed validation_loss_curve_"):
        assert model.validation_scores_ == scores
    printed = capsys.readouterr().out
    assert "validation RMSE" in printed and printed.count("\n") == model.n_iter_
    # Measured: stops after 49 epochs; the last n_iter_no_change did not help.
    assert model.n_iter_ < 60
    assert min(scores[-2:]) > min(scores)


def test_same_random_state_same_model(planted):
    X, y, _ = planted
    for solver in ["als", "sgd"]:
        a = MatrixFactorization(n_components=3, solver=solver, random_state=4).fit(X, y)
        b = MatrixFactorization(n_components=3, solver=solver, random_state=4).fit(X, y)
        np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
        np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_without_biases_the_biases_stay_zero(planted):
    X, y, _ = planted
    for solver in ["als", "sgd"]:
        model = MatrixFactorization(
            n_components=3, solver=solver, biases=False, alpha_bias=0.0, random_state=0
        ).fit(X, y)
        assert not model.user_bias_.any() and not model.item_bias_.any()
        assert np.isfinite(model.predict(X)).all()


def test_implicit_feedback_ranks_better_than_popularity():
    X, _ = make_interactions(
        n_users=300,
        n_items=120,
        n_components=4,
        density=0.08,
        implicit=True,
        random_state=0,
    )
    X_train, X_test = train_test_split_interactions(X, test_size=0.2, random_state=0)
    scorer = make_ranking_scorer("ndcg", k=10)
    model = MatrixFactorization(n_components=8, feedback="implicit", random_state=0)
    ndcg = scorer(model.fit(X_train), X_test)
    popularity = scorer(PopularityRecommender().fit(X_train), X_test)
    assert ndcg > popularity + 0.02, (ndcg, popularity)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"solver": "adam"}, "solver"),
        ({"feedback": "clicks"}, "feedback"),
        ({"init": "zeros"}, "init"),
        ({"feedback": "implicit", "solver": "sgd"}, "solver='als'"),
        ({"feedback": "implicit", "early_stopping": True}, "early_stopping"),
        ({"n_components": 0}, "n_components"),
        ({"alpha": 0.0}, "alpha"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"n_jobs": 1.5}, "n_jobs"),
        ({"verbose": -1}, "verbose"),
    ],
)
def test_bad_parameters_are_named(params, message):
    X, y = make_interactions(n_users=10, n_items=8, random_state=0)
    with pytest.raises(ValueError, match=message):
        MatrixFactorization(**params).fit(X, y)


def test_implicit_weights_must_be_non_negative():
    with pytest.raises(ValueError, match="non-negative"):
        MatrixFactorization(feedback="implicit").fit([[0, 0], [1, 1]], [1.0, -2.0])


# --------------------------------------------------------------------------- #
# Feedback: progress, warnings; n_jobs
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("solver, unit", [("als", "sweep"), ("sgd", "epoch")])
def test_verbose_prints_the_loss_and_shows_a_bar(planted, capsys, solver, unit):
    X, y, _ = planted
    model = MatrixFactorization(
        n_components=3, solver=solver, max_iter=3, tol=0, verbose=1, random_state=0
    ).fit(X, y)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == model.n_iter_ == 3
    assert lines[0].startswith(f"{unit} 1: objective ")
    assert float(lines[-1].split()[-1]) == pytest.approx(model.loss_curve_[-1], 1e-5)
    # tqdm's bar goes to stderr.
    assert f"MatrixFactorization {unit}s" in captured.err and "3/3" in captured.err


def test_quiet_by_default(planted, capsys):
    X, y, _ = planted
    MatrixFactorization(n_components=3, max_iter=2, random_state=0).fit(X, y)
    assert capsys.readouterr() == ("", "")


def test_constant_explicit_ratings_warn():
    X, _ = make_interactions(n_users=20, n_items=15, density=0.3, random_state=0)
    ones = np.ones(len(X))
    with pytest.warns(UserWarning, match="cannot learn from constant ratings"):
        MatrixFactorization(n_components=2, max_iter=2).fit(X, ones)
    # The same data as implicit feedback is what such data is for.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MatrixFactorization(n_components=2, max_iter=2, feedback="implicit").fit(
            X, ones
        )


def test_n_components_above_the_rank_warns():
    X, y = make_interactions(n_users=20, n_items=6, density=0.6, random_state=0)
    with pytest.warns(UserWarning, match=r"n_components=8 is larger than .* = 6"):
        MatrixFactorization(n_components=8, max_iter=2).fit(X, y)


def test_normal_data_gives_no_warning(planted):
    X, y, _ = planted
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for solver in ("als", "sgd"):
            MatrixFactorization(n_components=3, solver=solver, max_iter=3).fit(X, y)


@pytest.mark.parametrize(
    "params",
    [{"solver": "als"}, {"solver": "sgd"}, {"feedback": "implicit"}],
    ids=["als", "sgd", "implicit"],
)
def test_n_jobs_gives_the_same_model_and_restores_torch_threads(planted, params):
    X, y, _ = planted
    y = None if params.get("feedback") == "implicit" else y
    threads = torch.get_num_threads()
    models = [
        MatrixFactorization(
            n_components=3, max_iter=4, random_state=0, n_jobs=n_jobs, **params
        ).fit(X, y)
        for n_jobs in (1, 2)
    ]
    assert torch.get_num_threads() == threads
    for name in ("user_factors_", "item_factors_", "user_bias_", "loss_curve_"):
        np.testing.assert_allclose(
            getattr(models[0], name), getattr(models[1], name), rtol=1e-5, atol=1e-6
        )


def test_torch_threads_are_restored_after_an_error(planted, monkeypatch):
    X, y, _ = planted
    seen = []

    def fail(self, *args):
        seen.append(torch.get_num_threads())
        raise RuntimeError("boom")

    monkeypatch.setattr(MatrixFactorization, "_fit_factors", fail)
    threads = torch.get_num_threads()
    target = 1 if threads != 1 else 2
    with pytest.raises(RuntimeError, match="boom"):
        MatrixFactorization(n_components=3, n_jobs=target).fit(X, y)
    assert seen == [target] and torch.get_num_threads() == threads


def test_movielens_fold_rmse(movielens):
    train, test = movielens.folds[0]
    X, y = movielens.data, movielens.target
    model = MatrixFactorization(random_state=0).fit(X[train], y[train])
    rmse = np.sqrt(np.mean((model.predict(X[test]) - y[test]) ** 2))
    # Five-fold figures (ALS and SGD next to Surprise) are printed by
    # benchmarks/bench_factorization.py; on u1 the defaults measured 0.921.
    assert rmse < 0.93


def test_solving_the_normal_equations_in_small_groups_changes_nothing(monkeypatch):
    from sklearn_attnrec.factorization import _als

    X, y = make_interactions(n_users=60, n_items=40, density=0.2, random_state=0)
    whole = MatrixFactorization(n_components=4, max_iter=3, random_state=0).fit(X, y)
    monkeypatch.setattr(_als, "_SOLVE_ROWS", 3)  # many groups of a few rows
    grouped = MatrixFactorization(n_components=4, max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(grouped.predict(X), whole.predict(X), rtol=1e-5)


# -- implicit ALS: the all-rows sparse conjugate gradient ----------------------------


def _implicit_problem(shape, seed, k=4):
    """A confidence matrix (values c − 1, one explicit zero, one empty row), fixed
    factors, a warm start and a penalty per row."""
    confidence = _random_ratings(seed=seed, shape=shape, density=0.4).tolil()
    confidence[1, :] = 0  # an empty row
    confidence = confidence.tocsr()
    confidence.eliminate_zeros()
    confidence.data = 0.5 * confidence.data
    confidence.data[0] = 0.0  # an explicit zero: observed with c = 1
    rng = np.random.default_rng(seed + 1)
    fixed = rng.normal(size=(shape[1], k))
    start = rng.normal(size=(shape[0], k))
    penalty = rng.uniform(0.05, 1.0, size=shape[0])
    return confidence, fixed, start, penalty


def _hkv_system(confidence, fixed, penalty, u):
    """Row u's Hu-Koren-Volinsky normal equations A x = b, in float64."""
    c = np.ones(confidence.shape[1])
    preference = np.zeros(confidence.shape[1])
    row = confidence[u]
    c[row.indices] += row.data
    preference[row.indices] = 1
    A = fixed.T @ (c[:, None] * fixed) + penalty[u] * np.eye(fixed.shape[1])
    return A, fixed.T @ (c * preference)


@pytest.mark.parametrize("reorder", [False, True])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("shape", [(15, 12), (12, 30)])
def test_implicit_operator_products_match_dense_ones(shape, transposed, reorder):
    from sklearn_attnrec.factorization._als import _ImplicitOperator

    confidence, fixed, start, _ = _implicit_problem(shape, seed=4)
    operator = _ImplicitOperator(confidence, transposed=transposed, reorder=reorder)
    assert operator.transposed == transposed
    assert (operator.order is not None) == reorder
    r, c = operator.entries()
    # Every stored entry once, with its value.
    coo = confidence.tocoo()
    assert sorted(zip(r, c)) == sorted(zip(coo.row, coo.col))
    np.testing.assert_allclose(
        operator.weights.numpy(), np.asarray(confidence[r, c]).ravel(), rtol=1e-6
    )
    rows = operator.rows_in(torch.tensor(start, dtype=torch.float32))
    cols = operator.fixed_in(torch.tensor(fixed, dtype=torch.float32))
    np.testing.assert_allclose(
        operator.dots(rows, cols).numpy(),
        np.einsum("ij,ij->i", start[r], fixed[c]),
        rtol=1e-5,
        atol=1e-5,
    )
    values = np.random.default_rng(5).normal(size=len(r))
    expected = sp.csr_matrix((values, (r, c)), shape=shape) @ fixed
    combined = operator.combine(torch.tensor(values, dtype=torch.float32), cols)
    assert combined.shape == (shape[0], fixed.shape[1])
    combined = operator.rows_out(combined).numpy()
    np.testing.assert_allclose(combined, expected, rtol=1e-5, atol=1e-5)
    # The most frequent index of the random side comes first.
    if reorder:
        side = confidence.getnnz(axis=1 if transposed else 0)
        assert side[operator.order[0]] == side.max()


@pytest.mark.parametrize("reorder", [False, True])
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("shape", [(15, 12), (12, 30)])
def test_implicit_cg_from_a_warm_start_reaches_the_exact_solution(
    shape, transposed, reorder
):
    from sklearn_attnrec.factorization import _als

    confidence, fixed, start, penalty = _implicit_problem(shape, seed=6)
    k = fixed.shape[1]
    buckets = RowBuckets(confidence)
    buckets._operator = _als._ImplicitOperator(
        confidence, transposed=transposed, reorder=reorder
    )
    current = torch.tensor(start, dtype=torch.float32)
    solution, observed_fit = _als.implicit_half_step_with_fit(
        buckets,
        torch.tensor(fixed, dtype=torch.float32),
        current,
        torch.tensor(penalty, dtype=torch.float32),
        cg_steps=k + 2,
    )
    np.testing.assert_array_equal(current.numpy(), start.astype(np.float32))
    solution = solution.numpy()
    for u in range(shape[0]):
        A, b = _hkv_system(confidence, fixed, penalty, u)
        np.testing.assert_allclose(
            solution[u], np.linalg.solve(A, b), rtol=1e-3, atol=1e-4
        )
    np.testing.assert_allclose(solution[1], 0, atol=1e-6)  # the empty row: A x = 0
    # The observed entries' part of the objective, from the solution returned.
    coo = confidence.tocoo()
    s = np.einsum("ij,ij->i", solution[coo.row], fixed[coo.col])
    expected = np.sum((1 + coo.data) * (1 - s) ** 2 - s**2)
    np.testing.assert_allclose(observed_fit, expected, rtol=1e-4, atol=1e-4)


def test_each_implicit_cg_step_lowers_every_rows_objective():
    # CG minimises ½ xᵀA x − bᵀx along conjugate directions: each step lowers it
    # (or keeps it, once solved), and k steps solve a k-dimensional system.
    confidence, fixed, start, penalty = _implicit_problem((20, 16), seed=8, k=6)
    confidence.data *= 10  # confidences up to 26: a harder system

    def objectives(x):
        values = []
        for u in range(confidence.shape[0]):
            A, b = _hkv_system(confidence, fixed, penalty, u)
            values.append(0.5 * x[u] @ A @ x[u] - b @ x[u])
        return np.array(values)

    curves = [objectives(start)]
    for steps in range(1, 7):  # k = 6
        x = implicit_half_step(
            RowBuckets(confidence),
            torch.tensor(fixed, dtype=torch.float32),
            torch.tensor(start, dtype=torch.float32),
            torch.tensor(penalty, dtype=torch.float32),
            cg_steps=steps,
        ).numpy()
        curves.append(objectives(x))
    curves = np.array(curves)  # (steps, rows)
    scale = np.abs(curves).max()
    assert np.all(np.diff(curves, axis=0) <= 1e-5 * scale), curves
    assert np.all(curves[1] < curves[0] - 1e-3 * scale)  # the first step moves
    optimum = np.array(
        [
            -0.5 * b @ np.linalg.solve(A, b)
            for A, b in (
                _hkv_system(confidence, fixed, penalty, u)
                for u in range(confidence.shape[0])
            )
        ]
    )
    gap = (curves - optimum).sum(axis=1)
    assert np.all(np.diff(gap) < 0) and gap[2] < 0.1 * gap[0], gap
    assert gap[6] < 1e-4 * gap[0], gap


def test_implicit_als_loss_falls_over_the_sweeps():
    X, _ = make_interactions(
        n_users=300, n_items=200, density=0.05, implicit=True, random_state=0
    )
    model = MatrixFactorization(
        n_components=8, feedback="implicit", max_iter=10, tol=0, random_state=0
    ).fit(X)
    curve = np.array(model.loss_curve_)
    assert len(curve) == 10
    assert np.all(np.diff(curve) <= 1e-5 * np.abs(curve[:-1])), curve
    assert curve[-1] < 0.9 * curve[0], curve


def test_implicit_als_never_pads_the_rows(monkeypatch):
    # The implicit half-steps run on the sparse matrix; padding is the explicit
    # solver's (it would cost memory and time for nothing).
    def fail(self, *args):
        raise AssertionError("padded")

    monkeypatch.setattr(RowBuckets, "_pad", fail)
    X, _ = make_interactions(n_users=40, n_items=30, implicit=True, random_state=0)
    MatrixFactorization(n_components=3, feedback="implicit", max_iter=2).fit(X)
    with pytest.raises(AssertionError, match="padded"):
        MatrixFactorization(n_components=3, max_iter=2).fit(
            X, 1 + np.arange(len(X)) % 5
        )
