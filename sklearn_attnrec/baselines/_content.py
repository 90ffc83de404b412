"""ContentBasedRecommender: users' tastes as averages of the features of their items."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.preprocessing import normalize
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ..base import RankingScoreMixin, RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._interactions import as_interaction_array
from ..utils._param_validation import (
    RECOMMENDER_CONSTRAINTS,
    HasMethods,
    validate_params,
)
from ..utils._vocabulary import UNKNOWN


def _feature_columns(X, rows):
    """The columns after ``[user, item]`` of the rows ``rows`` of ``X``.

    A DataFrame stays a DataFrame, so that a ``features`` transformer can select
    its columns by name.
    """
    if hasattr(X, "iloc"):
        return X.iloc[rows, 2:]
    return as_interaction_array(X)[rows, 2:]


def _rowwise_dot(A, B):
    """``sum(A[k] * B[k])`` for each row ``k`` (dense or sparse operands)."""
    if sp.issparse(A):
        return np.asarray(A.multiply(B).sum(axis=1)).ravel()
    if sp.issparse(B):
        return np.asarray(B.multiply(A).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", A, B)


class ContentBasedRecommender(
    RecommenderMixin, RankingScoreMixin, TransformerMixin, BaseEstimator
):
    """Recommend the items whose features are closest to a user's profile.

    Each item is described by a feature vector ``x_i`` (genres, words of its
    title, a category, ...), read from the columns of ``X`` after the user and item
    ids. A user's profile is the rating-weighted average of the (unit-length)
    feature vectors of the items they rated, the weights being the ratings minus
    the user's mean rating (``center=True``)::

        p_u = Σ_(i rated by u) (r_ui − r̄_u) x_i / ‖x_i‖

    and the score of an item is the cosine similarity ``cos(p_u, x_i)``, in
    ``[-1, 1]``. Only features are compared, so an item unseen in training is
    scored as soon as its features are known (item cold start).

    Parameters
    ----------
    features : transformer, default=None
        How the feature columns of ``X`` (all the columns after ``[user, item]``)
        become item vectors. ``None`` uses them as they are, and they must then
        be numeric. Otherwise a scikit-learn transformer (for instance a
        :class:`~sklearn.compose.ColumnTransformer` with a
        :class:`~sklearn.preprocessing.OneHotEncoder` and a
        :class:`~sklearn.feature_extraction.text.TfidfVectorizer`, or a
        :class:`~sklearn.pipeline.Pipeline`), cloned and fitted in ``fit`` on one
        row per distinct item; it receives a DataFrame when ``X`` is one, and
        may output a dense or a sparse matrix.
    center : bool, default=True
        Weight the items of a profile by ``r_ui − r̄_u`` (liked more than the
        user's average pulls the profile towards an item, liked less pushes it
        away). A user whose ratings are all equal (always the case for implicit
        feedback) gets the plain average of their items. ``False`` weights by
        the raw ``r_ui``.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        Unknown ids at predict time. With ``"fallback"``, a new item is scored
        from the feature columns of its row (0 when ``X`` has none), and a user
        without a profile (unknown, or whose profile is zero) gets the items'
        popularity (see Notes). ``"error"`` raises a ``ValueError`` instead.

    Attributes
    ----------
    features_ : transformer or None
        The fitted clone of ``features``.
    item_profiles_ : ndarray or csr_matrix of shape (n_items, n_features)
        Unit-length feature vector of each item of ``item_ids_`` (zero for an
        item without features).
    user_profiles_ : ndarray or csr_matrix of shape (n_users, n_features)
        Unit-length profile of each user of ``user_ids_`` (zero when there is
        none); sparse when the item features are.
    user_mean_ : ndarray of shape (n_users,)
        Mean training rating of each user.
    global_mean_ : float
        Mean training rating (``user_mean`` of an unknown user in ``transform``).
    item_popularity_ : ndarray of shape (n_items,)
        Number of distinct users who interacted with each item.
    user_ids_, item_ids_ : ndarray
        Raw ids seen in fit; their order indexes the fitted arrays.
    user_items_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        Training ratings (or ones), rows are users.
    n_features_in_ : int
        Number of columns of ``X`` in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame.

    See Also
    --------
    PopularityRecommender : The non-personalised ranking used as fallback.
    ItemKNNRegressor : Items similar by who rated them, not by their features.

    Notes
    -----
    What it is for, and what not: the score is how well an item's features
    match a user's taste, which says nothing about whether the user would
    pick the item. On MovieLens 100K with genres and title words its top-10
    lists rank below popularity (NDCG@10 0.041 against 0.198 over the five
    folds, ``benchmarks/bench_topn.py``): those features are too coarse to
    tell films apart. Use it for items nobody has rated yet (item cold start,
    where interaction models cannot score them) or as a feature of a
    downstream ranker; for top-N lists from interactions use
    :class:`~sklearn_attnrec.EASE`,
    ``MatrixFactorization(feedback="implicit")`` or
    :class:`~sklearn_attnrec.ItemKNNRecommender`.

    An item's features are read from its first row in ``X``; rows of the same
    item should carry the same features (join the item table onto the
    interactions). With ``features=None`` every column after the ids is a
    feature, so drop the columns that are not (timestamps, for instance), or
    select the feature columns with a ``ColumnTransformer``.

    Scores: ``predict`` returns the cosine similarity of each ``(user, item)``
    row. A user without a profile is scored by popularity instead,
    ``n_i / n_users`` (the fraction of the training users who interacted with
    item ``i``, 0 for a new item), so that their ranking is the
    :class:`PopularityRecommender`'s. ``transform`` returns three columns per
    row: ``similarity`` (the cosine, 0 without a profile or features),
    ``user_mean`` (the user's mean rating; the global mean for an unknown user)
    and ``item_popularity`` (0 for a new item). ``score`` returns the NDCG@10 of
    the rows of ``X`` as relevant items.

    Content-based filtering needs no other user's data and handles new items,
    but recommends more of the same ("filter bubble") and is only as good as
    the item features.

    References
    ----------
    M. J. Pazzani and D. Billsus, "Content-based recommendation systems", in
    The Adaptive Web, LNCS 4321, Springer, 2007.

    Examples
    --------
    >>> from sklearn_attnrec import ContentBasedRecommender
    >>> # [user, item, is_comedy, is_drama]
    >>> X = [[1, "a", 1, 0], [1, "b", 0, 1], [2, "c", 1, 0], [2, "d", 0, 1]]
    >>> y = [5, 1, 2, 4]
    >>> model = ContentBasedRecommender().fit(X, y)
    >>> model.recommend([1, 2], n=1)[0]
    array([['c'],
           ['b']], dtype=object)
    >>> # A new item is scored from its features alone.
    >>> model.predict([[1, "new comedy", 1, 0], [2, "new comedy", 1, 0]])
    array([ 1., -1.])
    """

    def __init__(
        self, *, features=None, center=True, columns=None, handle_unknown="fallback"
    ):
        self.features = features
        self.center = center
        self.columns = columns
        self.handle_unknown = handle_unknown

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        # A transformer of the feature columns, cloned and fitted in fit.
        "features": [HasMethods(["fit_transform", "transform"]), None],
        "center": ["boolean"],
    }

    @fit_atomically
    def fit(self, X, y=None):
        """Build the item and user profiles.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, feature, ...]``.
        y : array-like of shape (n_samples,), default=None
            Ratings, or weights; None counts every row as 1 (implicit feedback).

        Returns
        -------
        self : ContentBasedRecommender
            The fitted recommender.
        """
        validate_params(self)
        _, items, y = self._fit_interactions(X, y, y_required=False)
        _, first_rows = np.unique(items, return_index=True)
        self.features_ = None if self.features is None else clone(self.features)
        self.item_profiles_ = self._item_vectors(
            self._select_columns(X), first_rows, fit=True
        )

        R = self.user_items_
        self.global_mean_ = float(y.mean())
        self.user_profiles_, self.user_mean_ = self._profiles(R)
        self.item_popularity_ = np.bincount(R.indices, minlength=R.shape[1]) * 1.0
        return self

    # predict scores new items from the feature columns of X.
    _reads_extra_columns = True

    def _profiles(self, R):
        """Unit-length taste profiles of the rows of ``R`` (users x items), and
        each row's mean value."""
        counts = np.diff(R.indptr)
        means = np.asarray(R.sum(axis=1)).ravel() / np.maximum(counts, 1)
        weights = R.copy()
        if self.center:
            rows = np.repeat(np.arange(R.shape[0]), counts)
            centred = R.data - means[rows]
            # Users whose ratings are all equal keep the plain average.
            spread = np.zeros(R.shape[0])
            np.maximum.at(spread, rows, np.abs(centred))
            weights.data = np.where(spread[rows] > 1e-12, centred, 1.0)
        profiles = weights @ self.item_profiles_
        return (normalize(profiles) if profiles.shape[1] else profiles), means

    def _score_histories(self, histories):
        # Exact: a history's profile is built as a training user's is.
        profiles, _ = self._profiles(histories)
        product = profiles @ self.item_profiles_.T
        scores = product.toarray() if sp.issparse(product) else np.array(product)
        no_profile = (
            abs(profiles).sum(axis=1).A1 == 0
            if sp.issparse(profiles)
            else (np.abs(profiles).sum(axis=1) == 0)
        )
        scores[no_profile] = self.item_popularity_ / len(self.user_ids_)
        return scores

    def _item_vectors(self, X, rows, *, fit=False):
        """Unit-length feature vectors of the items of the rows ``rows`` of X."""
        columns = _feature_columns(X, rows)
        if columns.shape[1] == 0 and self.features_ is None:
            return np.zeros((len(rows), 0))
        if self.features_ is None:
            try:
                F = check_array(columns, dtype=np.float64, ensure_min_samples=0)
            except ValueError as exc:
                raise ValueError(
                    "the feature columns of X (after user and item) must be numeric "
                    "with features=None; pass a transformer as features= (e.g. a "
                    f"ColumnTransformer with a OneHotEncoder) to encode them: {exc}"
                ) from exc
        elif fit:
            F = self.features_.fit_transform(columns)
        else:
            F = self.features_.transform(columns)
        if F.shape[0] != len(rows):
            # A text featuriser given a DataFrame iterates over its column names.
            raise ValueError(
                f"features={type(self.features_).__name__} gave {F.shape[0]} rows "
                f"for {len(rows)} items: it must return one row per row of the "
                "feature columns. A text featuriser (e.g. CountVectorizer) takes one "
                "text column: wrap it in a ColumnTransformer, e.g. "
                "ColumnTransformer([('title', CountVectorizer(), 'title')])"
            )
        F = sp.csr_matrix(F, dtype=np.float64) if sp.issparse(F) else np.asarray(F)
        return normalize(F) if F.shape[1] else F.astype(np.float64)

    def _has_profile(self, users):
        known = users != UNKNOWN
        has = np.zeros(len(users), dtype=bool)
        norms = self.user_profiles_[users[known]]
        if sp.issparse(norms):
            has[known] = np.diff(norms.indptr) > 0
        else:
            has[known] = np.abs(norms).sum(axis=1) > 0
        return has

    def _popularity(self, items):
        fraction = self.item_popularity_ / len(self.user_ids_)
        return np.where(items == UNKNOWN, 0.0, fraction[np.maximum(items, 0)])

    def _cosine(self, users, item_vectors):
        """Cosine of each user's profile with one item vector per row."""
        out = np.zeros(len(users))
        has = np.flatnonzero(self._has_profile(users))
        if len(has):
            out[has] = _rowwise_dot(self.user_profiles_[users[has]], item_vectors[has])
        return out

    def _similarity(self, users, items, X=None):
        """Cosine of each pair; new items get vectors from the feature columns
        of their row of ``X`` (0 without them)."""
        scores = np.zeros(len(users))
        known = items != UNKNOWN
        scores[known] = self._cosine(users[known], self.item_profiles_[items[known]])
        new = np.flatnonzero(~known)
        if len(new) and X is not None and self.n_features_in_ > 2:
            scores[new] = self._cosine(users[new], self._item_vectors(X, new))
        return scores

    def _with_fallback(self, scores, users, items):
        fallback = ~self._has_profile(users)
        scores[fallback] = self._popularity(items[fallback])
        return scores

    def predict(self, X):
        """Score each ``(user, item)`` row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows of ``[user_id, item_id, feature, ...]``, with the same columns
            as in fit. Items unseen in fit are scored from their features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Cosine similarity of the user's profile and the item's features, or
            the item's popularity fraction for a user without a profile.
        """
        users, items = self._encode_X(X)
        similarity = self._similarity(users, items, self._select_columns(X))
        return self._with_fallback(similarity, users, items)

    def _predict_pairs(self, users, items):
        return self._with_fallback(self._similarity(users, items), users, items)

    def _score_items(self, users):
        n_items = len(self.item_ids_)
        has = self._has_profile(users)
        scores = np.empty((len(users), n_items))
        scores[~has] = self.item_popularity_ / len(self.user_ids_)
        if has.any():
            product = self.user_profiles_[users[has]] @ self.item_profiles_.T
            scores[has] = product.toarray() if sp.issparse(product) else product
        return scores

    def transform(self, X):
        """Per-row features ``[similarity, user_mean, item_popularity]``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows of ``[user_id, item_id, feature, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 3)
            See Notes.
        """
        users, items = self._encode_X(X)
        user_mean = np.where(
            users == UNKNOWN, self.global_mean_, self.user_mean_[np.maximum(users, 0)]
        )
        popularity = np.where(
            items == UNKNOWN, 0.0, self.item_popularity_[np.maximum(items, 0)]
        )
        similarity = self._similarity(users, items, self._select_columns(X))
        return np.column_stack([similarity, user_mean, popularity])

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of str
            ``["similarity", "user_mean", "item_popularity"]``.
        """
        check_is_fitted(self)
        return np.asarray(["similarity", "user_mean", "item_popularity"], dtype=object)
