"""Non-personalised and bias baselines."""

from ._baseline import BaselineRegressor
from ._content import ContentBasedRecommender
from ._popularity import PopularityRecommender

__all__ = ["BaselineRegressor", "ContentBasedRecommender", "PopularityRecommender"]
