"""Cross-validation splitters and a train/test split for interaction data.

``X`` holds one interaction per row; its first column is the user id and its
second column the item id (by position, also for DataFrames). Ids can be any
hashable values of a single type (e.g. all ints or all strings).

The splitters keep every test user in the training set, so that a model fitted
on the training part can score all the users of the test part.
"""

import datetime
import numbers
import warnings

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


def _frame_column(X, column, owner):
    """One column of a DataFrame ``X`` as a Series: a name (tried first) or a
    position."""
    try:
        is_label = column in X.columns
    except TypeError:  # unhashable
        is_label = False
    if is_label:
        values = X[column]
    elif isinstance(column, numbers.Integral) and not isinstance(column, bool):
        _check_position(column, X.shape[1], owner)
        values = X.iloc[:, column]
    else:
        raise ValueError(
            f"{owner}={column!r} is neither a column name of X nor an int "
            "column position."
        )
    if values.ndim != 1:
        raise ValueError(f"{owner}={column!r} selects several columns of X.")
    return values


def _column_values(X, column, owner):
    """The values of one column of ``X``: a name (DataFrames, tried first) or
    a position."""
    if hasattr(X, "iloc"):
        return _frame_column(X, column, owner).to_numpy()
    if isinstance(column, bool) or not isinstance(column, numbers.Integral):
        raise ValueError(
            f"{owner} must be an int column index when X is not a pandas "
            f"DataFrame (column names need a DataFrame); got {column!r}."
        )
    arr = as_interaction_array(X)
    _check_position(column, arr.shape[1], owner)
    return arr[:, column]


_TIME_FORMATS = (
    "numbers, datetimes (numpy datetime64, pandas datetime columns, datetime "
    "objects) or ISO-8601 strings such as '2024-01-31' or '2024-01-31T12:30:00'"
)


def _time_values(X, time_column):
    """Comparable values of ``X``'s time column and what they are.

    Shared by every splitter that reads a time column. Numbers are kept;
    datetimes (numpy, pandas, naive or tz-aware, ISO-8601 strings) become int64
    nanoseconds since the epoch (UTC); timedeltas int64 nanoseconds. Other
    strings (e.g. ``'31/01/2024'``, which would sort as text), booleans, NaN,
    infinities and missing times are refused with an error naming the column.

    Returns
    -------
    values : ndarray of shape (n_samples,)
        int64 or float64 values; a later time has a larger value.
    kind : {"number", "datetime", "timedelta"}
        What the values are, so that a cut given by the user (``at``) can be
        read on the same scale (:func:`_cut_value`).
    """
    name = f"time_column={time_column!r}"
    if hasattr(X, "iloc"):
        column = _frame_column(X, time_column, "time_column")
        if getattr(column.dtype, "kind", None) == "M" or hasattr(column.dtype, "tz"):
            from ..base import _datetimes_as_numbers  # tz-aware: read as UTC

            frame = _datetimes_as_numbers(column.to_frame(name=str(time_column)))
            return frame.iloc[:, 0].to_numpy(), "datetime"
        values = column.to_numpy()
    else:
        values = _column_values(X, time_column, "time_column")
    if values.dtype.kind == "O":
        values = _native_array(values)
    kind = values.dtype.kind
    if kind in "US":
        values, kind = _parse_time_strings(values, name)
    elif kind == "O":  # datetime objects, or values of mixed types
        try:
            values = values.astype("datetime64[ns]")
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{name}: X's time column must hold {_TIME_FORMATS}; it holds "
                f"{type(values[0]).__name__} values ({exc})."
            ) from None
        kind = "M"
    if kind == "b":
        raise ValueError(
            f"{name} holds booleans, not times; the time column must hold "
            f"{_TIME_FORMATS}."
        )
    if kind in "mM":
        missing = np.isnat(values)
        if missing.any():
            raise ValueError(
                f"{name} holds {int(missing.sum())} missing times (NaT), e.g. row "
                f"{int(np.argmax(missing))}: drop or fill those rows first."
            )
        unit = "datetime64[ns]" if kind == "M" else "timedelta64[ns]"
        kind_name = "datetime" if kind == "M" else "timedelta"
        return values.astype(unit).view(np.int64), kind_name
    if kind == "f":
        for bad, what in ((np.isnan(values), "NaN"), (np.isinf(values), "infinity")):
            if bad.any():
                raise ValueError(
                    f"{name} holds {int(bad.sum())} {what} value(s), e.g. row "
                    f"{int(np.argmax(bad))}: drop or fill those rows first."
                )
    elif kind not in "iu":
        raise ValueError(f"{name}: X's time column must hold {_TIME_FORMATS}.")
    return values, "number"


