"""Neural recommenders: torch modules, wrapped by skorch in the estimators."""

from ._ncf import NeuralCF

__all__ = ["NeuralCF"]
