"""Cross-validation splitters and a train/test split for interaction data.

``X`` holds one interaction per row; its first column is the user id and its
second column the item id (by position, also for DataFrames). Ids can be any
hashable values of a single type (e.g. all ints or all strings).

The splitters keep every test user in the training set, so that a model fitted
on the training part can score all the users of the test part.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_consistent_length, check_random_state

from ..utils._interactions import as_interaction_array, interaction_columns
from ..utils._vocabulary import fit_vocabulary

__all__ = ["LeaveLastOut", "PerUserKFold", "train_test_split_interactions"]


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
def _encode(values, what):
    """Integer codes ``0..n_unique-1`` of ``values`` and the number of uniques."""
    uniques, codes = fit_vocabulary(values, name=what)
    return codes, len(uniques)


def _encode_users(X, user_column=0):
    """Integer user codes of the rows of ``X`` and the number of users."""
    interaction_columns(X)  # checks the shape: (n_samples, >= 2)
    values = _column_values(X, user_column, "user_column")
    return _encode(values, f"user ids (column {user_column!r} of X)")


def _column_values(X, column, owner):
    """The values of one column of ``X``: a name (DataFrames, tried first) or
    a position."""
    if hasattr(X, "iloc"):
        try:
            is_label = column in X.columns
        except TypeError:  # unhashable
            is_label = False
        if is_label:
            values = X[column].to_numpy()
        elif isinstance(column, numbers.Integral) and not isinstance(column, bool):
            _check_position(column, X.shape[1])
            values = X.iloc[:, column].to_numpy()
        else:
            raise ValueError(
                f"{owner}={column!r} is neither a column name of X nor an int "
                "column position."
            )
        if values.ndim != 1:
            raise ValueError(f"{owner}={column!r} selects several columns of X.")
        return values
    if isinstance(column, bool) or not isinstance(column, numbers.Integral):
        raise ValueError(
            f"{owner} must be an int column index when X is not a pandas "
            f"DataFrame (column names need a DataFrame); got {column!r}."
        )
    arr = as_interaction_array(X)
    _check_position(column, arr.shape[1])
    return arr[:, column]


def _time_values(X, time_column):
    """Sortable values of ``X``'s time column, as a 1-D array."""
    values = _column_values(X, time_column, "time_column")
    if values.dtype.kind in "iub":
        return values
    if values.dtype.kind == "f":
        if np.isnan(values).any():
            raise ValueError("The time column (time_column) contains NaN.")
        return values
    if values.dtype.kind in "mM":
        if np.isnat(values).any():
            raise ValueError("The time column (time_column) contains NaT.")
        return values.view(np.int64)
    # Strings or other objects: sort through their ranks.
    return _encode(values, "Timestamps (time_column)")[0]


def _check_position(position, n_columns):
    if not -n_columns <= position < n_columns:
        raise ValueError(
            f"time_column={position} is out of range for X with {n_columns} columns."
        )


def _rank_within_user(codes, n_users, key=None):
    """Order rows by (user, key, row) and rank each row within its user.

    Returns
    -------
    order : ndarray of shape (n_samples,)
        Row indices sorted by user, then ``key``, then row index.
    rank : ndarray of shape (n_samples,)
        0-based position of ``order[i]`` among the rows of its user.
    counts : ndarray of shape (n_users,)
        Number of rows of each user.
    """
    n_samples = len(codes)
    rows = np.arange(n_samples)
    sort_keys = (rows, codes) if key is None else (rows, key, codes)
    order = np.lexsort(sort_keys)  # last key is the primary one
    counts = np.bincount(codes, minlength=n_users)
    starts = np.cumsum(counts) - counts
    rank = rows - starts[codes[order]]
    return order, rank, counts


def _take(data, indices):
    """Rows ``indices`` of ``data``, keeping pandas objects and lists as such."""
    if hasattr(data, "iloc"):
        return data.iloc[indices]
    if isinstance(data, list):
        return [data[i] for i in indices]
    if sp.issparse(data):
        return data[indices]
    return np.asarray(data)[indices]


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")


