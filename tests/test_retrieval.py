import pickle

import numpy as np
import pytest

from sklearn_attnrec.retrieval import ExactIndex, HNSWIndex, make_index

faiss = pytest.importorskip("faiss")


@pytest.fixture(scope="module")
def vectors():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(20, 16))
    items = centres[rng.integers(0, 20, 2000)] + 0.3 * rng.normal(size=(2000, 16))
    queries = rng.normal(size=(50, 16))
    return items.astype(np.float32), queries.astype(np.float32)


@pytest.mark.parametrize("metric", ["dot", "cosine"])
def test_exact_index_matches_brute_force(vectors, metric):
    items, queries = vectors
    index = ExactIndex(metric).add(items, np.arange(len(items)) + 100)
    ids, scores = index.search(queries, k=7)
    if metric == "cosine":
        items = items / np.linalg.norm(items, axis=1, keepdims=True)
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    expected = np.argsort(-(queries @ items.T), axis=1, kind="stable")[:, :7] + 100
    np.testing.assert_array_equal(ids, expected)
    assert np.all(np.diff(scores, axis=1) <= 0)


@pytest.mark.parametrize("metric", ["dot", "cosine"])
def test_hnsw_returns_the_exact_top_k_on_small_data(vectors, metric):
    items, queries = vectors
    exact = ExactIndex(metric).add(items, np.arange(len(items)))
    approx = HNSWIndex(metric, ef_search=400).add(items, np.arange(len(items)))
    exact_ids, exact_scores = exact.search(queries, k=10)
    ids, scores = approx.search(queries, k=10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact_ids)])
    assert recall >= 0.99
    np.testing.assert_allclose(scores[:, 0], exact_scores[:, 0], rtol=1e-4)


@pytest.mark.parametrize("kind", ["exact", "hnsw"])
def test_a_new_item_is_found_at_once(vectors, kind):
    items, _ = vectors
    index = make_index(kind, metric="cosine").add(items, np.arange(len(items)))
    new = np.full((1, items.shape[1]), 3.0, dtype=np.float32)
    index.add(new, ["new item"])
    ids, scores = index.search(new, k=1)
    assert ids[0, 0] == "new item"
    assert scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert len(index) == len(items) + 1


def test_k_larger_than_the_index_and_pickle(vectors):
    items, queries = vectors
    for index in (ExactIndex(), HNSWIndex()):
        index.add(items[:5], list("abcde"))
        ids, scores = index.search(queries[:2], k=50)
        assert ids.shape == (2, 5)
        loaded = pickle.loads(pickle.dumps(index))
        np.testing.assert_array_equal(loaded.search(queries[:2], k=3)[0], ids[:, :3])


def test_bad_input_is_named(vectors):
    items, queries = vectors
    with pytest.raises(ValueError, match="metric"):
        ExactIndex("euclid")
    with pytest.raises(ValueError, match="index kind"):
        make_index("annoy")
    with pytest.raises(ValueError, match="empty"):
        ExactIndex().search(queries, k=1)
    index = ExactIndex().add(items, np.arange(len(items)))
    with pytest.raises(ValueError, match="dimension"):
        index.search(queries[:, :3], k=1)
    with pytest.raises(ValueError, match="NaN"):
        index.add(np.full((1, 16), np.nan), [1])
    with pytest.raises(ValueError, match="ids must"):
        index.add(items[:2], [1])
    with pytest.raises(ValueError, match="k must"):
        index.search(queries, k=0)
    with pytest.raises(ValueError, match="n_links"):
        HNSWIndex(n_links=0)
