"""Bad input to the data set loaders, table-driven (no network: downloads are faked).

Each case prepares (damages) a data home in ``tmp_path``, calls a loader, and
expects either an exception (type and message regex) or an outcome (a check).
Every case also checks, through ``Env.snapshot``, what the loader did on disk:
the policy is that a loader never deletes, moves or overwrites a file or folder
it did not write, only adds the missing files of its md5 table, and leaves no
temporary file behind.

The fake MovieLens and Shakespeare files are served by a fake ``urlopen``, and
the loaders' md5 tables are set to those files, so the real download, extract,
verify and install code runs.
"""

import hashlib
import http.client
import io
import os
import re
import urllib.error
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from sklearn_attnrec.datasets import (
    _movielens,
    _shakespeare,
    fetch_movielens,
    fetch_tiny_shakespeare,
    get_data_home,
)
from sklearn_attnrec.datasets._base import ChecksumError, DownloadError

ML_URL = _movielens._VARIANTS["100k"]["url"]
SH_URL = _shakespeare._URL
ENV_VAR = "SKLEARN_ATTNREC_DATA"
OLD_NS = 1_000_000_000 * 10**9  # mtime given to every prepared file (2001)
TEMP_PREFIXES = (".download-", ".extract-", ".install-")
SHAKESPEARE = b"First Citizen:\nBefore we proceed any further, hear me speak.\n" * 3

# ---------------------------------------------------------------------------
# A miniature ml-100k: 4 users, 5 items, 10 ratings, 5 folds of 2 test ratings.
# ---------------------------------------------------------------------------

RATINGS = np.array(
    [[3, 2, 4, 880000009], [1, 1, 5, 880000001], [2, 5, 1, 880000005],
     [4, 4, 3, 880000002], [1, 3, 2, 880000007], [2, 1, 4, 880000003],
     [3, 5, 5, 880000004], [4, 1, 2, 880000008], [1, 2, 3, 880000006],
     [2, 3, 4, 880000000]]
)  # fmt: skip
GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
TABLE = ["u.data", "u.item", "u.user", "u.genre"]
TABLE += [f"u{k}.{s}" for k in range(1, 6) for s in ("base", "test")]


def _rating_lines(rows):
    return "".join("\t".join(map(str, r)) + "\n" for r in rows).encode()


def _fake_files():
    files = {"u.data": _rating_lines(RATINGS)}
    items = []
    for i in range(1, 6):
        flags = ["1" if g in (i, (3 * i) % 19) else "0" for g in range(19)]
        items.append("|".join([str(i), f"Movie {i} (1995)", "01-Jan-1995", ""]))
        items[-1] += "|" + "|".join([f"http://us.imdb.com/M/{i}", *flags])
    files["u.item"] = ("\n".join(items) + "\n").encode("latin-1")
    files["u.user"] = b"1|24|M|technician|85711\n2|53|F|other|94043\n" + (
        b"3|23|M|writer|32067\n4|33|F|artist|T8H1N\n"
    )
    files["u.genre"] = "".join(f"{g}|{k}\n" for k, g in enumerate(GENRES)).encode()
    files["u.genre"] += b"\n"
    for k in range(5):
        test = np.zeros(len(RATINGS), dtype=bool)
        test[[2 * k, 2 * k + 1]] = True
        for suffix, rows in (("base", RATINGS[~test]), ("test", RATINGS[test])):
            rows = rows[np.lexsort((rows[:, 1], rows[:, 0]))]
            files[f"u{k + 1}.{suffix}"] = _rating_lines(rows)
    files["README"] = b"fake MovieLens for tests\n"
    return files


FILES = _fake_files()


def _md5(content):
    return hashlib.md5(content).hexdigest()


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr("ml-100k/" + name, content)
    return buffer.getvalue()


class _Dropping(io.BytesIO):
    """A response whose connection drops after the first chunk."""

    def read(self, *args):
        if self.tell():
            raise ConnectionResetError(104, "Connection reset by peer")
        return super().read(100)


