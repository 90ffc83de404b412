"""Feedback during ``fit``: progress bars and warnings about likely mistakes.

Estimators stay quiet by default (``verbose=0``). With ``verbose > 0`` a long
loop (epochs, ALS sweeps, blocks of similarities) shows a :mod:`tqdm` bar on
stderr; per-iteration messages go to stdout through :meth:`tqdm.tqdm.write`, so
that they do not break the bar.
"""

import warnings

import numpy as np
from tqdm import tqdm

__all__ = ["progress", "warn_if_constant_ratings"]


def progress(iterable, verbose=0, *, desc=None, total=None):
    """A progress bar over ``iterable`` when ``verbose > 0``, silent otherwise.

    Parameters
    ----------
    iterable : iterable
        What the loop runs over.
    verbose : int, default=0
        The estimator's ``verbose``; 0 (or False) shows nothing.
    desc : str, default=None
        Label of the bar.
    total : int, default=None
        Number of iterations, for iterables without ``len``.

    Returns
    -------
    bar : tqdm.tqdm
        Iterates like ``iterable``; a context manager, and ``bar.write(message)``
        prints a line without breaking the bar. When ``verbose`` is 0 it is a
        disabled bar that only passes the items through.

    Examples
    --------
    >>> from sklearn_attnrec.utils._progress import progress
    >>> with progress(range(3), verbose=0, desc="sweeps") as sweeps:
    ...     [i for i in sweeps]
    [0, 1, 2]
    """
    return tqdm(iterable, desc=desc, total=total, disable=not verbose)


def warn_if_constant_ratings(y, estimator_name):
    """Warn that a rating model cannot learn from ratings that are all equal.

    Implicit feedback (every observed pair a 1) given to an explicit rating
    model is the usual cause: the model then predicts that constant everywhere
    and ranks items arbitrarily.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The training ratings.
    estimator_name : str
        Named in the message.

    Examples
    --------
    >>> import numpy as np, pytest
    >>> from sklearn_attnrec.utils._progress import warn_if_constant_ratings
    >>> with pytest.warns(UserWarning, match="all equal"):
    ...     warn_if_constant_ratings(np.ones(4), "ItemKNNRegressor")
    """
    if len(y) > 1 and np.ptp(y) == 0:
        warnings.warn(
            f"{estimator_name} got ratings y that are all equal ({y[0]:g}): a "
            "rating model cannot learn from constant ratings. For implicit "
            "feedback (clicks, plays, purchases) use "
            "MatrixFactorization(feedback='implicit') or PopularityRecommender.",
            UserWarning,
            stacklevel=4,
        )
