"""Data sets: real recommendation data loaders and synthetic generators.

- :func:`fetch_movielens` loads MovieLens (downloaded once into
  :func:`get_data_home`).
- :func:`fetch_tiny_shakespeare` loads the tiny-Shakespeare corpus for character
  language models.
- :func:`load_interaction_file` reads ``user item`` sequence files (SASRec),
  ``user,item,rating,timestamp`` CSV files and MovieLens' ``::`` ``.dat`` files.
- :func:`make_interactions` generates ratings or implicit feedback with a known
  low-rank + bias structure and popularity skew.
- :func:`make_sequences` generates interaction sequences driven by a hidden
  successor rule, for next-item prediction.
"""

from ._base import ChecksumError, DownloadError
from ._files import load_interaction_file
from ._movielens import fetch_movielens, get_data_home
from ._shakespeare import fetch_tiny_shakespeare
from ._synthetic import make_interactions, make_sequences

__all__ = [
    "ChecksumError",
    "DownloadError",
    "fetch_movielens",
    "fetch_tiny_shakespeare",
    "get_data_home",
    "load_interaction_file",
    "make_interactions",
    "make_sequences",
]
