"""How the top-N defaults of the rating models were chosen: on inner splits only.

``ranking="relevance"`` scores an item by ``consumption · Φ((r̂ − t) / (c σ))``
(see ``sklearn_attnrec/utils/_relevance.py``). This script scores, for each
canonical MovieLens 100K fold, an inner 80/20 split of the fold's *training*
part (``train_test_split_interactions``, seeded by the fold), never its test
part:

- what "liked" is compared with, ``t``: the global mean rating or the user's
  own mean (the package uses the user's mean: better for the baseline and MF,
  a tie for ItemKNN, 0.0015 lower for UserKNN);
- the width ``c`` of the like-probability (0.5, 1, 1.5; the package uses
  ``c = 1``: the z-score of the prediction among the training ratings), for
  BaselineRegressor, MatrixFactorization (ALS, SGD), ItemKNN and UserKNN;
- the weight ``λ`` of the popularity prior next to the neighbourhood evidence of
  the KNN models (0.1, 1, 3, 10, 30; the package uses 3 for ItemKNN, 1 for UserKNN);
- ``--pick``: MatrixFactorization's estimate of picking, ``max(s, 0) ** e`` from
  the preferences ``s`` of its ``pick_model_`` (e = 1, 1.43, 2, 2.86, 5; "s
  alone" ranks by the preference only; the package uses e = 2), next to item
  popularity (the estimate before), with the user's mean and c = 1.

It prints the mean inner NDCG@10 (relevant: rating >= 4, full ranking) per
setting, next to popularity's.

    python benchmarks/tune_ranking_defaults.py
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from scipy.special import ndtr  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402

from _common import command_line, parse_args, print_table  # noqa: E402
from sklearn_attnrec import (  # noqa: E402
    BaselineRegressor,
    ItemKNNRegressor,
    MatrixFactorization,
    PopularityRecommender,
    UserKNNRegressor,
    fetch_movielens,
    make_ranking_scorer,
    train_test_split_interactions,
)
from sklearn_attnrec.base import RecommenderMixin  # noqa: E402
from sklearn_attnrec.utils._interactions import mask_seen  # noqa: E402
from sklearn_attnrec.utils._relevance import item_popularity  # noqa: E402

PICK_EXPONENTS = (1.0, 1.43, 2.0, 2.86, 5.0, "s alone")
WIDTHS = (0.5, 1.0, 1.5)
THRESHOLDS = ("global mean", "user mean")
PRIORS = (0.1, 1.0, 3.0, 10.0, 30.0)
MODELS = {
    "Baseline": BaselineRegressor,
    "MF als": lambda: MatrixFactorization(random_state=0),
    "MF sgd": lambda: MatrixFactorization(solver="sgd", random_state=0),
    "ItemKNN": ItemKNNRegressor,
    "UserKNN": UserKNNRegressor,
}


class _Rescored(RecommenderMixin, BaseEstimator):
    """A fitted rating model ranked by relevance with other constants."""

    def __init__(self, model, width, prior, threshold, pick=None):
        self.model, self.width, self.prior = model, width, prior
        self.threshold, self.pick = threshold, pick
        self.handle_unknown = "fallback"
        self.user_items_ = model.user_items_
        self.user_ids_, self.item_ids_ = model.user_ids_, model.item_ids_

    def fit(self, X, y=None):  # the scorer checks for a fitted estimator
        return self

    def __sklearn_is_fitted__(self):
        return True

    def _validate_X(self, X, reset):
        return self.model._validate_X(X, reset=reset)

    def _score_items(self, users):
        R = self.user_items_
        consumption = item_popularity(R)[None, :]
        if self.pick is not None:  # MF: the preferences of its pick model
            preference = self.model.pick_model_._score_items(users)
            if self.pick == "s alone":
                return preference
            consumption = np.maximum(preference, 0) ** self.pick
        if self.prior is None:
            ratings = self.model.set_params(ranking="rating")._score_items(users)
            self.model.set_params(ranking="relevance")
        else:  # KNN: the neighbours' evidence plus prior · popularity
            ratings, evidence = self.model._ranking_ratings(users)
            consumption = evidence + self.prior * consumption
        centre = R.data.mean()
        if self.threshold == "user mean":
            counts = np.diff(R.indptr)
            means = np.asarray(R.sum(axis=1)).ravel() / np.maximum(counts, 1)
            centre = np.where(users >= 0, means[np.maximum(users, 0)], centre)[:, None]
        like = ndtr((ratings - centre) / (self.width * R.data.std()))
        return consumption * like

    def _ranking_scores(self, users, exclude_seen=True):
        scores = self._score_items(users)
        if exclude_seen:
            mask_seen(scores, users, self.user_items_)
        return scores


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{"--pick": dict(action="store_true", help="MF's pick exponent only")},
    )
    data = fetch_movielens(data_home=args.data_home)
    X, y = data.data, data.target
    ndcg = make_ranking_scorer("ndcg", k=10, threshold=4)
    results = {}
    for fold, (train, _) in enumerate(data.folds):
        X_in, X_val, y_in, y_val = train_test_split_interactions(
            X[train], y[train], test_size=0.2, random_state=fold
        )
        pop = PopularityRecommender().fit(X_in, y_in)
        results.setdefault(("popularity", "-", "-", "-"), []).append(
            ndcg(pop, X_val, y_val)
        )
        for name, make in MODELS.items():
            if args.pick and not name.startswith("MF"):
                continue
            model = make().fit(X_in, y_in)
            if args.pick:
                for e in (None, *PICK_EXPONENTS):
                    rescored = _Rescored(model, 1.0, None, "user mean", pick=e)
                    key = (name, "user mean", 1.0, "popularity" if e is None else e)
                    results.setdefault(key, []).append(ndcg(rescored, X_val, y_val))
                continue
            knn = "KNN" in name
            for threshold in THRESHOLDS:
                for width in WIDTHS:
                    for prior in PRIORS if knn else (None,):
                        rescored = _Rescored(model, width, prior, threshold)
                        key = (name, threshold, width, "-" if prior is None else prior)
                        results.setdefault(key, []).append(ndcg(rescored, X_val, y_val))
        print(f"fold {fold + 1} done", flush=True)
    rows = [
        [name, threshold, width, prior, f"{np.mean(v):.4f}"] + [f"{s:.4f}" for s in v]
        for (name, threshold, width, prior), v in results.items()
    ]
    print_table(
        ["model", "like: r̂ above", "c", "prior / pick exponent", "mean"]
        + [f"inner u{f + 1}" for f in range(5)],
        rows,
    )
    print(f"\n{command_line()}")


if __name__ == "__main__":
    main()
