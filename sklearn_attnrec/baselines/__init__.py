"""Non-personalised and bias baselines."""

from ._baseline import BaselineRegressor
from ._popularity import PopularityRecommender

__all__ = ["BaselineRegressor", "PopularityRecommender"]
