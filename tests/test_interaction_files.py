"""load_interaction_file on small files made here: three layouts, clear errors."""

import numpy as np
import pytest

from sklearn_attnrec.datasets import load_interaction_file

PAIRS = "1 10\n1 11\n2 10\n1 12\n"
CSV = "userId,movieId,rating,timestamp\n1,10,4.5,964982703\n2,11,3.0,964981247\n"
DAT = "1::1193::5::978300760\n1::661::3::978302109\n"


@pytest.mark.parametrize(
    "name, text, layout, data, target",
    [
        (
            "Beauty.txt",
            PAIRS,
            "pairs",
            [[1, 10, 0], [1, 11, 1], [2, 10, 2], [1, 12, 3]],
            None,
        ),
        (
            "ratings.csv",
            CSV,
            "csv",
            [[1, 10, 964982703], [2, 11, 964981247]],
            [4.5, 3.0],
        ),
        (
            "ratings.dat",
            DAT,
            "dat",
            [[1, 1193, 978300760], [1, 661, 978302109]],
            [5.0, 3.0],
        ),
        # No telling extension: the first line decides.
        (
            "ratings.txt",
            DAT,
            "dat",
            [[1, 1193, 978300760], [1, 661, 978302109]],
            [5, 3],
        ),
    ],
)
def test_layouts(tmp_path, name, text, layout, data, target):
    path = tmp_path / name
    path.write_text(text)
    bunch = load_interaction_file(path)
    assert bunch.layout == layout
    assert bunch.data.dtype == np.int64 and bunch.data.tolist() == data
    if target is None:
        assert bunch.target is None
    else:
        np.testing.assert_allclose(bunch.target, target)


def test_frames_and_a_sequential_model(tmp_path):
    pytest.importorskip("pandas")
    from sklearn_attnrec import SequentialRecommender

    path = tmp_path / "Games.txt"
    path.write_text(PAIRS)
    X, y = load_interaction_file(path, return_X_y=True, as_frame=True)
    assert list(X.columns) == ["user_id", "item_id", "timestamp"] and y is None
    model = SequentialRecommender(
        **SequentialRecommender._test_params, random_state=0
    ).fit(X)
    np.testing.assert_array_equal(model.histories_[0][-3:], [1, 2, 3])  # 10, 11, 12


@pytest.mark.parametrize(
    "name, text, layout, message",
    [
        ("bad.dat", "1::2::5::9\n1::x::3::9\n", "auto", r"bad.dat.*line 2: '1,x,3,9'"),
        ("bad.csv", "u,i,r,t\n1,2,3,4\n1,2,3\n", "auto", r"bad.csv.*line 3"),
        ("bad.txt", "1 2\n3\n", "auto", r"bad.txt.*line 2: '3'"),
        ("ids.txt", "1.5 2\n", "auto", "ids must be integers"),
        ("empty.txt", "", "auto", "is empty"),
        ("x.txt", "1 2\n", "json", "layout must be one of"),
    ],
)
def test_bad_files_are_named(tmp_path, name, text, layout, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_interaction_file(path, layout=layout)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no interaction file"):
        load_interaction_file(tmp_path / "nothing.txt")
