"""
==========================================================
Quick start: three recommenders on MovieLens 100K
==========================================================

Fit three rating predictors on the canonical ``u1`` split of MovieLens 100K
(80% of the ratings to train, 20% to test), then judge them twice:

- **RMSE** of the predicted test ratings (lower is better), the classic rating
  prediction task;
- **NDCG@10** of the top-10 list each model ranks for a test user, among all the
  movies that user did not rate in training (higher is better), the task a
  recommender is actually used for. A test movie rated 4 or 5 is relevant.

:class:`~sklearn_attnrec.BaselineRegressor` (global mean + user and item biases),
:class:`~sklearn_attnrec.ItemKNNRegressor` (item-item collaborative filtering)
and :class:`~sklearn_attnrec.MatrixFactorization` (latent factors, ALS) all
follow the scikit-learn contract: ``fit(X, y)`` with ``X`` the ``[user, item]``
rows and ``y`` the ratings, then ``predict(X)``.
:class:`~sklearn_attnrec.PopularityRecommender` joins the ranking comparison as
the yardstick.
"""

# %%
# Data: the u1 split when MovieLens is available, a random split otherwise
# ------------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import root_mean_squared_error

from sklearn_attnrec import (
    BaselineRegressor,
    ItemKNNRegressor,
    MatrixFactorization,
    PopularityRecommender,
    fetch_movielens,
    make_interactions,
    make_ranking_scorer,
    train_test_split_interactions,
)
from sklearn_attnrec.plotting import plot_ranking_metrics

try:
    movielens = fetch_movielens(download_if_missing=False)
    X, y = movielens.data, movielens.target
    train, test = movielens.folds[0]  # u1.base / u1.test
    X_train, X_test, y_train, y_test = X[train], X[test], y[train], y[test]
    source = "MovieLens 100K, split u1"
except OSError:
    X, y = make_interactions(n_users=500, n_items=300, density=0.08, random_state=0)
    y = np.clip(np.round(y), 1, 5)
    X_train, X_test, y_train, y_test = train_test_split_interactions(
        X, y, test_size=0.2, random_state=0
    )
    source = "generated ratings"
print(f"{source}: {len(y_train)} training and {len(y_test)} test ratings")

# %%
# Fit and score
# -------------
# The ranking scorer groups the test rows by user, ranks every movie the model
# knows for that user (leaving out their training movies) and averages NDCG@10
# over the users with a relevant test movie. The same callable works as
# ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`.
ndcg_at_10 = make_ranking_scorer("ndcg", k=10, threshold=4)
models = {
    "biases": BaselineRegressor(),
    "item-item CF": ItemKNNRegressor(n_neighbors=40),
    "matrix factorisation": MatrixFactorization(n_components=30, random_state=0),
}
results = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    results[name] = {
        "RMSE": root_mean_squared_error(y_test, model.predict(X_test)),
        "NDCG@10": ndcg_at_10(model, X_test, y_test),
    }
# Popularity ranks, it does not predict ratings: no RMSE, a gap in the chart.
popularity = PopularityRecommender().fit(X_train)
results["popularity"] = {"NDCG@10": ndcg_at_10(popularity, X_test, y_test)}

for name, scores in results.items():
    line = ", ".join(f"{metric} {value:.4f}" for metric, value in scores.items())
    print(f"{name:>21}: {line}")

# %%
# Compare
# -------
# Matrix factorisation and item-item CF predict ratings better than the biases
# alone. Ranking is a different game: a predicted rating says how much a user
# would like a movie once watched, not which movies they will watch, and
# popularity, which knows nothing of ratings, is hard to beat on MovieLens. The
# rating models therefore rank by how likely a user is to pick a movie *and*
# rate it above their own mean (``ranking="relevance"``, the default), which
# puts each of them above popularity. Models trained on which movies people
# watched (``EASE``, ``MatrixFactorization(feedback="implicit")``) rank better
# still.
ax = plot_ranking_metrics(results, title=f"Test scores, {source}")
ax.set_ylabel("RMSE (lower is better) / NDCG@10 (higher)")
ax.figure.tight_layout()
plt.show()
