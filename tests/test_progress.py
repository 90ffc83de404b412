"""The shared feedback helpers: progress bars and the constant-ratings warning."""

import warnings

import numpy as np
import pytest

from sklearn_attnrec.utils._progress import progress, warn_if_constant_ratings


def test_silent_progress_passes_items_through(capsys):
    with progress(iter("abc"), verbose=0, desc="steps", total=3) as items:
        assert list(items) == ["a", "b", "c"]
    assert capsys.readouterr() == ("", "")


def test_verbose_progress_draws_a_bar_on_stderr(capsys):
    with progress(range(4), verbose=1, desc="sweeps") as steps:
        for step in steps:
            if step == 1:
                steps.write("a message")
    captured = capsys.readouterr()
    assert captured.out == "a message\n"
    assert "sweeps" in captured.err and "4/4" in captured.err


def test_progress_counts_a_generator_with_total(capsys):
    with progress((i for i in range(5)), verbose=2, total=5) as items:
        assert sum(items) == 10
    assert "5/5" in capsys.readouterr().err


@pytest.mark.parametrize("value", [1.0, 4.0, 0.0])
def test_constant_ratings_warn(value):
    with pytest.warns(UserWarning, match=r"all equal .*feedback='implicit'"):
        warn_if_constant_ratings(np.full(5, value), "SomeRegressor")


@pytest.mark.parametrize("y", [np.array([1.0, 2.0, 1.0]), np.array([3.0])])
def test_varied_or_single_ratings_do_not_warn(y):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_constant_ratings(y, "SomeRegressor")
