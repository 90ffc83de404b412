"""Top-k ranking metrics for recommendation.

Every public metric follows the same pipeline, so that each metric has exactly
one definition:

1. validate ``y_true`` (relevance) and ``y_score`` (predicted scores);
2. for a block of users at a time, select the top-``k`` items of each user
   with :func:`_topk_indices` (deterministic tie-breaking);
3. look up the relevance *gain* of each recommended item (``top_gains``), the
   user's ideal gains (``ideal_gains``) and the number of relevant items
   (``n_relevant``);
4. compute per-user values with :func:`_ranking_metric_from_gains`;
5. average over the users that have at least one relevant item.

Notation used in the docstrings: for a user :math:`u`, :math:`R_u` is the set
of relevant items (``y_true[u] > 0``), :math:`\\mathrm{rel}_i` is the relevance
of the item ranked at position :math:`i` (1-based) by ``y_score[u]``, and
:math:`\\mathrm{top}_k(u)` is the set of the :math:`k` best-scored items.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_array, gen_batches

from ..utils._topk import dense_rows as _dense_rows
from ..utils._topk import topk_block as _topk_block
from ..utils._validation import check_scalar

__all__ = [
    "average_precision_at_k",
    "hit_rate_at_k",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "reciprocal_rank",
]

# Number of users (rows) processed at once; bounds the memory of the dense
# temporaries to ``_BLOCK_SIZE * n_items`` elements.
_BLOCK_SIZE = 1024

_METRIC_NAMES = (
    "precision",
    "recall",
    "ndcg",
    "hit_rate",
    "average_precision",
    "reciprocal_rank",
)


# --------------------------------------------------------------------------- #
# Shared core
# --------------------------------------------------------------------------- #
def _ranking_metric_from_gains(metric, top_gains, ideal_gains, n_relevant):
    """Per-user value of a ranking metric from the gains of a ranked list.

    This is the single definition of every metric of this module; the public
    functions and the scorers only prepare its inputs.

    Parameters
    ----------
    metric : {"precision", "recall", "ndcg", "hit_rate", \
            "average_precision", "reciprocal_rank"}
        Name of the metric.

    top_gains : array-like of shape (n_users, k)
        Relevance gain of the item recommended at each rank ``1..k`` (0 where
        the item is not relevant; 0-padded when fewer than ``k`` items could
        be ranked). An item counts as relevant for the binary metrics when
        its gain is ``> 0``. ``k`` is ``top_gains.shape[1]``.

    ideal_gains : array-like of shape (n_users, k_ideal)
        The user's largest relevance gains sorted in decreasing order,
        0-padded; only used by ``"ndcg"`` (for the IDCG). Normally
        ``k_ideal == k``.

    n_relevant : array-like of shape (n_users,)
        Number of relevant items of each user. It may exceed the number of
        relevant items present in ``top_gains``/``ideal_gains`` (e.g.
        relevant items that could not be ranked count as misses).

    Returns
    -------
    values : ndarray of shape (n_users,)
        Per-user metric values, not averaged and not filtered. Users with
        ``n_relevant == 0`` get 0.0 (their metric is undefined; callers are
        expected to skip them).
    """
    if metric not in _METRIC_NAMES:
        raise ValueError(
            f"Unknown ranking metric {metric!r}; expected one of {_METRIC_NAMES}."
        )
    top_gains = np.asarray(top_gains, dtype=np.float64)
    n_relevant = np.asarray(n_relevant)
    if top_gains.ndim != 2:
        raise ValueError(
            f"top_gains must be 2-D (n_users, k); got shape {top_gains.shape}."
        )
    n_users, k = top_gains.shape
    if n_relevant.shape != (n_users,):
        raise ValueError(
            f"n_relevant must have shape ({n_users},); got {n_relevant.shape}."
        )
    if k == 0:
        raise ValueError("top_gains must have at least one column (k >= 1).")

    hits = top_gains > 0
    n_rel = n_relevant.astype(np.float64)
    has_rel = n_rel > 0

    if metric == "precision":
        return np.count_nonzero(hits, axis=1) / k

    if metric == "recall":
        n_hits = np.count_nonzero(hits, axis=1).astype(np.float64)
        return np.divide(n_hits, n_rel, out=np.zeros(n_users), where=has_rel)

    if metric == "hit_rate":
        return hits.any(axis=1).astype(np.float64)

    if metric == "reciprocal_rank":
        first = np.argmax(hits, axis=1)
        return np.where(hits.any(axis=1), 1.0 / (first + 1.0), 0.0)

    if metric == "average_precision":
        cum_hits = np.cumsum(hits, axis=1)
        precision_at_i = cum_hits / np.arange(1, k + 1)
        numerator = (precision_at_i * hits).sum(axis=1)
        denominator = np.minimum(n_rel, k)
        return np.divide(
            numerator, denominator, out=np.zeros(n_users), where=denominator > 0
        )

    # metric == "ndcg"
    ideal_gains = np.asarray(ideal_gains, dtype=np.float64)
    if ideal_gains.ndim != 2 or ideal_gains.shape[0] != n_users:
        raise ValueError(
            f"ideal_gains must have shape ({n_users}, k); got {ideal_gains.shape}."
        )
    dcg = top_gains @ _discount(k)
    idcg = ideal_gains @ _discount(ideal_gains.shape[1])
    return np.divide(dcg, idcg, out=np.zeros(n_users), where=idcg > 0)


def _discount(k):
    """Discounts ``1 / log2(i + 1)`` for the ranks ``i = 1..k``."""
    return 1.0 / np.log2(np.arange(2, k + 2))


# --------------------------------------------------------------------------- #
# Top-k selection
# --------------------------------------------------------------------------- #
def _ideal_gains(gains, k):
    """The ``k`` largest gains of each row, sorted decreasingly, 0-padded."""
    n_rows, n_items = gains.shape
    if k < n_items:
        top = np.partition(-gains, k - 1, axis=1)[:, :k]
    else:
        top = -gains
    top = -np.sort(top, axis=1)
    return _pad_columns(top, k)


def _pad_columns(a, k):
    """Right-pad a 2-D array with zeros up to ``k`` columns."""
    if a.shape[1] >= k:
        return a
    return np.pad(a, ((0, 0), (0, k - a.shape[1])))


# --------------------------------------------------------------------------- #
# Validation and driver
# --------------------------------------------------------------------------- #
def _check_ranking_inputs(y_true, y_score, k, *, allow_none_k=False):
    """Validate inputs; return ``(y_true, y_score, k)`` with ``k`` resolved.

    ``k=None`` (full ranking) is accepted only when ``allow_none_k``.
    """
    y_true = check_array(
        y_true,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        input_name="y_true",
    )
    y_score = check_array(
        y_score,
        accept_sparse="csr",
        dtype=[np.float64, np.float32],
        ensure_all_finite=False,  # inf allowed; NaN rejected below
        input_name="y_score",
    )
    if y_true.shape != y_score.shape:
        raise ValueError(
            "y_true and y_score must have the same shape (n_users, n_items); "
            f"got {y_true.shape} and {y_score.shape}."
        )
    true_data = y_true.data if sp.issparse(y_true) else y_true
    if true_data.size and true_data.min() < 0:
        raise ValueError(
            "y_true contains negative relevance values; relevance must be >= 0."
        )
    score_data = y_score.data if sp.issparse(y_score) else y_score
    if np.isnan(score_data).any():
        raise ValueError("y_score contains NaN; scores must not be NaN.")
    n_items = y_true.shape[1]
    if k is None and allow_none_k:
        k = n_items
    else:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise ValueError(f"k must be a positive int; got {k!r}.")
        k = check_scalar(k, "k", target_type=numbers.Integral, min_val=1)
        k = int(k)
    return y_true, y_score, k


def _mean_ranking_metric(metric, y_true, y_score, k):
    """Mean of ``metric`` over the users having at least one relevant item."""
    y_true, y_score, k = _check_ranking_inputs(
        y_true, y_score, k, allow_none_k=metric == "reciprocal_rank"
    )
    total = 0.0
    n_counted = 0
    for rows in gen_batches(y_true.shape[0], _BLOCK_SIZE):
        gains = _dense_rows(y_true, rows)
        top = _topk_block(_dense_rows(y_score, rows), min(k, gains.shape[1]))
        top_gains = _pad_columns(np.take_along_axis(gains, top, axis=1), k)
        ideal = _ideal_gains(gains, k) if metric == "ndcg" else top_gains
        n_relevant = np.count_nonzero(gains > 0, axis=1)
        values = _ranking_metric_from_gains(metric, top_gains, ideal, n_relevant)
        keep = n_relevant > 0
        total += float(values[keep].sum())
        n_counted += int(np.count_nonzero(keep))
    if n_counted == 0:
        warnings.warn(
            f"{metric} is undefined: no user has a relevant item in y_true "
            "(every row is all zero); returning nan.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    return total / n_counted


# --------------------------------------------------------------------------- #
# Public metrics
# --------------------------------------------------------------------------- #
def precision_at_k(y_true, y_score, *, k=10):
    r"""Precision at k: the fraction of the top-k items that are relevant.

    .. math::

        \mathrm{P@}k(u) = \frac{|R_u \cap \mathrm{top}_k(u)|}{k}

    The denominator is always :math:`k`, even when the user has fewer than
    :math:`k` relevant items or there are fewer than :math:`k` items.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        True relevance of each item for each user, non-negative (binary or
        graded). An item is relevant when its relevance is ``> 0``.

    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Predicted scores, higher is better. NaN is not allowed; ``-inf``
        can be used to push items (e.g. already seen ones) to the bottom.

    k : int, default=10
        Length of the recommendation list.

    Returns
    -------
    score : float
        Mean precision@k over the users with at least one relevant item;
        ``nan`` (with an :class:`~sklearn.exceptions.UndefinedMetricWarning`)
        when no user has one.

    See Also
    --------
    recall_at_k : Fraction of the relevant items found in the top k.

    Notes
    -----
    Users whose row of ``y_true`` is all zero are skipped (not counted as 0).
    Ties in ``y_score`` are broken by item index: the lower column ranks first.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import precision_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.9, 0.3]]
    >>> precision_at_k(y_true, y_score, k=2)
    0.25
    """
    return _mean_ranking_metric("precision", y_true, y_score, k)


def recall_at_k(y_true, y_score, *, k=10):
    r"""Recall at k: the fraction of the relevant items found in the top k.

    .. math::

        \mathrm{R@}k(u) = \frac{|R_u \cap \mathrm{top}_k(u)|}{|R_u|}

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        True relevance of each item for each user, non-negative (binary or
        graded). An item is relevant when its relevance is ``> 0``.

    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Predicted scores, higher is better. NaN is not allowed; ``-inf``
        can be used to push items (e.g. already seen ones) to the bottom.

    k : int, default=10
        Length of the recommendation list.

    Returns
    -------
    score : float
        Mean recall@k over the users with at least one relevant item;
        ``nan`` (with an :class:`~sklearn.exceptions.UndefinedMetricWarning`)
        when no user has one.

    See Also
    --------
    precision_at_k : Fraction of the top k that is relevant.

    Notes
    -----
    Users whose row of ``y_true`` is all zero are skipped (not counted as 0).
    Ties in ``y_score`` are broken by item index: the lower column ranks first.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import recall_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.9, 0.3]]
    >>> recall_at_k(y_true, y_score, k=2)
    0.25
    """
    return _mean_ranking_metric("recall", y_true, y_score, k)


def ndcg_at_k(y_true, y_score, *, k=10):
    r"""Normalized discounted cumulative gain at k.

    With the graded relevance as (linear) gain,

    .. math::

        \mathrm{DCG@}k(u) = \sum_{i=1}^{k} \frac{\mathrm{rel}_i}{\log_2(i + 1)},
        \qquad
        \mathrm{nDCG@}k(u) = \frac{\mathrm{DCG@}k(u)}{\mathrm{IDCG@}k(u)},

    where :math:`\mathrm{IDCG@}k(u)` is the DCG@k of the ideal ordering of the
    user's relevances (decreasing relevance). On inputs without ties in
    ``y_score`` and where every user has a relevant item, this equals
    :func:`sklearn.metrics.ndcg_score` with the same ``k``.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        True relevance of each item for each user, non-negative (binary or
        graded), used as the gain.

    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Predicted scores, higher is better. NaN is not allowed; ``-inf``
        can be used to push items (e.g. already seen ones) to the bottom.

    k : int, default=10
        Length of the recommendation list.

    Returns
    -------
    score : float
        Mean nDCG@k over the users with at least one relevant item;
        ``nan`` (with an :class:`~sklearn.exceptions.UndefinedMetricWarning`)
        when no user has one.

    See Also
    --------
    sklearn.metrics.ndcg_score : Same quantity, averaging ties, keeping
        all-zero rows (as 0).

    Notes
    -----
    Users whose row of ``y_true`` is all zero are skipped (not counted as 0),
    unlike :func:`sklearn.metrics.ndcg_score`. Ties in ``y_score`` are broken
    by item index (the lower column ranks first), whereas
    :func:`sklearn.metrics.ndcg_score` averages the gains of tied items.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import ndcg_at_k
    >>> y_true = [[3, 0, 1]]
    >>> y_score = [[0.1, 0.5, 0.9]]
    >>> # DCG = 1/log2(2) + 0/log2(3) + 3/log2(4) = 2.5
    >>> # IDCG = 3/log2(2) + 1/log2(3) + 0/log2(4) = 3.6309...
    >>> round(ndcg_at_k(y_true, y_score, k=3), 4)
    0.6885
    """
    return _mean_ranking_metric("ndcg", y_true, y_score, k)


def hit_rate_at_k(y_true, y_score, *, k=10):
    r"""Hit rate at k: whether at least one relevant item is in the top k.

    .. math::

        \mathrm{HR@}k(u) = \mathbb{1}\left[\,|R_u \cap \mathrm{top}_k(u)| > 0\,\right]

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        True relevance of each item for each user, non-negative (binary or
        graded). An item is relevant when its relevance is ``> 0``.

    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Predicted scores, higher is better. NaN is not allowed; ``-inf``
        can be used to push items (e.g. already seen ones) to the bottom.

    k : int, default=10
        Length of the recommendation list.

    Returns
    -------
    score : float
        Fraction of the users (with at least one relevant item) that get a
        hit; ``nan`` (with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`) when no user
        has a relevant item.

    Notes
    -----
    Users whose row of ``y_true`` is all zero are skipped (not counted as 0).
    Ties in ``y_score`` are broken by item index: the lower column ranks first.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import hit_rate_at_k
    >>> y_true = [[1, 0, 1, 0], [0, 1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.9, 0.3]]
    >>> hit_rate_at_k(y_true, y_score, k=2)
    0.5
    """
    return _mean_ranking_metric("hit_rate", y_true, y_score, k)


def average_precision_at_k(y_true, y_score, *, k=10):
    r"""Average precision at k (the per-user term of MAP@k).

    .. math::

        \mathrm{AP@}k(u) = \frac{1}{\min(k, |R_u|)}
            \sum_{i=1}^{k} \mathrm{P@}i(u)\,\mathbb{1}[\mathrm{rel}_i > 0]

    i.e. the precision at the rank of each relevant item of the top k,
    summed and divided by the best achievable number of hits.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        True relevance of each item for each user, non-negative (binary or
        graded). An item is relevant when its relevance is ``> 0``.

    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Predicted scores, higher is better. NaN is not allowed; ``-inf``
        can be used to push items (e.g. already seen ones) to the bottom.

    k : int, default=10
        Length of the recommendation list.

    Returns
    -------
    score : float
        Mean AP@k (MAP@k) over the users with at least one relevant item;
        ``nan`` (with an :class:`~sklearn.exceptions.UndefinedMetricWarning`)
        when no user has one.

    Notes
    -----
    Users whose row of ``y_true`` is all zero are skipped (not counted as 0).
    Ties in ``y_score`` are broken by item index: the lower column ranks first.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import average_precision_at_k
    >>> y_true = [[1, 0, 1, 0]]
    >>> y_score = [[0.9, 0.8, 0.7, 0.0]]
    >>> # hits at ranks 1 and 3: (1/1 + 2/3) / min(3, 2)
    >>> round(average_precision_at_k(y_true, y_score, k=3), 4)
    0.8333
    """
    return _mean_ranking_metric("average_precision", y_true, y_score, k)


def reciprocal_rank(y_true, y_score, *, k=None):
    r"""Reciprocal rank of the first relevant item (the per-user term of MRR).

    .. math::

        \mathrm{RR}(u) = \frac{1}{\min\{i : \mathrm{rel}_i > 0\}},

    and 0 when no relevant item is ranked within the first :math:`k`.

    Parameters
    ----------
    y_true : {array-like, sparse matrix} of shape (n_users, n_items)
        True relevance of each item for each user, non-negative (binary or
        graded). An item is relevant when its relevance is ``> 0``.

    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Predicted scores, higher is better. NaN is not allowed; ``-inf``
        can be used to push items (e.g. already seen ones) to the bottom.

    k : int or None, default=None
        Cut-off of the ranking; ``None`` uses the full ranking of all items.

    Returns
    -------
    score : float
        Mean reciprocal rank (MRR) over the users with at least one relevant
        item; ``nan`` (with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`) when no user
        has one.

    Notes
    -----
    Users whose row of ``y_true`` is all zero are skipped (not counted as 0).
    Ties in ``y_score`` are broken by item index: the lower column ranks first.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import reciprocal_rank
    >>> y_true = [[0, 0, 1], [1, 0, 0]]
    >>> y_score = [[0.9, 0.8, 0.1], [0.9, 0.8, 0.1]]
    >>> reciprocal_rank(y_true, y_score)  # (1/3 + 1/1) / 2
    0.666...
    >>> reciprocal_rank(y_true, y_score, k=2)  # (0 + 1) / 2
    0.5
    """
    return _mean_ranking_metric("reciprocal_rank", y_true, y_score, k)


_METRICS = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "ndcg": ndcg_at_k,
    "hit_rate": hit_rate_at_k,
    "average_precision": average_precision_at_k,
    "reciprocal_rank": reciprocal_rank,
}
