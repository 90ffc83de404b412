"""fetch_movielens on the releases other than 100K (no network: downloads are faked).

Small fake releases are written in ``tmp_path`` in each layout (``::``-separated
``.dat`` files with a latin-1 ``movies.dat`` as ML-1M, half-star ``.dat`` files as
ML-10M, CSV files with a header as ML-20M/25M/32M/latest-small). Downloads are
served by a fake ``urlopen`` and the loader's checksum table is set to the fake
archive, so the real download, verify, extract and install code runs. Every test
that touches disk checks that files the loader did not write are left as they
were (content and mtime) and that no temporary file is left behind.
"""

import hashlib
import io
import os
import urllib.error
import zipfile

import numpy as np
import pytest

from sklearn_attnrec.datasets import (
    ChecksumError,
    DownloadError,
    _movielens,
    fetch_movielens,
)

VARIANTS = ["100k", "1m", "10m", "20m", "25m", "32m", "latest-small"]
OLD_NS = 1_000_000_000 * 10**9  # mtime given to prepared files (2001)
TEMP_PREFIXES = (".download-", ".extract-", ".install-")

# ---------------------------------------------------------------------------
# Fake releases
# ---------------------------------------------------------------------------

# user, item, rating, timestamp; ML-1M: integer stars, the others: half stars.
RATINGS_1M = np.array(
    [[1, 1193, 5, 978300760], [1, 661, 3, 978302109], [2, 1193, 4, 978298413],
     [2, 2, 1, 978299000], [3, 661, 2, 978297039]]
)  # fmt: skip
RATINGS_HALF = np.array(
    [[1, 1, 4.0, 964982703], [1, 3, 4.5, 964981247], [2, 1, 0.5, 1445714835],
     [2, 6, 3.0, 1445715000], [3, 3, 5.0, 1306463578], [3, 6, 2.5, 1306464000]]
)  # fmt: skip

MOVIES_1M = (
    "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
    "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
    "2::Misérables, Les (1995)::Drama|Musical\n"
).encode("latin-1")
USERS_1M = b"1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n"
MOVIES_10M = (
    b"1::Toy Story (1995)::Adventure|Animation|Children|Comedy|Fantasy\n"
    b"3::Grumpier Old Men (1995)::Comedy|Romance\n"
    b"6::Heat (1995)::Action|Crime|Thriller\n"
)
MOVIES_CSV = (
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
    '3,"American President, The (1995)",Comedy|Drama|Romance\n'
    "6,Amélie (Fabuleux destin d'Amélie Poulain) (2001),Comedy|Romance\n"
    "9,Nothing Here (2015),(no genres listed)\n"
).encode()


