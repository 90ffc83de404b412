"""Top-N lists of every recommender, side by side with implicit's, on full ranking.

MovieLens 100K, the five canonical folds. Each model is fitted on ``uN.base``
with its default parameters (rating models on the ratings, implicit-feedback
models on the interactions alone) and ranks *every* item the user did not
rate in training; relevant items are the ``uN.test`` items rated >= 4.
Printed per model, averaged over the folds: NDCG@10 (and its value on each
fold), recall@10, catalogue coverage of the top-10 lists, novelty (mean
self-information, bits), the share of users whose list shares 9 of its 10
items with another user's ("near-identical"), fit seconds, and the RMSE of
``predict`` for the models fitted on ratings; then the ratio best-of-package
/ best-of-implicit.

implicit's models, in the same run and on the same matrices (one thread):
``AlternatingLeastSquares(factors=64, iterations=15)`` with the best of
``regularization`` 0.05 / 1 / 10 on each fold (chosen on the test fold, which
only favours the reference), ``BayesianPersonalizedRanking(factors=64,
iterations=100)``, ``CosineRecommender(K=100)`` and ``BM25Recommender(K=100)``.

Options: ``--models EASE NeuralCF`` (only these), ``--folds 1 2`` (a subset),
``--neural`` (also NeuralCF, TwoTowerRetriever and SequentialRecommender:
SASRec's 200 epochs are most of its time),
``--tune-ease`` (EASE's ``alpha`` on inner 80/20 splits of the training folds,
never the test folds), ``--ease-scale`` (EASE fit time on a 10,000-item
catalogue next to the float64 ``numpy.linalg.inv`` reference).

    python benchmarks/bench_topn.py
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402

from _common import command_line, parse_args, print_table, timed  # noqa: E402
from sklearn_attnrec import (  # noqa: E402
    EASE,
    BaselineRegressor,
    BPRRecommender,
    ContentBasedRecommender,
    ItemKNNRecommender,
    ItemKNNRegressor,
    MatrixFactorization,
    NeuralCF,
    PopularityRecommender,
    SequentialRecommender,
    TwoTowerRetriever,
    UserKNNRegressor,
    fetch_movielens,
    make_ranking_scorer,
    train_test_split_interactions,
)
from sklearn_attnrec.base import RecommenderMixin  # noqa: E402
from sklearn_attnrec.metrics import (  # noqa: E402
    catalog_coverage,
    near_duplicate_list_share,
    novelty,
)
from sklearn_attnrec.utils._topk import topk_indices  # noqa: E402
from sklearn_attnrec.utils._vocabulary import encode_ids  # noqa: E402

K = 10
NDCG = make_ranking_scorer("ndcg", k=K, threshold=4)
RECALL = make_ranking_scorer("recall", k=K, threshold=4)


# -- the models ------------------------------------------------------------------


def content_model():
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer

    return ContentBasedRecommender(
        features=ColumnTransformer(
            [
                ("genres", "passthrough", list(range(19))),
                ("title", TfidfVectorizer(), 19),
            ]
        )
    )


def our_models(neural):
    """name -> (factory, input): "ratings" (X, y), "interactions" (X only),
    "content" (X with the movie features), "sequences" (X with timestamps)."""
    models = {
        "PopularityRecommender": (PopularityRecommender, "interactions"),
        "BaselineRegressor": (BaselineRegressor, "ratings"),
        "MatrixFactorization (als)": (
            lambda: MatrixFactorization(random_state=0),
            "ratings",
        ),
        "MatrixFactorization (sgd)": (
            lambda: MatrixFactorization(solver="sgd", random_state=0),
            "ratings",
        ),
        "MatrixFactorization (implicit)": (
            lambda: MatrixFactorization(feedback="implicit", random_state=0),
            "interactions",
        ),
        "BPRRecommender": (lambda: BPRRecommender(random_state=0), "interactions"),
        "UserKNNRegressor": (UserKNNRegressor, "ratings"),
        "ItemKNNRegressor": (ItemKNNRegressor, "ratings"),
        "ItemKNNRecommender": (ItemKNNRecommender, "interactions"),
        "EASE": (EASE, "interactions"),
        "ContentBasedRecommender": (content_model, "content"),
    }
    if neural:
        models.update(
            {
                "NeuralCF": (lambda: NeuralCF(random_state=0), "interactions"),
                "NeuralCF (explicit)": (
                    lambda: NeuralCF(feedback="explicit", random_state=0),
                    "ratings",
                ),
                "TwoTowerRetriever": (
                    lambda: TwoTowerRetriever(random_state=0),
                    "interactions",
                ),
                "SequentialRecommender": (
                    lambda: SequentialRecommender(random_state=0),
                    "sequences",
                ),
            }
        )
    return models


class ImplicitAdapter(RecommenderMixin, BaseEstimator):
    """One of implicit's models, fitted on our encoding of the same training
    rows, ranked by our scorer: factors (``user_factors @ item_factors.T``) or
    item-item similarities (``user_items @ similarity``)."""

    def __init__(self, model=None, handle_unknown="fallback"):
        self.model = model
        self.handle_unknown = handle_unknown

    def fit(self, X, y=None):
        self._fit_interactions(X, None, y_required=False)
        user_items = self.user_items_.astype(np.float32).tocsr()
        self.model.fit(user_items, show_progress=False)
        if hasattr(self.model, "similarity"):
            self.similarity_ = sp.csr_matrix(self.model.similarity)
        else:
            self.user_vectors_ = np.asarray(self.model.user_factors)
            self.item_vectors_ = np.asarray(self.model.item_factors)
        return self

    def _score_items(self, users):
        known = users >= 0
        if hasattr(self, "similarity_"):
            scores = np.zeros((len(users), len(self.item_ids_)))
            scores[known] = (
                self.user_items_[users[known]] @ self.similarity_
            ).toarray()
            return scores
        vectors = np.where(known[:, None], self.user_vectors_[np.maximum(users, 0)], 0)
        return vectors @ self.item_vectors_.T


def implicit_models():
    try:
        from implicit.als import AlternatingLeastSquares
        from implicit.bpr import BayesianPersonalizedRanking
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender
    except ImportError:
        print("implicit not installed: pip install -e '.[bench]'\n")
        return {}
    models = {
        f"implicit ALS (regularization={reg})": lambda reg=reg: AlternatingLeastSquares(
            factors=64, regularization=reg, iterations=15, num_threads=1, random_state=0
        )
        for reg in (0.05, 1.0, 10.0)
    }
    models["implicit BPR"] = lambda: BayesianPersonalizedRanking(
        factors=64, iterations=100, num_threads=1, random_state=0
    )
    models["implicit CosineRecommender"] = lambda: CosineRecommender(K=100)
    models["implicit BM25Recommender"] = lambda: BM25Recommender(K=100)
    return {
        name: (lambda f=f: ImplicitAdapter(f()), "interactions")
        for name, f in models.items()
    }


# -- the lists ---------------------------------------------------------------------


def top_lists(model, users):
    """Top-K item indices of each user (training items left out)."""
    index = encode_ids(users, model.user_ids_)
    lists = []
    for start in range(0, len(index), 512):
        scores = model._ranking_scores(index[start : start + 512], True)
        lists.append(topk_indices(scores, K))
    return np.vstack(lists)


def list_metrics(model, users):
    """Coverage, novelty and the share of near-identical lists (>= 9 of 10
    items shared with another user's list) of the top-K lists."""
    lists = top_lists(model, users)
    R = model.user_items_
    popularity = np.bincount(R.indices, minlength=R.shape[1]) / R.shape[0]
    return (
        catalog_coverage(lists, R.shape[1]),
        novelty(lists, popularity),
        near_duplicate_list_share(lists, threshold=0.9),
    )


def inputs(data, frame):
    X, y = data.data, data.target
    return {
        "ratings": (X, y),
        "interactions": (X, None),
        "content": (frame, y),
        "sequences": (np.column_stack([X, data.timestamps]), None),
    }


def movie_frame(data):
    """[user, item, 19 genre flags, title] per rating, as an object array."""
    movies = data["items"]
    row = encode_ids(data.data[:, 1], movies.item_id)
    frame = np.empty((len(data.data), 22), dtype=object)
    frame[:, :2] = data.data
    frame[:, 2:21] = movies.genres[row]
    frame[:, 21] = movies.title[row]
    return frame


def evaluate(models, data, folds):
    X, y = data.data, data.target
    frame = movie_frame(data)
    sources = inputs(data, frame)
    results = {}
    for name, (make, kind) in models.items():
        runs = []
        for fold in folds:
            train, test = data.folds[fold]
            X_in, y_in = sources[kind]
            X_train = X_in[train]
            y_train = None if y_in is None else y_in[train]
            model, fit_s = timed(make().fit, X_train, y_train)
            X_test = X_in[test]
            users = np.unique(X[test, 0])
            # RMSE of predict, for the models fitted on ratings.
            error = np.nan
            if kind == "ratings":
                error = np.sqrt(np.mean((model.predict(X_test) - y[test]) ** 2))
            runs.append(
                (
                    NDCG(model, X_test, y[test]),
                    RECALL(model, X_test, y[test]),
                    *list_metrics(model, users),
                    fit_s,
                    error,
                )
            )
        results[name] = np.array(runs)
        row = results[name].mean(axis=0)
        print(f"  {name}: NDCG@10 {row[0]:.4f}, fit {row[5]:.2f} s/fold", flush=True)
    return results


def report(results, folds):
    implicit_als = [n for n in results if n.startswith("implicit ALS")]
    if implicit_als:  # the best regularisation on each fold
        stacked = np.stack([results[n] for n in implicit_als])
        best = stacked[:, :, 0].argmax(axis=0)
        results["implicit ALS (best regularization per fold)"] = stacked[
            best, np.arange(stacked.shape[1])
        ]
    popularity = results["PopularityRecommender"][:, 0]
    rows = []
    for name, runs in results.items():
        mean = runs.mean(axis=0)
        rows.append(
            (
                name,
                f"{mean[0]:.4f}",
                " ".join(f"{v:.4f}" for v in runs[:, 0]),
                "yes" if np.all(runs[:, 0] >= popularity) else "NO",
                f"{mean[1]:.4f}",
                f"{mean[2]:.3f}",
                f"{mean[3]:.2f}",
                f"{mean[4]:.3f}",
                f"{mean[5]:.2f}",
                "-" if np.isnan(mean[6]) else f"{mean[6]:.4f}",
            )
        )
    print_table(
        [
            "model (defaults)",
            "NDCG@10",
            "per fold " + " ".join(f"u{f + 1}" for f in folds),
            ">= pop each fold",
            "recall@10",
            "coverage",
            "novelty",
            "near-identical",
            "fit s",
            "RMSE",
        ],
        rows,
    )
    ours = {
        n: r[:, 0].mean() for n, r in results.items() if not n.startswith("implicit")
    }
    theirs = {n: r[:, 0].mean() for n, r in results.items() if n.startswith("implicit")}
    if theirs:
        best_ours = max(ours, key=ours.get)
        best_theirs = max(theirs, key=theirs.get)
        print(
            f"\nbest of the package: {best_ours} {ours[best_ours]:.4f}; best of "
            f"implicit: {best_theirs} {theirs[best_theirs]:.4f}; ratio "
            f"{ours[best_ours] / theirs[best_theirs]:.3f}"
        )


def tune_ease(data):
    """EASE's alpha on inner 80/20 splits of each training fold."""
    X, y = data.data, data.target
    alphas = (100.0, 250.0, 500.0, 1000.0, 2000.0)
    scores = np.zeros((len(data.folds), len(alphas)))
    for fold, (train, _) in enumerate(data.folds):
        X_in, X_val, _, y_val = train_test_split_interactions(
            X[train], y[train], test_size=0.2, random_state=fold
        )
        for j, alpha in enumerate(alphas):
            scores[fold, j] = NDCG(EASE(alpha=alpha).fit(X_in), X_val, y_val)
    print_table(
        ["alpha", "mean inner NDCG@10"] + [f"inner u{f + 1}" for f in range(5)],
        [
            (alpha, f"{scores[:, j].mean():.4f}", *(f"{v:.4f}" for v in scores[:, j]))
            for j, alpha in enumerate(alphas)
        ],
    )


def ease_scale():
    """EASE on a 10,000-item catalogue vs the float64 numpy.linalg.inv recipe."""
    rng = np.random.default_rng(0)
    n_users, n_items = 50_000, 10_000
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    items = rng.choice(n_items, 1_000_000, p=popularity / popularity.sum())
    users = rng.integers(0, n_users, len(items))
    X = np.column_stack([users, items])
    model, ours = timed(EASE(alpha=500.0).fit, X)
    print(f"EASE fit, {len(model.item_ids_):,} items, one thread: {ours:.1f} s")
    R = model.user_items_
    start = time.perf_counter()
    G = (R.T @ R).toarray() + 500.0 * np.eye(R.shape[1])
    P = np.linalg.inv(G)
    B = -P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    theirs = time.perf_counter() - start
    print(f"numpy reference (float64 inv), one thread: {theirs:.1f} s")
    print(
        f"ratio reference/ours: {theirs / ours:.1f}x; max |B - coef_| "
        f"{np.abs(B - model.coef_).max():.2e}"
    )


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--folds": {"type": int, "nargs": "+", "default": [1, 2, 3, 4, 5]},
            "--neural": {"action": "store_true", "help": "also the torch models"},
            "--models": {"nargs": "+", "help": "only these (names as printed)"},
            "--no-implicit": {"action": "store_true", "help": "skip implicit"},
            "--tune-ease": {"action": "store_true", "help": "EASE alpha, inner splits"},
            "--ease-scale": {"action": "store_true", "help": "EASE on 10,000 items"},
        },
    )
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    if args.tune_ease:
        tune_ease(data)
    elif args.ease_scale:
        ease_scale()
    else:
        import torch

        torch.set_num_threads(1)
        folds = [f - 1 for f in args.folds]
        models = our_models(args.neural)
        if not args.no_implicit:
            models.update(implicit_models())
        if args.models:
            models = {name: models[name] for name in args.models}
        report(evaluate(models, data, folds), folds)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
