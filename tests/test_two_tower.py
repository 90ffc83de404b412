import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_attnrec import (
    PopularityRecommender,
    TwoTowerRetriever,
    make_ranking_scorer,
)
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.model_selection import train_test_split_interactions

SMALL = dict(n_components=8, embedding_dim=8, hidden_layer_sizes=(16,), random_state=0)


@pytest.fixture(scope="module")
def planted():
    X, _, truth = make_interactions(
        n_users=300,
        n_items=120,
        n_components=4,
        density=0.08,
        implicit=True,
        return_factors=True,
        random_state=0,
    )
    X_train, X_test = train_test_split_interactions(X, test_size=0.2, random_state=0)
    return X_train, X_test, truth


def _features(truth):
    return (np.arange(300), truth.user_factors), (np.arange(120), truth.item_factors)


def test_beats_popularity_with_ids_and_with_features(planted):
    X_train, X_test, truth = planted
    scorer = make_ranking_scorer("ndcg", k=10)
    popularity = scorer(PopularityRecommender().fit(X_train), X_test)
    # Ids alone (BCE) beat popularity by a small margin that a single seed
    # does not show reliably (8 seeds measured: 0.282-0.326, median 0.306,
    # popularity 0.291): the median of five seeds must reach it.
    by_ids = [
        scorer(TwoTowerRetriever(loss="bce", random_state=seed).fit(X_train), X_test)
        for seed in range(5)
    ]
    assert np.median(by_ids) > popularity
    users, items = _features(truth)
    by_features = TwoTowerRetriever(embedding_dim=0, random_state=0).fit(
        X_train, user_features=users, item_features=items
    )
    # Measured: planted features 0.45: far above the seed spread.
    assert scorer(by_features, X_test) > popularity + 0.1


def test_cold_start_users_and_items_from_features(planted):
    X_train, X_test, truth = planted
    users, items = _features(truth)
    # Users 0-49 are held out entirely: the model never sees them.
    cold = X_train[:, 0] < 50
    model = TwoTowerRetriever(embedding_dim=0, random_state=0).fit(
        X_train[~cold], user_features=users, item_features=items
    )
    found, scores = model.recommend_for_features(truth.user_factors[:50], n=10)
    assert found.shape == (50, 10) and np.all(np.diff(scores, axis=1) <= 1e-6)
    relevant = [set(X_train[X_train[:, 0] == u, 1]) for u in range(50)]
    recall = np.mean([len(set(f) & r) / len(r) for f, r in zip(found, relevant) if r])
    popular = np.argsort(-np.bincount(X_train[~cold, 1], minlength=120))[:10]
    baseline = np.mean([len(set(popular) & r) / len(r) for r in relevant if r])
    assert recall > baseline, (recall, baseline)

    model.add_items(["brand new"], truth.item_factors[:1] * 3)
    assert "brand new" in set(
        model.index_.search(
            model._vectors(
                "item",
                np.array([-1]),
                features=truth.item_factors[:1].astype(np.float32) * 3,
            ),
            k=1,
        )[0].ravel()
    )
    # A known user's exact ranking over candidates that include the new item
    # equals the index's scores (dot products with the stored vectors).
    user = model.user_ids_[:3]
    candidates = np.array(["brand new", *model.item_ids_[:4]], dtype=object)
    ids, scores = model.recommend(user, n=5, exclude_seen=False, items=candidates)
    assert sorted(map(str, ids[0])) == sorted(map(str, candidates))
    u = model._vectors("user", np.arange(3)).astype(np.float64)
    expected_new = u @ model.new_item_vectors_[0].astype(np.float64)
    np.testing.assert_allclose(scores[ids == "brand new"], expected_new, rtol=1e-5)
    np.testing.assert_allclose(
        scores[ids == model.item_ids_[0]],
        model.predict(np.column_stack([user, np.repeat(model.item_ids_[0], 3)])),
        rtol=1e-5,
    )
    # predict and transform score added items with their own vectors too, and
    # they are no longer unknown.
    rows = np.array(
        [[user[0], "brand new"], [user[1], model.item_ids_[0]]], dtype=object
    )
    model.set_params(handle_unknown="error")
    np.testing.assert_allclose(model.predict(rows)[0], expected_new[0], rtol=1e-5)
    np.testing.assert_allclose(
        model.transform(rows)[0, model.n_components :],
        model.new_item_vectors_[0],
        rtol=1e-6,
    )
    model.set_params(handle_unknown="fallback")
    with pytest.raises(ValueError, match="not indexed yet"):
        model.add_items(["brand new"], truth.item_factors[:1])
    with pytest.raises(ValueError, match="columns"):
        model.add_items(["other"], np.ones((1, 3)))


