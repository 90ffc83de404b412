import numpy as np
import pytest
import torch

from sklearn_attnrec import PopularityRecommender
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.factorization import _bpr
from sklearn_attnrec.factorization._bpr import (
    BPRRecommender,
    _ObservedPairs,
    bpr_step,
    bpr_triples,
)
from sklearn_attnrec.metrics import make_ranking_scorer
from sklearn_attnrec.model_selection import train_test_split_interactions

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def interactions():
    return make_interactions(n_users=60, n_items=40, density=0.3, random_state=0)


def _batch_loss(user_table, item_table, u, i, j, alpha):
    """The mini-batch loss bpr_step documents, in float64 numpy (independent of
    the torch code): Σ −ln σ(x̂_ui − x̂_uj) + alpha/2 Σ per-triple norms."""
    k = user_table.shape[1] - 1
    p, q_i, q_j = user_table[u, :k], item_table[i, :k], item_table[j, :k]
    b_i, b_j = item_table[i, k], item_table[j, k]
    x = (p * (q_i - q_j)).sum(1) + b_i - b_j
    data = np.logaddexp(0.0, -x).sum()
    norms = (p**2).sum() + (q_i**2).sum() + (q_j**2).sum() + (b_i**2).sum()
    return data + alpha / 2 * (norms + (b_j**2).sum())


def test_step_is_minus_learning_rate_times_the_finite_difference_gradient():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 4, 6, 3
    user_table = rng.normal(size=(n_users, k + 1))
    user_table[:, k] = 1.0
    item_table = rng.normal(size=(n_items, k + 1))
    # Repeated users and items, and an item that is both a positive and a
    # negative in the same batch: their steps must add up.
    u = np.array([0, 0, 1, 2, 3, 3])
    i = np.array([1, 2, 2, 0, 4, 1])
    j = np.array([3, 1, 5, 5, 2, 0])
    alpha, learning_rate = 0.1, 1e-3

    def numeric_gradient(table, other, is_user):
        gradient = np.zeros_like(table)
        h = 1e-6
        for index in np.ndindex(table.shape):
            plus, minus = table.copy(), table.copy()
            plus[index] += h
            minus[index] -= h
            if is_user:
                f_plus = _batch_loss(plus, other, u, i, j, alpha)
                f_minus = _batch_loss(minus, other, u, i, j, alpha)
            else:
                f_plus = _batch_loss(other, plus, u, i, j, alpha)
                f_minus = _batch_loss(other, minus, u, i, j, alpha)
            gradient[index] = (f_plus - f_minus) / (2 * h)
        return gradient

    grad_user = numeric_gradient(user_table, item_table, True)
    grad_item = numeric_gradient(item_table, user_table, False)
    # The user side's last column is the constant 1 of the bias: never updated.
    grad_user[:, k] = 0.0

    users_t = torch.tensor(user_table)
    items_t = torch.tensor(item_table)
    loss = bpr_step(
        users_t,
        items_t,
        torch.as_tensor(u),
        torch.as_tensor(i),
        torch.as_tensor(j),
        learning_rate=learning_rate,
        alpha=alpha,
    )
    np.testing.assert_allclose(
        (users_t.numpy() - user_table) / learning_rate, -grad_user, atol=1e-6
    )
    np.testing.assert_allclose(
        (items_t.numpy() - item_table) / learning_rate, -grad_item, atol=1e-6
    )
    assert np.all(users_t.numpy()[:, k] == 1.0)
    # The returned loss is the data term, before the step.
    assert loss == pytest.approx(_batch_loss(user_table, item_table, u, i, j, 0.0))


