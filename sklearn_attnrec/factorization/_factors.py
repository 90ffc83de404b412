"""What every factor model offers on top of its factors: names and neighbours."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..base import check_n
from ..utils._topk import topk_indices
from ..utils._vocabulary import UNKNOWN


class FactorModelMixin:
    """``get_feature_names_out`` and ``similar_items`` of a model with fitted
    ``user_factors_`` and ``item_factors_`` (and the recommender's ``_encode``)."""

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` columns: ``user_factor_j``, ``item_factor_j``."""
        check_is_fitted(self)
        k = self.user_factors_.shape[1]
        names = [f"user_factor_{j}" for j in range(k)]
        names += [f"item_factor_{j}" for j in range(k)]
        return np.asarray(names, dtype=object)

    def similar_items(self, items, n=10):
        """Items whose factors have the highest cosine similarity.

        Parameters
        ----------
        items : array-like of shape (n_queries,)
            Raw item ids seen in fit.
        n : int, default=10
            Neighbours per item (the item itself is left out).

        Returns
        -------
        item_ids : ndarray of shape (n_queries, min(n, n_items - 1))
        scores : ndarray of shape (n_queries, min(n, n_items - 1))
            Cosine similarities, best first.
        """
        check_is_fitted(self)
        check_n(n)
        items = np.asarray(items).ravel()
        index = self._encode(items, self.item_ids_, "item")
        if (index == UNKNOWN).any():
            raise ValueError(
                "similar_items needs items seen in fit; unknown: "
                f"{items[index == UNKNOWN][:5].tolist()}"
            )
        factors = self.item_factors_.astype(np.float64)
        norms = np.linalg.norm(factors, axis=1)
        unit = factors / np.where(norms > 0, norms, 1)[:, None]
        similarity = unit[index] @ unit.T
        similarity[np.arange(len(index)), index] = -np.inf
        top = topk_indices(similarity, min(n, len(self.item_ids_) - 1))
        return self.item_ids_[top], np.take_along_axis(similarity, top, axis=1)
