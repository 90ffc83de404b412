"""Random per-user folds and sampled metrics against splits by time, on ML-100K.

Every rating is an interaction; every test item is relevant (no rating
threshold); the full-ranking scorer ranks every item the model knows that the
user did not have in training. Four quick models with their defaults
(``PopularityRecommender``, ``ItemKNNRecommender``, ``EASE``,
``MatrixFactorization(feedback="implicit", random_state=0)``), NDCG@10 on:

1. ``PerUserKFold(5, random_state=0)``: random 20% of each user, five folds (mean);
2. the latest 20% of each user (``train_test_split_interactions(time_column=2)``);
3. a global cut at the 0.8 time quantile (``TemporalSplit``), test users without
   a training interaction dropped (the default) and kept (scored by the
   models' fallback, popularity);
4. ``ExpandingWindowSplit(3)`` (mean of the three folds);
5. leave-last-out by timestamp: the same models scored with 100 sampled
   negatives (``make_sampled_ranking_scorer``) and with full ranking.

One thread, a few seconds in all::

    flock /tmp/attnrec-bench.lock python benchmarks/bench_time_split.py
"""

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from _common import command_line, parse_args, print_table
from sklearn_attnrec import (
    EASE,
    ExpandingWindowSplit,
    ItemKNNRecommender,
    LeaveLastOut,
    MatrixFactorization,
    PerUserKFold,
    PopularityRecommender,
    TemporalSplit,
    fetch_movielens,
    make_ranking_scorer,
    make_sampled_ranking_scorer,
    train_test_split_interactions,
)

MODELS = {
    "Popularity": PopularityRecommender,
    "ItemKNN": ItemKNNRecommender,
    "EASE": EASE,
    "MF implicit": lambda: MatrixFactorization(feedback="implicit", random_state=0),
}


def latest_fraction(X):
    """The latest 20% of each user, as one (train, test) pair of indices."""
    rows = np.column_stack([np.arange(len(X)), X])
    train, test = train_test_split_interactions(
        rows, test_size=0.2, user_column=1, time_column=3
    )
    return [(train[:, 0], test[:, 0])]


def protocols(X):
    """Name -> list of (train, test) index pairs."""
    return {
        "PerUserKFold(5), random": list(PerUserKFold(5, random_state=0).split(X)),
        "latest 20% per user": latest_fraction(X),
        "TemporalSplit(0.8), drop": list(TemporalSplit().split(X)),
        "TemporalSplit(0.8), keep": list(TemporalSplit(unseen_users="keep").split(X)),
        "ExpandingWindowSplit(3)": list(ExpandingWindowSplit(3).split(X)),
        "leave-last-out": list(LeaveLastOut(time_column=2).split(X)),
    }


def evaluate(X, splits, scorers):
    """Mean of each scorer over the splits, per model: {model: {scorer: value}}."""
    results = {}
    for name, make in MODELS.items():
        scores = {s: [] for s in scorers}
        for train, test in splits:
            model = make().fit(X[train, :2])
            for s, scorer in scorers.items():
                scores[s].append(scorer(model, X[test, :2]))
        results[name] = {s: float(np.mean(v)) for s, v in scores.items()}
    return results


def standard_errors(X, splits, scorer):
    """Standard error over test users of each model's score on one split."""
    ((train, test),) = splits
    users = X[test, 0]
    errors = {}
    for name, make in MODELS.items():
        model = make().fit(X[train, :2])
        per_user = [scorer(model, X[test[users == u], :2]) for u in np.unique(users)]
        errors[name] = float(np.std(per_user, ddof=1) / np.sqrt(len(per_user)))
    return errors


def describe(X, splits):
    """Rows, users and test share of a protocol's splits (means)."""
    n_test = np.mean([len(test) for _, test in splits])
    users = np.mean([len(np.unique(X[test, 0])) for _, test in splits])
    return f"{n_test:,.0f} test rows, {users:,.0f} test users"


def main():
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X = np.column_stack([data.data, data.timestamps])
    print(
        f"MovieLens 100K: {len(X):,} interactions, {len(np.unique(X[:, 0]))} users; "
        "NDCG@10, full ranking, every test item relevant\n"
    )
    splits = protocols(X)
    full = {"ndcg": make_ranking_scorer("ndcg", k=10)}
    table = {name: evaluate(X, s, full) for name, s in splits.items()}

    header = [
        "protocol",
        *MODELS,
        "best / popularity",
        "model order (best first)",
        "test set (mean)",
    ]
    rows = []
    for name, result in table.items():
        values = {m: result[m]["ndcg"] for m in MODELS}
        order = " > ".join(sorted(values, key=values.get, reverse=True))
        gain = max(values.values()) / values["Popularity"]
        rows.append(
            [
                name,
                *(f"{v:.4f}" for v in values.values()),
                f"{gain:.2f}",
                order,
                describe(X, splits[name]),
            ]
        )
    print_table(header, rows)

    train, test = splits["TemporalSplit(0.8), keep"][0]
    unseen = ~np.isin(X[test, 0], X[train, 0])
    print(
        f"\nTemporalSplit(0.8): {len(test):,} interactions at or after the cut, "
        f"{int(unseen.sum()):,} of them ({unseen.mean():.0%}) by "
        f"{len(np.unique(X[test[unseen], 0]))} users with no interaction before it "
        "(dropped by default)"
    )
    for name in ("latest 20% per user", "TemporalSplit(0.8), drop", "leave-last-out"):
        errors = standard_errors(X, splits[name], full["ndcg"])
        print(
            f"{name}: standard error over test users "
            + "  ".join(f"{m} {e:.4f}" for m, e in errors.items())
        )
    random = table["PerUserKFold(5), random"]
    for name in ("latest 20% per user", "TemporalSplit(0.8), drop"):
        ratios = "  ".join(
            f"{m} {random[m]['ndcg'] / table[name][m]['ndcg']:.2f}" for m in MODELS
        )
        print(f"PerUserKFold / {name}: {ratios}")

    sampled = {
        "NDCG@10 (100 sampled neg.)": make_sampled_ranking_scorer("ndcg", k=10),
        "NDCG@10 (full ranking)": make_ranking_scorer("ndcg", k=10),
    }
    lol = evaluate(X, splits["leave-last-out"], sampled)
    print("\nLeave-last-out by timestamp (943 test items): sampled vs full ranking\n")
    rows = [
        [
            m,
            *(f"{lol[m][s]:.4f}" for s in sampled),
            f"{lol[m][next(iter(sampled))] / lol[m]['NDCG@10 (full ranking)']:.1f}",
        ]
        for m in MODELS
    ]
    print_table(["model", *sampled, "sampled / full"], rows)
    print(f"\ncommand: flock /tmp/attnrec-bench.lock {command_line()}")


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
