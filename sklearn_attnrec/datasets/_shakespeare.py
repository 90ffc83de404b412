"""Loader of the tiny-Shakespeare corpus (character-level language modelling)."""

import os

from sklearn.utils import Bunch

from ._movielens import _download, _md5, get_data_home

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
    The md5 of the file is checked either way.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; see :func:`get_data_home`.
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
    FileNotFoundError
        If the file is absent and ``download_if_missing=False``.
    OSError
        If the file (found or downloaded) does not have the expected checksum.

    Examples
    --------
    >>> from sklearn_attnrec.datasets import fetch_tiny_shakespeare
    >>> data = fetch_tiny_shakespeare()  # doctest: +SKIP
    >>> len(data.train), len(data.validation)  # doctest: +SKIP
    (1003854, 111540)
    >>> print(data.text[:14])  # doctest: +SKIP
    First Citizen:
    """
    folder = get_data_home(data_home) / _FOLDER
    path = folder / _FILE
    if not path.is_file():
        if not download_if_missing:
            raise FileNotFoundError(
                f"tiny Shakespeare not found at {path}. Call fetch_tiny_shakespeare "
                f"with download_if_missing=True, or put {_URL} there (or pass "
                "data_home=... / set SKLEARN_ATTNREC_DATA to a folder that holds "
                f"{_FOLDER}/{_FILE})."
            )
        folder.mkdir(parents=True, exist_ok=True)
        downloaded = _download(_URL, folder)
        if _md5(downloaded) != _MD5:
            downloaded.unlink()
            raise OSError(f"the file downloaded from {_URL} has an unexpected md5")
        os.replace(downloaded, path)
    elif _md5(path) != _MD5:
        raise OSError(f"{path} does not have the md5 of tiny Shakespeare ({_MD5})")
    text = path.read_text(encoding="utf-8")
    cut = int(0.9 * len(text))
    return Bunch(text=text, train=text[:cut], validation=text[cut:], path=path)
