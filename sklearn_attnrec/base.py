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
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from .utils._interactions import interaction_matrix, mask_seen, select_columns
from .utils._topk import topk_indices
from .utils._vocabulary import UNKNOWN, encode_ids, fit_vocabulary, missing_ids

_HANDLE_UNKNOWN = ("fallback", "error")

# Users scored at once when ranking (recommend, the scorers, pairs): at most
# _USER_BLOCK users and _SCORES_PER_BLOCK scores (users * n_items floats, 64 MiB
# of float64). Not smaller: a factor model reads its whole item matrix for every
# block, which dominated ranking with 20-user blocks of a 100,000-item catalogue.
_USER_BLOCK = 1024
_SCORES_PER_BLOCK = 2**23


def user_block_size(n_items):
    """Users whose scores of ``n_items`` items are held at once."""
    return max(1, min(_USER_BLOCK, _SCORES_PER_BLOCK // max(n_items, 1)))


def _keep_id_types(X):
    """Lists of rows become object arrays, so that ``[[1, "a"]]`` keeps user id 1
    an int (``np.asarray`` would turn it into the string "1"); datetime columns
    of a DataFrame become int64 nanoseconds since the epoch (UTC)."""
    if isinstance(X, (list, tuple)):
        return np.asarray(X, dtype=object)
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        return _datetimes_as_numbers(X)
    return X


def _datetimes_as_numbers(frame):
    """A DataFrame with its datetime64 columns (naive, read as UTC, or
    tz-aware) as int64 nanoseconds: numpy cannot hold them next to int ids."""
    import pandas as pd

    columns = [
        name
        for name, dtype in frame.dtypes.items()
        if pd.api.types.is_datetime64_any_dtype(dtype)
    ]
    if not columns:
        return frame
    frame = frame.copy(deep=False)
    for name in columns:
        column = frame[name]
        if column.isna().any():
            raise ValueError(
                f"column {name!r} holds {int(column.isna().sum())} missing times "
                "(NaT): drop or fill those rows first"
            )
        if column.dt.tz is not None:
            column = column.dt.tz_convert("UTC").dt.tz_localize(None)
        frame[name] = column.astype("datetime64[ns]").astype(np.int64)
    return frame


def _id_type(ids):
    """ "str" or "number" (or the type's name) of the first id of an array."""
    first = ids.ravel()[0]
    if isinstance(first, (str, np.str_, bytes)):
        return "str"
    if isinstance(first, numbers.Number):
        return "number"
    return type(first).__name__


def check_histories(histories):
    """``histories`` as a list of 1-D id arrays (a list of rows keeps each id's
    type), with a clear error for anything else or for a missing id."""
    if isinstance(histories, (str, bytes)) or not hasattr(histories, "__len__"):
        raise ValueError(
            "histories must be a list of item-id lists, e.g. [[1, 2, 3]]; "
            f"got {type(histories).__name__}"
        )
    arrays = []
    for position, history in enumerate(histories):
        history = np.asarray(history, dtype=object if _mixed(history) else None)
        if history.ndim != 1:
            raise ValueError(
                "histories must be a list of item-id lists, e.g. [[1, 2, 3]]; "
                f"entry {position} is not 1-D: shape {history.shape}"
            )
        if missing_ids(history).any():
            raise ValueError(
                f"histories[{position}] holds a missing item id (None or NaN); "
                "drop it before recommending"
            )
        arrays.append(history)
    return arrays


def _mixed(values):
    """Whether a list of ids mixes types (kept as objects, as in fit)."""
    return isinstance(values, (list, tuple)) and len({type(v) for v in values}) > 1


def recommendations_frame(users, item_ids, scores):
    """Top-n arrays as a long DataFrame: ``user, item, score, rank``.

    Slots with score ``-inf`` (no eligible item left) are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> recommendations_frame(
    ...     np.array(["ann"]), np.array([["a", "b"]]), np.array([[2.0, 1.0]])
    ... )
      user item  score  rank
    0  ann    a    2.0     1
    1  ann    b    1.0     2
    """
    import pandas as pd

    n = item_ids.shape[1]
    keep = ~np.isneginf(scores.ravel())
    return pd.DataFrame(
        {
            "user": np.repeat(np.asarray(users), n)[keep],
            "item": item_ids.ravel()[keep],
            "score": scores.ravel()[keep],
            "rank": np.tile(np.arange(1, n + 1), len(item_ids))[keep],
        }
    )


def check_n(n, name="n", extra=""):
    """Raise unless ``n`` (the length of a top-``n`` list, or the count called
    ``name``) is a positive integer; ``extra`` names other allowed values."""
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name} must be a positive integer{extra}; got {n!r}")


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
        X = _keep_id_types(self._select_columns(X))
        if y is None and y_required:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: it learns from ratings, one per row of X"
            )
        if y is None and not y_required:
            X = validate_data(self, X, reset=True, dtype=None, ensure_min_features=2)
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

    # What X is (rows of interactions), for the bad-input and persistence tests.
    _input_kind = "interactions"

    # Whether predict reads the columns after [user, item] (item features):
    # then X must have the columns of fit. Otherwise they are ignored.
    _reads_extra_columns = False

    def _select_columns(self, X):
        """``X`` restricted to the ``columns`` parameter (when the model has
        one and it is set), in that order."""
        return select_columns(X, getattr(self, "columns", None))

    def _validate_X(self, X, *, reset, all_columns=False):
        X = _keep_id_types(self._select_columns(X))
        if reset or all_columns or self._reads_extra_columns:
            # After fit, the n_features_in_ check (>= 2 at fit) gives the
            # clearer message for a wrong number of columns.
            return validate_data(
                self, X, reset=reset, dtype=None, ensure_min_features=2 if reset else 1
            )
        return self._id_columns(X)

    def _id_columns(self, X):
        """The user and item columns of ``X`` after fit: any further columns
        (a time, a rating) are accepted and ignored, whatever fit had; a
        DataFrame's first two columns must carry fit's names."""
        fitted_names = getattr(self, "feature_names_in_", None)
        if hasattr(X, "iloc"):
            names = [str(name) for name in X.columns[:2]]
            if fitted_names is not None and names != list(fitted_names[:2]):
                raise ValueError(
                    "The feature names should match those that were passed during "
                    f"fit: the user and item columns were {list(fitted_names[:2])}, "
                    f"got {names} (columns are read by position)"
                )
            X = X.iloc[:, :2]
        elif not hasattr(X, "shape") or getattr(X, "ndim", 2) != 2:
            X = np.asarray(X) if hasattr(X, "__array__") else X
        X = check_array(X, dtype=None, ensure_2d=True, ensure_min_samples=1)
        if X.shape[1] < 2:
            raise ValueError(
                f"X has {X.shape[1]} feature(s), but {type(self).__name__} needs 2: "
                "the user and item columns"
            )
        return X[:, :2]

    # -- encoding --------------------------------------------------------------

    def _encode(self, ids, vocabulary, kind):
        index = encode_ids(ids, vocabulary)
        if len(index) and (index == UNKNOWN).all() and len(vocabulary):
            given, fitted = _id_type(np.asarray(ids)), _id_type(vocabulary)
            if given != fitted:
                # e.g. ids read from a CSV as strings against a model fitted on
                # ints: every id would silently get the fallback.
                example = vocabulary[0]
                example = example.item() if hasattr(example, "item") else example
                raise ValueError(
                    f"the {kind} ids given are of type {given}, but the model was "
                    f"fitted on {fitted} ids (e.g. {example!r}): convert them to "
                    "the type used in fit"
                )
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

    def recommend(
        self,
        users,
        n=10,
        *,
        exclude_seen=True,
        items=None,
        filter_items=None,
        as_frame=False,
    ):
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
            Rank only these item ids (a whitelist). Ids unseen in training
            cannot be ranked against the others and are dropped (or raise with
            ``handle_unknown="error"``).
        filter_items : array-like, default=None
            Never recommend these item ids (a blacklist, e.g. items out of
            stock); ids unknown to the model are ignored.
        as_frame : bool, default=False
            Return a long pandas DataFrame instead of two arrays (see Returns).

        Returns
        -------
        item_ids : ndarray of shape (n_users, min(n, n_candidates))
            Recommended raw item ids, best first.
        scores : ndarray of shape (n_users, min(n, n_candidates))
            Their scores. Where a user has fewer eligible items than ``n``, the
            remaining slots hold excluded items with score ``-inf``.
        frame : pandas.DataFrame
            With ``as_frame=True``, instead of the two arrays: one row per
            recommendation with columns ``user``, ``item``, ``score`` and
            ``rank`` (1 = best); slots with no eligible item are left out.
        """
        user_index = self._recommend_users(users, n)

        def block_scores(rows):
            return self._ranking_scores(user_index[rows], exclude_seen)

        return self._top_n(
            block_scores, np.asarray(users), n, items, filter_items, as_frame
        )

    def iter_recommendations(
        self,
        users=None,
        n=10,
        *,
        exclude_seen=True,
        items=None,
        filter_items=None,
        as_frame=True,
        block_size=None,
    ):
        """Top-``n`` lists for many users, one block of users at a time.

        Memory stays flat in the number of users: each block is ranked,
        yielded and can be written out (``frame.to_parquet``, ``to_csv``)
        before the next one is computed.

        Parameters
        ----------
        users : array-like of shape (n_users,), default=None
            Raw user ids; None means every user seen in fit.
        n, exclude_seen, items, filter_items
            As in :meth:`recommend`.
        as_frame : bool, default=True
            Yield long DataFrames (``user, item, score, rank``); False yields
            ``(users, item_ids, scores)`` array triples.
        block_size : int, default=None
            Users per yielded block. None: the users scored at once, which
            is 1024 for catalogues up to 8,192 items and fewer for larger
            ones (83 for 100,000 items). Whatever the value, scores are
            computed for at most that many users at a time; a larger block
            only holds more top-``n`` lists (``block_size * n`` rows), e.g.
            to write files of a useful size.

        Yields
        ------
        block : DataFrame or tuple
            The recommendations of one block of users.

        Examples
        --------
        >>> from sklearn_attnrec import PopularityRecommender
        >>> model = PopularityRecommender().fit([[1, "a"], [2, "b"], [2, "a"]])
        >>> for frame in model.iter_recommendations(n=1):
        ...     print(frame.to_string(index=False))
         user item  score  rank
            1    b    1.0     1
        """
        check_is_fitted(self)
        users = self.user_ids_ if users is None else np.asarray(users)
        if block_size is None:
            step = user_block_size(len(self.item_ids_))
        else:
            check_n(block_size, "block_size", " or None")
            step = int(block_size)
        for start in range(0, len(users), step):
            block = users[start : start + step]
            result = self.recommend(
                block,
                n,
                exclude_seen=exclude_seen,
                items=items,
                filter_items=filter_items,
                as_frame=as_frame,
            )
            yield result if as_frame else (block, *result)

    def check_interactions(self, X):
        """Validate interactions ``X`` against the fitted model.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]`` (or the ``columns`` named).

        Returns
        -------
        X_ids : ndarray of shape (n_samples, 2)
            The user and item ids of each row (all the columns for a model
            that reads item features from ``X``).
        """
        check_is_fitted(self)
        return self._validate_X(X, reset=False)

    def iter_item_scores(self, users, *, exclude_seen=True):
        """Ranking scores of every item for blocks of users.

        The hook the ranking scorers use: memory is bounded by a block of
        users times the catalogue, whatever the number of users.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            Raw user ids; unknown ones get the model's fallback (or raise with
            ``handle_unknown="error"``).
        exclude_seen : bool, default=True
            Give the items each user had in training the score ``-inf``.

        Yields
        ------
        rows : slice
            The positions in ``users`` of this block.
        scores : ndarray of shape (block size, n_items)
            Scores of the items of ``item_ids_`` (the ones ``recommend``
            ranks by), in float64.
        """
        user_index = self._recommend_users(users, 1)
        step = user_block_size(len(self.item_ids_))
        for start in range(0, len(user_index), step):
            rows = slice(start, min(start + step, len(user_index)))
            yield rows, self._ranking_scores(user_index[rows], exclude_seen)

    def recommend_for_history(
        self,
        histories,
        ratings=None,
        n=10,
        *,
        exclude_seen=True,
        items=None,
        filter_items=None,
        as_frame=False,
    ):
        """Top-``n`` items for people described by their interactions alone.

        Fold-in: a new user (or a user whose history changed since ``fit``) is
        scored from the items they interacted with, against the fitted model,
        without refitting. Models that cannot do this raise a
        ``NotImplementedError`` that names the alternative.

        Parameters
        ----------
        histories : list of array-like of item ids
            One list per person: the items they interacted with (oldest first,
            for models that use the order). Items unseen in fit are dropped (or
            raise with ``handle_unknown="error"``); an empty list is allowed.
        ratings : list of array-like of float, default=None
            The rating (explicit models) or weight (implicit models) of each
            item of each history, shaped like ``histories``; None means 1 for
            implicit-feedback models and is an error for rating models.
        n : int, default=10
            Length of each list.
        exclude_seen : bool, default=True
            Leave out the items of each history.
        items, filter_items, as_frame
            As in :meth:`recommend`.

        Returns
        -------
        item_ids, scores : ndarray of shape (n_histories, min(n, n_candidates))
            As in :meth:`recommend`, one row per history (or a DataFrame whose
            ``user`` column is the position of the history, with
            ``as_frame=True``).
        """
        check_is_fitted(self)
        check_n(n)
        H = self._history_matrix(
            histories, ratings, ratings_required=self._fold_in_needs_ratings()
        )

        def block_scores(rows):
            scores = np.array(self._score_histories(H[rows]), dtype=np.float64)
            empty = np.diff(H[rows].indptr) == 0
            if empty.any():  # no known item: the fallback of an unknown user
                scores[empty] = self._score_items(np.full(empty.sum(), UNKNOWN))
            if exclude_seen:
                mask_seen(scores, np.arange(scores.shape[0]), H[rows])
            return scores

        return self._top_n(
            block_scores, np.arange(H.shape[0]), n, items, filter_items, as_frame
        )

    def export(self, path, *, overwrite=False):
        """Write the fitted model for a service that does not import this package.

        One ``.npz`` file holds the id maps, the items each user saw in
        training and the arrays of a documented scoring rule (an exported
        torch program for the neural models): numpy (and torch) reproduce
        the lists of :meth:`recommend`. See :doc:`/serving` for the rules
        and the models that cannot be exported.

        Parameters
        ----------
        path : str or path-like
            The file to write (exactly there, whatever its suffix); its
            directory must exist.
        overwrite : bool, default=False
            Replace an existing file. By default an existing file is never
            replaced: a ``FileExistsError`` is raised instead.

        Returns
        -------
        path : pathlib.Path
            The file written.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> from sklearn_attnrec import PopularityRecommender
        >>> model = PopularityRecommender().fit([[1, "a"], [2, "b"], [2, "a"]])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = model.export(os.path.join(folder, "model.npz"))
        ...     kind = str(np.load(path)["kind"])
        >>> kind
        'factor'
        """
        from .serving import export_recommender

        return export_recommender(self, path, overwrite=overwrite)

    # Why a model has no fold-in, and what to use instead (recommend_for_history).
    _fold_in_alternative = (
        "refit it with the new interactions, or use a model that folds new users "
        "in, such as EASE or MatrixFactorization"
    )

    def _fold_in_needs_ratings(self):
        """Whether :meth:`recommend_for_history` needs ``ratings`` (rating
        models) or takes None as ones (implicit feedback)."""
        return False

    def _score_histories(self, histories):
        """Scores of every item for the rows of a CSR history matrix; the hook
        behind :meth:`recommend_for_history`."""
        raise NotImplementedError(
            f"{type(self).__name__} cannot recommend from a history without "
            f"refitting: {self._fold_in_alternative}"
        )

    def _history_matrix(self, histories, ratings=None, *, ratings_required=False):
        """Validated histories as a CSR matrix (n_histories, n_items); unknown
        items dropped (or raising with ``handle_unknown="error"``)."""
        histories = check_histories(histories)
        if ratings is None and ratings_required:
            raise ValueError(
                f"{type(self).__name__} is a rating model: pass the ratings of "
                "each history (ratings=[[5, 3, ...], ...])"
            )
        if ratings is not None and len(ratings) != len(histories):
            raise ValueError(
                f"ratings holds {len(ratings)} lists for {len(histories)} histories"
            )
        rows, columns, values = [], [], []
        for position, history in enumerate(histories):
            value = (
                np.ones(len(history))
                if ratings is None
                else np.asarray(ratings[position], dtype=np.float64)
            )
            if value.shape != history.shape or not np.isfinite(value).all():
                raise ValueError(
                    f"ratings[{position}] must be {len(history)} finite numbers, "
                    "one per item of its history"
                )
            index = self._encode(history, self.item_ids_, "item")
            known = index != UNKNOWN
            rows.append(np.full(known.sum(), position))
            columns.append(index[known])
            values.append(value[known])
        shape = (len(histories), len(self.item_ids_))
        if not len(histories):
            return interaction_matrix(np.empty(0, int), np.empty(0, int), [], shape)
        return interaction_matrix(
            np.concatenate(rows), np.concatenate(columns), np.concatenate(values), shape
        )

    def _top_n(self, block_scores, row_ids, n, items, filter_items, as_frame):
        """Top-``n`` lists from ``block_scores(rows)`` (scores of every item
        for a slice of rows, excluded items at ``-inf``), a block of rows at a
        time; the output of :meth:`recommend` and its relatives."""
        candidates = None if items is None else self._candidate_items(items)
        blocked = None
        if filter_items is not None:
            blocked = encode_ids(np.asarray(filter_items).ravel(), self.item_ids_)
            blocked = blocked[blocked != UNKNOWN]
        n_out = min(n, len(self.item_ids_) if candidates is None else len(candidates))
        n_rows = len(row_ids)
        out_items = np.empty((n_rows, n_out), dtype=np.int64)
        out_scores = np.empty((n_rows, n_out), dtype=np.float64)
        step = user_block_size(len(self.item_ids_))
        for start in range(0, n_rows, step):
            rows = slice(start, min(start + step, n_rows))
            scores = block_scores(rows)
            if blocked is not None:
                scores[:, blocked] = -np.inf
            if candidates is not None:
                scores = scores[:, candidates]
            top = topk_indices(scores, n_out)
            out_scores[rows] = np.take_along_axis(scores, top, axis=1)
            out_items[rows] = top if candidates is None else candidates[top]
        item_ids = self.item_ids_[out_items]
        if as_frame:
            return recommendations_frame(row_ids, item_ids, out_scores)
        return item_ids, out_scores

    def _pair_scores(self, users, items, unknown_item="min"):
        """Scores of ``(user, item)`` pairs read from ``_score_items``, a block
        of distinct users at a time: memory grows with the block times the
        catalogue, not with the number of pairs. An unknown item gets the
        user's lowest score (``"min"``) or the given number."""
        out = np.empty(len(users))
        distinct, inverse = np.unique(users, return_inverse=True)
        inverse = inverse.ravel()
        known_item = items != UNKNOWN
        step = user_block_size(len(self.item_ids_))
        for start in range(0, len(distinct), step):
            rows = np.flatnonzero((inverse >= start) & (inverse < start + step))
            if not len(rows):
                continue
            scores = np.asarray(
                self._score_items(distinct[start : start + step]), np.float64
            )
            local = inverse[rows] - start
            if unknown_item == "min":
                out[rows] = scores.min(axis=1)[local]
            else:
                out[rows] = unknown_item
            known = known_item[rows]
            out[rows[known]] = scores[local[known], items[rows[known]]]
        return out

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


