"""SequentialRecommender (SASRec) on MovieLens 100K, leave-last-out by timestamp.

Each user's ratings, ordered by timestamp, form a sequence; the last one is the
test item, the second-to-last the last training item (and the validation item
of the early-stopped variant, ``--sasrec bce-es``). HR@10 and NDCG@10 against
100 sampled negatives (fixed seed, the same for every model) and with full
ranking over all unseen items, for ``SequentialRecommender`` in the paper's
configuration (2 blocks, 1 head, 50 dims, dropout 0.2, ``block_size=200``, lr 1e-3,
batch 128, BCE with one negative, 200 epochs), with gSASRec's gBCE loss (256
negatives, t=0.75) and with the softmax loss, next to popularity,
``ItemKNNRegressor`` (ranking by predicted rating) and implicit
``MatrixFactorization``. Prints fit time, epochs and time per epoch.

    flock /tmp/attnrec-bench.lock python benchmarks/bench_sequential.py
    flock /tmp/attnrec-bench.lock python benchmarks/bench_sequential.py --epochs 50
    flock /tmp/attnrec-bench.lock python benchmarks/bench_sequential.py --sasrec bce-es
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
    block_size=200,
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
            "--sasrec": dict(
                nargs="+",
                default=["bce", "gbce", "softmax"],
                choices=["bce", "bce-es", "gbce", "softmax"],
                help="SASRec variants to train",
            ),
            "--patience": dict(
                type=int, default=10, help="epochs without improvement (bce-es)"
            ),
            "--device": dict(default="cpu", help="torch device of SASRec"),
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
    }
    sasrec = {
        "bce": ("SASRec paper config (bce)", {}),
        "bce-es": (
            "SASRec bce, early stopping on the second-to-last item",
            {"early_stopping": True, "n_iter_no_change": args.patience},
        ),
        "gbce": ("SASRec gbce (256 negatives, t=0.75)", {"loss": "gbce"}),
        "softmax": ("SASRec softmax loss", {"loss": "softmax"}),
    }
    for key in args.sasrec:
        name, extra = sasrec[key]
        models[name] = (
            lambda extra=extra: SequentialRecommender(
                **{**PAPER, **extra},
                max_iter=args.epochs,
                device=args.device,
                random_state=0,
            ).fit(X_train),
            X_test,
        )
    rows = []
    for name, (make, X_eval) in models.items():
        model, fit_s = timed(make)
        scores = [scorer(model, X_eval) for scorer in scorers.values()]
        sequential = isinstance(model, SequentialRecommender)
        epochs = model.n_iter_ if sequential else "-"
        per_epoch = f"{fit_s / model.n_iter_:.2f}" if sequential else "-"
        rows.append(
            (name, *(f"{s:.4f}" for s in scores), f"{fit_s:.1f}", epochs, per_epoch)
        )
    print(
        f"Leave-last-out by timestamp, MovieLens 100K ({len(X_test)} test items), "
        f"SASRec at most {args.epochs} epochs on {args.device}, {args.threads} "
        "torch threads\n"
    )
    print_table(["model", *scorers, "fit s", "epochs", "s/epoch"], rows)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
