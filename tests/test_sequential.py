"""Tests of SequentialRecommender (SASRec)."""

import pickle

import numpy as np
import pytest

from sklearn_attnrec import SequentialRecommender, make_sequences

TINY = dict(
    embedding_dim=16,
    n_heads=2,
    n_layers=1,
    max_len=16,
    dropout=0.0,
    batch_size=32,
    learning_rate=1e-2,
    random_state=0,
)


@pytest.fixture(scope="module")
def markov():
    """Sequences of a successor rule followed with probability 0.9; the last item
    of each user is held out."""
    X = make_sequences(
        n_users=200, n_items=20, mean_length=12, determinism=0.9, random_state=0
    )
    last = np.r_[np.flatnonzero(np.diff(X[:, 0])), len(X) - 1]
    train = np.delete(X, last, axis=0)
    return X, train, X[last]


@pytest.fixture(scope="module")
def fitted(markov):
    _, train, _ = markov
    return SequentialRecommender(max_iter=30, **TINY).fit(train)


def _histories(train, users):
    return [train[train[:, 0] == u, 1] for u in users]


@pytest.mark.parametrize("loss", ["bce", "softmax"])
def test_recovers_the_markov_rule_where_popularity_cannot(markov, loss):
    _, train, test = markov
    model = SequentialRecommender(max_iter=30, loss=loss, **TINY).fit(train)
    histories = _histories(train, test[:, 0])
    top, _ = model.recommend_for_history(histories, n=1, exclude_seen=False)
    hr_model = np.mean(top[:, 0] == test[:, 1])
    most_popular = np.bincount(train[:, 1]).argmax()
    hr_popularity = np.mean(test[:, 1] == most_popular)
    assert hr_model > 0.7, hr_model
    assert hr_model > hr_popularity + 0.4, (hr_model, hr_popularity)
    # recommend() of the known users reads the same histories (seen items are
    # allowed here since the rule may revisit them).
    items, _ = model.recommend(test[:, 0], n=1, exclude_seen=False)
    np.testing.assert_array_equal(items, top)


def test_causality_states_ignore_later_items(fitted):
    history = np.array([3, 5, 7, 1, 9, 2])
    changed = history.copy()
    changed[4:] = [11, 13]
    states = fitted.hidden_states([history, changed])
    T = fitted.max_len
    start = T - len(history)
    # Positions up to the third-from-last item (index 3) are unchanged.
    np.testing.assert_allclose(states[0, : start + 4], states[1, : start + 4])
    assert not np.allclose(states[0, start + 4 :], states[1, start + 4 :])


def test_causality_of_the_untrained_network_too(markov):
    # A random network mixes everything it may see: a leak would show here.
    _, train, _ = markov
    model = SequentialRecommender(max_iter=1, **TINY).fit(train)
    a, b = np.array([1, 2, 3, 4]), np.array([1, 2, 8, 9])
    states = model.hidden_states([a, b])
    start = model.max_len - 4
    np.testing.assert_allclose(states[0, : start + 2], states[1, : start + 2])
    assert not np.allclose(states[0, -1], states[1, -1])


def test_recommend_for_history_of_a_new_user(fitted, markov):
    _, train, _ = markov
    history = train[train[:, 0] == train[0, 0], 1][:3]
    items, scores = fitted.recommend_for_history([history, []], n=5)
    assert items.shape == scores.shape == (2, 5)
    assert not set(items[0].tolist()) & set(history.tolist())
    assert np.all(np.diff(scores, axis=1) <= 0)
    # A new history equal to a known user's gives that user's recommendations.
    user = train[0, 0]
    full = train[train[:, 0] == user, 1]
    np.testing.assert_array_equal(
        fitted.recommend_for_history([full], n=5)[0], fitted.recommend([user], n=5)[0]
    )
    # Unknown items are dropped, or refused.
    with_unknown = fitted.recommend_for_history([list(history) + [999]], n=5)[0]
    np.testing.assert_array_equal(with_unknown[0], items[0])
    strict = pickle.loads(pickle.dumps(fitted)).set_params(handle_unknown="error")
    with pytest.raises(ValueError, match="unknown item"):
        strict.recommend_for_history([[999]])
    candidates = fitted.item_ids_[:4]
    only, _ = fitted.recommend_for_history([history], n=10, items=candidates)
    assert set(only[0].tolist()) <= set(candidates.tolist())


