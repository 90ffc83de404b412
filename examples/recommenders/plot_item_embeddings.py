"""
=====================================================
A map of movies: matrix factorisation item factors
=====================================================

:class:`~sklearn_attnrec.MatrixFactorization` places every movie at a point
``q_i`` of a latent space learned from the ratings alone: it never sees a genre
or a title. Yet movies that the same people like end up close together, and
genres show through. :func:`~sklearn_attnrec.plotting.plot_embeddings` projects
the factors to two dimensions (PCA or t-SNE) and colours them by genre.
"""

# %%
# Data and model
# --------------
# MovieLens 100K when available, generated ratings (with planted genres)
# otherwise. We fit implicit-feedback MF (who watched what), whose factors
# describe audiences rather than rating scales.
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

from sklearn_attnrec import MatrixFactorization, fetch_movielens, make_interactions
from sklearn_attnrec.plotting import plot_embeddings

try:
    movielens = fetch_movielens(download_if_missing=False)
    X, y = movielens.data, movielens.target
    info = movielens["items"]
    genre_names = np.array([str(g) for g in info.genre_names])
    item_genres = dict(zip(info.item_id, info.genres))
    titles = dict(zip(info.item_id, info.title))
    source = "MovieLens 100K"
except OSError:
    X, y = make_interactions(n_users=400, n_items=300, density=0.1, random_state=0)
    y = np.clip(np.round(y), 1, 5)
    genre_names = np.array(["Action", "Comedy", "Drama"])
    rng = np.random.RandomState(0)
    item_genres = {i: np.eye(3, dtype=int)[rng.randint(3)] for i in np.unique(X[:, 1])}
    titles = {i: f"movie {i}" for i in item_genres}
    source = "generated ratings"

model = MatrixFactorization(
    n_components=32, feedback="implicit", max_iter=10, random_state=0
).fit(X, y)
print(f"{source}: item factors of shape {model.item_factors_.shape}")

# %%
# Which movies to draw
# --------------------
# The factors of movies with few ratings are mostly noise, and a movie of
# several genres has no single colour: we keep the movies with at least 30
# ratings and exactly one genre among a few contrasting ones.
shown_genres = ["Children's", "Comedy", "Drama", "Horror", "Sci-Fi", "Action"]
shown_genres = [g for g in shown_genres if g in genre_names] or list(genre_names)
counts = dict(zip(*np.unique(X[:, 1], return_counts=True)))
keep, labels = [], []
for index, item in enumerate(model.item_ids_):
    names = genre_names[np.asarray(item_genres[item]) == 1]
    if counts[item] >= 30 and len(names) == 1 and names[0] in shown_genres:
        keep.append(index)
        labels.append(str(names[0]))
keep = np.array(keep)
vectors = model.item_factors_[keep]
print(f"{len(keep)} movies:", dict(Counter(labels)))

# A few of the most watched movies get their title.
most_watched = set(sorted(keep, key=lambda i: -counts[model.item_ids_[i]])[:8])
annotations = [titles[model.item_ids_[i]] if i in most_watched else "" for i in keep]

# %%
# Two projections
# ---------------
# PCA keeps the directions of largest variance (a linear view, the axes say how
# much of it); t-SNE keeps each movie's neighbours close, and separates the
# genres' audiences more clearly.
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
plot_embeddings(
    vectors, labels, method="pca", ax=left, annotations=annotations,
    title="PCA of the item factors",
)  # fmt: skip
plot_embeddings(
    vectors, labels, method="tsne", ax=right, random_state=0,
    title="t-SNE of the item factors",
)  # fmt: skip
right.get_legend().remove()
fig.suptitle(f"Movies by implicit-feedback MF on {source}, coloured by genre")
fig.tight_layout()
plt.show()