def test_exploration_shows_new_items_to_a_seeded_share_of_users(planted):
    X_train, _, truth = planted
    model = TwoTowerRetriever(exploration=0.5, max_iter=2, **SMALL).fit(X_train)
    users = model.user_ids_
    model.add_items(["new a", "new b"], np.zeros((2, 0)))
    found, scores = model.recommend(users, n=5)
    explored = np.isin(found[:, -1], ["new a", "new b"]) & np.isnan(scores[:, -1])
    assert 0.3 < explored.mean() < 0.7
    again, _ = model.recommend(users, n=5)
    np.testing.assert_array_equal(again, found)


def test_hnsw_index_serves_the_same_lists_on_small_data(planted):
    pytest.importorskip("faiss")
    X_train, _, _ = planted
    exact = TwoTowerRetriever(max_iter=3, **SMALL).fit(X_train)
    approx = TwoTowerRetriever(index="hnsw", max_iter=3, **SMALL).fit(X_train)
    users = exact.user_ids_[:40]
    a, _ = exact.recommend(users, n=10)
    b, _ = approx.recommend(users, n=10)
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)])
    assert overlap >= 0.95


def test_feature_inputs_dataframe_sparse_and_errors(planted):
    pd = pytest.importorskip("pandas")
    X_train, _, truth = planted
    frame = pd.DataFrame(truth.item_factors, index=np.arange(120))
    sparse = (np.arange(120), sp.csr_matrix(truth.item_factors))
    a = TwoTowerRetriever(max_iter=2, **SMALL).fit(X_train, item_features=frame)
    b = TwoTowerRetriever(max_iter=2, **SMALL).fit(X_train, item_features=sparse)
    np.testing.assert_allclose(a.item_vectors_, b.item_vectors_, rtol=1e-5)
    with pytest.raises(ValueError, match="numeric"):
        TwoTowerRetriever(**SMALL).fit(
            X_train, item_features=pd.DataFrame({"genre": ["x"] * 120})
        )
    with pytest.raises(ValueError, match="one row of features per id"):
        TwoTowerRetriever(**SMALL).fit(
            X_train, item_features=(np.arange(5), np.ones((4, 2)))
        )
    with pytest.raises(ValueError, match="DataFrame indexed by id"):
        TwoTowerRetriever(**SMALL).fit(X_train, item_features=np.ones((120, 2)))
    with pytest.raises(ValueError, match="loss"):
        TwoTowerRetriever(loss="triplet").fit(X_train)


def test_in_batch_softmax_against_the_formula():
    """loss_b = -log softmax_b over the batch's items, logits u·v/T − log q_j,
    and another row holding the same item is no negative (accidental hit)."""
    import torch

    from sklearn_attnrec.neural._modules import InBatchSoftmaxLoss

    rng = np.random.default_rng(0)
    users = torch.tensor(rng.normal(size=(4, 3)))
    items = torch.tensor(rng.normal(size=(4, 3)))
    log_q = torch.tensor(np.log([0.1, 0.2, 0.3, 0.1]))
    item_ids = torch.tensor([7, 8, 7, 9])  # rows 0 and 2 hold the same item
    loss = InBatchSoftmaxLoss(temperature=0.5)((users, items, log_q, item_ids))
    logits = (users @ items.T).numpy() / 0.5 - log_q.numpy()[None, :]
    expected = []
    for b in range(4):
        negatives = [j for j in range(4) if j != b and item_ids[j] != item_ids[b]]
        row = logits[b, [b, *negatives]]
        expected.append(-(row[0] - np.log(np.exp(row).sum())))
    assert float(loss) == pytest.approx(np.mean(expected), rel=1e-10)
    # Without the mask the accidental hit would count: the loss would differ.
    unmasked = np.mean(
        [-(logits[b, b] - np.log(np.exp(logits[b]).sum())) for b in range(4)]
    )
    assert abs(float(loss) - unmasked) > 1e-3
