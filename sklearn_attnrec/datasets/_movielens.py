"""Loader for the MovieLens rating data sets (GroupLens Research)."""

import hashlib
import io
import logging
import os
import shutil
import tempfile
import urllib.request
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["fetch_movielens", "get_data_home"]

logger = logging.getLogger(__name__)

#: Environment variable that overrides the default data folder.
DATA_HOME_ENV = "SKLEARN_ATTNREC_DATA"
_DEFAULT_DATA_HOME = "~/sklearn_attnrec_data"

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


def get_data_home(data_home=None):
    """Return the folder where the data sets are cached, creating it if needed.

    The folder is, in order of precedence: the ``data_home`` argument; the
    ``SKLEARN_ATTNREC_DATA`` environment variable; ``~/sklearn_attnrec_data``.
    A leading ``~`` is expanded. The folder is always created when missing, so
    the returned path exists.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Explicit folder. ``None`` means use the environment variable, or the
        default folder if it is unset or empty.

    Returns
    -------
    data_home : pathlib.Path
        The (existing) data folder.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_attnrec.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or _DEFAULT_DATA_HOME
    path = Path(os.fspath(data_home)).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _md5(path, chunk_size=1 << 20):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url, target_dir):
    """Download ``url`` into a new temporary file in ``target_dir``; return its path.

    The partial file is removed if the transfer fails.
    """
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".download-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as r:
            shutil.copyfileobj(r, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return Path(tmp_name)


def _extract_and_verify(zip_path, target_dir, checksums):
    """Unzip ``zip_path`` into ``target_dir`` and check the md5 of some members.

    The archive is first extracted into a temporary folder inside ``target_dir``;
    only when every file named in ``checksums`` is present with the expected md5
    are the archive's top-level entries moved into ``target_dir`` (replacing any
    previous ones). On failure the extracted files are deleted and nothing in
    ``target_dir`` changes.

    Parameters
    ----------
    zip_path : path-like
        The archive.
    target_dir : path-like
        Existing folder into which the archive's content goes.
    checksums : mapping of str to str
        ``{relative path inside the archive ('/'-separated): md5 hex digest}``.

    Raises
    ------
    OSError
        If the archive is not a valid zip, or a file is missing from it or
        has the wrong checksum.
    """
    target_dir = Path(target_dir)
    staging = Path(tempfile.mkdtemp(dir=target_dir, prefix=".extract-"))
    try:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                # ZipFile.extractall sanitises absolute paths and "..".
                archive.extractall(staging)
        except zipfile.BadZipFile as exc:
            raise OSError(
                f"The downloaded file {zip_path} is not a valid zip archive ({exc}); "
                "try again."
            ) from exc
        problems = []
        for rel_path, expected in checksums.items():
            path = staging / rel_path
            if not path.is_file():
                problems.append(f"{rel_path}: missing from the archive")
                continue
            actual = _md5(path)
            if actual != expected.lower():
                problems.append(f"{rel_path}: md5 {actual}, expected {expected}")
        if problems:
            raise OSError(
                f"The archive {zip_path} failed verification; the extracted files "
                "were deleted. Problems: " + "; ".join(problems) + ". The download "
                "may be corrupt or the remote file may have changed; try again."
            )
        for entry in staging.iterdir():
            dest = target_dir / entry.name
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            elif dest.exists() or dest.is_symlink():
                dest.unlink()
            entry.replace(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load_descr(name):
    descr = resources.files(__package__).joinpath("descr").joinpath(name)
    return descr.read_text(encoding="utf-8")


def _read_table(path, *, dtype, delimiter=None, encoding="latin-1"):
    """Read a whole delimited text file into a 2-D array (vectorised)."""
    text = Path(path).read_text(encoding=encoding).strip("\r\n")
    return np.loadtxt(
        io.StringIO(text),
        dtype=dtype,
        delimiter=delimiter,
        comments=None,
        quotechar=None,
        ndmin=2,
        encoding=None,
    )


def _read_ratings(path):
    """``user<TAB>item<TAB>rating<TAB>timestamp`` -> int64 array (n, 4)."""
    table = np.loadtxt(path, dtype=np.int64, comments=None, ndmin=2)
    if table.shape[1] != 4:
        raise ValueError(f"{path}: expected 4 columns, found {table.shape[1]}.")
    return table


def _pair_keys(pairs, n_items_key):
    return pairs[:, 0] * n_items_key + pairs[:, 1]


def _fold_indices(folder, pairs):
    """Rows of ``pairs`` (u.data order) of the five canonical train/test splits."""
    n_items_key = int(pairs[:, 1].max()) + 1
    keys = _pair_keys(pairs, n_items_key)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    def lookup(split_path):
        split = _read_ratings(split_path)[:, :2]
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
        (lookup(folder / f"u{k}.base"), lookup(folder / f"u{k}.test"))
        for k in range(1, _N_FOLDS + 1)
    ]


def _load_100k(folder):
    ratings = _read_ratings(folder / "u.data")
    data = np.ascontiguousarray(ratings[:, :2])
    target = ratings[:, 2].astype(np.float64)
    timestamps = np.ascontiguousarray(ratings[:, 3])

    users_raw = _read_table(
        folder / "u.user", dtype=str, delimiter="|", encoding="latin-1"
    )
    users = Bunch(
        user_id=users_raw[:, 0].astype(np.int64),
        age=users_raw[:, 1].astype(np.int64),
        gender=users_raw[:, 2],
        occupation=users_raw[:, 3],
        zip_code=users_raw[:, 4],
    )

    genre_names = _read_table(
        folder / "u.genre", dtype=str, delimiter="|", encoding="latin-1"
    )[:, 0]
    items_raw = _read_table(
        folder / "u.item", dtype=str, delimiter="|", encoding="latin-1"
    )
    if items_raw.shape[1] != 5 + len(genre_names):
        raise ValueError(
            f"{folder / 'u.item'}: expected {5 + len(genre_names)} '|'-separated "
            f"fields, found {items_raw.shape[1]}."
        )
    items = Bunch(
        item_id=items_raw[:, 0].astype(np.int64),
        title=items_raw[:, 1],
        release_date=items_raw[:, 2],
        imdb_url=items_raw[:, 4],
        genres=items_raw[:, 5:].astype(np.int64),
        genre_names=genre_names,
    )
    folds = _fold_indices(folder, data)
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

    The files are read from ``data_home/ml-100k/``. When they are missing and
    ``download_if_missing=True``, the archive is downloaded from GroupLens,
    extracted there, and the md5 of every file used is checked. Parsing uses
    numpy only; pandas is needed only for ``as_frame=True``.

    Parameters
    ----------
    variant : {"100k"}, default="100k"
        Which MovieLens release to load. Only ``"100k"`` is supported.

    data_home : str or path-like, default=None
        Folder holding ``ml-100k/``. ``None`` means :func:`get_data_home`'s
        default: the ``SKLEARN_ATTNREC_DATA`` environment variable, else
        ``~/sklearn_attnrec_data``. The folder is created if missing.

    download_if_missing : bool, default=True
        If the files are absent, download them (about 5 MB) instead of raising
        ``FileNotFoundError``.

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
        If ``variant`` is not supported.
    FileNotFoundError
        If the files are absent and ``download_if_missing=False``.
    OSError
        If the downloaded files fail checksum verification (they are deleted).

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
    data_home = get_data_home(data_home)
    folder = data_home / spec["folder"]
    checksums = spec["checksums"]

    missing = [rel for rel in checksums if not (data_home / rel).is_file()]
    if missing:
        if not download_if_missing:
            raise FileNotFoundError(
                f"MovieLens {variant} not found in {folder} (missing: "
                f"{', '.join(Path(m).name for m in missing)}). Call fetch_movielens "
                f"with download_if_missing=True, or download {spec['url']} and "
                f"unzip it into {data_home} (or pass data_home=... / set "
                f"{DATA_HOME_ENV} to a folder that holds {spec['folder']}/)."
            )
        logger.info("Downloading %s to %s", spec["url"], data_home)
        archive = _download(spec["url"], data_home)
        try:
            _extract_and_verify(archive, data_home, checksums)
        finally:
            archive.unlink(missing_ok=True)

    data, target, timestamps, users, items, folds = _load_100k(folder)
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
