"""EASE: closed-form item-item weights for top-N recommendation (Steck, WWW 2019)."""

from numbers import Real

import numpy as np
from scipy.linalg import lapack
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..base import RankingScoreMixin, RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._param_validation import (
    RECOMMENDER_CONSTRAINTS,
    Interval,
    validate_params,
)
from ..utils._relevance import item_popularity
from ..utils._vocabulary import UNKNOWN

# The dense item x item solve needs about 4 * n_items² bytes (float32) twice
# over at its peak: 50,000 items take 20 GB. Above this, fit raises and says what
# to do instead.
_MAX_DENSE_ITEMS = 50_000
# Rows mirrored at once when completing the symmetric inverse.
_SYMMETRISE_BLOCK = 1024


def ease_weights(gram, alpha):
    """EASE's weight matrix ``B`` from the Gram matrix ``XᵀX`` (overwritten).

    ``P = (XᵀX + alpha I)⁻¹``, ``B = I − P diag(1 / diag(P))``: ``B_ij =
    −P_ij / P_jj`` off the diagonal and 0 on it. The inverse comes from a
    Cholesky factorisation (LAPACK ``potrf`` then ``potri``: a third of the
    operations of a general inverse), in the precision of ``gram``.

    Parameters
    ----------
    gram : ndarray of shape (n_items, n_items), float32 or float64
        ``XᵀX``, C-contiguous; used as workspace.
    alpha : float
        L2 strength ``λ`` (> 0).

    Returns
    -------
    B : ndarray of shape (n_items, n_items)
        Same dtype as ``gram`` (it is ``gram``'s memory).
    """
    n = gram.shape[0]
    gram[np.diag_indices(n)] += alpha
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (gram,))
    # LAPACK is column-major: hand it the transpose view (the matrix is
    # symmetric), and it works in place without a copy.
    factor, info = potrf(gram.T, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        raise np.linalg.LinAlgError(f"XᵀX + alpha I is not positive definite ({info})")
    inverse, info = potri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"inverting XᵀX + alpha I failed ({info})")
    # The column-major upper triangle is the row-major lower one: mirror it.
    P = inverse.T
    for start in range(0, n, _SYMMETRISE_BLOCK):
        stop = min(start + _SYMMETRISE_BLOCK, n)
        block = P[start:stop, start:stop]
        block[...] = np.tril(block) + np.tril(block, -1).T
        P[start:stop, stop:] = P[stop:, start:stop].T
    diagonal = P.diagonal().copy()
    P /= -diagonal[None, :]
    P[np.diag_indices(n)] = 0.0
    return P


