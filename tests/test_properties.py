"""Property-based tests (hypothesis): ranking metrics, splitters, attention.

Properties that must hold for every input, with hypothesis drawing the shapes,
values and seeds (and shrinking a failure to a small example). Examples are few
(``max_examples`` 25-50) and nothing is stored on disk (``database=None``).
"""

import numpy as np
import pytest

pytest.importorskip("hypothesis")

from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from sklearn.metrics import ndcg_score  # noqa: E402

from sklearn_attnrec.metrics import (  # noqa: E402
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from sklearn_attnrec.model_selection import (  # noqa: E402
    LeaveLastOut,
    PerUserKFold,
    train_test_split_interactions,
)

torch = pytest.importorskip("torch")

from sklearn_attnrec.nn import (  # noqa: E402
    MultiHeadAttention,
    scaled_dot_product_attention,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")

FEW = settings(max_examples=40, deadline=None, database=None)

METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "hit_rate": hit_rate_at_k,
    "average_precision": average_precision_at_k,
    "reciprocal_rank": reciprocal_rank,
}


# --------------------------------------------------------------------------- #
# Ranking metrics
# --------------------------------------------------------------------------- #
@st.composite
def rankings(draw, *, graded=True, tie_free=False):
    """(y_true, y_score, k) where at least one user has a relevant item."""
    n_users = draw(st.integers(1, 6))
    n_items = draw(st.integers(1, 12))
    top = 3 if graded else 1
    y_true = draw(
        hnp.arrays(np.int64, (n_users, n_items), elements=st.integers(0, top))
    )
    assume(y_true.any())
    if tie_free:
        # A distinct score per item of each row: a random permutation.
        seed = draw(st.integers(0, 2**32 - 1))
        rng = np.random.RandomState(seed)
        y_score = np.array([rng.permutation(n_items) for _ in range(n_users)]) * 1.0
    else:
        y_score = draw(
            hnp.arrays(
                np.float64,
                (n_users, n_items),
                elements=st.floats(-1e6, 1e6, allow_nan=False) | st.just(-np.inf),
            )
        )
    k = draw(st.integers(1, n_items + 3))
    return y_true.astype(np.float64), y_score, k


@FEW
@given(data=rankings())
@pytest.mark.parametrize("name", sorted(METRICS))
def test_metrics_lie_in_the_unit_interval(name, data):
    y_true, y_score, k = data
    value = METRICS[name](y_true, y_score, k=k)
    assert 0.0 <= value <= 1.0


@FEW
@given(data=rankings())
def test_ideal_ranking_has_ndcg_one(data):
    y_true, _, k = data
    # Scoring items by their relevance is an ideal ranking, ties or not.
    assert ndcg_at_k(y_true, y_true, k=k) == pytest.approx(1.0)
    assert hit_rate_at_k(y_true, y_true, k=k) == 1.0
    assert recall_at_k(y_true, y_true, k=y_true.shape[1]) == pytest.approx(1.0)


@FEW
@given(data=rankings(), seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("name", sorted(METRICS))
def test_metrics_ignore_the_order_of_users(name, data, seed):
    y_true, y_score, k = data
    order = np.random.RandomState(seed).permutation(len(y_true))
    assert METRICS[name](y_true[order], y_score[order], k=k) == pytest.approx(
        METRICS[name](y_true, y_score, k=k), rel=1e-12
    )


@FEW
@given(data=rankings(tie_free=True), seed=st.integers(0, 2**32 - 1))
@pytest.mark.parametrize("name", sorted(METRICS))
def test_metrics_ignore_the_order_of_items_without_ties(name, data, seed):
    y_true, y_score, k = data
    order = np.random.RandomState(seed).permutation(y_true.shape[1])
    assert METRICS[name](y_true[:, order], y_score[:, order], k=k) == pytest.approx(
        METRICS[name](y_true, y_score, k=k), rel=1e-12
    )


@FEW
@given(data=rankings(tie_free=True))
def test_ndcg_equals_sklearn_without_ties(data):
    y_true, y_score, k = data
    # sklearn keeps all-zero rows (as 0) where ndcg_at_k skips them.
    relevant = y_true.any(axis=1)
    y_true, y_score = y_true[relevant], y_score[relevant]
    assume(y_true.shape[1] > 1)  # sklearn needs two items or more
    assert ndcg_at_k(y_true, y_score, k=k) == pytest.approx(
        ndcg_score(y_true, y_score, k=k), rel=1e-9
    )


@FEW
@given(data=rankings(graded=False))
def test_precision_and_recall_count_the_hits(data):
    y_true, y_score, k = data
    keep = y_true.any(axis=1)
    top = np.argsort(-y_score, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(y_true, top, axis=1).sum(axis=1)[keep]
    assert precision_at_k(y_true, y_score, k=k) == pytest.approx(np.mean(hits / k))
    assert recall_at_k(y_true, y_score, k=k) == pytest.approx(
        np.mean(hits / y_true.sum(axis=1)[keep])
    )


# --------------------------------------------------------------------------- #
# Splitters
# --------------------------------------------------------------------------- #
@st.composite
def interactions(draw, min_rows=1):
    """[user, item, timestamp] rows: repeated users, pairs and timestamps."""
    n_rows = draw(st.integers(min_rows, 60))
    users = draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, 7)))
    items = draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, 9)))
    times = draw(hnp.arrays(np.int64, n_rows, elements=st.integers(0, 20)))
    return np.column_stack([users, items, times])


