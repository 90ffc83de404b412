"""Plumbing shared by the package's torch estimators (one place, reused by all).

An estimator stores plain, grid-searchable parameters under the package's names
(``max_iter``, ``batch_size``, ``learning_rate``, ``min_learning_rate``,
``warmup_steps``, ``weight_decay``, ``beta_1``, ``beta_2``, ``max_grad_norm``,
``early_stopping``, ``validation_fraction``, ``n_iter_no_change``, ``tol``,
``callbacks``, ``accelerate``, ``random_state``, ``device``, ``verbose``), lists
them in its ``_parameter_constraints`` (``{**TRAINING_CONSTRAINTS, ...}``) and, in
``fit``::

    validate_params(self)                           # each value, by the table
    params = check_training_params(self)            # values by name, relations
    device = resolve_device(self.device)
    seed, data_seed = torch_seeds(self.random_state, 2)
    with torch_random_state(seed, device):          # local; global state restored
        module = MyModule(...)                       # initialised from the seed
        self.net_ = build_net(
            module, criterion, params, total_steps=..., seed=data_seed, device=device
        )
        self.net_.fit(X_for_skorch, y)              # Ctrl-C: KeyboardInterrupt
    record_history(self)                            # n_iter_, loss_curve_, ...

:func:`build_net` returns a skorch :class:`~skorch.NeuralNet` with AdamW (weight
decay on matrices only), linear warm-up and cosine decay per step, gradient-norm
clipping, no hidden validation split unless ``early_stopping``, and nothing
printed unless ``verbose``. The estimator itself stays a plain
:class:`~sklearn.base.BaseEstimator`; the net is its fitted attribute ``net_``.

Two rules hold for every estimator built on it:

- Ctrl-C stops a fit: skorch ends training quietly on a ``KeyboardInterrupt``
  (its :class:`~skorch.callbacks.EarlyStopping` stops that way), and the nets
  here raise it again once skorch's ``on_train_end`` has run, so that the fit
  stops at once and :func:`~sklearn_attnrec.utils._fitting.fit_atomically`
  undoes it. Only a stop of :class:`~skorch.callbacks.EarlyStopping` (or a
  subclass) ends training as a finished fit.
- A fitted module stays in evaluation mode (after ``fit`` and after
  unpickling); skorch switches it to training mode itself while it trains,
  and prediction (:func:`evaluating`, :func:`batched_inference`) never switches
  it back, so that threads predicting at once with the same model all see
  dropout off.
"""

import copy
import functools
import io
import math
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from numbers import Integral, Real

import torch
from joblib import cpu_count
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LoadInitState,
    LRScheduler,
    ProgressBar,
)
from skorch.dataset import ValidSplit, get_len
from skorch.exceptions import DeviceWarning
from skorch.hf import AccelerateMixin
from torch.optim.lr_scheduler import LambdaLR

from ._param_validation import N_JOBS, VERBOSE, Interval, StrOptions

__all__ = [
    "TorchPicklingMixin",
    "skorch_net_class",
    "WarmupCosineSchedule",
    "adamw",
    "BatchLoader",
    "batched_inference",
    "build_net",
    "check_training_params",
    "evaluating",
    "torch_threads",
    "uses_torch_threads",
    "record_history",
    "resolve_device",
    "steps_per_epoch",
    "torch_random_state",
    "torch_seeds",
]

_TORCH_VERSION = tuple(int(part) for part in torch.__version__.split(".")[:2])

# The training parameters every torch estimator declares (with the usual
# default; an estimator may choose another).
TRAINING_PARAMETERS = {
    "max_iter": 10,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "learning_rate_schedule": "cosine",
    "min_learning_rate": None,
    "warmup_steps": 0,
    "weight_decay": 0.01,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "max_grad_norm": 1.0,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "n_iter_no_change": 5,
    "tol": 1e-4,
    "callbacks": None,
    "accelerate": False,
    "n_jobs": None,
    "verbose": 0,
}

