"""Splitters that cut the interactions at global times.

:class:`TemporalSplit` trains on everything before one cut and tests on what
follows; :class:`ExpandingWindowSplit` does so at several cuts, in the spirit of
scikit-learn's :class:`~sklearn.model_selection.TimeSeriesSplit`. Unlike the
per-user splitters, a global cut never lets a model train on an interaction
that happened after one it is tested on, for any user.
"""

import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator

from ._split import _cut_value, _encode_users, _SingleSplit, _time_values

__all__ = ["ExpandingWindowSplit", "TemporalSplit"]

_UNSEEN_USERS = ("drop", "keep")
_DEFAULT_QUANTILE = 0.8


def _check_fraction(value, name):
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or not 0 < value < 1
    ):
        raise ValueError(
            f"{name} must be a float in the open interval (0, 1); got {name}={value!r}."
        )


def _check_time_splitter(splitter):
    """The parameters every time-cut splitter shares."""
    if splitter.time_column is None:
        raise ValueError(
            f"{type(splitter).__name__} needs time_column, the column of X holding "
            "the time of each interaction (a position, or a DataFrame column "
            "name); got time_column=None."
        )
    if not isinstance(splitter.unseen_users, str) or (
        splitter.unseen_users not in _UNSEEN_USERS
    ):
        raise ValueError(
            f"unseen_users must be one of {list(_UNSEEN_USERS)}; got "
            f"unseen_users={splitter.unseen_users!r}."
        )


def _quantile_cuts(times, quantiles):
    """The times at ``quantiles``: the value at position ``floor(q * n)`` of the
    sorted times, so that about a fraction ``q`` of the rows come before it."""
    n = len(times)
    positions = np.floor(np.asarray(quantiles, dtype=float) * n + 1e-9)
    positions = np.clip(positions.astype(np.intp), 0, n - 1)
    return np.sort(times)[positions]


def _split_at(times, codes, n_users, start, end, unseen_users, where):
    """Rows before ``start`` (train) and in ``[start, end)`` (test; ``end=None``:
    to the last time), test rows of users absent from train dropped or kept."""
    train = np.flatnonzero(times < start)
    in_test = times >= start
    if end is not None:
        in_test &= times < end
    test = np.flatnonzero(in_test)
    if not len(train):
        raise ValueError(
            f"{where}: no interaction is before the cut, so the training set would "
            "be empty; choose a later cut."
        )
    if not len(test):
        raise ValueError(
            f"{where}: no interaction is in the test window, so the test set would "
            "be empty; choose an earlier cut (or fewer splits: many equal times)."
        )
    if unseen_users == "drop":
        seen = np.zeros(n_users, dtype=bool)
        seen[codes[train]] = True
        kept = test[seen[codes[test]]]
        if not len(kept):
            raise ValueError(
                f"{where}: all {len(test)} test interactions belong to users with "
                "no interaction before the cut; pass unseen_users='keep' to score "
                "them with the model's fallback, or choose a later cut."
            )
        test = kept
    return train, test


class _TimeCutSplitter(BaseCrossValidator):
    """Base of the splitters at global time cuts: ``split`` validates the
    parameters (``_check_params``), reads the times, and makes one split per cut
    that ``_cuts(times, kind)`` yields as ``(start, end or None, where)``."""

    def split(self, X, y=None, groups=None):
        """Generate indices to split the interactions into training and test set.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
            Interactions; the first column holds the user ids, the second
            the item ids, and ``time_column`` the times.

        y : array-like of shape (n_samples,), default=None
            Ignored; there for API compatibility (e.g. ratings).

        groups : object, default=None
            Ignored; there for API compatibility.

        Yields
        ------
        train : ndarray
            The indices of the interactions before the split's cut.

        test : ndarray
            The indices of the interactions from the cut to the next one (to
            the last time for the last split), of the users with a training
            interaction unless ``unseen_users="keep"``.
        """
        self._check_params()
        _check_time_splitter(self)
        codes, n_users = _encode_users(X, self.user_column)
        times, kind = _time_values(X, self.time_column)
        for start, end, where in self._cuts(times, kind):
            yield _split_at(times, codes, n_users, start, end, self.unseen_users, where)


