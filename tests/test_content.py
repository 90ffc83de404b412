"""ContentBasedRecommender: profiles, cosine scores, cold start, feature inputs."""

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import OneHotEncoder

from sklearn_attnrec import ContentBasedRecommender, PopularityRecommender

# Items a..e described by [comedy, drama, action].
FEATURES = {
    "a": [1, 0, 0],
    "b": [0, 1, 0],
    "c": [1, 0, 1],
    "d": [0, 1, 1],
    "e": [1, 1, 0],
}
RATINGS = [
    ("ann", "a", 5),
    ("ann", "b", 1),
    ("ann", "c", 4),
    ("bob", "b", 5),
    ("bob", "d", 4),
    ("bob", "a", 2),
    ("cy", "e", 3),
    ("cy", "c", 3),
]


def data():
    X = np.array([[u, i, *FEATURES[i]] for u, i, _ in RATINGS], dtype=object)
    y = np.array([r for *_, r in RATINGS], dtype=float)
    return X, y


def reference_scores(X, y, center=True):
    """Profiles and cosines computed directly from the definition."""
    items = sorted(FEATURES)
    unit = {
        i: np.array(FEATURES[i], float) / np.linalg.norm(FEATURES[i]) for i in items
    }
    scores = {}
    for user in sorted(set(X[:, 0])):
        rows = X[:, 0] == user
        weights = y[rows] - y[rows].mean() if center else y[rows]
        if center and np.allclose(weights, 0):
            weights = np.ones_like(weights)
        profile = sum(w * unit[i] for w, i in zip(weights, X[rows, 1]))
        norm = np.linalg.norm(profile)
        scores[user] = np.array([profile @ unit[i] / norm for i in items])
    return scores


@pytest.mark.parametrize("center", [True, False])
def test_scores_match_the_definition(center):
    X, y = data()
    model = ContentBasedRecommender(center=center).fit(X, y)
    expected = reference_scores(X, y, center)
    users = model.user_ids_
    scores = model._score_items(np.arange(len(users)))
    for row, user in zip(scores, users):
        np.testing.assert_allclose(row, expected[user])
    pairs = np.array([[u, i, *FEATURES[i]] for u in users for i in FEATURES], object)
    np.testing.assert_allclose(
        model.predict(pairs), np.concatenate([expected[u] for u in users])
    )


def test_a_new_item_is_scored_from_its_features():
    X, y = data()
    model = ContentBasedRecommender().fit(X, y)
    # An unseen item with c's features scores exactly as c.
    new = np.array([["ann", "new", 1, 0, 1], ["ann", "c", 1, 0, 1]], dtype=object)
    scores = model.predict(new)
    assert scores[0] == pytest.approx(scores[1])
    assert scores[0] > model.predict(np.array([["ann", "b", 0, 1, 0]], object))[0]
    # A new user gets the popularity ranking.
    items, _ = model.recommend(["new user"], n=5)
    popular, _ = PopularityRecommender().fit(X[:, :2], y).recommend(["x"], n=5)
    np.testing.assert_array_equal(items, popular)
    strict = ContentBasedRecommender(handle_unknown="error").fit(X, y)
    with pytest.raises(ValueError, match="unknown item"):
        strict.predict(new[:1])


