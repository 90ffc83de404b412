"""Attention models and recommender systems as scikit-learn estimators.

The most used names are importable from the top level::

    from sklearn_attnrec import BaselineRegressor, PerUserKFold, make_ranking_scorer

Subpackages: :mod:`~sklearn_attnrec.datasets`, :mod:`~sklearn_attnrec.metrics`,
:mod:`~sklearn_attnrec.model_selection`, :mod:`~sklearn_attnrec.baselines`,
:mod:`~sklearn_attnrec.neighbors`, :mod:`~sklearn_attnrec.factorization`,
:mod:`~sklearn_attnrec.attention`, :mod:`~sklearn_attnrec.nn` (the torch
building blocks), :mod:`~sklearn_attnrec.utils`.
"""

__version__ = "0.1.0.dev0"

from .attention import (
    AttentionEncoder,
    CausalLMTransformer,
    CharTokenizer,
    WordTokenizer,
)
from .base import RecommenderMixin
from .baselines import (
    BaselineRegressor,
    ContentBasedRecommender,
    PopularityRecommender,
)
from .datasets import (
    fetch_movielens,
    fetch_tiny_shakespeare,
    make_interactions,
    make_sequences,
)
from .factorization import BPRRecommender, MatrixFactorization
from .metrics import (
    average_precision_at_k,
    average_recommendation_popularity,
    catalog_coverage,
    hit_rate_at_k,
    intra_list_diversity,
    make_beyond_accuracy_scorer,
    make_ranking_scorer,
    make_sampled_ranking_scorer,
    mean_list_overlap,
    ndcg_at_k,
    near_duplicate_list_share,
    novelty,
    precision_at_k,
    recall_at_k,
    reciprocal_rank,
)
from .model_selection import (
    ExpandingWindowSplit,
    LeaveLastOut,
    PerUserKFold,
    TemporalSplit,
    train_test_split_interactions,
)
from .neighbors import EASE, ItemKNNRecommender, ItemKNNRegressor, UserKNNRegressor
from .neural import NeuralCF, SequentialRecommender, TwoTowerRetriever

__all__ = [
    "__version__",
    "RecommenderMixin",
    "BaselineRegressor",
    "ContentBasedRecommender",
    "PopularityRecommender",
    "MatrixFactorization",
    "BPRRecommender",
    "fetch_movielens",
    "fetch_tiny_shakespeare",
    "make_interactions",
    "make_sequences",
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
    "ExpandingWindowSplit",
    "LeaveLastOut",
    "PerUserKFold",
    "TemporalSplit",
    "train_test_split_interactions",
    "EASE",
    "ItemKNNRecommender",
    "ItemKNNRegressor",
    "NeuralCF",
    "SequentialRecommender",
    "TwoTowerRetriever",
    "UserKNNRegressor",
    "AttentionEncoder",
    "CausalLMTransformer",
    "CharTokenizer",
    "WordTokenizer",
]
