"""Persistence and determinism of every public estimator.

``test_recommender_common.py`` already round-trips every recommender through
pickle and joblib and compares ``predict`` and ``recommend``; here the other
public outputs are compared (``transform``, ``similar_items``,
``recommend_for_history``, ...), for every estimator including the attention
models and tokenizers, through pickle, joblib and compressed joblib. Seeded
fits must be reproducible (torch models on the CPU, one thread), and torch
models must stay usable after a pickle round trip on the CPU.
"""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from sklearn_attnrec import SequentialRecommender
from sklearn_attnrec.base import RecommenderMixin
from sklearn_attnrec.datasets import make_interactions, make_sequences
from sklearn_attnrec.utils._testing import estimator_instances

pytestmark = [
    pytest.mark.usefixtures("torch_one_thread"),
    pytest.mark.filterwarnings("ignore:.*asks for more neighbours:UserWarning"),
    pytest.mark.filterwarnings("ignore:n_components=.* is larger:UserWarning"),
]

ESTIMATORS = estimator_instances()
ids = [type(est).__name__ for est in ESTIMATORS]

TEXTS = [
    "The cat sat on the mat.",
    "A dog sat on a log!",
    "The dog and the cat ran.",
    "",
]


def _is_torch(estimator):
    """torch estimators take a ``device`` (they are checked to have a ``net_``)."""
    return "device" in estimator.get_params()


def _data(estimator):
    """Training data of the kind the estimator takes."""
    kind = estimator._input_kind  # declared by every estimator
    if kind == "sequential":
        return make_sequences(n_users=10, n_items=8, random_state=0), None
    if kind == "interactions":
        return make_interactions(n_users=20, n_items=12, density=0.3, random_state=0)
    if kind == "texts":
        return TEXTS, None
    tags = estimator.__sklearn_tags__()
    rng = np.random.RandomState(0)
    X = rng.randint(1, 6, size=(24, 8))
    return X, ((X == 3).any(axis=1).astype(int) if tags.target_tags.required else None)


def _fit(estimator, random_state=0):
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=random_state)
    X, y = _data(estimator)
    return estimator.fit(X, y), X, y


def _outputs(model, X, y, *, with_common=False):
    """Every public output of a fitted model, by name.

    ``predict`` and ``recommend`` of recommenders are compared by
    test_recommender_common.py; they are included only ``with_common``.
    """
    out = {}
    if isinstance(model, RecommenderMixin):
        rows = np.asarray(X)[:15]
        if with_common:
            out["predict"] = model.predict(rows)
            out["recommend"] = model.recommend(model.user_ids_[:5], n=4)
        if hasattr(model, "transform"):
            out["transform"] = model.transform(rows)
        if hasattr(model, "similar_items"):
            out["similar_items"] = model.similar_items(model.item_ids_[:3], n=3)
        histories = [model.item_ids_[:3], model.item_ids_[-2:]]
        ratings = (
            None
            if isinstance(model, SequentialRecommender)
            else [[5.0, 1.0, 4.0], [2.0, 3.0]]
        )
        try:
            out["recommend_for_history"] = model.recommend_for_history(
                histories, ratings, n=3
            )
        except NotImplementedError:  # a model without fold-in
            pass
        return out
    if hasattr(model, "inverse_transform"):  # a tokenizer
        sequences = model.transform(X)
        out["transform"] = np.concatenate(sequences)
        out["lengths"] = [len(s) for s in sequences]
        out["inverse_transform"] = model.inverse_transform(sequences)
        out["tokens_"] = model.tokens_.tolist()
        return out
    out["predict"] = model.predict(X)
    out["transform"] = model.transform(X)
    out["attention_weights"] = model.attention_weights(X[:3])
    out["score"] = model.score(X) if y is None else model.score(X, y)
    if hasattr(model, "predict_proba"):
        out["predict_proba"] = model.predict_proba(X)
    if hasattr(model, "generate"):
        out["generate_greedy"] = model.generate(X[0], 6, temperature=0)
        out["generate_sampled"] = model.generate(
            X[:2], 6, temperature=1.0, random_state=0
        )
    return out


def _assert_same(actual, expected):
    assert actual.keys() == expected.keys()
    for name in expected:
        np.testing.assert_equal(actual[name], expected[name], err_msg=name)


