"""
==========================================================
Next-item recommendation with self-attention (SASRec)
==========================================================

:class:`~sklearn_attnrec.SequentialRecommender` reads each user's ratings in the
order they were made and predicts the next movie: a causal transformer over the
history, where the hidden state after the last movie scores every movie by a dot
product with the movie embeddings (Kang & McAuley, 2018).

We hold out each user's last rated movie (:class:`~sklearn_attnrec.LeaveLastOut`
by timestamp), train on the rest, rank all the movies each user has not rated
and compare with popularity and implicit matrix factorisation, which ignore the
order. Then we look at the attention weights: which past movies drove a
recommendation. (A short training here, about 30 seconds on one CPU core;
``benchmarks/bench_sequential.py`` runs the paper's 200 epochs, which reach NDCG@10
0.116 with this loss.)
"""

# %%
# Data: MovieLens 100K ordered by time, or generated sequences
# ------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sklearn_attnrec import (
    LeaveLastOut,
    MatrixFactorization,
    PopularityRecommender,
    SequentialRecommender,
    fetch_movielens,
    make_ranking_scorer,
    make_sequences,
)
from sklearn_attnrec.plotting import plot_attention, plot_ranking_metrics

try:
    movielens = fetch_movielens(download_if_missing=False)
    X = np.column_stack([movielens.data, movielens.timestamps])
    titles = dict(zip(movielens.item_info.item_id, movielens.item_info.title))
    source = "MovieLens 100K"
except OSError:
    X = make_sequences(n_users=300, n_items=60, mean_length=20, random_state=0)
    titles = {}
    source = "generated sequences"
train, test = next(LeaveLastOut(time_column=2).split(X))
X_train, X_test = X[train], X[test]
print(f"{source}: {len(X_train)} training rows, {len(X_test)} held-out last items")

# %%
# Fit three recommenders
# ----------------------
# ``[user, item, timestamp]`` rows are all SASRec needs; the two order-free
# models take the ``[user, item]`` pairs. The softmax loss (cross-entropy over
# all movies) learns fastest on a catalogue of this size; the last 50 movies of
# each user are enough here.
sasrec = SequentialRecommender(
    block_size=50, loss="softmax", max_iter=25, learning_rate=3e-3, random_state=0
).fit(X_train)
mf = MatrixFactorization(feedback="implicit", random_state=0).fit(X_train[:, :2])
popularity = PopularityRecommender().fit(X_train[:, :2])

ndcg = make_ranking_scorer("ndcg", k=10)
hit_rate = make_ranking_scorer("hit_rate", k=10)
results = {
    name: {"NDCG@10": ndcg(model, X_eval), "HR@10": hit_rate(model, X_eval)}
    for name, model, X_eval in [
        ("popularity", popularity, X_test[:, :2]),
        ("implicit MF", mf, X_test[:, :2]),
        ("SASRec", sasrec, X_test),
    ]
}
for name, scores in results.items():
    print(f"{name:12s} " + "  ".join(f"{k} {v:.3f}" for k, v in scores.items()))

# %%
# Which past movies mattered?
# ---------------------------
# ``attention_weights`` gives, for each layer and head, how much the last
# position (the one that scores the next movie) attends to each movie of the
# history. Here: the last ten movies of one user (fewer if the history is
# shorter), in the last layer. The weights are right-aligned like the history.
user = X_test[0, 0]
history = X_train[X_train[:, 0] == user]
history = history[np.argsort(history[:, 2], kind="stable"), 1]
shown = min(10, len(history), sasrec.block_size)
weights = sasrec.attention_weights([history])[0, -1, 0, -shown:]  # (shown,)
weights = weights / weights.sum()
names = [titles.get(item, str(item))[:28] for item in history[-shown:]]
items, _ = sasrec.recommend([user], n=3)
print("next-movie picks:", [titles.get(i, i) for i in items[0]])

fig, (left, right) = plt.subplots(
    1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 1.4]}
)
plot_ranking_metrics(results, ax=left, title=f"Held-out last item, {source}")
plot_attention(
    weights[None, :],
    names,
    query_tokens=["next"],
    ax=right,
    annotate=True,
    vmin=0.0,
    vmax=float(weights.max()),
    title=f"User {user}: attention on the last {shown} items (share)",
)
fig.tight_layout()
plt.show()