# --------------------------------------------------------------------------- #
# Splitters
# --------------------------------------------------------------------------- #
class PerUserKFold(BaseCrossValidator):
    """K-fold cross-validation that splits the interactions of every user.

    Each user's interactions are spread over the ``n_splits`` folds, so every
    user of a test fold also has interactions in the corresponding training
    set (no cold-start users at test time). Within each user, the rows are
    (optionally shuffled and) dealt round-robin to the folds, starting at a
    random fold per user so that the fold sizes stay balanced overall.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.

    shuffle : bool, default=True
        Whether to shuffle each user's rows before dealing them to the folds
        and start each user at a random fold. With ``shuffle=False`` each
        user's rows are dealt in row order starting at fold 0, which is
        deterministic.

    random_state : int, RandomState instance or None, default=None
        Controls the shuffling and the per-user starting folds when
        ``shuffle=True``; pass an int for reproducible splits. Must be left
        to None when ``shuffle=False`` (as in :class:`~sklearn.model_selection.KFold`).

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    See Also
    --------
    LeaveLastOut : Hold out the latest interactions of each user.
    train_test_split_interactions : Single per-user random split.

    Notes
    -----
    Users with fewer than ``n_splits`` interactions stay in the training set
    of every split and never appear in a test fold. The test folds are
    disjoint and together cover every row of the other users; the number of
    test rows of a user differs by at most one between folds.

    ``y`` and ``groups`` are ignored. The split is vectorised (one
    :func:`numpy.lexsort` over all rows).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.model_selection import PerUserKFold
    >>> X = np.array([[0, 10], [0, 11], [0, 12], [0, 13],
    ...               [1, 10], [1, 12], [2, 11]])
    >>> cv = PerUserKFold(n_splits=2, shuffle=False)
    >>> for train, test in cv.split(X):
    ...     print(train, test)
    [1 3 5 6] [0 2 4]
    [0 2 4 6] [1 3 5]
    >>> cv.get_n_splits()
    2
    """

    def __init__(self, n_splits=5, *, shuffle=True, random_state=None, user_column=0):
        if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral):
            raise ValueError(
                f"n_splits must be an int of at least 2; got {n_splits!r}."
            )
        n_splits = int(n_splits)
        if n_splits < 2:
            raise ValueError(
                "PerUserKFold requires at least one train/test split by setting "
                f"n_splits=2 or more; got n_splits={n_splits}."
            )
        _check_bool(shuffle, "shuffle")
        if not shuffle and random_state is not None:
            raise ValueError(
                "Setting a random_state has no effect since shuffle is False. "
                "Leave random_state to its default (None), or set shuffle=True."
            )
        self.n_splits = n_splits
        self.shuffle = bool(shuffle)
        self.random_state = random_state
        self.user_column = user_column

    def _fold_of_rows(self, X):
        """Test fold of each row of ``X`` (``-1`` for rows always in train)."""
        codes, n_users = _encode_users(X, self.user_column)
        n_splits = self.n_splits
        if self.shuffle:
            rng = check_random_state(self.random_state)
            key = rng.random_sample(len(codes))
            offset = rng.randint(n_splits, size=n_users)
        else:
            key = None
            offset = np.zeros(n_users, dtype=np.intp)
        order, rank, counts = _rank_within_user(codes, n_users, key)
        sorted_codes = codes[order]
        fold = np.empty(len(codes), dtype=np.intp)
        fold[order] = (rank + offset[sorted_codes]) % n_splits
        fold[counts[codes] < n_splits] = -1
        if not (fold >= 0).any():
            raise ValueError(
                f"No user has at least n_splits={n_splits} interactions, so every "
                "test fold would be empty; lower n_splits."
            )
        return fold

    def _iter_test_indices(self, X=None, y=None, groups=None):
        fold = self._fold_of_rows(X)
        for i in range(self.n_splits):
            yield np.flatnonzero(fold == i)

    def split(self, X, y=None, groups=None):
        """Generate indices to split the interactions into training and test set.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions; the first column holds the user ids, the second
            the item ids.

        y : array-like of shape (n_samples,), default=None
            Ignored; there for API compatibility (e.g. ratings).

        groups : object, default=None
            Ignored; there for API compatibility.

        Yields
        ------
        train : ndarray
            The training set indices for that split.

        test : ndarray
            The testing set indices for that split.
        """
        return super().split(X, y, groups)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splitting iterations, ``n_splits``.

        Parameters
        ----------
        X, y, groups : object, default=None
            Ignored; there for API compatibility.

        Returns
        -------
        n_splits : int
            Number of splits.
        """
        return self.n_splits


class LeaveLastOut(BaseCrossValidator):
    """Hold out the last ``n`` interactions of each user (one split).

    The test set holds, for each user, the ``n`` most recent interactions;
    all the others are in the training set.

    Parameters
    ----------
    n : int, default=1
        Number of interactions per user to hold out, at least 1.

    time_column : int, str or None, default=None
        Column of ``X`` holding the timestamps that order the interactions:
        a column position (int), or a column name when ``X`` is a pandas
        DataFrame (a name is tried first). Timestamps can be numbers,
        datetimes or sortable strings. When None, the row order of ``X`` is
        the time order (later rows are more recent).

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    See Also
    --------
    PerUserKFold : K-fold split within each user.

    Notes
    -----
    Ties in time keep the row order: among interactions with the same
    timestamp the later row counts as more recent (stable sort). Users with
    at most ``n`` interactions stay entirely in the training set.
    ``y`` and ``groups`` are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.model_selection import LeaveLastOut
    >>> # columns: user, item, timestamp
    >>> X = np.array([[0, 10, 5], [0, 11, 3], [0, 12, 4], [1, 10, 1], [1, 13, 2]])
    >>> train, test = next(LeaveLastOut(time_column=2).split(X))
    >>> train, test
    (array([1, 2, 3]), array([0, 4]))
    >>> next(LeaveLastOut().split(X))  # row order: the last row of each user
    (array([0, 1, 3]), array([2, 4]))
    """

    def __init__(self, n=1, *, time_column=None, user_column=0):
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"n must be a positive int; got n={n!r}.")
        self.n = int(n)
        self.time_column = time_column
        self.user_column = user_column

    def _iter_test_indices(self, X=None, y=None, groups=None):
        codes, n_users = _encode_users(X, self.user_column)
        key = None
        if self.time_column is not None:
            key = _time_values(X, self.time_column)
        order, rank, counts = _rank_within_user(codes, n_users, key)
        sorted_counts = counts[codes[order]]
        in_test = (sorted_counts - rank <= self.n) & (sorted_counts > self.n)
        if not in_test.any():
            raise ValueError(
                f"No user has more than n={self.n} interactions, so the test set "
                "would be empty; lower n."
            )
        yield np.sort(order[in_test])

    def split(self, X, y=None, groups=None):
        """Generate the indices of the training and test set (one split).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions; the first column holds the user ids, the second
            the item ids, and ``time_column`` (if set) the timestamps.

        y : array-like of shape (n_samples,), default=None
            Ignored; there for API compatibility (e.g. ratings).

        groups : object, default=None
            Ignored; there for API compatibility.

        Yields
        ------
        train : ndarray
            The training set indices.

        test : ndarray
            The testing set indices: the last ``n`` interactions of each user
            with more than ``n`` interactions.
        """
        return super().split(X, y, groups)

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splitting iterations, always 1.

        Parameters
        ----------
        X, y, groups : object, default=None
            Ignored; there for API compatibility.

        Returns
        -------
        n_splits : int
            Always 1.
        """
        return 1


