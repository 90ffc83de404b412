"""Loader for the MovieLens rating data sets (GroupLens Research)."""

import csv
import hashlib
import io
import logging
import re
import shutil
import tempfile
import warnings
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    DATA_HOME_ENV,
    ChecksumError,
    DownloadError,
    _check_folder,
    _download,
    _download_failed,
    _extract_and_verify,
    _install,
    _is_present,
    _local_mismatch_error,
    _md5_bytes,
    _resolve_data_home,
    get_data_home,
)

__all__ = ["fetch_movielens", "get_data_home"]

logger = logging.getLogger(__name__)

_GROUPLENS = "https://files.grouplens.org/datasets/movielens/"

# Everything the loader needs to know about one MovieLens variant.
#
# 100k: ``checksums`` maps paths relative to the data home (as laid out by the
# archive) to their md5; every local file is checked on every call.
#
# The other variants: GroupLens publishes a checksum of the *archive* only
# (``<url>.md5``, next to each zip), not of the files inside, so ``archive``
# holds the archive's size in bytes and its digests, checked before anything is
# extracted; local files are read as they are. ``files`` are the files the
# loader reads (``ratings`` required; ``movies``/``users`` where the release has
# them), all inside ``folder`` (the archive's top folder). ``aliases``: other
# folder names accepted for a local copy. ``rating_step``: 1 (integer stars) or
# 0.5 (half stars).
#
# Sources of the archive checksums (none of them could be fetched from
# GroupLens here, so each is taken from public copies of the published values):
# - sha256 and size of ml-1m, ml-20m, ml-25m and ml-latest-small:
#   TensorFlow Datasets, tensorflow_datasets/url_checksums/movielens.txt
#   (github.com/tensorflow/datasets, commit 1c076ac3c19c8ea83e1d1a75e0623c9a699e0d7c).
# - md5 of ml-1m, ml-10m, ml-20m and ml-25m: GroupLens' ``<archive>.md5``
#   files, as pinned by independent projects, all agreeing (e.g.
#   PaddlePaddle's movielens loader for ml-1m, a Keras ``get_file`` recommender
#   example for all four, download scripts citing the .md5 files).
# - md5 and size of ml-32m (d472be33..., 238,950,008 bytes): GroupLens'
#   ml-32m.zip.md5 as pinned by several independent projects (pooch
#   ``known_hash`` entries and download scripts citing the .md5 file).
# - sha256 and size of ml-10m (813c411c..., 65,566,137 bytes): pinned by two
#   independent projects next to the GroupLens md5 above.
_VARIANTS = {
    "100k": {
        "url": _GROUPLENS + "ml-100k.zip",
        "folder": "ml-100k",
        "descr": "movielens_100k.rst",
        "checksums": {
            "ml-100k/u.data": "6e47046882bad158b0efbb84cd5cb987",
            "ml-100k/u.item": "c9e7f390115d79079537301d5204f3f7",
            "ml-100k/u.user": "1b53539edc13caad0282c8500608a319",
            "ml-100k/u.genre": "a7578bdb37758741ae9429d2c736af18",
            "ml-100k/u1.base": "4325f44281c9f8c119a3694662d63fc2",
            "ml-100k/u1.test": "62d5d837e7c8e36550cc956b09c2ecc8",
            "ml-100k/u2.base": "79541afecccbd5365bb2c09b123a01c7",
            "ml-100k/u2.test": "1951a71b7e1f4ed254508007fa2f6b70",
            "ml-100k/u3.base": "55c67a63f516fa9e593d68c3be779970",
            "ml-100k/u3.test": "cb3e4d0a9152041772285232ca002d4f",
            "ml-100k/u4.base": "66f64a75eeeffd20ff09533bcd31adcf",
            "ml-100k/u4.test": "328acfca94e85d01b1d7e92c7d73df3b",
            "ml-100k/u5.base": "0becb3392339231c08ba316944c79095",
            "ml-100k/u5.test": "bec898f7091dba3b7bdf793d1998d2d6",
        },
    },
    "1m": {
        "url": _GROUPLENS + "ml-1m.zip",
        "folder": "ml-1m",
        "descr": "movielens_1m.rst",
        "layout": "dat",
        "files": {
            "ratings": "ratings.dat",
            "movies": "movies.dat",
            "users": "users.dat",
        },
        "rating_step": 1,
        "archive": {
            "size": 5_917_549,
            "sha256": "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",  # noqa: E501
            "md5": "c4d9eecfca2ab87c1945afe126590906",
        },
    },
    "10m": {
        "url": _GROUPLENS + "ml-10m.zip",
        "folder": "ml-10M100K",  # the archive's folder name
        "aliases": ("ml-10m",),
        "descr": "movielens_10m.rst",
        "layout": "dat",
        "files": {"ratings": "ratings.dat", "movies": "movies.dat"},
        "rating_step": 0.5,
        "archive": {
            "size": 65_566_137,
            "sha256": "813c411ccb6122564edfe752e7f80c4dcc5aa25fa94c93622f6877a7ba252862",  # noqa: E501
            "md5": "ce571fd55effeba0271552578f2648bd",
        },
    },
    "20m": {
        "url": _GROUPLENS + "ml-20m.zip",
        "folder": "ml-20m",
        "descr": "movielens_20m.rst",
        "layout": "csv",
        "files": {"ratings": "ratings.csv", "movies": "movies.csv"},
        "rating_step": 0.5,
        "archive": {
            "size": 198_702_078,
            "sha256": "96f243c338a8665f6bcc89c53edf6ee39162a846940de6b7c8c48aeada765ff3",  # noqa: E501
            "md5": "cd245b17a1ae2cc31bb14903e1204af3",
        },
    },
    "25m": {
        "url": _GROUPLENS + "ml-25m.zip",
        "folder": "ml-25m",
        "descr": "movielens_25m.rst",
        "layout": "csv",
        "files": {"ratings": "ratings.csv", "movies": "movies.csv"},
        "rating_step": 0.5,
        "archive": {
            "size": 261_978_986,
            "sha256": "8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",  # noqa: E501
            "md5": "6b51fb2759a8657d3bfcbfc42b592ada",
        },
    },
    "32m": {
        "url": _GROUPLENS + "ml-32m.zip",
        "folder": "ml-32m",
        "descr": "movielens_32m.rst",
        "layout": "csv",
        "files": {"ratings": "ratings.csv", "movies": "movies.csv"},
        "rating_step": 0.5,
        "archive": {
            "size": 238_950_008,
            "md5": "d472be332d4daa821edc399621853b57",
        },
    },
    "latest-small": {
        "url": _GROUPLENS + "ml-latest-small.zip",
        "folder": "ml-latest-small",
        "descr": "movielens_latest_small.rst",
        "layout": "csv",
        "files": {"ratings": "ratings.csv", "movies": "movies.csv"},
        "rating_step": 0.5,
        "archive": {
            # The September 2018 release; GroupLens may regenerate "latest"
            # data sets: pass checksum=... (see fetch_movielens) if it does.
            "size": 978_202,
            "sha256": "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",  # noqa: E501
        },
    },
}
_N_FOLDS = 5
_N_GENRES = 19