def _loaders(tmp_path):
    return {
        "pickle": lambda m: pickle.loads(pickle.dumps(m)),
        "joblib": lambda m: joblib.load(joblib.dump(m, tmp_path / "m.joblib")[0]),
        "joblib compressed": lambda m: joblib.load(
            joblib.dump(m, tmp_path / "m.joblib.gz", compress=3)[0]
        ),
    }


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_round_trip_gives_identical_outputs(estimator, tmp_path):
    model, X, y = _fit(estimator)
    expected = _outputs(model, X, y)
    assert expected, "nothing to compare"
    for how, load in _loaders(tmp_path).items():
        loaded = load(model)
        assert type(loaded) is type(model), how
        _assert_same(_outputs(loaded, X, y), expected)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ids)
def test_same_random_state_gives_identical_fits(estimator):
    first, X, y = _fit(estimator)
    second, _, _ = _fit(estimator)
    _assert_same(
        _outputs(second, X, y, with_common=True),
        _outputs(first, X, y, with_common=True),
    )


TORCH_MODELS = [est for est in ESTIMATORS if _is_torch(est)]
torch_ids = [type(est).__name__ for est in TORCH_MODELS]


def test_torch_models_are_found():
    assert {"CausalLMTransformer", "SequentialRecommender", "NeuralCF"} <= set(
        torch_ids
    )
    for estimator in TORCH_MODELS:
        assert hasattr(_fit(estimator)[0], "net_"), type(estimator).__name__


@pytest.mark.parametrize("estimator", TORCH_MODELS, ids=torch_ids)
def test_random_state_changes_torch_weights(estimator):
    # The seed is used: otherwise the determinism test above proves nothing.
    first, _, _ = _fit(estimator, random_state=0)
    second, _, _ = _fit(estimator, random_state=1)
    a = first.net_.module_.state_dict()
    b = second.net_.module_.state_dict()
    assert any(
        a[name].shape == b[name].shape and not (a[name] == b[name]).all() for name in a
    )


@pytest.mark.parametrize("estimator", TORCH_MODELS, ids=torch_ids)
def test_torch_model_loaded_from_pickle_on_cpu(estimator):
    model, X, y = _fit(clone(estimator).set_params(device="cpu"))
    loaded = pickle.loads(pickle.dumps(model))
    assert str(loaded.net_.device) == "cpu"
    module = loaded.net_.module_
    tensors = [*module.parameters(), *module.buffers()]
    assert tensors and all(t.device.type == "cpu" for t in tensors)
    # The loaded weights are the trained ones, not a re-initialisation.
    state = model.net_.module_.state_dict()
    for name, tensor in module.state_dict().items():
        assert (tensor == state[name]).all(), name
    # The skorch net alone pickles too, with the same weights.
    net = pickle.loads(pickle.dumps(model.net_))
    assert str(net.device) == "cpu"
    for name, tensor in net.module_.state_dict().items():
        assert tensor.device.type == "cpu" and (tensor == state[name]).all(), name
    # A loaded model refits like a fresh clone (seeded the same way).
    expected = _outputs(model, X, y, with_common=True)
    _assert_same(_outputs(loaded.fit(X, y), X, y, with_common=True), expected)


@pytest.mark.parametrize("estimator", TORCH_MODELS, ids=torch_ids)
def test_accelerate_single_process_cpu(estimator):
    pytest.importorskip("accelerate")
    from sklearn_attnrec.utils._torch import _AcceleratedNeuralNet

    plain, X, y = _fit(estimator)
    accelerated = clone(estimator).set_params(random_state=0, accelerate={"cpu": True})
    accelerated.fit(X, y)
    assert isinstance(accelerated.net_, _AcceleratedNeuralNet)
    assert accelerated.n_iter_ == plain.n_iter_
    # One CPU process: the same training as without Accelerate.
    np.testing.assert_allclose(
        accelerated.transform(X[:5]), plain.transform(X[:5]), rtol=1e-4, atol=1e-5
    )
    loaded = pickle.loads(pickle.dumps(accelerated))
    np.testing.assert_allclose(loaded.transform(X[:5]), accelerated.transform(X[:5]))


def test_accelerate_must_be_a_bool_or_a_dict():
    with pytest.raises(ValueError, match="'accelerate' parameter .* must be"):
        _fit(clone(TORCH_MODELS[0]).set_params(accelerate="yes"))
