"""User-user and item-item neighbourhood collaborative filtering."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..base import RecommenderMixin
from ..baselines import BaselineRegressor
from ..utils._fitting import fit_atomically
from ..utils._param_validation import (
    N_JOBS,
    RECOMMENDER_CONSTRAINTS,
    VERBOSE,
    Interval,
    StrOptions,
    validate_params,
)
from ..utils._progress import warn_if_constant_ratings
from ..utils._relevance import (
    RANKING_CONSTRAINT,
    mean_ratings,
    relevance_scores,
    relevance_stats,
    user_mean_ratings,
)
from ..utils._vocabulary import UNKNOWN
from ._similarity import (
    most_similar,
    top_k_per_segment,
    topk_similarity,
    truncate_rows,
    with_data,
)

_METRICS = (
    "cosine",
    "centered_cosine",
    "pearson",
    "adjusted_cosine",
    "pearson_baseline",
)
# How each metric centres the rating vectors before comparing them, and which
# entries the norms run over (see _similarity._NORMS).
_METRIC_SPECS = {
    "cosine": (None, "whole"),
    "centered_cosine": ("own_mean", "whole"),
    "pearson": (None, "pearson"),
    "adjusted_cosine": ("other_mean", "corated"),
    "pearson_baseline": ("baseline", "corated"),
}
_FEATURES = (
    "prediction",
    "baseline",
    "neighbor_mean",
    "similarity_sum",
    "n_neighbors_used",
)
# A similarity matrix with at most this many entries is densified for lookups.
_DENSE_LOOKUP = 1 << 23
# Candidate (pair, neighbour) entries gathered at once in predict.
_CHUNK_ENTRIES = 1 << 22


def _row_means(M):
    """Mean of the stored entries of each row of a CSR matrix (0 for none)."""
    counts = np.diff(M.indptr)
    sums = np.asarray(M.sum(axis=1)).ravel()
    return np.divide(sums, counts, out=np.zeros(M.shape[0]), where=counts > 0)


class _SimilarityLookup:
    """Vectorised ``S[rows, cols]`` for a sparse matrix (0 where absent)."""

    def __init__(self, S):
        self.n = S.shape[1]
        if S.shape[0] * S.shape[1] <= _DENSE_LOOKUP:
            self.dense = S.toarray()
            return
        self.dense = None
        S = S.copy()
        S.sort_indices()
        rows = np.repeat(np.arange(S.shape[0], dtype=np.int64), np.diff(S.indptr))
        self.keys = rows * self.n + S.indices
        self.values = S.data

    def __call__(self, rows, cols):
        if self.dense is not None:
            return self.dense[rows, cols]
        keys = rows.astype(np.int64) * self.n + cols
        if len(self.keys) == 0:
            return np.zeros(len(keys))
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, self.values[pos], 0.0)


def neighbor_sums(similarity, context_rows, entities, contexts, k, min_similarity):
    """Sums over the ``k`` nearest neighbours of each pair among those available.

    For pair ``p`` the candidates are the entities ``j`` stored in row
    ``contexts[p]`` of ``context_rows`` (the items the user rated, or the users
    who rated the item), with similarity ``s = similarity[entities[p], j]``.
    Candidates with ``s <= min_similarity`` (or ``s == 0`` when it is None) are
    dropped, the ``k`` largest ``s`` kept (ties: lower ``j`` first), and

    - ``num[p] = sum s * v`` with ``v = context_rows[contexts[p], j]``,
    - ``den[p] = sum |s|``,
    - ``count[p]`` the number of neighbours used.

    Parameters
    ----------
    similarity : csr_matrix of shape (n_entities, n_entities)
    context_rows : csr_matrix of shape (n_contexts, n_entities), sorted indices
    entities, contexts : ndarray of int of shape (n_pairs,)
        Known (non-negative) indices.
    k : int
    min_similarity : float or None

    Returns
    -------
    num, den : ndarray of float of shape (n_pairs,)
    count : ndarray of int of shape (n_pairs,)
    """
    n_pairs = len(entities)
    num, den = np.zeros(n_pairs), np.zeros(n_pairs)
    count = np.zeros(n_pairs, dtype=np.int64)
    if n_pairs == 0 or context_rows.nnz == 0 or similarity.nnz == 0:
        return num, den, count
    lookup = _SimilarityLookup(similarity)
    lengths = np.diff(context_rows.indptr)[contexts]
    ends = np.cumsum(lengths)
    start = 0
    while start < n_pairs:
        # Pairs [start, stop) hold about _CHUNK_ENTRIES candidates (at least 1 pair).
        base = ends[start] - lengths[start]
        stop = int(np.searchsorted(ends, base + _CHUNK_ENTRIES, side="right"))
        stop = max(stop, start + 1)
        chunk = slice(start, stop)
        L = lengths[chunk]
        pair = np.repeat(np.arange(stop - start), L)
        first = context_rows.indptr[contexts[chunk]]
        pos = np.repeat(first - (np.cumsum(L) - L), L) + np.arange(L.sum())
        cols = context_rows.indices[pos]
        sims = lookup(entities[chunk][pair], cols)
        keep = sims != 0 if min_similarity is None else sims > min_similarity
        pair, sims, values = pair[keep], sims[keep], context_rows.data[pos[keep]]
        n = stop - start
        keep = top_k_per_segment(pair, sims, n, k)
        pair, sims, values = pair[keep], sims[keep], values[keep]
        num[chunk] = np.bincount(pair, sims * values, minlength=n)
        den[chunk] = np.bincount(pair, np.abs(sims), minlength=n)
        count[chunk] = np.bincount(pair, minlength=n)
        start = stop
    return num, den, count


class _NeighborhoodRegressor(
    RecommenderMixin, RegressorMixin, TransformerMixin, BaseEstimator
):
    """Shared machinery of the user-user and item-item models.

    Internally the model compares *entities* (users for user-user, items for
    item-item); the other side of a pair is the *context* (the item for
    user-user, the user for item-item).
    """

    _entity = None  # "user" or "item"
    # Weight of the popularity prior next to the neighbours' evidence Σ|sim| in
    # relevance ranking, in similarity units; chosen on inner 80/20 splits of the
    # training parts of MovieLens 100K's folds (benchmarks/tune_ranking_defaults.py).
    _popularity_prior = None

    def __init__(
        self,
        *,
        n_neighbors=40,
        metric="centered_cosine",
        center="baseline",
        shrinkage=0.0,
        min_support=1,
        min_neighbors=1,
        min_similarity=None,
        n_candidates=1000,
        baseline=None,
        clip=True,
        ranking="relevance",
        columns=None,
        handle_unknown="fallback",
        n_jobs=None,
        verbose=0,
    ):
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.center = center
        self.shrinkage = shrinkage
        self.min_support = min_support
        self.min_neighbors = min_neighbors
        self.min_similarity = min_similarity
        self.n_candidates = n_candidates
        self.baseline = baseline
        self.clip = clip
        self.ranking = ranking
        self.columns = columns
        self.handle_unknown = handle_unknown
        self.n_jobs = n_jobs
        self.verbose = verbose

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions(set(_METRICS))],
        "center": ["boolean", StrOptions({"baseline"})],
        "shrinkage": [Interval(Real, 0, None, closed="left")],
        "min_support": [Interval(Integral, 0, None, closed="left")],
        "min_neighbors": [Interval(Integral, 0, None, closed="left")],
        "min_similarity": [Interval(Real, -1, 1, closed="left"), None],
        "n_candidates": [Interval(Integral, 1, None, closed="left")],
        # Fitted on the encoded ids, so one of this package's recommenders.
        "baseline": [RecommenderMixin, None],
        "clip": ["boolean"],
        "ranking": RANKING_CONSTRAINT,
        "n_jobs": N_JOBS,
        "verbose": VERBOSE,
    }

    # -- fitting ---------------------------------------------------------------

    @fit_atomically
    def fit(self, X, y):
        """Fit the baseline and compute the neighbour similarities.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,)
            Ratings.

        Returns
        -------
        self : object
            The fitted model.
        """
        validate_params(self)
        users, items, y = self._fit_interactions(X, y)
        name = type(self).__name__
        warn_if_constant_ratings(y, name)
        n_entities = len(self.user_ids_ if self._entity == "user" else self.item_ids_)
        self.n_neighbors_ = min(self.n_neighbors, max(n_entities - 1, 1))
        if self.n_neighbors_ < self.n_neighbors:
            warnings.warn(
                f"{name}(n_neighbors={self.n_neighbors}) asks for more neighbours "
                f"than the {n_entities - 1} other {self._entity}s there are; "
                f"n_neighbors_={self.n_neighbors_} are used.",
                UserWarning,
                stacklevel=3,
            )
        baseline = BaselineRegressor() if self.baseline is None else self.baseline
        baseline = clone(baseline)
        if "ranking" in baseline.get_params():
            # Its item scores are the centring terms: ratings, not top-N scores.
            baseline.set_params(ranking="rating")
        # Fitted on the encoded ids: its indices are the model's indices.
        self.baseline_ = baseline.fit(np.column_stack([users, items]), y)
        # Fitted on the same rows, the baseline's training matrix equals ours:
        # share one object (a pickle then stores it once).
        self.baseline_.user_items_ = self.user_items_
        self.rating_range_ = (float(y.min()), float(y.max()))
        R = self.user_items_
        self.user_mean_ = _row_means(R)
        self.item_mean_ = _row_means(R.T.tocsr())
        centring, norm = _METRIC_SPECS[self.metric]
        E = self._entity_rows(R)  # entities x contexts
        if centring == "own_mean":
            E = self._entity_rows(self._centred(R, "entity_mean"))
        elif centring == "other_mean":
            E = self._entity_rows(self._centred(R, "context_mean"))
        elif centring == "baseline":
            E = self._entity_rows(self._centred(R, "baseline"))
        self.similarity_ = topk_similarity(
            E,
            norm=norm,
            n_keep=self.n_candidates,
            shrinkage=self.shrinkage,
            min_support=self.min_support,
            min_similarity=self.min_similarity,
            n_jobs=self.n_jobs,
            verbose=self.verbose,
        ).astype(np.float32)  # weights: float32 halves the largest fitted matrix
        self.neighbors_ = truncate_rows(self.similarity_, self.n_neighbors_)
        self._relevance_stats_ = relevance_stats(self.user_items_)
        return self

    def _entity_rows(self, R):
        """``R`` (users x items) oriented as entities x contexts, CSR."""
        return R.tocsr() if self._entity == "user" else R.T.tocsr()

    def _means(self, side):
        user_side = (self._entity == "user") == (side == "entity_mean")
        return self.user_mean_ if user_side else self.item_mean_

    def _centred(self, R, how):
        """``R`` (users x items) minus the centring term of each rating."""
        rows = np.repeat(np.arange(R.shape[0]), np.diff(R.indptr))
        cols = R.indices
        if how == "baseline":
            offset = self.baseline_._predict_pairs(rows, cols)
        elif how is None:
            return R
        else:
            means = self._means(how)
            offset = means[rows] if means is self.user_mean_ else means[cols]
        return with_data(R, R.data - offset)

    @property
    def _center_mode(self):
        if isinstance(self.center, str):
            return "baseline"
        return "entity_mean" if self.center else None

    # -- prediction ------------------------------------------------------------

    def _pair_terms(self, users, items):
        """Centring term, neighbour sums and baseline of each pair."""
        baseline = self.baseline_._predict_pairs(users, items)
        known = (users != UNKNOWN) & (items != UNKNOWN)
        u, i = users[known], items[known]
        entities, contexts = (u, i) if self._entity == "user" else (i, u)
        residuals = self._centred(self.user_items_, self._center_mode)
        num, den, count = (
            np.zeros(len(users)),
            np.zeros(len(users)),
            np.zeros(len(users), dtype=np.int64),
        )
        num[known], den[known], count[known] = neighbor_sums(
            self.similarity_,
            self._context_rows(residuals),
            entities,
            contexts,
            self.n_neighbors_,
            self.min_similarity,
        )
        if self._center_mode == "entity_mean":
            means = self._means("entity_mean")
            centre = baseline.copy()
            centre[known] = means[entities]
        elif self._center_mode == "baseline":
            centre = baseline
        else:
            centre = np.zeros(len(users))
        return centre, num, den, count, baseline

    def _context_rows(self, residuals):
        """Residuals as contexts x entities, CSR with sorted indices."""
        M = residuals.T.tocsr() if self._entity == "user" else residuals.tocsr()
        M.sort_indices()
        return M

    def _combine(self, centre, num, den, count, baseline):
        """Predictions from the sums; pairs short of neighbours fall back."""
        usable = (count >= max(self.min_neighbors, 1)) & (den > 0)
        mean = np.divide(num, den, out=np.zeros_like(num), where=usable)
        if self._center_mode is None:
            return np.where(usable, mean, baseline), mean
        return centre + mean, mean

    def _predict_pairs(self, users, items):
        centre, num, den, count, baseline = self._pair_terms(users, items)
        pred, _ = self._combine(centre, num, den, count, baseline)
        return np.clip(pred, *self.rating_range_) if self.clip else pred

    def transform(self, X):
        """Neighbourhood features of each ``(user, item)`` row.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 5)
            Columns ``prediction`` (as :meth:`predict`), ``baseline``
            (``μ + b_u + b_i`` of the fitted ``baseline_``), ``neighbor_mean``
            (the similarity-weighted mean of the neighbours' ratings minus
            their centring term, 0 without neighbours), ``similarity_sum``
            (``Σ |sim|`` over the neighbours used) and ``n_neighbors_used``.
        """
        users, items = self._encode_X(X)
        centre, num, den, count, baseline = self._pair_terms(users, items)
        pred, mean = self._combine(centre, num, den, count, baseline)
        if self.clip:
            pred = np.clip(pred, *self.rating_range_)
        return np.column_stack([pred, baseline, mean, den, count.astype(float)])

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of str
            ``["prediction", "baseline", "neighbor_mean", "similarity_sum",
            "n_neighbors_used"]``.
        """
        check_is_fitted(self)
        return np.asarray(_FEATURES, dtype=object)

    # -- ranking ---------------------------------------------------------------

    def _score_items(self, users):
        """Ranking scores of every item: relevance or ratings (``ranking``)."""
        ratings, evidence = self._ranking_ratings(users)
        return self._ranking_from(
            ratings,
            evidence,
            lambda: user_mean_ratings(
                self.user_items_, users, self._relevance_stats_.mean
            ),
        )

    def _ranking_from(self, ratings, evidence, means):
        """Relevance (or ratings) from ratings and evidence; ``means()`` gives
        each row's mean rating."""
        if self.ranking == "rating":
            return ratings
        stats = self._relevance_stats_
        consumption = evidence + self._popularity_prior * stats.popularity[None, :]
        return relevance_scores(ratings, stats, means(), consumption)

    def _neighbor_operators(self):
        """``neighbors_`` oriented for the products of ranking (items: its
        transpose, so that ``num[u, i] = Σ_j res[u, j] S[i, j]``), with its
        absolute values and its pattern: built once per ranking call."""
        S = self.neighbors_ if self._entity == "user" else self.neighbors_.T.tocsr()
        return S, with_data(S, np.abs(S.data)), with_data(S, np.ones(S.nnz))

    def _ranking_ratings(self, users):
        """Predicted ratings of every item, each neighbourhood fixed at fit
        (``neighbors_``), and the neighbours' evidence ``Σ |sim|`` of each."""
        n_items = len(self.item_ids_)
        scores = np.array(self.baseline_._score_items(users), dtype=np.float64)
        evidence = np.zeros_like(scores)  # Σ |sim| of the neighbours used
        known = np.flatnonzero(users != UNKNOWN)
        residuals = self._centred(self.user_items_, self._center_mode)
        pattern = with_data(residuals, np.ones(residuals.nnz))
        operators = self._neighbor_operators()
        S, S_abs, S_one = operators
        step = max(1, _CHUNK_ENTRIES // max(n_items, 1))
        for start in range(0, len(known), step):
            rows = known[start : start + step]
            u = users[rows]
            if self._entity == "item":
                scores[rows], evidence[rows] = self._item_based(
                    residuals[u], scores[rows], operators
                )
                continue
            # num[u, i] = Σ_v S[u, v] res[v, i]
            num = (S[u] @ residuals).toarray()
            den = (S_abs[u] @ pattern).toarray()
            count = (S_one[u] @ pattern).toarray()
            centre = self.user_mean_[u][:, None]
            if self._center_mode == "baseline":
                centre = scores[rows]
            scores[rows] = self._combine(centre, num, den, count, scores[rows])[0]
            evidence[rows] = den
        if self.clip:
            scores = np.clip(scores, *self.rating_range_)
        return scores, evidence

    def _item_based(self, residuals, baseline, operators):
        """Item-item ratings and evidence of users given by their rows of
        centred ratings (CSR, users x items) and their baseline scores."""
        S, S_abs, S_one = operators
        pattern = with_data(residuals, np.ones(residuals.nnz))
        num = (residuals @ S).toarray()
        den = (pattern @ S_abs).toarray()
        count = (pattern @ S_one).toarray()
        centre = (
            baseline if self._center_mode == "baseline" else self.item_mean_[None, :]
        )
        return self._combine(centre, num, den, count, baseline)[0], den

    def _fold_in_needs_ratings(self):
        return True

    def _score_histories(self, histories):
        if self._entity == "user":
            raise NotImplementedError(
                "UserKNNRegressor cannot recommend from a history without "
                "refitting (a new user's neighbours are users of the fit); use "
                "ItemKNNRegressor, ItemKNNRecommender or EASE, which fold new "
                "users in"
            )
        # Exact: a history is scored as a training user with those ratings,
        # its baseline folded in by the baseline model.
        baseline = np.array(self.baseline_._score_histories(histories), np.float64)
        rows = np.repeat(np.arange(histories.shape[0]), np.diff(histories.indptr))
        if self._center_mode == "baseline":
            offset = baseline[rows, histories.indices]
        elif self._center_mode == "entity_mean":
            offset = self.item_mean_[histories.indices]
        else:
            offset = 0.0
        residuals = with_data(histories, histories.data - offset)
        ratings, evidence = self._item_based(
            residuals, baseline, self._neighbor_operators()
        )
        if self.clip:
            ratings = np.clip(ratings, *self.rating_range_)
        default = self._relevance_stats_.mean
        return self._ranking_from(
            ratings, evidence, lambda: mean_ratings(histories, default)
        )

    def _similar(self, ids, vocabulary, n, kind):
        check_is_fitted(self)
        return most_similar(self.similarity_, ids, vocabulary, n, kind)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Ids carry no signal on random numeric data, so R² on it is poor.
        tags.regressor_tags.poor_score = True
        return tags


class UserKNNRegressor(_NeighborhoodRegressor):
    """User-user neighbourhood collaborative filtering.

    Predicts a rating from the ratings that the ``n_neighbors`` users most
    similar to ``u`` gave to item ``i`` (Herlocker et al. 1999)::

        r̂_ui = c_ui + Σ_(v ∈ N_i(u)) sim(u, v) (r_vi − c_vi)
                      / Σ_(v ∈ N_i(u)) |sim(u, v)|

    where ``N_i(u)`` holds the ``n_neighbors`` users most similar to ``u``
    among those who rated ``i`` and ``c`` is the centring term chosen by
    ``center``: the user's mean ``r̄_u`` (``center=True``, the lecture's
    formula), the baseline ``b_ui = μ + b_u + b_i`` (``"baseline"``, the
    default) or 0 (``False``, a plain weighted average).

    Parameters
    ----------
    n_neighbors : int, default=40
        ``k``: the number of neighbours of each prediction. More than the
        other users available is clipped to their number (``n_neighbors_``)
        with a ``UserWarning``.
    metric : {"centered_cosine", "cosine", "pearson", "adjusted_cosine", \
"pearson_baseline"}, default="centered_cosine"
        Similarity of two users (see Notes).
    center : bool or "baseline", default="baseline"
        What each rating is centred on before the neighbours' ratings are
        averaged: ``True`` its user's mean rating, ``"baseline"`` the fitted
        baseline ``b_ui = μ + b_u + b_i``, ``False`` nothing (a plain weighted
        average of the ratings).
    shrinkage : float, default=0.0
        Similarities are multiplied by ``n_common / (n_common + shrinkage)``,
        where ``n_common`` is the number of items both users rated, so
        that similarities resting on little evidence count less.
    min_support : int, default=1
        Two users with fewer than ``min_support`` common items have
        similarity 0.
    min_neighbors : int, default=1
        A prediction with fewer usable neighbours falls back to its centring
        term (see Notes).
    min_similarity : float or None, default=None
        Neighbours must have a similarity above it; ``None`` also admits
        negatively similar users (they enter the denominator with
        ``|sim|``), which slightly improves accuracy on MovieLens. Use ``0.0``
        for positive neighbours only, as Surprise and LensKit do.
    n_candidates : int, default=1000
        Most similar users kept per user after fit, among which the
        ``n_neighbors`` nearest that rated the target are picked at predict
        time (so a prediction never uses more than ``n_candidates``). Memory
        grows with ``n_users * n_candidates``; predictions are exact when
        ``n_candidates >= n_users - 1``.
    baseline : recommender, default=None
        The model of ``b_ui`` used by ``center="baseline"``,
        ``metric="pearson_baseline"`` and the fallback for unknown ids; None
        means :class:`~sklearn_attnrec.BaselineRegressor` with its defaults.
        It is cloned and fitted in ``fit``.
    clip : bool, default=True
        Clip predictions (and the ratings that ranking starts from) to the
        range of the training ratings.
    ranking : {"relevance", "rating"}, default="relevance"
        What ``recommend`` and the ranking scorers rank by. ``"relevance"``:
        how likely the user is to pick the item and like it, the neighbours'
        evidence times ``Φ((r̂_ui − r̄_u) / σ)`` (see Notes); ``"rating"``: the
        predicted rating, which puts items with few, enthusiastic ratings
        first and ranks worse than popularity on MovieLens.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        Pairs with a user or item unseen in fit: ``"fallback"`` predicts the
        fitted baseline, which drops the unknown bias (``μ + b_i`` for an
        unknown user, ``μ + b_u`` for an unknown item, ``μ`` for both);
        ``"error"`` raises a ``ValueError``.
    n_jobs : int, default=None
        Number of blocks of users whose similarities are computed at once, in
        threads (see Notes). None means 1 unless in a
        :func:`joblib.parallel_config` context; -1 means all processors.
        The result does not depend on it.
    verbose : int, default=0
        Above 0, show a progress bar over the blocks of similarities (on
        stderr).

    Attributes
    ----------
    n_neighbors_ : int
        ``n_neighbors``, clipped to the number of other users (at least 1).
    similarity_ : scipy.sparse.csr_matrix of shape (n_users, n_users)
        Row ``a`` holds the similarities of the (at most ``n_candidates``)
        most similar users of user ``a`` kept after fit, never ``a`` itself.
        Indexed like ``user_ids_``.
    neighbors_ : scipy.sparse.csr_matrix of shape (n_users, n_users)
        The ``n_neighbors`` largest entries of each row of ``similarity_``: the
        fixed neighbourhoods used for ranking (ties broken by lower index).
    baseline_ : recommender
        The fitted clone of ``baseline`` (fitted on the encoded ids, so its
        indices are this model's).
    user_mean_ : ndarray of shape (n_users,)
        Mean training rating of each user.
    item_mean_ : ndarray of shape (n_items,)
        Mean training rating of each item.
    rating_range_ : tuple of float
        ``(min, max)`` training rating, used by ``clip``.
    user_ids_, item_ids_ : ndarray
        Raw ids seen in fit; their order indexes the fitted arrays.
    user_items_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        Training ratings (rows are users).
    n_features_in_ : int
        Number of columns of ``X`` in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame.

    See Also
    --------
    ItemKNNRegressor : The item-item model, usually more accurate.
    BaselineRegressor : The baseline used for centring and fallbacks.

    Notes
    -----
    Defaults: ``centered_cosine`` similarities, baseline centring and
    negatively similar neighbours admitted. They were chosen by the RMSE on
    inner 80/20 splits of the training parts of MovieLens 100K's canonical
    folds (never on the test parts), with ``n_neighbors=40``; see
    ``benchmarks/bench_neighbors.py`` for the figures on the test folds.

    Similarities (``x_a`` is the rating vector of user ``a`` over the
    items, unknown entries absent):

    - ``"cosine"``: cosine of the raw rating vectors, unknowns counting as 0;
    - ``"centered_cosine"``: each vector minus its own mean over its known
      entries, unknowns as 0, then cosine over the whole vectors (the lecture's
      and LensKit's definition);
    - ``"pearson"``: correlation over the co-rated entries only, means taken
      over those entries (Surprise's ``pearson``);
    - ``"adjusted_cosine"``: ratings minus the mean of the item that gave
      or received them, cosine over the co-rated entries (Sarwar et al. 2001,
      for items);
    - ``"pearson_baseline"``: residuals ``r_ui − b_ui`` of the baseline, cosine
      over the co-rated entries (Surprise's ``pearson_baseline``; Koren 2010).

    Then ``sim · n_common / (n_common + shrinkage)``; pairs with fewer than
    ``min_support`` common items get 0. Similarities are computed by
    sparse matrix products, a block of users at a time, keeping the
    ``n_candidates`` best of each, so memory grows with ``n_users *
    n_candidates``, not with its square. With ``n_jobs`` the blocks (of about
    4 million pairs each) run in threads, each holding its own products in
    memory; data with fewer than about 2,000 users make a single block.
    No neighbour: when fewer than ``min_neighbors`` neighbours are usable (or
    their similarities sum to 0) the prediction is the centring term alone:
    ``r̄_u`` for ``center=True``, ``b_ui`` for ``"baseline"`` and for
    ``False``. Predictions are never NaN.

    Ranking (``recommend``, ranking scorers) scores every item at once with
    each user's ``n_neighbors`` nearest users fixed at fit time (``neighbors_``),
    the users who did not rate an item dropping out: one sparse product per
    block of users. Those scores can differ from :meth:`predict`, which picks
    for each pair the nearest among the users who rated the item.

    With ``ranking="relevance"`` (the default) those predicted ratings ``r̂``
    become top-N scores ``(E_ui + p_i) · Φ((r̂_ui − r̄_u) / σ)``: ``E_ui`` is the
    neighbourhood's evidence that ``u`` would pick ``i`` (``Σ |sim|`` over the
    neighbours used, the non-normalised aggregation of the item-based top-N
    model of Deshpande & Karypis and of Cremonesi et al. 2010), ``p_i`` the
    share of users who rated ``i`` (a popularity prior, weighted 1 similarity
    unit, chosen on inner splits), ``r̄_u`` the user's mean training rating,
    ``σ`` the standard deviation of the training ratings and ``Φ`` the normal
    CDF: picked, and rated above the user's own mean. A
    normalised average alone ranks items with one similar, enthusiastic
    neighbour first (NDCG@10 0.013 on MovieLens 100K fold u1, popularity 0.245).

    ``transform`` returns five columns per row: ``prediction`` (as
    :meth:`predict`), ``baseline`` (``b_ui``), ``neighbor_mean`` (the
    similarity-weighted mean of the neighbours' ratings ``r − c``, centred as
    ``center`` says, 0 without neighbours), ``similarity_sum`` (``Σ |sim|``
    of the neighbours used) and ``n_neighbors_used``.

    References
    ----------
    J. L. Herlocker, J. A. Konstan, A. Borchers and J. Riedl, "An algorithmic
    framework for performing collaborative filtering", SIGIR 1999.

    Y. Koren, "Factorization meets the neighborhood: a multifaceted
    collaborative filtering model", KDD 2008.

    P. Cremonesi, Y. Koren, R. Turrin, "Performance of recommender algorithms on
    top-N recommendation tasks", RecSys 2010.

    Examples
    --------
    >>> from sklearn_attnrec import UserKNNRegressor
    >>> X = [["ann", "a"], ["ann", "b"], ["bob", "a"], ["bob", "b"], ["bob", "c"],
    ...      ["cy", "a"], ["cy", "c"]]
    >>> y = [5, 1, 4, 2, 5, 1, 2]
    >>> model = UserKNNRegressor(n_neighbors=1, center=True).fit(X, y)
    >>> users, sims = model.similar_users(["ann"], n=2)
    >>> users, sims.round(2)
    (array([['bob', 'cy']], dtype=object), array([[ 0.65, -0.5 ]]))
    >>> model.predict([["ann", "c"]]).round(2)  # r̄_ann + (r_bob,c − r̄_bob)
    array([4.33])
    """

    _entity = "user"
    _popularity_prior = 1.0

    def similar_users(self, users, n=10):
        """The ``n`` users most similar to each of ``users``.

        Parameters
        ----------
        users : array-like of shape (n_queries,)
            Raw ids of users seen in fit (an unknown id raises a
            ``ValueError``: it has no neighbours).
        n : int, default=10
            Number of neighbours per user.

        Returns
        -------
        user_ids : ndarray of shape (n_queries, min(n, n_users - 1))
            Most similar users first, never the user itself.
        similarities : ndarray of shape (n_queries, min(n, n_users - 1))
            Their similarities; ``-inf`` where fewer neighbours were kept.
        """
        check_is_fitted(self)
        return self._similar(users, self.user_ids_, n, "user")


class ItemKNNRegressor(_NeighborhoodRegressor):
    """Item-item neighbourhood collaborative filtering.

    Predicts a rating from the ratings that user ``u`` gave to the
    ``n_neighbors`` items most similar to ``i`` (Sarwar et al. 2001)::

        r̂_ui = c_ui + Σ_(j ∈ N_u(i)) sim(i, j) (r_uj − c_uj)
                      / Σ_(j ∈ N_u(i)) |sim(i, j)|

    where ``N_u(i)`` holds the ``n_neighbors`` items most similar to ``i``
    among those ``u`` rated and ``c`` is the centring term chosen by
    ``center``: the item's mean ``r̄_i`` (``center=True``), the baseline
    ``b_ui = μ + b_u + b_i`` (``"baseline"``, the default) or 0 (``False``,
    the lecture's plain weighted average ``Σ sim · r_uj / Σ sim``).

    Parameters
    ----------
    n_neighbors : int, default=40
        ``k``: the number of neighbours of each prediction. More than the
        other items available is clipped to their number (``n_neighbors_``)
        with a ``UserWarning``.
    metric : {"centered_cosine", "cosine", "pearson", "adjusted_cosine", \
"pearson_baseline"}, default="centered_cosine"
        Similarity of two items (see Notes).
    center : bool or "baseline", default="baseline"
        What each rating is centred on before the neighbours' ratings are
        averaged: ``True`` its item's mean rating, ``"baseline"`` the fitted
        baseline ``b_ui = μ + b_u + b_i``, ``False`` nothing (a plain weighted
        average of the ratings).
    shrinkage : float, default=0.0
        Similarities are multiplied by ``n_common / (n_common + shrinkage)``,
        where ``n_common`` is the number of users both items rated, so
        that similarities resting on little evidence count less.
    min_support : int, default=1
        Two items with fewer than ``min_support`` common users have
        similarity 0.
    min_neighbors : int, default=1
        A prediction with fewer usable neighbours falls back to its centring
        term (see Notes).
    min_similarity : float or None, default=None
        Neighbours must have a similarity above it; ``None`` also admits
        negatively similar items (they enter the denominator with
        ``|sim|``), which slightly improves accuracy on MovieLens. Use ``0.0``
        for positive neighbours only, as Surprise and LensKit do.
    n_candidates : int, default=1000
        Most similar items kept per item after fit, among which the
        ``n_neighbors`` nearest that rated the target are picked at predict
        time (so a prediction never uses more than ``n_candidates``). Memory
        grows with ``n_items * n_candidates``; predictions are exact when
        ``n_candidates >= n_items - 1``.
    baseline : recommender, default=None
        The model of ``b_ui`` used by ``center="baseline"``,
        ``metric="pearson_baseline"`` and the fallback for unknown ids; None
        means :class:`~sklearn_attnrec.BaselineRegressor` with its defaults.
        It is cloned and fitted in ``fit``.
    clip : bool, default=True
        Clip predictions (and the ratings that ranking starts from) to the
        range of the training ratings.
    ranking : {"relevance", "rating"}, default="relevance"
        What ``recommend`` and the ranking scorers rank by. ``"relevance"``:
        how likely the user is to pick the item and like it, the neighbours'
        evidence times ``Φ((r̂_ui − r̄_u) / σ)`` (see Notes); ``"rating"``: the
        predicted rating, which puts items with few, enthusiastic ratings
        first and ranks worse than popularity on MovieLens.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        Pairs with a user or item unseen in fit: ``"fallback"`` predicts the
        fitted baseline, which drops the unknown bias (``μ + b_i`` for an
        unknown user, ``μ + b_u`` for an unknown item, ``μ`` for both);
        ``"error"`` raises a ``ValueError``.
    n_jobs : int, default=None
        Number of blocks of items whose similarities are computed at once, in
        threads (see Notes). None means 1 unless in a
        :func:`joblib.parallel_config` context; -1 means all processors.
        The result does not depend on it.
    verbose : int, default=0
        Above 0, show a progress bar over the blocks of similarities (on
        stderr).

    Attributes
    ----------
    n_neighbors_ : int
        ``n_neighbors``, clipped to the number of other items (at least 1).
    similarity_ : scipy.sparse.csr_matrix of shape (n_items, n_items)
        Row ``a`` holds the similarities of the (at most ``n_candidates``)
        most similar items of item ``a`` kept after fit, never ``a`` itself.
        Indexed like ``item_ids_``.
    neighbors_ : scipy.sparse.csr_matrix of shape (n_items, n_items)
        The ``n_neighbors`` largest entries of each row of ``similarity_``: the
        fixed neighbourhoods used for ranking (ties broken by lower index).
    baseline_ : recommender
        The fitted clone of ``baseline`` (fitted on the encoded ids, so its
        indices are this model's).
    user_mean_ : ndarray of shape (n_users,)
        Mean training rating of each user.
    item_mean_ : ndarray of shape (n_items,)
        Mean training rating of each item.
    rating_range_ : tuple of float
        ``(min, max)`` training rating, used by ``clip``.
    user_ids_, item_ids_ : ndarray
        Raw ids seen in fit; their order indexes the fitted arrays.
    user_items_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        Training ratings (rows are users).
    n_features_in_ : int
        Number of columns of ``X`` in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame.

    See Also
    --------
    UserKNNRegressor : The user-user model.
    ContentBasedRecommender : Items similar by their features.
    BaselineRegressor : The baseline used for centring and fallbacks.

    Notes
    -----
    Defaults: ``centered_cosine`` similarities, baseline centring and
    negatively similar neighbours admitted, ``n_neighbors=40``. They were
    chosen by the RMSE on inner 80/20 splits of the training parts of
    MovieLens 100K's canonical folds (never on the test parts); see
    ``benchmarks/bench_neighbors.py`` for the figures on the test folds.

    Similarities (``x_a`` is the rating vector of item ``a`` over the
    users, unknown entries absent):

    - ``"cosine"``: cosine of the raw rating vectors, unknowns counting as 0;
    - ``"centered_cosine"``: each vector minus its own mean over its known
      entries, unknowns as 0, then cosine over the whole vectors (the lecture's
      and LensKit's definition);
    - ``"pearson"``: correlation over the co-rated entries only, means taken
      over those entries (Surprise's ``pearson``);
    - ``"adjusted_cosine"``: ratings minus the mean of the user that gave
      or received them, cosine over the co-rated entries (Sarwar et al. 2001,
      for items);
    - ``"pearson_baseline"``: residuals ``r_ui − b_ui`` of the baseline, cosine
      over the co-rated entries (Surprise's ``pearson_baseline``; Koren 2010).

    Then ``sim · n_common / (n_common + shrinkage)``; pairs with fewer than
    ``min_support`` common users get 0. Similarities are computed by
    sparse matrix products, a block of items at a time, keeping the
    ``n_candidates`` best of each, so memory grows with ``n_items *
    n_candidates``, not with its square. With ``n_jobs`` the blocks (of about
    4 million pairs each) run in threads, each holding its own products in
    memory; data with fewer than about 2,000 items make a single block.
    No neighbour: when fewer than ``min_neighbors`` neighbours are usable (or
    their similarities sum to 0) the prediction is the centring term alone:
    ``r̄_i`` for ``center=True``, ``b_ui`` for ``"baseline"`` and for
    ``False``. Predictions are never NaN.

    Ranking (``recommend``, ranking scorers) scores every item at once with
    each item's ``n_neighbors`` nearest items fixed at fit time (``neighbors_``),
    the items the user did not rate dropping out: the user's row of centred
    ratings times the sparse top-``k`` similarity matrix (the item-based top-N
    model of
    Deshpande and Karypis 2004). Those scores can differ from :meth:`predict`,
    which picks for each pair the nearest among the items the user rated.

    With ``ranking="relevance"`` (the default) those predicted ratings ``r̂``
    become top-N scores ``(E_ui + 3 p_i) · Φ((r̂_ui − r̄_u) / σ)``: ``E_ui`` is the
    neighbourhood's evidence that ``u`` would pick ``i`` (``Σ |sim|`` over the
    neighbours used, the non-normalised aggregation of the item-based top-N
    model of Deshpande & Karypis and of Cremonesi et al. 2010), ``p_i`` the
    share of users who rated ``i`` (a popularity prior, weighted 3 similarity
    units, chosen on inner splits), ``r̄_u`` the user's mean training rating,
    ``σ`` the standard deviation of the training ratings and ``Φ`` the normal
    CDF: picked, and rated above the user's own mean. A
    normalised average alone ranks items with one similar, enthusiastic
    neighbour first (NDCG@10 0.053 on MovieLens 100K fold u1, popularity 0.245).

    ``transform`` returns five columns per row: ``prediction`` (as
    :meth:`predict`), ``baseline`` (``b_ui``), ``neighbor_mean`` (the
    similarity-weighted mean of the neighbours' ratings ``r − c``, centred as
    ``center`` says, 0 without neighbours), ``similarity_sum`` (``Σ |sim|``
    of the neighbours used) and ``n_neighbors_used``.

    References
    ----------
    B. Sarwar, G. Karypis, J. Konstan and J. Riedl, "Item-based collaborative
    filtering recommendation algorithms", WWW 2001.

    M. Deshpande and G. Karypis, "Item-based top-N recommendation algorithms",
    ACM TOIS 22(1), 2004.

    P. Cremonesi, Y. Koren, R. Turrin, "Performance of recommender algorithms on
    top-N recommendation tasks", RecSys 2010.

    Y. Koren, "Factorization meets the neighborhood: a multifaceted
    collaborative filtering model", KDD 2008.

    Examples
    --------
    The worked example of the lecture: six movies rated by twelve users; the
    two movies most similar to movie 1 among those user 5 rated are movies 6
    and 3, and ``r̂ = (0.59 · 3 + 0.41 · 2) / (0.59 + 0.41) ≈ 2.6``.

    >>> import numpy as np
    >>> from sklearn_attnrec import ItemKNNRegressor
    >>> R = np.array([[1, 0, 3, 0, 0, 5, 0, 0, 5, 0, 4, 0],  # 0: not rated
    ...               [0, 0, 5, 4, 0, 0, 4, 0, 0, 2, 1, 3],
    ...               [2, 4, 0, 1, 2, 0, 3, 0, 4, 3, 5, 0],
    ...               [0, 2, 4, 0, 5, 0, 0, 4, 0, 0, 2, 0],
    ...               [0, 0, 4, 3, 4, 2, 0, 0, 0, 0, 2, 5],
    ...               [1, 0, 3, 0, 3, 0, 0, 2, 0, 0, 4, 0]])
    >>> movies, users = np.nonzero(R)
    >>> X = np.column_stack([users + 1, movies + 1])  # [user, movie] rows
    >>> y = R[movies, users]
    >>> model = ItemKNNRegressor(metric="centered_cosine", n_neighbors=2,
    ...                          center=False).fit(X, y)
    >>> movies, sims = model.similar_items([1], n=2)
    >>> movies, sims.round(2)
    (array([[6, 3]]), array([[0.59, 0.41]]))
    >>> model.predict([[5, 1]]).round(1)
    array([2.6])
    """

    _entity = "item"
    _popularity_prior = 3.0

    def similar_items(self, items, n=10):
        """The ``n`` items most similar to each of ``items``.

        Parameters
        ----------
        items : array-like of shape (n_queries,)
            Raw ids of items seen in fit (an unknown id raises a
            ``ValueError``: it has no neighbours).
        n : int, default=10
            Number of neighbours per item.

        Returns
        -------
        item_ids : ndarray of shape (n_queries, min(n, n_items - 1))
            Most similar items first, never the item itself.
        similarities : ndarray of shape (n_queries, min(n, n_items - 1))
            Their similarities; ``-inf`` where fewer neighbours were kept.
        """
        check_is_fitted(self)
        return self._similar(items, self.item_ids_, n, "item")
