"""Top-k selection: the ``k`` best columns of each row, ties by lower column.

Shared by ``recommend``, the ranking metrics and scorers, the similarity
computations and the retrieval indexes: a neutral utility, so that no model
imports a private name of :mod:`sklearn_attnrec.metrics`.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches

__all__ = ["dense_rows", "topk_block", "topk_indices"]

# Rows handled at once: bounds the temporaries at _BLOCK_ROWS * n_columns.
_BLOCK_ROWS = 1024


def topk_indices(y_score, k):
    """Column indices of the ``k`` best scores of each row, in rank order.

    Higher scores rank first; ties are broken by column index (lower index
    first), so the result is deterministic.

    Parameters
    ----------
    y_score : {array-like, sparse matrix} of shape (n_users, n_items)
        Scores without NaN (``-inf``/``inf`` are allowed). Sparse input is
        densified one block of rows at a time.

    k : int
        Number of items to select; values larger than ``n_items`` select
        all items.

    Returns
    -------
    indices : ndarray of shape (n_users, min(k, n_items))
        ``indices[u, r]`` is the column of the item ranked ``r + 1`` for user
        ``u``.
    """
    if not sp.issparse(y_score):
        y_score = np.asarray(y_score)
    if y_score.ndim != 2:
        raise ValueError(f"y_score must be 2-D; got shape {y_score.shape}.")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive int; got {k!r}.")
    n_users, n_items = y_score.shape
    k_eff = min(int(k), n_items)
    out = np.empty((n_users, k_eff), dtype=np.intp)
    for rows in gen_batches(n_users, _BLOCK_ROWS):
        out[rows] = topk_block(dense_rows(y_score, rows), k_eff)
    return out


def topk_block(scores, k):
    """Top-``k`` column indices of a dense block; ``k <= n_items``."""
    n_rows, n_items = scores.shape
    if scores.dtype.kind not in "fc":
        scores = scores.astype(np.float64)
    if k >= n_items:
        return np.argsort(-scores, axis=1, kind="stable")
    # Fast path: the k + 1 largest values of each row, in decreasing order
    # (their columns in any order among equal values). Where the k-th is
    # larger than the (k+1)-th, the first k are exactly the columns of the k
    # largest values; otherwise a value tied with the k-th may lie at a lower
    # column outside them, and those rows are redone with the ties resolved.
    values, cols = _largest(scores, k + 1)
    kth = values[:, k - 1 : k]
    cols = cols[:, :k]
    straddling = np.flatnonzero(values[:, k] == kth[:, 0])
    if len(straddling):
        cols[straddling] = _topk_with_ties(scores[straddling], kth[straddling], k)
    # Sorting the columns first makes the stable sort by decreasing score
    # keep lower columns first among equal scores.
    cols.sort(axis=1)
    picked = np.take_along_axis(scores, cols, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.take_along_axis(cols, order, axis=1)


def _largest(scores, m):
    """The ``m`` largest values of each row in decreasing order, and their
    columns (``m < n_items``; no NaN)."""
    if scores.dtype in (np.float32, np.float64):
        # torch.topk: about twice as fast as numpy's introselect on a
        # catalogue of 100,000 items (one thread), and it sorts the m values.
        import torch

        if not scores.flags.writeable:  # torch.from_numpy would warn
            scores = scores.copy()
        values, cols = torch.topk(
            torch.from_numpy(np.ascontiguousarray(scores)), m, dim=1
        )
        return values.numpy(), cols.numpy().astype(np.intp, copy=False)
    n_items = scores.shape[1]
    cols = np.argpartition(scores, n_items - m, axis=1)[:, n_items - m :]
    values = np.take_along_axis(scores, cols, axis=1)
    order = np.argsort(-values, axis=1, kind="stable")
    return (
        np.take_along_axis(values, order, axis=1),
        np.take_along_axis(cols, order, axis=1),
    )


def _topk_with_ties(scores, kth, k):
    """Top-k columns (in column order) when the k-th value is tied across the
    boundary: everything above it, then the tied columns of lowest index."""
    better = scores > kth
    n_missing = k - np.count_nonzero(better, axis=1)
    tied = scores == kth
    chosen = better | (tied & (np.cumsum(tied, axis=1) <= n_missing[:, None]))
    # np.nonzero walks row-major: exactly k columns per row, in column order.
    return np.nonzero(chosen)[1].reshape(len(scores), k)


def dense_rows(X, rows):
    """Dense ``X[rows]`` (densifies only that block of a sparse matrix)."""
    if sp.issparse(X):
        return X[rows].toarray()
    return np.asarray(X[rows])