def test_feature_transformers_dense_and_sparse_agree():
    pd = pytest.importorskip("pandas")
    X, y = data()
    genres = {"a": "comedy", "b": "drama", "c": "action", "d": "drama", "e": "comedy"}
    frame = pd.DataFrame(
        {
            "user": X[:, 0],
            "item": X[:, 1],
            "genre": [genres[i] for i in X[:, 1]],
            "title": [f"{genres[i]} movie {i}" for i in X[:, 1]],
        }
    )
    one_hot = ColumnTransformer([("g", OneHotEncoder(sparse_output=False), ["genre"])])
    sparse_one_hot = ColumnTransformer(
        [("g", OneHotEncoder(), ["genre"])], sparse_threshold=1.0
    )
    dense_model = ContentBasedRecommender(features=one_hot).fit(frame, y)
    sparse_model = ContentBasedRecommender(features=sparse_one_hot).fit(frame, y)
    assert not hasattr(dense_model.item_profiles_, "toarray")
    assert hasattr(sparse_model.item_profiles_, "toarray")
    np.testing.assert_allclose(dense_model.predict(frame), sparse_model.predict(frame))
    users = dense_model.user_ids_
    np.testing.assert_array_equal(
        dense_model.recommend(users, n=3)[0], sparse_model.recommend(users, n=3)[0]
    )
    # Words of a title through a TfidfVectorizer, with a new item.
    words = ContentBasedRecommender(
        features=ColumnTransformer([("t", TfidfVectorizer(), "title")])
    ).fit(frame, y)
    new = frame.iloc[:1].assign(item="z", title="comedy movie z")
    assert np.isfinite(words.predict(new)).all()
    assert words.transform(new).shape == (1, 3)


def test_implicit_feedback_is_a_plain_average():
    X, y = data()
    implicit = ContentBasedRecommender().fit(X)
    uncentred_ones = ContentBasedRecommender(center=False).fit(X, np.ones(len(X)))
    np.testing.assert_allclose(implicit.predict(X), uncentred_ones.predict(X))


def test_transform_and_feature_names():
    X, y = data()
    model = ContentBasedRecommender().fit(X, y)
    rows = np.array([["ann", "a", 1, 0, 0], ["nobody", "zz", 0, 1, 0]], dtype=object)
    features = model.transform(rows)
    assert model.get_feature_names_out().tolist() == [
        "similarity",
        "user_mean",
        "item_popularity",
    ]
    assert features[0, 1] == pytest.approx(10 / 3) and features[0, 2] == 2
    # Unknown user: no similarity, global mean, new item: popularity 0.
    np.testing.assert_allclose(features[1], [0.0, y.mean(), 0.0])


def test_without_feature_columns_it_ranks_by_popularity():
    X, y = data()
    model = ContentBasedRecommender().fit(X[:, :2], y)
    items, _ = model.recommend(["ann"], n=2)
    popular, _ = PopularityRecommender().fit(X[:, :2], y).recommend(["ann"], n=2)
    np.testing.assert_array_equal(items, popular)


@pytest.mark.parametrize(
    "params, X_kind, match",
    [
        (
            {"center": "yes"},
            "numeric",
            "'center' parameter .* must be an instance of 'bool'",
        ),
        (
            {"features": "tfidf"},
            "numeric",
            "'features' parameter .* must be an object implementing",
        ),
        ({}, "text", "feature columns of X"),
    ],
)
def test_bad_input(params, X_kind, match):
    X, y = data()
    if X_kind == "text":
        X = np.column_stack([X[:, :2], np.full(len(X), "comedy")])
    with pytest.raises(ValueError, match=match):
        ContentBasedRecommender(**params).fit(X, y)


def test_movielens_genres_cold_start(movielens):
    movies = movielens["items"]
    genres = dict(zip(movies.item_id.tolist(), movies.genres.tolist()))
    X, y = movielens.data, movielens.target
    held_out = 50  # Star Wars: Action, Adventure, Romance, Sci-Fi, War
    train = X[:, 1] != held_out
    rows = np.array([[u, i, *genres[i]] for u, i in X[train]])
    model = ContentBasedRecommender().fit(rows, y[train])
    twin = next(
        i for i in model.item_ids_ if genres[i] == genres[held_out] and i != held_out
    )
    pairs = np.array([[1, held_out, *genres[held_out]], [1, twin, *genres[twin]]])
    scores = model.predict(pairs)
    assert scores[0] == pytest.approx(scores[1]) and -1 <= scores[0] <= 1
