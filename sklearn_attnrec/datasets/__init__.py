"""Data sets: real recommendation data loaders and synthetic generators.

- :func:`fetch_movielens` loads MovieLens (downloaded once into
  :func:`get_data_home`).
- :func:`make_interactions` generates ratings or implicit feedback with a known
  low-rank + bias structure and popularity skew.
- :func:`make_sequences` generates interaction sequences driven by a hidden
  successor rule, for next-item prediction.
"""

from ._movielens import fetch_movielens, get_data_home
from ._synthetic import make_interactions, make_sequences

__all__ = [
    "fetch_movielens",
    "get_data_home",
    "make_interactions",
    "make_sequences",
]
