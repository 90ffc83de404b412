"""Mapping raw user/item ids (ints, strings, ...) to contiguous indices."""

import numpy as np

UNKNOWN = -1


def fit_vocabulary(ids, *, name="ids"):
    """Return the sorted unique ids and the index of each input id.

    Parameters
    ----------
    ids : ndarray of shape (n,)
        Raw ids of one kind (all numbers or all strings).
    name : str, default="ids"
        What the ids are ("user ids", "item ids"), for error messages.

    Returns
    -------
    vocabulary : ndarray of shape (n_unique,)
        Sorted unique ids; ``vocabulary[index]`` gives back the raw id.
    index : ndarray of shape (n,), dtype int64
        Position of each id in ``vocabulary``.

    Examples
    --------
    >>> import numpy as np
    >>> vocab, index = fit_vocabulary(np.array(["b", "a", "b"]))
    >>> vocab.tolist(), index.tolist()
    (['a', 'b'], [1, 0, 1])
    """
    ids = np.asarray(ids)
    # None would otherwise surface as a "mix types" error (or, alone, as an id
    # of its own), and NaN as one id shared by every row that lacks one.
    missing = missing_ids(ids)
    if missing.any():
        raise ValueError(
            f"{name} contain missing values (None or NaN), e.g. at rows "
            f"{np.flatnonzero(missing)[:5].tolist()}; drop or fill them first"
        )
    if (
        ids.dtype.kind in "iu"
        and len(ids)
        and 0 <= ids.min()
        and ids.max() < 4 * len(ids)
    ):
        # Dense non-negative integer ids: a presence table is O(n), not a sort.
        present = np.zeros(int(ids.max()) + 1, dtype=bool)
        present[ids] = True
        vocabulary = np.flatnonzero(present).astype(ids.dtype)
        position = np.cumsum(present) - 1
        return vocabulary, position[ids].astype(np.int64)
    try:
        vocabulary, index = np.unique(ids, return_inverse=True)
    except TypeError as exc:
        raise ValueError(
            f"{name} mix types that cannot be compared (for example int and str); "
            "convert them to a single type first"
        ) from exc
    return vocabulary, index.astype(np.int64, copy=False).ravel()


def missing_ids(ids):
    """Boolean mask of the missing ids (None or NaN) of a 1-D array."""
    ids = np.asarray(ids)
    if ids.dtype == object and len(ids):
        return np.equal(ids, None) | np.not_equal(ids, ids).astype(bool)
    if ids.dtype.kind == "f":
        return np.isnan(ids)
    return np.zeros(len(ids), dtype=bool)


def encode_ids(ids, vocabulary):
    """Positions of ``ids`` in a fitted ``vocabulary``; ``-1`` for unknown ids.

    Parameters
    ----------
    ids : ndarray of shape (n,)
        Raw ids to look up.
    vocabulary : ndarray of shape (n_unique,)
        Sorted unique ids returned by :func:`fit_vocabulary`.

    Returns
    -------
    index : ndarray of shape (n,), dtype int64
        ``vocabulary[index[j]] == ids[j]``, or ``-1`` where ``ids[j]`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> encode_ids(np.array([30, 10, 99]), np.array([10, 20, 30])).tolist()
    [2, 0, -1]
    """
    ids = np.asarray(ids)
    if len(vocabulary) == 0 or len(ids) == 0:
        return np.full(len(ids), UNKNOWN, dtype=np.int64)
    try:
        position = np.searchsorted(vocabulary, ids)
        position = np.minimum(position, len(vocabulary) - 1)
        found = np.asarray(vocabulary[position] == ids, dtype=bool)
    except TypeError:
        # Ids of another type than the vocabulary's (e.g. str against int): compare
        # one by one, so the ids that do match are still found.
        lookup = {value: i for i, value in enumerate(vocabulary.tolist())}
        return np.array([lookup.get(v, UNKNOWN) for v in ids.tolist()], np.int64)
    return np.where(found, position, UNKNOWN).astype(np.int64, copy=False)
