"""ItemKNNRecommender: the implicit-feedback item-item model (BM25, TF-IDF, cosine)."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklearn_attnrec import ItemKNNRecommender, PerUserKFold, make_ranking_scorer
from sklearn_attnrec.neighbors import _item_knn_implicit

WEIGHTINGS = ["bm25", "tfidf", "cosine", None]


def dense_similarity(R, weighting, k1=1.2, b=0.75):
    """All item-item similarities ``W.T @ W``, written out on a dense matrix."""
    seen = R > 0
    idf = np.log(R.shape[1]) - np.log1p(seen.sum(axis=1, keepdims=True))
    if weighting is None:
        W = R
    elif weighting == "cosine":
        W = R / np.linalg.norm(R, axis=0)
    elif weighting == "tfidf":
        W = np.sqrt(R) * idf
        W = W / np.linalg.norm(W, axis=0)
    else:  # BM25: items are the documents, users the terms
        length = R.sum(axis=0)
        norm = 1 - b + b * length / length.mean()
        W = np.where(seen, R * (k1 + 1) / (k1 * norm + R) * idf, 0.0)
    return W.T @ W


def keep_top(S, k):
    """The ``k`` largest entries of each row of a dense matrix, 0 elsewhere."""
    out = np.zeros_like(S)
    top = np.argsort(-S, axis=1)[:, :k]
    rows = np.arange(len(S))[:, None]
    out[rows, top] = S[rows, top]
    return out


def random_values(n_users=30, n_items=20, density=0.3, seed=0):
    """Continuous values (no ties) with every user and item present."""
    rng = np.random.default_rng(seed)
    shape = (n_users, n_items)
    R = np.where(rng.random(shape) < density, rng.uniform(1, 5, shape), 0.0)
    R[np.arange(n_users), rng.integers(0, n_items, n_users)] = rng.uniform(1, 5)
    R[rng.integers(0, n_users, n_items), np.arange(n_items)] = rng.uniform(1, 5)
    users, items = np.nonzero(R)
    return R, np.column_stack([users, items]), R[users, items]


@pytest.fixture(scope="module")
def values():
    return random_values()


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("k", [100, 5])
def test_similarity_and_scores_match_a_dense_reference(weighting, k, values):
    R, X, y = values
    model = ItemKNNRecommender(
        n_neighbors=k, weighting=weighting, bm25_k1=1.2, bm25_b=0.75
    ).fit(X, y)
    S = keep_top(dense_similarity(R, weighting), k)
    np.testing.assert_allclose(model.similarity_.toarray(), S, atol=1e-12)
    n_pairs = np.minimum(k, np.count_nonzero(S, axis=1))
    np.testing.assert_array_equal(np.diff(model.similarity_.indptr), n_pairs)
    # Scores: the raw values of the user's items times the kept similarities.
    users = np.arange(R.shape[0])
    np.testing.assert_allclose(model._score_items(users), R @ S, atol=1e-12)
    pairs = np.column_stack([np.repeat(users, 20), np.tile(np.arange(20), 30)])
    np.testing.assert_allclose(
        model.predict(pairs), (R @ S)[pairs[:, 0], pairs[:, 1]], atol=1e-12
    )


def test_bm25_parameters_are_used(values):
    R, X, y = values
    model = ItemKNNRecommender(bm25_k1=2.0, bm25_b=0.3).fit(X, y)
    expected = keep_top(dense_similarity(R, "bm25", k1=2.0, b=0.3), 100)
    np.testing.assert_allclose(model.similarity_.toarray(), expected, atol=1e-12)


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.filterwarnings("ignore:Method expects CSR input")  # implicit's own
def test_top10_lists_equal_implicit(weighting):
    nn = pytest.importorskip("implicit.nearest_neighbours")
    classes = {
        "bm25": nn.BM25Recommender,
        "tfidf": nn.TFIDFRecommender,
        "cosine": nn.CosineRecommender,
        None: nn.ItemItemRecommender,
    }
    _, X, y = random_values(n_users=80, n_items=60, density=0.15, seed=1)
    model = ItemKNNRecommender(
        n_neighbors=8, weighting=weighting, bm25_k1=1.2, bm25_b=0.75
    ).fit(X, y)
    reference = classes[weighting](K=8, num_threads=1)
    user_items = model.user_items_.astype(np.float64)
    reference.fit(user_items, show_progress=False)
    np.testing.assert_allclose(
        model.similarity_.toarray(), reference.similarity.toarray(), rtol=1e-5
    )
    users = np.arange(user_items.shape[0])
    ids, scores = reference.recommend(users, user_items[users], N=10)
    ours, our_scores = model.recommend(model.user_ids_, n=10)
    # implicit pads short lists with seen items at score 0: compare the rest.
    useful = scores > 0
    assert useful.mean() > 0.9
    assert (ours[useful] == ids[useful]).all()
    np.testing.assert_allclose(our_scores[useful], scores[useful], rtol=1e-5)


def test_unknown_user_gets_item_popularity_and_unknown_item_zero():
    X = [[0, "a"], [1, "a"], [2, "a"], [1, "b"], [2, "b"], [2, "c"]]
    model = ItemKNNRecommender().fit(X, [1.0, 2.0, 3.0, 1.0, 1.0, 5.0])
    np.testing.assert_array_equal(model.item_popularity_, [3, 2, 1])
    np.testing.assert_array_equal(
        model.predict([[9, "a"], [9, "c"], [0, "z"], [9, "z"]]), [3, 1, 0, 0]
    )
    items, scores = model.recommend([9], n=3)
    assert items.tolist() == [["a", "b", "c"]]
    np.testing.assert_array_equal(scores, [[3, 2, 1]])
    with pytest.raises(ValueError, match="unknown user"):
        clone(model).set_params(handle_unknown="error").fit(X).recommend([9])


def test_zero_values_are_no_interaction_but_seen():
    X = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 1]]
    model = ItemKNNRecommender(weighting=None).fit(X, [1.0, 0.0, 1.0, 2.0, 1.0])
    # Item 1's column is (0, 2, 1): user 0's zero adds nothing.
    np.testing.assert_allclose(model.similarity_.toarray(), [[2, 2], [2, 5]])
    items, scores = model.recommend([0], n=2)
    assert np.isneginf(scores).all()  # both items seen by user 0


@pytest.mark.parametrize(
    "params, y, message",
    [
        ({}, [1.0, -2.0, 1.0], "non-negative"),
        ({"weighting": "bm26"}, None, "'weighting' parameter .* a str among"),
        ({"weighting": "BM25"}, None, "'weighting' parameter .* a str among"),
        ({"n_neighbors": 0}, None, "n_neighbors"),
        ({"n_neighbors": 2.5}, None, "'n_neighbors' parameter .* must be an int"),
        ({"bm25_k1": -1.0}, None, "bm25_k1"),
        ({"bm25_b": 1.5}, None, "bm25_b"),
        ({"n_jobs": 0}, None, "n_jobs"),
    ],
)
def test_bad_parameters_and_weights_raise(params, y, message):
    model = ItemKNNRecommender(**params)
    # InvalidParameterError is both a ValueError and a TypeError.
    with pytest.raises((ValueError, TypeError), match=message):
        model.fit([[0, 1], [1, 1], [1, 2]], y)
    assert not hasattr(model, "similarity_")


def test_similar_items(values):
    R, X, y = values
    model = ItemKNNRecommender(n_neighbors=6, weighting="cosine").fit(X, y)
    S = model.similarity_.toarray()
    items, sims = model.similar_items([0, 3], n=4)
    for row, item in enumerate([0, 3]):
        assert item not in items[row]
        expected = [j for j in np.argsort(-S[item]) if j != item][:4]
        assert items[row].tolist() == expected
        np.testing.assert_allclose(sims[row], S[item, expected])
    assert np.all(np.diff(sims, axis=1) <= 0)
    # More than the kept neighbours: -inf slots, never the item itself.
    items, sims = model.similar_items([0], n=100)
    assert items.shape == (1, R.shape[1] - 1) and 0 not in items[0]
    assert np.isfinite(sims[0, :5]).all() and np.isneginf(sims[0, 6:]).all()
    with pytest.raises(ValueError, match="unknown item.*999"):
        model.similar_items([999])
    with pytest.raises(ValueError, match="1-D"):
        model.similar_items([[0]])


def test_blocks_and_threads_give_the_same_similarity(values, monkeypatch):
    _, X, y = values
    reference = ItemKNNRecommender(n_neighbors=4).fit(X, y).similarity_
    monkeypatch.setattr(_item_knn_implicit, "_BLOCK_ENTRIES", 50)  # 2 rows a block
    for n_jobs in (None, 2):
        S = ItemKNNRecommender(n_neighbors=4, n_jobs=n_jobs).fit(X, y).similarity_
        assert (S != reference).nnz == 0


def test_many_items_keep_k_neighbors_per_item():
    # 3,000 items would be 9 million pairs dense; the fit keeps k per item.
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 2000, 20000), rng.integers(0, 3000, 20000)])
    model = ItemKNNRecommender(n_neighbors=5).fit(X)
    assert sp.isspmatrix_csr(model.similarity_)
    assert model.similarity_.nnz <= 5 * len(model.item_ids_)


def test_pickle_clone_and_grid_search(values):
    _, X, y = values
    model = ItemKNNRecommender(n_neighbors=5).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert clone(model).get_params() == model.get_params()
    search = GridSearchCV(
        ItemKNNRecommender(),
        {"weighting": ["bm25", "cosine"], "n_neighbors": [3, 10]},
        cv=PerUserKFold(n_splits=3, shuffle=True, random_state=0),
        scoring=make_ranking_scorer("ndcg", k=5),
    ).fit(X, y)
    assert set(search.best_params_) == {"weighting", "n_neighbors"}
    assert 0 <= search.best_score_ <= 1
    # Without scoring=, score is NDCG@10 of the held-out rows.
    search = GridSearchCV(ItemKNNRecommender(), {"bm25_b": [0.4, 0.75]}, cv=3)
    assert 0 <= search.fit(X).best_score_ <= 1


def test_movielens_fold_u1_beats_implicit_bm25(movielens):
    X, y = movielens.data, movielens.target
    train, test = movielens.folds[0]
    model = ItemKNNRecommender().fit(X[train])
    ndcg = make_ranking_scorer("ndcg", k=10, threshold=4)(model, X[test], y[test])
    # implicit's BM25Recommender(K=100): 0.3785 (bench_item_knn_implicit.py).
    assert ndcg > 0.3785