class Env:
    """A data home in ``tmp_path``, a fake network, and what was on disk."""

    def __init__(self, tmp_path, monkeypatch):
        self.tmp = tmp_path
        self.home = tmp_path / "home"
        self.folder = self.home / "ml-100k"
        self.sh = self.home / "shakespeare_char"
        self.cwd = tmp_path / "cwd"
        self.cwd.mkdir()
        self.served = {ML_URL: _zip(FILES), SH_URL: SHAKESPEARE}
        self.calls = []
        self.monkeypatch = monkeypatch
        self.trust(FILES)
        monkeypatch.setattr(_shakespeare, "_MD5", _md5(SHAKESPEARE))
        monkeypatch.setattr("urllib.request.urlopen", self._urlopen)
        monkeypatch.delenv(ENV_VAR, raising=False)
        monkeypatch.chdir(self.cwd)
        self.before = None

    def _urlopen(self, url, *args, **kwargs):
        self.calls.append(url)
        served = self.served[url]
        if isinstance(served, BaseException):
            raise served
        return served() if callable(served) else io.BytesIO(served)

    def trust(self, files=None):
        """Make the md5 table that of ``files`` (default: those in ml-100k/)."""
        if files is None:
            files = {n: (self.folder / n).read_bytes() for n in TABLE}
        checksums = {f"ml-100k/{n}": _md5(files[n]) for n in TABLE}
        variant = _movielens._VARIANTS["100k"]
        self.monkeypatch.setitem(variant, "checksums", checksums)

    def snapshot(self):
        """``{path relative to tmp_path: (mtime_ns, bytes) or 'dir'}``."""
        found = {}
        for root, dirs, files in os.walk(self.tmp):
            for name in dirs:
                found[os.path.relpath(os.path.join(root, name), self.tmp)] = "dir"
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as f:
                    content = f.read()
                key = os.path.relpath(path, self.tmp)
                found[key] = (os.stat(path).st_mtime_ns, content)
        return found

    def freeze(self):
        """Age every file, then record the tree: a rewrite changes the mtime."""
        for root, _, files in os.walk(self.tmp):
            for name in files:
                os.utime(os.path.join(root, name), ns=(OLD_NS, OLD_NS))
        self.before = self.snapshot()

    def changes(self):
        """Relative paths added, removed or modified since ``freeze``."""
        after = self.snapshot()
        keys = set(self.before) | set(after)
        return {k for k in keys if self.before.get(k) != after.get(k)}


# ---------------------------------------------------------------------------
# Preparations (they compose: ``both(install, delete("u5.test"))``)
# ---------------------------------------------------------------------------


def install(env):
    env.folder.mkdir(parents=True)
    for name, content in FILES.items():
        (env.folder / name).write_bytes(content)


def both(*steps):
    def prepare(env):
        for step in steps:
            step(env)

    return prepare


def delete(*names):
    def prepare(env):
        for name in names:
            (env.folder / name).unlink()

    return prepare


def write(relpath, content):
    """Write ``content`` at ``home/relpath`` (a folder if ``content`` is None)."""

    def prepare(env):
        path = env.home / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        else:
            path.write_bytes(content)

    return prepare


def set_line(name, lineno, line, trust=False):
    """Replace line ``lineno`` (from 1) of ``ml-100k/name``."""

    def prepare(env):
        path = env.folder / name
        lines = path.read_bytes().split(b"\n")
        lines[lineno - 1] = line
        path.write_bytes(b"\n".join(lines))
        if trust:  # the md5 table agrees: reach the parser
            env.trust()

    return prepare


def trusted_line(name, lineno, line):
    return both(install, set_line(name, lineno, line, trust=True))


def serve(url, response):
    def prepare(env):
        env.served[url] = response

    return prepare


def setenv(value):
    def prepare(env):
        env.monkeypatch.setenv(ENV_VAR, value(env) if callable(value) else value)

    return prepare


# ---------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------


def ml(home=None, **kwargs):
    """fetch_movielens on ``env.home`` (or ``home(env)``)."""

    def call(env):
        data_home = env.home if home is None else home(env)
        return fetch_movielens(data_home=data_home, **kwargs)

    return call


def sh(home=None, **kwargs):
    def call(env):
        data_home = env.home if home is None else home(env)
        return fetch_tiny_shakespeare(data_home, **kwargs)

    return call


