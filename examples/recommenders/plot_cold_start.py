"""
=====================================================
Cold start: new users and new movies from features
=====================================================

A collaborative model knows users and items by their interactions; a user who
just signed up or a movie released today has none. Side features fill the gap:

- a **new user** with demographics (age, gender, occupation) gets a list from the
  user tower of a :class:`~sklearn_attnrec.TwoTowerRetriever`
  (``recommend_for_features``), instead of the popularity list everyone gets;
- a **new movie** with genres is scored by
  :class:`~sklearn_attnrec.ContentBasedRecommender` from its features, and is
  put into the two-tower serving index by ``add_items``, without retraining.

We hold out 10% of the users and 100 movies entirely, train on the rest, and
measure how well each approach ranks what the held-out users and movies really
got.
"""

# %%
# Data and the cold-start split
# -----------------------------
# MovieLens 100K when available (demographics and genres), generated otherwise.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_attnrec import (
    ContentBasedRecommender,
    PopularityRecommender,
    TwoTowerRetriever,
    fetch_movielens,
    make_interactions,
)
from sklearn_attnrec.metrics import ndcg_at_k, recall_at_k
from sklearn_attnrec.plotting import plot_ranking_metrics

rng = np.random.RandomState(0)
try:
    movielens = fetch_movielens(download_if_missing=False)
    X, y = movielens.data, movielens.target
    users, info = movielens.users, movielens["items"]
    user_features = pd.get_dummies(
        pd.DataFrame(
            {"gender": users.gender, "occupation": users.occupation},
            index=users.user_id,
        ),
        dtype=float,
    ).assign(age=users.age / 50)
    genres = pd.DataFrame(
        info.genres, index=info.item_id, columns=[str(g) for g in info.genre_names]
    ).astype(float)
    titles = pd.Series(info.title, index=info.item_id)
    source = "MovieLens 100K"
except OSError:
    X, y = make_interactions(n_users=400, n_items=300, density=0.08, random_state=0)
    y = np.clip(np.round(y), 1, 5)
    user_ids, item_ids = np.unique(X[:, 0]), np.unique(X[:, 1])
    user_features = pd.DataFrame(
        {
            "age": rng.uniform(0.3, 1.2, len(user_ids)),
            "group": rng.randint(2, size=len(user_ids)),
        },
        index=user_ids,
    )
    names = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"]
    genres = pd.DataFrame(
        (rng.rand(len(item_ids), len(names)) < 0.3).astype(float),
        index=item_ids,
        columns=names,
    )
    titles = pd.Series([f"movie {i}" for i in item_ids], index=item_ids)
    source = "generated ratings"

