"""EASE fitted on star ratings as interaction weights vs on the interactions alone.

``EASE.fit(X, y)`` reads ``y`` as the weight of each interaction in the Gram
matrix ``XᵀX`` (``y=None``: every interaction weighs 1). A ``GridSearchCV`` or
``cross_validate`` called with the ratings (which a ``threshold`` scorer needs)
passes them to ``fit`` as well. This measures what that changes on MovieLens
100K's five canonical folds: each model is fitted on ``uN.base`` and ranks
every item the user did not rate in training; relevant items are the
``uN.test`` items rated >= 4 (full-ranking NDCG@10, recall@10).

Rows: each input with the default ``alpha=500`` (chosen for ``y=None``) and
with ``alpha`` chosen per fold on inner 80/20 splits of ``uN.base`` (never the
test fold) from the same grid: weights ``c * y`` need ``alpha * c**2`` for the
same model, and star ratings average about 3.5.

    python benchmarks/bench_ease_weights.py
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from _common import command_line, parse_args, print_table, timed  # noqa: E402
from sklearn_attnrec import (  # noqa: E402
    EASE,
    fetch_movielens,
    make_ranking_scorer,
    train_test_split_interactions,
)

NDCG = make_ranking_scorer("ndcg", k=10, threshold=4)
RECALL = make_ranking_scorer("recall", k=10, threshold=4)
ALPHAS = (100.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)


def inner_alpha(X, y, fold, weighted):
    """The alpha with the best NDCG@10 on an inner 80/20 split of a training
    fold, EASE fitted with the ratings as weights or on the interactions."""
    X_in, X_val, y_in, y_val = train_test_split_interactions(
        X, y, test_size=0.2, random_state=fold
    )
    weights = y_in if weighted else None
    scores = [NDCG(EASE(alpha=a).fit(X_in, weights), X_val, y_val) for a in ALPHAS]
    return ALPHAS[int(np.argmax(scores))]


def main():
    args = parse_args(__doc__.splitlines()[0])
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X, y = data.data, data.target
    names = (
        "interactions (y=None), alpha=500",
        "interactions (y=None), inner alpha",
        "ratings as weights, alpha=500",
        "ratings as weights, inner alpha",
    )
    results = {name: [] for name in names}
    chosen = {False: [], True: []}
    for fold, (train, test) in enumerate(data.folds):
        for weighted in (False, True):
            chosen[weighted].append(inner_alpha(X[train], y[train], fold, weighted))
        fits = (
            (names[0], EASE(), None),
            (names[1], EASE(alpha=chosen[False][-1]), None),
            (names[2], EASE(), y[train]),
            (names[3], EASE(alpha=chosen[True][-1]), y[train]),
        )
        for name, model, weights in fits:
            model, fit_s = timed(model.fit, X[train], weights)
            results[name].append(
                (NDCG(model, X[test], y[test]), RECALL(model, X[test], y[test]), fit_s)
            )

    rows = []
    for name, folds in results.items():
        a = np.array(folds)
        rows.append(
            (
                name,
                f"{a[:, 0].mean():.4f}",
                *(f"{v:.4f}" for v in a[:, 0]),
                f"{a[:, 1].mean():.4f}",
                f"{a[:, 2].mean():.2f}",
            )
        )
    print_table(
        [
            "EASE fitted on",
            "NDCG@10",
            "u1",
            "u2",
            "u3",
            "u4",
            "u5",
            "recall@10",
            "fit s",
        ],
        rows,
    )
    base = np.array(results[names[0]])[:, 0].mean()
    for name in names[1:]:
        ratio = np.array(results[name])[:, 0].mean() / base
        print(f"\nNDCG@10 ratio {name} / interactions: {ratio:.4f}")
    print(f"inner alpha per fold, interactions: {chosen[False]}")
    print(f"inner alpha per fold, ratings as weights: {chosen[True]}")
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
