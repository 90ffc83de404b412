"""Loader of the tiny-Shakespeare corpus (character-level language modelling)."""

from sklearn.utils import Bunch

from ._base import (
    DATA_HOME_ENV,
    ChecksumError,
    DownloadError,
    _check_folder,
    _download,
    _download_failed,
    _install,
    _is_present,
    _local_mismatch_error,
    _md5_bytes,
    _resolve_data_home,
)

_FOLDER = "shakespeare_char"
_FILE = "input.txt"
_URL = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
    "tinyshakespeare/input.txt"
)
_MD5 = "6fb458f1232090904fb40fe944165e91"


def fetch_tiny_shakespeare(data_home=None, *, download_if_missing=True):
    """Load tiny Shakespeare: 1,115,394 characters of plays.

    The usual corpus of character-level language models (Karpathy's char-rnn
    and nanoGPT). Read from ``<data_home>/shakespeare_char/input.txt``; when it
    is missing and ``download_if_missing=True``, it is downloaded there once.
    The md5 of the file is checked on every call.

    The loader never overwrites or deletes an existing file: a local
    ``input.txt`` with the wrong md5 (edited or damaged) raises
    ``ChecksumError`` naming it; delete it to have it downloaded again. A
    download goes to a temporary file beside ``input.txt`` and is moved in
    (atomic rename) only once its md5 is right; other files in the folder are
    left alone. Nothing is created on disk unless a download is needed.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder, holding ``shakespeare_char/``; see :func:`get_data_home`.
        It is created only when the file has to be downloaded into it.
    download_if_missing : bool, default=True
        Download the file when it is not in ``data_home``; if False, a missing
        file raises ``FileNotFoundError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``text`` (the whole corpus), ``train`` and ``validation`` (its first
        90% and last 10%, nanoGPT's split), ``path``.

    Raises
    ------
    ValueError
        If ``data_home`` is an empty string or a file, or ``shakespeare_char``
        is a file or ``input.txt`` a folder.
    ChecksumError
        If the file (found or downloaded) does not have the expected md5; a
        local file is named and left as it is, a downloaded one is deleted. A
        subclass of both ``OSError`` and ``ValueError``.
    FileNotFoundError
        If the file is absent and ``download_if_missing=False``.
    DownloadError
        If the download fails: a ``ConnectionError`` naming the URL and the
        folder where ``input.txt`` can be placed by hand.

    Examples
    --------
    >>> from sklearn_attnrec.datasets import fetch_tiny_shakespeare
    >>> data = fetch_tiny_shakespeare()  # doctest: +SKIP
    >>> len(data.train), len(data.validation)  # doctest: +SKIP
    (1003854, 111540)
    >>> print(data.text[:14])  # doctest: +SKIP
    First Citizen:
    """
    data_home = _resolve_data_home(data_home)  # validated, not created
    folder = data_home / _FOLDER
    path = folder / _FILE
    _check_folder(folder, "tiny Shakespeare")
    if not _is_present(path):
        if not download_if_missing:
            raise FileNotFoundError(
                f"tiny Shakespeare not found at {path}. Call fetch_tiny_shakespeare "
                f"with download_if_missing=True, or put {_URL} there (or pass "
                f"data_home=... / set {DATA_HOME_ENV} to a folder that holds "
                f"{_FOLDER}/{_FILE})."
            )
        folder.mkdir(parents=True, exist_ok=True)
        try:
            downloaded = _download(_URL, folder)
        except DownloadError as exc:
            raise _download_failed(exc, folder, [_FILE]) from exc
        try:
            actual = _md5_bytes(downloaded.read_bytes())
            if actual != _MD5:
                raise ChecksumError(
                    f"The file downloaded from {_URL} has an unexpected md5 "
                    f"{actual} (expected {_MD5}); it was deleted and no other file "
                    "was touched. The download may be corrupt or the remote file may "
                    "have changed; try again."
                )
            _install(downloaded, path)
        finally:
            downloaded.unlink(missing_ok=True)
    raw = path.read_bytes()
    actual = _md5_bytes(raw)
    if actual != _MD5:
        raise _local_mismatch_error(
            [(path, actual, _MD5)],
            release="tiny Shakespeare",
            func="fetch_tiny_shakespeare",
        )
    text = raw.decode("utf-8")
    cut = int(0.9 * len(text))
    return Bunch(text=text, train=text[:cut], validation=text[cut:], path=path)
