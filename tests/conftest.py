"""Shared fixtures.

Real data lives in ``../shared/data`` beside the repository root (never in the repo).
Tests that need it use the ``shared_data_home`` / ``movielens`` fixtures, which skip
cleanly where the folder is absent.
"""

import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator

from sklearn_attnrec.base import RecommenderMixin

SHARED_DATA = Path(
    os.environ.get(
        "SKLEARN_ATTNREC_SHARED_DATA",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)


@pytest.fixture(scope="session")
def shared_data_home():
    """Folder holding ``ml-100k/`` and ``shakespeare_char/``; skips if absent."""
    if not (SHARED_DATA / "ml-100k" / "u.data").is_file():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def movielens(shared_data_home):
    """MovieLens 100K as a Bunch, read from the shared folder (no network)."""
    from sklearn_attnrec.datasets import fetch_movielens

    return fetch_movielens(data_home=shared_data_home, download_if_missing=False)


@pytest.fixture(autouse=True)
def _seed():
    """Keep tests that forget a random_state reproducible."""
    np.random.seed(0)  # noqa: NPY002 (legacy global state is what we guard)


@pytest.fixture(scope="module")
def torch_one_thread():
    """One torch thread for a test module (``pytestmark =
    pytest.mark.usefixtures("torch_one_thread")``): tiny models run faster, and a
    busy 2-core machine does not stall torch's thread pool."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class FixedScores(RecommenderMixin, BaseEstimator):
    """Test double: every user gets the same item scores, given at fit time."""

    def __init__(self, scores=None, handle_unknown="fallback"):
        self.scores = scores
        self.handle_unknown = handle_unknown

    def fit(self, X, y=None):
        self._fit_interactions(X, y, y_required=False)
        return self

    def _score_items(self, users):
        return np.tile(np.asarray(self.scores, float), (len(users), 1))

    def _predict_pairs(self, users, items):
        return np.asarray(self.scores, float)[items]
