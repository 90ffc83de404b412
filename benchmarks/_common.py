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
