"""Tests for the interaction-data splitters of ``sklearn_attnrec.model_selection``."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.model_selection import GridSearchCV, check_cv, cross_validate

import sklearn_attnrec
from sklearn_attnrec import EASE, PopularityRecommender, make_ranking_scorer
from sklearn_attnrec.model_selection import (
    ExpandingWindowSplit,
    LeaveLastOut,
    PerUserKFold,
    TemporalSplit,
    train_test_split_interactions,
)


def _interactions(n_users=30, max_rows=12, seed=0):
    """Random interactions: user ids with 1..max_rows rows each, shuffled rows."""
    rng = np.random.RandomState(seed)
    counts = rng.randint(1, max_rows + 1, size=n_users)
    users = np.repeat(np.arange(n_users) * 7 + 3, counts)  # non-contiguous ids
    items = rng.randint(0, 50, size=len(users))
    perm = rng.permutation(len(users))
    X = np.column_stack([users, items])[perm]
    y = rng.randint(1, 6, size=len(users)).astype(float)
    return X, y


# --------------------------------------------------------------------------- #
# PerUserKFold
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("n_splits", [2, 3, 5])
@pytest.mark.parametrize("shuffle", [True, False])
def test_per_user_kfold_properties(n_splits, shuffle):
    X, _ = _interactions()
    users = X[:, 0]
    counts = dict(zip(*np.unique(users, return_counts=True)))
    cv = PerUserKFold(n_splits, shuffle=shuffle, random_state=0 if shuffle else None)
    splits = list(cv.split(X))
    assert len(splits) == cv.get_n_splits() == n_splits

    all_test = np.concatenate([test for _, test in splits])
    # disjoint test folds
    assert len(all_test) == len(np.unique(all_test))
    # covering every row of the users with >= n_splits rows, and only those
    eligible = np.flatnonzero([counts[u] >= n_splits for u in users])
    np.testing.assert_array_equal(np.sort(all_test), eligible)

    per_user_sizes = {u: [] for u in counts}
    for train, test in splits:
        assert train.dtype.kind == "i" and test.dtype.kind == "i"
        # train and test partition the rows
        np.testing.assert_array_equal(
            np.sort(np.concatenate([train, test])), np.arange(len(X))
        )
        # every test user is seen in training
        assert set(users[test]) <= set(users[train])
        for u in counts:
            per_user_sizes[u].append(np.count_nonzero(users[test] == u))
    for u, sizes in per_user_sizes.items():
        if counts[u] >= n_splits:
            # round-robin: the user's fold sizes differ by at most 1
            assert max(sizes) - min(sizes) <= 1
            assert sum(sizes) == counts[u]
        else:
            # users with few rows are always in training
            assert sizes == [0] * n_splits


def test_per_user_kfold_balanced_fold_sizes():
    # 200 users with 3 rows each, 2 folds: random offsets balance the folds
    X = np.column_stack([np.repeat(np.arange(200), 3), np.arange(600)])
    sizes = [len(test) for _, test in PerUserKFold(2, random_state=0).split(X)]
    assert sum(sizes) == 600
    assert abs(sizes[0] - sizes[1]) < 60
    # without shuffling, fold 0 always gets the extra row
    sizes = [len(test) for _, test in PerUserKFold(2, shuffle=False).split(X)]
    assert sizes == [400, 200]


def test_per_user_kfold_no_shuffle_keeps_row_order():
    X = np.array([[1, 0], [2, 0], [1, 1], [1, 2], [2, 1], [1, 3], [2, 2]])
    cv = PerUserKFold(3, shuffle=False)
    tests = [test.tolist() for _, test in cv.split(X)]
    # user 1 rows 0, 2, 3, 5 dealt to folds 0, 1, 2, 0 ; user 2 rows 1, 4, 6
    assert tests == [[0, 1, 5], [2, 4], [3, 6]]
    assert tests == [test.tolist() for _, test in cv.split(X)]


def test_per_user_kfold_random_state_reproducible():
    X, _ = _interactions(seed=1)
    a = [t.tolist() for _, t in PerUserKFold(4, random_state=42).split(X)]
    b = [t.tolist() for _, t in PerUserKFold(4, random_state=42).split(X)]
    c = [t.tolist() for _, t in PerUserKFold(4, random_state=7).split(X)]
    assert a == b
    assert a != c


def test_per_user_kfold_string_ids_and_input_types():
    X_int, _ = _interactions(n_users=10, seed=2)
    names = np.array([f"user_{u}" for u in X_int[:, 0]], dtype=object)
    items = np.array([f"item_{i}" for i in X_int[:, 1]], dtype=object)
    X_obj = np.column_stack([names, items])
    X_str = X_obj.astype(str)
    X_list = X_obj.tolist()
    X_df = pd.DataFrame({"u": names, "i": items, "rating": 1.0})
    cv = PerUserKFold(3, shuffle=False)
    # the user codes keep the same order within each user whatever the ids
    expected = [t.tolist() for _, t in cv.split(X_int)]
    for X in (X_obj, X_str, X_list, X_df):
        assert [t.tolist() for _, t in cv.split(X)] == expected


def test_dataframe_uses_first_column_by_position():
    X = pd.DataFrame({"item": [0, 1, 2, 3], "user": [5, 5, 6, 6]})
    X = X[["user", "item"]]  # user column first
    tests = [t.tolist() for _, t in PerUserKFold(2, shuffle=False).split(X)]
    assert tests == [[0, 2], [1, 3]]


def test_mixed_id_types_raise():
    X = [[1, "a"], ["bob", "b"], [1, "c"]]
    with pytest.raises(ValueError, match="mix types"):
        list(PerUserKFold(2, shuffle=False).split(X))
    with pytest.raises(ValueError, match="mix types"):
        list(LeaveLastOut().split(pd.DataFrame(X)))
    with pytest.raises(ValueError, match="mix types"):
        train_test_split_interactions(X)


def test_per_user_kfold_all_users_too_small():
    X = np.array([[0, 0], [1, 0], [1, 1]])
    with pytest.raises(ValueError, match="n_splits"):
        list(PerUserKFold(3, shuffle=False).split(X))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_splits": 1}, "n_splits"),
        ({"n_splits": 0}, "n_splits"),
        ({"n_splits": 2.0}, "n_splits"),
        ({"n_splits": "3"}, "n_splits"),
        ({"shuffle": "yes"}, "shuffle"),
        ({"shuffle": False, "random_state": 0}, "random_state"),
    ],
)
def test_per_user_kfold_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PerUserKFold(**kwargs)


def test_bad_X_shape():
    with pytest.raises(ValueError, match=r"shape \(n_samples, >=2\)"):
        list(PerUserKFold(2).split(np.arange(10)))
    with pytest.raises(ValueError, match=r"shape \(n_samples, >=2\)"):
        list(LeaveLastOut().split(pd.DataFrame({"u": [1, 1]})))


def test_repr():
    assert repr(PerUserKFold(3, random_state=0)) == (
        "PerUserKFold(n_splits=3, random_state=0, shuffle=True, user_column=0)"
    )
    assert repr(LeaveLastOut(2, time_column="t")) == (
        "LeaveLastOut(n=2, time_column='t', user_column=0)"
    )


# --------------------------------------------------------------------------- #
# LeaveLastOut
# --------------------------------------------------------------------------- #
def test_leave_last_out_time_column_picks_max_timestamp():
    X, _ = _interactions(seed=3)
    rng = np.random.RandomState(0)
    times = rng.randint(0, 5, size=len(X))  # many ties
    Xt = np.column_stack([X, times])
    splits = list(LeaveLastOut(time_column=2).split(Xt))
    assert len(splits) == LeaveLastOut().get_n_splits() == 1
    train, test = splits[0]
    users = X[:, 0]
    for u in np.unique(users):
        rows = np.flatnonzero(users == u)
        in_test = np.intersect1d(rows, test)
        if len(rows) == 1:
            assert len(in_test) == 0  # single interaction stays in train
            continue
        assert len(in_test) == 1
        # the test row has the maximum timestamp, the latest row among ties
        max_rows = rows[times[rows] == times[rows].max()]
        assert in_test[0] == max_rows[-1]
    np.testing.assert_array_equal(
        np.sort(np.concatenate([train, test])), np.arange(len(X))
    )


def test_leave_last_out_ties_keep_row_order():
    # user 0: timestamps 5, 5, 3 -> both first rows tie at the max; the later
    # row (1) is the most recent. With n=2 both max-time rows are held out.
    X = np.array([[0, 0, 5], [0, 1, 5], [0, 2, 3], [1, 0, 1], [1, 1, 1]])
    _, test = next(LeaveLastOut(time_column=2).split(X))
    assert test.tolist() == [1, 4]
    _, test = next(LeaveLastOut(2, time_column=2).split(X))
    assert test.tolist() == [0, 1]  # user 1 has only 2 <= n rows: train only


def test_leave_last_out_row_order_without_time_column():
    X = np.array([[0, 0], [1, 0], [0, 1], [0, 2], [1, 1], [2, 0]])
    train, test = next(LeaveLastOut().split(X))
    assert test.tolist() == [3, 4]
    assert train.tolist() == [0, 1, 2, 5]
    train, test = next(LeaveLastOut(2).split(X))
    assert test.tolist() == [2, 3]  # user 1 has 2 rows, user 2 one: train only


def test_leave_last_out_dataframe_time_column_by_name_and_position():
    df = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b", "b"],
            "item": ["x", "y", "z", "x", "z"],
            "when": pd.to_datetime(
                ["2024-03-01", "2024-01-01", "2024-02-01", "2023-01-01", "2022-01-01"]
            ),
        }
    )
    _, by_name = next(LeaveLastOut(time_column="when").split(df))
    _, by_pos = next(LeaveLastOut(time_column=2).split(df))
    assert by_name.tolist() == by_pos.tolist() == [0, 3]
    # string timestamps in a numpy object array
    X = df.assign(when=df["when"].dt.strftime("%Y-%m-%d")).to_numpy()
    assert next(LeaveLastOut(time_column=2).split(X))[1].tolist() == [0, 3]


def test_leave_last_out_bad_parameters():
    for n in (0, -1, 1.5, "1"):
        with pytest.raises(ValueError, match="n must be a positive int"):
            LeaveLastOut(n)
    X = np.array([[0, 0, 1], [0, 1, 2]])
    with pytest.raises(ValueError, match="time_column"):
        list(LeaveLastOut(time_column="t").split(X))
    with pytest.raises(ValueError, match="time_column"):
        list(LeaveLastOut(time_column=3).split(X))
    with pytest.raises(ValueError, match="time_column"):
        list(LeaveLastOut(time_column="nope").split(pd.DataFrame(X)))
    X_nan = np.array([[0, 0, 1.0], [0, 1, np.nan]])
    with pytest.raises(ValueError, match="time_column"):
        list(LeaveLastOut(time_column=2).split(X_nan))
    with pytest.raises(ValueError, match="n=1"):
        list(LeaveLastOut().split(np.array([[0, 0], [1, 0]])))


# --------------------------------------------------------------------------- #
# train_test_split_interactions
# --------------------------------------------------------------------------- #
def test_train_test_split_proportions():
    X, y = _interactions(n_users=40, max_rows=20, seed=4)
    X_train, X_test, y_train, y_test = train_test_split_interactions(
        X, y, test_size=0.25, random_state=0
    )
    assert len(X_train) + len(X_test) == len(X)
    assert len(y_train) == len(X_train) and len(y_test) == len(X_test)
    for u in np.unique(X[:, 0]):
        n_u = np.count_nonzero(X[:, 0] == u)
        n_test = np.count_nonzero(X_test[:, 0] == u)
        if n_u < 2:
            assert n_test == 0
        else:
            expected = min(max(int(np.floor(0.25 * n_u + 0.5)), 1), n_u - 1)
            assert n_test == expected
            assert np.count_nonzero(X_train[:, 0] == u) == n_u - n_test
    # rows are kept together with their targets
    rows = {tuple(r) + (t,) for r, t in zip(X.tolist(), y)}
    assert {tuple(r) + (t,) for r, t in zip(X_test.tolist(), y_test)} <= rows


def test_train_test_split_reproducible_and_no_shuffle():
    X, y = _interactions(seed=5)
    a = train_test_split_interactions(X, test_size=0.3, random_state=1)
    b = train_test_split_interactions(X, test_size=0.3, random_state=1)
    assert len(a) == 2
    np.testing.assert_array_equal(a[1], b[1])
    # shuffle=False: the last rows of each user are the test set
    X = np.array([[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [0, 3]])
    X_train, X_test = train_test_split_interactions(X, test_size=0.5, shuffle=False)
    assert X_test.tolist() == [[0, 2], [1, 1], [0, 3]]
    assert X_train.tolist() == [[0, 0], [0, 1], [1, 0]]


def test_train_test_split_preserves_types():
    df = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": [1, 2, 1, 3]})
    ratings = pd.Series([1.0, 2.0, 3.0, 4.0], index=[10, 11, 12, 13])
    X_train, X_test, y_train, y_test = train_test_split_interactions(
        df, ratings, test_size=0.5, shuffle=False
    )
    assert isinstance(X_train, pd.DataFrame) and isinstance(y_test, pd.Series)
    assert X_test["item"].tolist() == [2, 3]
    assert y_test.index.tolist() == [11, 13]
    # lists stay lists and keep each value's type
    X_list = [["a", 1], ["a", 2], ["b", 1], ["b", 3]]
    X_train, X_test = train_test_split_interactions(X_list, shuffle=False)
    assert X_test == [["a", 2], ["b", 3]]


def test_train_test_split_bad_parameters():
    X = np.array([[0, 0], [0, 1]])
    for test_size in (0, 1, 1.5, -0.1, 2, "0.2", None):
        with pytest.raises(ValueError, match="test_size"):
            train_test_split_interactions(X, test_size=test_size)
    with pytest.raises(ValueError, match="shuffle"):
        train_test_split_interactions(X, shuffle=None)
    with pytest.raises(ValueError, match="inconsistent"):
        train_test_split_interactions(X, np.ones(3))
    with pytest.raises(ValueError, match="at least 2 interactions"):
        train_test_split_interactions(np.array([[0, 0], [1, 1]]))


# --------------------------------------------------------------------------- #
# scikit-learn integration
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize(
    "cv", [PerUserKFold(3, random_state=0), LeaveLastOut(), LeaveLastOut(time_column=1)]
)
def test_cross_validate_integration(cv):
    X, y = _interactions(seed=6)
    assert check_cv(cv) is cv
    result = cross_validate(DummyRegressor(), X, y, cv=cv, return_indices=True)
    assert len(result["test_score"]) == cv.get_n_splits()
    for train, test in zip(result["indices"]["train"], result["indices"]["test"]):
        assert set(X[test, 0]) <= set(X[train, 0])


def test_grid_search_integration():
    X, y = _interactions(seed=7)
    df = pd.DataFrame({"user": X[:, 0].astype(str), "item": X[:, 1]})
    search = GridSearchCV(
        DummyRegressor(),
        {"strategy": ["mean", "median"]},
        cv=PerUserKFold(3, random_state=0),
        scoring="neg_mean_absolute_error",
    )
    search.fit(X, y)
    assert search.n_splits_ == 3
    assert search.best_params_["strategy"] in ("mean", "median")
    search.fit(df, y)
    assert np.isfinite(search.best_score_)


# --------------------------------------------------------------------------- #
# Splits by time (issue 21)
# --------------------------------------------------------------------------- #
def _timed(n_users=30, max_rows=12, seed=0, n_times=40):
    """Shuffled interactions with a third column of times (many ties)."""
    X, y = _interactions(n_users, max_rows, seed)
    times = np.random.RandomState(seed + 100).randint(0, n_times, size=len(X))
    return np.column_stack([X, times]), y


def _latest_rows_are_tested(X, test, time=2):
    """Within each user, every test row comes after every training row in
    (time, row) order, ties broken by row."""
    key = X[:, time].astype(np.int64) * len(X) + np.arange(len(X))  # (time, row)
    in_test = np.zeros(len(X), dtype=bool)
    in_test[test] = True
    for u in np.unique(X[:, 0]):
        rows = X[:, 0] == u
        if in_test[rows].any() and (~in_test[rows]).any():
            assert key[rows & in_test].min() > key[rows & ~in_test].max()


@pytest.mark.parametrize("test_size", [0.2, 0.5, 1, 3])
def test_train_test_split_by_time_holds_out_the_latest(test_size):
    X, y = _timed(seed=8)
    rows = np.column_stack([np.arange(len(X)), X])  # keeps the row index
    train, test, y_train, y_test = train_test_split_interactions(
        rows, y, test_size=test_size, user_column=1, time_column=3
    )
    assert len(train) + len(test) == len(X)
    np.testing.assert_array_equal(y_test, y[test[:, 0]])
    _latest_rows_are_tested(X, test[:, 0])
    for u in np.unique(X[:, 0]):
        n_u = np.count_nonzero(X[:, 0] == u)
        n_test = np.count_nonzero(test[:, 1] == u)
        if isinstance(test_size, int):
            assert n_test == (test_size if n_u > test_size else 0)
        elif n_u < 2:
            assert n_test == 0
        else:
            assert n_test == min(max(int(np.floor(test_size * n_u + 0.5)), 1), n_u - 1)


def test_train_test_split_by_time_ignores_shuffle_and_matches_leave_last_out():
    X, _ = _timed(seed=9)
    a = train_test_split_interactions(X, test_size=2, time_column=2, random_state=0)
    b = train_test_split_interactions(X, test_size=2, time_column=2, shuffle=False)
    np.testing.assert_array_equal(a[1], b[1])
    _, test = next(LeaveLastOut(2, time_column=2).split(X))
    np.testing.assert_array_equal(a[1], X[test])


def test_train_test_split_by_time_dataframe_with_datetimes():
    df = pd.DataFrame(
        {
            "user": ["a", "a", "a", "b", "b", "b"],
            "item": [1, 2, 3, 1, 2, 3],
            "when": pd.to_datetime(
                ["2024-03-01", "2024-01-01", "2024-02-01"] * 2
            ).tz_localize("Europe/Paris"),
        }
    )
    _, test = train_test_split_interactions(df, test_size=1, time_column="when")
    assert isinstance(test, pd.DataFrame)
    assert test.index.tolist() == [0, 3]
    # ISO strings give the same split; 'dd/mm/yyyy' strings are refused
    iso = df.assign(when=df["when"].dt.strftime("%Y-%m-%dT%H:%M"))
    _, test = train_test_split_interactions(iso, test_size=1, time_column="when")
    assert test.index.tolist() == [0, 3]
    text = df.assign(when=df["when"].dt.strftime("%d/%m/%Y"))
    with pytest.raises(ValueError, match="time_column='when' holds strings that"):
        train_test_split_interactions(text, test_size=1, time_column="when")


@pytest.mark.parametrize("test_size", [0, 1.5, -1, True, "1", None, 0.0])
def test_train_test_split_by_time_bad_test_size(test_size):
    X, _ = _timed()
    with pytest.raises(ValueError, match=rf"test_size={test_size!r}"):
        train_test_split_interactions(X, test_size=test_size, time_column=2)


def test_string_time_columns_are_parsed_not_sorted_as_text():
    # As text '02/01/2024' < '10/12/2023'; as dates (day first) it is later.
    X = np.array(
        [["u", "a", "2023-12-10"], ["u", "b", "2024-01-02"], ["u", "c", "2023-12-31"]],
        dtype=object,
    )
    assert next(LeaveLastOut(time_column=2).split(X))[1].tolist() == [1]
    X[:, 2] = ["10/12/2023", "02/01/2024", "31/12/2023"]
    with pytest.raises(ValueError, match=r"time_column=2 .*'2024-01-31'"):
        list(LeaveLastOut(time_column=2).split(X))
    X[:, 2] = ["10", "200", "31"]  # numbers as strings are numbers
    assert next(LeaveLastOut(time_column=2).split(X))[1].tolist() == [1]


def test_leave_last_out_warns_when_rows_are_not_in_time_order():
    X, _ = _timed(seed=10)  # shuffled rows, third column numeric
    with pytest.warns(UserWarning, match="falls back to row order.*time_column=2"):
        list(LeaveLastOut().split(X))
    with pytest.warns(UserWarning, match="time_column="):
        list(LeaveLastOut().split(pd.DataFrame(X, columns=["u", "i", "t"])))
    in_time_order = X[np.argsort(X[:, 2], kind="stable")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # rows in time order, a time column, no third column, a non-numeric one
        list(LeaveLastOut().split(in_time_order))
        list(LeaveLastOut(time_column=2).split(X))
        list(LeaveLastOut().split(X[:, :2]))
        text = X.astype(object)
        text[:, 2] = "x"
        list(LeaveLastOut().split(text))
        # ties within a user are in time order
        list(LeaveLastOut().split(np.array([[0, 0, 5], [0, 1, 5], [1, 0, 9]])))


def test_temporal_split_nothing_at_or_after_the_cut_in_training():
    X, _ = _timed(seed=11)
    times = X[:, 2]
    cut = 25
    train, test = next(TemporalSplit(at=cut).split(X))
    assert times[train].max() < cut and times[test].min() >= cut
    assert set(X[test, 0]) <= set(X[train, 0])  # unseen users dropped
    dropped = np.setdiff1d(np.flatnonzero(times >= cut), test)
    assert not np.isin(X[dropped, 0], X[train, 0]).any()
    _, kept = next(TemporalSplit(at=cut, unseen_users="keep").split(X))
    np.testing.assert_array_equal(kept, np.flatnonzero(times >= cut))
    np.testing.assert_array_equal(
        np.sort(np.concatenate([train, kept])), np.arange(len(X))
    )


def test_temporal_split_quantile():
    X = np.column_stack([np.arange(100) % 7, np.arange(100), np.arange(100)[::-1]])
    for quantile, n_train in [(None, 80), (0.8, 80), (0.25, 25)]:
        train, test = next(TemporalSplit(quantile=quantile).split(X))
        assert len(train) == n_train
        assert X[train, 2].max() < X[test, 2].min()


def test_temporal_split_datetimes_and_named_columns():
    X, _ = _timed(seed=12)
    when = pd.Timestamp("2024-01-01") + pd.to_timedelta(X[:, 2], unit="h")
    df = pd.DataFrame({"item": X[:, 1], "who": X[:, 0], "when": when})
    reference = next(TemporalSplit(at=20).split(X))
    for at in ("2024-01-01T20:00", pd.Timestamp("2024-01-01 21:00", tz="+01:00")):
        split = next(
            TemporalSplit(at=at, time_column="when", user_column="who").split(df)
        )
        for got, expected in zip(split, reference):
            np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="at=20 is a number but"):
        list(TemporalSplit(at=20, time_column="when", user_column="who").split(df))


def test_expanding_window_folds_are_nested_and_disjoint():
    X, _ = _timed(n_users=60, seed=13, n_times=1000)
    times = X[:, 2]
    for cv, n_splits in [(ExpandingWindowSplit(), 3), (ExpandingWindowSplit(4), 4)]:
        splits = list(cv.split(X))
        assert len(splits) == cv.get_n_splits() == n_splits
        tests = [test for _, test in splits]
        all_tests = np.concatenate(tests)
        assert len(all_tests) == len(np.unique(all_tests))  # disjoint
        for k, (train, test) in enumerate(splits):
            assert times[train].max() < times[test].min()  # train before test
            assert set(X[test, 0]) <= set(X[train, 0])
            if k:
                previous_train, previous_test = splits[k - 1]
                assert np.isin(previous_train, train).all()  # nested
                assert times[previous_test].max() < times[test].min()
                # fold k trains on everything before its cut
                np.testing.assert_array_equal(
                    train, np.flatnonzero(times < times[test].min())
                )
    keep = list(ExpandingWindowSplit(3, unseen_users="keep").split(X))
    covered = np.concatenate([keep[0][0], *(test for _, test in keep)])
    np.testing.assert_array_equal(np.sort(covered), np.arange(len(X)))  # to the end
    sizes = [len(test) for _, test in keep]
    assert all(abs(size - len(X) / 4) < 0.05 * len(X) for size in sizes)


def test_expanding_window_test_size():
    X = np.column_stack([np.zeros(100, int), np.arange(100), np.arange(100)])
    splits = list(ExpandingWindowSplit(2, test_size=0.1).split(X))
    assert [(len(train), len(test)) for train, test in splits] == [(80, 10), (90, 10)]


def test_time_splitters_validate_in_split_not_in_init():
    bad = [  # stored unchanged, refused by split
        TemporalSplit(quantile=2.0),
        TemporalSplit(unseen_users="maybe"),
        ExpandingWindowSplit(0),
        ExpandingWindowSplit(3, test_size=0.5),
        ExpandingWindowSplit(time_column=None),
    ]
    assert bad[0].quantile == 2.0 and bad[1].unseen_users == "maybe"
    X, _ = _timed()
    for cv in bad:
        with pytest.raises(ValueError):
            list(cv.split(X))


def test_time_splitters_repr_and_exports():
    assert " ".join(repr(TemporalSplit(quantile=0.9)).split()) == (
        "TemporalSplit(at=None, quantile=0.9, time_column=2, unseen_users='drop',"
        " user_column=0)"
    )
    assert " ".join(repr(ExpandingWindowSplit(4)).split()) == (
        "ExpandingWindowSplit(n_splits=4, test_size=None, time_column=2,"
        " unseen_users='drop', user_column=0)"
    )
    for name in ("TemporalSplit", "ExpandingWindowSplit"):
        assert name in sklearn_attnrec.__all__
        assert getattr(sklearn_attnrec, name).__name__ == name


@pytest.mark.parametrize(
    "cv",
    [
        TemporalSplit(time_column="when", user_column="user"),
        ExpandingWindowSplit(2, time_column="when", user_column="user"),
        LeaveLastOut(time_column="when", user_column="user"),
    ],
    ids=["TemporalSplit", "ExpandingWindowSplit", "LeaveLastOut"],
)
def test_time_splitters_in_grid_search_with_a_ranking_scorer(cv):
    X, _ = _timed(n_users=40, max_rows=20, seed=14, n_times=200)
    df = pd.DataFrame(
        {
            "user": X[:, 0],
            "item": X[:, 1],
            "when": pd.Timestamp("1998-01-01") + pd.to_timedelta(X[:, 2], unit="D"),
        }
    )
    for estimator, grid in [
        (PopularityRecommender(), {"handle_unknown": ["fallback"]}),
        (EASE(), {"alpha": [1.0, 100.0]}),
    ]:
        search = GridSearchCV(
            estimator, grid, cv=cv, scoring=make_ranking_scorer("ndcg", k=5)
        )
        search.fit(df)
        assert search.n_splits_ == cv.get_n_splits()
        assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_missing_times_in_a_dataframe_are_named():
    df = pd.DataFrame(
        {
            "user": [1, 1, 2, 2],
            "item": [1, 2, 1, 2],
            "when": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04"]),
        }
    )
    for cv in (LeaveLastOut(time_column="when"), TemporalSplit(time_column="when")):
        with pytest.raises(ValueError, match="column 'when' holds 1 missing times"):
            list(cv.split(df))
