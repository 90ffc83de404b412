"""Top-50 lists for every user of a large model, written out block by block.

For each ``--users`` size, a fresh process builds a fitted
``MatrixFactorization(feedback="implicit", n_components=64)`` over N users x
100,000 items, then streams ``iter_recommendations(n=50, block_size=...)`` and
writes each block of lists to its own file via pandas (Parquet when pyarrow or
fastparquet is installed, else CSV; ``--format npy`` writes the item-id and
score arrays with numpy instead). One thread: ``torch.set_num_threads(1)`` and
threadpoolctl's BLAS limit.

How the model is made (cheap and honest): synthetic implicit feedback with
``--per-user`` (default 3) items per user drawn from a Zipf(1) popularity, plus
one interaction for every item (given to a random user) so that all 100,000
items are in the catalogue; then a real ``fit`` with ``max_iter=1`` (one ALS
sweep over users and items), so the factors are those of a fitted model of
that size. Its accuracy is irrelevant here: ranking costs the same for any
factor values (64-d dot products against all 100,000 items, the user's
training items excluded, then the top 50).

Measured in the child: the wall time of streaming and writing every user's
list (the fit and data generation are timed apart), users per second, the
resident memory with the fitted model just before streaming (training arrays
freed, freed heap returned with ``malloc_trim``), the peak resident memory
while streaming (``VmHWM`` after resetting it through ``/proc/self/clear_refs``,
so the fit's own peak is not counted), how much of it is working memory on
top of the model, how much the peak still grew after the first block was
written, and the peak of the whole process (``ru_maxrss``, fit included).
Flat memory: the streaming peak is the model plus one block's working
memory, reached with the first block, whatever the number of users.

Each size's files go to a temporary folder (``--out DIR`` to choose it),
deleted after the size unless ``--keep``: CSV takes about 1.7 GB per million
users (34 MB per file of 20,000 users), so 10,000,000 users need about 17 GB
of free disk while that size runs.

    flock /tmp/attnrec-bench.lock python benchmarks/bench_recommend_all.py \\
        --users 100000 1000000 10000000
    python benchmarks/bench_recommend_all.py --users 2000 --items 5000  # smoke
"""

import gc
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import command_line, parse_args, print_table


def _status_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def _reset_peak_rss():
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where unavailable."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


def _release_free_memory():
    """Give freed heap memory back to the system (glibc), so that the resident
    size counts the live objects, not what the fit freed."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _parquet_engine():
    for name in ("pyarrow", "fastparquet"):
        try:
            __import__(name)
        except ImportError:
            continue
        return name
    return None


def synthetic_interactions(n_users, n_items, per_user, seed=0):
    """``(user, item)`` rows: ``per_user`` Zipf(1)-popular items per user
    (duplicates dropped), plus every item once for a random user."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_items + 1)
    weight /= weight.sum()
    rank_to_item = rng.permutation(n_items)
    users = np.concatenate(
        [np.repeat(np.arange(n_users), per_user), rng.integers(0, n_users, n_items)]
    )
    items = np.concatenate(
        [rank_to_item[rng.choice(n_items, n_users * per_user, p=weight)], rank_to_item]
    )
    keys = np.unique(users.astype(np.int64) * n_items + items)
    return np.column_stack(np.divmod(keys, n_items))


def fitted_model(n_users, n_items, per_user, factors):
    from sklearn_attnrec import MatrixFactorization

    X = synthetic_interactions(n_users, n_items, per_user)
    model = MatrixFactorization(
        feedback="implicit", n_components=factors, max_iter=1, random_state=0
    )
    start = time.perf_counter()
    model.fit(X)
    return model, len(X), time.perf_counter() - start


def _write(block, path, fmt, engine):
    if fmt == "npy":
        users, item_ids, scores = block
        np.save(path.with_suffix(".items.npy"), item_ids)
        np.save(path.with_suffix(".scores.npy"), scores)
        return len(users)
    if fmt == "parquet":
        block.to_parquet(path.with_suffix(".parquet"), engine=engine, index=False)
    else:
        block.to_csv(path.with_suffix(".csv"), index=False)
    return block["user"].nunique()


