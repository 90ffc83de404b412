"""SequentialRecommender (SASRec) on MovieLens 100K, leave-last-out by timestamp.

Each user's ratings, ordered by timestamp, form a sequence; the last one is the
test item (the second-to-last is the last training item; no validation split is
used). HR@10 and NDCG@10 against 100 sampled negatives (fixed seed, the same for
every model) and with full ranking over all unseen items, for
``SequentialRecommender`` in the paper's configuration (2 blocks, 1 head, 50
dims, dropout 0.2, ``max_len=200``, lr 1e-3, batch 128, BCE with one negative,
200 epochs) and with the softmax loss, next to popularity, ``ItemKNNRegressor``
(ranking by predicted rating) and implicit ``MatrixFactorization``. Prints fit
time and time per epoch.

    flock /tmp/attnrec-bench.lock python benchmarks/bench_sequential.py
    flock /tmp/attnrec-bench.lock python benchmarks/bench_sequential.py --epochs 50
    flock /tmp/attnrec-bench.lock python benchmarks/bench_sequential.py --no-softmax
"""

import numpy as np
import torch

from _common import command_line, parse_args, print_table, timed
from sklearn_attnrec import (
    ItemKNNRegressor,
    LeaveLastOut,
    MatrixFactorization,
    PopularityRecommender,
    SequentialRecommender,
    fetch_movielens,
    make_ranking_scorer,
    make_sampled_ranking_scorer,
)

PAPER = dict(
    embedding_dim=50,
    n_heads=1,
    n_layers=2,
    dropout=0.2,
    max_len=200,
    learning_rate=1e-3,
    batch_size=128,
    loss="bce",
)


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--epochs": dict(type=int, default=200, help="SASRec epochs"),
            "--threads": dict(type=int, default=2, help="torch threads"),
            "--no-softmax": dict(
                action="store_true", help="skip the softmax-loss SASRec"
            ),
        },
    )
    torch.set_num_threads(args.threads)
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X = np.column_stack([data.data, data.timestamps])
    train, test = next(LeaveLastOut(time_column=2).split(X))
    X_train, X_test, y_train = X[train], X[test], data.target[train]
    scorers = {
        "HR@10 (100 neg.)": make_sampled_ranking_scorer("hit_rate", k=10),
        "NDCG@10 (100 neg.)": make_sampled_ranking_scorer("ndcg", k=10),
        "HR@10 (full)": make_ranking_scorer("hit_rate", k=10),
        "NDCG@10 (full)": make_ranking_scorer("ndcg", k=10),
    }
    pairs_train, pairs_test = X_train[:, :2], X_test[:, :2]
    models = {
        "PopularityRecommender": (
            lambda: PopularityRecommender().fit(pairs_train),
            pairs_test,
        ),
        "ItemKNNRegressor (k=40, ratings)": (
            lambda: ItemKNNRegressor(n_neighbors=40).fit(pairs_train, y_train),
            pairs_test,
        ),
        "MatrixFactorization implicit": (
            lambda: MatrixFactorization(feedback="implicit", random_state=0).fit(
                pairs_train
            ),
            pairs_test,
        ),
        "SASRec paper config (bce)": (
            lambda: SequentialRecommender(
                **PAPER, max_iter=args.epochs, random_state=0
            ).fit(X_train),
            X_test,
        ),
        "SASRec softmax loss": (
            lambda: SequentialRecommender(
                **{**PAPER, "loss": "softmax"}, max_iter=args.epochs, random_state=0
            ).fit(X_train),
            X_test,
        ),
    }
    if args.no_softmax:
        del models["SASRec softmax loss"]
    rows = []
    for name, (make, X_eval) in models.items():
        model, fit_s = timed(make)
        scores = [scorer(model, X_eval) for scorer in scorers.values()]
        epochs = getattr(model, "n_iter_", None)
        per_epoch = (
            f"{fit_s / epochs:.2f}" if isinstance(model, SequentialRecommender) else "-"
        )
        rows.append((name, *(f"{s:.4f}" for s in scores), f"{fit_s:.1f}", per_epoch))
    print(
        f"Leave-last-out by timestamp, MovieLens 100K ({len(X_test)} test items), "
        f"SASRec {args.epochs} epochs, {args.threads} torch threads\n"
    )
    print_table(["model", *scorers, "fit s", "s/epoch"], rows)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
