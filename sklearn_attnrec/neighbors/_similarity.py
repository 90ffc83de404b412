"""Blocked sparse similarities between the rows of a rating matrix, top-k kept.

The similarity of every pair of rows of ``X`` (users, or items) comes from sparse
matrix products computed for a block of rows at a time, and only on the pairs
of rows that share a column (co-rated pairs). Of each block only the ``n_keep``
most similar rows of every row are kept, so that memory grows with
``n_rows * n_keep`` and never with ``n_rows ** 2``.

In ``X`` every stored entry is an observed value (an explicit zero included) and
every absent entry is unknown.
"""

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.utils import gen_batches

from ..base import check_n
from ..utils._progress import progress
from ..utils._topk import topk_indices
from ..utils._vocabulary import UNKNOWN, encode_ids

# Bound on the pairs of rows of one block (rows * n_rows); the dense worst case
# of the block's products.
_BLOCK_ENTRIES = 1 << 22

# How each metric compares two rows: "whole" (cosine over the whole vectors,
# unknowns as 0), "corated" (cosine over the entries both rows know) or
# "pearson" (correlation over those entries, means taken over them too).
_NORMS = ("whole", "corated", "pearson")


def with_data(M, data):
    """``M``'s sparsity pattern holding ``data`` (the indices are shared)."""
    return sp.csr_matrix((data, M.indices, M.indptr), shape=M.shape)


def top_k_per_segment(segment, key, n_segments, k):
    """Mask of the ``k`` largest ``key`` of each segment (ties: earlier first).

    ``segment`` is sorted (entries of a segment are contiguous). Segments of
    more than ``k`` entries are padded into dense rows, grouped by size (powers
    of two, so padding at most doubles the work), and their top ``k`` found by
    a partial sort; the others are kept whole.
    """
    sizes = np.bincount(segment, minlength=n_segments)
    selected = sizes[segment] <= k
    crowded = np.flatnonzero(sizes > k)
    if len(crowded) == 0:
        return selected
    starts = np.cumsum(sizes) - sizes
    group = np.ceil(np.log2(sizes[crowded])).astype(np.int16)
    for g in np.unique(group):
        members = crowded[group == g]
        counts = sizes[members]
        rows = np.repeat(np.arange(len(members)), counts)
        offsets = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        padded = np.full((len(members), counts.max()), -np.inf)
        padded[rows, offsets] = key[np.repeat(starts[members], counts) + offsets]
        top = topk_indices(padded, k)
        selected[(starts[members][:, None] + top).ravel()] = True
    return selected


class _Operands:
    """``X`` with its pattern, squares and transposes, computed once."""

    def __init__(self, X):
        self.X = X
        self.P = with_data(X, np.ones_like(X.data))
        self.X2 = with_data(X, X.data**2)
        self.XT = X.T.tocsr()
        self.PT = self.P.T.tocsr()
        self.X2T = self.X2.T.tocsr()
        self.sq = np.asarray(self.X2.sum(axis=1)).ravel()