def _counts(X):
    users, counts = np.unique(X[:, 0], return_counts=True)
    return dict(zip(users.tolist(), counts.tolist()))


@FEW
@given(
    X=interactions(),
    n_splits=st.integers(2, 4),
    shuffle=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_per_user_kfold_partitions_each_eligible_user(X, n_splits, shuffle, seed):
    counts = _counts(X)
    eligible = np.array([counts[u] >= n_splits for u in X[:, 0].tolist()])
    cv = PerUserKFold(n_splits, shuffle=shuffle, random_state=seed if shuffle else None)
    if not eligible.any():
        with pytest.raises(ValueError, match="No user has at least n_splits"):
            list(cv.split(X))
        return
    splits = list(cv.split(X))
    assert len(splits) == n_splits == cv.get_n_splits(X)
    seen = np.zeros(len(X), dtype=int)
    for train, test in splits:
        # Every row is in exactly one of train and test.
        assert np.intersect1d(train, test).size == 0
        assert np.union1d(train, test).tolist() == list(range(len(X)))
        # Every test user has training rows; rare users are never tested.
        assert set(X[test, 0].tolist()) <= set(X[train, 0].tolist())
        assert eligible[test].all()
        # A user's test rows differ by at most one between folds.
        seen[test] += 1
    assert (seen == eligible).all()  # the test folds cover eligible rows once
    for user in np.unique(X[eligible, 0]).tolist():
        sizes = [np.sum(X[test, 0] == user) for _, test in splits]
        assert max(sizes) - min(sizes) <= 1


@FEW
@given(
    X=interactions(),
    test_size=st.floats(0.05, 0.95),
    shuffle=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_train_test_split_interactions_partitions_rows(X, test_size, shuffle, seed):
    counts = _counts(X)
    rows = np.arange(len(X))
    X_rows = np.column_stack([X, rows])  # track each row
    if max(counts.values()) < 2:
        with pytest.raises(ValueError, match="at least 2 interactions"):
            train_test_split_interactions(X_rows, rows, test_size=test_size)
        return
    X_train, X_test, y_train, y_test = train_test_split_interactions(
        X_rows, rows, test_size=test_size, shuffle=shuffle, random_state=seed
    )
    # Each row exactly once, y split along with X, original order kept.
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == rows.tolist()
    assert (X_train[:, -1] == y_train).all() and (X_test[:, -1] == y_test).all()
    assert (np.diff(y_train) > 0).all() and (np.diff(y_test) > 0).all()
    # Every test user keeps training rows; the per-user count is documented.
    assert set(X_test[:, 0].tolist()) <= set(X_train[:, 0].tolist())
    test_counts = _counts(X_test) if len(X_test) else {}
    for user, n in counts.items():
        expected = (
            0 if n < 2 else min(max(int(np.floor(test_size * n + 0.5)), 1), n - 1)
        )
        assert test_counts.get(user, 0) == expected


@FEW
@given(X=interactions(), n=st.integers(1, 3), by_time=st.booleans())
def test_leave_last_out_holds_out_the_latest(X, n, by_time):
    cv = LeaveLastOut(n, time_column=2 if by_time else None)
    counts = _counts(X)
    if max(counts.values()) <= n:
        # Nobody has more than n rows: every test set would be empty.
        with pytest.raises(ValueError):
            list(cv.split(X))
        return
    ((train, test),) = list(cv.split(X))
    assert np.intersect1d(train, test).size == 0
    assert np.union1d(train, test).tolist() == list(range(len(X)))
    time = X[:, 2] if by_time else np.arange(len(X))
    for user, count in counts.items():
        mine = X[:, 0] == user
        held = np.flatnonzero(mine)[np.isin(np.flatnonzero(mine), test)]
        kept = np.flatnonzero(mine)[np.isin(np.flatnonzero(mine), train)]
        assert len(held) == (n if count > n else 0)
        if len(held):
            # No leakage: nothing in train is later than the held-out rows
            # (ties in time: the later row counts as more recent).
            latest_kept = max((time[i], i) for i in kept)
            assert all((time[i], i) > latest_kept for i in held)


# --------------------------------------------------------------------------- #
# Attention
# --------------------------------------------------------------------------- #
def _qkv(seed, batch, n, m, d, scale):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, 2, n, d, generator=g) * scale
    k = torch.randn(batch, 2, m, d, generator=g) * scale
    v = torch.randn(batch, 2, m, d, generator=g)
    return q, k, v


shapes = st.tuples(
    st.integers(0, 2**31 - 1),  # seed
    st.integers(1, 3),  # batch
    st.integers(1, 12),  # queries
    st.integers(1, 12),  # keys
    st.sampled_from([1, 4, 8]),  # head size
    st.sampled_from([1e-3, 1.0, 10.0, 1e2, 1e4]),  # logit scale
)


@FEW
@given(shape=shapes, causal=st.booleans())
def test_attention_weights_are_a_distribution(shape, causal):
    q, k, v = _qkv(*shape)
    out, weights = scaled_dot_product_attention(
        q, k, v, causal=causal, return_weights=True
    )
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    assert (weights >= 0).all()
    # Queries are the last n of the m positions: with causal and n > m the
    # first n - m queries have no key at all and get zero weights (documented).
    n, m = q.shape[-2], k.shape[-2]
    has_key = torch.ones(n, dtype=torch.bool)
    if causal:
        has_key = torch.arange(n) + m - n >= 0
        assert (weights.triu(diagonal=m - n + 1) == 0).all()
    expected = has_key.float().expand(weights.shape[:-1])
    torch.testing.assert_close(weights.sum(-1), expected)
    assert (out[..., ~has_key, :] == 0).all()
    # Elsewhere the output is a convex combination of the values.
    inside = out[..., has_key, :]
    assert (inside <= v.amax(dim=-2, keepdim=True) + 1e-4).all()
    assert (inside >= v.amin(dim=-2, keepdim=True) - 1e-4).all()
    # The fused path computes the same output.
    fused = scaled_dot_product_attention(q, k, v, causal=causal)
    torch.testing.assert_close(fused, out, rtol=1e-4, atol=1e-4)


@FEW
@given(shape=shapes, mask_seed=st.integers(0, 2**31 - 1))
def test_masked_keys_get_zero_weight(shape, mask_seed):
    q, k, v = _qkv(*shape)
    g = torch.Generator().manual_seed(mask_seed)
    mask = torch.rand(q.shape[0], 1, q.shape[-2], k.shape[-2], generator=g) < 0.6
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    assert (weights.masked_select(~mask) == 0).all()
    # Rows with a key left sum to 1; rows with none are all zero, output too.
    any_key = mask.any(dim=-1).expand(weights.shape[:-1])
    sums = weights.sum(-1)
    torch.testing.assert_close(sums[any_key], torch.ones_like(sums[any_key]))
    assert (sums[~any_key] == 0).all()
    assert (out[~any_key] == 0).all()
    fused = scaled_dot_product_attention(q, k, v, mask=mask)
    torch.testing.assert_close(fused, out, rtol=1e-4, atol=1e-4)


@FEW
@given(
    seed=st.integers(0, 2**31 - 1),
    T=st.integers(2, 16),
    t=st.integers(0, 14),
    return_weights=st.booleans(),
)
def test_causal_output_ignores_the_future(seed, T, t, return_weights):
    assume(t < T - 1)
    q, k, v = _qkv(seed, 2, T, T, 4, 1.0)
    g = torch.Generator().manual_seed(seed + 1)
    # Change every query, key and value after position t.
    q2, k2, v2 = (x.clone() for x in (q, k, v))
    for x in (q2, k2, v2):
        x[..., t + 1 :, :] = torch.randn(x[..., t + 1 :, :].shape, generator=g) * 5

    def run(q, k, v):
        result = scaled_dot_product_attention(
            q, k, v, causal=True, return_weights=return_weights
        )
        return result[0] if return_weights else result

    before, after = run(q, k, v), run(q2, k2, v2)
    torch.testing.assert_close(after[..., : t + 1, :], before[..., : t + 1, :])
    assert not torch.allclose(after[..., t + 1 :, :], before[..., t + 1 :, :])


@FEW
@given(seed=st.integers(0, 2**31 - 1), T=st.integers(2, 12), t=st.integers(0, 10))
def test_causal_multi_head_attention_ignores_the_future(seed, T, t):
    assume(t < T - 1)
    with torch.random.fork_rng(devices=[]):  # leave the global state alone
        torch.manual_seed(0)
        attention = MultiHeadAttention(8, 2).eval()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, T, 8, generator=g)
    x2 = x.clone()
    x2[:, t + 1 :] = torch.randn(x2[:, t + 1 :].shape, generator=g)
    with torch.no_grad():
        before, after = attention(x, causal=True), attention(x2, causal=True)
    torch.testing.assert_close(after[:, : t + 1], before[:, : t + 1])


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_long_sequences_stay_finite(scale):
    q, k, v = _qkv(0, 1, 2048, 2048, 8, scale)
    out, weights = scaled_dot_product_attention(
        q, k, v, causal=True, return_weights=True
    )
    assert torch.isfinite(out).all() and torch.isfinite(weights).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:-1]))
    assert (weights.triu(diagonal=1) == 0).all()
    fused = scaled_dot_product_attention(q, k, v, causal=True)
    assert torch.isfinite(fused).all()
    torch.testing.assert_close(fused, out, rtol=1e-4, atol=1e-4)