def _fmt(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else str(value)


def _dat(rows):
    return "".join("::".join(_fmt(v) for v in row) + "\n" for row in rows).encode()


def _csv(rows):
    body = "".join(",".join(_fmt(v) for v in row) + "\n" for row in rows)
    return ("userId,movieId,rating,timestamp\n" + body).encode()


def release_files(variant):
    """``{file name: bytes}`` of a fake release, as in its archive's folder."""
    if variant == "1m":
        return {
            "ratings.dat": _dat(RATINGS_1M),
            "movies.dat": MOVIES_1M,
            "users.dat": USERS_1M,
            "README": b"fake ml-1m\n",
        }
    if variant == "10m":
        return {
            "ratings.dat": _dat(RATINGS_HALF),
            "movies.dat": MOVIES_10M,
            "tags.dat": b"1::1::funny::964982703\n",
        }
    return {
        "ratings.csv": _csv(RATINGS_HALF),
        "movies.csv": MOVIES_CSV,
        "tags.csv": b"userId,movieId,tag,timestamp\n1,1,funny,964982703\n",
        "links.csv": b"movieId,imdbId,tmdbId\n1,0114709,862\n",
    }


def needed(variant):
    return list(_movielens._VARIANTS[variant]["files"].values())


def folder_name(variant):
    return _movielens._VARIANTS[variant]["folder"]


def make_zip(variant, files=None):
    files = release_files(variant) if files is None else files
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{folder_name(variant)}/{name}", content)
    return buffer.getvalue()


def write_release(home, variant, names=None, folder=None):
    """Extract the fake release (or only ``names``) into ``home``."""
    target = home / (folder or folder_name(variant))
    target.mkdir(parents=True, exist_ok=True)
    for name, content in release_files(variant).items():
        if names is None or name in names:
            (target / name).write_bytes(content)
    return target


def trust(monkeypatch, variant, archive):
    """Make the loader's recorded checksum that of ``archive``."""
    recorded = {
        "size": len(archive),
        "sha256": hashlib.sha256(archive).hexdigest(),
        "md5": hashlib.md5(archive).hexdigest(),
    }
    monkeypatch.setitem(_movielens._VARIANTS[variant], "archive", recorded)


def snapshot(root):
    """``{relative path: (mtime_ns, bytes) or 'dir'}`` of everything under root."""
    found = {}
    for base, dirs, files in os.walk(root):
        for name in dirs:
            found[os.path.relpath(os.path.join(base, name), root)] = "dir"
        for name in files:
            path = os.path.join(base, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = (
                    os.stat(path).st_mtime_ns,
                    f.read(),
                )
    return found


def age(root):
    for base, _, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(base, name), ns=(OLD_NS, OLD_NS))


def no_temporary_files(root):
    leftovers = [
        os.path.join(base, name)
        for base, dirs, files in os.walk(root)
        for name in dirs + files
        if name.startswith(TEMP_PREFIXES)
    ]
    assert not leftovers, leftovers


class FakeNet:
    """A fake ``urllib.request.urlopen`` serving ``{url: bytes or exception}``."""

    def __init__(self, monkeypatch, served=None):
        self.served = dict(served or {})
        self.calls = []
        monkeypatch.setattr("urllib.request.urlopen", self)

    def __call__(self, url, *args, **kwargs):
        self.calls.append(url)
        served = self.served.get(url)
        if served is None:
            raise AssertionError(f"unexpected download of {url}")
        if isinstance(served, BaseException):
            raise served
        return io.BytesIO(served)


@pytest.fixture
def net(monkeypatch):
    """No network: any download fails the test unless a URL is served."""
    return FakeNet(monkeypatch)


@pytest.fixture(autouse=True)
def no_env_data_home(monkeypatch, tmp_path):
    """Never the user's real data folder, even through the default."""
    monkeypatch.setenv("SKLEARN_ATTNREC_DATA", str(tmp_path / "env-home"))


def url(variant):
    return _movielens._VARIANTS[variant]["url"]


# ---------------------------------------------------------------------------
# The table of releases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS[1:])
def test_variant_table(variant):
    spec = _movielens._VARIANTS[variant]
    assert spec["url"].startswith("https://files.grouplens.org/datasets/movielens/")
    assert spec["url"].endswith(".zip")
    archive = spec["archive"]
    digests = {k: v for k, v in archive.items() if k in ("md5", "sha256")}
    assert digests, "every release has a recorded checksum"
    for algo, value in digests.items():
        assert len(value) == {"md5": 32, "sha256": 64}[algo]
        int(value, 16)
    assert isinstance(archive["size"], int) and archive["size"] > 0
    assert spec["layout"] in ("dat", "csv")
    assert {"ratings", "movies"} <= set(spec["files"])
    descr = _movielens._load_descr(spec["descr"])
    assert "Number of ratings" in descr and "Terms of use" in descr


def test_recorded_checksums_are_the_published_ones():
    """The values copied from GroupLens' .md5 files and TFDS (see the module)."""
    table = _movielens._VARIANTS
    assert table["1m"]["archive"]["md5"] == "c4d9eecfca2ab87c1945afe126590906"
    assert table["10m"]["archive"]["md5"] == "ce571fd55effeba0271552578f2648bd"
    assert table["20m"]["archive"]["md5"] == "cd245b17a1ae2cc31bb14903e1204af3"
    assert table["25m"]["archive"]["md5"] == "6b51fb2759a8657d3bfcbfc42b592ada"
    assert table["32m"]["archive"]["md5"] == "d472be332d4daa821edc399621853b57"
    assert table["latest-small"]["archive"]["sha256"].startswith("696d65a3")


@pytest.mark.parametrize("bad", ["2m", "1M", "ml-1m", "", 1, None])
def test_unknown_variant_lists_the_variants(bad, tmp_path, net):
    with pytest.raises(ValueError, match="Unsupported MovieLens variant") as info:
        fetch_movielens(bad, data_home=tmp_path)
    for variant in VARIANTS:
        assert repr(variant) in str(info.value)
    assert not net.calls and not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "checksum", ["abc", "md5:123", "sha1:" + "0" * 40, "sha256:" + "0" * 32, 5]
)
def test_malformed_checksum(checksum, tmp_path, net):
    with pytest.raises(ValueError, match="checksum must be"):
        fetch_movielens("1m", data_home=tmp_path, checksum=checksum)