class RankingScoreMixin:
    """``score`` for recommenders of implicit feedback: NDCG@10 of held-out
    interactions, so that ``GridSearchCV`` works without ``scoring=``; ``y``
    is not required."""

    def score(self, X, y=None):
        """NDCG@10 of the interactions in ``X`` (all rows count as relevant).

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Held-out interactions.
        y : ignored

        Returns
        -------
        score : float
            See :func:`~sklearn_attnrec.metrics.make_ranking_scorer`.
        """
        from .metrics import make_ranking_scorer

        return make_ranking_scorer("ndcg", k=10)(self, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


class FeedbackScoreMixin:
    """``score`` of a model with ``feedback="explicit"|"implicit"``: R² of the
    predicted ratings (scikit-learn's regressor convention) or, for implicit
    feedback, whose ``y`` are weights and not targets, NDCG@10."""

    def score(self, X, y=None, sample_weight=None):
        """R² of the predicted ratings (explicit feedback), or NDCG@10 of the
        rows of ``X`` as relevant items (implicit feedback).

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Held-out interactions.
        y : array-like of shape (n_samples,), default=None
            Ratings (explicit feedback); ignored for implicit feedback.
        sample_weight : array-like of shape (n_samples,), default=None
            Explicit feedback only.

        Returns
        -------
        score : float
        """
        if self.feedback == "implicit":
            return RankingScoreMixin.score(self, X)
        from sklearn.base import RegressorMixin

        return RegressorMixin.score(self, X, y, sample_weight=sample_weight)
