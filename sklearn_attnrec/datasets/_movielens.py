"""Loader for the MovieLens rating data sets (GroupLens Research)."""

import io
import logging
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from ._base import (
    DATA_HOME_ENV,
    DownloadError,
    _check_folder,
    _download,
    _download_failed,
    _extract_and_verify,
    _is_present,
    _local_mismatch_error,
    _md5_bytes,
    _resolve_data_home,
    get_data_home,
)

__all__ = ["fetch_movielens", "get_data_home"]

logger = logging.getLogger(__name__)

# Everything the loader needs to know about one MovieLens variant.  ``checksums``
# maps paths relative to the data home (as laid out by the archive) to their md5.
_VARIANTS = {
    "100k": {
        "url": "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
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


def _to_frames(bunch):
    try:
        import pandas as pd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "fetch_movielens with as_frame=True requires pandas; install it with "
            "`pip install pandas` or use as_frame=False."
        ) from exc

    data = pd.DataFrame(bunch.data, columns=bunch.feature_names)
    target = pd.Series(bunch.target, name=bunch.target_names[0])
    frame = data.assign(rating=bunch.target, timestamp=bunch.timestamps)
    u = bunch["users"]
    users = pd.DataFrame(
        {
            "age": u.age,
            "gender": u.gender.astype(object),
            "occupation": u.occupation.astype(object),
            "zip_code": u.zip_code.astype(object),
        },
        index=pd.Index(u.user_id, name="user_id"),
    )
    it = bunch["items"]
    items = pd.DataFrame(
        {
            "title": it.title.astype(object),
            "release_date": it.release_date.astype(object),
            "imdb_url": it.imdb_url.astype(object),
        },
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


def fetch_movielens(
    variant="100k",
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
):
    """Load the MovieLens explicit-feedback data set (ratings 1-5).

    MovieLens 100K holds 100,000 ratings by 943 users on 1,682 movies, with user
    demographics, movie titles and genres, and five canonical 80/20 train/test
    splits whose test sets partition the ratings.

    The files are read from ``data_home/ml-100k/`` and the md5 of every file
    used is checked on each call (about 13 MB, a few tens of milliseconds).
    When some are missing and ``download_if_missing=True``, the archive is
    downloaded from GroupLens and only the missing files are added. Parsing
    uses numpy only; pandas is needed only for ``as_frame=True``.

    The loader never deletes, moves or overwrites an existing file or folder:

    - a local file that differs from the GroupLens release (edited or damaged)
      raises ``ChecksumError`` naming it, and is left as it is. Delete it
      (and call again with ``download_if_missing=True``) to get the original
      back, or move it out of ``ml-100k/`` to keep your version;
    - a download is extracted into a temporary folder inside ``data_home`` and
      checked; only then is each missing file moved into ``ml-100k/`` (an
      atomic rename). Other files in ``ml-100k/``, yours included, are not
      touched, and a failed or corrupt download changes nothing;
    - nothing is created on disk unless a download is needed.

    Parameters
    ----------
    variant : {"100k"}, default="100k"
        Which MovieLens release to load. Only ``"100k"`` is supported.

    data_home : str or path-like, default=None
        Folder holding ``ml-100k/`` (not ``ml-100k/`` itself). ``None`` means
        :func:`get_data_home`'s default: the ``SKLEARN_ATTNREC_DATA``
        environment variable, else ``~/sklearn_attnrec_data``. The folder is
        created only when files have to be downloaded into it.

    download_if_missing : bool, default=True
        If some files are absent, download the archive (about 5 MB) and add
        them, instead of raising ``FileNotFoundError``. Files that are present
        are never replaced.

    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series, ``users``
        and ``items`` are DataFrames, and the Bunch gains a ``frame`` attribute.
        Requires pandas.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : ndarray of shape (100000, 2), dtype int64, or DataFrame
            ``[user_id, item_id]`` per rating, in ``u.data`` order; ids are those
            of the files (from 1). As a frame: columns ``user_id, item_id``.
        target : ndarray of shape (100000,), dtype float64, or Series
            The ratings, integers 1 to 5 (Series named ``rating``).
        timestamps : ndarray of shape (100000,), dtype int64
            Unix time of each rating.
        frame : DataFrame of shape (100000, 4)
            Only when ``as_frame=True``: columns ``user_id, item_id, rating,
            timestamp``.
        users : Bunch or DataFrame
            ``user_id``, ``age`` (int64 arrays), ``gender``, ``occupation``,
            ``zip_code`` (str arrays), one entry per user (943). As a frame:
            indexed by ``user_id``.
        items : Bunch or DataFrame
            ``item_id`` (int64), ``title``, ``release_date`` (e.g.
            ``"01-Jan-1995"``, ``""`` when unknown), ``imdb_url`` (str arrays),
            ``genres`` (int64 0/1 array of shape (1682, 19)) and ``genre_names``
            (the 19 names of ``u.genre``, in column order). As a frame: indexed
            by ``item_id`` with columns ``title, release_date, imdb_url``
            followed by one 0/1 column per genre, named after it.
            Because ``Bunch`` is a ``dict``, ``dataset.items`` is the dict
            method: use ``dataset["items"]`` or the alias ``dataset.item_info``
            (the same object).
        item_info : Bunch or DataFrame
            Alias of ``dataset["items"]``, usable as an attribute.
        folds : list of 5 (train_idx, test_idx) tuples of int64 ndarrays
            Sorted row indices into ``data`` of the canonical splits
            ``u1.base/u1.test`` ... ``u5.base/u5.test``. The test sets
            partition the rows; each train set is the complement of its test set.
            Usable as ``cv=`` in scikit-learn's model selection tools (with
            ``.iloc`` when ``as_frame=True``).
        feature_names : list of str
            ``["user_id", "item_id"]``.
        target_names : list of str
            ``["rating"]``.
        DESCR : str
            Description of the data set.

    (data, target) : tuple if ``return_X_y`` is True
        ``data`` and ``target`` as above (frames when ``as_frame=True``).

    Raises
    ------
    ValueError
        If ``variant`` is not supported; if ``data_home`` is an empty string or
        a file, or ``ml-100k`` (or one of its files) is not what it should be
        (a file where a folder is expected, or the reverse); if a file cannot
        be parsed (the message names the file and the line).
    ChecksumError
        If a local file does not have the md5 of the release (the message
        names it, with the expected and actual md5), or if a downloaded file
        does not (it is deleted). A subclass of both ``OSError`` and
        ``ValueError``.
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

    References
    ----------
    .. [1] F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets:
       History and Context. ACM Transactions on Interactive Intelligent Systems
       (TiiS) 5, 4, Article 19. https://doi.org/10.1145/2827872

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
    """
    if not isinstance(variant, str) or variant not in _VARIANTS:
        raise ValueError(
            f"Unsupported MovieLens variant {variant!r}; supported variants: "
            f"{sorted(_VARIANTS)}."
        )
    spec = _VARIANTS[variant]
    data_home = _resolve_data_home(data_home)  # validated, not created
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
    data, target, timestamps, users, items, folds = _load_100k(folder, contents)
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
