"""Export fitted recommenders for serving without this package.

:func:`export_recommender` (also :meth:`RecommenderMixin.export
<sklearn_attnrec.base.RecommenderMixin.export>`) writes one ``.npz`` file that
a service reads with numpy alone (factor and neighbour models) or with numpy
and torch (the neural models, whose scorer is a :func:`torch.export.export`
program stored in the file): the id maps, the items each user saw in
training and the arrays of a small scoring rule named by the file's
``kind``. The rules are documented, as numpy formulas, in :doc:`/serving`.
"""

from ._export import FORMAT_VERSION, KINDS, export_recommender

__all__ = ["FORMAT_VERSION", "KINDS", "export_recommender"]
