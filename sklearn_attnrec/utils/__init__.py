"""Utilities: estimator discovery, id vocabularies, interaction matrices."""

from ._discovery import all_estimators
from ._interactions import interaction_columns, interaction_matrix, mask_seen
from ._vocabulary import encode_ids, fit_vocabulary

__all__ = [
    "all_estimators",
    "encode_ids",
    "fit_vocabulary",
    "interaction_columns",
    "interaction_matrix",
    "mask_seen",
]
