"""AttentionEncoder: order needs positions, padding, heads, attention maps."""

import itertools
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from sklearn_attnrec import AttentionEncoder, WordTokenizer

TINY = dict(embedding_dim=16, n_heads=2, n_layers=1, dropout=0.0, random_state=0)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _order_task(n, rng, length=6):
    """Token 1 and token 2 once each among fillers 3..7; y: does 1 come first?"""
    X = rng.randint(3, 8, size=(n, length))
    where = np.array([rng.choice(length, 2, replace=False) for _ in range(n)])
    X[np.arange(n), where[:, 0]] = 1
    X[np.arange(n), where[:, 1]] = 2
    return X, (where[:, 0] < where[:, 1]).astype(int)


@pytest.fixture(scope="module")
def order_task():
    rng = np.random.RandomState(0)
    return _order_task(400, rng), _order_task(200, rng)


@pytest.fixture(scope="module")
def order_model(order_task):
    (X, y), _ = order_task
    params = dict(TINY, max_iter=30, learning_rate=3e-3)
    return AttentionEncoder(**params).fit(X, y)


def test_order_is_learned_with_positions(order_model, order_task):
    _, (X_test, y_test) = order_task
    assert order_model.score(X_test, y_test) >= 0.95


def test_order_stays_at_chance_without_positions(order_task):
    (X, y), (X_test, y_test) = order_task
    model = AttentionEncoder(positional=None, max_iter=30, learning_rate=3e-3, **TINY)
    model.fit(X, y)
    # Swapping tokens 1 and 2 flips the label but not the bag of tokens: a model
    # without positions must answer both versions alike, so exactly half wrong.
    swapped = X_test.copy()
    swapped[X_test == 1], swapped[X_test == 2] = 2, 1
    np.testing.assert_allclose(
        model.predict_proba(swapped), model.predict_proba(X_test), atol=1e-5
    )
    both = np.vstack([X_test, swapped])
    assert model.score(both, np.concatenate([y_test, 1 - y_test])) == 0.5
    assert model.score(X_test, y_test) < 0.65
    # and its embeddings are those of a bag of tokens
    perm = np.random.RandomState(1).permutation(6)
    np.testing.assert_allclose(
        model.transform(X_test[:, perm]), model.transform(X_test), atol=1e-5
    )


def test_lecture_sentences_need_positions():
    """'the cat chased the dog' vs 'the dog chased the cat': who chases?"""
    animals = ["cat", "dog", "mouse", "bird", "fox"]
    verbs = ["chased", "saw", "bit", "followed"]
    sentences = [
        (f"the {a} {v} the {b}", a)
        for a, b in itertools.permutations(animals, 2)
        for v in verbs
    ]
    held_out = [("the cat chased the dog", "cat"), ("the dog chased the cat", "dog")]
    train = [s for s in sentences if s not in held_out]
    texts, subjects = zip(*train)
    test_texts = [s for s, _ in held_out]
    params = dict(TINY, max_iter=60, learning_rate=1e-2)
    model = make_pipeline(WordTokenizer(), AttentionEncoder(**params))
    model.fit(texts, subjects)
    assert model.predict(test_texts).tolist() == ["cat", "dog"]
    blind = make_pipeline(WordTokenizer(), AttentionEncoder(positional=None, **params))
    blind.fit(texts, subjects)
    first, second = blind.predict(test_texts)
    assert first == second  # same words, same answer


def test_classifier_outputs(order_model, order_task):
    _, (X_test, _) = order_task
    assert is_classifier(order_model) and not is_regressor(order_model)
    np.testing.assert_array_equal(order_model.classes_, [0, 1])
    proba = order_model.predict_proba(X_test[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(order_model.predict(X_test[:5]), proba.argmax(1))
    embedding = order_model.transform(X_test[:5])
    assert embedding.shape == (5, 16) and embedding.dtype == np.float32
    assert order_model.get_feature_names_out().shape == (16,)


def test_string_labels_and_multiclass():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 5, size=(120, 4))
    y = np.array(["low", "mid", "high"])[X[:, 0] % 3]
    model = AttentionEncoder(max_iter=30, learning_rate=1e-2, **TINY).fit(X, y)
    assert set(model.classes_) == {"high", "low", "mid"}
    assert model.score(X, y) > 0.9


def test_regression_head():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 6, size=(200, 5))
    y = np.column_stack([X.sum(axis=1), X[:, 0] * 10.0])
    model = AttentionEncoder(
        task="regression", max_iter=40, learning_rate=1e-2, **TINY
    ).fit(X, y)
    assert is_regressor(model)
    assert not hasattr(model, "predict_proba")
    assert model.predict(X).shape == (200, 2)
    assert model.score(X, y) > 0.8
    single = clone(model).fit(X, y[:, 0])
    assert single.predict(X[:3]).shape == (3,)
    assert single.target_mean_ == pytest.approx([y[:, 0].mean()])


