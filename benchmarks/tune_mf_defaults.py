"""How MatrixFactorization's defaults were chosen: inner validation only.

For each canonical training fold uN.base of MovieLens 100K, 20% of each user's
ratings are held out (seeded) and the candidate settings are scored on that
held-out part: RMSE for explicit feedback, NDCG@10 (relevant: rating >= 4) for
implicit feedback. The test folds uN.test are never read.

    python benchmarks/tune_mf_defaults.py
"""

import itertools

import numpy as np

from _common import command_line, parse_args, rmse
from sklearn_attnrec import MatrixFactorization, fetch_movielens, make_ranking_scorer
from sklearn_attnrec.model_selection import train_test_split_interactions

GRID = {
    "als": {"n_components": [30, 40], "alpha": [1.0, 1.3, 1.6]},
    "sgd": {
        "n_components": [30, 40],
        "alpha": [1.0, 1.3],
        "learning_rate": [0.01, 0.02],
    },
}
IMPLICIT_GRID = {"alpha": [1.0, 2.0, 3.0, 5.0], "confidence_scale": [0.25, 1.0, 3.0]}


def main():
    args = parse_args(__doc__.splitlines()[0])
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X, y = data.data, data.target
    splits = []
    for seed, (train, _) in enumerate(data.folds):
        splits.append(
            train_test_split_interactions(
                X[train], y[train], test_size=0.2, random_state=seed
            )
        )
    for solver, grid in GRID.items():
        rows = []
        for values in itertools.product(*grid.values()):
            params = dict(zip(grid, values))
            scores = [
                rmse(
                    y_val,
                    MatrixFactorization(solver=solver, random_state=0, **params)
                    .fit(X_fit, y_fit)
                    .predict(X_val),
                )
                for X_fit, X_val, y_fit, y_val in splits
            ]
            rows.append((np.mean(scores), params))
        for score, params in sorted(rows, key=lambda row: row[0]):
            print(f"{solver}  inner RMSE {score:.4f}  {params}")
        print()
    scorer = make_ranking_scorer("ndcg", k=10, threshold=4)
    rows = []
    for values in itertools.product(*IMPLICIT_GRID.values()):
        params = dict(zip(IMPLICIT_GRID, values))
        scores = [
            scorer(
                MatrixFactorization(feedback="implicit", random_state=0, **params).fit(
                    X_fit
                ),
                X_val,
                y_val,
            )
            for X_fit, X_val, y_fit, y_val in splits
        ]
        rows.append((np.mean(scores), params))
    for score, params in sorted(rows, key=lambda row: -row[0]):
        print(f"implicit  inner NDCG@10 {score:.4f}  {params}")
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
