"""The one torch engine, alike for every torch estimator: the shared training
parameters, ``loss_curve_``, early stopping, resuming from a checkpoint; Ctrl-C
stops a fit at once (and the fit is undone); a fitted model predicts from
several threads as it does from one (its module stays in evaluation mode: no
thread turns dropout on under another)."""

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback, Checkpoint, LoadInitState

from sklearn_attnrec import (
    AttentionEncoder,
    CausalLMTransformer,
    NeuralCF,
    SequentialRecommender,
    TwoTowerRetriever,
)
from sklearn_attnrec.datasets import make_interactions, make_sequences
from sklearn_attnrec.utils._testing import fast_params
from sklearn_attnrec.utils._torch import TRAINING_PARAMETERS

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# Epochs begun, by tag: build_net deep-copies the callbacks, so the counts live
# here rather than on the callback.
_EPOCHS_BEGUN = {}


class _CtrlC(Callback):
    """Count the epochs begun and raise KeyboardInterrupt (what Ctrl-C does) in
    epoch ``epoch``: after its first batch, or at its end."""

    def __init__(self, tag, epoch, where="on_batch_end"):
        self.tag, self.epoch, self.where = tag, epoch, where

    def on_epoch_begin(self, net, **kwargs):
        _EPOCHS_BEGUN[self.tag] = _EPOCHS_BEGUN.get(self.tag, 0) + 1

    def _maybe_interrupt(self, where):
        if where == self.where and _EPOCHS_BEGUN.get(self.tag) == self.epoch:
            raise KeyboardInterrupt

    def on_batch_end(self, net, **kwargs):
        self._maybe_interrupt("on_batch_end")

    def on_epoch_end(self, net, **kwargs):
        self._maybe_interrupt("on_epoch_end")


def _sequence_lists(rows):
    """make_sequences rows -> one item sequence per user."""
    bounds = np.flatnonzero(np.diff(rows[:, 0])) + 1
    return np.split(rows[:, 1], bounds)


def _recommender_data():
    X, _ = make_interactions(
        n_users=30, n_items=20, density=0.3, implicit=True, random_state=0
    )
    return X, None, {"predict": X[:40], "recommend": np.unique(X[:, 0])[:12]}


def _sequential_data():
    X = make_sequences(n_users=30, n_items=15, mean_length=8, random_state=0)
    return X, None, {"predict": X[:40], "recommend": np.unique(X[:, 0])[:12]}


def _causal_lm_data():
    X = _sequence_lists(make_sequences(n_users=20, n_items=10, random_state=0))
    return X, None, {"predict": X[:12], "predict_proba": X[:12], "transform": X[:12]}


def _encoder_data():
    X = _sequence_lists(make_sequences(n_users=40, n_items=10, random_state=0))
    X = [s[:12] for s in X]
    y = np.array([s[0] % 2 for s in X])
    return X, y, {"predict": X[:16], "predict_proba": X[:16], "transform": X[:16]}


# name: (class, data, extra parameters)
CASES = {
    "NeuralCF": (NeuralCF, _recommender_data, {"batch_size": 64}),
    "TwoTowerRetriever": (TwoTowerRetriever, _recommender_data, {"batch_size": 64}),
    "SequentialRecommender": (SequentialRecommender, _sequential_data, {}),
    "CausalLMTransformer": (CausalLMTransformer, _causal_lm_data, {"batch_size": 8}),
    "AttentionEncoder": (AttentionEncoder, _encoder_data, {"batch_size": 8}),
}


def _estimator(name, **params):
    cls, _, extra = CASES[name]
    return cls(**{**fast_params(cls), **extra, "random_state": 0, **params})


def _outputs(model, queries):
    """Every inference method's answer on its queries, as arrays."""
    out = {}
    for method, X in queries.items():
        if method == "recommend":
            ids, scores = model.recommend(X, n=5)
            out["recommend_ids"], out["recommend_scores"] = ids, scores
        else:
            out[method] = np.asarray(getattr(model, method)(X))
    return out


def _assert_same(actual, expected):
    assert actual.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)