def _native_array(values):
    """An object array of numbers (or of strings) as a numeric (string) array."""
    try:
        native = np.array(values.tolist())
    except (TypeError, ValueError):
        return values
    return native if native.shape == values.shape else values


def _parse_time_strings(values, name):
    """Strings of numbers as floats, ISO-8601 strings as datetime64; others
    refused (sorting them as text would mix days and months up)."""
    try:
        return values.astype(np.float64), "f"
    except ValueError:
        pass
    try:
        return values.astype("datetime64[ns]"), "M"
    except ValueError as exc:
        raise ValueError(
            f"{name} holds strings that are neither numbers nor ISO-8601 datetimes "
            f"({exc}). Pass {_TIME_FORMATS}; e.g. parse 'dd/mm/yyyy' dates with "
            "pandas.to_datetime(column, format='%d/%m/%Y') first."
        ) from None


def _cut_value(at, kind, time_column):
    """The cut ``at`` on the scale of :func:`_time_values`' values of ``kind``."""
    name = f"time_column={time_column!r}"
    if kind == "number":
        if (
            isinstance(at, (bool, np.bool_))
            or not isinstance(at, numbers.Real)
            or not np.isfinite(at)
        ):
            raise ValueError(
                f"at={at!r} must be a finite number: {name} holds numbers."
            )
        return at
    is_number = isinstance(at, numbers.Real) and not isinstance(at, np.timedelta64)
    if is_number or isinstance(at, (bool, np.bool_)):
        raise ValueError(
            f"at={at!r} is a number but {name} holds {kind}s; pass at as a "
            f"{kind}, e.g. "
            + (
                "'2024-01-31' or numpy.datetime64('2024-01-31T12:00')."
                if kind == "datetime"
                else "numpy.timedelta64(30, 'D')."
            )
        )
    if getattr(at, "tzinfo", None) is not None:  # aware datetimes: to naive UTC
        at = at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    unit = "datetime64[ns]" if kind == "datetime" else "timedelta64[ns]"
    try:
        value = np.asarray(at, dtype=unit)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"at={at!r} cannot be read as a {kind} to compare with {name} ({exc})."
        ) from None
    if value.ndim != 0 or np.isnat(value):
        raise ValueError(f"at={at!r} must be a single {kind}, not NaT or an array.")
    return int(value.view(np.int64))