def _load_descr(name):
    descr = resources.files(__package__).joinpath("descr").joinpath(name)
    return descr.read_text(encoding="utf-8")


def _short(line, width=80):
    """``repr`` of a line, shortened for an error message."""
    return repr(line if len(line) <= width else line[: width - 3] + "...")


def _lines(text):
    """Lines of ``text`` ('\\n' or '\\r\\n' ends), without trailing blank ones."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _line_error(path, lineno, problem, line):
    """ValueError naming the file and the line (from 1) and what is wrong."""
    if not line.strip():
        return ValueError(
            f"{path}, line {lineno} is empty (blank lines are allowed only at "
            "the end of the file)."
        )
    return ValueError(f"{path}, line {lineno}: {problem}: {_short(line)}.")


_RATING_FIELDS = "user id, item id, rating, timestamp"


def _rating_line_problem(line):
    """What is wrong with one line of a ratings file (None: nothing)."""
    fields = line.split()
    if not fields:
        return "empty line"
    if len(fields) != 4:
        return (
            f"expected 4 whitespace-separated integers ({_RATING_FIELDS}), found "
            f"{len(fields)} fields"
        )
    try:
        user, item, rating, timestamp = (int(field) for field in fields)
    except ValueError:
        return f"expected 4 integers ({_RATING_FIELDS})"
    if user < 1 or item < 1:
        return "user and item ids start at 1"
    if not 1 <= rating <= 5:
        return f"rating {rating} is outside 1-5"
    if timestamp < 0:
        return "negative timestamp"
    return None


def _parse_ratings(path, raw):
    """``user<TAB>item<TAB>rating<TAB>timestamp`` lines -> int64 array (n, 4).

    Vectorised; when that fails or finds a value out of range, the file is
    scanned line by line and the first bad line is named in a ValueError.
    """
    body = raw.decode("latin-1").rstrip()
    if not body:
        raise ValueError(f"{path} is empty; expected lines of {_RATING_FIELDS}.")
    n_lines = body.count("\n") + 1
    try:
        table = np.loadtxt(io.StringIO(body), dtype=np.int64, comments=None, ndmin=2)
    except ValueError:
        table = None
    if table is not None and table.shape == (n_lines, 4):
        bad = (
            (table[:, 0] < 1)
            | (table[:, 1] < 1)
            | (table[:, 2] < 1)
            | (table[:, 2] > 5)
            | (table[:, 3] < 0)
        )
        if not bad.any():
            return table
    for lineno, line in enumerate(body.split("\n"), start=1):
        line = line.rstrip("\r")
        problem = _rating_line_problem(line)
        if problem is not None:
            raise _line_error(path, lineno, problem, line)
    raise ValueError(f"{path}: could not be read as lines of {_RATING_FIELDS}.")


def _parse_fields(path, raw, *, names, ints):
    """Parse a '|'-separated latin-1 file, naming the first bad line.

    Parameters
    ----------
    path : Path
        The file, for messages.
    raw : bytes
        Its content.
    names : list of str
        One name per field (their number is the expected field count).
    ints : dict of int to (int, int or None)
        ``{column: (low, high)}``: columns holding integers in ``[low, high]``
        (``high=None``: no upper bound).

    Returns
    -------
    fields : ndarray of str, shape (n_lines, len(names))
    int_columns : dict of int to int64 ndarray
        The integer columns of ``ints``.
    """
    lines = _lines(raw.decode("latin-1"))
    if not lines:
        raise ValueError(f"{path} is empty.")
    n_fields = len(names)
    rows = []
    values = {col: [] for col in ints}
    for lineno, line in enumerate(lines, start=1):
        fields = line.split("|")
        if not line.strip():
            problem = "empty line"
        elif len(fields) != n_fields:
            problem = (
                f"expected {n_fields} '|'-separated fields "
                f"({', '.join(names[:5])}{', ...' if n_fields > 5 else ''}), "
                f"found {len(fields)}"
            )
        else:
            problem = None
            for col, (low, high) in ints.items():
                try:
                    value = int(fields[col])
                except ValueError:
                    value = None
                if value is None or value < low or (high is not None and value > high):
                    bounds = f"{low}-{high}" if high is not None else f">= {low}"
                    problem = (
                        f"{names[col]} should be an integer {bounds}, found "
                        f"{fields[col]!r}"
                    )
                    break
                values[col].append(value)
        if problem is not None:
            raise _line_error(path, lineno, problem, line)
        rows.append(fields)
    int_columns = {col: np.array(v, dtype=np.int64) for col, v in values.items()}
    return np.array(rows, dtype=str), int_columns


def _pair_keys(pairs, n_items_key):
    return pairs[:, 0] * n_items_key + pairs[:, 1]


def _fold_indices(folder, contents, pairs):
    """Rows of ``pairs`` (u.data order) of the five canonical train/test splits."""
    n_items_key = int(pairs[:, 1].max()) + 1
    keys = _pair_keys(pairs, n_items_key)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    def lookup(name):
        split_path = folder / name
        split = _parse_ratings(split_path, contents[name])[:, :2]
        split_keys = _pair_keys(split, n_items_key)
        pos = np.searchsorted(sorted_keys, split_keys)
        pos_clipped = np.minimum(pos, len(sorted_keys) - 1)
        found = (pos < len(sorted_keys)) & (sorted_keys[pos_clipped] == split_keys)
        found &= split[:, 1] < n_items_key
        if not found.all():
            raise ValueError(
                f"{split_path}: {np.count_nonzero(~found)} (user, item) pairs are "
                "not in u.data; the data folder is inconsistent."
            )
        return np.sort(order[pos_clipped]).astype(np.int64, copy=False)

    return [
        (lookup(f"u{k}.base"), lookup(f"u{k}.test")) for k in range(1, _N_FOLDS + 1)
    ]


def _load_100k(folder, contents):
    """Parse the files of ml-100k, given as ``{file name: bytes}``."""
    ratings = _parse_ratings(folder / "u.data", contents["u.data"])
    data = np.ascontiguousarray(ratings[:, :2])
    target = ratings[:, 2].astype(np.float64)
    timestamps = np.ascontiguousarray(ratings[:, 3])

    users_raw, user_ints = _parse_fields(
        folder / "u.user",
        contents["u.user"],
        names=["user id", "age", "gender", "occupation", "zip code"],
        ints={0: (1, None), 1: (0, None)},
    )
    users = Bunch(
        user_id=user_ints[0],
        age=user_ints[1],
        gender=users_raw[:, 2],
        occupation=users_raw[:, 3],
        zip_code=users_raw[:, 4],
    )

    genres_raw, _ = _parse_fields(
        folder / "u.genre",
        contents["u.genre"],
        names=["genre", "genre id"],
        ints={1: (0, None)},
    )
    genre_names = genres_raw[:, 0]
    n_genres = len(genre_names)
    item_fields = ["movie id", "title", "release date", "video release date"]
    item_fields += ["IMDb URL", *(f"genre flag {str(g)!r}" for g in genre_names)]
    items_raw, item_ints = _parse_fields(
        folder / "u.item",
        contents["u.item"],
        names=item_fields,
        ints={0: (1, None), **{5 + j: (0, 1) for j in range(n_genres)}},
    )
    items = Bunch(
        item_id=item_ints[0],
        title=items_raw[:, 1],
        release_date=items_raw[:, 2],
        imdb_url=items_raw[:, 4],
        genres=np.stack([item_ints[5 + j] for j in range(n_genres)], axis=1),
        genre_names=genre_names,
    )
    folds = _fold_indices(folder, contents, data)
    return data, target, timestamps, users, items, folds


# ---------------------------------------------------------------------------
# The other variants: ratings.dat / ratings.csv, movies, users (1M)
# ---------------------------------------------------------------------------

_CSV_HEADERS = {
    "ratings": ["userId", "movieId", "rating", "timestamp"],
    "movies": ["movieId", "title", "genres"],
}
_NO_GENRE = "(no genres listed)"
# users.dat of ML-1M: occupation codes (from the ml-1m README).
_OCCUPATIONS_1M = (
    "other", "academic/educator", "artist", "clerical/admin",
    "college/grad student", "customer service", "doctor/health care",
    "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer",
    "programmer", "retired", "sales/marketing", "scientist", "self-employed",
    "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
)  # fmt: skip
_CHECKSUM_ALGORITHMS = {"md5": 32, "sha256": 64}


def _decode(raw):
    """Text of a file: UTF-8 when it is valid UTF-8, else latin-1.

    ML-1M's movies.dat is latin-1 and later files are UTF-8; latin-1 text with
    accented letters is (almost always) invalid UTF-8, so the test tells them
    apart, and latin-1 decodes any byte.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.removeprefix("\ufeff")


