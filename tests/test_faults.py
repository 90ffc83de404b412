"""Faults: an interrupted fit leaves no half-fitted estimator (a first fit
leaves an unfitted one, a refit the previous model), and a torch fit
interrupted mid-way resumes from skorch's checkpoint."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklearn_attnrec import (
    CausalLMTransformer,
    ItemKNNRegressor,
    MatrixFactorization,
    UserKNNRegressor,
)
from sklearn_attnrec.base import RecommenderMixin
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.factorization import _mf
from sklearn_attnrec.neighbors import _knn
from sklearn_attnrec.utils._testing import estimator_instances

RECOMMENDERS = estimator_instances(RecommenderMixin)


def _fitted_attributes(estimator):
    return [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]


def _interrupt_after(monkeypatch, module, name, calls):
    """Make ``module.name`` raise KeyboardInterrupt on its ``calls``-th call."""
    original = getattr(module, name)
    count = {"n": 0}

    def interrupted(*args, **kwargs):
        count["n"] += 1
        if count["n"] >= calls:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, interrupted)


@pytest.fixture(scope="module")
def ratings():
    return make_interactions(n_users=40, n_items=30, density=0.3, random_state=0)


def _assert_unfitted(model, X):
    assert _fitted_attributes(model) == []
    with pytest.raises(NotFittedError):
        model.predict(X[:3])


def _assert_previous_model(model, X, before):
    """The refit was undone: the previous model answers as before."""
    np.testing.assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize(
    "estimator", RECOMMENDERS, ids=[type(e).__name__ for e in RECOMMENDERS]
)
def test_fit_interrupted_after_the_vocabulary_leaves_the_previous_state(
    estimator, ratings, monkeypatch
):
    X, y = ratings
    model = clone(estimator).fit(X, y)
    before = model.predict(X)
    assert _fitted_attributes(model)
    # The new vocabulary is set, then the fit is interrupted: without care the
    # old factors would now be read through the new ids.
    original = RecommenderMixin._fit_interactions

    def interrupted(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(RecommenderMixin, "_fit_interactions", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X[::-1] + 1000, y[::-1])
    _assert_previous_model(model, X, before)
    # A first fit interrupted the same way leaves an unfitted estimator.
    fresh = clone(estimator)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, y)
    _assert_unfitted(fresh, X)


@pytest.mark.parametrize("solver", ["als", "sgd"])
def test_matrix_factorization_interrupted_mid_training(solver, ratings, monkeypatch):
    X, y = ratings
    model = MatrixFactorization(solver=solver, max_iter=5, random_state=0).fit(X, y)
    before = model.predict(X)
    step = "ridge_half_step" if solver == "als" else "sgd_epoch"
    _interrupt_after(monkeypatch, _mf, step, calls=3)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X[::2], y[::2])
    _assert_previous_model(model, X, before)


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_knn_interrupted_while_computing_similarities(cls, ratings, monkeypatch):
    X, y = ratings
    model = cls(n_neighbors=5).fit(X, y)
    before = model.predict(X)
    _interrupt_after(monkeypatch, _knn, "topk_similarity", calls=1)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X[::2], y[::2])
    _assert_previous_model(model, X, before)
    # and a later fit works as if nothing happened
    monkeypatch.undo()
    np.testing.assert_allclose(
        model.fit(X, y).predict(X), cls(n_neighbors=5).fit(X, y).predict(X)
    )


class _InterruptAtEpoch(Callback):
    """Raise KeyboardInterrupt (what Ctrl-C does) at the end of an epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_torch_fit_interrupted_resumes_from_its_checkpoint(tmp_path):
    rng = np.random.RandomState(0)
    X = (rng.randint(0, 4, size=(32, 1)) + np.arange(24)) % 4
    params = dict(
        embedding_dim=16,
        n_heads=2,
        n_layers=1,
        block_size=8,
        batch_size=8,
        warmup_steps=4,
        learning_rate=1e-2,
        max_iter=6,
        random_state=0,
    )
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    resume = [checkpoint, LoadInitState(checkpoint)]
    whole = CausalLMTransformer(**params).fit(X)

    first = CausalLMTransformer(**params, callbacks=[*resume, _InterruptAtEpoch(3)])
    with pytest.raises(KeyboardInterrupt):
        first.fit(X)  # Ctrl-C after epoch 3: the fit stops, the checkpoint stays
    _assert_unfitted(first, X)
    resumed = CausalLMTransformer(**params, callbacks=resume).fit(X)
    # Only the 3 missing epochs ran, on the learning-rate schedule's next steps.
    assert resumed.n_iter_ == len(whole.net_.history) == 6
    lrs = [b["event_lr"] for e in resumed.net_.history for b in e["batches"]]
    planned = [b["event_lr"] for e in whole.net_.history for b in e["batches"]]
    np.testing.assert_allclose(lrs, planned, rtol=1e-6)
    # Same quality as the uninterrupted run (the batches drawn after the
    # restart differ, so not the same weights).
    assert resumed.score(X) == pytest.approx(whole.score(X), abs=0.05)
    assert resumed.loss_curve_[-1] < resumed.loss_curve_[2]  # trained on