# ---------------------------------------------------------------------------
# Checks of the outcome (``outcome`` is the result, or the exception raised)
# ---------------------------------------------------------------------------


def loaded(env, outcome):
    assert outcome.data.shape == (10, 2)
    np.testing.assert_array_equal(outcome.target, RATINGS[:, 2])
    assert len(outcome.folds) == 5


def unchanged(*allowed):
    """Nothing on disk changed except ``allowed`` (paths relative to tmp_path)."""

    def check(env, outcome):
        assert env.changes() <= set(allowed), env.changes()

    return check


def downloads(n):
    def check(env, outcome):
        assert len(env.calls) == n, env.calls

    return check


def restored(*names):
    """``names`` were put back with the original content; nothing else changed."""

    def check(env, outcome):
        for name in names:
            assert (env.folder / name).read_bytes() == FILES[name]
        assert env.changes() == {f"home/ml-100k/{n}" for n in names}

    return check


def exists(*relpaths, expected=True):
    def check(env, outcome):
        for relpath in relpaths:
            assert (env.tmp / relpath).exists() is expected, relpath

    return check


def is_a(*types):
    def check(env, outcome):
        assert isinstance(outcome, types), type(outcome).__mro__

    return check


def no_word(word):
    def check(env, outcome):
        assert word not in str(outcome)

    return check


def only_the_table_files(env, outcome):
    assert sorted(os.listdir(env.home)) == ["ml-100k"]
    assert sorted(os.listdir(env.folder)) == sorted(TABLE)  # no README: unverified


def shakespeare_loaded(env, outcome):
    assert outcome.text == SHAKESPEARE.decode()
    assert outcome.path == env.sh / "input.txt"


@dataclass
class Case:
    id: str
    prepare: Callable[[Env], None]
    call: Callable[[Env], Any]
    raises: type | None = None
    match: str | None = None  # {home} {folder} {sh} {url}: escaped paths/URL
    checks: tuple = ()


EDITED_DATA = both(install, set_line("u.data", 1, b"3\t2\t9\t880000009"))
ML_FILE_LIST = r"u\.data, u\.item, u\.user, u\.genre, u1\.base, .*u5\.test"