class TemporalSplit(_SingleSplit, _TimeCutSplitter):
    """One global time cut: train before it, test at and after it.

    Every interaction strictly before the cut is in the training set and
    nothing at or after it is, whoever the user: the evaluation a deployed
    model faces (it is trained on the past and recommends the future). The cut
    is a time (``at``) or a quantile of the times (``quantile``).

    Parameters
    ----------
    at : number, datetime-like or None, default=None
        The cut, on the scale of the time column: a number for a numeric
        column; for datetimes a ``numpy.datetime64``, a ``datetime``, a pandas
        ``Timestamp`` (tz-aware ones are compared in UTC) or an ISO-8601
        string such as ``'1998-03-01'``.

    quantile : float in (0, 1) or None, default=None
        The cut at this quantile of the times: the time at position
        ``floor(quantile * n_samples)`` of the sorted times, so that about that
        fraction of the interactions are before it (fewer when many share the
        cut's time). With ``at=None`` and ``quantile=None`` the cut is the 0.8
        quantile. Give ``at`` or ``quantile``, not both.

    time_column : int or str, default=2
        Column of ``X`` holding the time of each interaction (numbers,
        datetimes or ISO-8601 strings; see :class:`LeaveLastOut`): a position,
        or a column name when ``X`` is a pandas DataFrame (a name is tried
        first). The default reads ``[user, item, timestamp]`` rows.

    unseen_users : {"drop", "keep"}, default="drop"
        What to do with the test interactions of users who have no interaction
        before the cut. A model cannot personalise for them, and a per-user
        ranking metric would average their fallback (popularity) lists into
        the figure of the model. ``"drop"`` leaves them out of the test set
        (they are in neither set); ``"keep"`` keeps them, to measure the cold
        start as well.

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    See Also
    --------
    ExpandingWindowSplit : Several cuts: train on all before each, test up to
        the next.
    LeaveLastOut : The latest interactions of each user, whenever they are.
    train_test_split_interactions : The latest fraction of each user
        (``time_column=``).

    Notes
    -----
    Why ``at`` and ``quantile`` are two parameters: a number in (0, 1) can be a
    time, so one parameter reading floats in (0, 1) as quantiles would be
    ambiguous.

    How many test interactions ``unseen_users="drop"`` removes depends on the
    data: on MovieLens 100K with the 0.8 quantile cut, 17,048 of the 20,001
    interactions at or after the cut (85%) are by the 192 users who first rate
    after it, so 2,953 test interactions of 109 users remain (see
    :doc:`/evaluating_on_time`). Compare both settings on your data with
    ``len(test)``.

    Parameters are validated by :meth:`split`. ``y`` and ``groups`` are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.model_selection import TemporalSplit
    >>> # columns: user, item, timestamp
    >>> X = np.array([[0, 10, 1], [1, 11, 2], [0, 12, 3],
    ...               [2, 10, 4], [0, 13, 5], [1, 12, 6]])
    >>> next(TemporalSplit(at=4).split(X))  # user 2 starts at 4: dropped
    (array([0, 1, 2]), array([4, 5]))
    >>> next(TemporalSplit(at=4, unseen_users="keep").split(X))[1]
    array([3, 4, 5])
    >>> next(TemporalSplit(quantile=0.5).split(X))[0]  # the cut is time 4
    array([0, 1, 2])
    """

    def __init__(
        self,
        *,
        at=None,
        quantile=None,
        time_column=2,
        unseen_users="drop",
        user_column=0,
    ):
        self.at = at
        self.quantile = quantile
        self.time_column = time_column
        self.unseen_users = unseen_users
        self.user_column = user_column

    def _check_params(self):
        if self.at is not None and self.quantile is not None:
            raise ValueError(
                "Give the cut as at (a time) or as quantile (a fraction of the "
                f"interactions), not both; got at={self.at!r}, "
                f"quantile={self.quantile!r}."
            )
        if self.quantile is not None:
            _check_fraction(self.quantile, "quantile")

    def _cuts(self, times, kind):
        if self.at is not None:
            cut = _cut_value(self.at, kind, self.time_column)
            yield cut, None, f"TemporalSplit(at={self.at!r})"
        else:
            quantile = _DEFAULT_QUANTILE if self.quantile is None else self.quantile
            cut = _quantile_cuts(times, [quantile])[0]
            yield cut, None, f"TemporalSplit(quantile={quantile!r})"