def _check_position(position, n_columns, owner="time_column"):
    if not -n_columns <= position < n_columns:
        raise ValueError(
            f"{owner}={position} is out of range for X with {n_columns} columns."
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
class _SingleSplit:
    """Mixin of the splitters that make one split."""

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


class LeaveLastOut(_SingleSplit, BaseCrossValidator):
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
        datetimes or ISO-8601 strings (``'2024-01-31'``,
        ``'2024-01-31T12:30:00'``); other strings, such as ``'31/01/2024'``,
        are refused rather than sorted as text. When None, the row order of
        ``X`` is the time order (later rows are more recent); if ``X`` then has
        a numeric third column that decreases within a user in row order, a
        ``UserWarning`` says that the split falls back to row order and to
        pass ``time_column=``.

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    See Also
    --------
    PerUserKFold : K-fold split within each user.
    TemporalSplit : One global time cut for all users.
    train_test_split_interactions : The latest fraction of each user's
        interactions (``time_column=``).

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
    >>> next(LeaveLastOut().split(X[:, :2]))  # row order: the last row of each user
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
            key = _time_values(X, self.time_column)[0]
        order, rank, counts = _rank_within_user(codes, n_users, key)
        if key is None:
            _warn_if_rows_not_in_time_order(X, codes, order)
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


def _warn_if_rows_not_in_time_order(X, codes, order):
    """Warn when X's third column is numeric and decreases within a user in row
    order: it looks like timestamps of rows that are not in time order."""
    if hasattr(X, "iloc"):
        if X.shape[1] < 3:
            return
        column = X.iloc[:, 2]
        values = column.to_numpy()
        if getattr(column.dtype, "kind", None) == "M" or hasattr(column.dtype, "tz"):
            values = _time_values(X, 2)[0]
    else:
        X = as_interaction_array(X)
        if X.shape[1] < 3:
            return
        values = X[:, 2]
    if values.dtype.kind == "O":
        values = _native_array(values)
    if values.dtype.kind not in "iufmM":
        return
    values = values[order]
    same_user = codes[order][1:] == codes[order][:-1]
    earlier = same_user & (values[1:] < values[:-1])
    if earlier.any():
        first = int(np.argmax(earlier))
        before, after = order[first], order[first + 1]
        warnings.warn(
            "LeaveLastOut(time_column=None) holds out the last rows of each user "
            "in row order, but the third column of X is numeric and decreases "
            f"within a user (row {after}: {values[first + 1]} after row "
            f"{before}: {values[first]}), so the rows are not in time order if it "
            "holds times. It falls back to row order; pass time_column=2 (or the "
            "column's name) to hold out each user's latest interactions.",
            UserWarning,
            stacklevel=5,  # the caller of next() on the split generator
        )


# --------------------------------------------------------------------------- #
# Single split
# --------------------------------------------------------------------------- #
def train_test_split_interactions(
    X,
    y=None,
    *,
    test_size=0.2,
    random_state=None,
    shuffle=True,
    user_column=0,
    time_column=None,
):
    """Split interactions into train and test sets within each user.

    For each user with ``n_u >= 2`` interactions, ``round(test_size * n_u)``
    of them (at least 1 and at most ``n_u - 1``) go to the test set, so every
    test user also has training interactions. Users with a single interaction
    stay in the training set.

    With ``time_column``, the test interactions of each user are the *latest*
    ones by that column (a time-true split: the model never trains on a user's
    future), and ``test_size`` can also be a count per user.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
        Interactions; the first column holds the user ids, the second the
        item ids.

    y : array-like of shape (n_samples,), default=None
        Targets (e.g. ratings), split along with ``X``.

    test_size : float or int, default=0.2
        A float in ``(0, 1)``: the fraction of each user's interactions to put
        in the test set (the count is rounded half up, then kept between 1 and
        ``n_u - 1``). An int ``n >= 1``, only with ``time_column``: the last
        ``n`` interactions of each user with more than ``n`` of them (users with
        at most ``n`` stay in the training set, as in :class:`LeaveLastOut`).

    random_state : int, RandomState instance or None, default=None
        Controls which interactions are drawn when ``shuffle=True``. Ignored
        when ``shuffle=False`` or with ``time_column``.

    shuffle : bool, default=True
        Whether to draw each user's test interactions at random. When False,
        the last rows of each user (in row order) are the test set. Ignored
        with ``time_column``: the latest interactions are the test set.

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    time_column : int, str or None, default=None
        Column of ``X`` holding the time of each interaction: numbers,
        datetimes or ISO-8601 strings (others are refused). Each user's test
        interactions are their latest by that column; ties keep the row order
        (the later row counts as more recent).

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
    LeaveLastOut : The latest ``n`` interactions of each user, as a splitter.
    TemporalSplit : One global time cut for all users.

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

    By time: each user's latest interaction (columns: user, item, timestamp).

    >>> X = np.array([[0, 10, 50], [0, 11, 90], [0, 12, 70], [1, 10, 20], [1, 13, 10]])
    >>> X_train, X_test = train_test_split_interactions(X, test_size=1, time_column=2)
    >>> X_test
    array([[ 0, 11, 90],
           [ 1, 10, 20]])
    """
    by_count = (
        time_column is not None
        and isinstance(test_size, numbers.Integral)
        and not isinstance(test_size, (bool, np.bool_))
        and test_size >= 1
    )
    if not by_count and (
        isinstance(test_size, (bool, np.bool_))
        or not isinstance(test_size, numbers.Real)
        or not 0 < test_size < 1
    ):
        raise ValueError(
            "test_size must be a float in the open interval (0, 1)"
            + (
                " or, with time_column, an int >= 1 (the last n interactions of "
                "each user)"
                if time_column is not None
                else " (an int count of interactions per user needs time_column)"
            )
            + f"; got test_size={test_size!r}."
        )
    _check_bool(shuffle, "shuffle")
    if y is not None:
        check_consistent_length(X, y)

    codes, n_users = _encode_users(X, user_column)
    key = None
    if time_column is not None:
        key = _time_values(X, time_column)[0]
    elif shuffle:
        key = check_random_state(random_state).random_sample(len(codes))
    order, rank, counts = _rank_within_user(codes, n_users, key)

    if by_count:
        n_test = np.where(counts > test_size, int(test_size), 0)
    else:
        n_test = np.floor(test_size * counts + 0.5).astype(np.intp)
        n_test = np.clip(n_test, 1, np.maximum(counts - 1, 1))
        n_test[counts < 2] = 0
    if not n_test.any():
        raise ValueError(
            f"No user has more than test_size={test_size} interactions, so the "
            "test set would be empty; lower test_size."
            if by_count
            else "No user has at least 2 interactions, so the test set would be empty."
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