def _iter_lines(path):
    """``(line number from 1, line without its end)`` of a file, read lazily."""
    with open(path, encoding="latin-1", newline="") as f:
        for lineno, line in enumerate(f, start=1):
            yield lineno, line.rstrip("\r\n")


def _rating_fields(line, layout):
    return line.split("::") if layout == "dat" else line.split(",")


def _first_bad_rating(path, layout, step, start):
    """``(line number, problem, line)`` of the first bad data line, or None."""
    sep = "'::'" if layout == "dat" else "','"
    low = 1 if step == 1 else 0.5
    for lineno, line in _iter_lines(path):
        if lineno < start or not line:
            continue
        fields = _rating_fields(line, layout)
        if len(fields) != 4:
            problem = (
                f"expected 4 {sep}-separated fields ({_RATING_FIELDS}), found "
                f"{len(fields)}"
            )
            return lineno, problem, line
        try:
            user, item, rating, timestamp = (float(field) for field in fields)
        except ValueError:
            return lineno, f"expected 4 numbers ({_RATING_FIELDS})", line
        if not all(np.isfinite([user, item, rating, timestamp])):
            return lineno, "values must be finite", line
        if user < 1 or item < 1 or user % 1 or item % 1:
            return lineno, "user and item ids are integers from 1", line
        if not low <= rating <= 5 or (rating / step) % 1:
            scale = "an integer 1-5" if step == 1 else "0.5-5 in half stars"
            return lineno, f"rating {fields[2].strip()} is not {scale}", line
        if timestamp < 0 or timestamp % 1:
            return lineno, "the timestamp is a non-negative integer", line
    return None


