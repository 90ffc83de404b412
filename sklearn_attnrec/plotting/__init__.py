"""Plots of attention weights, learning curves, embeddings and ranking metrics.

Each function draws on a matplotlib :class:`~matplotlib.axes.Axes` (a new figure
when ``ax`` is None) and returns the Axes. matplotlib is an optional dependency:
it is imported when a function is called, not when this module is imported
(``pip install matplotlib``).
"""

from ._plots import (
    plot_attention,
    plot_embeddings,
    plot_learning_curve,
    plot_ranking_metrics,
)

__all__ = [
    "plot_attention",
    "plot_embeddings",
    "plot_learning_curve",
    "plot_ranking_metrics",
]
