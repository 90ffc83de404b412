"""Reading interaction data: ``X`` of shape (n, >=2) holding ``[user, item, ...]``."""

import numbers

import numpy as np
import scipy.sparse as sp

from ._vocabulary import UNKNOWN


def as_interaction_array(X):
    """``X`` as a 2-D ndarray of shape (n_samples, >=2), ids keeping their types.

    Lists become object arrays: ``np.asarray([[1, "a"]])`` would silently turn the
    user id 1 into the string "1". Sparse matrices are densified.

    Examples
    --------
    >>> as_interaction_array([[1, "a"], [2, "b"]])[:, 0].tolist()
    [1, 2]
    """
    if sp.issparse(X):
        X = X.toarray()
    elif hasattr(X, "iloc"):
        X = X.to_numpy()
    elif not isinstance(X, np.ndarray):
        X = np.asarray(X, dtype=object)
    if X.ndim != 2 or X.shape[1] < 2:
        raise ValueError(
            "X must have shape (n_samples, >=2) with user ids in the first column "
            f"and item ids in the second; got shape {X.shape}"
        )
    return X


def select_columns(X, columns, owner="columns"):
    """The columns ``columns`` of ``X``, in that order (``X`` itself if None).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_columns)
    columns : sequence of str or int, or None
        Column names of a DataFrame, or positions (for any ``X``); a name is
        looked up first.
    owner : str
        How to name the parameter in error messages.

    Returns
    -------
    X_selected : DataFrame or ndarray of shape (n_samples, len(columns))

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"rating": [4], "movieId": [7], "userId": [1]})
    >>> select_columns(frame, ["userId", "movieId"]).columns.tolist()
    ['userId', 'movieId']
    """
    if columns is None:
        return X
    if isinstance(columns, (str, bytes)) or not hasattr(columns, "__len__"):
        raise ValueError(
            f"{owner} must be a sequence of column names or positions, e.g. "
            f"['userId', 'movieId']; got {columns!r}"
        )
    columns = list(columns)
    if len(columns) < 2 or len(set(map(repr, columns))) < len(columns):
        raise ValueError(
            f"{owner} must name at least the user and the item columns, each once; "
            f"got {columns!r}"
        )
    if hasattr(X, "iloc"):
        positions = []
        for column in columns:
            if column in X.columns:
                positions.append(X.columns.get_loc(column))
            elif isinstance(column, numbers.Integral) and not isinstance(column, bool):
                positions.append(_position(column, X.shape[1], owner))
            else:
                raise ValueError(
                    f"{owner}: X has no column {column!r}; its columns are "
                    f"{X.columns.tolist()}"
                )
        return X.iloc[:, positions]
    if not all(
        isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in columns
    ):
        raise ValueError(
            f"{owner}={columns!r} names columns, which needs a pandas DataFrame; X "
            f"is a {type(X).__name__}: pass positions or a DataFrame"
        )
    X = as_interaction_array(X)
    return X[:, [_position(c, X.shape[1], owner) for c in columns]]


def _position(position, n_columns, owner):
    if not -n_columns <= position < n_columns:
        raise ValueError(
            f"{owner}: column position {position} is out of range for X with "
            f"{n_columns} columns"
        )
    return position


def interaction_columns(X):
    """Return the user and item id columns of interaction data.

    The first column holds user ids and the second item ids, by position, for numpy
    arrays, lists of rows and pandas DataFrames alike.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_columns >= 2)
        Interactions.

    Returns
    -------
    users, items : ndarray of shape (n_samples,)

    Examples
    --------
    >>> users, items = interaction_columns([[1, "a"], [2, "b"]])
    >>> users.tolist(), items.tolist()
    ([1, 2], ['a', 'b'])
    """
    if hasattr(X, "iloc") and X.ndim == 2 and X.shape[1] >= 2:
        # Column by column keeps each column's dtype (no common object array).
        return X.iloc[:, 0].to_numpy(), X.iloc[:, 1].to_numpy()
    X = as_interaction_array(X)
    return X[:, 0], X[:, 1]


def interaction_matrix(user_index, item_index, values, shape):
    """CSR matrix of shape ``(n_users, n_items)``; duplicate pairs are averaged.

    Parameters
    ----------
    user_index, item_index : ndarray of shape (n,)
        Encoded (contiguous) user and item indices.
    values : ndarray of shape (n,)
        Ratings or weights.
    shape : tuple of int
        ``(n_users, n_items)``.

    Returns
    -------
    csr_matrix
        Rows are users, columns items; explicit zeros are kept so that an observed
        rating of 0 still marks the pair as seen.

    Examples
    --------
    >>> import numpy as np
    >>> m = interaction_matrix(np.array([0, 0, 1]), np.array([1, 1, 0]),
    ...                        np.array([2.0, 4.0, 5.0]), (2, 2))
    >>> m.toarray().tolist()
    [[0.0, 3.0], [5.0, 0.0]]
    """
    values = np.asarray(values, dtype=np.float64)
    totals = sp.csr_matrix((values, (user_index, item_index)), shape=shape)
    totals.sum_duplicates()
    if totals.nnz < len(values):
        counts = sp.csr_matrix(
            (np.ones_like(values), (user_index, item_index)), shape=shape
        )
        counts.sum_duplicates()
        # Same sparsity pattern after summing duplicates, so the data arrays align.
        totals.data /= counts.data
    return totals


def mask_seen(scores, user_index, user_items):
    """Set ``scores`` of the items each user saw in training to ``-inf``, in place.

    Parameters
    ----------
    scores : ndarray of shape (n_users, n_items)
        Ranking scores, one row per entry of ``user_index``.
    user_index : ndarray of shape (n_users,)
        Encoded users; ``-1`` (unknown user) has seen nothing.
    user_items : csr_matrix of shape (n_known_users, n_items)
        Training interactions, rows are users.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> scores = np.zeros((2, 3))
    >>> mask_seen(scores, np.array([0, -1]), sp.csr_matrix([[0, 1, 0]]))
    >>> scores
    array([[  0., -inf,   0.],
           [  0.,   0.,   0.]])
    """
    known = np.flatnonzero(user_index != UNKNOWN)
    seen = user_items[user_index[known]]
    rows = np.repeat(known, np.diff(seen.indptr))
    scores[rows, seen.indices] = -np.inf
