"""Evaluation metrics for recommender systems.

Top-k ranking metrics take a relevance matrix ``y_true`` and a score matrix
``y_score``, both of shape (n_users, n_items), and return the mean over the
users that have at least one relevant item.

Beyond-accuracy metrics (coverage, novelty, popularity, diversity and
personalisation) take the top-k lists themselves, of shape (n_users, k): item
indices, or the item ids that ``recommend`` returns with ``item_ids=`` (and
its ``scores=``, whose ``-inf`` slots are padding).
"""

from ._beyond_accuracy import (
    average_recommendation_popularity,
    catalog_coverage,
    intra_list_diversity,
    make_beyond_accuracy_scorer,
    mean_list_overlap,
    near_duplicate_list_share,
    novelty,
)
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
    "average_recommendation_popularity",
    "catalog_coverage",
    "hit_rate_at_k",
    "intra_list_diversity",
    "make_beyond_accuracy_scorer",
    "make_ranking_scorer",
    "make_sampled_ranking_scorer",
    "mean_list_overlap",
    "ndcg_at_k",
    "near_duplicate_list_share",
    "novelty",
    "precision_at_k",
    "recall_at_k",
    "reciprocal_rank",
]