def test_padding_does_not_change_predictions(order_model):
    short, longer = [1, 3, 2], [2, 3, 4, 5, 1, 6]
    alone = order_model.predict_proba([short])
    together = order_model.predict_proba([short, longer])
    np.testing.assert_allclose(together[0], alone[0], atol=1e-5)
    padded = AttentionEncoder(pad_token_id=0)
    padded.__dict__.update(order_model.__dict__, pad_token_id=0)
    np.testing.assert_allclose(
        padded.predict_proba([[1, 3, 2, 0, 0, 0], longer]), together, atol=1e-5
    )


def test_attention_weights(order_model):
    weights = order_model.attention_weights([[1, 3, 2], [2, 3, 4, 5, 1, 6]])
    assert weights.shape == (2, 1, 2, 6, 6)
    np.testing.assert_allclose(weights[1].sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(weights[0, :, :, :3].sum(-1), 1.0, atol=1e-5)
    assert (weights[0, :, :, :, 3:] == 0).all()  # padding keys
    assert (weights[0, :, :, 3:] == 0).all()  # padding rows


def test_first_token_pooling_and_sinusoidal_positions(order_task):
    (X, y), (X_test, y_test) = order_task
    model = AttentionEncoder(
        pooling="first",
        positional="sinusoidal",
        max_iter=30,
        learning_rate=3e-3,
        **TINY,
    ).fit(np.column_stack([np.zeros(len(X), int), X]), y)  # token 0 as [CLS]
    module = model.net_.module_
    ids = torch.as_tensor(np.column_stack([np.zeros(3, int), X_test[:3]]))
    with torch.no_grad():
        first = module.encode(ids)[:, 0]
    np.testing.assert_allclose(
        model.transform(ids.numpy()), first.numpy(), rtol=1e-5, atol=1e-6
    )


def test_early_stopping_and_pickle(order_task):
    (X, y), (X_test, _) = order_task
    model = AttentionEncoder(
        max_iter=50, early_stopping=True, n_iter_no_change=2, tol=0.5, **TINY
    ).fit(X, y)
    assert model.n_iter_ < 50
    assert len(model.validation_loss_curve_) == model.n_iter_
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        again.predict_proba(X_test), model.predict_proba(X_test)
    )


def test_reproducible(order_task):
    (X, y), _ = order_task
    a = AttentionEncoder(max_iter=2, **dict(TINY, dropout=0.1)).fit(X, y)
    b = AttentionEncoder(max_iter=2, **dict(TINY, dropout=0.1)).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_


# -- bad input ------------------------------------------------------------------


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        AttentionEncoder().predict([[1, 2]])
    with pytest.raises(NotFittedError):
        AttentionEncoder().attention_weights([[1, 2]])


def test_sequences_longer_than_block_size(order_model):
    model = AttentionEncoder(block_size=4, max_iter=1, **TINY)
    with pytest.raises(ValueError, match="longer than block_size=4"):
        model.fit([[1, 2, 3, 4, 5], [1, 2]], [0, 1])
    with pytest.raises(ValueError, match="longer than block_size=128"):
        order_model.predict([np.ones(129, dtype=int)])


@pytest.mark.parametrize(
    "X, y, match",
    [
        ([[1, 2], [3, 4]], None, "requires y"),
        ([[1, 2], [3, 4]], [0], "inconsistent numbers of samples"),
        ([[1, 2], [3, 4]], [0.5, np.nan], "Input y contains NaN"),
        ([[1, 2], [3, 4]], [0.5, 1.5], "Unknown label type"),
        ([[1.5, 2], [3, 4]], [0, 1], "integer token ids"),
        ([[1, 2], [-3, 4]], [0, 1], "Negative values"),
        ([[1, 2], []], [0, 1], "fewer than 1 token"),
        ([], [], "Expected 2D array"),
        (["the cat"], [0], "WordTokenizer"),
    ],
)
def test_bad_training_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        AttentionEncoder(max_iter=1, **TINY).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"task": "ranking"}, "task"),
        ({"pooling": "max"}, "pooling"),
        ({"n_heads": 3}, "divisible"),
        ({"batch_size": 0}, "batch_size"),
        ({"vocab_size": 3}, "vocab_size=3"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        AttentionEncoder(max_iter=1, **dict(TINY, **params)).fit(
            [[1, 5], [3, 4]], [0, 1]
        )


def test_unknown_token_at_predict(order_model):
    with pytest.raises(ValueError, match="out of range"):
        order_model.predict([[1, 2, 99]])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device(order_task):
    (X, y), (X_test, _) = order_task
    model = AttentionEncoder(max_iter=2, device="cuda", **TINY).fit(X, y)
    assert next(model.net_.module_.parameters()).is_cuda
    assert model.predict_proba(X_test).shape == (len(X_test), 2)


def test_fit_transform_equals_fit_then_transform(order_task):
    # what check_transformer_general (an expected failure in test_common, for
    # its fixed-width check only) would otherwise cover
    (X, y), _ = order_task
    model = AttentionEncoder(max_iter=2, **TINY)
    np.testing.assert_allclose(
        clone(model).fit_transform(X, y),
        clone(model).fit(X, y).transform(X),
        rtol=1e-5,
    )
