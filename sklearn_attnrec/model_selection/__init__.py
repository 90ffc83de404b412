"""Cross-validation splitters and train/test splits for interaction data.

The splitters work on ``X`` whose first column holds user ids and second
column item ids (and, for the splitters by time, a time column), and can be
passed as ``cv=`` to scikit-learn's :class:`~sklearn.model_selection.GridSearchCV` or
:func:`~sklearn.model_selection.cross_validate`.
"""

from ._split import LeaveLastOut, PerUserKFold, train_test_split_interactions
from ._time import ExpandingWindowSplit, TemporalSplit

__all__ = [
    "ExpandingWindowSplit",
    "LeaveLastOut",
    "PerUserKFold",
    "TemporalSplit",
    "train_test_split_interactions",
]