# Their entries of an estimator's ``_parameter_constraints`` (unpack them,
# ``{**TRAINING_CONSTRAINTS, ...}``); check_training_params checks the relations.
TRAINING_CONSTRAINTS = {
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "learning_rate_schedule": [StrOptions({"cosine", "constant"})],
    "min_learning_rate": [Interval(Real, 0, None, closed="left"), None],
    "warmup_steps": [Interval(Integral, 0, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "callbacks": [list, tuple, None],
    "accelerate": ["boolean", Mapping],
    "n_jobs": N_JOBS,
    "verbose": VERBOSE,
}


def resolve_device(device):
    """Turn ``device`` into a :class:`torch.device`, checking it exists.

    Parameters
    ----------
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ... or ``"auto"`` (CUDA
        when available, else CPU).

    Returns
    -------
    device : torch.device

    Examples
    --------
    >>> from sklearn_attnrec.utils._torch import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device") from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} requested but CUDA is not available")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} requested but this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    return resolved


class _SavedNet:
    """A skorch net as :func:`torch.save` bytes, inside a pickled estimator."""

    def __init__(self, data):
        self.data = data


class TorchPicklingMixin:
    """Pickling of an estimator whose ``net_`` may live on an accelerator.

    skorch moves the module, optimizer and criterion to the CPU when a model
    saved on a GPU is loaded where there is none, but other references to their
    tensors (the learning-rate scheduler's optimizer, for one) would still ask
    for the GPU. So ``net_`` travels as :func:`torch.save` bytes and is loaded
    with ``map_location="cpu"`` when CUDA is not available: a model trained on a
    GPU predicts on a CPU-only machine.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())  # may be the live __dict__
        net = state.get("net_")
        if isinstance(net, _AcceleratedNeuralNet):
            net = _picklable_accelerated(net)
        if net is not None and not isinstance(net, _SavedNet):
            buffer = io.BytesIO()
            torch.save(net, buffer)
            state["net_"] = _SavedNet(buffer.getvalue())
        return state

    def __setstate__(self, state):
        saved = state.get("net_")
        if isinstance(saved, _SavedNet):
            location = None if torch.cuda.is_available() else "cpu"
            with warnings.catch_warnings():
                # skorch's "loading on the CPU instead" is the point here.
                warnings.simplefilter("ignore", DeviceWarning)
                net = torch.load(
                    io.BytesIO(saved.data), map_location=location, weights_only=False
                )
            state["net_"] = net  # skorch itself sets net.device to the CPU
        module = getattr(state.get("net_"), "module_", None)
        if isinstance(module, torch.nn.Module):
            module.eval()  # a fitted model predicts in evaluation mode
        super().__setstate__(state)


def torch_seeds(random_state, n=1):
    """Draw ``n`` torch seeds (Python ints) from ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
    n : int, default=1

    Returns
    -------
    seeds : int or list of int
        An int when ``n == 1``.
    """
    rng = check_random_state(random_state)
    seeds = [int(s) for s in rng.randint(0, 2**31 - 1, size=n)]
    return seeds[0] if n == 1 else seeds


@contextmanager
def torch_random_state(seed, device="cpu"):
    """Seed torch's default generators inside the block only.

    The CPU generator (and the CUDA generator of ``device``) are seeded on entry
    and restored on exit (:func:`torch.random.fork_rng`), so that weight
    initialisation and dropout are reproducible without touching the caller's
    global random state.

    Parameters
    ----------
    seed : int
    device : str or torch.device, default="cpu"

    Examples
    --------
    >>> import torch
    >>> from sklearn_attnrec.utils._torch import torch_random_state
    >>> with torch_random_state(0):
    ...     a = torch.rand(2)
    >>> with torch_random_state(0):
    ...     b = torch.rand(2)
    >>> bool((a == b).all())
    True
    """
    device = torch.device(device)
    cuda = device.type == "cuda"
    index = (
        (device.index if device.index is not None else torch.cuda.current_device())
        if cuda
        else None
    )
    with torch.random.fork_rng(devices=[index] if cuda else [], device_type="cuda"):
        torch.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


@contextmanager
def torch_threads(n_jobs):
    """Run the block with ``n_jobs`` torch threads; the previous number is
    restored afterwards, also on errors.

    None (or a value that is not a nonzero int, which the estimator's own
    parameter validation then reports) leaves torch's setting unchanged;
    negative values count back from all processors, as in joblib: -1 is all.
    """
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_jobs if n_jobs > 0 else max(1, cpu_count() + 1 + n_jobs))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def uses_torch_threads(method):
    """Decorate an estimator's method to run with ``self.n_jobs`` torch threads
    (:func:`torch_threads`)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with torch_threads(self.n_jobs):
            return method(self, *args, **kwargs)

    return wrapper


@contextmanager
def evaluating(module):
    """:func:`torch.inference_mode` for the block, ``module`` in evaluation mode.

    A fitted estimator's module is already in evaluation mode, and this leaves
    it so: switching a shared module to training mode afterwards would turn
    dropout on under another thread predicting with it. A module found in
    training mode (one trained through ``net_`` by hand) is put in evaluation
    mode for good; threads doing so at once all end with the same mode.
    """
    if any(m.training for m in module.modules()):
        module.eval()  # one way only: nothing here ever sets training mode
    with torch.inference_mode():
        yield module


class WarmupCosineSchedule:
    """Learning-rate multiplier: linear warm-up, then cosine decay to a floor.

    For step ``t`` (0-based), with ``W = warmup_steps`` and ``N = total_steps``::

        t < W:       (t + 1) / (W + 1)
        W <= t < N:  r + (1 - r) (1 + cos(π (t - W) / (N - W))) / 2
        t >= N:      r

    where ``r = min_ratio``. A picklable callable for
    :class:`torch.optim.lr_scheduler.LambdaLR`.

    Parameters
    ----------
    warmup_steps : int
    total_steps : int
    min_ratio : float
        Final learning rate as a fraction of the initial one.

    Examples
    --------
    >>> from sklearn_attnrec.utils._torch import WarmupCosineSchedule
    >>> schedule = WarmupCosineSchedule(1, 11, 0.1)
    >>> [round(schedule(t), 3) for t in (0, 1, 6, 11)]
    [0.5, 1.0, 0.55, 0.1]
    """

    def __init__(self, warmup_steps, total_steps, min_ratio):
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_ratio = min_ratio

    def __call__(self, step):
        if step < self.warmup_steps:
            return (step + 1) / (self.warmup_steps + 1)
        if step >= self.total_steps:
            return self.min_ratio
        progress = (step - self.warmup_steps) / max(
            1, self.total_steps - self.warmup_steps
        )
        return self.min_ratio + 0.5 * (1.0 - self.min_ratio) * (
            1.0 + math.cos(math.pi * progress)
        )


def adamw(params, lr, weight_decay=0.0, **kwargs):
    """:class:`torch.optim.AdamW` decaying only matrices (weights, embeddings).

    Biases and LayerNorm gains (tensors of fewer than 2 dimensions) get no weight
    decay, as in GPT-2 and nanoGPT. ``params`` is what skorch passes: tensors, or
    parameter groups (dicts).
    """
    groups = []
    for group in params if isinstance(params, list) else [{"params": params}]:
        if not isinstance(group, dict):
            group = {"params": [group]}
        tensors = list(group["params"])
        rest = {k: v for k, v in group.items() if k != "params"}
        decay = rest.pop("weight_decay", weight_decay)
        matrices = [p for p in tensors if p.ndim >= 2]
        vectors = [p for p in tensors if p.ndim < 2]
        if matrices:
            groups.append({"params": matrices, "weight_decay": decay, **rest})
        if vectors:
            groups.append({"params": vectors, "weight_decay": 0.0, **rest})
    settings = [{k: v for k, v in g.items() if k != "params"} for g in groups]
    if all(setting == {**settings[0], "weight_decay": 0} for setting in settings):
        # One group: merged only when the groups differ in nothing else.
        groups = [{**groups[0], "params": [p for g in groups for p in g["params"]]}]
    devices = {p.device.type for g in groups for p in g["params"]}
    # The fused CPU kernel arrived in torch 2.4 (the package allows 2.1).
    fused_cpu = _TORCH_VERSION >= (2, 4) and torch.get_num_threads() == 1
    if devices == {"cuda"} or (devices == {"cpu"} and fused_cpu):
        # One fused kernel per step instead of a Python loop over tensors: on a
        # small model the optimizer step costs more than the backward pass
        # (NeuralCF: 1.4x -> 1.0x a plain loop). Not with several CPU threads:
        # the fused CPU kernel splits every tensor over OpenMP threads, and on
        # a busy machine a small model's fit then ran 30x slower (measured).
        kwargs.setdefault("fused", True)
    return torch.optim.AdamW(groups, lr=lr, weight_decay=weight_decay, **kwargs)


def check_training_params(estimator):
    """The shared training parameters of ``estimator``, with the relations
    between them checked.

    Every torch estimator declares all of them in ``__init__`` (so that
    ``get_params``, ``clone`` and searches see them); the defaults may differ.
    Each value is checked first, against :data:`TRAINING_CONSTRAINTS` in the
    estimator's ``_parameter_constraints``, by
    :func:`~sklearn_attnrec.utils._param_validation.validate_params`.

    Returns
    -------
    params : dict
        Values by name; ``min_learning_rate`` is replaced by ``learning_rate``
        for the constant schedule, and None by ``learning_rate / 10`` for the
        cosine one.

    Raises
    ------
    TypeError
        When ``estimator`` lacks one of the parameters.
    ValueError
        When ``min_learning_rate`` exceeds ``learning_rate``.
    """
    missing = [name for name in TRAINING_PARAMETERS if not hasattr(estimator, name)]
    if missing:
        raise TypeError(
            f"{type(estimator).__name__} does not declare the training "
            f"parameter(s) {missing}; every torch estimator takes all of "
            f"{list(TRAINING_PARAMETERS)}"
        )
    p = {name: getattr(estimator, name) for name in TRAINING_PARAMETERS}
    if p["learning_rate_schedule"] == "constant":
        p["min_learning_rate"] = p["learning_rate"]  # after the warm-up
    elif p["min_learning_rate"] is None:
        p["min_learning_rate"] = p["learning_rate"] / 10
    if p["min_learning_rate"] > p["learning_rate"]:
        raise ValueError(
            f"min_learning_rate={p['min_learning_rate']!r} must not exceed "
            f"learning_rate={p['learning_rate']!r}"
        )
    return p


def steps_per_epoch(n_samples, batch_size):
    """Optimizer steps of one pass over ``n_samples`` (the last batch may be
    short)."""
    return max(1, math.ceil(n_samples / batch_size))


def build_net(
    module,
    criterion,
    params,
    *,
    total_steps,
    seed,
    device="cpu",
    max_epochs=None,
    stratify=False,
    train_split=None,
    iterator_train=None,
    iterator_valid=None,
    **net_kwargs,
):
    """A skorch :class:`~skorch.NeuralNet` training ``module`` as ``params`` say.

    Parameters
    ----------
    module : torch.nn.Module
        Initialised module (build it inside :func:`torch_random_state`).
    criterion : torch.nn.Module class or instance
        Loss of ``module(X_batch)`` against ``y_batch``.
    params : dict
        From :func:`check_training_params`.
    total_steps : int
        Optimizer steps planned (the length of the cosine decay).
    seed : int
        Seeds the shuffling and the early-stopping split.
    device : torch.device or str, default="cpu"
    max_epochs : int, default=None
        Defaults to ``params["max_iter"]``.
    stratify : bool, default=False
        Stratify the early-stopping split (classifiers).
    train_split : callable, default=None
        Custom split ``(dataset, y) -> (train, valid)``; by default none, or a
        :class:`~skorch.dataset.ValidSplit` of ``validation_fraction`` with
        ``early_stopping``.
    iterator_train, iterator_valid : callable, default=None
        Batch iterators; default a :class:`torch.utils.data.DataLoader`,
        shuffled with a generator seeded from ``seed`` for training.
    **net_kwargs
        Passed on to :class:`~skorch.NeuralNet` (e.g. ``dataset``).

    Returns
    -------
    net : skorch.NeuralNet
        Not yet initialised; call ``net.fit``.
    """
    p = params
    lr = p["learning_rate"]
    callbacks = [
        ("remaining_epochs", _RemainingEpochs()),
        (
            "lr_schedule",
            _ResumableLRScheduler(
                policy=LambdaLR,
                lr_lambda=WarmupCosineSchedule(
                    p["warmup_steps"], total_steps, p["min_learning_rate"] / lr
                ),
                step_every="batch",
            ),
        ),
    ]
    if p["max_grad_norm"] is not None:
        callbacks.append(
            ("grad_clip", GradientNormClipping(gradient_clip_value=p["max_grad_norm"]))
        )
    if p["early_stopping"]:
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor="valid_loss",
                    patience=p["n_iter_no_change"],
                    threshold=p["tol"],
                    threshold_mode="rel",
                    load_best=True,
                ),
            )
        )
        if train_split is None:
            train_split = ValidSplit(
                p["validation_fraction"], stratified=stratify, random_state=seed
            )
    else:
        train_split = None
    if p["verbose"] >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    for i, callback in enumerate(p["callbacks"] or []):
        callbacks.append(
            copy.deepcopy(callback)
            if isinstance(callback, tuple)
            else (f"user_callback_{i}", copy.deepcopy(callback))
        )
    # A user's LoadInitState (resuming from a skorch Checkpoint) must load the
    # weights, optimizer and history before the others read the history.
    loaders = [c for c in callbacks if isinstance(c[1], LoadInitState)]
    callbacks = loaders + [c for c in callbacks if c not in loaders]
    if iterator_train is None:
        net_kwargs.setdefault("iterator_train__shuffle", True)
        net_kwargs.setdefault(
            "iterator_train__generator", torch.Generator().manual_seed(seed)
        )
    if iterator_train is not None:
        net_kwargs["iterator_train"] = iterator_train
    if iterator_valid is not None:
        net_kwargs["iterator_valid"] = iterator_valid
    net_class, accelerate_kwargs = skorch_net_class(p["accelerate"], p["verbose"])
    if accelerate_kwargs:
        device = None  # Accelerate places the module
    return net_class(
        module,
        criterion,
        optimizer=adamw,
        lr=lr,
        optimizer__weight_decay=p["weight_decay"],
        optimizer__betas=(p["beta_1"], p["beta_2"]),
        max_epochs=p["max_iter"] if max_epochs is None else max_epochs,
        batch_size=p["batch_size"],
        train_split=train_split,
        callbacks=callbacks,
        verbose=p["verbose"],
        device=None if device is None else str(device),
        **accelerate_kwargs,
        **net_kwargs,
    )


def skorch_net_class(accelerate, verbose=0):
    """The skorch net class of an estimator's ``accelerate`` parameter.

    Returns
    -------
    net_class : type
        A subclass of :class:`~skorch.NeuralNet` whose ``fit`` and
        ``partial_fit`` raise ``KeyboardInterrupt`` on Ctrl-C (skorch's own
        return as if training had finished), with skorch's ``AccelerateMixin``
        when ``accelerate`` is True or a dict of ``accelerate.Accelerator``
        arguments.
    kwargs : dict
        Extra arguments of ``net_class`` (the accelerator); when not empty, pass
        ``device=None``: Accelerate places the module.
    """
    if not isinstance(accelerate, (bool, Mapping)):
        raise ValueError(
            "accelerate must be a bool or a dict of accelerate.Accelerator "
            f"arguments; got {accelerate!r}"
        )
    if not accelerate:
        return _NeuralNet, {}
    kwargs = {"accelerator": _accelerator(accelerate)}
    if not verbose:
        kwargs["callbacks__print_log__sink"] = _silent
    return _AcceleratedNeuralNet, kwargs


class _EarlyStop(KeyboardInterrupt):
    """How :class:`_InterruptMixin` marks a callback's
    :class:`~skorch.callbacks.EarlyStopping` stop (skorch raises
    ``KeyboardInterrupt`` for it)."""


class _InterruptMixin:
    """A skorch net whose ``fit`` and ``partial_fit`` raise on Ctrl-C.

    skorch's ``partial_fit`` catches ``KeyboardInterrupt``, runs
    ``on_train_end`` and returns as if training had finished: that is how its
    :class:`~skorch.callbacks.EarlyStopping` stops, and also what a Ctrl-C (or
    a callback raising ``KeyboardInterrupt``) does. Here a stop of an
    ``EarlyStopping`` callback (or subclass) still ends training as a
    finished fit; any other ``KeyboardInterrupt`` in the fit loop is raised
    again once skorch has run ``on_train_end`` (a ``TrainEndCheckpoint`` still
    saves the interrupted model), so that callers stop at once.
    """

    def notify(self, method_name, **cb_kwargs):
        # skorch's notify, telling an EarlyStopping stop from a Ctrl-C.
        getattr(self, method_name)(self, **cb_kwargs)
        for _, callback in self.callbacks_:
            try:
                getattr(callback, method_name)(self, **cb_kwargs)
            except KeyboardInterrupt as exc:
                if isinstance(callback, EarlyStopping):
                    raise _EarlyStop from exc
                raise

    def fit_loop(self, X, y=None, *args, **kwargs):
        try:
            return super().fit_loop(X, y, *args, **kwargs)
        except KeyboardInterrupt as exc:
            if not isinstance(exc, _EarlyStop):
                self._interrupt = exc
            raise

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        self._interrupt = None
        try:
            super().partial_fit(X, y, classes, **fit_params)
        except Exception as exc:  # on_train_end failed after an interrupt
            interrupt, self._interrupt = self._interrupt, None
            if interrupt is None:
                raise
            raise interrupt from exc
        interrupt, self._interrupt = self._interrupt, None
        if interrupt is not None:
            raise interrupt
        return self

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_interrupt", None)  # (a traceback does not pickle)
        return state


class _NeuralNet(_InterruptMixin, NeuralNet):
    """skorch's :class:`~skorch.NeuralNet`, raising on Ctrl-C."""


class _AcceleratedNeuralNet(_InterruptMixin, AccelerateMixin, NeuralNet):
    """A skorch net trained through Hugging Face Accelerate.

    With several processes (``accelerate launch``), each process trains on its
    share of every batch, the processes record the same losses, and they end
    with the same module, unwrapped once every callback is done.
    """

    def _initialize_accelerator(self):
        # skorch's, except that a criterion without trainable parameters (every
        # loss here) is only moved to the device: under several processes,
        # accelerator.prepare wraps modules in DistributedDataParallel, which
        # refuses a module that has no parameter requiring a gradient.
        if self._wrapped_with_accelerator:
            return self
        frozen = []
        for name in self._criteria:
            criterion = getattr(self, name + "_")
            if isinstance(criterion, torch.nn.Module) and not any(
                p.requires_grad for p in criterion.parameters()
            ):
                setattr(self, name + "_", criterion.to(self.accelerator.device))
                frozen.append(name)
        criteria = self._criteria
        self._criteria = [name for name in criteria if name not in frozen]
        try:
            return super()._initialize_accelerator()
        finally:
            self._criteria = criteria

    def get_iterator(self, dataset, training=False):
        # Accelerate shards DataLoaders; the package's own batch iterators
        # (BatchLoader, CausalLMTransformer's windows) are sharded here.
        iterator = super().get_iterator(dataset, training=training)
        n_processes = self.accelerator.num_processes
        if n_processes > 1 and not isinstance(iterator, torch.utils.data.DataLoader):
            iterator = _ShardedBatches(
                iterator, n_processes, self.accelerator.process_index
            )
        return iterator

    def on_train_end(self, net, X=None, y=None, **kwargs):
        # skorch's unwraps the module here, before the callbacks' on_train_end:
        # an EarlyStopping(load_best=True) would then load the weights it saved
        # from the DistributedDataParallel wrapper ("module." keys) into the
        # bare module. partial_fit unwraps once the callbacks are done.
        self.accelerator.wait_for_everyone()
        return NeuralNet.on_train_end(self, net, X=X, y=y, **kwargs)

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        try:
            return super().partial_fit(X, y, classes, **fit_params)
        finally:
            if self.unwrap_after_train:
                self._unwrap_accelerator()

    def train_step(self, batch, **fit_params):
        step = super().train_step(batch, **fit_params)
        return {**step, "loss": self._mean_over_processes(step["loss"], batch)}

    def validation_step(self, batch, **fit_params):
        step = super().validation_step(batch, **fit_params)
        return {**step, "loss": self._mean_over_processes(step["loss"], batch)}

    def _mean_over_processes(self, loss, batch):
        # Each process computes the loss of its share of a batch. The loss of
        # the whole batch (the shares' losses weighted by their sizes), and
        # its size (on_batch_end), are what every process records, so that
        # loss_curve_ and early stopping agree across processes: a process
        # that stopped alone would leave the others waiting for it.
        if self.accelerator.num_processes == 1:
            return loss
        size = get_len(batch[0]) if isinstance(batch, (tuple, list)) else get_len(batch)
        size = torch.tensor(float(size), device=loss.device)
        total, size = self.accelerator.reduce(
            torch.stack([loss.detach().float() * size, size]), reduction="sum"
        )
        self._batch_size_over_processes = int(size.item())
        return total / size

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        size = getattr(self, "_batch_size_over_processes", None)
        if size is not None:
            prefix = "train" if training else "valid"
            self.history.record_batch(prefix + "_batch_size", size)
            self._batch_size_over_processes = None


class _ShardedBatches:
    """One process's share of a batch iterator: batches ``index``, ``index +
    n``, ... The last round is completed with the epoch's first batches (as
    Accelerate's ``even_batches`` does for a DataLoader), so that every process
    takes as many steps. Processes whose iterators draw alike (same seed) thus
    share the batches of one process between them."""

    def __init__(self, iterator, n_processes, index):
        self.iterator = iterator
        self.n_processes = n_processes
        self.index = index

    def __iter__(self):
        first, count = [], 0
        for count, batch in enumerate(self.iterator, start=1):
            if len(first) < self.n_processes:
                first.append(batch)
            if (count - 1) % self.n_processes == self.index:
                yield batch
        short = count % self.n_processes
        if short and self.index >= short:
            yield first[(self.index - short) % len(first)]


def _picklable_accelerated(net):
    """A shallow copy of a trained accelerated net without what Accelerate
    wrapped (its optimizer wrapper and the scheduler attached to it cannot be
    pickled); enough to predict, and to train again from scratch."""
    net = _shallow_copy(net)  # copy.copy would pickle the net
    net.accelerator = _shallow_copy(net.accelerator)
    net.accelerator.free_memory()  # the copy forgets the prepared objects
    net.optimizer_ = getattr(net.optimizer_, "optimizer", net.optimizer_)

    # skorch's callbacks_ are the initialised instances of callbacks.
    def keep(callback):
        callback = callback[1] if isinstance(callback, tuple) else callback
        return not isinstance(callback, LRScheduler)

    if net.callbacks is not None:
        net.callbacks = [c for c in net.callbacks if keep(c)]
    net.callbacks_ = [c for c in net.callbacks_ if keep(c)]
    return net


def _shallow_copy(obj):
    copied = object.__new__(type(obj))
    copied.__dict__.update(vars(obj))
    return copied


def _silent(*args, **kwargs):
    """A print that prints nothing (skorch's log sink when ``verbose=0``)."""


def _accelerator(options):
    """``accelerate.Accelerator(**options)`` (no options for ``True``)."""
    try:
        from accelerate import Accelerator
    except ImportError as exc:
        raise ImportError(
            "accelerate=True needs Hugging Face Accelerate: pip install accelerate"
        ) from exc
    return Accelerator(**({} if options is True else dict(options)))


class _ResumableLRScheduler(LRScheduler):
    """skorch's per-batch scheduler, resuming at the batch where a loaded
    history stopped (skorch's own counts epochs there)."""

    def _get_scheduler(self, net, policy, **scheduler_kwargs):
        accelerator = getattr(net, "accelerator", None)
        n_processes = 1 if accelerator is None else accelerator.num_processes
        if len(net.history):
            scheduler_kwargs.setdefault("last_epoch", self.batch_idx_ * n_processes - 1)
        scheduler = super()._get_scheduler(net, policy, **scheduler_kwargs)
        if accelerator is not None:
            # skorch's AccelerateMixin prepares the policy class, which does
            # nothing. A prepared scheduler steps once per process at each
            # optimizer step: the schedule, planned in batches of batch_size,
            # then ends with training however many processes share the data.
            scheduler = accelerator.prepare_scheduler(scheduler)
        return scheduler


class _RemainingEpochs(Callback):
    """After a checkpoint was loaded, train only the epochs still planned."""

    def initialize(self):
        self.started_ = False
        return self

    def on_train_begin(self, net, **kwargs):
        # Only at the first fit: a later net_.partial_fit (by hand) continues
        # from its own history and must not shorten its epochs again.
        if not self.started_:
            self.started_ = True
            net.max_epochs = max(0, net.max_epochs - len(net.history))


class BatchLoader:
    """skorch iterator serving whole batches sliced from an epoch's tensors.

    For datasets that build each epoch at once (``dataset.epoch(shuffle)`` ->
    ``(X, y)`` tensors, e.g. fresh negatives every epoch): no per-sample
    ``__getitem__`` and no collate step, which on small models cost more than
    the forward and backward passes. Pass it as ``iterator_train`` and
    ``iterator_valid`` of :func:`build_net` (with ``iterator_train__shuffle=True``).

    Parameters
    ----------
    dataset : object with ``epoch(shuffle)`` and ``__len__``
    batch_size : int
    shuffle : bool, default=False
        Asked of ``dataset.epoch``, which owns the random state.
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return steps_per_epoch(len(self.dataset), self.batch_size)

    def __iter__(self):
        X, y = self.dataset.epoch(self.shuffle)
        for start in range(0, len(X), self.batch_size):
            yield X[start : start + self.batch_size], y[start : start + self.batch_size]


def batched_inference(module, function, arrays, batch_size):
    """Apply ``function`` to consecutive batches, in evaluation mode.

    Parameters
    ----------
    module : torch.nn.Module
        Run in evaluation mode and :func:`torch.inference_mode` (see
        :func:`evaluating`: the mode is never switched back to training, so
        that threads may predict with the same module at once).
    function : callable
        ``function(*tensors)`` -> tensor or tuple of tensors, for the batch
        tensors (moved to the module's device) of ``arrays``.
    arrays : sequence of ndarray or None
        Same first dimension; None entries are passed as None.
    batch_size : int

    Returns
    -------
    outputs : torch.Tensor or tuple of torch.Tensor
        The batches' outputs concatenated, on the CPU, as float32 for floats.
    """
    device = next(module.parameters()).device
    n = len(next(a for a in arrays if a is not None))
    chunks = []
    with evaluating(module):
        for start in range(0, n, batch_size):
            batch = [
                None if a is None else torch.as_tensor(a[start : start + batch_size])
                for a in arrays
            ]
            out = function(*(None if b is None else b.to(device) for b in batch))
            chunks.append(out if isinstance(out, tuple) else (out,))
    outputs = tuple(torch.cat(parts).cpu() for parts in zip(*chunks))
    outputs = tuple(o.float() if o.is_floating_point() else o for o in outputs)
    return outputs if len(outputs) > 1 else outputs[0]


def record_history(estimator):
    """Set ``n_iter_``, ``loss_curve_`` and (with a validation split)
    ``validation_loss_curve_`` from ``estimator.net_.history``, and leave the
    module in evaluation mode."""
    history = estimator.net_.history
    estimator.n_iter_ = len(history)
    estimator.loss_curve_ = list(history[:, "train_loss"])
    if history and "valid_loss" in history[-1]:
        estimator.validation_loss_curve_ = list(history[:, "valid_loss"])
    else:  # a refit without early stopping drops the previous fit's curve
        vars(estimator).pop("validation_loss_curve_", None)
    estimator.net_.module_.eval()
