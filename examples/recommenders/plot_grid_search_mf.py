"""
====================================================================
Tuning matrix factorisation for ranking with GridSearchCV
====================================================================

A recommender is a scikit-learn estimator, so scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` tunes it unchanged. Two pieces of
this package make the search measure the right thing:

- :func:`~sklearn_attnrec.make_ranking_scorer` scores a fitted model by the
  quality of its top-10 lists (NDCG@10) on the test fold;
- :class:`~sklearn_attnrec.PerUserKFold` splits every user's interactions over
  the folds, so each test user also has training data (a random split of rows
  would leave some users unknown at test time).

We tune :class:`~sklearn_attnrec.MatrixFactorization` with implicit feedback
(every rating is a "watched" event, weighted by the rating), the variant made for
ranking, over the number of latent factors ``n_components`` and the L2 strength
``alpha``.
"""

# %%
# Data: MovieLens 100K when available, generated ratings otherwise
# ------------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV

from sklearn_attnrec import (
    MatrixFactorization,
    PerUserKFold,
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
# The search
# ----------
# Six candidates, three folds: eighteen fits of a few ALS sweeps each. The test
# movies a user rated 4 or 5 are the relevant ones. The factorisation runs on
# torch; for many small fits, one torch thread per fit (``n_jobs=1``) is faster
# than a thread pool, and leaves the cores to GridSearchCV's own ``n_jobs``.
param_grid = {"n_components": [16, 48], "alpha": [0.5, 2.0, 8.0]}
search = GridSearchCV(
    MatrixFactorization(feedback="implicit", max_iter=6, n_jobs=1, random_state=0),
    param_grid,
    scoring=make_ranking_scorer("ndcg", k=10, threshold=4),
    cv=PerUserKFold(n_splits=3, random_state=0),
)
search.fit(X, y)
print("best:", search.best_params_, f"NDCG@10 = {search.best_score_:.4f}")

# %%
# The results table
# -----------------
# ``cv_results_`` holds one row per candidate: its parameters, the score on each
# fold, their mean and standard deviation, and the fit times.
results = pd.DataFrame(search.cv_results_)
columns = ["param_n_components", "param_alpha", "mean_test_score", "std_test_score"]
table = results[columns + ["rank_test_score", "mean_fit_time"]]
print(table.sort_values("rank_test_score").to_string(index=False))

# %%
# Mean score against ``alpha``
# ----------------------------
# One line per number of factors, with the standard deviation over the folds
# as error bars. Too little regularisation over-fits the few interactions of
# most users; too much shrinks every user towards the same, popular, items.
fig, ax = plt.subplots(figsize=(6, 4))
for n_components, rows in results.groupby("param_n_components"):
    ax.errorbar(
        rows["param_alpha"].astype(float),
        rows["mean_test_score"],
        yerr=rows["std_test_score"],
        marker="o",
        capsize=3,
        label=f"n_components={n_components}",
    )
ax.set_xscale("log")
ax.set_xticks(param_grid["alpha"], [str(a) for a in param_grid["alpha"]])
ax.minorticks_off()
ax.set_xlabel("alpha (L2 strength of the factors)")
ax.set_ylabel("NDCG@10, mean over 3 folds")
ax.set_title(f"GridSearchCV of implicit MF, {source}")
ax.legend()
fig.tight_layout()

# %%
# The refitted best model recommends at once
# ------------------------------------------
# ``best_estimator_`` was refitted on all the data; here are the top 5 movies
# for the first two users (excluding the movies they have rated).
items, scores = search.best_estimator_.recommend(X[:2, 0], n=5)
print(items)
plt.show()