def similarity_block(ops, rows, *, norm, need_support=True):
    """Similarities of the rows ``rows`` of ``ops.X`` to the rows they share a
    column with.

    Parameters
    ----------
    ops : _Operands
        The matrix to compare, of shape (n_rows, n_cols).
    rows : slice
        The block of rows.
    norm : {"whole", "corated", "pearson"}
        See the module's ``_NORMS``.
    need_support : bool, default=True
        Return the number of common columns of each pair. Without it, and for
        ``norm="whole"``, only the pairs with a nonzero dot product are listed
        (the others have similarity 0) and ``n_common`` is None.

    Returns
    -------
    row, col : ndarray of int
        The pairs (``row`` relative to the block), row-major, sorted columns.
    sim : ndarray of float
        Their similarity, 0 where undefined (a zero norm or variance).
    n_common : ndarray of float or None
        The number of columns both rows know.
    """
    n_rows = ops.X.shape[0]
    Xb, Pb, X2b = ops.X[rows], ops.P[rows], ops.X2[rows]
    dot = (Xb @ ops.XT).tocsr()
    dot.sort_indices()
    if need_support or norm != "whole":
        pairs = (Pb @ ops.PT).tocsr()  # all co-rated pairs
        pairs.sort_indices()
    else:
        pairs = dot
    row = np.repeat(np.arange(pairs.shape[0]), np.diff(pairs.indptr))
    col = pairs.indices

    def on_pairs(product):
        """The values of ``product`` on the listed pairs (0 elsewhere)."""
        product = product.tocsr()
        product.sort_indices()
        if product.nnz == pairs.nnz:  # its pattern is the pairs' pattern
            return product.data
        keys = row * np.int64(n_rows) + col
        coo = product.tocoo()
        out = np.zeros(pairs.nnz)
        out[np.searchsorted(keys, coo.row * np.int64(n_rows) + coo.col)] = coo.data
        return out

    n_common = pairs.data if pairs is not dot else None
    dot = on_pairs(dot)
    with np.errstate(divide="ignore", invalid="ignore"):
        if norm == "whole":
            num = dot
            den = np.sqrt(ops.sq[rows][row] * ops.sq[col])
        elif norm == "corated":
            num = dot
            den = np.sqrt(on_pairs(X2b @ ops.PT) * on_pairs(Pb @ ops.X2T))
        else:  # pearson, with the means over the co-rated entries
            sum_a = on_pairs(Xb @ ops.PT)
            sum_b = on_pairs(Pb @ ops.XT)
            sq_a = n_common * on_pairs(X2b @ ops.PT)
            sq_b = n_common * on_pairs(Pb @ ops.X2T)
            num = n_common * dot - sum_a * sum_b
            # n Σx² − (Σx)² cancels: a constant vector leaves rounding noise,
            # which must count as a zero variance.
            var_a = np.where(sq_a - sum_a**2 > 1e-9 * sq_a, sq_a - sum_a**2, 0.0)
            var_b = np.where(sq_b - sum_b**2 > 1e-9 * sq_b, sq_b - sum_b**2, 0.0)
            den = np.sqrt(var_a * var_b)
        sim = np.where(den > 0, num / den, 0.0)
    # Rounding can push |sim| a hair above 1.
    return row, col, np.clip(sim, -1.0, 1.0), n_common


def _block_top_k(ops, rows, *, norm, n_keep, shrinkage, min_support, min_similarity):
    """The kept neighbours of the rows ``rows``: counts per row, columns, values."""
    need_support = shrinkage > 0 or min_support > 1
    n_block = rows.stop - rows.start
    row, col, sim, n_common = similarity_block(
        ops, rows, norm=norm, need_support=need_support
    )
    keep = (sim != 0) & (row + rows.start != col)
    if need_support:
        sim = sim * (n_common / (n_common + shrinkage))
        keep &= n_common >= min_support
    if min_similarity is not None:
        keep &= sim > min_similarity
    row, col, sim = row[keep], col[keep], sim[keep]
    keep = top_k_per_segment(row, sim, n_block, n_keep)
    return (
        np.bincount(row[keep], minlength=n_block),
        col[keep].astype(np.int32),
        sim[keep],
    )


