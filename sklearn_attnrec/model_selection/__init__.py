"""Cross-validation splitters and train/test splits for interaction data.

The splitters work on ``X`` whose first column holds user ids and second
column item ids, and can be passed as ``cv=`` to scikit-learn's
:class:`~sklearn.model_selection.GridSearchCV` or
:func:`~sklearn.model_selection.cross_validate`.
"""

from ._split import LeaveLastOut, PerUserKFold, train_test_split_interactions

__all__ = ["LeaveLastOut", "PerUserKFold", "train_test_split_interactions"]
