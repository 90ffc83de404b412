"""Neighbourhood and item-item models: user-user and item-item k-NN, EASE."""

from ._ease import EASE
from ._item_knn_implicit import ItemKNNRecommender
from ._knn import ItemKNNRegressor, UserKNNRegressor

__all__ = ["EASE", "ItemKNNRecommender", "ItemKNNRegressor", "UserKNNRegressor"]
