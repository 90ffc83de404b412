"""RecTools' SASRecModel (softmax loss) on MovieLens 100K, leave-last-out by timestamp.

The public SASRec next to ours (``bench_sequential.py --sasrec softmax``): RecTools
0.19 ``SASRecModel(loss="softmax")`` in the paper's sizes (50 factors, 2 blocks,
1 head, dropout 0.2, sequences of 200, lr 1e-3, batch 128), trained on the CPU
with one torch thread and a fixed seed, then the top 10 of every test user with
the items seen in training filtered out; full-ranking HR@10 and NDCG@10 of the
held-out item (NDCG = 1/log2(rank + 2) for a 0-based rank < 10, else 0; mean
over the test users). Prints fit time, time per epoch and the command.

RecTools lives in its own venv (never a dependency of the package), made by
``benchmarks/setup_rectools_venv.sh``; this script does not import
sklearn_attnrec and reads ``ml-100k/u.data`` itself. Its split, the last
interaction by timestamp of each user with two or more (stable sort: ties keep
the row order of u.data), equals ``LeaveLastOut(time_column=2)`` on
``np.column_stack([data.data, data.timestamps])`` in u.data row order: the same
943 test and 99,057 training row indices (checked once, 2026-12-03, by
importing ``leave_last_out`` from this file in the package's venv; 415 users
have a tie at their last timestamp, so the tie rule matters).

The loss is RecTools' full softmax over every position of the (B, 200, items + 1)
logits, padding included: about 16 s per epoch on one thread of the 2-core
development machine (2-epoch smoke run, 2026-12-03), so 200 epochs take about
an hour; run it under the lock, alone.

    bash benchmarks/setup_rectools_venv.sh
    flock /tmp/attnrec-bench.lock .venv-rectools/bin/python \
        benchmarks/bench_sasrec_rectools.py --epochs 200
    flock /tmp/attnrec-bench.lock .venv/bin/python benchmarks/bench_sequential.py \
        --sasrec softmax --threads 1   # ours, same split and sizes

``--ours NDCG HR S_PER_EPOCH`` (figures of our softmax row) adds the ratios.
"""

import argparse
import logging
import shlex
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA_HOME = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-home",
        default=str(DEFAULT_DATA_HOME),
        help="folder holding ml-100k/ (default: ../shared/data)",
    )
    parser.add_argument("--factors", type=int, default=50, help="n_factors")
    parser.add_argument("--blocks", type=int, default=2, help="n_blocks")
    parser.add_argument("--heads", type=int, default=1, help="n_heads")
    parser.add_argument("--max-len", type=int, default=200, help="session_max_len")
    parser.add_argument("--epochs", type=int, default=200, help="epochs")
    parser.add_argument("--lr", type=float, default=1e-3, help="lr")
    parser.add_argument("--batch", type=int, default=128, help="batch_size")
    parser.add_argument("--dropout", type=float, default=0.2, help="dropout_rate")
    parser.add_argument("--seed", type=int, default=0, help="seed_everything")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--ours",
        nargs=3,
        type=float,
        metavar=("NDCG", "HR", "S_PER_EPOCH"),
        help="our SASRec softmax figures (bench_sequential.py): print ratios",
    )
    return parser.parse_args()


def command_line():
    return "python " + " ".join(shlex.quote(a) for a in sys.argv)


