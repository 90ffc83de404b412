"""Recommendations for every user: ``iter_recommendations``' blocks and the
top-k selection behind every ranking (issue 16, item 2).

Timings and memory at scale are measured by ``benchmarks/bench_recommend_all.py``;
these tests pin what makes that run correct and bounded.
"""

import numpy as np
import pytest

from sklearn_attnrec import MatrixFactorization, base, make_interactions
from sklearn_attnrec.utils import _topk
from sklearn_attnrec.utils._topk import topk_block, topk_indices


@pytest.fixture(scope="module")
def model():
    X, _ = make_interactions(
        n_users=53, n_items=30, density=0.2, implicit=True, random_state=0
    )
    return MatrixFactorization(
        feedback="implicit", n_components=4, max_iter=3, random_state=0
    ).fit(X)


@pytest.mark.parametrize("block_size", [1, 7, 20, 53, 1000])
def test_block_size_sets_the_yielded_blocks(model, block_size, monkeypatch):
    pd = pytest.importorskip("pandas")
    monkeypatch.setattr(base, "_USER_BLOCK", 5)  # scored 5 users at a time
    expected = model.recommend(model.user_ids_, n=4, as_frame=True)
    frames = list(model.iter_recommendations(n=4, block_size=block_size))
    assert len(frames) == -(-53 // block_size)
    assert [f["user"].nunique() for f in frames[:-1]] == [block_size] * (
        len(frames) - 1
    )
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), expected)
    triples = list(
        model.iter_recommendations(n=4, block_size=block_size, as_frame=False)
    )
    np.testing.assert_array_equal(
        np.concatenate([t[0] for t in triples]), model.user_ids_
    )
    items, scores = model.recommend(model.user_ids_, n=4)
    np.testing.assert_array_equal(np.vstack([t[1] for t in triples]), items)
    np.testing.assert_array_equal(np.vstack([t[2] for t in triples]), scores)


def test_large_blocks_are_still_scored_a_few_users_at_a_time(model, monkeypatch):
    # Bounded memory: a block of 1000 users holds 1000 top-n lists, but the
    # model never scores more than user_block_size users at once.
    monkeypatch.setattr(base, "_USER_BLOCK", 6)
    sizes = []
    score_items = model._score_items

    def spy(users):
        sizes.append(len(users))
        return score_items(users)

    monkeypatch.setattr(model, "_score_items", spy)
    users = np.tile(model.user_ids_, 3)
    n_rows = sum(
        len(f) for f in model.iter_recommendations(users, n=2, block_size=1000)
    )
    assert n_rows == 2 * len(users)
    assert max(sizes) == 6 and sum(sizes) == len(users)


def test_default_block_is_the_scoring_block(model, monkeypatch):
    # Room for the scores of 4 users.
    monkeypatch.setattr(base, "_SCORES_PER_BLOCK", 4 * len(model.item_ids_))
    frames = list(model.iter_recommendations(n=3))
    assert [f["user"].nunique() for f in frames] == [4] * 13 + [1]


@pytest.mark.parametrize("block_size", [0, -3, 2.5, "10", True])
def test_bad_block_size(model, block_size):
    with pytest.raises(ValueError, match="block_size must be a positive integer"):
        next(model.iter_recommendations(n=2, block_size=block_size))


DTYPES = [np.float64, np.float32, np.float16, np.int64, np.dtype(">f8")]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_topk_equals_stable_argsort_with_ties_and_infinities(dtype):
    rng = np.random.default_rng(0)
    for trial in range(40):
        n_rows, n_cols = rng.integers(1, 25), rng.integers(1, 80)
        # Few distinct values: ties at the k-th position are the rule.
        scores = rng.integers(0, rng.integers(1, 6), size=(n_rows, n_cols))
        scores = scores.astype(float)
        if dtype != np.int64:
            scores[rng.random(scores.shape) < 0.1] = -np.inf
            scores[rng.random(scores.shape) < 0.05] = np.inf
        scores = scores.astype(dtype)
        if trial % 3 == 0:
            scores.flags.writeable = False
        if trial % 4 == 0:
            scores = np.asfortranarray(scores)
        full = np.argsort(-scores.astype(float), axis=1, kind="stable")
        for k in {1, 2, 5, n_cols - 1, n_cols, n_cols + 2} - {0}:
            np.testing.assert_array_equal(topk_indices(scores, k), full[:, :k])


def test_topk_on_a_wide_catalogue():
    # The shape of the benchmark: 100,000 items, top 50, distinct scores in
    # some rows, a tie straddling the 50th place in others, seen items -inf.
    rng = np.random.default_rng(1)
    scores = rng.standard_normal((6, 100_000))
    scores[1, rng.choice(100_000, 200, replace=False)] = 10.0  # 200 tied best
    scores[2, -60:] = 9.0  # 60 tied at the end, 40 distinct ones above them
    scores[2, rng.choice(99_940, 40, replace=False)] = 20.0 + np.arange(40)
    scores[3, :] = -np.inf
    scores[4, rng.choice(100_000, 99_990, replace=False)] = -np.inf
    full = np.argsort(-scores, axis=1, kind="stable")
    for dtype in (np.float64, np.float32):
        np.testing.assert_array_equal(
            topk_block(scores.astype(dtype), 50), full[:, :50]
        )


def test_topk_fallback_for_other_float_types(monkeypatch):
    # The numpy path (no torch) gives the same answer.
    rng = np.random.default_rng(2)
    scores = rng.integers(0, 4, size=(30, 200)).astype(np.float64)
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :17]
    values, cols = _topk._largest(scores.astype(np.longdouble), 18)
    assert (np.diff(values, axis=1) <= 0).all()
    np.testing.assert_array_equal(
        topk_block(scores.astype(np.longdouble), 17), expected
    )
    np.testing.assert_array_equal(topk_block(scores, 17), expected)
