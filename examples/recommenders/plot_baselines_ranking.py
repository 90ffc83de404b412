"""
=========================================================
Baselines on MovieLens 100K: rating error and ranking
=========================================================

Two baselines every recommender has to beat: :class:`~sklearn_attnrec.BaselineRegressor`
(global mean plus regularised user and item biases) and
:class:`~sklearn_attnrec.PopularityRecommender`. We cross-validate both with
:class:`~sklearn_attnrec.PerUserKFold` and ranking scorers, and plot NDCG@k for a range
of list lengths.

A model that predicts ratings well does not necessarily rank well: ranked by predicted
rating (``ranking="rating"``), item biases favour items with few, high ratings, while
the most popular items are the ones most users have watched (and will watch). The
default ``ranking="relevance"`` ranks by how likely a user is to pick an item *and* rate
it above their own mean, which puts the baseline above popularity.
"""

# %%
# Data: MovieLens 100K when available, generated ratings otherwise
# ------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import cross_validate

from sklearn_attnrec import (
    BaselineRegressor,
    PerUserKFold,
    PopularityRecommender,
    fetch_movielens,
    make_interactions,
    make_ranking_scorer,
)

try:
    X, y = fetch_movielens(download_if_missing=False, return_X_y=True)
    source = "MovieLens 100K"
except OSError:
    X, y = make_interactions(n_users=500, n_items=300, density=0.08, random_state=0)
    y = np.clip(np.round(y), 1, 5)
    source = "generated ratings"
print(f"{source}: {len(y)} ratings")

# %%
# Cross-validate with ranking scorers
# -----------------------------------
ks = [1, 5, 10, 20, 50]
scoring = {f"ndcg@{k}": make_ranking_scorer("ndcg", k=k, threshold=4) for k in ks}
cv = PerUserKFold(n_splits=3, random_state=0)
models = {
    "popularity": PopularityRecommender(),
    "biases, ranked by relevance (default)": BaselineRegressor(),
    "biases, ranked by predicted rating": BaselineRegressor(ranking="rating"),
}
results = {
    name: cross_validate(model, X, y, cv=cv, scoring=scoring)
    for name, model in models.items()
}

# %%
# NDCG@k against k
# ----------------
fig, ax = plt.subplots(figsize=(6, 4))
for name, result in results.items():
    ax.plot(ks, [result[f"test_ndcg@{k}"].mean() for k in ks], marker="o", label=name)
ax.set_xlabel("k (length of the list)")
ax.set_ylabel("NDCG@k (relevant: rating >= 4)")
ax.set_title(f"Baselines on {source}")
ax.legend()
plt.show()
