"""Tests of sklearn_attnrec.datasets (no network: downloads are faked)."""

import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sklearn_attnrec.datasets import (
    _movielens,
    fetch_movielens,
    fetch_tiny_shakespeare,
    get_data_home,
    make_interactions,
    make_sequences,
)

# ---------------------------------------------------------------------------
# A tiny fake ml-100k folder: 4 users, 5 items, 10 ratings, 5 folds of 2 ratings.
# ---------------------------------------------------------------------------

GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
FAKE_RATINGS = np.array(
    [
        [3, 2, 4, 880000009],
        [1, 1, 5, 880000001],
        [2, 5, 1, 880000005],
        [4, 4, 3, 880000002],
        [1, 3, 2, 880000007],
        [2, 1, 4, 880000003],
        [3, 5, 5, 880000004],
        [4, 1, 2, 880000008],
        [1, 2, 3, 880000006],
        [2, 3, 4, 880000000],
    ]
)
FAKE_TITLES = [
    "Toy Story (1995)",
    "Shawshank, The (1994)",  # comma in the title
    "Misérables, Les (1995)",  # latin-1 character
    "unknown",
    "#9 Number Nine (1999)",  # would be a comment with the default loadtxt
]


def _fake_files():
    """{file name: bytes} of a consistent miniature ml-100k."""
    files = {}
    lines = ["\t".join(map(str, row)) for row in FAKE_RATINGS]
    files["u.data"] = ("\n".join(lines) + "\n").encode()
    item_lines = []
    for i, title in enumerate(FAKE_TITLES, start=1):
        date = "" if title == "unknown" else "01-Jan-1995"
        flags = ["0"] * 19
        flags[i] = "1"
        flags[(3 * i) % 19] = "1"
        url = "" if title == "unknown" else f"http://us.imdb.com/M/{i}"
        item_lines.append("|".join([str(i), title, date, "", url, *flags]))
    files["u.item"] = ("\n".join(item_lines) + "\n").encode("latin-1")
    files["u.user"] = b"1|24|M|technician|85711\n2|53|F|other|94043\n" + (
        b"3|23|M|writer|32067\n4|33|F|artist|T8H1N\n"
    )
    files["u.genre"] = (
        "\n".join(f"{g}|{k}" for k, g in enumerate(GENRES)) + "\n\n"
    ).encode()
    for k in range(5):
        test = np.zeros(len(FAKE_RATINGS), dtype=bool)
        test[[2 * k, 2 * k + 1]] = True
        splits = {"base": FAKE_RATINGS[~test], "test": FAKE_RATINGS[test]}
        for suffix, rows in splits.items():
            rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
            text = "".join("\t".join(map(str, r)) + "\n" for r in rows)
            files[f"u{k + 1}.{suffix}"] = text.encode()
    files["README"] = b"fake MovieLens for tests\n"
    return files


def _md5(content):
    return hashlib.md5(content).hexdigest()


def _make_zip(path, files, prefix="ml-100k/"):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(prefix + name, content)
    return path


def _checksums(files):
    return {f"ml-100k/{n}": _md5(c) for n, c in files.items() if n != "README"}


@pytest.fixture
def fake_files():
    return _fake_files()


def _trust_files(monkeypatch, home):
    """Make the loader's md5 table match the files now in ``home/ml-100k``."""
    table = _movielens._VARIANTS["100k"]["checksums"]
    checksums = {rel: _md5((home / rel).read_bytes()) for rel in table}
    monkeypatch.setitem(_movielens._VARIANTS["100k"], "checksums", checksums)


@pytest.fixture
def fake_home(tmp_path, fake_files, monkeypatch):
    """A data home holding the fake ml-100k folder (its md5s are the loader's)."""
    folder = tmp_path / "home" / "ml-100k"
    folder.mkdir(parents=True)
    for name, content in fake_files.items():
        (folder / name).write_bytes(content)
    _trust_files(monkeypatch, folder.parent)
    return folder.parent