def test_negatives_are_never_observed_pairs(monkeypatch):
    X, _ = make_interactions(n_users=30, n_items=12, density=0.5, random_state=1)
    users = torch.as_tensor(X[:, 0].astype(np.int64))
    items = torch.as_tensor(X[:, 1].astype(np.int64))
    seen = set(zip(X[:, 0].tolist(), X[:, 1].tolist()))
    # A user who saw all 12 items has no negative: their triples are skipped.
    full = np.flatnonzero(np.bincount(X[:, 0]) == 12)
    assert len(full) > 0
    expected = sorted((a, b) for a, b in seen if a not in full)
    for max_cells in (_bpr._MAX_TABLE_CELLS, 0):  # dense table, then sorted keys
        monkeypatch.setattr(_bpr, "_MAX_TABLE_CELLS", max_cells)
        observed = _ObservedPairs(users, items, 12)
        assert (observed.table is None) == (max_cells == 0)
        generator = torch.Generator().manual_seed(0)
        u, i, j = bpr_triples(users, items, 12, observed=observed, generator=generator)
        # Every other positive once, each with an unobserved negative.
        assert sorted(zip(u.tolist(), i.tolist())) == expected
        assert not any((a, b) in seen for a, b in zip(u.tolist(), j.tolist()))


def test_a_user_who_saw_every_item_gets_no_triple():
    users = torch.tensor([0, 0, 1])
    items = torch.tensor([0, 1, 0])
    observed = _ObservedPairs(users, items, 2)
    generator = torch.Generator().manual_seed(0)
    u, i, j = bpr_triples(users, items, 2, observed=observed, generator=generator)
    assert u.tolist() == [1] and i.tolist() == [0] and j.tolist() == [1]


def test_loss_decreases_over_epochs(interactions):
    X, _ = interactions
    model = BPRRecommender(n_components=8, max_iter=30, random_state=0).fit(X)
    curve = np.array(model.loss_curve_)
    assert len(curve) == model.n_iter_ == 30
    assert curve[0] > 0.6  # about ln 2 from a small random start
    assert curve[-5:].mean() < 0.6 * curve[:5].mean()
    # Mostly downhill: sampling noise allows small rises only.
    assert np.all(np.diff(curve) < 0.03)


def test_ranks_above_popularity():
    # Observed pairs tilted towards what each user likes (implicit=True); the
    # stronger L2 suits data this small.
    X, _ = make_interactions(
        n_users=60, n_items=40, density=0.3, implicit=True, random_state=0
    )
    X_fit, X_test = train_test_split_interactions(X, test_size=0.2, random_state=0)
    ndcg = make_ranking_scorer("ndcg", k=10)
    popularity = ndcg(PopularityRecommender().fit(X_fit), X_test)
    bpr = ndcg(BPRRecommender(alpha=0.1, random_state=0).fit(X_fit), X_test)
    assert bpr > popularity + 0.01


def test_random_state_makes_fits_reproducible(interactions):
    X, _ = interactions
    params = {"n_components": 6, "max_iter": 5}
    a = BPRRecommender(random_state=3, **params).fit(X)
    b = BPRRecommender(random_state=3, **params).fit(X)
    c = BPRRecommender(random_state=4, **params).fit(X)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    np.testing.assert_array_equal(a.item_bias_, b.item_bias_)
    assert a.loss_curve_ == b.loss_curve_
    assert not np.array_equal(a.item_factors_, c.item_factors_)
    # The global torch generator is neither used nor changed.
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    BPRRecommender(random_state=3, **params).fit(X)
    assert torch.equal(torch.rand(3), expected)


def test_unknown_user_and_item_fallbacks(interactions):
    X, _ = interactions
    model = BPRRecommender(n_components=4, max_iter=5, random_state=0).fit(X)
    user, item = X[0, 0], X[0, 1]
    i = model.item_ids_.tolist().index(item)
    mean_user = model.user_factors_.mean(axis=0).astype(np.float64)
    all_items = model.item_factors_ @ mean_user + model.item_bias_
    own = model.predict([[user, j] for j in model.item_ids_])
    predictions = model.predict([[10_000, item], [user, 10_001], [10_000, 10_001]])
    np.testing.assert_allclose(
        predictions, [all_items[i], own.min(), all_items.min()], rtol=1e-5
    )
    np.testing.assert_allclose(own[i], model.predict([[user, item]])[0])
    # An unknown user is ranked like the average user.
    items, scores = model.recommend([10_000], n=5)
    order = np.argsort(-all_items, kind="stable")[:5]
    np.testing.assert_allclose(scores[0], all_items[order], rtol=1e-5)
    features = model.transform([[10_000, 10_001]])
    np.testing.assert_allclose(features[0, :4], mean_user, rtol=1e-6)
    np.testing.assert_array_equal(features[0, 4:], 0.0)


