"""Evaluation metrics for recommender systems.

Top-k ranking metrics take a relevance matrix ``y_true`` and a score matrix
``y_score``, both of shape (n_users, n_items), and return the mean over the
users that have at least one relevant item.
"""

from ._ranking import (
    average_precision_at_k,
    hit_rate_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from ._sampled import make_sampled_ranking_scorer
from ._scorer import make_ranking_scorer

__all__ = [
    "average_precision_at_k",
    "hit_rate_at_k",
    "make_ranking_scorer",
    "make_sampled_ranking_scorer",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "reciprocal_rank",
]