class ExpandingWindowSplit(_TimeCutSplitter):
    """Cross-validation over time with an expanding training window.

    The times are cut at ``n_splits`` quantiles ``c_0 < c_1 < ...``; fold ``k``
    trains on every interaction before ``c_k`` and tests on those in
    ``[c_k, c_{k+1})`` (the last fold: from ``c_{n_splits-1}`` to the end). The
    training sets grow and are nested, the test windows are disjoint and follow
    each other, as in scikit-learn's
    :class:`~sklearn.model_selection.TimeSeriesSplit`, but cut by time rather
    than by row, so that interactions at the same time are never split.

    Parameters
    ----------
    n_splits : int, default=3
        Number of folds, at least 1.

    test_size : float in (0, 1) or None, default=None
        Fraction of the interactions in each test window. The windows end at
        the last time: fold ``k`` starts at the quantile
        ``1 - (n_splits - k) * test_size``, so ``n_splits * test_size`` must be
        below 1. None: ``1 / (n_splits + 1)``, so the first fold trains on the
        first ``1 / (n_splits + 1)`` of the interactions (as ``TimeSeriesSplit``).

    time_column : int or str, default=2
        Column of ``X`` holding the time of each interaction (numbers,
        datetimes or ISO-8601 strings): a position, or a column name when ``X``
        is a pandas DataFrame (a name is tried first).

    unseen_users : {"drop", "keep"}, default="drop"
        What to do with the test interactions of users with no interaction
        before the fold's cut, as in :class:`TemporalSplit`: leave them out
        (``"drop"``) or score them with the model's fallback (``"keep"``).

    user_column : int or str, default=0
        Column of ``X`` holding the user ids: a position, or a column name
        when ``X`` is a pandas DataFrame (a name is tried first).

    See Also
    --------
    TemporalSplit : One cut.
    sklearn.model_selection.TimeSeriesSplit : The same idea on rows.

    Notes
    -----
    A quantile cut is the time at position ``floor(q * n_samples)`` of the
    sorted times; when many interactions share a time two cuts can coincide,
    and the fold whose window would be empty raises a ``ValueError`` (lower
    ``n_splits``). Parameters are validated by :meth:`split`. ``y`` and
    ``groups`` are ignored.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.model_selection import ExpandingWindowSplit
    >>> # columns: user, item, timestamp
    >>> X = np.array([[0, 10, 1], [1, 10, 2], [0, 11, 3], [1, 11, 4],
    ...               [0, 12, 5], [1, 12, 6], [0, 13, 7], [2, 13, 8]])
    >>> for train, test in ExpandingWindowSplit(n_splits=3).split(X):
    ...     print(train, test)
    [0 1] [2 3]
    [0 1 2 3] [4 5]
    [0 1 2 3 4 5] [6]
    """

    def __init__(
        self,
        n_splits=3,
        *,
        test_size=None,
        time_column=2,
        unseen_users="drop",
        user_column=0,
    ):
        self.n_splits = n_splits
        self.test_size = test_size
        self.time_column = time_column
        self.unseen_users = unseen_users
        self.user_column = user_column

    def _check_params(self):
        n_splits = self.n_splits
        if (
            isinstance(n_splits, (bool, np.bool_))
            or not isinstance(n_splits, numbers.Integral)
            or n_splits < 1
        ):
            raise ValueError(
                f"n_splits must be an int of at least 1; got n_splits={n_splits!r}."
            )
        if self.test_size is None:
            return 1.0 / (n_splits + 1)
        _check_fraction(self.test_size, "test_size")
        if n_splits * self.test_size >= 1:
            raise ValueError(
                "n_splits * test_size must be below 1, so that the first fold has "
                f"interactions to train on; got n_splits={n_splits}, "
                f"test_size={self.test_size!r}."
            )
        return self.test_size

    def _cuts(self, times, kind):
        window = self._check_params()
        n_splits = int(self.n_splits)
        quantiles = np.append(1.0 - window * np.arange(n_splits, 0, -1), 1.0)
        cuts = _quantile_cuts(times, quantiles[:-1])
        for k in range(n_splits):
            end = cuts[k + 1] if k + 1 < n_splits else None
            where = (
                f"ExpandingWindowSplit fold {k} (quantiles {quantiles[k]:.3g} to "
                f"{quantiles[k + 1]:.3g})"
            )
            yield cuts[k], end, where

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
        self._check_params()
        return int(self.n_splits)
