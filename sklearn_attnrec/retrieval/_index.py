"""Vector indexes for serving: exact search and approximate search with faiss.

An index holds item vectors under item ids and answers "the k vectors with the
largest score for this query", the score being the dot product or the cosine.
Items can be added at any time (a new item is searchable at once, without
retraining the model that made the vectors).
"""

from numbers import Integral

import numpy as np

from ..utils._param_validation import Interval, StrOptions, validate_params
from ..utils._topk import topk_indices

_METRICS = ("dot", "cosine")


def _as_vectors(vectors, dim=None, name="vectors"):
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, dim); got shape {vectors.shape}")
    if dim is not None and vectors.shape[1] != dim:
        raise ValueError(
            f"{name} have dimension {vectors.shape[1]}, the index holds {dim}"
        )
    if not np.isfinite(vectors).all():
        raise ValueError(f"{name} contain NaN or infinity")
    return vectors


def _duplicated_ids(ids):
    """The ids that occur more than once in ``ids``, in order of first repeat."""
    seen, repeated = set(), {}
    for item in np.asarray(ids).tolist():
        if item in seen:
            repeated.setdefault(item, None)
        seen.add(item)
    return list(repeated)


def _normalised(vectors):
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1)


class _BaseIndex:
    _parameter_constraints = {"metric": [StrOptions(set(_METRICS))]}

    def __init__(self, metric="dot"):
        validate_params(self, {"metric": metric})
        self.metric = metric
        self.ids = np.empty(0, dtype=object)
        self.dim = None

    def __len__(self):
        return len(self.ids)

    def _id_set(self):
        """The ids held, as a set (kept in step with ``ids``, rebuilt if not)."""
        known = self.__dict__.get("_ids_held")
        if known is None or len(known) != len(self.ids):
            known = self._ids_held = set(self.ids.tolist())
        return known

    def add(self, vectors, ids):
        """Add vectors under the given ids (searchable at once).

        Parameters
        ----------
        vectors : array-like of shape (n, dim)
        ids : array-like of shape (n,)
            Item ids returned by ``search``: distinct, and not in the index yet
            (a ``ValueError`` names any repeated id). With ``n = 0`` nothing
            changes.

        Returns
        -------
        self
        """
        vectors = _as_vectors(vectors, self.dim)
        ids = np.asarray(ids)
        if ids.shape != (len(vectors),):
            raise ValueError(f"ids must have shape ({len(vectors)},); got {ids.shape}")
        if len(ids) == 0:
            return self
        repeated = _duplicated_ids(ids)
        if repeated:
            raise ValueError(
                f"ids hold {len(repeated)} duplicated id(s), e.g. {repeated[:5]}; "
                "each item can be indexed once"
            )
        held = self._id_set()
        present = [item for item in ids.tolist() if item in held]
        if present:
            raise ValueError(
                f"{len(present)} id(s) are already in the index, e.g. "
                f"{present[:5]}; each item can be indexed once (build a new index "
                "to replace vectors)"
            )
        if self.metric == "cosine":
            vectors = _normalised(vectors)
        if self.dim is None:
            self.dim = vectors.shape[1]
            self.ids = ids.copy()
        elif self.ids.dtype.kind == ids.dtype.kind:
            self.ids = np.concatenate([self.ids, ids])
        else:
            # e.g. string ids added to int ids: keep each id's own type.
            self.ids = np.concatenate([self.ids.astype(object), ids.astype(object)])
        self._add(vectors)
        held.update(ids.tolist())
        return self

    def search(self, queries, k=10):
        """The ``k`` best items for each query.

        Parameters
        ----------
        queries : array-like of shape (n_queries, dim)
        k : int, default=10

        Returns
        -------
        ids : ndarray of shape (n_queries, min(k, len(self)))
            Item ids, best first.
        scores : ndarray of shape (n_queries, min(k, len(self)))
            Dot products (or cosines), float32.
        """
        if len(self) == 0:
            raise ValueError("the index is empty: add vectors first")
        if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
            raise ValueError(f"k must be a positive integer; got {k!r}")
        queries = _as_vectors(queries, self.dim, name="queries")
        if self.metric == "cosine":
            queries = _normalised(queries)
        positions, scores = self._search(queries, min(int(k), len(self)))
        return self.ids[positions], scores


