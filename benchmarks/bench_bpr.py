"""BPRRecommender vs the implicit library's BayesianPersonalizedRanking.

1. MovieLens 100K fold u1 (``--folds`` for more of the five canonical folds):
   interactions = uN.base (every rating a positive, y=None), relevant = uN.test
   ratings >= 4, every unseen item ranked. ``BPRRecommender`` and implicit's
   ``BayesianPersonalizedRanking``, both with 64 factors and 100 epochs (the
   rest at each library's defaults), three seeds each, fitted alternately in
   the same run on one thread: NDCG@10, recall@10, fit seconds, and the ratios
   ours / implicit. Both are scored by the same scorer (implicit's factors,
   whose last column is its item bias, through ``FixedFactors``).
   ``PopularityRecommender`` for reference.
2. ``--tune``: how ``BPRRecommender``'s defaults were chosen, on inner
   validation splits only: 20% of each user's interactions in each training
   fold uN.base held out (``train_test_split_interactions``, seeded by the
   fold), NDCG@10 (ratings >= 4 relevant) on that held-out part; the test
   folds are never read. ``--tune-folds`` limits the folds (the table then
   averages those only).

    python benchmarks/bench_bpr.py [--folds 1 2 3 4 5] [--tune [--tune-folds 1 2]]
"""

import os

# One thread everywhere, before numpy/torch are imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import itertools  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402

from _common import (  # noqa: E402
    FixedFactors,
    command_line,
    parse_args,
    print_table,
    timed,
)
from sklearn_attnrec import (  # noqa: E402
    BPRRecommender,  # noqa: E402
    PopularityRecommender,
    fetch_movielens,
    make_ranking_scorer,
)
from sklearn_attnrec.model_selection import (  # noqa: E402
    train_test_split_interactions,
)

SEEDS = (0, 1, 2)
FACTORS, ITERATIONS = 64, 100
TUNE_GRID = {"learning_rate": [0.05, 0.1, 0.2], "alpha": [0.01, 0.02, 0.03, 0.05]}
# Then, one change at a time from the best of the grid.
TUNE_MORE = [
    {"init_scale": 0.1},
    {"max_iter": 50},
    {"max_iter": 200},
    {"n_components": 32},
    {"n_components": 128},
]
START = {"n_components": FACTORS, "max_iter": ITERATIONS, "init_scale": 0.5}


def _as_numpy(factors):
    """implicit's factors as an ndarray (GPU matrices have ``to_numpy``)."""
    return factors.to_numpy() if hasattr(factors, "to_numpy") else np.asarray(factors)


