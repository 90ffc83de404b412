"""NeuralCF and TwoTowerRetriever on MovieLens 100K, the NCF protocol, cold start.

1. Leave-last-out by timestamp (each user's last rating is the test item), every
   rating an implicit interaction. The test item is ranked against 100 sampled
   items the user never interacted with (fixed seed, the same for every model):
   HR@10 and NDCG@10; plus full-ranking recall@10 (every unseen item ranked). Models:
   NeuralCF (GMF, MLP, NeuMF), TwoTowerRetriever (ids; ids + side features from
   u.user and u.item), MatrixFactorization(feedback="implicit"), the implicit
   library's ALS (64 factors, reg 0.05, 15 iterations) and popularity.
2. Cold start: 10% of the users (seeded) are held out entirely; the two-tower model,
   trained on the others, recommends for them from their features alone (age,
   gender, occupation); recall@10 against all their interactions, next to
   popularity's for the same users.

    python benchmarks/bench_neural.py
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from _common import FixedFactors, command_line, parse_args, print_table, timed
from sklearn_attnrec import (
    LeaveLastOut,
    MatrixFactorization,
    NeuralCF,
    PopularityRecommender,
    TwoTowerRetriever,
    fetch_movielens,
    make_ranking_scorer,
    make_sampled_ranking_scorer,
)


def side_features(data):
    """User (age bucket, gender, occupation) and item (genre) features by id."""
    users = data["users"]
    age = np.digitize(users.age, [18, 25, 35, 45, 50, 56])
    table = np.column_stack([age, users.gender, users.occupation])
    encoded = OneHotEncoder().fit_transform(table)
    items = data["items"]
    return (users.user_id, encoded), (items.item_id, items.genres.astype(float))


def implicit_als(X_train):
    from implicit.cpu.als import AlternatingLeastSquares

    n_users, n_items = X_train[:, 0].max(), X_train[:, 1].max()
    user_items = sp.csr_matrix(
        (np.ones(len(X_train), np.float32), (X_train[:, 0] - 1, X_train[:, 1] - 1)),
        shape=(n_users, n_items),
    )
    als = AlternatingLeastSquares(
        factors=64, regularization=0.05, iterations=15, num_threads=1, random_state=0
    )
    als.fit(user_items, show_progress=False)
    return FixedFactors().fit(X_train, als.user_factors, als.item_factors)


def leave_last_out(data, user_features, item_features):
    X = np.column_stack([data.data, data.timestamps])
    train, test = next(LeaveLastOut(time_column=2).split(X))
    X_train, X_test = data.data[train], data.data[test]
    scorers = {
        "HR@10 (100 neg.)": make_sampled_ranking_scorer("hit_rate", k=10),
        "NDCG@10 (100 neg.)": make_sampled_ranking_scorer("ndcg", k=10),
        "recall@10 (full)": make_ranking_scorer("recall", k=10),
    }
    models = {
        "PopularityRecommender": lambda: PopularityRecommender().fit(X_train),
        "NeuralCF gmf": lambda: NeuralCF("gmf", random_state=0).fit(X_train),
        "NeuralCF mlp": lambda: NeuralCF("mlp", random_state=0).fit(X_train),
        "NeuralCF neumf": lambda: NeuralCF("neumf", random_state=0).fit(X_train),
        "TwoTower (ids, softmax)": lambda: TwoTowerRetriever(random_state=0).fit(
            X_train
        ),
        "TwoTower (ids, bce)": lambda: TwoTowerRetriever(
            loss="bce", random_state=0
        ).fit(X_train),
        "TwoTower (ids + features)": lambda: TwoTowerRetriever(random_state=0).fit(
            X_train, user_features=user_features, item_features=item_features
        ),
        "MatrixFactorization implicit": lambda: MatrixFactorization(
            feedback="implicit", random_state=0
        ).fit(X_train),
    }
    try:
        import implicit  # noqa: F401

        models["implicit ALS (64, reg 0.05, 15 it.)"] = lambda: implicit_als(X_train)
    except ImportError:
        print("implicit not installed: pip install -e '.[bench]'")
    rows = []
    for name, make in models.items():
        model, fit_s = timed(make)
        scores = [scorer(model, X_test) for scorer in scorers.values()]
        rows.append((name, *(f"{s:.4f}" for s in scores), f"{fit_s:.1f}"))
    print("Leave-last-out by timestamp, MovieLens 100K (943 test items)\n")
    print_table(["model", *scorers, "fit s"], rows)


def cold_start(data, user_features, item_features):
    X = data.data
    rng = np.random.default_rng(0)
    users = np.unique(X[:, 0])
    cold = rng.choice(users, size=len(users) // 10, replace=False)
    held_out = np.isin(X[:, 0], cold)
    model = TwoTowerRetriever(random_state=0).fit(
        X[~held_out], user_features=user_features, item_features=item_features
    )
    ids, matrix = user_features
    rows = np.searchsorted(ids, cold)
    found, _ = model.recommend_for_features(matrix[rows], n=10)
    popular = PopularityRecommender().fit(X[~held_out]).recommend([-1], n=10)[0][0]
    relevant = [set(X[X[:, 0] == u, 1]) for u in cold]
    recall = np.mean([len(set(f) & r) / len(r) for f, r in zip(found, relevant)])
    baseline = np.mean([len(set(popular) & r) / len(r) for r in relevant])
    print(f"\nCold start: {len(cold)} users held out entirely (all their ratings)\n")
    print_table(
        ["model", "recall@10"],
        [
            ("TwoTower from user features", f"{recall:.4f}"),
            ("PopularityRecommender", f"{baseline:.4f}"),
        ],
    )


def main():
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)  # issue 15: default fits under 30 s on one thread
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    user_features, item_features = side_features(data)
    leave_last_out(data, user_features, item_features)
    cold_start(data, user_features, item_features)
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    with threadpool_limits(1):
        main()
