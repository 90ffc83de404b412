"""Helpers shared by the benchmark scripts."""

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from sklearn_attnrec.base import RecommenderMixin

DEFAULT_DATA_HOME = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def parse_args(description, **extra):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--data-home",
        default=str(DEFAULT_DATA_HOME),
        help="folder holding ml-100k/ (default: ../shared/data)",
    )
    for name, kwargs in extra.items():
        parser.add_argument(name, **kwargs)
    return parser.parse_args()


def command_line():
    return "python " + " ".join(shlex.quote(a) for a in sys.argv)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def mae(y_true, y_pred):
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def print_table(header, rows):
    widths = [
        max(len(str(h)), *(len(f"{r[i]}") for r in rows)) for i, h in enumerate(header)
    ]
    line = "  ".join(f"{h:>{w}}" for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{c:>{w}}" for c, w in zip(row, widths)))


class FixedFactors(RecommenderMixin, BaseEstimator):
    """Adapter: another library's factors scored by our scorer, on the same
    users and items as our models (those of the training data)."""

    def __init__(self, handle_unknown="fallback"):
        self.handle_unknown = handle_unknown

    def fit(self, X, user_factors, item_factors):
        self._fit_interactions(X, None, y_required=False)
        # MovieLens ids start at 1: row id - 1 of the other library's factors.
        self.user_vectors_ = user_factors[self.user_ids_ - 1]
        self.item_vectors_ = item_factors[self.item_ids_ - 1]
        return self

    def _score_items(self, users):
        vectors = np.where(
            (users >= 0)[:, None], self.user_vectors_[np.maximum(users, 0)], 0
        )
        return vectors @ self.item_vectors_.T


def skewed_ratings(n_users, n_items, n_ratings, seed=0):
    """Popularity-skewed ratings: Zipf(1) items, lognormal user activity."""
    rng = np.random.default_rng(seed)
    item_weight = 1.0 / np.arange(1, n_items + 1)
    item_weight /= item_weight.sum()
    user_weight = rng.lognormal(0.0, 0.5, n_users)
    user_weight /= user_weight.sum()
    keys = np.zeros(0, dtype=np.int64)
    while len(keys) < n_ratings:
        n_draw = int(1.2 * (n_ratings - len(keys))) + 1000
        users = rng.choice(n_users, n_draw, p=user_weight)
        items = rng.permutation(n_items)[rng.choice(n_items, n_draw, p=item_weight)]
        keys = np.unique(np.concatenate([keys, users * n_items + items]))
    keys = rng.choice(keys, n_ratings, replace=False)
    users, items = np.divmod(keys, n_items)
    b_u = rng.normal(0, 0.3, n_users)
    b_i = rng.normal(0, 0.5, n_items)
    ratings = 3.5 + b_u[users] + b_i[items] + rng.normal(0, 0.8, n_ratings)
    return np.column_stack([users, items]), np.clip(np.round(ratings), 1, 5)
