"""Fits that either finish or leave the estimator unfitted."""

import functools

__all__ = ["fit_atomically"]


def _fitted_attributes(estimator):
    # What sklearn's check_is_fitted looks for.
    return [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]


def fit_atomically(fit):
    """Decorate a ``fit`` method so that a fit that fails or is interrupted
    (an error, ``KeyboardInterrupt``) leaves the estimator as it was: unfitted,
    or with the model of its previous successful fit.

    Without it, an interrupted refit could leave the new vocabulary next to the
    old factors, and ``predict`` would answer with garbage instead of raising
    :class:`~sklearn.exceptions.NotFittedError`.

    Examples
    --------
    >>> from sklearn.base import BaseEstimator
    >>> from sklearn_attnrec.utils._fitting import fit_atomically
    >>> class Model(BaseEstimator):
    ...     @fit_atomically
    ...     def fit(self, X):
    ...         self.seen_ = X
    ...         raise KeyboardInterrupt
    >>> model = Model()
    >>> try:
    ...     model.fit([1])
    ... except KeyboardInterrupt:
    ...     pass
    >>> hasattr(model, "seen_")
    False
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        previous = {name: getattr(self, name) for name in _fitted_attributes(self)}
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            for name in _fitted_attributes(self):
                delattr(self, name)
            # A refit that fails (bad input, Ctrl-C) keeps the model that was
            # there: fit replaces its fitted attributes, it never edits them.
            for name, value in previous.items():
                setattr(self, name, value)
            raise

    return wrapper