def print_table(header, rows):
    widths = [
        max(len(str(h)), *(len(f"{r[i]}") for r in rows)) for i, h in enumerate(header)
    ]
    line = "  ".join(f"{h:>{w}}" for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{c:>{w}}" for c, w in zip(row, widths)))


def read_ml100k(data_home):
    """u.data as a DataFrame (user, item, rating, timestamp), in file order."""
    path = Path(data_home) / "ml-100k" / "u.data"
    if not path.exists():
        sys.exit(f"{path} not found (--data-home DIR: a folder holding ml-100k/)")
    return pd.read_csv(
        path, sep="\t", header=None, names=["user", "item", "rating", "timestamp"]
    )


def leave_last_out(users, timestamps):
    """Row indices (train, test), both ascending: the last row by timestamp of
    every user with two or more rows is a test row (ties: the later row)."""
    users, timestamps = np.asarray(users), np.asarray(timestamps)
    order = np.lexsort((np.arange(len(users)), timestamps, users))
    sorted_users = users[order]
    last = np.flatnonzero(np.r_[sorted_users[1:] != sorted_users[:-1], True])
    sizes = np.diff(np.r_[-1, last])
    test = np.sort(order[last[sizes >= 2]])
    train = np.setdiff1d(np.arange(len(users)), test)
    return train, test


def ranking_metrics(recommendations, test_items, k=10):
    """Full-ranking (HR@k, NDCG@k) of each test user's held-out item, given
    RecTools' recommendations (user_id, item_id, rank from 1)."""
    reco = recommendations[["user_id", "item_id", "rank"]]
    hits = test_items.merge(reco, on=["user_id", "item_id"], how="left")
    rank = hits["rank"].to_numpy(dtype=float) - 1  # 0-based, NaN: not in top k
    found = rank < k
    ndcg = np.where(found, 1.0 / np.log2(np.where(found, rank, 0) + 2), 0.0)
    return float(found.mean()), float(ndcg.mean())


def main():
    args = parse_args()
    # RecTools and Lightning chatter (no item features, no validation loop, no GPU).
    logging.getLogger("pytorch_lightning").setLevel(logging.WARNING)
    logging.getLogger("lightning").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    import torch

    torch.set_num_threads(args.threads)
    from pytorch_lightning import Callback, Trainer, seed_everything
    from rectools import Columns
    from rectools.dataset import Dataset
    from rectools.models import SASRecModel

    ratings = read_ml100k(args.data_home)
    train, test = leave_last_out(ratings["user"], ratings["timestamp"])
    interactions = pd.DataFrame(
        {
            Columns.User: ratings["user"].to_numpy()[train],
            Columns.Item: ratings["item"].to_numpy()[train],
            Columns.Weight: 1.0,
            Columns.Datetime: pd.to_datetime(
                ratings["timestamp"].to_numpy()[train], unit="s"
            ),
        }
    )  # u.data row order: RecTools sorts stably by datetime, ties keep it
    test_items = pd.DataFrame(
        {
            Columns.User: ratings["user"].to_numpy()[test],
            Columns.Item: ratings["item"].to_numpy()[test],
        }
    )

    class EpochTimer(Callback):
        def __init__(self):
            self.seconds = []

        def on_train_epoch_start(self, trainer, pl_module):
            self._start = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module):
            self.seconds.append(time.perf_counter() - self._start)

    def make_trainer():
        return Trainer(
            max_epochs=args.epochs,
            min_epochs=args.epochs,
            deterministic=True,
            accelerator="cpu",
            devices=1,
            enable_progress_bar=False,
            enable_model_summary=False,
            logger=False,
            enable_checkpointing=False,
            callbacks=[EpochTimer()],
        )

    seed_everything(args.seed, workers=True, verbose=False)
    model = SASRecModel(
        n_factors=args.factors,
        n_blocks=args.blocks,
        n_heads=args.heads,
        session_max_len=args.max_len,
        dropout_rate=args.dropout,
        loss="softmax",
        lr=args.lr,
        batch_size=args.batch,
        epochs=args.epochs,
        deterministic=True,
        verbose=0,
        get_trainer_func=make_trainer,
        recommend_torch_device="cpu",
    )
    dataset = Dataset.construct(interactions)
    start = time.perf_counter()
    model.fit(dataset)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    recommendations = model.recommend(
        users=test_items[Columns.User].to_numpy(),
        dataset=dataset,
        k=10,
        filter_viewed=True,
    )
    recommend_s = time.perf_counter() - start
    hr, ndcg = ranking_metrics(recommendations, test_items)
    # fit trains a deep copy of the trainer, callbacks included.
    (timer,) = [c for c in model.fit_trainer.callbacks if isinstance(c, EpochTimer)]
    epochs = len(timer.seconds)
    per_epoch = float(np.mean(timer.seconds)) if epochs else float("nan")

    print(
        f"Leave-last-out by timestamp, MovieLens 100K ({len(test)} test items, "
        f"{len(train)} training interactions), full ranking of the items not seen "
        f"in training; RecTools SASRecModel(loss='softmax', n_factors={args.factors}, "
        f"n_blocks={args.blocks}, n_heads={args.heads}, "
        f"session_max_len={args.max_len}, dropout_rate={args.dropout}, lr={args.lr}, "
        f"batch_size={args.batch}), {args.epochs} epochs on the CPU, "
        f"{args.threads} torch thread(s), seed {args.seed}\n"
    )
    rows = [
        (
            "RecTools SASRecModel softmax",
            f"{hr:.4f}",
            f"{ndcg:.4f}",
            f"{fit_s:.1f}",
            epochs,
            f"{per_epoch:.2f}",
            f"{recommend_s:.1f}",
        )
    ]
    if args.ours:
        our_ndcg, our_hr, our_per_epoch = args.ours
        rows.append(
            (
                "ours (--ours, bench_sequential.py)",
                f"{our_hr:.4f}",
                f"{our_ndcg:.4f}",
                "-",
                "-",
                f"{our_per_epoch:.2f}",
                "-",
            )
        )
    print_table(
        [
            "model",
            "HR@10 (full)",
            "NDCG@10 (full)",
            "fit s",
            "epochs",
            "s/epoch",
            "recommend s",
        ],
        rows,
    )
    if args.ours:
        print(
            f"\nours / RecTools: NDCG@10 {our_ndcg / ndcg:.3f}, HR@10 "
            f"{our_hr / hr:.3f}, time per epoch {our_per_epoch / per_epoch:.3f}"
            if ndcg > 0 and hr > 0
            else "\nRecTools scored 0: no ratio"
        )
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