@pytest.fixture
def no_network(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the network must not be used")

    monkeypatch.setattr("urllib.request.urlopen", fail)


# ---------------------------------------------------------------------------
# fetch_movielens on the real data
# ---------------------------------------------------------------------------


def test_movielens_shapes_and_dtypes(movielens):
    ml = movielens
    assert ml.data.shape == (100000, 2) and ml.data.dtype == np.int64
    assert ml.target.shape == (100000,) and ml.target.dtype == np.float64
    assert ml.timestamps.shape == (100000,) and ml.timestamps.dtype == np.int64
    assert len(np.unique(ml.data[:, 0])) == 943
    assert len(np.unique(ml.data[:, 1])) == 1682
    assert ml.data.min() == 1
    assert set(np.unique(ml.target)) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert ml.feature_names == ["user_id", "item_id"]
    assert ml.target_names == ["rating"]
    assert "MovieLens" in ml.DESCR and "Harper" in ml.DESCR


def test_movielens_known_values(movielens):
    ml = movielens
    # first line of u.data: 196 242 3 881250949
    np.testing.assert_array_equal(ml.data[0], [196, 242])
    assert ml.target[0] == 3.0 and ml.timestamps[0] == 881250949
    items, users = ml["items"], ml.users
    assert ml.item_info is items
    assert items.title[0] == "Toy Story (1995)"
    assert items.release_date[0] == "01-Jan-1995"
    np.testing.assert_array_equal(items.item_id, np.arange(1, 1683))
    assert items.release_date[items.item_id == 267][0] == ""
    assert "Misérables, Les (1995)" in items.title
    assert items.genres.shape == (1682, 19) and items.genres.dtype.kind == "i"
    assert len(items.genre_names) == 19
    assert items.genre_names[0] == "unknown" and items.genre_names[-1] == "Western"
    # Toy Story: Animation, Children's, Comedy
    assert set(items.genre_names[items.genres[0] == 1]) == {
        "Animation",
        "Children's",
        "Comedy",
    }
    assert len(users.user_id) == 943
    assert (users.user_id[0], users.age[0], users.gender[0]) == (1, 24, "M")
    assert users.occupation[0] == "technician" and users.zip_code[0] == "85711"


def test_movielens_folds(movielens):
    n = len(movielens.data)
    folds = movielens.folds
    assert len(folds) == 5
    all_test = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(all_test), np.arange(n))
    for train, test in folds:
        assert train.dtype.kind == "i" and test.dtype.kind == "i"
        assert len(train) == 80000 and len(test) == 20000
        assert len(np.intersect1d(train, test)) == 0
        np.testing.assert_array_equal(np.union1d(train, test), np.arange(n))


def test_movielens_as_frame(shared_data_home):
    pd = pytest.importorskip("pandas")
    ml = fetch_movielens(
        data_home=shared_data_home, download_if_missing=False, as_frame=True
    )
    assert list(ml.frame.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert ml.frame.shape == (100000, 4)
    assert isinstance(ml.data, pd.DataFrame)
    assert list(ml.data.columns) == ["user_id", "item_id"]
    assert isinstance(ml.target, pd.Series) and ml.target.name == "rating"
    assert ml.users.index.name == "user_id" and len(ml.users) == 943
    assert list(ml.users.columns) == ["age", "gender", "occupation", "zip_code"]
    items = ml["items"]
    assert items.index.name == "item_id" and len(items) == 1682
    assert items.loc[1, "title"] == "Toy Story (1995)"
    assert list(items.columns[:3]) == ["title", "release_date", "imdb_url"]
    assert list(items.columns[3:]) == GENRES
    assert len(ml.folds) == 5

    X, y = fetch_movielens(
        data_home=shared_data_home,
        download_if_missing=False,
        as_frame=True,
        return_X_y=True,
    )
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)


def test_movielens_return_X_y(shared_data_home, movielens):
    X, y = fetch_movielens(
        data_home=shared_data_home, download_if_missing=False, return_X_y=True
    )
    np.testing.assert_array_equal(X, movielens.data)
    np.testing.assert_array_equal(y, movielens.target)


# ---------------------------------------------------------------------------
# fetch_movielens on fake data: parsing, data home, errors, download
# ---------------------------------------------------------------------------