# ---------------------------------------------------------------------------
# Local files: parsing, no network, nothing touched
# ---------------------------------------------------------------------------


def test_local_1m(tmp_path, net):
    home = tmp_path / "home"
    write_release(home, "1m")
    age(home)
    before = snapshot(home)
    ml = fetch_movielens("1m", data_home=home)
    assert snapshot(home) == before and not net.calls

    np.testing.assert_array_equal(ml.data, RATINGS_1M[:, :2])
    assert ml.data.dtype == np.int64 and ml.timestamps.dtype == np.int64
    np.testing.assert_array_equal(ml.target, RATINGS_1M[:, 2].astype(float))
    np.testing.assert_array_equal(ml.timestamps, RATINGS_1M[:, 3])
    assert ml.folds is None
    assert ml.feature_names == ["user_id", "item_id"]
    assert ml.target_names == ["rating"]
    assert "MovieLens 1M" in ml.DESCR and "0.8245" in ml.DESCR

    items = ml.item_info
    assert items is ml["items"]
    assert items.item_id.tolist() == [1193, 661, 2]
    assert items.title[2] == "Misérables, Les (1995)"  # latin-1 decoded
    assert items.genre_names.tolist() == [
        "Animation", "Children's", "Drama", "Musical",
    ]  # fmt: skip
    np.testing.assert_array_equal(
        items.genres, [[0, 0, 1, 0], [1, 1, 0, 1], [0, 0, 1, 1]]
    )

    users = ml.users
    assert users.user_id.tolist() == [1, 2, 3]
    assert users.gender.tolist() == ["F", "M", "M"]
    assert users.age.tolist() == [1, 56, 25]
    assert users.occupation.tolist() == ["K-12 student", "self-employed", "scientist"]
    assert users.zip_code.tolist() == ["48067", "70072", "55117"]


@pytest.mark.parametrize("folder", ["ml-10M100K", "ml-10m"])
def test_local_10m_half_stars_and_folder_alias(folder, tmp_path, net):
    home = tmp_path / "home"
    write_release(home, "10m", folder=folder)
    ml = fetch_movielens("10m", data_home=home, download_if_missing=False)
    np.testing.assert_array_equal(ml.data, RATINGS_HALF[:, :2].astype(int))
    np.testing.assert_array_equal(ml.target, RATINGS_HALF[:, 2])
    assert ml.users is None and ml.folds is None
    assert ml.item_info.title.tolist()[0] == "Toy Story (1995)"
    assert "Children" in ml.item_info.genre_names
    assert not net.calls


@pytest.mark.parametrize("variant", ["20m", "25m", "32m", "latest-small"])
def test_local_csv_releases(variant, tmp_path, net):
    home = tmp_path / "home"
    write_release(home, variant)
    age(home)
    before = snapshot(home)
    ml = fetch_movielens(variant, data_home=home)
    assert snapshot(home) == before and not net.calls

    np.testing.assert_array_equal(ml.data, RATINGS_HALF[:, :2].astype(int))
    np.testing.assert_array_equal(ml.target, RATINGS_HALF[:, 2])
    np.testing.assert_array_equal(ml.timestamps, RATINGS_HALF[:, 3].astype(int))
    items = ml.item_info
    assert items.item_id.tolist() == [1, 3, 6, 9]
    assert items.title[1] == "American President, The (1995)"  # quoted comma
    assert items.title[2].startswith("Amélie")  # UTF-8
    assert items.genres[3].sum() == 0  # "(no genres listed)"
    assert "(no genres listed)" not in items.genre_names
    assert list(items.genre_names) == sorted(items.genre_names)
    assert ml.users is None and ml.folds is None