# --------------------------------------------------------------------------- #
# Single split
# --------------------------------------------------------------------------- #
def train_test_split_interactions(
    X, y=None, *, test_size=0.2, random_state=None, shuffle=True, user_column=0
):
    """Split interactions into train and test sets within each user.

    For each user with ``n_u >= 2`` interactions, ``round(test_size * n_u)``
    of them (at least 1 and at most ``n_u - 1``) go to the test set, so every
    test user also has training interactions. Users with a single interaction
    stay in the training set.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
        Interactions; the first column holds the user ids, the second the
        item ids.

    y : array-like of shape (n_samples,), default=None
        Targets (e.g. ratings), split along with ``X``.

    test_size : float, default=0.2
        Fraction of each user's interactions to put in the test set, in
        ``(0, 1)``. The count is rounded half up.

    random_state : int, RandomState instance or None, default=None
        Controls which interactions are drawn when ``shuffle=True``. Ignored
        when ``shuffle=False``.

    shuffle : bool, default=True
        Whether to draw each user's test interactions at random. When False,
        the last rows of each user (in row order) are the test set.

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    Returns
    -------
    X_train, X_test : same type as X
        Rows of ``X`` (``.iloc`` for pandas objects, a list for a list,
        an ndarray otherwise), in their original order.

    y_train, y_test : same type as y
        Only returned when ``y`` is given.

    See Also
    --------
    PerUserKFold : K-fold cross-validation within each user.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.model_selection import train_test_split_interactions
    >>> X = np.array([[0, 10], [0, 11], [0, 12], [0, 13], [1, 10], [1, 12], [2, 11]])
    >>> y = np.array([5, 4, 3, 2, 1, 5, 4])
    >>> X_train, X_test, y_train, y_test = train_test_split_interactions(
    ...     X, y, test_size=0.25, shuffle=False)
    >>> X_test
    array([[ 0, 13],
           [ 1, 12]])
    >>> y_train
    array([5, 4, 3, 1, 4])
    """
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not 0 < test_size < 1
    ):
        raise ValueError(
            f"test_size must be a float in the open interval (0, 1); got {test_size!r}."
        )
    _check_bool(shuffle, "shuffle")
    if y is not None:
        check_consistent_length(X, y)

    codes, n_users = _encode_users(X, user_column)
    key = None
    if shuffle:
        key = check_random_state(random_state).random_sample(len(codes))
    order, rank, counts = _rank_within_user(codes, n_users, key)

    n_test = np.floor(test_size * counts + 0.5).astype(np.intp)
    n_test = np.clip(n_test, 1, np.maximum(counts - 1, 1))
    n_test[counts < 2] = 0
    if not n_test.any():
        raise ValueError(
            "No user has at least 2 interactions, so the test set would be empty."
        )
    sorted_counts = counts[codes[order]]
    in_test = rank >= sorted_counts - n_test[codes[order]]
    test_mask = np.zeros(len(codes), dtype=bool)
    test_mask[order[in_test]] = True
    train_idx = np.flatnonzero(~test_mask)
    test_idx = np.flatnonzero(test_mask)

    result = [_take(X, train_idx), _take(X, test_idx)]
    if y is not None:
        result += [_take(y, train_idx), _take(y, test_idx)]
    return tuple(result)
