"""Machinery shared by the data set loaders: data home, checksums, downloads.

The policy, common to every loader:

- a loader reads local files first and checks the md5 of every file it uses;
  a file with the wrong checksum raises :class:`ChecksumError` naming it, and
  is never overwritten (it may be the user's own edit): deleting it is the way
  to have it downloaded again;
- a download only *adds* the files that are missing: the archive is extracted
  into a temporary folder inside the data home, every file is checked, and only
  then is each missing file moved in with an atomic :func:`os.replace`. No
  existing file or folder is ever replaced, moved or deleted, and a failed or
  corrupt download changes nothing;
- nothing is created on disk unless a download is needed (then the data home
  and the data set's folder are created if missing).
"""

import errno
import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

__all__ = ["ChecksumError", "DownloadError", "get_data_home"]

logger = logging.getLogger(__name__)

#: Environment variable that overrides the default data folder.
DATA_HOME_ENV = "SKLEARN_ATTNREC_DATA"
_DEFAULT_DATA_HOME = "~/sklearn_attnrec_data"

# Exceptions of a failed transfer (http.client's are not OSErrors).
_DOWNLOAD_ERRORS = (OSError, http.client.HTTPException)


class ChecksumError(OSError, ValueError):
    """A data file does not have the md5 of the published release.

    Raised for a local file (edited or damaged: it is left as it is) and for a
    downloaded one (deleted before anything is moved into the data home). It is
    both an :class:`OSError` and a :class:`ValueError`.
    """


class DownloadError(ConnectionError):
    """A data set could not be downloaded (offline, HTTP error, broken transfer).

    The message names the URL, the folder where the files can be placed by
    hand, and the files needed.
    """


def _resolve_data_home(data_home=None):
    """The data home as a ``Path`` (``~`` expanded), validated but not created.

    Raises
    ------
    ValueError
        If ``data_home`` is an empty or blank string, or names something that
        exists but is not a folder.
    """
    source = "data_home"
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or _DEFAULT_DATA_HOME
        source = f"the {DATA_HOME_ENV} environment variable"
    if isinstance(data_home, (str, bytes)) and not data_home.strip():
        raise ValueError(
            f"{source} is an empty string; pass the folder that holds the data "
            "sets (use '.' for the working directory), or None for the default "
            f"({DATA_HOME_ENV}, else {_DEFAULT_DATA_HOME})."
        )
    try:
        path = Path(os.fsdecode(os.fspath(data_home))).expanduser()
    except TypeError as exc:
        raise TypeError(
            f"{source} must be a str or path-like folder, got {data_home!r}."
        ) from exc
    if path.exists() and not path.is_dir():
        raise ValueError(
            f"{source} {str(path)!r} exists but is not a folder; pass the folder "
            "that holds the data sets (it is created when missing)."
        )
    return path


def get_data_home(data_home=None):
    """Return the folder where the data sets are cached, creating it if needed.

    The folder is, in order of precedence: the ``data_home`` argument; the
    ``SKLEARN_ATTNREC_DATA`` environment variable; ``~/sklearn_attnrec_data``.
    A leading ``~`` is expanded. This function creates the folder when it is
    missing, so the returned path exists; the loaders themselves create it only
    when they download something.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Explicit folder. ``None`` means use the environment variable, or the
        default folder if it is unset or empty. An empty string is rejected
        rather than read as the working directory (pass ``"."`` for that).

    Returns
    -------
    data_home : pathlib.Path
        The (existing) data folder.

    Raises
    ------
    ValueError
        If ``data_home`` (or the environment variable) is a blank string, or
        names an existing file rather than a folder.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn_attnrec.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp).is_dir()
    True
    """
    path = _resolve_data_home(data_home)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _md5_bytes(content):
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def _md5(path, chunk_size=1 << 20):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_folder(path, what):
    """Raise ValueError if ``path`` exists but is not a folder."""
    if os.path.lexists(path) and not path.is_dir():
        raise ValueError(
            f"{path} should be the {what} folder, but it is a file (or a broken "
            "link); move it away or pass another data_home."
        )


def _is_present(path):
    """True if ``path`` is a readable regular file, False if nothing is there.

    Raises ValueError when something else (a folder, a broken link) is there:
    the loader would neither read it nor replace it.
    """
    if path.is_file():
        return True
    if os.path.lexists(path):
        raise ValueError(
            f"{path} exists but is not a regular file (a folder or a broken "
            "link); the loader neither reads nor replaces it. Remove or rename it "
            "to have the file downloaded again."
        )
    return False


