"""MovieLens-20M scale on one machine: time and peak memory of the big fits.

A synthetic, popularity-skewed rating matrix of MovieLens-20M's size (140,000
users x 27,000 items, 20,000,000 ratings; Zipf(1) item popularity, lognormal
user activity; ``_common.skewed_ratings``) is written once to a temporary folder.
Each model then runs in a fresh process, so that its peak resident memory
(``ru_maxrss``) is its own: explicit ALS ``MatrixFactorization``, implicit ALS
``MatrixFactorization`` and ``ItemKNNRegressor(n_neighbors=50)``. Prints fit
time, peak memory of the process (data included) and its memory before the fit,
the size of the fitted model, and the RMSE on 200,000 held-out ratings for the
rating predictors (next to the global mean's). Factors are float32 throughout;
the interactions stay sparse (CSR), never densified.

    flock /tmp/attnrec-bench.lock python benchmarks/bench_scale.py
    python benchmarks/bench_scale.py --users 14000 --items 2700 --ratings 2000000
"""

import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import command_line, parse_args, print_table, rmse, skewed_ratings
from sklearn_attnrec import ItemKNNRegressor, MatrixFactorization

MODELS = {
    "als-explicit": (
        "MatrixFactorization(solver='als', n_components=64, max_iter=10)",
        lambda: MatrixFactorization(solver="als", n_components=64, max_iter=10),
    ),
    "als-implicit": (
        "MatrixFactorization(feedback='implicit', n_components=64, max_iter=15)",
        lambda: MatrixFactorization(feedback="implicit", n_components=64, max_iter=15),
    ),
    "itemknn": (
        "ItemKNNRegressor(n_neighbors=50)",
        lambda: ItemKNNRegressor(n_neighbors=50),
    ),
}
N_HELD_OUT = 200_000


def _peak_rss_gib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def child(name, folder, threads):
    """Fit one model on the saved data; print one JSON line of figures."""
    import torch

    torch.set_num_threads(threads)
    X = np.load(folder / "X.npy")
    y = np.load(folder / "y.npy")
    train, test = slice(N_HELD_OUT, None), slice(0, N_HELD_OUT)
    label, make = MODELS[name]
    model = make()
    before = _peak_rss_gib()
    start = time.perf_counter()
    model.fit(X[train], y[train])
    fit_s = time.perf_counter() - start
    result = dict(
        model=label,
        fit_s=fit_s,
        peak_gib=_peak_rss_gib(),
        before_gib=before,
        model_mib=len(pickle.dumps(model)) / 2**20,
    )
    if name != "als-implicit":
        result["rmse"] = rmse(y[test], model.predict(X[test]))
    print(json.dumps(result))


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--users": dict(type=int, default=140_000),
            "--items": dict(type=int, default=27_000),
            "--ratings": dict(type=int, default=20_000_000),
            "--models": dict(nargs="+", default=list(MODELS), choices=list(MODELS)),
            "--threads": dict(type=int, default=2, help="torch threads"),
            "--child": dict(help="internal: fit one model"),
            "--folder": dict(help="internal: where the data is"),
        },
    )
    if args.child:
        child(args.child, Path(args.folder), args.threads)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        X, y = skewed_ratings(args.users, args.items, args.ratings)
        gen_s = time.perf_counter() - start
        np.save(folder / "X.npy", X)
        np.save(folder / "y.npy", y)
        print(
            f"{len(np.unique(X[:, 0])):,} users x {len(np.unique(X[:, 1])):,} items, "
            f"{len(y):,} ratings (density {len(y) / args.users / args.items:.2%}), "
            f"generated in {gen_s:.0f} s; the first {N_HELD_OUT:,} are held out. "
            f"Global-mean RMSE on them: "
            f"{rmse(y[:N_HELD_OUT], np.full(N_HELD_OUT, y[N_HELD_OUT:].mean())):.4f}"
        )
        del X, y
        rows = []
        for name in args.models:
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, "--folder", tmp]
                + ["--threads", str(args.threads)],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(
                (
                    r["model"],
                    f"{r['fit_s']:.1f}",
                    f"{r['peak_gib']:.2f}",
                    f"{r['before_gib']:.2f}",
                    f"{r['model_mib']:.0f}",
                    f"{r['rmse']:.4f}" if "rmse" in r else "-",
                )
            )
            print(f"  {r['model']}: fit {r['fit_s']:.1f} s", flush=True)
    print()
    print_table(
        [
            "model",
            "fit s",
            "peak RSS GiB",
            "RSS before fit GiB",
            "pickled MiB",
            "held-out RMSE",
        ],
        rows,
    )
    print(f"\n{args.threads} torch threads; command: {command_line()}")


if __name__ == "__main__":
    main()