def test_as_frame_and_return_x_y(tmp_path, net):
    pd = pytest.importorskip("pandas")
    home = tmp_path / "home"
    write_release(home, "1m")
    write_release(home, "25m")

    ml = fetch_movielens("1m", data_home=home, as_frame=True)
    assert list(ml.frame.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert ml.frame.shape == (len(RATINGS_1M), 4)
    assert list(ml.data.columns) == ["user_id", "item_id"]
    assert isinstance(ml.target, pd.Series) and ml.target.name == "rating"
    assert ml.users.index.name == "user_id"
    assert list(ml.users.columns) == ["age", "gender", "occupation", "zip_code"]
    assert ml.item_info.index.name == "item_id"
    assert ml.item_info.loc[2, "title"] == "Misérables, Les (1995)"
    assert ml.item_info.loc[661, "Animation"] == 1

    ml = fetch_movielens("25m", data_home=home, as_frame=True)
    assert ml.users is None
    assert list(ml.item_info.columns[:1]) == ["title"]
    assert ml.item_info.loc[9].drop("title").sum() == 0

    X, y = fetch_movielens("25m", data_home=home, return_X_y=True)
    np.testing.assert_array_equal(X, RATINGS_HALF[:, :2].astype(int))
    np.testing.assert_array_equal(y, RATINGS_HALF[:, 2])


def test_missing_files_without_download(tmp_path, net):
    home = tmp_path / "home"
    write_release(home, "25m", names={"ratings.csv"})
    age(home)
    before = snapshot(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        fetch_movielens("25m", data_home=home, download_if_missing=False)
    message = str(info.value)
    assert str(home / "ml-25m") in message and "movies.csv" in message
    assert url("25m") in message and "download_if_missing=True" in message
    assert snapshot(tmp_path) == before and not net.calls

    with pytest.raises(FileNotFoundError):
        fetch_movielens("1m", data_home=tmp_path / "absent", download_if_missing=False)
    assert not (tmp_path / "absent").exists()


def test_data_home_that_is_the_release_folder(tmp_path, net):
    folder = write_release(tmp_path, "25m")
    with pytest.raises(ValueError, match="looks like the ml-25m folder"):
        fetch_movielens("25m", data_home=folder)
    assert not net.calls


# ---------------------------------------------------------------------------
# Parse errors name the file and the line
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant, name, content, pattern",
    [
        ("1m", "ratings.dat", b"1::2::5::978300760\n1::x::3::978300761\n", "line 2"),
        ("1m", "ratings.dat", b"1::2::5::978300760\n1::3::6::978300761\n", "line 2.*6"),
        ("1m", "ratings.dat", b"1::2::3.5::978300760\n", "line 1.*integer 1-5"),
        ("1m", "ratings.dat", b"1::2::5\n", "line 1.*4 '::'-separated"),
        # Extra or broken fields were read as other values (split on ':').
        ("1m", "ratings.dat", b"1::3::4::979::12::7\n", "line 1.*found 6"),
        ("1m", "ratings.dat", b"1:x:3::4::979\n", "line 1.*found 3"),
        ("1m", "ratings.dat", b"1::3::4::979:5\n", "line 1.*4 numbers"),
        ("1m", "ratings.dat", b"", "holds no ratings"),
        ("1m", "ratings.dat", b"1::2::5::9\n   \n1::3::4::9\n", "line 2 holds only"),
        ("1m", "movies.dat", b"1::Title only\n", "line 1.*3 '::'-separated"),
        ("1m", "users.dat", b"1::F::1::99::48067\n", "line 1.*occupation"),
        ("25m", "ratings.csv", b"user,item,rating,time\n1,2,3,4\n", "line 1.*header"),
        (
            "25m",
            "ratings.csv",
            b"userId,movieId,rating,timestamp\n1,2,0.7,4\n",
            "line 2",
        ),
        ("25m", "ratings.csv", b"userId,movieId,rating,timestamp\n0,2,3,4\n", "line 2"),
        ("25m", "ratings.csv", b"userId,movieId,rating,timestamp\n1,2,3\n", "line 2"),
        ("25m", "movies.csv", b"movieId,title,genres\nx,T,Drama\n", "line 2.*movie id"),
    ],
)
def test_parse_errors_name_file_and_line(
    variant, name, content, pattern, tmp_path, net
):
    home = tmp_path / "home"
    folder = write_release(home, variant)
    (folder / name).write_bytes(content)
    with pytest.raises(ValueError, match=pattern) as info:
        fetch_movielens(variant, data_home=home)
    assert name in str(info.value)
    assert not net.calls


def test_crlf_and_trailing_blank_lines(tmp_path, net):
    home = tmp_path / "home"
    folder = write_release(home, "1m")
    crlf = _dat(RATINGS_1M).replace(b"\n", b"\r\n") + b"\r\n\r\n"
    (folder / "ratings.dat").write_bytes(crlf)
    ml = fetch_movielens("1m", data_home=home)
    np.testing.assert_array_equal(ml.data, RATINGS_1M[:, :2])


# ---------------------------------------------------------------------------
# Downloads (faked)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["1m", "10m", "25m", "latest-small"])
def test_download_installs_only_the_needed_files(variant, tmp_path, monkeypatch):
    archive = make_zip(variant)
    trust(monkeypatch, variant, archive)
    net = FakeNet(monkeypatch, {url(variant): archive})
    home = tmp_path / "home"

    ml = fetch_movielens(variant, data_home=home)
    assert net.calls == [url(variant)]
    folder = home / folder_name(variant)
    assert sorted(p.name for p in folder.iterdir()) == sorted(needed(variant))
    assert sorted(p.name for p in home.iterdir()) == [folder_name(variant)]
    for name in needed(variant):
        assert (folder / name).read_bytes() == release_files(variant)[name]
    no_temporary_files(tmp_path)

    # Second call: local files only.
    again = fetch_movielens(variant, data_home=home)
    assert net.calls == [url(variant)]
    np.testing.assert_array_equal(again.data, ml.data)
    np.testing.assert_array_equal(again.target, ml.target)


def test_download_adds_missing_files_and_never_touches_the_users(tmp_path, monkeypatch):
    archive = make_zip("1m")
    trust(monkeypatch, "1m", archive)
    net = FakeNet(monkeypatch, {url("1m"): archive})
    home = tmp_path / "home"
    folder = home / "ml-1m"
    folder.mkdir(parents=True)
    mine = b"7::1193::4::978300760\n7::661::2::978300761\n"  # the user's version
    (folder / "ratings.dat").write_bytes(mine)
    (folder / "notes.txt").write_bytes(b"my notes\n")
    (home / "other.csv").write_bytes(b"a,b\n")
    age(tmp_path)
    before = snapshot(tmp_path)

    ml = fetch_movielens("1m", data_home=home)
    assert net.calls == [url("1m")]
    after = snapshot(tmp_path)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {"home/ml-1m/movies.dat", "home/ml-1m/users.dat"}
    assert (folder / "ratings.dat").read_bytes() == mine
    assert ml.data[:, 0].tolist() == [7, 7]  # the user's ratings were read
    no_temporary_files(tmp_path)


def test_download_of_the_10m_release_into_an_alias_folder(tmp_path, monkeypatch):
    archive = make_zip("10m")
    trust(monkeypatch, "10m", archive)
    net = FakeNet(monkeypatch, {url("10m"): archive})
    home = tmp_path / "home"
    write_release(home, "10m", names={"ratings.dat"}, folder="ml-10m")
    fetch_movielens("10m", data_home=home)
    assert net.calls == [url("10m")]
    assert sorted(p.name for p in (home / "ml-10m").iterdir()) == [
        "movies.dat",
        "ratings.dat",
    ]
    assert not (home / "ml-10M100K").exists()


@pytest.mark.parametrize("field", ["sha256", "md5", "size"])
def test_checksum_mismatch_changes_nothing(field, tmp_path, monkeypatch):
    archive = make_zip("25m")
    trust(monkeypatch, "25m", archive)
    recorded = dict(_movielens._VARIANTS["25m"]["archive"])
    recorded[field] = (
        recorded[field] + 1 if field == "size" else "0" * len(recorded[field])
    )
    monkeypatch.setitem(_movielens._VARIANTS["25m"], "archive", recorded)
    FakeNet(monkeypatch, {url("25m"): archive})
    home = tmp_path / "home"
    write_release(home, "25m", names={"ratings.csv"})
    age(tmp_path)
    before = snapshot(tmp_path)

    with pytest.raises(ChecksumError, match="published checksum"):
        fetch_movielens("25m", data_home=home)
    assert snapshot(tmp_path) == before
    no_temporary_files(tmp_path)


def test_download_failure_changes_nothing(tmp_path, monkeypatch):
    trust(monkeypatch, "1m", make_zip("1m"))
    FakeNet(monkeypatch, {url("1m"): urllib.error.URLError("offline")})
    home = tmp_path / "home"
    home.mkdir()
    before = snapshot(tmp_path)
    with pytest.raises(DownloadError) as info:
        fetch_movielens("1m", data_home=home)
    message = str(info.value)
    assert url("1m") in message and str(home / "ml-1m") in message
    assert "ratings.dat" in message and "users.dat" in message
    assert snapshot(tmp_path) == before
    no_temporary_files(tmp_path)


def test_not_a_zip_or_a_member_missing_changes_nothing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    before = snapshot(tmp_path)

    junk = b"<html>not found</html>"
    trust(monkeypatch, "latest-small", junk)
    FakeNet(monkeypatch, {url("latest-small"): junk})
    with pytest.raises(OSError, match="not a valid zip"):
        fetch_movielens("latest-small", data_home=home)
    assert snapshot(tmp_path) == before

    files = release_files("latest-small")
    del files["movies.csv"]
    partial = make_zip("latest-small", files)
    trust(monkeypatch, "latest-small", partial)
    FakeNet(monkeypatch, {url("latest-small"): partial})
    with pytest.raises(OSError, match="does not hold ml-latest-small/movies.csv"):
        fetch_movielens("latest-small", data_home=home)
    assert snapshot(tmp_path) == before
    no_temporary_files(tmp_path)


def test_no_recorded_checksum_refuses_to_download(tmp_path, monkeypatch):
    archive = make_zip("32m")
    monkeypatch.setitem(_movielens._VARIANTS["32m"], "archive", {})
    net = FakeNet(monkeypatch, {url("32m"): archive})
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="No published checksum") as info:
        fetch_movielens("32m", data_home=home)
    assert "checksum='md5:" in str(info.value) and ".md5" in str(info.value)
    assert not net.calls and not home.exists()

    # An explicit checksum is the way through; a wrong one is refused.
    with pytest.raises(ChecksumError):
        fetch_movielens("32m", data_home=home, checksum="md5:" + "0" * 32)
    assert not (home / "ml-32m").exists()
    digest = hashlib.sha256(archive).hexdigest()
    ml = fetch_movielens("32m", data_home=home, checksum=f"sha256:{digest.upper()}")
    assert len(ml.data) == len(RATINGS_HALF)
    no_temporary_files(tmp_path)


