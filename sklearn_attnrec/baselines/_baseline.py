"""BaselineRegressor: r̂_ui = μ + b_u + b_i with regularised biases."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..base import RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._param_validation import (
    RECOMMENDER_CONSTRAINTS,
    Interval,
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


def _lookup(values, index):
    """``values[index]`` with 0 where ``index`` is unknown (-1)."""
    return np.where(index == UNKNOWN, 0.0, values[np.maximum(index, 0)])


class BaselineRegressor(
    RecommenderMixin, RegressorMixin, TransformerMixin, BaseEstimator
):
    """Global mean plus regularised user and item biases.

    Predicts ``r̂_ui = μ + b_u + b_i`` where the biases minimise the regularised
    squared error (Koren 2008)::

        Σ_(u,i) (r_ui − μ − b_u − b_i)² + alpha_user Σ_u b_u² + alpha_item Σ_i b_i²

    The problem is convex and solved exactly by alternating closed-form updates
    (item biases, then user biases) until the biases move less than ``tol``.
    The penalties act as damping: a user or item with few ratings is pulled towards
    the global mean.

    Parameters
    ----------
    alpha_user : float, default=5.0
        L2 strength (damping) of the user biases.
    alpha_item : float, default=3.0
        L2 strength (damping) of the item biases.
    max_iter : int, default=50
        Maximum number of alternating sweeps.
    tol : float, default=1e-6
        Stop when no bias changes by more than ``tol`` in a sweep.
    clip : bool, default=True
        Clip predictions to the range of the training ratings.
    ranking : {"relevance", "rating"}, default="relevance"
        What ``recommend`` and the ranking scorers rank by. ``"relevance"``:
        the estimated probability that the user rates the item *and* rates it
        above their own mean, ``popularity_i · Φ((r̂_ui − r̄_u) / σ)`` (see
        Notes);
        ``"rating"``: the predicted rating ``r̂_ui`` (clipped as ``predict``
        clips it), which puts films rated once or twice by enthusiasts first
        and ranks worse than popularity on MovieLens.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        Unknown users or items at predict time: ``"fallback"`` drops their bias
        (an unknown user gets ``μ + b_i``, an unknown item ``μ + b_u``, both
        unknown ``μ``); ``"error"`` raises a ``ValueError``.

    Attributes
    ----------
    global_mean_ : float
        Mean training rating μ.
    user_bias_ : ndarray of shape (n_users,)
        ``b_u`` for each user in ``user_ids_``.
    item_bias_ : ndarray of shape (n_items,)
        ``b_i`` for each item in ``item_ids_``.
    rating_range_ : tuple of float
        ``(min, max)`` training rating, used by ``clip``.
    n_iter_ : int
        Sweeps run.
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
    PopularityRecommender : Non-personalised ranking by popularity.

    Notes
    -----
    ``transform`` returns two columns per row, ``[user_bias, item_bias]`` (0 for
    an unknown id), so the biases can feed another estimator in a Pipeline.

    Top-N: a predicted rating says how much a user would like an item *if*
    they rated it, not whether they would pick it. With ``ranking="relevance"``
    the score of item ``i`` is ``p_i · Φ((r̂_ui − r̄_u) / σ)`` where ``p_i`` is
    the share of training users who rated ``i``, ``r̄_u`` the user's mean
    training rating (the global mean for a new user), ``σ`` the standard
    deviation of the training ratings and ``Φ`` the normal CDF: the
    probability of "picked, and rated above the user's own mean" if picking
    follows popularity and the rating is ``r̂_ui`` plus noise of the ratings'
    spread (Cremonesi, Koren & Turrin 2010 show why rating accuracy does not
    give good top-N lists).
    ``predict`` always returns ratings.

    References
    ----------
    Y. Koren, "Factorization meets the neighborhood: a multifaceted collaborative
    filtering model", KDD 2008.

    P. Cremonesi, Y. Koren, R. Turrin, "Performance of recommender algorithms on
    top-N recommendation tasks", RecSys 2010.

    Examples
    --------
    >>> from sklearn_attnrec import BaselineRegressor
    >>> X = [[1, "a"], [1, "b"], [2, "a"], [3, "b"]]
    >>> y = [5, 3, 4, 2]
    >>> model = BaselineRegressor().fit(X, y)
    >>> model.predict([[2, "b"]]).round(2)
    array([3.13])
    >>> model.recommend([3], n=1)  # P(picks and likes 'a')
    (array([['a']], dtype=object), array([[0.622...]]))
    >>> model.set_params(ranking="rating").recommend([3], n=1)  # its rating
    (array([['a']], dtype=object), array([[3.68...]]))
    """

    def __init__(
        self,
        *,
        alpha_user=5.0,
        alpha_item=3.0,
        max_iter=50,
        tol=1e-6,
        clip=True,
        ranking="relevance",
        columns=None,
        handle_unknown="fallback",
    ):
        self.alpha_user = alpha_user
        self.alpha_item = alpha_item
        self.max_iter = max_iter
        self.tol = tol
        self.clip = clip
        self.ranking = ranking
        self.columns = columns
        self.handle_unknown = handle_unknown

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        "alpha_user": [Interval(Real, 0, None, closed="left")],
        "alpha_item": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "clip": ["boolean"],
        "ranking": RANKING_CONSTRAINT,
    }

    @fit_atomically
    def fit(self, X, y):
        """Fit the biases.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,)
            Ratings.

        Returns
        -------
        self : BaselineRegressor
        """
        validate_params(self)
        users, items, y = self._fit_interactions(X, y)
        warn_if_constant_ratings(y, type(self).__name__)
        n_users, n_items = self.user_items_.shape
        mu = y.mean()
        user_count = np.bincount(users, minlength=n_users)
        item_count = np.bincount(items, minlength=n_items)
        b_u = np.zeros(n_users)
        b_i = np.zeros(n_items)
        residual = y - mu
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007 (kept after the loop)
            new_b_i = np.bincount(items, residual - b_u[users], n_items) / (
                self.alpha_item + item_count
            )
            new_b_u = np.bincount(users, residual - new_b_i[items], n_users) / (
                self.alpha_user + user_count
            )
            change = max(np.abs(new_b_i - b_i).max(), np.abs(new_b_u - b_u).max())
            b_i, b_u = new_b_i, new_b_u
            if change <= self.tol:
                break
        # An id with no ratings cannot occur here, but a zero penalty with a zero
        # count would divide by zero: keep the arrays finite regardless.
        self.n_iter_ = n_iter
        self.global_mean_ = float(mu)
        self.user_bias_ = np.nan_to_num(b_u)
        self.item_bias_ = np.nan_to_num(b_i)
        self.rating_range_ = (float(y.min()), float(y.max()))
        self._relevance_stats_ = relevance_stats(self.user_items_)
        return self

    def _predict_pairs(self, users, items):
        pred = (
            self.global_mean_
            + _lookup(self.user_bias_, users)
            + _lookup(self.item_bias_, items)
        )
        return np.clip(pred, *self.rating_range_) if self.clip else pred

    def _score_items(self, users):
        return self._scores_from_user_bias(
            _lookup(self.user_bias_, users),
            user_mean_ratings(self.user_items_, users, self._relevance_stats_.mean),
        )

    def _fold_in_needs_ratings(self):
        return True

    def _score_histories(self, histories):
        """Each history's user bias solves the same damped least squares as in
        fit, against the fitted item biases: ``b_u = Σ (r − μ − b_i) /
        (alpha_user + n_u)``."""
        rows = np.repeat(np.arange(histories.shape[0]), np.diff(histories.indptr))
        residual = (
            histories.data - self.global_mean_ - self.item_bias_[histories.indices]
        )
        counts = np.diff(histories.indptr)
        user_bias = np.bincount(rows, residual, histories.shape[0]) / (
            self.alpha_user + counts
        )
        means = mean_ratings(histories, self._relevance_stats_.mean)
        return self._scores_from_user_bias(np.nan_to_num(user_bias), means)

    def _scores_from_user_bias(self, user_bias, means):
        ratings = (self.global_mean_ + user_bias)[:, None] + self.item_bias_[None, :]
        if self.clip:
            ratings = np.clip(ratings, *self.rating_range_)
        if self.ranking == "rating":
            return ratings
        return relevance_scores(ratings, self._relevance_stats_, means)

    def transform(self, X):
        """Per-row bias features ``[user_bias, item_bias]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 2)
            ``b_u`` and ``b_i`` of each row (0 for an unknown id).
        """
        users, items = self._encode_X(X)
        return np.column_stack(
            [_lookup(self.user_bias_, users), _lookup(self.item_bias_, items)]
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``["user_bias", "item_bias"]``."""
        check_is_fitted(self)
        return np.asarray(["user_bias", "item_bias"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Ids carry no signal on random numeric data, so R² on it is poor.
        tags.regressor_tags.poor_score = True
        return tags
