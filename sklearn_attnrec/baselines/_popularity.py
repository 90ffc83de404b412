"""PopularityRecommender: the same ranking, most-interacted items first, for all."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..base import RankingScoreMixin, RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._param_validation import RECOMMENDER_CONSTRAINTS, validate_params
from ..utils._vocabulary import UNKNOWN


class PopularityRecommender(
    RecommenderMixin, RankingScoreMixin, TransformerMixin, BaseEstimator
):
    """Rank items by the number of users who interacted with them.

    The non-personalised baseline every recommender must beat, and the usual
    fallback for a new user with no history (cold start).

    Parameters
    ----------
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        Unknown items at predict time score 0 (no interaction seen); unknown users
        get the same ranking as everybody. ``"error"`` raises a ``ValueError``
        instead.

    Attributes
    ----------
    item_popularity_ : ndarray of shape (n_items,)
        Number of distinct users who interacted with each item of ``item_ids_``.
    user_activity_ : ndarray of shape (n_users,)
        Number of distinct items each user of ``user_ids_`` interacted with.
    user_ids_, item_ids_ : ndarray
        Raw ids seen in fit; their order indexes the fitted arrays.
    user_items_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        Training values (``y``, or ones), rows are users.
    n_features_in_ : int
        Number of columns of ``X`` in fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame.

    See Also
    --------
    BaselineRegressor : Global mean plus user and item biases.

    Notes
    -----
    ``predict`` returns each row's item popularity; ``transform`` returns
    ``[item_popularity, user_activity]`` per row (0 for unknown ids); ``score``
    returns NDCG@10 of the rows of ``X`` as relevant items (see
    :func:`~sklearn_attnrec.metrics.make_ranking_scorer`).

    Examples
    --------
    >>> from sklearn_attnrec import PopularityRecommender
    >>> X = [["ann", "a"], ["bob", "a"], ["bob", "b"], ["cy", "c"], ["cy", "a"]]
    >>> model = PopularityRecommender().fit(X)
    >>> model.item_popularity_.tolist()
    [3.0, 1.0, 1.0]
    >>> model.recommend(["ann", "new user"], n=2)[0]
    array([['b', 'c'],
           ['a', 'b']], dtype=object)
    """

    def __init__(self, *, columns=None, handle_unknown="fallback"):
        self.columns = columns
        self.handle_unknown = handle_unknown

    _parameter_constraints = {**RECOMMENDER_CONSTRAINTS}

    @fit_atomically
    def fit(self, X, y=None):
        """Count interactions per item and per user.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,), default=None
            Ratings or weights; only validated and stored in ``user_items_``,
            the popularity counts ignore them.

        Returns
        -------
        self : PopularityRecommender
        """
        validate_params(self)
        self._fit_interactions(X, y, y_required=False)
        pattern = self.user_items_.copy()
        pattern.data[:] = 1.0
        self.item_popularity_ = np.asarray(pattern.sum(axis=0)).ravel()
        self.user_activity_ = np.asarray(pattern.sum(axis=1)).ravel()
        return self

    def _item_popularity(self, items):
        return np.where(
            items == UNKNOWN, 0.0, self.item_popularity_[np.maximum(items, 0)]
        )

    def _predict_pairs(self, users, items):
        return self._item_popularity(items)

    def _score_items(self, users):
        return np.broadcast_to(self.item_popularity_, (len(users), len(self.item_ids_)))

    def _score_histories(self, histories):
        # Everyone gets the same ranking: a history changes nothing.
        return self._score_items(np.full(histories.shape[0], UNKNOWN))

    def transform(self, X):
        """Per-row features ``[item_popularity, user_activity]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 2)
        """
        users, items = self._encode_X(X)
        activity = np.where(
            users == UNKNOWN, 0.0, self.user_activity_[np.maximum(users, 0)]
        )
        return np.column_stack([self._item_popularity(items), activity])

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns."""
        check_is_fitted(self)
        return np.asarray(["item_popularity", "user_activity"], dtype=object)