def test_fake_parsing_and_folds(fake_home, no_network):
    ml = fetch_movielens(data_home=fake_home, download_if_missing=False)
    np.testing.assert_array_equal(ml.data, FAKE_RATINGS[:, :2])
    np.testing.assert_array_equal(ml.target, FAKE_RATINGS[:, 2].astype(float))
    np.testing.assert_array_equal(ml.timestamps, FAKE_RATINGS[:, 3])
    assert list(ml["items"].title) == FAKE_TITLES
    assert list(ml["items"].release_date) == ["01-Jan-1995"] * 3 + ["", "01-Jan-1995"]
    assert ml["items"].genres.shape == (5, 19)
    assert list(ml["items"].genre_names) == GENRES
    assert list(ml.users.zip_code) == ["85711", "94043", "32067", "T8H1N"]
    for k, (train, test) in enumerate(ml.folds):
        np.testing.assert_array_equal(test, [2 * k, 2 * k + 1])
        np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(10))


def test_fetch_without_pandas(fake_home, monkeypatch, no_network):
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    ml = fetch_movielens(data_home=fake_home, download_if_missing=False)
    assert ml.data.shape == (10, 2)
    with pytest.raises(ImportError, match="pandas"):
        fetch_movielens(data_home=fake_home, download_if_missing=False, as_frame=True)


def test_fold_pair_not_in_data_raises(fake_home, no_network, monkeypatch):
    with open(fake_home / "ml-100k" / "u3.test", "a") as f:
        f.write("4\t5\t1\t880000010\n")
    _trust_files(monkeypatch, fake_home)  # else the md5 check stops it first
    with pytest.raises(ValueError, match=r"u3\.test: 1 \(user, item\) pairs"):
        fetch_movielens(data_home=fake_home, download_if_missing=False)


def test_get_data_home_precedence(tmp_path, monkeypatch):
    env_home = tmp_path / "env"
    explicit = tmp_path / "explicit"
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("SKLEARN_ATTNREC_DATA", raising=False)
    default = get_data_home()
    assert default == tmp_path / "user" / "sklearn_attnrec_data"
    assert default.is_dir()

    monkeypatch.setenv("SKLEARN_ATTNREC_DATA", str(env_home))
    assert get_data_home() == env_home and env_home.is_dir()
    assert get_data_home(str(explicit)) == explicit and explicit.is_dir()
    assert isinstance(get_data_home(explicit), Path)