class EASE(RecommenderMixin, RankingScoreMixin, TransformerMixin, BaseEstimator):
    """Embarrassingly Shallow Autoencoder: closed-form item-item top-N model.

    Learns an item x item weight matrix ``B`` with a zero diagonal that
    reconstructs each user's interactions from their other interactions
    (Steck, WWW 2019)::

        min_B ‖X − XB‖²_F + alpha ‖B‖²_F   subject to diag(B) = 0

    whose solution is closed form: with ``P = (XᵀX + alpha I)⁻¹``,
    ``B = I − P diag(1 / diag(P))``. A user's score of item ``j`` is
    ``Σ_i x_ui B_ij``. One linear solve of size ``n_items``, no iterations, no
    random initialisation; on MovieLens-style data it ranks better than most
    iterative models.

    Parameters
    ----------
    alpha : float, default=500.0
        L2 strength ``λ``. The best value grows with the number of interactions
        per item; 500 was chosen on inner 80/20 splits of the training parts of
        MovieLens 100K's folds (see Notes), and the paper reports 200-1000 on
        MovieLens 20M, Netflix and the Million Song Data.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        An unknown user has no history: ``"fallback"`` scores items by their
        popularity (the share of training users who interacted with them); an
        unknown item scores 0. ``"error"`` raises a ``ValueError``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_items, n_items), dtype float32
        ``B``: ``coef_[i, j]`` is the weight of an interaction with item ``i``
        in the score of item ``j`` (zero diagonal). Indexed like ``item_ids_``.
    item_popularity_ : ndarray of shape (n_items,)
        Share of training users who interacted with each item (the fallback
        for unknown users).
    user_ids_, item_ids_ : ndarray
        Raw ids seen in fit; their order indexes the fitted arrays.
    user_items_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        The weighted interaction matrix ``X`` of the formula: the weight ``y``
        of each training pair (the mean of a repeated pair's), or 1 without
        ``y``; rows are users.
    n_features_in_ : int
        Number of columns of ``X`` in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame.

    See Also
    --------
    MatrixFactorization : ``feedback="implicit"`` for a low-rank model, and for
        catalogues too large for a dense item x item matrix.
    ItemKNNRegressor : Neighbourhood model of explicit ratings.

    Notes
    -----
    ``y`` is the weight of each interaction: the entry ``x_ui`` of the
    matrix ``X`` whose Gram matrix ``XᵀX`` the model inverts, and of the
    user's history ``x_u`` that it scores (None: every interaction weighs 1,
    the 0/1 matrix of the paper). Star ratings can be these weights: a film
    rated 5 then counts five times as much as one rated 1. Full-ranking
    NDCG@10 on MovieLens 100K's five folds (relevant: test rating >= 4;
    ``benchmarks/bench_ease_weights.py``): 0.3854 without ``y``
    (``alpha=500``), 0.3691 with the ratings and ``alpha=500``, 0.4162 with
    the ratings and ``alpha`` chosen on inner splits (4000-8000). Weights
    ``c * y`` with ``alpha * c**2`` give the same model, so choose ``alpha``
    again (e.g. with GridSearchCV) when ``y`` is not 0/1.

    Memory and time: ``XᵀX`` is a dense ``n_items x n_items`` float32 matrix
    (400 MB for 10,000 items), inverted in place from its Cholesky factor
    (LAPACK ``potrf``/``potri``); catalogues above 50,000 items raise a
    ``ValueError`` (keep the most popular items, or use
    ``MatrixFactorization(feedback="implicit")``). Computations run in
    float32, whose rounding moves NDCG@10 by less than 1e-4 against float64
    on MovieLens 100K. The time grows as ``n_items³``; LAPACK uses the BLAS
    threads (``threadpoolctl`` limits them).

    ``predict`` returns the score ``x_u B_:j`` of each pair (not a rating);
    ``transform`` returns ``[score, item_popularity]`` per row, features for a
    downstream ranker. Scores of a user's training items are computed from
    their other items (zero diagonal), so they are comparable to the rest.

    Default ``alpha``: mean NDCG@10 (relevant: rating >= 4, full ranking) on
    inner 80/20 splits of the five training folds of MovieLens 100K, fitted on
    the interactions: 0.2276, 0.2400, 0.2419, 0.2383 and 0.2316 for alpha =
    100, 250, 500, 1000 and 2000 (``benchmarks/bench_topn.py --tune-ease``).

    References
    ----------
    H. Steck, "Embarrassingly shallow autoencoders for sparse data", WWW 2019.

    Examples
    --------
    >>> from sklearn_attnrec import EASE
    >>> X = [["ann", "a"], ["ann", "b"], ["bob", "a"], ["bob", "b"],
    ...      ["cy", "a"], ["cy", "c"], ["dee", "b"]]
    >>> model = EASE(alpha=1.0).fit(X)
    >>> model.recommend(["dee"], n=2)[0]  # 'a' goes with 'b' in two histories
    array([['a', 'c']], dtype=object)
    >>> model.coef_.shape
    (3, 3)
    """

    def __init__(self, alpha=500.0, *, columns=None, handle_unknown="fallback"):
        self.alpha = alpha
        self.columns = columns
        self.handle_unknown = handle_unknown

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        "alpha": [Interval(Real, 0, None, closed="neither")],
    }

    @fit_atomically
    def fit(self, X, y=None):
        """Solve for the item-item weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,), default=None
            Non-negative weight of each interaction in the Gram matrix
            ``XᵀX`` and in the histories the model scores (e.g. star
            ratings, with a larger ``alpha``: see Notes); None weighs every
            interaction 1.

        Returns
        -------
        self : EASE
        """
        validate_params(self)
        _, _, y = self._fit_interactions(X, y, y_required=False)
        if (y < 0).any():
            raise ValueError(
                "EASE reads y as the non-negative weight of each interaction "
                f"in the Gram matrix; got y = {float(y[y < 0].min())}"
            )
        n_items = len(self.item_ids_)
        if n_items > _MAX_DENSE_ITEMS:
            raise ValueError(
                f"EASE needs a dense {n_items} x {n_items} item matrix "
                f"({8 * n_items**2 / 1e9:.0f} GB at its peak); keep at most "
                f"{_MAX_DENSE_ITEMS} items (e.g. the most popular ones) or use "
                "MatrixFactorization(feedback='implicit')"
            )
        R = self.user_items_.astype(np.float32)
        gram = np.ascontiguousarray((R.T @ R).toarray(), dtype=np.float32)
        self.coef_ = ease_weights(gram, float(self.alpha))
        self.item_popularity_ = item_popularity(self.user_items_)
        return self

    # -- prediction ------------------------------------------------------------

    def _score_items(self, users):
        scores = np.empty((len(users), len(self.item_ids_)), dtype=np.float64)
        known = users != UNKNOWN
        if known.any():
            history = self.user_items_[users[known]].astype(np.float32)
            scores[known] = history @ self.coef_
        scores[~known] = self.item_popularity_
        return scores

    def _score_histories(self, histories):
        # Exact: a history's scores are its row times B, as for a training user.
        return histories.astype(np.float32) @ self.coef_

    def _predict_pairs(self, users, items):
        return self._pair_scores(users, items, unknown_item=0.0)

    def transform(self, X):
        """Per-row features ``[score, item_popularity]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 2)
            The pair's score (as :meth:`predict`) and the item's popularity
            (0 for an unknown item).
        """
        users, items = self._encode_X(X)
        popularity = np.where(
            items == UNKNOWN, 0.0, self.item_popularity_[np.maximum(items, 0)]
        )
        return np.column_stack([self._predict_pairs(users, items), popularity])

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``["score", "item_popularity"]``."""
        check_is_fitted(self)
        return np.asarray(["score", "item_popularity"], dtype=object)
