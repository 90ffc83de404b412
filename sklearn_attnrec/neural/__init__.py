"""Neural recommenders: torch modules, wrapped by skorch in the estimators."""

from ._ncf import NeuralCF
from ._sequential import SequentialRecommender
from ._two_tower import TwoTowerRetriever

__all__ = ["NeuralCF", "SequentialRecommender", "TwoTowerRetriever"]