def test_negative_weights_raise_and_zero_weights_are_not_positives(interactions):
    X, _ = interactions
    y = np.ones(len(X))
    y[3] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        BPRRecommender(max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="no positive interaction"):
        BPRRecommender(max_iter=1).fit(X, np.zeros(len(X)))
    # Rows with y == 0 of known users and items change nothing but seen items.
    rng = np.random.default_rng(0)
    extra = np.column_stack([rng.integers(0, 60, 30), rng.integers(0, 40, 30)])
    seen = set(map(tuple, X.tolist()))
    extra = np.array([row for row in extra.tolist() if tuple(row) not in seen])
    params = {"n_components": 4, "max_iter": 3, "random_state": 0}
    plain = BPRRecommender(**params).fit(X)
    padded = BPRRecommender(**params).fit(
        np.vstack([X, extra]), np.r_[np.ones(len(X)), np.zeros(len(extra))]
    )
    np.testing.assert_array_equal(plain.item_factors_, padded.item_factors_)
    assert padded.user_items_.nnz == plain.user_items_.nnz + len(extra)


def test_user_without_positives_gets_the_mean_user():
    X = np.array([[0, 0], [0, 1], [1, 1], [1, 2], [2, 0]])
    y = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    model = BPRRecommender(n_components=3, max_iter=3, random_state=0).fit(X, y)
    np.testing.assert_allclose(
        model.user_factors_[2], model.user_factors_[:2].mean(axis=0), rtol=1e-6
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 0}, "n_components"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"alpha": -1.0}, "alpha"),
        ({"max_iter": 0}, "max_iter"),
        ({"batch_size": 0}, "batch_size"),
        ({"init_scale": -0.1}, "init_scale"),
        ({"verify_negative_samples": "yes"}, "verify_negative_samples"),
    ],
)
def test_invalid_parameters_raise_in_fit(interactions, params, match):
    X, _ = interactions
    model = BPRRecommender(**params)  # __init__ only stores them
    with pytest.raises(ValueError, match=match):
        model.fit(X)
    assert not hasattr(model, "user_factors_")


def test_divergence_raises():
    X, _ = make_interactions(n_users=60, n_items=40, density=0.3, random_state=0)
    with pytest.raises(ValueError, match="diverged.*learning_rate"):
        BPRRecommender(learning_rate=100.0, alpha=0.0, random_state=0).fit(X)


def test_batch_size_and_verification_options_fit(interactions):
    X, _ = interactions
    ndcg = make_ranking_scorer("ndcg", k=10)
    for params in ({"batch_size": 7}, {"verify_negative_samples": False}):
        model = BPRRecommender(
            n_components=4, max_iter=3, random_state=0, **params
        ).fit(X)
        assert np.isfinite(model.loss_curve_).all()
        assert 0.0 <= ndcg(model, X) <= 1.0


def test_transform_features_and_similar_items(interactions):
    X, _ = interactions
    model = BPRRecommender(n_components=4, max_iter=3, random_state=0).fit(X)
    features = model.transform(X[:5])
    assert features.shape == (5, 8)
    u = model.user_ids_.tolist().index(X[0, 0])
    i = model.item_ids_.tolist().index(X[0, 1])
    np.testing.assert_allclose(features[0, :4], model.user_factors_[u])
    np.testing.assert_allclose(features[0, 4:], model.item_factors_[i])
    assert model.get_feature_names_out().tolist()[::4] == [
        "user_factor_0",
        "item_factor_0",
    ]
    items, scores = model.similar_items([X[0, 1]], n=3)
    assert items.shape == scores.shape == (1, 3) and X[0, 1] not in items[0]
    assert np.all(np.diff(scores[0]) <= 0)
    with pytest.raises(ValueError, match="seen in fit"):
        model.similar_items([10_000])
    assert 0.0 <= model.score(X) <= 1.0