def test_transform_and_attention_weights(fitted, markov):
    _, train, _ = markov
    users = np.unique(train[:, 0])[:3]
    emb = fitted.transform(np.column_stack([users, users, users]))
    assert emb.shape == (3, fitted.embedding_dim) and emb.dtype == np.float32
    histories = _histories(train, users)
    np.testing.assert_allclose(emb, fitted.hidden_states(histories)[:, -1], rtol=1e-5)
    weights = fitted.attention_weights(histories)
    assert weights.shape == (3, 1, 2, fitted.max_len)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    for row, history in zip(weights, histories):
        n_pad = fitted.max_len - min(len(history), fitted.max_len)
        assert np.all(row[..., :n_pad] == 0)


def test_pickle_round_trip(fitted, markov):
    _, train, test = markov
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(loaded.predict(test), fitted.predict(test))
    np.testing.assert_array_equal(
        loaded.recommend(test[:5, 0], n=3)[0], fitted.recommend(test[:5, 0], n=3)[0]
    )


def test_time_order_not_row_order(markov):
    _, train, _ = markov
    shuffled = train[np.random.RandomState(0).permutation(len(train))]
    a = SequentialRecommender(max_iter=1, **TINY).fit(train)
    b = SequentialRecommender(max_iter=1, **TINY).fit(shuffled)
    np.testing.assert_array_equal(a.histories_, b.histories_)
    # Without timestamps, row order is the time order.
    c = SequentialRecommender(max_iter=1, **TINY).fit(train[:, :2])
    np.testing.assert_array_equal(a.histories_, c.histories_)
    reversed_rows = train[::-1, :2]
    d = SequentialRecommender(max_iter=1, **TINY).fit(reversed_rows)
    assert not np.array_equal(a.histories_, d.histories_)


def test_max_len_truncates_histories():
    X = np.array([[0, i, i] for i in range(10)] + [[1, 3, 0], [1, 4, 1]])
    model = SequentialRecommender(max_len=4, max_iter=1, embedding_dim=4).fit(X)
    np.testing.assert_array_equal(model.histories_[0], [7, 8, 9, 10])
    np.testing.assert_array_equal(model.histories_[1], [0, 0, 4, 5])


def test_unknown_user_gets_popularity(fitted, markov):
    _, train, _ = markov
    items, scores = fitted.recommend([10_000], n=3)
    order = np.argsort(-fitted.item_popularity_, kind="stable")[:3]
    np.testing.assert_array_equal(items[0], fitted.item_ids_[order])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(loss="hinge"), "loss"),
        (dict(embedding_dim=6, n_heads=4), "divisible"),
        (dict(max_len=0), "max_len"),
        (dict(dropout=1.0), "dropout"),
        (dict(learning_rate=-1.0), "learning_rate"),
    ],
)
def test_bad_parameters(params, match, markov):
    _, train, _ = markov
    with pytest.raises(ValueError, match=match):
        SequentialRecommender(**params).fit(train)


def test_bad_input(fitted):
    with pytest.raises(ValueError, match="timestamps"):
        SequentialRecommender(max_iter=1).fit(
            np.array([[0, 1, "x"], [0, 2, "y"]], dtype=object)
        )
    with pytest.raises(ValueError, match="1-D"):
        fitted.recommend_for_history([[[1, 2]]])
    with pytest.raises(ValueError, match="n must be"):
        fitted.recommend_for_history([[1]], n=0)


def test_dataframe_with_datetimes_and_early_stopping():
    pd = pytest.importorskip("pandas")
    X = make_sequences(n_users=60, n_items=12, random_state=0)
    frame = pd.DataFrame(
        {
            "user": X[:, 0].astype(str),
            "item": X[:, 1],
            "when": pd.to_datetime(X[:, 2], unit="s"),
        }
    )
    numeric = frame.assign(when=X[:, 2])
    a = SequentialRecommender(max_iter=1, **TINY).fit(frame.sample(frac=1.0))
    b = SequentialRecommender(max_iter=1, **TINY).fit(numeric)
    np.testing.assert_array_equal(a.histories_, b.histories_)
    assert list(a.feature_names_in_) == ["user", "item", "when"]
    model = SequentialRecommender(
        max_iter=30, early_stopping=True, n_iter_no_change=2, **TINY
    ).fit(X)
    assert len(model.validation_loss_curve_) == model.n_iter_ <= 30
