"""Vector indexes for serving recommendations: exact and approximate (faiss HNSW)."""

from ._index import ExactIndex, HNSWIndex, make_index

__all__ = ["ExactIndex", "HNSWIndex", "make_index"]
