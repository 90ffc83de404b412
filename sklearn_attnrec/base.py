"""Shared machinery of every recommender: data validation, ids, seen items, recommend.

A recommender learns from interactions ``X`` of shape ``(n_samples, >=2)`` whose first
column holds user ids and whose second holds item ids (by position, for arrays and
DataFrames alike; further columns, such as timestamps, are accepted and ignored by
models that do not use them), and optional ratings or weights ``y``.

Subclasses implement two hooks on *encoded* indices, where ``-1`` marks an id unseen in
training:

- ``_predict_pairs(user_index, item_index)`` -> one score per pair;
- ``_score_items(user_index)`` -> scores of every known item for each user, shape
  ``(len(user_index), n_items)``.

and call ``self._fit_interactions(X, y)`` at the top of ``fit``.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from .metrics._ranking import _topk_indices
from .utils._interactions import interaction_matrix, mask_seen
from .utils._vocabulary import UNKNOWN, encode_ids, fit_vocabulary

_HANDLE_UNKNOWN = ("fallback", "error")

# Users scored per block in ``recommend``: bounds memory at block * n_items floats.
_USER_BLOCK = 1024


def _keep_id_types(X):
    """Lists of rows become object arrays, so that ``[[1, "a"]]`` keeps user id 1
    an int (``np.asarray`` would turn it into the string "1")."""
    if isinstance(X, (list, tuple)):
        return np.asarray(X, dtype=object)
    return X


def check_n(n):
    """Raise unless the length ``n`` of a top-``n`` list is a positive integer."""
    if not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"n must be a positive integer; got {n!r}")


class RecommenderMixin:
    """Mixin for recommenders of ``(user, item)`` interactions.

    Provides input validation, the id vocabulary, the matrix of items seen in
    training, ``predict`` for pairs with an unknown-id policy, and ``recommend``.

    Fitted attributes set by ``_fit_interactions``:

    - ``user_ids_``, ``item_ids_``: the sorted raw ids seen in training; the index of
      an id in these arrays is its row/column in every fitted matrix;
    - ``user_items_``: CSR matrix ``(n_users, n_items)`` of training ratings
      (or weights), rows are users. A ``(user, item)`` pair given several times is
      stored once with the mean of its values;
    - ``n_features_in_`` (and ``feature_names_in_`` for DataFrames).

    Unknown ids at predict time follow the ``handle_unknown`` parameter of the
    estimator: ``"fallback"`` (the model's documented fallback score) or ``"error"``
    (a ``ValueError`` naming the unknown ids).

    A recommender implements ``fit`` (calling ``_fit_interactions``) and two hooks
    on encoded ids, where ``-1`` marks an id unseen in fit:
    ``_score_items(user_index)`` (scores of every item, one row per user) and
    ``_predict_pairs(user_index, item_index)`` (one score per pair).

    Examples
    --------
    A recommender that scores every item by its mean rating:

    >>> import numpy as np
    >>> from sklearn.base import BaseEstimator
    >>> from sklearn_attnrec.base import RecommenderMixin
    >>> class ItemMean(RecommenderMixin, BaseEstimator):
    ...     def __init__(self, handle_unknown="fallback"):
    ...         self.handle_unknown = handle_unknown
    ...     def fit(self, X, y):
    ...         self._fit_interactions(X, y)
    ...         R = self.user_items_
    ...         self.item_mean_ = np.asarray(R.sum(axis=0)).ravel() / R.getnnz(axis=0)
    ...         return self
    ...     def _score_items(self, user_index):
    ...         return np.tile(self.item_mean_, (len(user_index), 1))
    ...     def _predict_pairs(self, user_index, item_index):
    ...         known = item_index >= 0
    ...         scores = self.item_mean_[np.maximum(item_index, 0)]
    ...         return np.where(known, scores, self.item_mean_.mean())
    >>> model = ItemMean().fit([[0, "a"], [0, "b"], [1, "a"]], [5, 3, 4])
    >>> model.predict([[1, "b"], [2, "c"]])
    array([3.  , 3.75])
    >>> model.recommend([1], n=1)[0]
    array([['b']], dtype=object)
    """

    # -- fitting ---------------------------------------------------------------

    def _fit_interactions(self, X, y=None, *, y_required=True):
        """Validate training data, fit the id vocabularies and ``user_items_``.

        Returns
        -------
        user_index, item_index : ndarray of int64
        y : ndarray of float64
            Validated ratings, or ones when ``y`` is None and not required.
        """
        if self.handle_unknown not in _HANDLE_UNKNOWN:
            raise ValueError(
                f"handle_unknown must be one of {_HANDLE_UNKNOWN}; "
                f"got {self.handle_unknown!r}"
            )
        X = _keep_id_types(X)
        if y is None and not y_required:
            X = self._validate_X(X, reset=True)
            y = np.ones(X.shape[0])
        else:
            X, y = validate_data(
                self,
                X,
                y,
                reset=True,
                dtype=None,
                ensure_min_features=2,
                y_numeric=True,
            )
            y = np.asarray(y, dtype=np.float64)
        self.user_ids_, user_index = fit_vocabulary(X[:, 0], name="user ids")
        self.item_ids_, item_index = fit_vocabulary(X[:, 1], name="item ids")
        self.user_items_ = interaction_matrix(
            user_index, item_index, y, (len(self.user_ids_), len(self.item_ids_))
        )
        return user_index, item_index, y

    def _validate_X(self, X, *, reset):
        # After fit, the n_features_in_ check (>= 2 at fit) gives the clearer
        # message for a wrong number of columns.
        return validate_data(
            self,
            _keep_id_types(X),
            reset=reset,
            dtype=None,
            ensure_min_features=2 if reset else 1,
        )

    # -- encoding --------------------------------------------------------------

    def _encode(self, ids, vocabulary, kind):
        index = encode_ids(ids, vocabulary)
        if self.handle_unknown == "error" and (index == UNKNOWN).any():
            unknown = np.asarray(ids)[index == UNKNOWN]
            raise ValueError(
                f"{len(unknown)} unknown {kind} id(s) not seen in fit, e.g. "
                f"{unknown[:5].tolist()}; set handle_unknown='fallback' to score "
                "them with the model's fallback"
            )
        return index

    def _encode_X(self, X):
        """Validate ``X`` against the fitted model and return encoded indices."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        users = self._encode(X[:, 0], self.user_ids_, "user")
        items = self._encode(X[:, 1], self.item_ids_, "item")
        return users, items

    # -- prediction ------------------------------------------------------------

    def predict(self, X):
        """Score each ``(user, item)`` row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted rating (explicit models) or preference score. Pairs with an
            unknown user or item get the model's fallback, or raise a
            ``ValueError`` with ``handle_unknown="error"``.
        """
        users, items = self._encode_X(X)
        return self._predict_pairs(users, items)

    def recommend(self, users, n=10, *, exclude_seen=True, items=None):
        """Top-``n`` items for each user.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            Raw user ids. Users unseen in training get the model's fallback
            ranking (or a ``ValueError`` with ``handle_unknown="error"``).
        n : int, default=10
            Length of each list.
        exclude_seen : bool, default=True
            Leave out the items each user interacted with in training.
        items : array-like of shape (n_candidates,), default=None
            Rank only these item ids. Ids unseen in training cannot be ranked
            against the others and are dropped (or raise with
            ``handle_unknown="error"``).

        Returns
        -------
        item_ids : ndarray of shape (n_users, min(n, n_candidates))
            Recommended raw item ids, best first.
        scores : ndarray of shape (n_users, min(n, n_candidates))
            Their scores. Where a user has fewer eligible items than ``n``, the
            remaining slots hold excluded items with score ``-inf``.
        """
        user_index = self._recommend_users(users, n)
        candidates = None if items is None else self._candidate_items(items)
        n_out = min(n, len(self.item_ids_) if candidates is None else len(candidates))
        out_items = np.empty((len(users), n_out), dtype=np.int64)
        out_scores = np.empty((len(users), n_out), dtype=np.float64)
        for start in range(0, len(users), _USER_BLOCK):
            block = user_index[start : start + _USER_BLOCK]
            scores = self._ranking_scores(block, exclude_seen)
            if candidates is not None:
                scores = scores[:, candidates]
            top = _topk_indices(scores, n_out)
            out_scores[start : start + len(block)] = np.take_along_axis(
                scores, top, axis=1
            )
            out_items[start : start + len(block)] = (
                top if candidates is None else candidates[top]
            )
        return self.item_ids_[out_items], out_scores

    def _recommend_users(self, users, n):
        """``recommend``'s checks (fitted, ``n`` a positive integer, ``users``
        1-D); returns the encoded users."""
        check_is_fitted(self)
        check_n(n)
        users = np.asarray(users)
        if users.ndim != 1:
            raise ValueError(f"users must be 1-D; got shape {users.shape}")
        return self._encode(users, self.user_ids_, "user")

    def _candidate_items(self, items):
        """Sorted indices of the known items among ``items`` (``recommend``'s
        ``items=``); unknown ones are dropped, or raise with
        ``handle_unknown="error"``."""
        candidates = self._encode(np.asarray(items).ravel(), self.item_ids_, "item")
        candidates = np.unique(candidates[candidates != UNKNOWN])
        if len(candidates) == 0:
            raise ValueError("none of the candidate items were seen in fit")
        return candidates

    def _ranking_scores(self, user_index, exclude_seen=True):
        """Scores of all known items for encoded users, seen items at ``-inf``."""
        scores = np.array(self._score_items(user_index), dtype=np.float64)
        if exclude_seen:
            mask_seen(scores, user_index, self.user_items_)
        return scores

    # -- sklearn plumbing ------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Ids may be strings; they are encoded, never used as numbers.
        tags.input_tags.string = True
        return tags
