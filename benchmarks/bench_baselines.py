"""BaselineRegressor vs Surprise BaselineOnly on MovieLens 100K's five canonical folds.

Both models predict r̂ = μ + b_u + b_i with L2-regularised biases. Surprise runs its
default ALS (reg_u=15, reg_i=10, 10 epochs); ours runs its defaults (alpha_user=5,
alpha_item=3, solved to convergence). The defaults were chosen by an inner 80/20
split of each training fold, never on the test folds.

    python benchmarks/bench_baselines.py
"""

import numpy as np

from _common import command_line, mae, parse_args, print_table, rmse, timed
from sklearn_attnrec import BaselineRegressor, fetch_movielens


def main():
    args = parse_args(__doc__.splitlines()[0])
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X, y = data.data, data.target
    try:
        from surprise import BaselineOnly, Dataset, Reader
    except ImportError:  # the bench extra is not installed
        BaselineOnly = None
        print("scikit-surprise not installed: pip install -e '.[bench]'\n")

    results = {"sklearn_attnrec BaselineRegressor": [], "Surprise BaselineOnly": []}
    for train, test in data.folds:
        model, fit_s = timed(BaselineRegressor().fit, X[train], y[train])
        pred, pred_s = timed(model.predict, X[test])
        results["sklearn_attnrec BaselineRegressor"].append(
            (rmse(y[test], pred), mae(y[test], pred), fit_s, pred_s)
        )
        if BaselineOnly is None:
            continue
        import pandas as pd

        frame = pd.DataFrame({"u": X[train, 0], "i": X[train, 1], "r": y[train]})
        trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5)))
        trainset = trainset.build_full_trainset()
        algo = BaselineOnly(verbose=False)
        _, fit_s = timed(algo.fit, trainset)
        testset = list(zip(X[test, 0], X[test, 1], y[test]))
        predictions, pred_s = timed(algo.test, testset)
        pred = np.array([p.est for p in predictions])
        results["Surprise BaselineOnly"].append(
            (rmse(y[test], pred), mae(y[test], pred), fit_s, pred_s)
        )

    rows = []
    for name, folds in results.items():
        if not folds:
            continue
        a = np.array(folds)
        rows.append(
            (
                name,
                *(f"{v:.4f}" for v in a[:, 0]),
                f"{a[:, 0].mean():.4f}",
                f"{a[:, 1].mean():.4f}",
                f"{a[:, 2].mean() * 1000:.1f}",
                f"{a[:, 3].mean() * 1000:.1f}",
            )
        )
    print_table(
        [
            "model",
            "RMSE u1",
            "u2",
            "u3",
            "u4",
            "u5",
            "mean RMSE",
            "mean MAE",
            "fit ms",
            "predict ms",
        ],
        rows,
    )
    if len(rows) == 2:
        ours, ref = (np.array(f) for f in results.values())
        print(
            f"\nRMSE ratio ours/Surprise: {ours[:, 0].mean() / ref[:, 0].mean():.4f}"
            f"   fit speed-up: {ref[:, 2].mean() / ours[:, 2].mean():.1f}x"
            f"   predict speed-up: {ref[:, 3].mean() / ours[:, 3].mean():.1f}x"
        )
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