def test_fetch_uses_env_data_home(fake_home, tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("SKLEARN_ATTNREC_DATA", str(fake_home))
    assert fetch_movielens(download_if_missing=False).data.shape == (10, 2)
    # an explicit data_home wins over the environment variable
    with pytest.raises(FileNotFoundError):
        fetch_movielens(data_home=tmp_path / "empty", download_if_missing=False)


def test_unsupported_variant():
    with pytest.raises(ValueError, match=r"'2m'.*'100k'.*'1m'"):
        fetch_movielens("2m")


def test_missing_files_without_download(tmp_path, no_network):
    with pytest.raises(FileNotFoundError) as excinfo:
        fetch_movielens(data_home=tmp_path, download_if_missing=False)
    message = str(excinfo.value)
    assert str(tmp_path / "ml-100k") in message
    assert "download_if_missing=True" in message
    assert "ml-100k.zip" in message


def test_extract_and_verify_success(tmp_path, fake_files):
    archive = _make_zip(tmp_path / "fake.zip", fake_files)
    target = tmp_path / "home"
    target.mkdir()
    (target / "ml-100k").mkdir()
    (target / "ml-100k" / "stale").write_text("old partial content")
    (target / "ml-100k" / "u.data").write_text("kept: never overwritten")
    checksums = _checksums(fake_files)
    installed = _movielens._extract_and_verify(archive, target, checksums)
    assert sorted(installed) == sorted(set(checksums) - {"ml-100k/u.data"})
    for name, content in fake_files.items():
        if name not in ("README", "u.data"):
            assert (target / "ml-100k" / name).read_bytes() == content
    # Only the files of the md5 table are written, and only where none exists:
    # other files (the old behaviour deleted them) are left alone.
    assert (target / "ml-100k" / "stale").read_text() == "old partial content"
    assert (target / "ml-100k" / "u.data").read_text() == "kept: never overwritten"
    assert not (target / "ml-100k" / "README").exists()
    assert sorted(p.name for p in target.iterdir()) == ["ml-100k"]


def test_extract_and_verify_mismatch(tmp_path, fake_files):
    archive = _make_zip(tmp_path / "fake.zip", fake_files)
    target = tmp_path / "home"
    target.mkdir()
    checksums = _checksums(fake_files)
    checksums["ml-100k/u.data"] = "0" * 32
    with pytest.raises(OSError, match="u.data"):
        _movielens._extract_and_verify(archive, target, checksums)
    assert list(target.iterdir()) == []  # bad files deleted, nothing moved in

    checksums = _checksums(fake_files)
    checksums["ml-100k/u9.test"] = "0" * 32
    with pytest.raises(OSError, match="u9.test.*missing"):
        _movielens._extract_and_verify(archive, target, checksums)
    assert list(target.iterdir()) == []


def test_extract_and_verify_bad_zip(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"<html>not a zip</html>")
    target = tmp_path / "home"
    target.mkdir()
    with pytest.raises(OSError, match="not a valid zip"):
        _movielens._extract_and_verify(archive, target, {})
    assert list(target.iterdir()) == []


def _fake_urlopen(archive, calls):
    def urlopen(url, *args, **kwargs):
        calls.append(url)
        return io.BytesIO(archive.read_bytes())

    return urlopen


def test_fetch_downloads_when_missing(tmp_path, fake_files, monkeypatch):
    archive = _make_zip(tmp_path / "served.zip", fake_files)
    calls = []
    monkeypatch.setattr("urllib.request.urlopen", _fake_urlopen(archive, calls))
    monkeypatch.setitem(
        _movielens._VARIANTS["100k"], "checksums", _checksums(fake_files)
    )
    home = tmp_path / "home"  # does not exist yet: get_data_home creates it
    ml = fetch_movielens(data_home=home)
    assert calls == ["https://files.grouplens.org/datasets/movielens/ml-100k.zip"]
    assert ml.data.shape == (10, 2)
    assert sorted(p.name for p in home.iterdir()) == ["ml-100k"]  # zip removed
    # second call: files present, no network
    fetch_movielens(data_home=home)
    assert len(calls) == 1


def test_fetch_download_checksum_mismatch(tmp_path, fake_files, monkeypatch):
    archive = _make_zip(tmp_path / "served.zip", fake_files)
    calls = []
    monkeypatch.setattr("urllib.request.urlopen", _fake_urlopen(archive, calls))
    home = tmp_path / "home"
    # the real checksums do not match the fake files
    with pytest.raises(OSError, match="md5"):
        fetch_movielens(data_home=home)
    assert len(calls) == 1
    assert list(home.iterdir()) == []


# ---------------------------------------------------------------------------
# make_interactions
# ---------------------------------------------------------------------------


def test_make_interactions_basic():
    X, y = make_interactions(n_users=100, n_items=50, density=0.1, random_state=0)
    assert X.dtype == np.int64 and X.ndim == 2 and X.shape[1] == 2
    assert y.dtype == np.float64 and y.shape == (len(X),)
    assert len(X) == 500
    assert X[:, 0].min() >= 0 and X[:, 0].max() < 100
    assert X[:, 1].min() >= 0 and X[:, 1].max() < 50
    assert len(np.unique(X[:, 0] * 50 + X[:, 1])) == len(X)  # no duplicates
    counts = np.bincount(X[:, 0], minlength=100)
    assert counts.min() >= 3
    assert not np.all(np.diff(X[:, 0]) >= 0)  # shuffled


@pytest.mark.parametrize("density", [0.05, 0.3, 0.9, 1.0])
def test_make_interactions_density(density):
    X, _ = make_interactions(n_users=80, n_items=40, density=density, random_state=1)
    assert len(X) == max(round(density * 80 * 40), 80 * 3)
    assert len(np.unique(X[:, 0] * 40 + X[:, 1])) == len(X)


def test_make_interactions_small_catalogue():
    X, _ = make_interactions(n_users=10, n_items=2, density=0.01, random_state=0)
    assert len(X) == 20  # every user has both items
    X, _ = make_interactions(n_users=7, n_items=1, random_state=0)
    np.testing.assert_array_equal(np.sort(X[:, 0]), np.arange(7))


def test_make_interactions_reproducible():
    a = make_interactions(random_state=42, return_factors=True)
    b = make_interactions(random_state=42, return_factors=True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2].ratings, b[2].ratings)
    c = make_interactions(random_state=43)
    assert not np.array_equal(a[1], c[1])


