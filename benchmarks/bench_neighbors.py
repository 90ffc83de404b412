"""Neighbourhood CF and content-based filtering vs Surprise, and a scale run.

Default run, MovieLens 100K:

- RMSE/MAE on the five canonical folds, fit and predict time per fold, for
  ``UserKNNRegressor`` and ``ItemKNNRegressor`` (defaults, k=40, and the lecture's
  mean-centred formula) next to Surprise's ``KNNWithMeans`` (user- and item-based,
  same k, its default MSD similarity) and ``KNNBaseline`` (item-based,
  pearson_baseline), in the same run, with the ratios ours/Surprise;
- NDCG@10 and recall@10 on fold u1 (relevant: test rating >= 4; every item the
  user did not rate in training is ranked) for both KNN models,
  ``ContentBasedRecommender`` on the genres and title words of ``u.item``, and
  ``PopularityRecommender``.

``--scale``: a synthetic, popularity-skewed matrix of 200,000 users x 50,000 items
with 5,000,000 ratings; fits ``ItemKNNRegressor(n_neighbors=50)`` and prints the
wall time and peak memory.

Everything runs on one core (the BLAS/OpenMP thread counts are set to 1 before
numpy is imported). The defaults of the KNN models were chosen on inner 80/20
splits of the training parts of the folds, never on their test parts.

    python benchmarks/bench_neighbors.py
    python benchmarks/bench_neighbors.py --scale
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from _common import (  # noqa: E402
    command_line,
    mae,
    parse_args,
    print_table,
    rmse,
    skewed_ratings,
    timed,
)
from sklearn_attnrec import (  # noqa: E402
    ContentBasedRecommender,
    ItemKNNRegressor,
    PopularityRecommender,
    UserKNNRegressor,
    fetch_movielens,
    make_ranking_scorer,
)

K = 40


def _ours():
    return {
        "ours UserKNN (defaults, k=40)": lambda: UserKNNRegressor(n_neighbors=K),
        "ours UserKNN (pearson, center=True)": lambda: UserKNNRegressor(
            n_neighbors=K, metric="pearson", center=True, min_similarity=0.0
        ),
        "ours ItemKNN (defaults, k=40)": lambda: ItemKNNRegressor(n_neighbors=K),
        "ours ItemKNN (centered_cosine, center=True)": lambda: ItemKNNRegressor(
            n_neighbors=K, center=True, min_similarity=0.0
        ),
    }


def _surprise():
    try:
        from surprise import KNNBaseline, KNNWithMeans
    except ImportError:  # the bench extra is not installed
        print("scikit-surprise not installed: pip install -e '.[bench]'\n")
        return {}
    return {
        "Surprise KNNWithMeans user (msd)": lambda: KNNWithMeans(
            k=K, sim_options={"user_based": True}, verbose=False
        ),
        "Surprise KNNWithMeans item (msd)": lambda: KNNWithMeans(
            k=K, sim_options={"user_based": False}, verbose=False
        ),
        "Surprise KNNBaseline item (pearson_baseline)": lambda: KNNBaseline(
            k=K,
            sim_options={"user_based": False, "name": "pearson_baseline"},
            verbose=False,
        ),
    }


def _run_surprise(make, X, y, train, test):
    import pandas as pd
    from surprise import Dataset, Reader

    frame = pd.DataFrame({"u": X[train, 0], "i": X[train, 1], "r": y[train]})
    trainset = Dataset.load_from_df(frame, Reader(rating_scale=(1, 5)))
    trainset = trainset.build_full_trainset()
    algo = make()
    _, fit_s = timed(algo.fit, trainset)
    testset = list(zip(X[test, 0], X[test, 1], y[test]))
    predictions, pred_s = timed(algo.test, testset)
    return np.array([p.est for p in predictions]), fit_s, pred_s


def _fold_result(y_true, pred, fit_s, pred_s):
    return rmse(y_true, pred), mae(y_true, pred), fit_s, pred_s


def rating_benchmark(data):
    X, y = data.data, data.target
    ours, theirs = _ours(), _surprise()
    results = {name: [] for name in [*ours, *theirs]}
    for train, test in data.folds:
        for name, make in ours.items():
            model, fit_s = timed(make().fit, X[train], y[train])
            pred, pred_s = timed(model.predict, X[test])
            results[name].append(_fold_result(y[test], pred, fit_s, pred_s))
        for name, make in theirs.items():
            pred, fit_s, pred_s = _run_surprise(make, X, y, train, test)
            results[name].append(_fold_result(y[test], pred, fit_s, pred_s))
    rows = []
    for name, folds in results.items():
        a = np.array(folds)
        rows.append(
            (
                name,
                *(f"{v:.4f}" for v in a[:, 0]),
                f"{a[:, 0].mean():.4f}",
                f"{a[:, 1].mean():.4f}",
                f"{a[:, 2].mean() * 1000:.0f}",
                f"{a[:, 3].mean() * 1000:.0f}",
                f"{(a[:, 2] + a[:, 3]).mean() * 1000:.0f}",
            )
        )
    print("MovieLens 100K, five canonical folds (k=40 everywhere)\n")
    header = ["model", "RMSE u1", "u2", "u3", "u4", "u5", "mean RMSE", "mean MAE"]
    print_table([*header, "fit ms", "predict ms", "fit+predict ms"], rows)
    if theirs:
        print()
        user, item = "ours UserKNN (defaults, k=40)", "ours ItemKNN (defaults, k=40)"
        pairs = [
            (user, "Surprise KNNWithMeans user (msd)"),
            (item, "Surprise KNNWithMeans item (msd)"),
            (item, "Surprise KNNBaseline item (pearson_baseline)"),
        ]
        for mine, ref in pairs:
            a, b = np.array(results[mine]), np.array(results[ref])
            time_ratio = (a[:, 2] + a[:, 3]).mean() / (b[:, 2] + b[:, 3]).mean()
            print(
                f"{mine} / {ref}: RMSE ratio {a[:, 0].mean() / b[:, 0].mean():.4f}, "
                f"fit+predict time ratio {time_ratio:.2f}"
            )


def _movie_features(data):
    """Interaction rows joined to the movies' genres and titles (a DataFrame)."""
    import pandas as pd

    movies = data["items"]
    genres = [str(g) for g in movies.genre_names]
    table = pd.DataFrame(movies.genres, columns=genres, index=movies.item_id)
    table["title"] = movies.title
    frame = pd.DataFrame({"user": data.data[:, 0], "item": data.data[:, 1]})
    return frame.join(table, on="item"), genres


