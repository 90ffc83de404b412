"""Tests for the top-k ranking metrics of ``sklearn_attnrec.metrics``."""

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import ndcg_score

from sklearn_attnrec.metrics import (
    _ranking,
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from sklearn_attnrec.metrics._ranking import _METRICS, _ranking_metric_from_gains
from sklearn_attnrec.utils import _topk
from sklearn_attnrec.utils._topk import topk_indices

ALL_METRICS = [
    precision_at_k,
    recall_at_k,
    ndcg_at_k,
    hit_rate_at_k,
    average_precision_at_k,
    reciprocal_rank,
]

# --------------------------------------------------------------------------- #
# Worked example
# --------------------------------------------------------------------------- #
# user 0: graded relevance, relevant items {0, 2, 4} (|R| = 3)
# user 1: one relevant item {1}
# user 2: no relevant item -> skipped by every metric
Y_TRUE = np.array(
    [
        [3, 0, 2, 0, 1],
        [0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ],
    dtype=float,
)
Y_SCORE = np.array(
    [
        # ranking: item1, item2, item4, item3, item0 -> gains 0, 2, 1, 0, 3
        [0.1, 0.9, 0.8, 0.3, 0.5],
        # ranking: item0, item1, item2, ... -> gains 0, 1, 0, 0, 0
        [0.5, 0.4, 0.3, 0.2, 0.1],
        [0.3, 0.1, 0.2, 0.5, 0.4],
    ]
)
L3 = math.log2(3)  # discount of rank 2


def test_worked_example_precision():
    # u0: hits at ranks 2, 3 -> 2/3 ; u1: hit at rank 2 -> 1/3 ; mean = 1/2
    assert precision_at_k(Y_TRUE, Y_SCORE, k=3) == pytest.approx(0.5)
    # k=1: nobody has a hit at rank 1
    assert precision_at_k(Y_TRUE, Y_SCORE, k=1) == pytest.approx(0.0)


def test_worked_example_recall():
    # u0: 2 of 3 relevant found -> 2/3 ; u1: 1 of 1 -> 1 ; mean = 5/6
    assert recall_at_k(Y_TRUE, Y_SCORE, k=3) == pytest.approx(5 / 6)
    # k=2: u0 1/3, u1 1 -> 2/3
    assert recall_at_k(Y_TRUE, Y_SCORE, k=2) == pytest.approx(2 / 3)


def test_worked_example_hit_rate():
    # both users have a hit within 2; none at rank 1
    assert hit_rate_at_k(Y_TRUE, Y_SCORE, k=2) == pytest.approx(1.0)
    assert hit_rate_at_k(Y_TRUE, Y_SCORE, k=1) == pytest.approx(0.0)


def test_worked_example_average_precision():
    # u0: hits at 2 (P@2 = 1/2) and 3 (P@3 = 2/3): (1/2 + 2/3) / min(3, 3) = 7/18
    # u1: hit at 2 (P@2 = 1/2): (1/2) / min(3, 1) = 1/2
    # mean = (7/18 + 9/18) / 2 = 4/9
    assert average_precision_at_k(Y_TRUE, Y_SCORE, k=3) == pytest.approx(4 / 9)
    # k=5: u0 also hits at 5 (P@5 = 3/5): (1/2 + 2/3 + 3/5) / 3 = 53/90 ; u1 1/2
    assert average_precision_at_k(Y_TRUE, Y_SCORE, k=5) == pytest.approx(
        (53 / 90 + 1 / 2) / 2
    )


def test_worked_example_reciprocal_rank():
    # first hit at rank 2 for both users -> (1/2 + 1/2) / 2
    assert reciprocal_rank(Y_TRUE, Y_SCORE) == pytest.approx(0.5)
    assert reciprocal_rank(Y_TRUE, Y_SCORE, k=2) == pytest.approx(0.5)
    # cut-off 1: no hit at rank 1 -> 0 for both
    assert reciprocal_rank(Y_TRUE, Y_SCORE, k=1) == pytest.approx(0.0)


def test_worked_example_ndcg_graded():
    # DCG@k = sum_i rel_i / log2(i + 1)
    # u0 top-3 gains 0, 2, 1: DCG = 0/1 + 2/log2(3) + 1/log2(4)
    #    ideal gains 3, 2, 1: IDCG = 3/1 + 2/log2(3) + 1/log2(4)
    # u1 top-3 gains 0, 1, 0: DCG = 1/log2(3) ; IDCG = 1/1
    u0 = (2 / L3 + 1 / 2) / (3 + 2 / L3 + 1 / 2)
    u1 = 1 / L3
    assert ndcg_at_k(Y_TRUE, Y_SCORE, k=3) == pytest.approx((u0 + u1) / 2)
    assert (u0 + u1) / 2 == pytest.approx(0.500462, abs=1e-6)


def test_worked_example_ndcg_binary():
    # binarised u0: top-3 gains 0, 1, 1 ; ideal 1, 1, 1
    u0 = (1 / L3 + 1 / 2) / (1 + 1 / L3 + 1 / 2)
    u1 = 1 / L3
    y_bin = (Y_TRUE > 0).astype(int)
    assert ndcg_at_k(y_bin, Y_SCORE, k=3) == pytest.approx((u0 + u1) / 2)
    # graded and binary relevance give different values on user 0
    assert ndcg_at_k(y_bin, Y_SCORE, k=3) != pytest.approx(
        ndcg_at_k(Y_TRUE, Y_SCORE, k=3)
    )


def test_dcg_formula_lecture():
    # Single user, ranking already in item order: rel = (3, 2, 3, 0, 1, 2).
    rel = np.array([3.0, 2, 3, 0, 1, 2])
    score = -np.arange(6.0)  # item 0 ranked first
    dcg = sum(rel[i - 1] / math.log2(i + 1) for i in range(1, 7))
    ideal = np.sort(rel)[::-1]
    idcg = sum(ideal[i - 1] / math.log2(i + 1) for i in range(1, 7))
    assert dcg == pytest.approx(6.861, abs=1e-3)  # textbook value
    assert ndcg_at_k([rel], [score], k=6) == pytest.approx(dcg / idcg)
    # and the per-user core gives the same number
    value = _ranking_metric_from_gains("ndcg", [rel], [ideal], [5])
    assert value[0] == pytest.approx(dcg / idcg)


# --------------------------------------------------------------------------- #
# Slow, obvious reference implementation
# --------------------------------------------------------------------------- #
def _reference(metric, y_true, y_score, k):
    y_true = np.asarray(y_true, dtype=float)
    y_score = np.asarray(y_score, dtype=float)
    n_users, n_items = y_true.shape
    kk = n_items if k is None else k
    values = []
    for u in range(n_users):
        relevant = {j for j in range(n_items) if y_true[u, j] > 0}
        if not relevant:
            continue
        ranking = sorted(range(n_items), key=lambda j: (-y_score[u, j], j))[:kk]
        hits = [j in relevant for j in ranking]
        if metric == "precision":
            values.append(sum(hits) / kk)
        elif metric == "recall":
            values.append(sum(hits) / len(relevant))
        elif metric == "hit_rate":
            values.append(float(any(hits)))
        elif metric == "reciprocal_rank":
            rr = 0.0
            for i, hit in enumerate(hits, start=1):
                if hit:
                    rr = 1 / i
                    break
            values.append(rr)
        elif metric == "average_precision":
            total = 0.0
            for i in range(1, len(hits) + 1):
                if hits[i - 1]:
                    total += sum(hits[:i]) / i
            values.append(total / min(kk, len(relevant)))
        elif metric == "ndcg":
            dcg = sum(y_true[u, j] / math.log2(i + 1) for i, j in enumerate(ranking, 1))
            ideal = sorted(y_true[u], reverse=True)[:kk]
            idcg = sum(g / math.log2(i + 1) for i, g in enumerate(ideal, 1))
            values.append(dcg / idcg)
    return float(np.mean(values))


@pytest.mark.parametrize("metric", list(_METRICS))
@pytest.mark.parametrize("seed", range(4))
def test_matches_reference_implementation(metric, seed, monkeypatch):
    # small blocks so that several blocks (and a ragged last one) are used
    monkeypatch.setattr(_ranking, "_BLOCK_SIZE", 7)
    rng = np.random.RandomState(seed)
    n_users, n_items = rng.randint(1, 40), rng.randint(1, 15)
    y_true = rng.randint(0, 4, size=(n_users, n_items)) * (
        rng.rand(n_users, n_items) < 0.3
    )
    y_true[0, rng.randint(n_items)] = 2  # at least one relevant item
    # integer scores on a small range: many ties
    y_score = rng.randint(0, 4, size=(n_users, n_items)).astype(float)
    func = _METRICS[metric]
    ks = [1, 3, n_items, n_items + 2]
    if metric == "reciprocal_rank":
        ks.append(None)
    for k in ks:
        expected = _reference(metric, y_true, y_score, k)
        assert func(y_true, y_score, k=k) == pytest.approx(expected), k


# --------------------------------------------------------------------------- #
# Agreement with scikit-learn
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("seed", range(6))
def test_ndcg_equals_sklearn_ndcg_score(seed):
    rng = np.random.RandomState(seed)
    for n_users, n_items in [(1, 2), (5, 3), (20, 10), (50, 40), (3, 100)]:
        y_score = rng.rand(n_users, n_items)  # continuous: no ties
        graded = rng.randint(0, 5, size=(n_users, n_items))
        binary = (rng.rand(n_users, n_items) < 0.2).astype(int)
        for y_true in (graded, binary):
            # every user needs a relevant item (sklearn keeps empty rows as 0)
            y_true[np.arange(n_users), rng.randint(n_items, size=n_users)] = 1 + (
                y_true.max() > 1
            )
            for k in {1, 2, 5, n_items, n_items + 3}:
                assert ndcg_at_k(y_true, y_score, k=k) == pytest.approx(
                    ndcg_score(y_true, y_score, k=k)
                ), (n_users, n_items, k)


# --------------------------------------------------------------------------- #
# Input formats
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("func", ALL_METRICS)
def test_sparse_inputs_equal_dense(func, monkeypatch):
    monkeypatch.setattr(_ranking, "_BLOCK_SIZE", 4)
    rng = np.random.RandomState(0)
    y_true = rng.randint(0, 3, size=(11, 9)) * (rng.rand(11, 9) < 0.4)
    y_true[:, 0] = 1
    y_score = rng.rand(11, 9) * (rng.rand(11, 9) < 0.5)
    dense = func(y_true, y_score, k=4)
    for fmt in ("csr", "csc", "coo"):
        assert func(sp.csr_matrix(y_true).asformat(fmt), y_score, k=4) == (
            pytest.approx(dense)
        )
        assert func(y_true, sp.csr_matrix(y_score).asformat(fmt), k=4) == (
            pytest.approx(dense)
        )
    assert func(sp.csr_array(y_true), sp.csr_array(y_score), k=4) == (
        pytest.approx(dense)
    )


@pytest.mark.parametrize("func", ALL_METRICS)
def test_returns_python_float(func):
    assert type(func(Y_TRUE, Y_SCORE, k=2)) is float


def test_boolean_and_list_inputs():
    y_bool = Y_TRUE > 0
    assert precision_at_k(y_bool, Y_SCORE, k=3) == pytest.approx(0.5)
    assert precision_at_k(y_bool.tolist(), Y_SCORE.tolist(), k=3) == (
        pytest.approx(0.5)
    )


# --------------------------------------------------------------------------- #
# Users without relevant items
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("metric", list(_METRICS))
def test_users_without_relevant_items_are_skipped(metric):
    rng = np.random.RandomState(1)
    y_true = (rng.rand(30, 8) < 0.2).astype(float)
    y_true[::3] = 0  # every third user has nothing relevant
    y_true[1, 2] = 1
    y_score = rng.rand(30, 8)
    func = _METRICS[metric]
    keep = y_true.sum(axis=1) > 0
    # manual mean over the users that have a relevant item
    per_user = [func(y_true[[u]], y_score[[u]], k=3) for u in np.flatnonzero(keep)]
    assert func(y_true, y_score, k=3) == pytest.approx(np.mean(per_user))
    assert func(y_true[keep], y_score[keep], k=3) == pytest.approx(np.mean(per_user))


@pytest.mark.parametrize("func", ALL_METRICS)
def test_all_users_empty_gives_nan_and_warning(func):
    y_true = np.zeros((4, 5))
    y_score = np.random.RandomState(0).rand(4, 5)
    with pytest.warns(UndefinedMetricWarning, match="no user has a relevant"):
        value = func(y_true, y_score, k=2)
    assert math.isnan(value)
    with pytest.warns(UndefinedMetricWarning):
        assert math.isnan(func(sp.csr_matrix(y_true), y_score, k=2))


def test_no_warning_when_defined():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ndcg_at_k(Y_TRUE, Y_SCORE, k=2)


# --------------------------------------------------------------------------- #
# Ties and top-k helper
# --------------------------------------------------------------------------- #
def test_ties_broken_by_item_index():
    y_score = np.array([[1.0, 1.0, 1.0, 1.0]])
    # lower column ranks first: item 0 first, then 1, 2, 3
    assert precision_at_k([[1, 0, 0, 0]], y_score, k=1) == 1.0
    assert precision_at_k([[0, 0, 0, 1]], y_score, k=1) == 0.0
    assert reciprocal_rank([[0, 0, 0, 1]], y_score) == pytest.approx(1 / 4)
    # same answer on every call and with shuffled-looking but equal scores
    values = {ndcg_at_k([[0, 1, 0, 2]], y_score, k=2) for _ in range(5)}
    assert len(values) == 1


def test_topk_indices_rank_order_and_ties():
    y_score = np.array(
        [
            [0.2, 0.9, 0.2, 0.5, 0.2],
            [1.0, 1.0, 1.0, 1.0, 1.0],
            [-np.inf, 3.0, np.inf, 3.0, 0.0],
        ]
    )
    np.testing.assert_array_equal(
        topk_indices(y_score, 3), [[1, 3, 0], [0, 1, 2], [2, 1, 3]]
    )
    np.testing.assert_array_equal(
        topk_indices(y_score, 10), [[1, 3, 0, 2, 4], [0, 1, 2, 3, 4], [2, 1, 3, 4, 0]]
    )
    np.testing.assert_array_equal(
        topk_indices(sp.csr_matrix(np.where(np.isinf(y_score), 0, y_score)), 2),
        [[1, 3], [0, 1], [1, 3]],
    )


def test_topk_indices_matches_stable_argsort(monkeypatch):
    monkeypatch.setattr(_topk, "_BLOCK_ROWS", 5)
    rng = np.random.RandomState(3)
    y_score = rng.randint(0, 3, size=(23, 17)).astype(float)
    full = np.argsort(-y_score, axis=1, kind="stable")
    for k in (1, 4, 16, 17, 30):
        np.testing.assert_array_equal(topk_indices(y_score, k), full[:, :k])


# --------------------------------------------------------------------------- #
# Shared core
# --------------------------------------------------------------------------- #
def test_core_counts_unranked_relevant_items_as_misses():
    top = np.array([[1.0, 0.0], [0.0, 0.0]])
    ideal = np.array([[1.0, 1.0], [1.0, 0.0]])
    n_relevant = np.array([4, 1])  # more relevant items than ranked
    np.testing.assert_allclose(
        _ranking_metric_from_gains("recall", top, ideal, n_relevant), [0.25, 0.0]
    )
    np.testing.assert_allclose(
        _ranking_metric_from_gains("average_precision", top, ideal, n_relevant),
        [0.5, 0.0],  # 1 / min(2, 4)
    )
    np.testing.assert_allclose(
        _ranking_metric_from_gains("precision", top, ideal, n_relevant), [0.5, 0.0]
    )


def test_core_zero_relevant_users_get_zero():
    top = np.zeros((2, 3))
    for metric in _METRICS:
        values = _ranking_metric_from_gains(metric, top, top, np.zeros(2, int))
        np.testing.assert_array_equal(values, [0.0, 0.0])


def test_core_unknown_metric():
    with pytest.raises(ValueError, match="Unknown ranking metric"):
        _ranking_metric_from_gains("map", np.zeros((1, 2)), np.zeros((1, 2)), [1])


# --------------------------------------------------------------------------- #
# k larger than n_items
# --------------------------------------------------------------------------- #
def test_k_larger_than_n_items():
    y_true = [[1, 0, 1]]
    y_score = [[0.3, 0.2, 0.1]]
    # 2 relevant items among the 3 ranked, precision still divides by k=10
    assert precision_at_k(y_true, y_score, k=10) == pytest.approx(2 / 10)
    assert recall_at_k(y_true, y_score, k=10) == pytest.approx(1.0)
    assert hit_rate_at_k(y_true, y_score, k=10) == pytest.approx(1.0)
    # hits at ranks 1 and 3: (1 + 2/3) / min(10, 2)
    assert average_precision_at_k(y_true, y_score, k=10) == pytest.approx(5 / 6)
    assert ndcg_at_k(y_true, y_score, k=10) == pytest.approx(
        ndcg_at_k(y_true, y_score, k=3)
    )


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("func", ALL_METRICS)
def test_shape_mismatch(func):
    with pytest.raises(ValueError, match="same shape"):
        func(np.ones((2, 3)), np.ones((2, 4)), k=1)


@pytest.mark.parametrize("func", ALL_METRICS)
def test_not_2d(func):
    with pytest.raises(ValueError, match="2D array"):
        func(np.ones(3), np.ones(3), k=1)


@pytest.mark.parametrize("func", ALL_METRICS)
@pytest.mark.parametrize("k", [0, -1])
def test_k_not_positive(func, k):
    with pytest.raises(ValueError, match="k"):
        func(np.ones((2, 3)), np.ones((2, 3)), k=k)


@pytest.mark.parametrize("func", ALL_METRICS)
@pytest.mark.parametrize("k", [1.5, "3", True])
def test_k_not_int(func, k):
    with pytest.raises(ValueError, match="k must be a positive int"):
        func(np.ones((2, 3)), np.ones((2, 3)), k=k)


def test_k_none_only_for_reciprocal_rank():
    with pytest.raises(ValueError, match="k must be a positive int"):
        precision_at_k(Y_TRUE, Y_SCORE, k=None)
    assert reciprocal_rank(Y_TRUE, Y_SCORE, k=None) == pytest.approx(0.5)
    assert precision_at_k(Y_TRUE, Y_SCORE, k=np.int64(3)) == pytest.approx(0.5)


@pytest.mark.parametrize("func", ALL_METRICS)
def test_nan_in_y_score(func):
    y_score = Y_SCORE.copy()
    y_score[1, 2] = np.nan
    with pytest.raises(ValueError, match="y_score contains NaN"):
        func(Y_TRUE, y_score, k=2)
    with pytest.raises(ValueError, match="y_score contains NaN"):
        func(Y_TRUE, sp.csr_matrix(y_score), k=2)


def test_inf_in_y_score_allowed():
    y_score = Y_SCORE.copy()
    y_score[1, 0] = -np.inf  # demote item 0 of user 1: item 1 now ranked first
    assert reciprocal_rank(Y_TRUE, y_score) == pytest.approx((1 / 2 + 1) / 2)


@pytest.mark.parametrize("func", ALL_METRICS)
def test_negative_relevance(func):
    y_true = Y_TRUE.copy()
    y_true[0, 1] = -1
    with pytest.raises(ValueError, match="negative relevance"):
        func(y_true, Y_SCORE, k=2)
    with pytest.raises(ValueError, match="negative relevance"):
        func(sp.csr_matrix(y_true), Y_SCORE, k=2)


def test_nan_in_y_true():
    y_true = Y_TRUE.copy()
    y_true[0, 1] = np.nan
    with pytest.raises(ValueError, match="y_true"):
        ndcg_at_k(y_true, Y_SCORE, k=2)


def test_metrics_mapping():
    assert set(_METRICS) == {
        "precision",
        "recall",
        "ndcg",
        "hit_rate",
        "average_precision",
        "reciprocal_rank",
    }
    assert _METRICS["ndcg"] is ndcg_at_k
