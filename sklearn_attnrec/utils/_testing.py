"""Instances of every public estimator for the package's own conformance tests."""

from ._discovery import all_estimators


def fast_params(cls):
    """The tiny configuration a slow estimator declares for the package's own
    tests (its ``_test_params`` class attribute), or ``{}``."""
    return dict(getattr(cls, "_test_params", {}))


def estimator_instances(base=None):
    """One instance of every public estimator (a subclass of ``base`` if given).

    Returns
    -------
    instances : list of estimators
        Built with each estimator's own fast test parameters
        (``_test_params``), defaults otherwise.
    """
    return [
        cls(**fast_params(cls))
        for _, cls in all_estimators()
        if base is None or issubclass(cls, base)
    ]


def personal_ratings(n_users=60, n_items=40, per_user=10, random_state=0):
    """Ratings ``(X, y)`` where who rates what is personal: each user rates
    only items of their own half of the catalogue (ratings 1-5 at random),
    so that a factorisation of the rated pairs ranks held-out pairs far
    better than item popularity (the case for a rating model's pick model)."""
    import numpy as np

    rng = np.random.default_rng(random_state)
    half = n_items // 2
    rows = []
    for user in range(n_users):
        offset = half * (user % 2)
        for item in rng.choice(half, per_user, replace=False):
            rows.append((user, offset + item))
    X = np.array(rows)
    return X, rng.integers(1, 6, len(X)).astype(float)