def _rating_line_error(path, lineno, problem, line):
    if line and not line.strip():  # empty lines are skipped, blank ones are not
        return ValueError(f"{path}, line {lineno} holds only spaces; remove it.")
    return _line_error(path, lineno, problem, line)


def _check_header(path, name, first_line):
    expected = _CSV_HEADERS[name]
    found = [field.strip() for field in first_line.removeprefix("\ufeff").split(",")]
    if found != expected:
        raise ValueError(
            f"{path}, line 1: expected the header {','.join(expected)!r}, found "
            f"{_short(first_line)}."
        )


def _read_ratings(path, layout, step):
    """``ratings.dat`` (``u::i::r::t``) or ``ratings.csv`` (with a header).

    Streams the file through numpy's parser (no pandas needed, memory about
    that of the result); a line that does not parse or holds a value out of
    range is named in a ValueError (file and line number).

    Returns
    -------
    table : float64 ndarray of shape (n_ratings, 4)
        user id, item id, rating, timestamp.
    """
    start = 1
    if layout == "csv":
        with open(path, encoding="latin-1", newline="") as f:
            first = f.readline().rstrip("\r\n")
        if not first.strip():
            raise ValueError(f"{path} is empty (or starts with an empty line).")
        _check_header(path, "ratings", first)
        start = 2
        kwargs = {"delimiter": ",", "skiprows": 1}
    else:
        kwargs = {"delimiter": ","}
    try:
        with (
            warnings.catch_warnings(),
            open(path, encoding="latin-1", newline="") as f,
        ):
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            # '::' is not a single character: numpy reads the lines with ','
            # instead, so that a line with more or fewer fields is an error
            # (splitting on ':' and keeping every other field read
            # '1::3::4::979::12' as 1, 3, 4, 979).
            lines = f if layout == "csv" else (line.replace("::", ",") for line in f)
            table = np.loadtxt(
                lines, dtype=np.float64, comments=None, ndmin=2, **kwargs
            )
    except ValueError as exc:
        bad = _first_bad_rating(path, layout, step, start)
        if bad is None:
            raise ValueError(f"{path} cannot be read as ratings: {exc}") from exc
        raise _rating_line_error(path, *bad) from exc
    if not len(table):
        raise ValueError(
            f"{path} holds no ratings; expected lines of {_RATING_FIELDS}."
        )
    if table.shape[1] != 4:  # one line only (loadtxt checks the others)
        found = _first_bad_rating(path, layout, step, start)
        if found is None:  # pragma: no cover - the scan sees what numpy saw
            raise ValueError(f"{path}: expected 4 fields ({_RATING_FIELDS}).")
        raise _rating_line_error(path, *found)
    ids, ratings, times = table[:, :2], table[:, 2], table[:, 3]
    low = 1 if step == 1 else 0.5
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(table).all(axis=1)
        bad |= (ids < 1).any(axis=1) | (ids != np.floor(ids)).any(axis=1)
        bad |= (
            (ratings < low)
            | (ratings > 5)
            | (ratings / step != np.floor(ratings / step))
        )
        bad |= (times < 0) | (times != np.floor(times))
    if bad.any():
        found = _first_bad_rating(path, layout, step, start)
        if found is None:  # pragma: no cover - the scan sees what numpy saw
            raise ValueError(f"{path}: row {np.flatnonzero(bad)[0] + 1} is invalid.")
        raise _rating_line_error(path, *found)
    return table


def _split_dat(line, n_fields):
    """Fields of a '::' line; a title may hold '::' only in ``movies.dat``."""
    fields = line.split("::")
    if n_fields == 3 and len(fields) > 3:
        fields = [fields[0], "::".join(fields[1:-1]), fields[-1]]
    return fields


def _read_movies(path, layout):
    """movies.dat (``id::title::genres``) or movies.csv (header, quoted titles).

    Returns an items Bunch: ``item_id``, ``title``, ``genres`` (0/1 flags, one
    column per genre) and ``genre_names`` (sorted). ``"(no genres listed)"``
    gives a row of zeros.
    """
    text = _decode(path.read_bytes())
    lines = _lines(text)
    if not lines or not lines[0].strip():
        raise ValueError(f"{path} is empty (or starts with an empty line).")
    names = ["movie id", "title", "genres"]
    if layout == "csv":
        _check_header(path, "movies", lines[0])
        numbered = enumerate(csv.reader(lines[1:]), start=2)
    else:
        numbered = ((n, _split_dat(line, 3)) for n, line in enumerate(lines, start=1))
    ids, titles, genre_lists = [], [], []
    for lineno, fields in numbered:
        line = lines[lineno - 1]
        if len(fields) != 3:
            sep = "','" if layout == "csv" else "'::'"
            raise _line_error(
                path,
                lineno,
                f"expected 3 {sep}-separated fields ({', '.join(names)}), found "
                f"{len(fields)}",
                line,
            )
        try:
            item = int(fields[0])
        except ValueError:
            item = 0
        if item < 1:
            problem = f"the movie id should be an integer >= 1, found {fields[0]!r}"
            raise _line_error(path, lineno, problem, line)
        ids.append(item)
        titles.append(fields[1])
        genres = fields[2].strip()
        genre_lists.append([] if genres in ("", _NO_GENRE) else genres.split("|"))
    genre_names = sorted({g for gs in genre_lists for g in gs})
    column = {g: j for j, g in enumerate(genre_names)}
    flags = np.zeros((len(ids), len(genre_names)), dtype=np.int64)
    for row, gs in enumerate(genre_lists):
        flags[row, [column[g] for g in gs]] = 1
    return Bunch(
        item_id=np.array(ids, dtype=np.int64),
        title=np.array(titles, dtype=str),
        genres=flags,
        genre_names=np.array(genre_names, dtype=str),
    )