def ranking_benchmark(data):
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    X, y = data.data, data.target
    frame, genres = _movie_features(data)
    train, test = data.folds[0]
    features = ColumnTransformer(
        [("genres", "passthrough", genres), ("title", TfidfVectorizer(), "title")]
    )
    models = {
        "PopularityRecommender": (PopularityRecommender(), X),
        "UserKNNRegressor (defaults)": (UserKNNRegressor(), X),
        "ItemKNNRegressor (defaults)": (ItemKNNRegressor(), X),
        "ContentBasedRecommender (genres + title tf-idf)": (
            ContentBasedRecommender(features=features),
            frame,
        ),
    }
    scorers = {
        "NDCG@10": make_ranking_scorer("ndcg", k=10, threshold=4),
        "recall@10": make_ranking_scorer("recall", k=10, threshold=4),
    }
    rows = []
    for name, (model, data_X) in models.items():
        X_train = data_X.iloc[train] if hasattr(data_X, "iloc") else data_X[train]
        X_test = data_X.iloc[test] if hasattr(data_X, "iloc") else data_X[test]
        model.fit(X_train, y[train])
        start = time.perf_counter()
        values = [f"{s(model, X_test, y[test]):.4f}" for s in scorers.values()]
        rows.append((name, *values, f"{time.perf_counter() - start:.2f}"))
    print(
        "\nRanking on fold u1 (relevant: test rating >= 4; all items the user did "
        "not rate in training ranked)\n"
    )
    print_table(["model", *scorers, "scoring s"], rows)


def scale_benchmark(n_users=200_000, n_items=50_000, n_ratings=5_000_000):
    X, y = skewed_ratings(n_users, n_items, n_ratings)
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(
        f"synthetic ratings: {len(np.unique(X[:, 0]))} users x "
        f"{len(np.unique(X[:, 1]))} items, {len(y)} ratings "
        "(Zipf(1) item popularity, lognormal user activity)"
    )
    tracemalloc.start()
    start = time.perf_counter()
    model = ItemKNNRegressor(n_neighbors=50).fit(X, y)
    fit_s = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    S = model.similarity_
    print(f"ItemKNNRegressor(n_neighbors=50).fit: {fit_s:.1f} s wall")
    print(f"peak memory allocated during fit (tracemalloc): {peak / 2**30:.2f} GiB")
    print(
        f"peak resident memory of the process (data included): {rss:.2f} GiB "
        f"(after generating the data: {rss_data:.2f} GiB)"
    )
    print(
        f"similarity_: {S.nnz} stored neighbours "
        f"({S.nnz / S.shape[0]:.0f} per item, n_candidates={model.n_candidates})"
    )
    test = X[:100_000]
    _, pred_s = timed(model.predict, test)
    print(f"predict 100,000 pairs: {pred_s:.2f} s")
    _, rec_s = timed(model.recommend, model.user_ids_[:1000], 10)
    print(f"recommend top-10 for 1,000 users: {rec_s:.2f} s")


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--scale": dict(
                action="store_true",
                help="run the 200k x 50k x 5M scale benchmark instead",
            )
        },
    )
    if args.scale:
        scale_benchmark()
    else:
        data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
        rating_benchmark(data)
        ranking_benchmark(data)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