def topk_similarity(
    X,
    *,
    norm,
    n_keep,
    shrinkage=0.0,
    min_support=1,
    min_similarity=0.0,
    block_entries=None,
    n_jobs=None,
    verbose=0,
):
    """The ``n_keep`` most similar other rows of each row of ``X``.

    Parameters
    ----------
    X : csr_matrix of shape (n_rows, n_cols)
        Values to compare (already centred as the metric requires).
    norm : {"whole", "corated", "pearson"}
        How two rows are compared (see ``similarity_block``).
    n_keep : int
        Neighbours kept per row.
    shrinkage : float, default=0.0
        Similarities are multiplied by ``n_common / (n_common + shrinkage)``.
    min_support : int, default=1
        Pairs of rows with fewer common columns get similarity 0.
    min_similarity : float or None, default=0.0
        Only similarities strictly above it are kept; None keeps every nonzero
        similarity.
    block_entries : int, default=None
        Bound on the pairs of rows of one block (``rows * n_rows``); None means
        ``_BLOCK_ENTRIES`` (2**22).
    n_jobs : int, default=None
        Blocks computed at once, in threads (the sparse products and numpy
        operations release the GIL); each running block holds its own
        products in memory. None means 1 unless in a
        :func:`joblib.parallel_config` context; -1 means all processors.
    verbose : int, default=0
        Above 0, show a progress bar over the blocks.

    Returns
    -------
    similarity : csr_matrix of shape (n_rows, n_rows)
        Row ``a`` holds the kept neighbours of ``a`` (never ``a`` itself), sorted
        indices. Where a row has more than ``n_keep`` candidates, ties at the
        cut are broken by lower index. The same whatever ``n_jobs``.
    """
    X = sp.csr_matrix(X, dtype=np.float64)
    n_rows = X.shape[0]
    if n_rows == 0:
        return sp.csr_matrix((n_rows, n_rows))
    ops = _Operands(X)
    if block_entries is None:
        block_entries = _BLOCK_ENTRIES
    blocks = list(gen_batches(n_rows, max(1, int(block_entries) // n_rows)))
    kwargs = dict(
        norm=norm,
        n_keep=n_keep,
        shrinkage=shrinkage,
        min_support=min_support,
        min_similarity=min_similarity,
    )
    # Results come back in the order of the blocks, as they are ready.
    results = Parallel(n_jobs=n_jobs, backend="threading", return_as="generator")(
        delayed(_block_top_k)(ops, rows, **kwargs) for rows in blocks
    )
    with progress(
        results, verbose, desc="similarity blocks", total=len(blocks)
    ) as results:
        counts, indices, data = zip(*results)
    indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), indptr),
        shape=(n_rows, n_rows),
    )


def truncate_rows(S, k):
    """The ``k`` largest entries of each row of ``S`` (ties: lower index)."""
    row = np.repeat(np.arange(S.shape[0]), np.diff(S.indptr))
    keep = top_k_per_segment(row, S.data, S.shape[0], k)
    counts = np.bincount(row[keep], minlength=S.shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((S.data[keep], S.indices[keep], indptr), shape=S.shape)


def most_similar(similarity, ids, vocabulary, n, kind):
    """The ``n`` entities most similar to each of ``ids``, from the rows of a
    sparse ``similarity`` matrix indexed like ``vocabulary`` (never the entity
    itself; ``-inf`` where a row holds fewer neighbours).

    Parameters
    ----------
    similarity : csr_matrix of shape (n_entities, n_entities)
    ids : array-like of shape (n_queries,)
        Raw ids, all in ``vocabulary`` (an unknown one raises a ValueError).
    vocabulary : ndarray of shape (n_entities,)
    n : int
    kind : str
        "user" or "item", for messages.

    Returns
    -------
    ids, similarities : ndarray of shape (n_queries, min(n, n_entities - 1))
    """
    check_n(n)
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"{kind}s must be 1-D; got shape {ids.shape}")
    index = encode_ids(ids, vocabulary)
    if (index == UNKNOWN).any():
        raise ValueError(
            f"unknown {kind} id(s) not seen in fit, e.g. "
            f"{ids[index == UNKNOWN][:5].tolist()}: they have no neighbours"
        )
    n_total = len(vocabulary)
    n_out = min(n, n_total - 1)
    if n_out == 0:
        return np.empty((len(ids), 0), vocabulary.dtype), np.empty((len(ids), 0))
    dense = np.full((len(ids), n_total), -np.inf)
    rows = similarity[index]
    dense[np.repeat(np.arange(len(ids)), np.diff(rows.indptr)), rows.indices] = (
        rows.data
    )
    # One more than needed, then drop the query itself (or the last one).
    top = topk_indices(dense, n_out + 1)
    keep = top != index[:, None]
    keep[keep.all(axis=1), -1] = False
    top = top[keep].reshape(len(ids), n_out)
    return vocabulary[top], np.take_along_axis(dense, top, axis=1)