def test_checksum_argument_replaces_the_recorded_one(tmp_path, monkeypatch):
    """A republished archive: the recorded size and digests no longer match."""
    archive = make_zip("latest-small")
    FakeNet(monkeypatch, {url("latest-small"): archive})
    home = tmp_path / "home"
    with pytest.raises(ChecksumError):
        fetch_movielens("latest-small", data_home=home)  # the real 2018 checksum
    md5 = hashlib.md5(archive).hexdigest()
    ml = fetch_movielens("latest-small", data_home=home, checksum=f"md5:{md5}")
    assert ml.item_info.item_id.tolist() == [1, 3, 6, 9]


def test_checksum_argument_checks_the_100k_archive_too(tmp_path, monkeypatch):
    FakeNet(monkeypatch, {url("100k"): b"anything"})
    home = tmp_path / "home"
    with pytest.raises(ChecksumError, match="published checksum"):
        fetch_movielens("100k", data_home=home, checksum="md5:" + "0" * 32)
    assert not (home / "ml-100k").exists()
    no_temporary_files(tmp_path)


def test_default_data_home_comes_from_the_environment(tmp_path, monkeypatch):
    write_release(tmp_path / "env-home", "latest-small")
    FakeNet(monkeypatch)
    ml = fetch_movielens("latest-small")
    assert len(ml.data) == len(RATINGS_HALF)
