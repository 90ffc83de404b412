"""The shared torch-estimator plumbing of ``sklearn_attnrec.utils._torch``."""

import math
import pickle

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, GradientNormClipping, LRScheduler

from sklearn_attnrec.utils._param_validation import (
    InvalidParameterError,
    validate_params,
)
from sklearn_attnrec.utils._torch import (
    TRAINING_CONSTRAINTS,
    TRAINING_PARAMETERS,
    WarmupCosineSchedule,
    adamw,
    batched_inference,
    build_net,
    check_training_params,
    evaluating,
    resolve_device,
    torch_random_state,
    torch_seeds,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


class _Params:
    """An estimator-like object carrying the shared training parameters."""

    _parameter_constraints = TRAINING_CONSTRAINTS

    def __init__(self, **kwargs):
        vars(self).update({**TRAINING_PARAMETERS, **kwargs})


def test_schedule_is_nanogpt_warmup_then_cosine():
    schedule = WarmupCosineSchedule(warmup_steps=100, total_steps=2000, min_ratio=0.1)
    lr = 1e-3
    assert schedule(0) * lr == pytest.approx(1e-3 / 101)
    assert schedule(99) * lr == pytest.approx(1e-3 * 100 / 101)
    assert schedule(100) * lr == pytest.approx(1e-3)
    middle = 100 + 1900 / 2
    assert schedule(middle) * lr == pytest.approx(1e-4 + 0.5 * (1e-3 - 1e-4))
    assert schedule(2000) * lr == pytest.approx(1e-4)
    assert schedule(5000) * lr == pytest.approx(1e-4)
    values = [schedule(t) for t in range(100, 2000)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    pickle.loads(pickle.dumps(schedule))


def test_adamw_decays_matrices_only():
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    optimizer = adamw([{"params": list(module.parameters())}], lr=0.1, weight_decay=0.5)
    decay = {
        id(p): g["weight_decay"] for g in optimizer.param_groups for p in g["params"]
    }
    assert decay[id(module[0].weight)] == 0.5
    assert decay[id(module[0].bias)] == 0.0
    assert decay[id(module[1].weight)] == 0.0
    assert isinstance(optimizer, torch.optim.AdamW)


def test_random_state_is_local_and_reproducible():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    with torch_random_state(7):
        a = torch.rand(2)
    with torch_random_state(7):
        b = torch.rand(2)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(torch.rand(3), expected_next)  # global state kept


def test_seeds_follow_random_state():
    assert torch_seeds(0, 2) == torch_seeds(0, 2)
    assert torch_seeds(0) != torch_seeds(1)
    assert isinstance(torch_seeds(np.random.RandomState(0)), int)


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu-please")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")


def test_training_constraints_cover_the_training_parameters():
    assert set(TRAINING_CONSTRAINTS) == set(TRAINING_PARAMETERS)
    validate_params(_Params())  # the defaults are valid


@pytest.mark.parametrize(
    "name, value",
    [
        ("learning_rate", 0.0),
        ("batch_size", 0),
        ("batch_size", 2.5),
        ("max_iter", 0),
        ("learning_rate_schedule", "linear"),
        ("min_learning_rate", -1.0),
        ("beta_2", 1.0),
        ("max_grad_norm", 0.0),
        ("validation_fraction", 0.0),
        ("validation_fraction", 1.5),
        ("early_stopping", "yes"),
        ("callbacks", "progress"),
        ("accelerate", "yes"),
        ("verbose", True),
    ],
)
def test_training_params_are_validated(name, value):
    # The table checks each value (an InvalidParameterError is a ValueError and
    # a TypeError), naming the parameter.
    with pytest.raises(InvalidParameterError, match=rf"The '{name}' parameter"):
        validate_params(_Params(**{name: value}))


def test_training_params_relations():
    with pytest.raises(ValueError, match="min_learning_rate=1.0 must not exceed"):
        check_training_params(_Params(min_learning_rate=1.0))  # above learning_rate
    # The constant schedule ignores min_learning_rate.
    params = check_training_params(
        _Params(min_learning_rate=1.0, learning_rate_schedule="constant")
    )
    assert params["min_learning_rate"] == params["learning_rate"]
    incomplete = _Params()
    del incomplete.max_iter
    with pytest.raises(TypeError, match=r"does not declare .*'max_iter'"):
        check_training_params(incomplete)


def test_training_params_defaults():
    params = check_training_params(_Params(learning_rate=0.01))
    assert params["min_learning_rate"] == pytest.approx(0.001)
    assert params["early_stopping"] is False


def test_build_net_wires_the_callbacks():
    params = check_training_params(_Params(max_grad_norm=0.5, early_stopping=True))
    net = build_net(
        torch.nn.Linear(2, 1), torch.nn.MSELoss, params, total_steps=10, seed=0
    )
    assert isinstance(net, NeuralNet)
    names = dict(net.callbacks)
    assert isinstance(names["lr_schedule"], LRScheduler)
    assert names["grad_clip"].gradient_clip_value == 0.5
    assert isinstance(names["early_stopping"], EarlyStopping)
    assert net.train_split is not None
    assert net.verbose == 0
    quiet = build_net(
        torch.nn.Linear(2, 1),
        torch.nn.MSELoss,
        check_training_params(_Params(max_grad_norm=None)),
        total_steps=10,
        seed=0,
    )
    assert quiet.train_split is None
    assert not any(isinstance(cb, GradientNormClipping) for _, cb in quiet.callbacks)


def test_built_net_trains_quietly_and_pickles(capsys):
    X = np.random.RandomState(0).normal(size=(64, 3)).astype(np.float32)
    y = X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    params = check_training_params(
        _Params(max_iter=30, learning_rate=0.05, batch_size=16)
    )
    with torch_random_state(0):
        net = build_net(
            torch.nn.Linear(3, 1), torch.nn.MSELoss, params, total_steps=120, seed=0
        )
        net.fit(X, y)
    assert capsys.readouterr().out == ""
    losses = net.history[:, "train_loss"]
    assert losses[-1] < 0.1 * losses[0]
    lrs = [b["event_lr"] for epoch in net.history for b in epoch["batches"]]
    assert lrs[0] == pytest.approx(0.05)  # no warm-up
    assert lrs[-1] == pytest.approx(0.005, rel=0.02)  # cosine down to lr / 10
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(clone.predict(X), net.predict(X))


def test_batched_inference_concatenates_in_evaluation_mode():
    module = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.5))
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    out, doubled = batched_inference(
        module.eval(), lambda x, none: (module(x), 2 * x), (X, None), batch_size=2
    )
    torch.testing.assert_close(doubled, torch.from_numpy(2 * X))
    with evaluating(module):
        torch.testing.assert_close(out, module(torch.from_numpy(X)))
    assert math.isfinite(out.sum().item())
    # A module in training mode is put in evaluation mode, never switched back:
    # another thread may be predicting with it (dropout must stay off).
    module.train()
    again = batched_inference(module, module, (X,), batch_size=2)
    assert not any(m.training for m in module.modules())
    torch.testing.assert_close(again, out)