class ExactIndex(_BaseIndex):
    """Exact maximum inner-product (or cosine) search by matrix products.

    Parameters
    ----------
    metric : {"dot", "cosine"}, default="dot"

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.retrieval import ExactIndex
    >>> index = ExactIndex().add(np.eye(3), ["a", "b", "c"])
    >>> index.search([[0.1, 0.9, 0.5]], k=2)[0]
    array([['b', 'c']], dtype='<U1')
    """

    # Query rows scored at once: bounds memory at block * n_items floats.
    _BLOCK = 256

    def __init__(self, metric="dot"):
        super().__init__(metric)
        self._vectors = np.empty((0, 0), dtype=np.float32)

    def _add(self, vectors):
        if self._vectors.size == 0:
            self._vectors = vectors.copy()
        else:
            self._vectors = np.vstack([self._vectors, vectors])

    def _search(self, queries, k):
        positions = np.empty((len(queries), k), dtype=np.int64)
        scores = np.empty((len(queries), k), dtype=np.float32)
        for start in range(0, len(queries), self._BLOCK):
            block = queries[start : start + self._BLOCK] @ self._vectors.T
            top = topk_indices(block, k)
            positions[start : start + len(block)] = top
            scores[start : start + len(block)] = np.take_along_axis(block, top, axis=1)
        return positions, scores


class HNSWIndex(_BaseIndex):
    """Approximate search with a hierarchical navigable small-world graph (faiss).

    Backed by ``faiss.IndexHNSWFlat`` (Malkov & Yashunin 2018): no training step,
    items can be added at any time, and a query visits a few thousand vectors
    instead of all of them. Needs the optional ``faiss-cpu`` package.

    Parameters
    ----------
    metric : {"dot", "cosine"}, default="dot"
    n_links : int, default=32
        Neighbours per node in the graph (faiss's ``M``): more is more accurate,
        bigger and slower to build.
    ef_construction : int, default=100
        Candidate list size while building.
    ef_search : int, default=64
        Candidate list size while searching (accuracy against speed); raised to
        ``k`` when smaller.

    Notes
    -----
    faiss's HNSW graph is built for Euclidean neighbours; inner-product search
    is exact in ranking for unit vectors (``metric="cosine"``) and approximate
    otherwise. Item vectors of similar norms (or cosine) give the best recall.

    References
    ----------
    Y. A. Malkov, D. A. Yashunin, "Efficient and robust approximate nearest
    neighbor search using hierarchical navigable small world graphs", TPAMI 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.retrieval import HNSWIndex
    >>> rng = np.random.default_rng(0)
    >>> index = HNSWIndex(metric="cosine")
    >>> index = index.add(rng.normal(size=(100, 8)), np.arange(100))
    >>> ids, scores = index.search(rng.normal(size=(2, 8)), k=5)
    >>> ids.shape
    (2, 5)
    """

    _parameter_constraints = {
        **_BaseIndex._parameter_constraints,
        "n_links": [Interval(Integral, 1, None, closed="left")],
        "ef_construction": [Interval(Integral, 1, None, closed="left")],
        "ef_search": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, metric="dot", *, n_links=32, ef_construction=100, ef_search=64):
        super().__init__(metric)
        try:
            import faiss
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "HNSWIndex needs faiss: pip install faiss-cpu (or use ExactIndex)"
            ) from exc
        self._faiss = faiss
        self.n_links = n_links
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        validate_params(self)
        self._index = None

    def _add(self, vectors):
        if self._index is None:
            self._index = self._faiss.IndexHNSWFlat(
                vectors.shape[1], self.n_links, self._faiss.METRIC_INNER_PRODUCT
            )
            self._index.hnsw.efConstruction = self.ef_construction
        self._index.add(vectors)

    def _search(self, queries, k):
        self._index.hnsw.efSearch = max(self.ef_search, k)
        scores, positions = self._index.search(queries, k)
        # faiss marks missing results with -1 (fewer reachable than k): push them
        # to the end with score -inf rather than returning a wrong id.
        missing = positions < 0
        scores[missing] = -np.inf
        positions[missing] = 0
        return positions, scores

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_faiss")
        if self._index is not None:
            state["_index"] = self._faiss.serialize_index(self._index)
        return state

    def __setstate__(self, state):
        import faiss

        self.__dict__.update(state)
        self._faiss = faiss
        if self._index is not None:
            self._index = faiss.deserialize_index(self._index)


def make_index(kind="exact", metric="dot", **params):
    """Build an empty index by name.

    Parameters
    ----------
    kind : {"exact", "hnsw"}, default="exact"
        ``"exact"``: :class:`ExactIndex`; ``"hnsw"``: :class:`HNSWIndex` (faiss).
    metric : {"dot", "cosine"}, default="dot"
    **params
        Passed to the index class.

    Returns
    -------
    index : ExactIndex or HNSWIndex

    Examples
    --------
    >>> from sklearn_attnrec.retrieval import make_index
    >>> make_index("exact", metric="cosine").metric
    'cosine'
    """
    kinds = {"exact": ExactIndex, "hnsw": HNSWIndex}
    if kind not in kinds:
        raise ValueError(f"index kind must be one of {sorted(kinds)}; got {kind!r}")
    return kinds[kind](metric, **params)