CASES = [
    # -- 1. data loss: a download only adds the missing files -----------------
    Case(
        "user-files-survive-a-redownload",
        both(
            install,
            delete("u5.test"),
            write("ml-100k/my_notes.txt", b"mine"),
            write("ml-100k/mine/sub.txt", b"also mine"),
        ),
        ml(),
        checks=(loaded, downloads(1), restored("u5.test")),
    ),
    Case(
        "deleted-file-restored-others-untouched",
        both(install, delete("u.item")),
        ml(),
        checks=(loaded, downloads(1), restored("u.item")),
    ),
    Case(
        "several-deleted-files-restored",
        both(install, delete("u.data", "u1.base", "u3.test")),
        ml(),
        checks=(loaded, downloads(1), restored("u.data", "u1.base", "u3.test")),
    ),
    Case(
        "fresh-download-into-a-missing-home",
        lambda env: None,
        ml(),
        checks=(loaded, downloads(1), only_the_table_files),
    ),
    Case(
        "corrupt-download-changes-nothing",
        both(
            install,
            delete("u.data"),
            write("ml-100k/my_notes.txt", b"mine"),
            serve(ML_URL, _zip({**FILES, "u.data": FILES["u.data"] + b"1\t1\t1\t1\n"})),
        ),
        ml(),
        ChecksumError,
        r"failed verification, so nothing was changed\. Problems: "
        r"ml-100k/u\.data: md5 [0-9a-f]+, expected [0-9a-f]+",
        (unchanged(), downloads(1)),
    ),
    Case(
        "download-that-is-not-a-zip-changes-nothing",
        both(install, delete("u1.base"), serve(ML_URL, b"<html>captive portal")),
        ml(),
        OSError,
        r"not a valid zip archive.*nothing was changed",
        (unchanged(),),
    ),
    Case(
        "archive-lacking-a-file-changes-nothing",
        both(
            install,
            delete("u.genre"),
            serve(ML_URL, _zip({k: v for k, v in FILES.items() if k != "u.genre"})),
        ),
        ml(),
        ChecksumError,
        r"ml-100k/u\.genre: missing from the archive",
        (unchanged(),),
    ),
    # -- 2. local files are verified, and never overwritten --------------------
    Case(
        "edited-u.data-raises-naming-it",
        EDITED_DATA,
        ml(),
        ChecksumError,
        r"{folder}/u\.data does not have the md5 of MovieLens 100k "
        r"\([0-9a-f]+\), found [0-9a-f]+.*delete the file",
        (unchanged(), downloads(0), is_a(ValueError, OSError)),
    ),
    Case(
        "edited-u.data-raises-without-download-too",
        EDITED_DATA,
        ml(download_if_missing=False),
        ChecksumError,
        r"{folder}/u\.data does not have the md5",
        (unchanged(),),
    ),
    Case(
        "edited-file-raises-before-any-download",
        both(install, set_line("u.user", 2, b"2|53|F|other|00000"), delete("u2.test")),
        ml(),
        ChecksumError,
        r"{folder}/u\.user does not have the md5",
        (unchanged(), downloads(0)),
    ),
    Case(
        "every-edited-file-is-named",
        both(EDITED_DATA, set_line("u3.test", 1, b"1\t1\t1\t1")),
        ml(),
        ChecksumError,
        r"u\.data does not have the md5.*u3\.test does not have the md5",
        (unchanged(),),
    ),
    Case(
        "intact-files-load-without-network-or-writes",
        install,
        ml(),
        checks=(loaded, unchanged(), downloads(0)),
    ),
    # -- 3. parse errors name the file and the line ---------------------------
    Case(
        "garbage-line-in-u.data",
        trusted_line("u.data", 4, b"hello world"),
        ml(),
        ValueError,
        r"{folder}/u\.data, line 4: expected 4 whitespace-separated integers",
        (unchanged(), no_word("usecols")),
    ),
    Case(
        "rating-9-in-u.data",
        trusted_line("u.data", 3, b"2\t5\t9\t880000005"),
        ml(),
        ValueError,
        r"u\.data, line 3: rating 9 is outside 1-5",
    ),
    Case(
        "non-integer-in-u.data",
        trusted_line("u.data", 7, b"3\t5\t4.5\t880000004"),
        ml(),
        ValueError,
        r"u\.data, line 7: expected 4 integers",
    ),
    Case(
        "blank-line-inside-u.data",
        trusted_line("u.data", 5, b""),
        ml(),
        ValueError,
        r"u\.data, line 5 is empty",
    ),
    Case(
        "garbage-line-in-a-split",
        trusted_line("u2.test", 1, b"\x00\xff garbage"),
        ml(),
        ValueError,
        r"{folder}/u2\.test, line 1: expected 4",
    ),
    Case(
        "random-bytes-in-u.item",
        both(
            install,
            write("ml-100k/u.item", np.random.default_rng(0).bytes(3000)),
            lambda env: env.trust(),
        ),
        ml(),
        ValueError,
        r"{folder}/u\.item, line 1: expected 24 '\|'-separated fields \(movie id",
        (no_word("usecols"),),
    ),
    Case(
        "missing-field-in-u.item",
        trusted_line("u.item", 2, b"2|Movie 2 (1995)|01-Jan-1995"),
        ml(),
        ValueError,
        r"u\.item, line 2: expected 24 '\|'-separated fields.*found 3",
    ),
    Case(
        "bad-genre-flag-in-u.item",
        trusted_line("u.item", 3, FILES["u.item"].split(b"\n")[2][:-1] + b"7"),
        ml(),
        ValueError,
        r"u\.item, line 3: genre flag 'Western' should be an integer 0-1, found '7'",
    ),
    Case(
        "bad-age-in-u.user",
        trusted_line("u.user", 3, b"3|old|M|writer|32067"),
        ml(),
        ValueError,
        r"u\.user, line 3: age should be an integer >= 0, found 'old'",
    ),
    Case(
        "empty-u.genre",
        both(install, write("ml-100k/u.genre", b"\n"), lambda env: env.trust()),
        ml(),
        ValueError,
        r"{folder}/u\.genre is empty",
    ),
    # -- 3. paths that are not what they should be ----------------------------
    Case(
        "data_home-is-a-file",
        lambda env: env.home.write_bytes(b"not a folder"),
        ml(),
        ValueError,
        r"data_home '{home}' exists but is not a folder",
        (unchanged(), downloads(0)),
    ),
    Case(
        "data_home-is-a-file-no-download",
        lambda env: env.home.write_bytes(b"not a folder"),
        ml(download_if_missing=False),
        ValueError,
        r"data_home '{home}' exists but is not a folder",
        (unchanged(),),
    ),
    Case(
        "env-data-home-is-a-file",
        both(lambda env: env.home.write_bytes(b"x"), setenv(lambda env: str(env.home))),
        lambda env: fetch_movielens(),
        ValueError,
        r"SKLEARN_ATTNREC_DATA environment variable '{home}' exists but is not",
        (unchanged(),),
    ),
    Case(
        "ml-100k-is-a-file",
        write("ml-100k", b"a file where the folder should be"),
        ml(),
        ValueError,
        r"{folder} should be the MovieLens 100k folder, but it is a file",
        (unchanged(), downloads(0)),
    ),
    Case(
        "u.data-is-a-folder",
        both(install, delete("u.data"), write("ml-100k/u.data", None)),
        ml(),
        ValueError,
        r"{folder}/u\.data exists but is not a regular file",
        (unchanged(), downloads(0)),
    ),
    Case(
        "data_home-is-the-ml-100k-folder-itself",
        install,
        ml(home=lambda env: env.folder),
        ValueError,
        r"holds u\.data itself.*data_home='{home}'",
        (unchanged(), downloads(0)),
    ),
    # -- 3. download failures name the URL, the folder and the files ----------
    Case(
        "offline-download",
        both(
            write("my_notes.txt", b"mine"),
            serve(ML_URL, urllib.error.URLError("[Errno -3] name resolution")),
        ),
        ml(),
        DownloadError,
        r"Could not download {url} \(URLError.*name resolution.*by hand in "
        r"{folder}/: " + ML_FILE_LIST,
        (unchanged(), exists("home/ml-100k", expected=False), is_a(ConnectionError)),
    ),
    Case(
        "http-404",
        both(
            install,
            delete("u.data"),
            serve(ML_URL, urllib.error.HTTPError(ML_URL, 404, "Not Found", {}, None)),
        ),
        ml(),
        DownloadError,
        r"Could not download {url} \(HTTPError: HTTP Error 404: Not Found\)",
        (unchanged(),),
    ),
    Case(
        "garbled-http-response",
        both(install, delete("u.data"), serve(ML_URL, http.client.BadStatusLine("x"))),
        ml(),
        DownloadError,
        r"Could not download {url} \(BadStatusLine",
        (unchanged(),),
    ),
    Case(
        "connection-drops-midway",
        both(install, delete("u4.base"), serve(ML_URL, lambda: _Dropping(b"x" * 500))),
        ml(),
        DownloadError,
        r"Could not download {url} \(ConnectionResetError.*by hand in {folder}/",
        (unchanged(),),
    ),
    # -- 4. nothing is created when nothing will be downloaded ----------------
    Case(
        "no-download-mistyped-home-creates-nothing",
        lambda env: None,
        ml(home=lambda env: env.tmp / "typo" / "home", download_if_missing=False),
        FileNotFoundError,
        r"MovieLens 100k not found in .*typo.*download_if_missing=True",
        (unchanged(), exists("typo", expected=False)),
    ),
    Case(
        "no-download-lists-the-missing-files",
        both(install, delete("u.item", "u5.base")),
        ml(download_if_missing=False),
        FileNotFoundError,
        r"not found in {folder} \(missing: u\.item, u5\.base\)",
        (unchanged(), downloads(0)),
    ),
    Case(
        "get_data_home-empty-string",
        lambda env: None,
        lambda env: get_data_home(""),
        ValueError,
        r"data_home is an empty string.*'\.'",
        (unchanged(),),
    ),
    Case(
        "get_data_home-blank-string",
        lambda env: None,
        lambda env: get_data_home("  "),
        ValueError,
        r"data_home is an empty string",
        (unchanged(),),
    ),
    Case(
        "fetch-empty-string-data_home",
        lambda env: None,
        ml(home=lambda env: ""),
        ValueError,
        r"data_home is an empty string",
        (unchanged(), downloads(0)),
    ),
    Case(
        "get_data_home-a-file",
        lambda env: env.home.write_bytes(b"x"),
        lambda env: get_data_home(env.home),
        ValueError,
        r"data_home '{home}' exists but is not a folder",
        (unchanged(),),
    ),
    # -- the same policy for tiny Shakespeare ---------------------------------
    Case(
        "shakespeare-edited-file-raises",
        write("shakespeare_char/input.txt", SHAKESPEARE + b"Exeunt.\n"),
        sh(),
        ChecksumError,
        r"{sh}/input\.txt does not have the md5 of tiny Shakespeare .*found "
        r"[0-9a-f]+.*delete the file",
        (unchanged(), downloads(0)),
    ),
    Case(
        "shakespeare-user-file-survives-a-download",
        write("shakespeare_char/notes.txt", b"mine"),
        sh(),
        checks=(
            shakespeare_loaded,
            downloads(1),
            unchanged("home/shakespeare_char/input.txt"),
        ),
    ),
    Case(
        "shakespeare-corrupt-download",
        serve(SH_URL, b"not the plays"),
        sh(),
        ChecksumError,
        r"downloaded from {url} has an unexpected md5",
        (unchanged("home", "home/shakespeare_char"),),
    ),
    Case(
        "shakespeare-offline",
        both(write("mine.txt", b"mine"), serve(SH_URL, urllib.error.URLError("down"))),
        sh(),
        DownloadError,
        r"Could not download {url} .*by hand in {sh}/: input\.txt",
        (unchanged("home/shakespeare_char"),),
    ),
    Case(
        "shakespeare-data_home-is-a-file",
        lambda env: env.home.write_bytes(b"x"),
        sh(),
        ValueError,
        r"data_home '{home}' exists but is not a folder",
        (unchanged(),),
    ),
    Case(
        "shakespeare-folder-is-a-file",
        write("shakespeare_char", b"x"),
        sh(),
        ValueError,
        r"{sh} should be the tiny Shakespeare folder, but it is a file",
        (unchanged(),),
    ),
    Case(
        "shakespeare-input-is-a-folder",
        write("shakespeare_char/input.txt", None),
        sh(),
        ValueError,
        r"{sh}/input\.txt exists but is not a regular file",
        (unchanged(), downloads(0)),
    ),
    Case(
        "shakespeare-no-download-creates-nothing",
        lambda env: None,
        sh(download_if_missing=False),
        FileNotFoundError,
        r"tiny Shakespeare not found at {sh}/input\.txt",
        (unchanged(), exists("home", expected=False)),
    ),
    Case(
        "shakespeare-empty-string-data_home",
        lambda env: None,
        sh(home=lambda env: ""),
        ValueError,
        r"data_home is an empty string",
        (unchanged(),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_datasets(case, tmp_path, monkeypatch):
    env = Env(tmp_path, monkeypatch)
    case.prepare(env)
    env.freeze()
    if case.raises is None:
        outcome = case.call(env)
    else:
        names = {"home": env.home, "folder": env.folder, "sh": env.sh, "url": ""}
        names = {k: re.escape(str(v)) for k, v in names.items()}
        names["url"] = re.escape(SH_URL if "shakespeare" in case.id else ML_URL)
        with pytest.raises(case.raises, match=case.match.format(**names)) as info:
            case.call(env)
        outcome = info.value
    for check in case.checks:
        check(env, outcome)
    leftovers = [p for p in env.tmp.rglob("*") if p.name.startswith(TEMP_PREFIXES)]
    assert leftovers == []


def test_the_table_covers_every_outcome():
    """Each expected exception type, and successful loads, are in the table."""
    raised = {case.raises for case in CASES}
    assert {
        None,
        ChecksumError,
        DownloadError,
        FileNotFoundError,
        OSError,
        ValueError,
    } <= raised
    assert len({case.id for case in CASES}) == len(CASES)
