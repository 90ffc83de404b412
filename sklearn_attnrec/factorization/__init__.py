"""Matrix factorisation: MatrixFactorization (ALS or SGD; explicit or implicit)."""

from ._mf import MatrixFactorization

__all__ = ["MatrixFactorization"]
