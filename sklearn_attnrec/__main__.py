"""Demo: ``python -m sklearn_attnrec`` fits a few recommenders and compares them.

Runs offline in well under a minute on two cores. By default it uses synthetic
ratings from :func:`~sklearn_attnrec.datasets.make_interactions`; with
``--movielens DATA_HOME`` (a folder holding ``ml-100k/``) it uses MovieLens 100K.
"""

import argparse
import time

import numpy as np
from sklearn.base import is_regressor
from sklearn.model_selection import cross_validate

from . import (
    BaselineRegressor,
    ItemKNNRegressor,
    MatrixFactorization,
    PerUserKFold,
    PopularityRecommender,
    __version__,
    fetch_movielens,
    make_interactions,
    make_ranking_scorer,
)


def _models():
    return {
        "PopularityRecommender": PopularityRecommender(),
        "BaselineRegressor": BaselineRegressor(),
        "ItemKNNRegressor": ItemKNNRegressor(),
        "MatrixFactorization ALS": MatrixFactorization(random_state=0),
        "MatrixFactorization SGD": MatrixFactorization(solver="sgd", random_state=0),
        "MF implicit": MatrixFactorization(feedback="implicit", random_state=0),
    }


def _rmse(estimator, X, y):
    return float(np.sqrt(np.mean((estimator.predict(X) - y) ** 2)))


def run(X, y, *, n_splits=3, random_state=0, stream=print):
    """Cross-validate every demo model; return rows of the comparison table."""
    ranking = {
        "ndcg@10": make_ranking_scorer("ndcg", k=10, threshold=4),
        "recall@10": make_ranking_scorer("recall", k=10, threshold=4),
    }
    cv = PerUserKFold(n_splits, random_state=random_state)
    rows = []
    for name, model in _models().items():
        # RMSE only means something for models that predict ratings.
        rates = is_regressor(model) and getattr(model, "feedback", "") != "implicit"
        scoring = {"rmse": _rmse, **ranking} if rates else ranking
        start = time.perf_counter()
        result = cross_validate(model, X, y, cv=cv, scoring=scoring)
        seconds = time.perf_counter() - start
        rmse = result["test_rmse"].mean() if "rmse" in scoring else float("nan")
        ndcg, recall = (result[f"test_{key}"].mean() for key in ranking)
        rows.append((name, rmse, ndcg, recall, seconds))
    header = f"{'model':<24}{'RMSE':>8}{'NDCG@10':>10}{'Recall@10':>11}{'time (s)':>10}"
    stream(header)
    stream("-" * len(header))
    for name, rmse, ndcg, recall, seconds in rows:
        rmse_text = "-" if np.isnan(rmse) else f"{rmse:.4f}"
        stream(f"{name:<24}{rmse_text:>8}{ndcg:>10.4f}{recall:>11.4f}{seconds:>10.2f}")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_attnrec", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--movielens",
        metavar="DATA_HOME",
        help="folder holding ml-100k/ (files are read, never downloaded)",
    )
    parser.add_argument("--folds", type=int, default=3, help="PerUserKFold splits")
    args = parser.parse_args(argv)
    if args.movielens:
        X, y = fetch_movielens(
            data_home=args.movielens, download_if_missing=False, return_X_y=True
        )
        source = f"MovieLens 100K from {args.movielens}"
    else:
        X, y = make_interactions(
            n_users=500,
            n_items=300,
            n_components=8,
            density=0.08,
            noise=0.5,
            random_state=0,
        )
        y = np.clip(np.round(y), 1, 5)
        source = "synthetic ratings (make_interactions, 500 users x 300 items)"
    print(f"sklearn_attnrec {__version__}: {len(y):,} ratings, {source}")
    print(f"{args.folds}-fold PerUserKFold; relevant = test rating >= 4\n")
    run(X, y, n_splits=args.folds)


if __name__ == "__main__":
    main()