counts = pd.Series(X[:, 1]).value_counts()
new_items = rng.choice(counts.index[counts >= 20], 100, replace=False)
all_users = np.unique(X[:, 0])
new_users = rng.choice(all_users, len(all_users) // 10, replace=False)
is_new_user, is_new_item = np.isin(X[:, 0], new_users), np.isin(X[:, 1], new_items)
train = ~is_new_user & ~is_new_item
X_train, y_train = X[train], y[train]
print(
    f"{source}: {train.sum()} training ratings; {len(new_users)} new users, "
    f"{len(new_items)} new movies"
)

# %%
# Fit on the known users and movies
# ---------------------------------
# The towers see the ids and the features; ``id_dropout`` hides the id of some
# training rows, so that the "unknown id + features" input that a new user or
# movie will get is trained too.
two_tower = TwoTowerRetriever(
    n_components=32, id_dropout=0.3, max_iter=8, learning_rate=3e-3, random_state=0
).fit(X_train, y_train, user_features=user_features, item_features=genres)
popularity = PopularityRecommender().fit(X_train)
frame = pd.DataFrame(X_train, columns=["user", "item"]).join(genres, on="item")
content = ContentBasedRecommender().fit(frame, y_train)

# %%
# A new user
# ----------
# Only their features are known: the user tower maps them to a vector, the
# index returns the closest movies.
newcomer = new_users[0]
features = user_features.loc[[newcomer]]
ids, scores = two_tower.recommend_for_features(features.to_numpy(), n=5)
print(f"user {newcomer} ({', '.join(features.columns[features.iloc[0] == 1])}):")
for item, score in zip(ids[0], scores[0]):
    print(f"  {score:.2f}  {titles[item]}")

# %%
# How good are the lists of new users? Relevant: the movies they rated 4 or 5
# (among the known movies). Popularity gives everyone the same list.
known_items = two_tower.item_ids_
test = is_new_user & ~is_new_item
relevant = (
    pd.DataFrame({"user": X[test, 0], "item": X[test, 1], "like": y[test] >= 4})
    .pivot_table(index="user", columns="item", values="like", aggfunc="max")
    .reindex(index=new_users, columns=known_items)
    .fillna(0)
    .to_numpy(dtype=float)
)
ids, scores = two_tower.recommend_for_features(
    user_features.loc[new_users].to_numpy(), n=len(known_items)
)
tower_scores = np.full(relevant.shape, -np.inf)
position = pd.Index(known_items).get_indexer(ids.ravel()).reshape(ids.shape)
np.put_along_axis(tower_scores, position, scores, axis=1)
popularity_scores = np.tile(
    popularity.item_popularity_.astype(float), (len(new_users), 1)
)
new_user_results = {
    name: {
        "NDCG@10": ndcg_at_k(relevant, s, k=10),
        "recall@10": recall_at_k(relevant, s, k=10),
    }
    for name, s in [("popularity", popularity_scores), ("two-tower", tower_scores)]
}

# %%
# New movies
# ----------
# ``add_items`` runs the item tower on the genres of the new movies and adds
# their vectors to the serving index: from now on ``recommend`` can return them.
# The content-based model scores a new movie from its genre columns.
two_tower.add_items(new_items, genres.loc[new_items].to_numpy())
print(f"index: {len(two_tower.index_)} movies, {len(two_tower.new_item_ids_)} new")

# Rank the new movies only, for the known users who rated some of them.
test = ~is_new_user & is_new_item
judged = np.unique(X[test, 0])
relevant = (
    pd.DataFrame({"user": X[test, 0], "item": X[test, 1], "like": y[test] >= 4})
    .pivot_table(index="user", columns="item", values="like", aggfunc="max")
    .reindex(index=judged, columns=new_items)
    .fillna(0)
    .to_numpy(dtype=float)
)
# ``recommend(items=...)`` ranks exactly the given candidates, new ones included.
ids, scores = two_tower.recommend(
    judged, n=len(new_items), exclude_seen=False, items=new_items
)
tower_scores = np.empty(relevant.shape)
columns = pd.Index(new_items).get_indexer(ids.ravel()).reshape(ids.shape)
np.put_along_axis(tower_scores, columns, scores, axis=1)
pairs = pd.DataFrame(
    {"user": np.repeat(judged, len(new_items)), "item": np.tile(new_items, len(judged))}
).join(genres, on="item")
content_scores = content.predict(pairs).reshape(len(judged), len(new_items))
random_scores = rng.rand(*relevant.shape)
new_item_results = {
    name: {
        "NDCG@10": ndcg_at_k(relevant, s, k=10),
        "recall@10": recall_at_k(relevant, s, k=10),
    }
    for name, s in [
        ("random order", random_scores),
        ("content (genres)", content_scores),
        ("two-tower", tower_scores),
    ]
}
print("new users:\n", pd.DataFrame(new_user_results).T.round(3))
print("new movies:\n", pd.DataFrame(new_item_results).T.round(3))

# %%
# Results
# -------
# Left: demographics say a little about taste, so the two-tower list of a new
# user is close to the popularity list (which it has learned too, through the
# item ids). Right: the new movies have no interactions at all, so popularity
# cannot rank them; genres alone already do much better than chance.
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
plot_ranking_metrics(new_user_results, ax=left, title="New users: all known movies")
plot_ranking_metrics(new_item_results, ax=right, title="Known users: 100 new movies")
fig.suptitle(f"Cold start on {source}")
fig.tight_layout()
plt.show()