def child(args, n_users, out):
    """Fit, stream every user's top-n list to files; print one JSON line."""
    import faulthandler

    import torch
    from threadpoolctl import threadpool_limits

    faulthandler.enable()  # a crash in native code still says where
    torch.set_num_threads(1)
    threadpool_limits(1)
    start = time.perf_counter()
    model, n_rows, fit_s = fitted_model(n_users, args.items, args.per_user, args.k)
    setup_s = time.perf_counter() - start
    _release_free_memory()
    reset = _reset_peak_rss()
    model_kib = _status_kib("VmRSS")
    first_block_peak_kib = None
    engine = _parquet_engine() if args.format == "parquet" else None
    start = time.perf_counter()
    n_done = n_files = 0
    blocks = model.iter_recommendations(
        n=args.n, block_size=args.block_users, as_frame=args.format != "npy"
    )
    for k, block in enumerate(blocks):
        n_done += _write(block, out / f"part-{k:06d}", args.format, engine)
        n_files += 1
        if k == 0 and reset:
            first_block_peak_kib = _status_kib("VmHWM")
    stream_s = time.perf_counter() - start
    written = sum(f.stat().st_size for f in out.iterdir())
    print(
        json.dumps(
            dict(
                users=n_users,
                users_listed=n_done,
                interactions=n_rows,
                setup_s=setup_s,
                fit_s=fit_s,
                stream_s=stream_s,
                files=n_files,
                written_bytes=written,
                model_rss_kib=model_kib,
                first_block_peak_kib=first_block_peak_kib,
                stream_peak_kib=_status_kib("VmHWM") if reset else None,
                process_peak_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            )
        )
    )


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--users": dict(type=int, nargs="+", default=[100_000, 1_000_000]),
            "--items": dict(type=int, default=100_000),
            "--k": dict(type=int, default=64, help="factors (n_components)"),
            "--n": dict(type=int, default=50, help="length of each list"),
            "--per-user": dict(type=int, default=3, help="training items per user"),
            "--block-users": dict(
                type=int, default=20_000, help="users per yielded block and file"
            ),
            "--format": dict(choices=["parquet", "csv", "npy"], default=None),
            "--out": dict(help="folder for the files (default: a temporary one)"),
            "--keep": dict(action="store_true", help="keep the files written"),
            "--child": dict(type=int, help="internal: one size"),
            "--child-out": dict(help="internal: that size's folder"),
        },
    )
    if args.format is None:
        args.format = "parquet" if _parquet_engine() else "csv"
    if args.child:
        child(args, args.child, Path(args.child_out))
        return
    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="top-n-"))
    forwarded = [
        *("--items", str(args.items), "--k", str(args.k), "--n", str(args.n)),
        *("--per-user", str(args.per_user), "--format", args.format),
        *("--block-users", str(args.block_users)),
    ]
    gib = 2**20
    rows = []
    for n_users in args.users:
        out = base / f"users-{n_users}"
        out.mkdir(parents=True, exist_ok=False)
        try:
            done = subprocess.run(
                [sys.executable, os.path.abspath(__file__), *forwarded]
                + ["--child", str(n_users), "--child-out", str(out)],
                capture_output=True,
                text=True,
            )
            if done.returncode:
                code = done.returncode
                if code < 0:
                    code = f"{code} ({signal.Signals(-code).name})"
                sys.exit(
                    f"size {n_users:,} failed, exit code {code}:\n"
                    f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
                )
            r = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)
        assert r["users_listed"] == n_users, r
        peak, first = r["stream_peak_kib"], r["first_block_peak_kib"]
        rows.append(
            (
                f"{n_users:,}",
                f"{r['interactions']:,}",
                f"{r['fit_s']:.1f}",
                f"{r['stream_s']:.1f}",
                f"{n_users / r['stream_s']:,.0f}",
                f"{r['model_rss_kib'] / gib:.2f}",
                "-" if peak is None else f"{peak / gib:.2f}",
                "-" if peak is None else f"{(peak - r['model_rss_kib']) / 2**10:.0f}",
                "-" if first is None else f"{(peak - first) / 2**10:.0f}",
                f"{r['process_peak_kib'] / gib:.2f}",
                f"{r['files']:,}",
                f"{r['written_bytes'] / 2**30:.2f}",
            )
        )
        print(f"  {n_users:,} users: {r['stream_s']:.1f} s", flush=True)
    if not args.keep and not args.out:
        shutil.rmtree(base, ignore_errors=True)
    print()
    print_table(
        [
            "users",
            "train rows",
            "fit s",
            "top-n s",
            "users/s",
            "RSS model GiB",
            "peak RSS top-n GiB",
            "top-n working MiB",
            "growth after 1st block MiB",
            "peak RSS process GiB",
            "files",
            "written GiB",
        ],
        rows,
    )
    print(
        f"\n{args.items:,} items, {args.k} factors, top {args.n}, "
        f"{args.block_users:,} users per block/file, format {args.format}, "
        f"one thread; command: {command_line()}"
    )


if __name__ == "__main__":
    main()