def _fitted_attributes(estimator):
    return [k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")]


# -- Ctrl-C --------------------------------------------------------------------

INTERRUPTS = [(1, "on_batch_end"), (2, "on_batch_end"), (2, "on_epoch_end")]


@pytest.mark.parametrize("epoch, where", INTERRUPTS, ids=lambda v: str(v))
@pytest.mark.parametrize("name", CASES)
def test_ctrl_c_stops_the_fit_and_undoes_it(name, epoch, where):
    X, y, queries = CASES[name][1]()
    tag = f"{name}-{epoch}-{where}"

    # A first fit: KeyboardInterrupt, no further epoch, an unfitted estimator.
    _EPOCHS_BEGUN.pop(tag, None)
    fresh = _estimator(name, max_iter=4, callbacks=[_CtrlC(tag, epoch, where)])
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(X, y)
    assert _EPOCHS_BEGUN[tag] == epoch
    assert _fitted_attributes(fresh) == []
    with pytest.raises(NotFittedError):
        check_is_fitted(fresh)

    # A refit: KeyboardInterrupt, the previous model answers exactly as before.
    model = _estimator(name, max_iter=2).fit(X, y)
    net, before = model.net_, _outputs(model, queries)
    _EPOCHS_BEGUN.pop(tag, None)
    model.set_params(max_iter=4, callbacks=[_CtrlC(tag, epoch, where)])
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    assert _EPOCHS_BEGUN[tag] == epoch
    assert model.net_ is net and model.n_iter_ == 2
    assert model.net_.module_.training is False
    _assert_same(_outputs(model, queries), before)


@pytest.mark.parametrize("name", CASES)
def test_early_stopping_ends_every_torch_fit_normally(name):
    # skorch's EarlyStopping stops by raising KeyboardInterrupt too: that stop
    # is a finished fit, not a Ctrl-C; the validation curve is recorded.
    X, y, _ = CASES[name][1]()
    model = _estimator(
        name,
        max_iter=30,
        early_stopping=True,
        n_iter_no_change=1,
        tol=0.999,  # no epoch counts as an improvement
    ).fit(X, y)
    assert model.n_iter_ == 2
    assert len(model.loss_curve_) == 2
    assert len(model.validation_loss_curve_) == 2
    assert np.isfinite(model.validation_loss_curve_).all()
    assert model.net_.module_.training is False


@pytest.mark.parametrize("name", CASES)
def test_refit_without_early_stopping_drops_the_validation_curve(name):
    X, y, _ = CASES[name][1]()
    model = _estimator(name, max_iter=2, early_stopping=True, tol=0.999).fit(X, y)
    assert hasattr(model, "validation_loss_curve_")
    model.set_params(early_stopping=False, max_iter=3).fit(X, y)
    assert not hasattr(model, "validation_loss_curve_") and model.n_iter_ == 3


# -- one engine ----------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_every_torch_estimator_declares_the_shared_training_parameters(name):
    params = CASES[name][0]().get_params()
    missing = set(TRAINING_PARAMETERS) - set(params)
    assert not missing, missing


class _RecordThreads(Callback):
    """Record torch's thread count at every batch, under ``tag``."""

    def __init__(self, tag):
        self.tag = tag

    def on_batch_end(self, net, **kwargs):
        _THREADS_SEEN.setdefault(self.tag, set()).add(torch.get_num_threads())


_THREADS_SEEN = {}


@pytest.mark.parametrize("name", CASES)
def test_n_jobs_sets_torch_threads_for_the_fit_and_restores_them(name):
    X, y, _ = CASES[name][1]()
    tag = f"threads-{name}"
    assert torch.get_num_threads() == 1  # the torch_one_thread fixture
    for n_jobs, expected in [(2, {2}), (None, {1})]:
        _THREADS_SEEN.pop(tag, None)
        _estimator(name, n_jobs=n_jobs, callbacks=[_RecordThreads(tag)]).fit(X, y)
        assert _THREADS_SEEN[tag] == expected
        assert torch.get_num_threads() == 1
    # Also restored when the fit is interrupted.
    interrupted = _estimator(
        name, n_jobs=2, max_iter=3, callbacks=[_CtrlC(f"{tag}-c", 1)]
    )
    _EPOCHS_BEGUN.pop(f"{tag}-c", None)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(X, y)
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("name", CASES)
def test_loss_curve_has_one_finite_loss_per_epoch(name):
    X, y, _ = CASES[name][1]()
    model = _estimator(name, max_iter=3).fit(X, y)
    assert model.n_iter_ == 3
    assert len(model.loss_curve_) == 3
    assert np.isfinite(model.loss_curve_).all()
    assert not hasattr(model, "validation_loss_curve_")


@pytest.mark.parametrize("name", CASES)
def test_resume_from_a_checkpoint_trains_only_the_remaining_epochs(name, tmp_path):
    X, y, _ = CASES[name][1]()
    checkpoint = Checkpoint(dirname=str(tmp_path), monitor=None)
    first = _estimator(name, max_iter=2, callbacks=[checkpoint]).fit(X, y)
    resumed = _estimator(name, max_iter=3, callbacks=[LoadInitState(checkpoint)]).fit(
        X, y
    )
    assert resumed.n_iter_ == 3  # two loaded, one trained
    np.testing.assert_allclose(resumed.loss_curve_[:2], first.loss_curve_)
    assert np.isfinite(resumed.loss_curve_[2])


# -- threads -------------------------------------------------------------------


@pytest.fixture(scope="module", params=list(CASES))
def fitted_with_dropout(request):
    X, y, queries = CASES[request.param][1]()
    model = _estimator(request.param, dropout=0.3).fit(X, y)
    return model, queries


def test_module_is_in_evaluation_mode_after_fit_and_unpickling(fitted_with_dropout):
    model, queries = fitted_with_dropout
    assert model.net_.module_.training is False
    expected = _outputs(model, queries)
    assert model.net_.module_.training is False  # inference left it so
    copy = pickle.loads(pickle.dumps(model))
    assert copy.net_.module_.training is False
    _assert_same(_outputs(copy, queries), expected)
    # A module pickled in training mode (trained by hand, an older pickle)
    # comes back in evaluation mode.
    model.net_.module_.train()
    try:
        copy = pickle.loads(pickle.dumps(model))
    finally:
        model.net_.module_.eval()
    assert copy.net_.module_.training is False
    assert not any(m.training for m in copy.net_.module_.modules())
    _assert_same(_outputs(copy, queries), expected)


def test_threads_predict_as_one_thread_does(fitted_with_dropout):
    model, queries = fitted_with_dropout
    expected = _outputs(model, queries)
    _assert_same(_outputs(model, queries), expected)  # dropout is off
    threads = torch.get_num_threads()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: _outputs(model, queries), range(16)))
    assert torch.get_num_threads() == threads
    for result in results:
        _assert_same(result, expected)
    assert model.net_.module_.training is False
