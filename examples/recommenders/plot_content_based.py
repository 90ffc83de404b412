"""
=====================================================
Content-based filtering with movie genres and titles
=====================================================

:class:`~sklearn_attnrec.ContentBasedRecommender` describes every movie by a
feature vector (here its genres, and the words of its title through a
:class:`~sklearn.feature_extraction.text.TfidfVectorizer`), builds each user's
profile as the rating-weighted average of the movies they rated (ratings minus the
user's mean, so disliked movies push the profile away), and ranks movies by the
cosine similarity between profile and movie.

We look at one user's profile, rank held-out movies, and score a movie the model
has never seen (item cold start), next to
:class:`~sklearn_attnrec.PopularityRecommender` and
:class:`~sklearn_attnrec.ItemKNNRegressor`.
"""

# %%
# Data: MovieLens 100K genres and titles when available, generated otherwise
# ---------------------------------------------------------------------------
# The interactions are joined to the movie table, so that every row carries the
# features of its movie: ``[user, item, genre columns..., title]``.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer

from sklearn_attnrec import (
    ContentBasedRecommender,
    ItemKNNRegressor,
    PopularityRecommender,
    fetch_movielens,
    make_interactions,
    make_ranking_scorer,
    train_test_split_interactions,
)

try:
    movielens = fetch_movielens(download_if_missing=False)
    X, y = movielens.data, movielens.target
    info = movielens["items"]
    genres = [str(g) for g in info.genre_names]
    movies = pd.DataFrame(info.genres, columns=genres, index=info.item_id)
    movies["title"] = info.title
    source = "MovieLens 100K"
except OSError:
    # Generated ratings; each item gets two of six genres and a made-up title.
    X, y = make_interactions(n_users=300, n_items=200, density=0.1, random_state=0)
    y = np.clip(np.round(y), 1, 5)
    rng = np.random.RandomState(0)
    genres = ["Action", "Comedy", "Drama", "Horror", "Romance", "Sci-Fi"]
    onehot = np.zeros((200, len(genres)), dtype=int)
    onehot[np.arange(200)[:, None], rng.rand(200, len(genres)).argsort(1)[:, :2]] = 1
    movies = pd.DataFrame(onehot, columns=genres)
    movies["title"] = [
        " ".join(np.array(genres)[row == 1]) + f" story {i}"
        for i, row in enumerate(onehot)
    ]
    source = "generated ratings"

frame = pd.DataFrame({"user": X[:, 0], "item": X[:, 1]}).join(movies, on="item")
print(f"{source}: {len(frame)} ratings of {frame['item'].nunique()} movies")
frame.head()

# %%
# Fit on a per-user 80/20 split
# -----------------------------
# ``features`` turns the feature columns into movie vectors: the genre columns as
# they are, plus TF-IDF weights of the title words (years and sequel numbers
# included). It is fitted on one row per movie.
X_train, X_test, y_train, y_test = train_test_split_interactions(
    frame, y, test_size=0.2, random_state=0
)
features = ColumnTransformer(
    [("genres", "passthrough", genres), ("title", TfidfVectorizer(), "title")]
)
model = ContentBasedRecommender(features=features).fit(X_train, y_train)
print(model.item_profiles_.shape, "(movies x features)")

# %%
# What one user likes
# -------------------
# The genre part of a profile says which genres pull a user's recommendations
# (positive) and which push them away (negative).
user = model.user_ids_[0]
profile = model.user_profiles_[[0]]
profile = profile.toarray().ravel() if hasattr(profile, "toarray") else profile.ravel()
genre_weights = pd.Series(profile[: len(genres)], index=genres).sort_values()
recommended, scores = model.recommend([user], n=5)
print(f"top 5 for user {user}:")
for item, score in zip(recommended[0], scores[0]):
    print(f"  {score:+.2f}  {movies.loc[item, 'title']}")

# %%
# A movie the model has never seen
# --------------------------------
# Its features are enough to score it for every user (item cold start): here a
# copy of the first movie's features under a new id.
new_movie = movies.iloc[[0]].assign(title="A brand new " + movies["title"].iloc[0])
rows = pd.DataFrame({"user": model.user_ids_[:5], "item": -1}).join(
    pd.concat([new_movie] * 5).reset_index(drop=True)
)
print(model.predict(rows).round(2))

# %%
# Ranking quality next to popularity and item-item CF
# ---------------------------------------------------
# NDCG@10 over every movie the user did not rate, relevant: a test rating >= 4.
# Popularity is hard to beat on MovieLens: what many people watched is what the
# next person watches. Content features alone know nothing of popularity or
# quality; they shine where there is no interaction data at all (new movies).
# Item-item CF ranks by the evidence its neighbourhoods give that a user would
# pick a movie, times how much they would like it (``ranking="relevance"``).
ndcg = make_ranking_scorer("ndcg", k=10, threshold=4)
ids = ["user", "item"]
results = {
    "popularity": ndcg(PopularityRecommender().fit(X_train[ids]), X_test[ids], y_test),
    "item-item CF": ndcg(
        ItemKNNRegressor().fit(X_train[ids], y_train), X_test[ids], y_test
    ),
    "genres": ndcg(
        ContentBasedRecommender(
            features=ColumnTransformer([("genres", "passthrough", genres)])
        ).fit(X_train, y_train),
        X_test,
        y_test,
    ),
    "genres + titles": ndcg(model, X_test, y_test),
}
for name, value in results.items():
    print(f"{name:>16}: NDCG@10 = {value:.3f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
genre_weights.plot.barh(ax=left, color=np.where(genre_weights > 0, "C2", "C3"))
left.set_title(f"Genre weights in user {user}'s profile")
left.set_xlabel("weight (unit-length profile)")
right.bar(list(results), list(results.values()), color=["C7", "C1", "C0", "C0"])
right.set_ylabel("NDCG@10 (relevant: rating >= 4)")
right.set_title(f"Ranking held-out movies, {source}")
right.tick_params(axis="x", rotation=20)
fig.tight_layout()
plt.show()
