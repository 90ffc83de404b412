"""Alternating least squares half-steps, batched over all users (or items).

A half-step solves one small regularised least-squares problem per row of a CSR
matrix (a user, when the item factors are fixed; an item, when the user factors
are). Rows are grouped into buckets of similar length and padded, so that each
bucket is solved with a few batched torch operations (``bmm``, batched Cholesky);
no Python loop runs per row or per rating. Nothing here knows about sklearn.
"""

import numpy as np
import torch

# Padded entries gathered at once (bucket rows x padded length): bounds memory at
# this many factor vectors, e.g. 2**20 x 64 float32 = 256 MiB.
_BUCKET_ENTRIES = 2**16
# Rows whose normal equations are solved in one batched Cholesky call.
_SOLVE_ROWS = 16_384
# Rows of similar length share a bucket: a new bucket starts when a row is more
# than this factor (plus a small slack) longer than the bucket's shortest row.
_LENGTH_RATIO = 1.25


class RowBuckets:
    """The rows of a CSR matrix grouped by length and padded, as torch tensors.

    Parameters
    ----------
    matrix : csr_matrix of shape (n_rows, n_cols)
        Observed values (explicit zeros count as observations).
    dtype : torch.dtype
        Dtype of the padded values.

    Attributes
    ----------
    buckets : list of tuple
        ``(rows, cols, values, mask)`` per bucket: ``rows`` (b,) row indices;
        ``cols`` (b, L) column indices, padded with ``n_cols`` (which points to a
        zero vector appended to the fixed factors); ``values`` (b, L) observed
        values, 0 on padding; ``mask`` (b, L), 1.0 on observations.
    counts : ndarray of shape (n_rows,)
        Observations per row.
    column_counts : ndarray of shape (n_cols,)
        Observations per column.
    """

    def __init__(self, matrix, dtype=torch.float32):
        self.shape = matrix.shape
        self.counts = np.diff(matrix.indptr)
        self.column_counts = np.bincount(matrix.indices, minlength=matrix.shape[1])
        order = np.argsort(self.counts, kind="stable")
        order = order[self.counts[order] > 0]
        self.buckets = []
        start = 0
        while start < len(order):
            shortest = self.counts[order[start]]
            limit = int(shortest * _LENGTH_RATIO) + 8
            # Rows (sorted by length) that fit the length limit, then the budget.
            stop = np.searchsorted(self.counts[order], limit, side="right")
            stop = min(stop, start + max(1, _BUCKET_ENTRIES // limit))
            self.buckets.append(self._pad(matrix, order[start:stop], dtype))
            start = stop

    def _pad(self, matrix, rows, dtype):
        counts = self.counts[rows]
        length = int(counts.max())
        offsets = np.arange(length)
        mask = offsets[None, :] < counts[:, None]
        position = np.where(mask, matrix.indptr[rows][:, None] + offsets, 0)
        cols = np.where(mask, matrix.indices[position], matrix.shape[1])
        values = np.where(mask, matrix.data[position], 0.0)
        return (
            torch.from_numpy(rows),
            torch.from_numpy(cols.astype(np.int64)),
            torch.from_numpy(values).to(dtype),
            torch.from_numpy(mask).to(dtype),
        )


def _with_zero_row(matrix):
    """Append a zero row, the target of the padding index."""
    return torch.cat([matrix, matrix.new_zeros((1,) + matrix.shape[1:])])


def _gather(matrix, index):
    """``matrix[index]`` for a 2-D index (index_select is faster than indexing)."""
    return matrix.index_select(0, index.reshape(-1)).reshape(
        index.shape + matrix.shape[1:]
    )


def ridge_half_step(buckets, fixed, offset, penalty):
    """Solve every row's ridge regression against fixed factors, exactly.

    For each row ``u`` with observed columns ``I_u``, returns the ``x_u``
    minimising ``Σ_{i∈I_u} (r_ui − offset_i − x_u·f_i)² + Σ_j penalty[u, j] x_uj²``:
    ``x_u = (F_Iᵀ F_I + diag(penalty_u))⁻¹ F_Iᵀ (r_u − offset)``, one batched
    Cholesky solve per bucket.

    Parameters
    ----------
    buckets : RowBuckets
        Rows to solve (``values`` hold the ratings).
    fixed : torch.Tensor of shape (n_cols, k)
        Fixed factors (append a column of ones to fit a bias jointly).
    offset : torch.Tensor of shape (n_cols,)
        Subtracted from each observed value of column ``i`` (e.g. ``μ + b_i``).
    penalty : torch.Tensor of shape (n_rows, k)
        Diagonal L2 penalty of each row; must be positive.

    Returns
    -------
    solution : torch.Tensor of shape (n_rows, k)
        Rows with no observation get zeros.

    Notes
    -----
    Normal equations are built and solved for groups of about
    ``_SOLVE_ROWS`` rows at a time (a call per bucket would cost more in
    overhead than in work; all rows at once would hold ``n_rows * k * k``
    floats, 5 GB for 140,000 rows at k = 65 with the Cholesky factor).
    """
    fixed_z, offset_z = _with_zero_row(fixed), _with_zero_row(offset)
    n_rows, k = buckets.shape[0], fixed.shape[1]
    solution = fixed.new_zeros((n_rows, k))
    group, size = [], 0
    for i, (rows, cols, values, mask) in enumerate(buckets.buckets):
        gathered = _gather(fixed_z, cols)  # (b, L, k)
        target = (values - _gather(offset_z, cols)) * mask  # (b, L)
        transposed = gathered.transpose(1, 2)
        group.append(
            (
                rows,
                torch.bmm(transposed, gathered),
                torch.bmm(transposed, target.unsqueeze(-1)),
            )
        )
        size += len(rows)
        if size >= _SOLVE_ROWS or i == len(buckets.buckets) - 1:
            rows, gram, rhs = (torch.cat(parts) for parts in zip(*group))
            gram.diagonal(dim1=1, dim2=2).add_(penalty[rows])
            factor, _ = torch.linalg.cholesky_ex(gram)
            solution[rows] = torch.cholesky_solve(rhs, factor).squeeze(-1)
            group, size = [], 0
    return solution


def implicit_half_step(buckets, fixed, current, alpha, cg_steps=3):
    """See :func:`implicit_half_step_with_fit`; returns the solution only."""
    return implicit_half_step_with_fit(buckets, fixed, current, alpha, cg_steps)[0]


def implicit_half_step_with_fit(buckets, fixed, current, alpha, cg_steps=3):
    """One conjugate-gradient half-step of Hu, Koren & Volinsky's implicit ALS.

    Solves, for every row ``u``, ``(FᵀF + Fᵀ(C_u − I)F + alpha·I) x_u = Fᵀ C_u p_u``
    where ``p_u`` is 1 on the observed columns, ``C_u − I`` holds ``c_ui − 1`` (the
    bucket ``values``) there and 0 elsewhere. ``FᵀF`` is computed once for all rows
    (the YᵀY trick); the sparse part costs two batched matrix-vector products per
    CG iteration. CG starts from ``current`` (warm start across sweeps, Takács et
    al. 2011), so a few iterations per half-step suffice.

    Parameters
    ----------
    buckets : RowBuckets
        Rows to solve; ``values`` hold ``c_ui − 1 = confidence_scale · r_ui``.
    fixed : torch.Tensor of shape (n_cols, k)
    current : torch.Tensor of shape (n_rows, k)
        Starting point; not modified.
    alpha : float or torch.Tensor of shape (n_rows,)
        L2 penalty, one for all rows or one per row.
    cg_steps : int, default=3

    Returns
    -------
    solution : torch.Tensor of shape (n_rows, k)
    observed_fit : float
        ``Σ_obs [c_ui (1 − s_ui)² − s_ui²]`` with ``s_ui = solution[u]·fixed[i]``:
        the observed entries' part of the objective, computed on the blocks
        already gathered (see ``MatrixFactorization._implicit_objective``).
    """
    gram = fixed.T @ fixed
    penalty = torch.as_tensor(alpha, dtype=fixed.dtype).expand(buckets.shape[0])
    fixed_z = _with_zero_row(fixed)
    solution = current.clone()
    observed_fit = 0.0
    for rows, cols, weights, mask in buckets.buckets:
        gathered = _gather(fixed_z, cols)  # (b, L, k)

        def sparse_part(vectors, gathered=gathered):
            # Σ_i v_i f_i for a (b, L) weight per entry: (b, 1, L) @ (b, L, k) reads
            # ``gathered`` in place (no transposed copy).
            return torch.bmm(vectors.unsqueeze(1), gathered).squeeze(1)

        row_penalty = penalty[rows, None]

        def apply(p, gathered=gathered, weights=weights, row_penalty=row_penalty):
            # A p = (FᵀF + α_u I) p + Σ_i (c_ui − 1) (f_i·p) f_i
            along = torch.bmm(gathered, p.unsqueeze(-1)).squeeze(-1) * weights
            return p @ gram + row_penalty * p + sparse_part(along)

        x = current[rows]
        # r = b − A x, b = Σ_i c_ui f_i: one pass, Σ_i [c_ui − (c_ui − 1) f_i·x] f_i
        along = torch.bmm(gathered, x.unsqueeze(-1)).squeeze(-1) * weights
        residual = sparse_part(weights + mask - along) - x @ gram - row_penalty * x
        direction = residual.clone()
        rs_old = (residual * residual).sum(1)
        for _ in range(cg_steps):
            a_direction = apply(direction)
            curvature = (direction * a_direction).sum(1)
            step = torch.where(curvature > 0, rs_old / curvature, 0.0)
            x.addcmul_(step[:, None], direction)
            residual.addcmul_(step[:, None], a_direction, value=-1)
            rs_new = (residual * residual).sum(1)
            beta = torch.where(rs_old > 0, rs_new / rs_old, 0.0)
            direction = direction.mul_(beta[:, None]).add_(residual)
            rs_old = rs_new
        solution[rows] = x
        dots = torch.bmm(gathered, x.unsqueeze(-1)).squeeze(-1)
        observed_fit += float(((1 + weights) * (1 - dots) ** 2 * mask - dots**2).sum())
    return solution, observed_fit


def bucket_dots(buckets, fixed, factors):
    """Dot products ``factors[u]·fixed[i]`` of every observed entry, bucket by bucket.

    Yields
    ------
    rows, cols, values, mask : torch.Tensor
        As in :class:`RowBuckets`.
    dots : torch.Tensor of shape (b, L)
        ``factors[rows[r]]·fixed[cols[r, j]]`` (0 on padding).
    """
    fixed_z = _with_zero_row(fixed)
    for rows, cols, values, mask in buckets.buckets:
        dots = torch.bmm(_gather(fixed_z, cols), factors[rows].unsqueeze(-1))
        dots = dots.squeeze(-1)
        yield rows, cols, values, mask, dots