def test_make_interactions_popularity_skew():
    n_items = 100
    X, _ = make_interactions(
        n_users=300, n_items=n_items, popularity_skew=1.0, random_state=0
    )
    counts = np.sort(np.bincount(X[:, 1], minlength=n_items))[::-1]
    assert counts[:10].sum() / counts.sum() > 0.25
    X, _ = make_interactions(
        n_users=300, n_items=n_items, popularity_skew=0.0, random_state=0
    )
    counts = np.sort(np.bincount(X[:, 1], minlength=n_items))[::-1]
    assert counts[:10].sum() / counts.sum() < 0.15


def test_make_interactions_recovers_truth():
    X, y, truth = make_interactions(
        n_users=200, n_items=80, n_components=4, noise=0.1, return_factors=True,
        random_state=0,
    )  # fmt: skip
    assert truth.ratings.shape == (200, 80)
    assert truth.user_factors.shape == (200, 4)
    assert truth.item_factors.shape == (80, 4)
    assert truth.user_bias.shape == (200,) and truth.item_bias.shape == (80,)
    assert truth.global_mean == 3.5
    expected = (
        truth.global_mean
        + truth.user_bias[:, None]
        + truth.item_bias[None, :]
        + truth.user_factors @ truth.item_factors.T
    )
    np.testing.assert_allclose(truth.ratings, expected)
    true_y = truth.ratings[X[:, 0], X[:, 1]]
    assert np.corrcoef(y, true_y)[0, 1] > 0.95
    assert 0.05 < np.std(y - true_y) < 0.15
    interaction = truth.user_factors @ truth.item_factors.T
    assert 0.6 < interaction.std() < 1.0


def test_make_interactions_implicit_prefers_liked_items():
    X, y, truth = make_interactions(
        n_users=200, n_items=60, implicit=True, popularity_skew=0.0,
        return_factors=True, random_state=0,
    )  # fmt: skip
    np.testing.assert_array_equal(y, np.ones(len(X)))
    observed = np.zeros(truth.ratings.shape, dtype=bool)
    observed[X[:, 0], X[:, 1]] = True
    assert truth.ratings[observed].mean() > truth.ratings[~observed].mean() + 0.5


def test_make_interactions_large_is_blocked():
    # 3000 x 1000 with the default block size exercises several blocks
    X, _ = make_interactions(n_users=3000, n_items=1000, density=0.005, random_state=0)
    assert len(np.unique(X[:, 0] * 1000 + X[:, 1])) == len(X) == 15000


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": 0}, "n_items"),
        ({"n_users": 2.5}, "n_users"),
        ({"n_components": 0}, "n_components"),
        ({"density": 0.0}, "density"),
        ({"density": 1.5}, "density"),
        ({"noise": -0.1}, "noise"),
        ({"popularity_skew": -1.0}, "popularity_skew"),
        ({"implicit": "yes"}, "implicit"),
        ({"n_users": True}, "n_users"),
    ],
)
def test_make_interactions_bad_params(params, name):
    with pytest.raises((ValueError, TypeError), match=name):
        make_interactions(**params)


# ---------------------------------------------------------------------------
# make_sequences
# ---------------------------------------------------------------------------


def _rule_fraction(X, rule):
    same_user = X[1:, 0] == X[:-1, 0]
    prev, nxt = X[:-1, 1][same_user], X[1:, 1][same_user]
    return np.mean(rule[prev] == nxt)


def test_make_sequences_basic():
    X, rule = make_sequences(
        n_users=100, n_items=50, mean_length=20, return_rule=True, random_state=0
    )
    assert X.dtype == np.int64 and X.shape[1] == 3
    assert rule.dtype == np.int64 and rule.shape == (50,)
    np.testing.assert_array_equal(np.sort(rule), np.arange(50))  # a permutation
    assert not np.any(rule == np.arange(50))  # no self-loops
    lengths = np.bincount(X[:, 0], minlength=100)
    assert lengths.min() >= 2
    assert 14 < lengths.mean() < 26
    assert np.all(np.diff(X[:, 0]) >= 0)  # sorted by user
    assert X[:, 1].min() >= 0 and X[:, 1].max() < 50