def compare(data, folds):
    X, y = data.data, data.target
    ndcg = make_ranking_scorer("ndcg", k=10, threshold=4)
    recall = make_ranking_scorer("recall", k=10, threshold=4)
    try:
        from implicit.bpr import BayesianPersonalizedRanking
    except ImportError:
        print("implicit not installed: pip install -e '.[bench]'")
        BayesianPersonalizedRanking = None
    results = {"ours": [], "implicit": [], "popularity": []}
    for fold in folds:
        train, test = data.folds[fold - 1]

        def scores(model, X_test=X[test], y_test=y[test]):
            return ndcg(model, X_test, y_test), recall(model, X_test, y_test)

        n_users, n_items = X[:, 0].max(), X[:, 1].max()
        user_items = sp.csr_matrix(
            (np.ones(len(train), np.float32), (X[train, 0] - 1, X[train, 1] - 1)),
            shape=(n_users, n_items),
        )
        for seed in SEEDS:
            ours = BPRRecommender(
                n_components=FACTORS, max_iter=ITERATIONS, random_state=seed
            )
            _, fit_s = timed(ours.fit, X[train])
            results["ours"].append((fold, seed, *scores(ours), fit_s))
            if BayesianPersonalizedRanking is None:
                continue
            theirs = BayesianPersonalizedRanking(
                factors=FACTORS,
                iterations=ITERATIONS,
                random_state=seed,
                num_threads=1,
                use_gpu=False,
            )
            _, fit_s = timed(theirs.fit, user_items, show_progress=False)
            # The last column is the item bias (a constant 1 on the user side).
            user_factors = _as_numpy(theirs.user_factors)
            item_factors = _as_numpy(theirs.item_factors)
            assert user_factors.shape == (n_users, FACTORS + 1)
            adapter = FixedFactors().fit(X[train], user_factors, item_factors)
            results["implicit"].append((fold, seed, *scores(adapter), fit_s))
        popularity = PopularityRecommender().fit(X[train])
        results["popularity"].append((fold, 0, *scores(popularity), 0.0))

    names = {
        "ours": f"BPRRecommender(n_components={FACTORS}, max_iter={ITERATIONS})",
        "implicit": (
            f"implicit BayesianPersonalizedRanking(factors={FACTORS}, "
            f"iterations={ITERATIONS})"
        ),
        "popularity": "PopularityRecommender",
    }
    one_fold = len(folds) == 1
    rows = []
    for key, runs in results.items():
        if not runs:
            continue
        a = np.array(runs)
        if one_fold:
            detail = a[:, 2]
        else:
            detail = [a[a[:, 0] == fold, 2].mean() for fold in folds]
        rows.append(
            (
                names[key],
                " ".join(f"{v:.4f}" for v in detail),
                f"{a[:, 2].mean():.4f}",
                f"{a[:, 3].mean():.4f}",
                f"{a[:, 4].mean():.3f}" if key != "popularity" else "",
            )
        )
    folds_text = ", ".join(f"u{fold}" for fold in folds)
    print_table(
        [
            "model (one thread)",
            f"NDCG@10 per seed ({folds_text})"
            if one_fold
            else f"NDCG@10 per fold ({folds_text}; mean of seeds)",
            "mean NDCG@10",
            "mean recall@10",
            "fit s",
        ],
        rows,
    )
    if results["implicit"]:
        ours, theirs = np.array(results["ours"]), np.array(results["implicit"])
        ratio = ours[:, 2:].mean(axis=0) / theirs[:, 2:].mean(axis=0)
        print(
            f"\nours / implicit: NDCG@10 ratio {ratio[0]:.3f}, recall@10 ratio "
            f"{ratio[1]:.3f}, fit-time ratio {ratio[2]:.2f}"
        )


def tune(data, folds):
    X, y = data.data, data.target
    scorer = make_ranking_scorer("ndcg", k=10, threshold=4)
    splits = [
        train_test_split_interactions(
            X[train], y[train], test_size=0.2, random_state=fold - 1
        )
        for fold, (train, _) in enumerate(data.folds, start=1)
        if fold in folds
    ]

    def evaluate(params):
        scores = [
            scorer(
                BPRRecommender(random_state=0, **{**START, **params}).fit(X_fit),
                X_val,
                y_val,
            )
            for X_fit, X_val, _, y_val in splits
        ]
        print(
            f"inner NDCG@10 {np.mean(scores):.4f}  per fold "
            + " ".join(f"{s:.4f}" for s in scores)
            + f"  {params}",
            flush=True,
        )
        return np.mean(scores)

    print(
        f"grid (n_components={FACTORS}, max_iter={ITERATIONS}, init_scale=0.5), "
        f"folds {folds}:"
    )
    grid = [dict(zip(TUNE_GRID, v)) for v in itertools.product(*TUNE_GRID.values())]
    scored = [(evaluate(params), params) for params in grid]
    best_score, best = max(scored, key=lambda row: row[0])
    print(f"\nbest: {best} ({best_score:.4f}); then, from it:")
    for change in TUNE_MORE:
        evaluate({**best, **change})
    print(
        "\nimplicit's learning rate, regularisation and initial scale "
        "(ours with them; its negatives and schedule differ):"
    )
    evaluate({"learning_rate": 0.01, "alpha": 0.01, "init_scale": 0.01})


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--folds": {
                "type": int,
                "nargs": "+",
                "default": [1],
                "choices": range(1, 6),
                "help": "canonical folds to compare on (default: 1, i.e. u1)",
            },
            "--tune": {"action": "store_true", "help": "run the inner-split grid"},
            "--tune-folds": {
                "type": int,
                "nargs": "+",
                "default": [1, 2, 3, 4, 5],
                "choices": range(1, 6),
                "help": "training folds whose inner splits --tune uses",
            },
        },
    )
    torch.set_num_threads(1)
    print(f"torch threads: {torch.get_num_threads()}\n")
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    if args.tune:
        tune(data, args.tune_folds)
    else:
        compare(data, args.folds)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