def _local_mismatch_error(mismatched, *, release, func):
    """ChecksumError for local files ``[(path, actual, expected)]`` that differ."""
    listed = "; ".join(
        f"{path} does not have the md5 of {release} ({expected}), found {actual}"
        for path, actual, expected in mismatched
    )
    return ChecksumError(
        f"{listed}. The file was edited or damaged; {func} never overwrites an "
        "existing file. To get the original back, delete the file and call "
        f"{func} with download_if_missing=True (only missing files are "
        "downloaded); to keep your version, move it out of the data folder."
    )


def _download(url, target_dir):
    """Download ``url`` into a new temporary file in ``target_dir``; return its path.

    A failed transfer (offline, HTTP error, dropped connection, full disk)
    raises :class:`DownloadError` naming the URL and the reason, with the
    transfer's exception as its cause; the partial file is removed. An error
    creating the temporary file (a read-only ``target_dir``) propagates as is.
    """
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".download-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as r:
            shutil.copyfileobj(r, out)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, _DOWNLOAD_ERRORS):
            raise DownloadError(
                f"Could not download {url} ({type(exc).__name__}: {exc})."
            ) from exc
        raise
    return Path(tmp_name)


def _download_failed(exc, folder, names):
    """``exc`` (a DownloadError) with where to place the files by hand."""
    return DownloadError(
        f"{exc} No existing file was changed. If this machine is offline, get the "
        f"file elsewhere and place these files by hand in {folder}{os.sep}: "
        f"{', '.join(names)}; then call again."
    )


def _install(src, dest):
    """Move the verified file ``src`` to ``dest`` unless something is there.

    Uses an atomic :func:`os.replace` (through a temporary file beside ``dest``
    when the two are on different file systems). Returns True if installed.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dest):  # appeared meanwhile (another process): keep it
        return False
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".install-")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp_name)
            os.replace(tmp_name, dest)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    return True


def _extract_and_verify(zip_path, target_dir, checksums, names=None):
    """Check every file of ``checksums`` in a zip; move the missing ones in.

    The members named in ``checksums`` are extracted into a temporary folder
    inside ``target_dir`` and their md5 checked. Only when all of them are
    present and correct is each member of ``names`` (default: all of
    ``checksums``) that is absent from ``target_dir`` moved there with an atomic
    :func:`os.replace`. Nothing else is written, and no existing file or folder
    is replaced or removed; on failure the temporary folder is deleted and
    ``target_dir`` is left as it was.

    Parameters
    ----------
    zip_path : path-like
        The archive.
    target_dir : path-like
        Existing folder into which the archive's content goes.
    checksums : mapping of str to str
        ``{relative path inside the archive ('/'-separated): md5 hex digest}``.
    names : iterable of str, default=None
        The keys of ``checksums`` to install; None means all of them.

    Returns
    -------
    installed : list of str
        The relative paths moved into ``target_dir``.

    Raises
    ------
    OSError
        If the archive is not a valid zip; :class:`ChecksumError` if a file is
        missing from it or has the wrong checksum.
    """
    target_dir = Path(target_dir)
    staging = Path(tempfile.mkdtemp(dir=target_dir, prefix=".extract-"))
    try:
        problems = []
        try:
            with zipfile.ZipFile(zip_path) as archive:
                members = set(archive.namelist())
                for rel_path, expected in checksums.items():
                    if rel_path not in members:
                        problems.append(f"{rel_path}: missing from the archive")
                        continue
                    content = archive.read(rel_path)  # checks the CRC
                    actual = _md5_bytes(content)
                    if actual != expected.lower():
                        problems.append(
                            f"{rel_path}: md5 {actual}, expected {expected}"
                        )
                        continue
                    staged = staging.joinpath(*rel_path.split("/"))
                    staged.parent.mkdir(parents=True, exist_ok=True)
                    staged.write_bytes(content)
        except zipfile.BadZipFile as exc:
            raise OSError(
                f"The downloaded file {zip_path} is not a valid zip archive ({exc}); "
                "nothing was changed. Try again."
            ) from exc
        if problems:
            raise ChecksumError(
                f"The archive {zip_path} failed verification, so nothing was "
                "changed. Problems: " + "; ".join(problems) + ". The download "
                "may be corrupt or the remote file may have changed; try again."
            )
        installed = []
        for rel_path in checksums if names is None else names:
            src = staging.joinpath(*rel_path.split("/"))
            if _install(src, target_dir.joinpath(*rel_path.split("/"))):
                installed.append(rel_path)
        return installed
    finally:
        shutil.rmtree(staging, ignore_errors=True)
