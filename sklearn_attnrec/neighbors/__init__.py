"""Neighbourhood collaborative filtering: user-user and item-item k-NN."""

from ._knn import ItemKNNRegressor, UserKNNRegressor

__all__ = ["ItemKNNRegressor", "UserKNNRegressor"]
