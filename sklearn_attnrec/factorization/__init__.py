"""Matrix factorisation: MatrixFactorization (ALS or SGD; explicit or implicit)
and BPRRecommender (Bayesian personalised ranking)."""

from ._bpr import BPRRecommender
from ._mf import MatrixFactorization

__all__ = ["BPRRecommender", "MatrixFactorization"]
