"""ItemKNNRecommender vs the ``implicit`` library's item-item models (implicit data).

Default run, MovieLens 100K, the five canonical folds, every training rating an
interaction (``y=None``): ``ItemKNNRecommender(weighting=...)`` with
``"cosine"``, ``"tfidf"`` and ``"bm25"`` (``bm25_b=0.75`` here) next to ``implicit``'s
``CosineRecommender``, ``TFIDFRecommender`` and ``BM25Recommender`` (same
``K=100``, same BM25 ``K1=1.2``, ``B=0.75``), fitted on the same encoded
matrix (``user_items_`` of our model) and ranked by the same scorer through
an adapter (scores ``user_items @ similarity``), and our default
(``bm25_b=0.4``, chosen on inner splits). NDCG@10 and recall@10
(relevant: test rating >= 4; every item the user did not have in training
is ranked), fit time, and the ratios ours/implicit.

``--inner``: the figures that chose the defaults, NDCG@10 on inner 80/20
splits of the *training* parts of the five folds
(``train_test_split_interactions(X[train], y[train], test_size=0.2,
random_state=fold)``), never on their test parts: the four weightings,
BM25's ``b`` and ``k1``, ``n_neighbors``.

Everything runs on one core (the BLAS/OpenMP thread counts are set to 1 before
numpy is imported; ``implicit`` gets ``num_threads=1``). Fit times: ours from
raw ``[user, item]`` rows (id encoding included), ``implicit``'s from the
already encoded CSR matrix.

    python benchmarks/bench_item_knn_implicit.py
    python benchmarks/bench_item_knn_implicit.py --inner
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402

from _common import command_line, parse_args, print_table, timed  # noqa: E402
from sklearn_attnrec import (  # noqa: E402
    ItemKNNRecommender,
    fetch_movielens,
    make_ranking_scorer,
    train_test_split_interactions,
)
from sklearn_attnrec.base import RecommenderMixin  # noqa: E402

K = 100
WEIGHTINGS = ("cosine", "tfidf", "bm25")
SCORERS = {
    "NDCG@10": make_ranking_scorer("ndcg", k=10, threshold=4),
    "recall@10": make_ranking_scorer("recall", k=10, threshold=4),
}


class FixedSimilarity(RecommenderMixin, BaseEstimator):
    """Adapter: another library's item-item similarity, scored by our scorer
    on the users and items of the training data (``user_items @ S``)."""

    def __init__(self, handle_unknown="fallback"):
        self.handle_unknown = handle_unknown

    def fit(self, X, similarity):
        self._fit_interactions(X, None, y_required=False)
        self.similarity_ = sp.csr_matrix(similarity, dtype=np.float64)
        return self

    def _score_items(self, users):
        return (self.user_items_[users] @ self.similarity_).toarray()


def _implicit_models():
    try:
        from implicit.nearest_neighbours import (
            BM25Recommender,
            CosineRecommender,
            TFIDFRecommender,
        )
    except ImportError:  # the bench extra is not installed
        print("implicit not installed: pip install implicit\n")
        return {}
    return {
        "cosine": lambda: CosineRecommender(K=K, num_threads=1),
        "tfidf": lambda: TFIDFRecommender(K=K, num_threads=1),
        "bm25": lambda: BM25Recommender(K=K, K1=1.2, B=0.75, num_threads=1),
    }


def _scores(model, X_test, y_test):
    return [scorer(model, X_test, y_test) for scorer in SCORERS.values()]


def comparison(data):
    X, y = data.data, data.target
    theirs = _implicit_models()
    names = ["ours default (bm25, b=0.4)"]
    names += [f"ours {w}" for w in WEIGHTINGS] + [f"implicit {w}" for w in theirs]
    results = {name: [] for name in names}  # per fold: ndcg, recall, fit s
    for train, test in data.folds:
        model, fit_s = timed(ItemKNNRecommender().fit, X[train])
        results["ours default (bm25, b=0.4)"].append(
            [*_scores(model, X[test], y[test]), fit_s]
        )
        for weighting in WEIGHTINGS:
            model = ItemKNNRecommender(
                n_neighbors=K, weighting=weighting, bm25_k1=1.2, bm25_b=0.75
            )
            model, fit_s = timed(model.fit, X[train])
            results[f"ours {weighting}"].append(
                [*_scores(model, X[test], y[test]), fit_s]
            )
            if weighting not in theirs:
                continue
            # implicit 0.7 takes the user x item matrix, float64 (it warns
            # that its own weighting functions hand it a COO matrix).
            user_items = model.user_items_.astype(np.float64)
            reference = theirs[weighting]()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, fit_s = timed(reference.fit, user_items, show_progress=False)
            adapter = FixedSimilarity().fit(X[train], reference.similarity)
            results[f"implicit {weighting}"].append(
                [*_scores(adapter, X[test], y[test]), fit_s]
            )
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
            )
        )
    print(
        f"MovieLens 100K, five canonical folds, implicit feedback (y=None), K={K}; "
        "relevant: test rating >= 4\n"
    )
    header = ["model", "NDCG@10 u1", "u2", "u3", "u4", "u5"]
    print_table([*header, "mean NDCG@10", "mean recall@10", "fit ms"], rows)
    if theirs:
        print()
        for weighting in WEIGHTINGS:
            a = np.array(results[f"ours {weighting}"])
            b = np.array(results[f"implicit {weighting}"])
            ratio = a[:, 0].mean() / b[:, 0].mean()
            print(
                f"ours/implicit {weighting}: NDCG@10 {ratio:.4f}"
                f" (max |diff| per fold {np.abs(a[:, 0] - b[:, 0]).max():.4f}), "
                f"recall@10 {a[:, 1].mean() / b[:, 1].mean():.4f}, "
                f"fit time {a[:, 2].mean() / b[:, 2].mean():.2f}"
            )


# For binary values (y=None) BM25 weights an item's interactions by
# (k1 + 1) / (k1 (1 - b + b L_i / mean L) + 1), proportional to
# 1 / (1 + c L_i / mean L) with c = k1 b / (1 + k1 (1 - b)): k1 and b act
# through c alone, so b is searched at implicit's k1 and k1 only checked.
INNER_CONFIGS = {
    "bm25 (default: k1=1.2, b=0.4)": dict(weighting="bm25"),
    "bm25 implicit's (k1=1.2, b=0.75)": dict(weighting="bm25", bm25_b=0.75),
    "tfidf": dict(weighting="tfidf"),
    "cosine": dict(weighting="cosine"),
    "None": dict(weighting=None),
    **{
        f"bm25 b={b}": dict(weighting="bm25", bm25_b=b)
        for b in (0.0, 0.2, 0.3, 0.5, 1.0)
    },
    **{f"bm25 k1={k1}": dict(weighting="bm25", bm25_k1=k1) for k1 in (0.6, 2.0)},
    **{
        f"bm25 n_neighbors={k}": dict(weighting="bm25", n_neighbors=k)
        for k in (50, 200)
    },
}


def inner_splits(data):
    X, y = data.data, data.target
    ndcg = SCORERS["NDCG@10"]
    results = {name: [] for name in INNER_CONFIGS}
    for fold, (train, _) in enumerate(data.folds):
        X_fit, X_val, _, y_val = train_test_split_interactions(
            X[train], y[train], test_size=0.2, random_state=fold
        )
        for name, params in INNER_CONFIGS.items():
            model = ItemKNNRecommender(**{"n_neighbors": K, **params}).fit(X_fit)
            results[name].append(ndcg(model, X_val, y_val))
    rows = [
        (name, *(f"{v:.4f}" for v in folds), f"{np.mean(folds):.4f}")
        for name, folds in results.items()
    ]
    print(
        "Inner 80/20 splits of the training parts of the MovieLens 100K folds "
        f"(NDCG@10, relevant: rating >= 4; n_neighbors={K} unless stated)\n"
    )
    print_table(["config", "u1", "u2", "u3", "u4", "u5", "mean"], rows)


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--inner": dict(
                action="store_true",
                help="the inner-split figures that chose the defaults instead",
            )
        },
    )
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    if args.inner:
        inner_splits(data)
    else:
        comparison(data)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