def test_make_sequences_timestamps_increase():
    X = make_sequences(n_users=50, random_state=0)
    same_user = X[1:, 0] == X[:-1, 0]
    assert np.all(np.diff(X[:, 2])[same_user] > 0)


def test_make_sequences_deterministic_rule():
    X, rule = make_sequences(
        n_users=60, n_items=30, determinism=1.0, return_rule=True, random_state=0
    )
    assert _rule_fraction(X, rule) == 1.0


def test_make_sequences_partial_determinism():
    X, rule = make_sequences(
        n_users=300, n_items=50, determinism=0.8, popularity_skew=0.0,
        return_rule=True, random_state=0,
    )  # fmt: skip
    expected = 0.8 + 0.2 / 50  # plus the chance of a random hit
    assert abs(_rule_fraction(X, rule) - expected) < 0.02


def test_make_sequences_reproducible():
    a = make_sequences(random_state=3)
    np.testing.assert_array_equal(a, make_sequences(random_state=3))
    assert not np.array_equal(a, make_sequences(random_state=4))


def test_make_sequences_edge_cases():
    X = make_sequences(n_users=5, n_items=1, mean_length=2, random_state=0)
    assert X.shape == (10, 3)
    _, rule = make_sequences(n_items=2, return_rule=True, random_state=0)
    np.testing.assert_array_equal(rule, [1, 0])


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_users": 0}, "n_users"),
        ({"n_items": 0}, "n_items"),
        ({"mean_length": 1}, "mean_length"),
        ({"determinism": 1.2}, "determinism"),
        ({"determinism": -0.1}, "determinism"),
        ({"popularity_skew": -0.5}, "popularity_skew"),
    ],
)
def test_make_sequences_bad_params(params, name):
    with pytest.raises((ValueError, TypeError), match=name):
        make_sequences(**params)


def test_tiny_shakespeare_from_the_shared_folder(shared_data_home):
    data = fetch_tiny_shakespeare(shared_data_home, download_if_missing=False)
    assert len(data.text) == 1_115_394
    assert data.train + data.validation == data.text
    assert (len(data.train), len(data.validation)) == (1_003_854, 111_540)
    assert data.text.startswith("First Citizen:")


def test_tiny_shakespeare_missing_corrupt_and_downloaded(tmp_path, monkeypatch):
    from sklearn_attnrec.datasets import _shakespeare

    with pytest.raises(FileNotFoundError, match="shakespeare_char"):
        fetch_tiny_shakespeare(tmp_path, download_if_missing=False)

    # A download with the wrong content is refused and leaves nothing behind.
    def fake_download(content):
        def download(url, target_dir):
            path = Path(target_dir) / ".download-test"
            path.write_bytes(content)
            return path

        return download

    monkeypatch.setattr(_shakespeare, "_download", fake_download(b"not the plays"))
    with pytest.raises(OSError, match="unexpected md5"):
        fetch_tiny_shakespeare(tmp_path)
    assert list((tmp_path / "shakespeare_char").iterdir()) == []
    # A local file with the wrong content is named.
    (tmp_path / "shakespeare_char" / "input.txt").write_text("To be")
    with pytest.raises(OSError, match="does not have the md5"):
        fetch_tiny_shakespeare(tmp_path)


def test_tiny_shakespeare_download_lands_in_the_data_home(
    tmp_path, monkeypatch, shared_data_home
):
    from sklearn_attnrec.datasets import _shakespeare

    real = (shared_data_home / "shakespeare_char" / "input.txt").read_bytes()

    def download(url, target_dir):
        assert url.endswith("tinyshakespeare/input.txt")
        path = Path(target_dir) / ".download-test"
        path.write_bytes(real)
        return path

    monkeypatch.setattr(_shakespeare, "_download", download)
    data = fetch_tiny_shakespeare(tmp_path)
    assert data.path == tmp_path / "shakespeare_char" / "input.txt"
    assert data.path.read_bytes() == real
