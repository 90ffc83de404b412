"""Top-N scores of rating models: how likely a user is to take *and* like an item.

A rating model predicts how much a user would like an item *if* they rated it.
Ranked by that alone, films rated once by one enthusiast top every list: the
predicted rating says nothing about whether the user would ever pick the item,
and a held-out test (or a real user) only rewards items that are both picked
and liked (Cremonesi, Koren & Turrin, RecSys 2010; Steck, KDD 2010). The
rating models of this package therefore rank, by default, by an estimate of

    P(u picks i and likes it) = P(u picks i) · P(r_ui > r̄_u | u picks i)

- "likes" means "rates above their own mean rating ``r̄_u``" (people use the
  scale differently: the mean-centring of neighbourhood CF), and
  ``P(r_ui > r̄_u)`` = ``Φ((r̂_ui − r̄_u) / σ)``: the predicted rating as if it
  were ``r̂_ui`` plus noise of the spread ``σ`` of the training ratings, read
  through the normal CDF. It needs no threshold on the rating scale, so it
  works for 1-5 stars, half stars or 1-10 alike. A user unseen in fit is
  compared with the global mean rating.
- ``P(u picks i)``: the item's popularity (the share of users who rated it) for
  the baseline; for matrix factorisation and NeuralCF, the preference ``s_ui``
  of a one-class factorisation of who rated what, fitted alongside
  (:func:`pick_consumption`) where it beats popularity on held-out rated
  pairs; the neighbourhood's evidence for the KNN models
  (see :func:`neighbor_consumption`).
"""

from typing import NamedTuple

import numpy as np
from scipy.special import ndtr

from ._param_validation import StrOptions

RANKINGS = ("relevance", "rating")
# The constraint of the ``ranking`` parameter of the rating models.
RANKING_CONSTRAINT = [StrOptions(set(RANKINGS))]


def item_popularity(user_items):
    """Share of users who interacted with each item (columns of ``user_items``)."""
    n_users, n_items = user_items.shape
    return np.bincount(user_items.indices, minlength=n_items) / max(n_users, 1)


def mean_ratings(rows, default):
    """Mean stored value of each row of a CSR matrix; ``default`` for an
    empty row."""
    counts = np.diff(rows.indptr)
    sums = np.asarray(rows.sum(axis=1)).ravel()
    return np.where(counts > 0, sums / np.maximum(counts, 1), default)


class RelevanceStats(NamedTuple):
    """What relevance ranking needs from the training ratings, computed once in
    ``fit`` (not for every block of users ranked)."""

    popularity: np.ndarray  # share of users who rated each item
    mean: float  # global mean rating (a new user's r̄_u)
    std: float  # spread of the ratings, floored so constant ratings stay finite


def relevance_stats(user_items):
    """:class:`RelevanceStats` of a training matrix (ratings as stored values)."""
    values = user_items.data
    mean = float(values.mean()) if len(values) else 0.0
    std = float(values.std()) if len(values) else 0.0
    return RelevanceStats(
        item_popularity(user_items), mean, max(std, 1e-6 * max(abs(mean), 1.0))
    )


def user_mean_ratings(user_items, users, default):
    """``r̄_u`` of encoded ``users``; ``default`` for unknown ones (-1)."""
    known = users >= 0
    means = np.full(len(users), float(default))
    means[known] = mean_ratings(user_items[users[known]], default)
    return means


# ``P(u picks i)`` from a one-class factorisation's preference ``s_ui`` (a fit to
# 1 for rated and 0 for unrated items): ``max(s_ui, 0) ** PICK_EXPONENT``. The
# exponent was chosen on inner splits of the five MovieLens 100K training folds
# (mean inner NDCG@10 of the ALS model for e = 1, 1.43, 2, 2.86, 5: 0.2678,
# 0.2699, 0.2697, 0.2685, 0.2638; the preference alone 0.2517; item popularity
# as the estimate of picking 0.1456; a flat optimum between 1.4 and 2, the
# same for SGD: ``python benchmarks/tune_ranking_defaults.py --pick``).
PICK_EXPONENT = 2.0


def pick_consumption(preferences):
    """``max(s, 0) ** PICK_EXPONENT``: how likely each user is to pick each item,
    from the preferences ``s`` of a one-class factorisation (non-negative)."""
    return np.maximum(np.asarray(preferences, dtype=np.float64), 0.0) ** PICK_EXPONENT


def relevance_scores(ratings, stats, means, consumption=None):
    """``consumption · Φ((r̂ − r̄_u) / σ)``: the top-N score of a rating model.

    Parameters
    ----------
    ratings : ndarray of shape (n_users, n_items)
        Predicted ratings, clipped as ``predict`` clips them.
    stats : RelevanceStats
        Of the model's training matrix (:func:`relevance_stats`).
    means : ndarray of shape (n_users,)
        Each user's mean rating ``r̄_u`` (see :func:`user_mean_ratings`).
    consumption : ndarray broadcastable to ``ratings``, default=None
        How likely each user is to pick each item; None means the item's
        popularity (share of users who rated it).

    Returns
    -------
    scores : ndarray of shape (n_users, n_items)
        Non-negative; with the default consumption, the estimated probability
        that the user rates the item and rates it above their mean.
    """
    if consumption is None:
        consumption = stats.popularity[None, :]
    centred = np.asarray(ratings, dtype=np.float64) - np.asarray(means)[:, None]
    return consumption * ndtr(centred / stats.std)