def _read_users_1m(path):
    """users.dat of ML-1M: ``UserID::Gender::Age::Occupation::Zip-code``."""
    lines = _lines(_decode(path.read_bytes()))
    if not lines:
        raise ValueError(f"{path} is empty.")
    columns = ([], [], [], [], [])
    for lineno, line in enumerate(lines, start=1):
        fields = line.split("::")
        if len(fields) != 5:
            problem = (
                "expected 5 '::'-separated fields (user id, gender, age, "
                f"occupation, zip code), found {len(fields)}"
            )
            raise _line_error(path, lineno, problem, line)
        try:
            user, age, occupation = int(fields[0]), int(fields[2]), int(fields[3])
        except ValueError:
            user = age = occupation = -1
        if user < 1 or age < 0 or not 0 <= occupation < len(_OCCUPATIONS_1M):
            problem = (
                "user id (>= 1), age code and occupation code (0-20) should be integers"
            )
            raise _line_error(path, lineno, problem, line)
        for values, value in zip(
            columns, (user, fields[1], age, _OCCUPATIONS_1M[occupation], fields[4])
        ):
            values.append(value)
    return Bunch(
        user_id=np.array(columns[0], dtype=np.int64),
        age=np.array(columns[2], dtype=np.int64),
        gender=np.array(columns[1], dtype=str),
        occupation=np.array(columns[3], dtype=str),
        zip_code=np.array(columns[4], dtype=str),
    )


def _parse_checksum(checksum):
    """``"md5:<hex>"`` or ``"sha256:<hex>"`` -> ``{algorithm: hex}`` (or None)."""
    if checksum is None:
        return None
    match = None
    if isinstance(checksum, str):
        match = re.fullmatch(r"\s*(md5|sha256)\s*:\s*([0-9a-fA-F]+)\s*", checksum)
    if match is None or len(match[2]) != _CHECKSUM_ALGORITHMS[match[1]]:
        raise ValueError(
            "checksum must be 'md5:<32 hex digits>' or 'sha256:<64 hex digits>' "
            f"(the archive's digest, as GroupLens publishes it), got {checksum!r}."
        )
    return {match[1]: match[2].lower()}


def _verify_archive(path, url, expected, size=None):
    """Raise ChecksumError unless the file has ``size`` and every digest."""
    actual_size = path.stat().st_size
    problems = []
    if size is not None and actual_size != size:
        problems.append(f"size {actual_size:,} bytes, expected {size:,}")
    else:
        digests = {algo: hashlib.new(algo, usedforsecurity=False) for algo in expected}
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                for digest in digests.values():
                    digest.update(chunk)
        for algo, digest in digests.items():
            if digest.hexdigest() != expected[algo].lower():
                problems.append(
                    f"{algo} {digest.hexdigest()}, expected {expected[algo].lower()}"
                )
    if problems:
        raise ChecksumError(
            f"The download of {url} does not have the published checksum "
            f"({'; '.join(problems)}); it was deleted and nothing was changed. "
            "The transfer may be corrupt (try again) or GroupLens may have "
            "republished the archive: compare with the .md5 file next to it and "
            "pass checksum='md5:<that value>' to accept the new one."
        )


def _install_members(archive, url, data_home, members):
    """Extract ``{member: destination}`` from a verified zip; add what is absent.

    Members are extracted (streamed) into a temporary folder inside
    ``data_home``, then each is moved to its destination with an atomic
    rename, unless something is there already. Nothing else is written; on
    failure the temporary folder is deleted and no destination is touched.
    """
    staging = Path(tempfile.mkdtemp(dir=data_home, prefix=".extract-"))
    try:
        staged = {}
        try:
            with zipfile.ZipFile(archive) as zf:
                present = set(zf.namelist())
                absent = [m for m in members if m not in present]
                if absent:
                    raise OSError(
                        f"The archive downloaded from {url} does not hold "
                        f"{', '.join(absent)}; nothing was changed."
                    )
                for k, member in enumerate(members):
                    staged[member] = staging / f"{k}.part"
                    with zf.open(member) as src, open(staged[member], "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)  # checks the CRC
        except zipfile.BadZipFile as exc:
            raise OSError(
                f"The file downloaded from {url} is not a valid zip archive "
                f"({exc}); nothing was changed. Try again."
            ) from exc
        for member, dest in members.items():
            _install(staged[member], dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _folder_of(data_home, spec, variant):
    """The variant's folder in ``data_home``: the archive's name, else an alias."""
    folder = data_home / spec["folder"]
    _check_folder(folder, f"MovieLens {variant}")
    if not folder.is_dir():
        for alias in spec.get("aliases", ()):
            if (data_home / alias).is_dir():
                return data_home / alias
    return folder


def _fetch_archive_variant(variant, spec, data_home, download_if_missing, checksum):
    """Read (downloading the missing files first) a variant other than 100K."""
    folder = _folder_of(data_home, spec, variant)
    files = spec["files"]
    if not folder.exists() and all(
        (data_home / files[k]).is_file() for k in ("ratings", "movies")
    ):
        raise ValueError(
            f"data_home={str(data_home)!r} holds {files['ratings']} and "
            f"{files['movies']} itself: it looks like the {spec['folder']} folder. "
            f"Pass the folder that holds {spec['folder']}/ instead: "
            f"data_home={str(data_home.parent)!r}."
        )
    missing = [name for name in files.values() if not _is_present(folder / name)]
    if missing:
        if not download_if_missing:
            raise FileNotFoundError(
                f"MovieLens {variant} not found in {folder} (missing: "
                f"{', '.join(missing)}). Call fetch_movielens with "
                f"download_if_missing=True, or download {spec['url']} and unzip "
                f"it into {data_home} (or pass data_home=... / set "
                f"{DATA_HOME_ENV} to a folder that holds {spec['folder']}/)."
            )
        expected, size = checksum, None
        if expected is None:
            expected = {
                algo: spec["archive"][algo]
                for algo in _CHECKSUM_ALGORITHMS
                if algo in spec.get("archive", {})
            }
            size = spec.get("archive", {}).get("size")
        if not expected:
            raise ValueError(
                f"No published checksum is recorded for MovieLens {variant}, and "
                "fetch_movielens never installs an unverified download. Pass "
                f"checksum='md5:<value>' with the value GroupLens publishes in "
                f"{spec['url']}.md5, or download and unzip {spec['url']} into "
                f"{data_home} yourself."
            )
        data_home.mkdir(parents=True, exist_ok=True)
        logger.info(
            "Downloading %s to add %s in %s", spec["url"], ", ".join(missing), folder
        )
        try:
            archive = _download(spec["url"], data_home)
        except DownloadError as exc:
            raise _download_failed(exc, folder, list(files.values())) from exc
        try:
            _verify_archive(archive, spec["url"], expected, size)
            _install_members(
                archive,
                spec["url"],
                data_home,
                {f"{spec['folder']}/{name}": folder / name for name in missing},
            )
        finally:
            archive.unlink(missing_ok=True)

    layout = spec["layout"]
    table = _read_ratings(folder / files["ratings"], layout, spec["rating_step"])
    data = table[:, :2].astype(np.int64)
    target = np.ascontiguousarray(table[:, 2])
    timestamps = table[:, 3].astype(np.int64)
    del table
    items = _read_movies(folder / files["movies"], layout)
    users = _read_users_1m(folder / files["users"]) if "users" in files else None
    return data, target, timestamps, users, items


def _to_frames(bunch):
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "fetch_movielens with as_frame=True requires pandas; install it with "
            "`pip install pandas` or use as_frame=False."
        ) from exc

    def columns(table, skip):
        """The 1-d fields of a Bunch, str arrays as object columns."""
        return {
            name: values.astype(object) if values.dtype.kind == "U" else values
            for name, values in table.items()
            if name not in skip
        }

    data = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    target = pd.Series(bunch.target, name=bunch.target_names[0])
    frame = data.assign(rating=bunch.target, timestamp=bunch.timestamps)
    u = bunch["users"]
    users = None
    if u is not None:
        users = pd.DataFrame(
            columns(u, {"user_id"}), index=pd.Index(u.user_id, name="user_id")
        )
    it = bunch["items"]
    items = pd.DataFrame(
        columns(it, {"item_id", "genres", "genre_names"}),
        index=pd.Index(it.item_id, name="item_id"),
    )
    genres = pd.DataFrame(it.genres, columns=list(it.genre_names), index=items.index)
    items = pd.concat([items, genres], axis=1)
    bunch.update(
        frame=frame,
        data=data,
        target=target,
        users=users,
        items=items,
        item_info=items,
    )
    return bunch


def _fetch_100k(variant, spec, data_home, download_if_missing, checksum):
    """Read ml-100k (md5 of every file checked), adding the missing files."""
    folder = data_home / spec["folder"]
    checksums = spec["checksums"]
    names = [rel.split("/")[-1] for rel in checksums]
    _check_folder(folder, f"MovieLens {variant}")
    if not folder.exists() and (data_home / "u.data").is_file():
        raise ValueError(
            f"data_home={str(data_home)!r} holds u.data itself: it looks like the "
            f"{spec['folder']} folder. Pass the folder that holds {spec['folder']}/ "
            f"instead: data_home={str(data_home.parent)!r}."
        )

    # Local files first: every one that is there must be the published file.
    contents, missing, mismatched = {}, [], []
    for rel, expected in checksums.items():
        path = data_home / rel
        if not _is_present(path):
            missing.append(rel)
            continue
        raw = path.read_bytes()
        actual = _md5_bytes(raw)
        if actual != expected.lower():
            mismatched.append((path, actual, expected))
        contents[rel] = raw
    if mismatched:
        raise _local_mismatch_error(
            mismatched, release=f"MovieLens {variant}", func="fetch_movielens"
        )

    if missing:
        missing_names = [rel.split("/")[-1] for rel in missing]
        if not download_if_missing:
            raise FileNotFoundError(
                f"MovieLens {variant} not found in {folder} (missing: "
                f"{', '.join(missing_names)}). Call fetch_movielens "
                f"with download_if_missing=True, or download {spec['url']} and "
                f"unzip it into {data_home} (or pass data_home=... / set "
                f"{DATA_HOME_ENV} to a folder that holds {spec['folder']}/)."
            )
        data_home.mkdir(parents=True, exist_ok=True)
        logger.info(
            "Downloading %s to restore %s in %s",
            spec["url"],
            ", ".join(missing_names),
            folder,
        )
        try:
            archive = _download(spec["url"], data_home)
        except DownloadError as exc:
            raise _download_failed(exc, folder, names) from exc
        try:
            if checksum is not None:
                _verify_archive(archive, spec["url"], checksum)
            _extract_and_verify(archive, data_home, checksums, names=missing)
        finally:
            archive.unlink(missing_ok=True)
        for rel in missing:
            path = data_home / rel
            raw = path.read_bytes()
            actual = _md5_bytes(raw)
            if actual != checksums[rel].lower():  # replaced meanwhile by another
                raise _local_mismatch_error(
                    [(path, actual, checksums[rel])],
                    release=f"MovieLens {variant}",
                    func="fetch_movielens",
                )
            contents[rel] = raw

    contents = {rel.split("/")[-1]: raw for rel, raw in contents.items()}
    return _load_100k(folder, contents)


def fetch_movielens(
    variant="100k",
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    checksum=None,
):
    """Load a MovieLens explicit-feedback data set (GroupLens Research).

    Seven releases are available. Counts are those of the GroupLens releases
    (items: movies with at least one rating / movies listed); "download" is the
    size of the zip archive:

    ==================  =======  ===============  ==========  =====  ========
    ``variant``         users    items            ratings     scale  download
    ==================  =======  ===============  ==========  =====  ========
    ``"100k"``          943      1,682            100,000     1-5    5 MB
    ``"1m"``            6,040    3,706 / 3,883    1,000,209   1-5    6 MB
    ``"10m"``           69,878   10,677 / 10,681  10,000,054  0.5-5  66 MB
    ``"20m"``           138,493  26,744 / 27,278  20,000,263  0.5-5  199 MB
    ``"25m"``           162,541  59,047 / 62,423  25,000,095  0.5-5  262 MB
    ``"32m"``           200,948  87,585 listed    32,000,204  0.5-5  239 MB
    ``"latest-small"``  610      9,724 / 9,742    100,836     0.5-5  1 MB
    ==================  =======  ===============  ==========  =====  ========

    Every user has rated at least 20 movies; 0.5-5 ratings are in half stars.
    Protocols the literature uses on them (see each ``DESCR``):

    - **100K**: the five canonical 80/20 splits (``folds``), RMSE/MAE.
    - **1M**: time-ordered sequences, leave-one-out (last item for test, the one
      before for validation), each test item ranked against 100 sampled
      negatives: SASRec (Kang & McAuley, 2018) reports HR@10 0.8245 and
      NDCG@10 0.5905 (on sequences keeping users and items with at least 5
      ratings); NCF (He et al., 2017) ranks the held-out item among 100
      (99 sampled negatives).
    - **20M**: Mult-VAE (Liang et al., 2018) and EASE (Steck, 2019): ratings of
      4 or more kept as implicit feedback, users with at least 5 of them,
      *strong generalisation* (10,000 held-out users each for validation and
      test, 80% of each held-out user's items folded in, 20% ranked over the
      full catalogue): NDCG@100 / Recall@20 / Recall@50 of 0.426 / 0.395 /
      0.537 (Mult-VAE) and 0.420 / 0.391 / 0.521 (EASE).
    - **10M, 25M, 32M, latest-small**: no single protocol; random or temporal
      per-user splits with RMSE or full-catalogue ranking metrics are common.

    Parsing uses numpy only (files are streamed: reading 32M needs about 2 GB);
    pandas is needed only for ``as_frame=True``.

    **Where the files come from.** Local files first: the loader reads the
    release's folder in ``data_home`` as the archive lays it out, e.g.
    ``ml-100k/u.data``, ``ml-1m/ratings.dat``, ``ml-10M100K/ratings.dat``
    (``ml-10m/`` is accepted too), ``ml-25m/ratings.csv``,
    ``ml-latest-small/ratings.csv``. It needs ``ratings`` and ``movies``
    (``.dat`` for 1M and 10M, ``.csv`` otherwise) and, for 1M, ``users.dat``;
    for 100K ``u.data``, ``u.item``, ``u.user``, ``u.genre`` and the
    split files ``u1.base`` ... ``u5.test``. Only when some are missing
    (and ``download_if_missing=True``) is the archive downloaded from GroupLens
    (``https://files.grouplens.org/datasets/movielens/ml-<variant>.zip``).

    **Checksums.** For 100K the md5 of every file used is checked on each call
    (local files too). For the other releases GroupLens publishes a checksum of
    the archive only (``ml-<variant>.zip.md5``): the download's size and digests
    (md5 and/or sha256, recorded in this module with their sources) are checked
    before anything is extracted, and local files are read as they are (a
    damaged one shows up as a parse error naming the file and line). A release
    without a recorded checksum is never downloaded unverified: pass
    ``checksum=`` (there is no opt-out). All seven have one at present.

    **The loader never deletes, moves or overwrites an existing file or folder.**
    A download is verified, extracted into a temporary folder inside
    ``data_home`` and only then is each missing file moved into the release's
    folder (an atomic rename); other files there, yours included, are not
    touched, a failed or corrupt download changes nothing, and nothing is
    created on disk unless a download is needed. For 100K, a local file that
    differs from the release raises ``ChecksumError`` naming it and is left as
    it is (delete it to get the original back).

    Parameters
    ----------
    variant : {"100k", "1m", "10m", "20m", "25m", "32m", "latest-small"}, \
            default="100k"
        Which MovieLens release to load.

    data_home : str or path-like, default=None
        Folder holding the release's folder (e.g. the folder that holds
        ``ml-1m/``, not ``ml-1m/`` itself). ``None`` means
        :func:`get_data_home`'s default: the ``SKLEARN_ATTNREC_DATA``
        environment variable, else ``~/sklearn_attnrec_data``. The folder is
        created only when files have to be downloaded into it.

    download_if_missing : bool, default=True
        If some files are absent, download the archive and add them, instead
        of raising ``FileNotFoundError``. Files that are present are never
        replaced.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series, ``users``
        and ``items`` are DataFrames, and the Bunch gains a ``frame`` attribute.
        Requires pandas.

    checksum : str, default=None
        The archive's digest, ``"md5:<32 hex digits>"`` or
        ``"sha256:<64 hex digits>"``, used only when a download is needed. It
        replaces the recorded checksum (and size): use it when GroupLens has
        republished an archive (copy the value from the ``.md5`` file next to
        it). For 100K the md5 of each file is still checked as well.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (n_ratings, 2), dtype int64, or DataFrame
            ``[user_id, item_id]`` per rating, in the file's order; ids are
            those of the files (from 1; MovieLens movie ids are not
            consecutive after 100K). As a frame: columns ``user_id, item_id``.
        target : ndarray of shape (n_ratings,), dtype float64, or Series
            The ratings (Series named ``rating``).
        timestamps : ndarray of shape (n_ratings,), dtype int64
            Unix time of each rating.
        frame : DataFrame of shape (n_ratings, 4)
            Only when ``as_frame=True``: columns ``user_id, item_id, rating,
            timestamp``.
        users : Bunch, DataFrame or None
            100K and 1M only (None otherwise): ``user_id``, ``age`` (int64
            arrays), ``gender``, ``occupation``, ``zip_code`` (str arrays), one
            entry per user. For 1M, ``age`` is the lower bound of the age group
            (1: under 18, 18, 25, 35, 45, 50, 56: 56 and over). As a frame:
            indexed by ``user_id``.
        items : Bunch or DataFrame
            ``item_id`` (int64), ``title`` (str), ``genres`` (int64 0/1 array,
            one column per genre) and ``genre_names`` (the genres, in column
            order: those of ``u.genre`` for 100K, sorted otherwise; "(no genres
            listed)" gives a row of zeros). 100K adds ``release_date`` (e.g.
            ``"01-Jan-1995"``, ``""`` when unknown) and ``imdb_url``. As a
            frame: indexed by ``item_id``, the str fields as columns followed by
            one 0/1 column per genre, named after it. Because ``Bunch`` is a
            ``dict``, ``dataset.items`` is the dict method: use
            ``dataset["items"]`` or the alias ``dataset.item_info`` (the same
            object).
        item_info : Bunch or DataFrame
            Alias of ``dataset["items"]``, usable as an attribute.
        folds : list of 5 (train_idx, test_idx) tuples of int64 ndarrays, or None
            100K only (None otherwise): sorted row indices into ``data`` of the
            canonical splits ``u1.base/u1.test`` ... ``u5.base/u5.test``. The
            test sets partition the rows; each train set is the complement of
            its test set. Usable as ``cv=`` in scikit-learn's model selection
            tools (with ``.iloc`` when ``as_frame=True``).
        feature_names : list of str
            ``["user_id", "item_id"]``.
        target_names : list of str
            ``["rating"]``.
        DESCR : str
            Description of the release: counts, files, protocols, terms of use.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` and ``target`` as above (frames when ``as_frame=True``).

    Raises
    ------
    ValueError
        If ``variant`` is not one of the releases above (the message lists
        them) or ``checksum`` is malformed; if ``data_home`` is an empty string
        or a file, or the release's folder (or one of its files) is not what it
        should be (a file where a folder is expected, or the reverse); if a
        file cannot be parsed (the message names the file and the line); if a
        download is needed for a release without a recorded checksum and no
        ``checksum`` is given.
    ChecksumError
        If a local 100K file does not have the md5 of the release (the message
        names it, with the expected and actual md5), or if a download does not
        have the expected checksum (it is deleted). A subclass of both
        ``OSError`` and ``ValueError``.
    FileNotFoundError
        If files are absent and ``download_if_missing=False``.
    DownloadError
        If the download fails (offline, HTTP error): a ``ConnectionError``
        whose message names the URL, the folder and the files that can be
        placed there by hand.
    OSError
        If the downloaded file is not a valid zip archive.

    Notes
    -----
    GroupLens allows use for research but not redistribution: the files are
    downloaded from their site, never shipped with this package.

    To read a single ratings file that is not laid out as a release (e.g. a
    lone ``ratings.csv``), use :func:`load_interaction_file`.

    References
    ----------
    .. [1] F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets:
       History and Context. ACM Transactions on Interactive Intelligent Systems
       (TiiS) 5, 4, Article 19. https://doi.org/10.1145/2827872
    .. [2] Wang-Cheng Kang and Julian McAuley. 2018. Self-Attentive Sequential
       Recommendation. ICDM 2018.
    .. [3] Dawen Liang, Rahul G. Krishnan, Matthew D. Hoffman and Tony Jebara.
       2018. Variational Autoencoders for Collaborative Filtering. WWW 2018.
    .. [4] Harald Steck. 2019. Embarrassingly Shallow Autoencoders for Sparse
       Data. WWW 2019.

    Examples
    --------
    >>> from sklearn_attnrec.datasets import fetch_movielens
    >>> ml = fetch_movielens()  # doctest: +SKIP
    >>> ml.data.shape, ml.target.shape  # doctest: +SKIP
    ((100000, 2), (100000,))
    >>> ml.item_info.title[0]  # doctest: +SKIP
    'Toy Story (1995)'
    >>> train_idx, test_idx = ml.folds[0]  # doctest: +SKIP
    >>> len(train_idx), len(test_idx)  # doctest: +SKIP
    (80000, 20000)
    >>> X, y = fetch_movielens(return_X_y=True, as_frame=True)  # doctest: +SKIP
    >>> list(X.columns), y.name  # doctest: +SKIP
    (['user_id', 'item_id'], 'rating')
    >>> ml1m = fetch_movielens("1m", as_frame=True)  # doctest: +SKIP
    >>> ml1m.frame.shape  # doctest: +SKIP
    (1000209, 4)
    """
    if not isinstance(variant, str) or variant not in _VARIANTS:
        raise ValueError(
            f"Unsupported MovieLens variant {variant!r}; supported variants: "
            f"{', '.join(repr(v) for v in _VARIANTS)}."
        )
    spec = _VARIANTS[variant]
    checksum = _parse_checksum(checksum)
    data_home = _resolve_data_home(data_home)  # validated, not created
    if "checksums" in spec:
        data, target, timestamps, users, items, folds = _fetch_100k(
            variant, spec, data_home, download_if_missing, checksum
        )
    else:
        data, target, timestamps, users, items = _fetch_archive_variant(
            variant, spec, data_home, download_if_missing, checksum
        )
        folds = None
    bunch = Bunch(
        data=data,
        target=target,
        timestamps=timestamps,
        users=users,
        items=items,
        item_info=items,
        folds=folds,
        feature_names=["user_id", "item_id"],
        target_names=["rating"],
        DESCR=_load_descr(spec["descr"]),
    )
    if as_frame:
        bunch = _to_frames(bunch)
    if return_X_y:
        return bunch.data, bunch.target
    return bunch
