"""SequentialRecommender: self-attention over a user's history (SASRec)."""

import numbers
import warnings

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils.validation import check_is_fitted
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from ..base import RankingScoreMixin, RecommenderMixin, check_histories, check_n
from ..nn import TransformerConfig
from ..utils._deprecation import DEPRECATED, renamed_parameter
from ..utils._fitting import fit_atomically
from ..utils._param_validation import (
    RANDOM_STATE,
    RECOMMENDER_CONSTRAINTS,
    Hidden,
    Interval,
    StrOptions,
    validate_params,
)
from ..utils._torch import (
    TRAINING_CONSTRAINTS,
    TorchPicklingMixin,
    batched_inference,
    build_net,
    check_training_params,
    record_history,
    resolve_device,
    steps_per_epoch,
    torch_random_state,
    torch_seeds,
    uses_torch_threads,
)
from ..utils._vocabulary import UNKNOWN
from ._modules import _PAD, NextItemLoss, SASRecNet

_LOSSES = ("bce", "gbce", "softmax")
_INPUTS = ("interactions", "sequences")


def _gbce_beta(n_negatives, n_items, calibration):
    """gSASRec's exponent ``beta = alpha (t (1 - 1/alpha) + 1/alpha)``, with the
    sampling rate ``alpha = k / (n_items - 1)``: t=1 gives the calibrated model,
    t=0 plain BCE."""
    if n_items < 2:
        return 1.0
    alpha = min(n_negatives, n_items - 1) / (n_items - 1)
    return alpha * (calibration * (1 - 1 / alpha) + 1 / alpha)


def _left_pad(sequences, length):
    """(n, length) int64 matrix of the last ``length`` entries of each sequence,
    right-aligned, zero-padded on the left."""
    out = np.zeros((len(sequences), length), dtype=np.int64)
    for row, seq in enumerate(sequences):
        seq = seq[-length:]
        if len(seq):
            out[row, length - len(seq) :] = seq
    return out


def _sequence_rows(sequences):
    """A list of item sequences as ``[user, item]`` rows in time order (user
    ``k`` is the ``k``-th sequence)."""
    if isinstance(sequences, str) or not hasattr(sequences, "__len__"):
        raise ValueError(
            'with layout="sequences", X must be a list of item-id sequences; got '
            f"{type(sequences).__name__}"
        )
    sequences = [np.asarray(s) for s in sequences]
    for k, seq in enumerate(sequences):
        if seq.ndim != 1:
            raise ValueError(
                'with layout="sequences", X must be a list of 1-D item-id '
                f"sequences; sequence {k} has shape {seq.shape}"
            )
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if not lengths.sum():
        raise ValueError('with layout="sequences", X holds no item at all')
    items = np.concatenate([s for s in sequences if len(s)])
    users = np.repeat(np.arange(len(sequences)), lengths)
    if items.dtype.kind in "biuf":
        return np.column_stack([users, items])
    rows = np.empty((len(items), 2), dtype=object)  # string ids stay strings
    rows[:, 0], rows[:, 1] = users, items
    return rows


def _timestamps(column):
    """A sortable float64 view of the timestamp column (numbers or datetimes)."""
    try:
        return np.asarray(column, dtype=np.float64)
    except (TypeError, ValueError):
        try:
            return np.asarray(column, dtype="datetime64[ns]").astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "the third column of X (timestamps) must hold numbers or datetimes"
            ) from exc


def _warn_if_time_looks_like_ratings(time):
    """Warn when the time column takes a handful of small values, as ratings
    do (MovieLens' CSV order is user, item, rating, timestamp)."""
    distinct = np.unique(time)
    if (
        len(time) >= 50
        and len(distinct) <= 10
        and distinct.min() >= 0
        and distinct.max() <= 10
    ):
        warnings.warn(
            f"the third column of X, read as the time of each interaction, takes "
            f"only {len(distinct)} values between {distinct.min():g} and "
            f"{distinct.max():g}: it looks like ratings. Histories are ordered by "
            "that column; pass [user, item, timestamp] columns (e.g. "
            "df[['userId', 'movieId', 'timestamp']])",
            UserWarning,
            stacklevel=4,
        )


class SequentialRecommender(
    TorchPicklingMixin,
    RecommenderMixin,
    RankingScoreMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Self-attentive sequential recommender (SASRec).

    Each user's interactions, ordered by time, form a sequence of items. Item
    embeddings plus learned positional embeddings go through ``n_layers`` causal
    pre-norm transformer blocks; the hidden state at position ``t`` scores every
    item as the one at ``t + 1`` by a dot product with the same item embeddings.
    Training predicts every next item of every sequence at once (teacher forcing).

    Parameters
    ----------
    embedding_dim : int, default=50
        Size of item embeddings and hidden states; divisible by ``n_heads``.
    n_heads : int, default=1
        Attention heads per block.
    n_layers : int, default=2
        Transformer blocks.
    block_size : int, default=50
        Context length, the longest history used: each user keeps only their
        last ``block_size`` items (the paper: 200 on MovieLens 1M, 50 on sparse
        data).
    dropout : float, default=0.2
        Dropout on embeddings, attention weights and sublayer outputs (the
        paper: 0.2 on MovieLens, 0.5 on sparse data).
    loss : {"bce", "gbce", "softmax"}, default="bce"
        ``"bce"``: binary cross-entropy of each next item against sampled
        negative items (SASRec). ``"gbce"``: gSASRec's generalised BCE, many
        negatives and the positive term raised to the power ``beta`` set by
        ``calibration`` (Petrov & Macdonald report it close to the full softmax
        at a fraction of its cost on large catalogues; on MovieLens 100K, in
        ``benchmarks/bench_sequential.py``, it ranked below ``"bce"``: measure
        it on your data). ``"softmax"``: full cross-entropy over all items,
        strongest on full-ranking metrics there, slower with many items.
    n_negatives : int, default=None
        Negatives per position for ``"bce"`` and ``"gbce"``; None means 1 for
        ``"bce"`` (the paper) and 256 for ``"gbce"`` (gSASRec). One negative is
        drawn per position; more are drawn once per batch, distinct, and shared
        by its positions (all items when ``n_negatives`` exceeds them).
    calibration : float, default=0.75
        gSASRec's ``t`` in [0, 1] (``"gbce"`` only): 0 is plain BCE, 1 the fully
        calibrated exponent; the paper recommends 0.75.
    max_iter : int, default=200
        Epochs (passes over all users).
    batch_size : int, default=128
        Users per optimizer step.
    learning_rate : float, default=1e-3
        Peak learning rate of AdamW.
    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        After ``warmup_steps`` of linear warm-up, a cosine decay (per batch) to
        ``min_learning_rate``, or a constant learning rate.
    min_learning_rate : float, default=None
        Final learning rate of the cosine decay; None is ``learning_rate / 10``.
    weight_decay : float, default=0.0
        AdamW weight decay of matrices (embeddings included).
    beta_1, beta_2 : float, default=0.9, 0.999
        AdamW's moment decay rates.
    warmup_steps : int, default=0
        Linear warm-up steps.
    max_grad_norm : float or None, default=1.0
        Gradient-norm clipping; None disables it.
    early_stopping : bool, default=False
        Hold out the last item of users with three items or more and stop
        when the full-softmax loss of predicting it from the rest of the
        history has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        the best epoch's weights are kept (the leave-one-out validation of the
        paper). The held-out items still count in the users' histories at
        prediction time.
    validation_fraction : float, default=1.0
        Early stopping: the share of those users whose last item is held out
        (1.0: all of them, the paper's protocol).
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    callbacks : list of skorch callbacks, default=None
        Added to the skorch net (e.g. checkpointing).
    accelerate : bool or dict, default=False
        Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``):
        True, or a dict of ``accelerate.Accelerator`` arguments such as
        ``{"mixed_precision": "bf16"}``. Launched with ``accelerate launch``,
        the same script trains data-parallel on several GPUs; ``device`` is
        then Accelerate's choice. Needs ``pip install accelerate``.
    n_jobs : int, default=None
        Torch threads during ``fit`` (restored afterwards); None leaves
        torch's setting, -1 means all processors. Use 1 on a busy machine
        (:doc:`/scaling`).
    layout : {"interactions", "sequences"}, default="interactions"
        What ``fit`` reads. ``"interactions"``: ``[user, item, timestamp]`` rows.
        ``"sequences"``: a list of item-id sequences, oldest first, one per
        user; user ``k`` is the ``k``-th sequence (empty sequences make unknown
        users). Cross-validation and ranking scorers split and score rows, so
        use ``"interactions"`` with ``GridSearchCV``; a fitted model serves any
        history through :meth:`recommend_for_history`.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        Unknown users get item popularity (share of training interactions) as
        scores; an unknown item scored for a known user gets that user's lowest
        score over the known items (it ranks last). ``"error"`` raises instead.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling, dropout and negative sampling.
    device : str, default="cpu"
        Torch device, or ``"auto"``.
    verbose : int, default=0
        1 prints the skorch epoch table, 2 adds a progress bar.

    Attributes
    ----------
    user_ids_, item_ids_ : ndarray
        Raw ids seen in fit, sorted.
    user_items_ : scipy.sparse.csr_matrix of shape (n_users, n_items)
        Items each user interacted with in training.
    histories_ : ndarray of shape (n_users, block_size), dtype int64
        Each user's last ``block_size`` items as ``index + 1`` into ``item_ids_``,
        oldest first, left-padded with 0.
    item_popularity_ : ndarray of shape (n_items,)
        Share of training interactions per item (the unknown-user fallback).
    net_ : skorch.NeuralNet
        The trained network; ``net_.module_`` is the torch module.
    n_iter_ : int
        Epochs run (0 when no user has two interactions).
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float
        With ``early_stopping``: validation loss per epoch.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only for DataFrames with string column names.

    See Also
    --------
    sklearn_attnrec.CausalLMTransformer : The same blocks over tokens.
    sklearn_attnrec.MatrixFactorization : An order-free baseline.

    Notes
    -----
    What it predicts: the *next* item after a user's history. On MovieLens
    100K's leave-last-out protocol it ranks the held-out last item better
    than every other model of the package (``benchmarks/bench_sequential.py``).
    On random 80/20 splits, where the held-out items are scattered through a
    user's past, it ranks below popularity (NDCG@10 0.14 against 0.25 on fold
    u1, ``benchmarks/bench_topn.py --neural``): for "what else will this user
    like", use :class:`~sklearn_attnrec.EASE` or
    ``MatrixFactorization(feedback="implicit")``.

    ``X`` holds ``[user, item, timestamp]`` rows; without a third column the row
    order is the time order. Ties in time keep the row order. ``y`` is unused
    (implicit feedback) apart from ``user_items_``. Blocks follow SASRec's choice
    of a ReLU feed-forward layer of width ``embedding_dim``, but are pre-norm with
    GPT-2 initialisation. Negatives of ``loss="bce"`` are drawn uniformly among
    all other items, not only among those the user never saw.

    The paper's configuration is ``embedding_dim=50, n_heads=1, n_layers=2,
    dropout=0.2, block_size=200, learning_rate=1e-3, batch_size=128, loss="bce",
    max_iter=200``: the defaults, except ``block_size=50`` (its setting for
    sparse data). ``max_len`` and ``input`` are the deprecated names of
    ``block_size`` and ``layout`` (removed in 0.3).

    References
    ----------
    W.-C. Kang and J. McAuley, "Self-Attentive Sequential Recommendation",
    ICDM 2018.

    A. Petrov and C. Macdonald, "gSASRec: Reducing Overconfidence in Sequential
    Recommendation Trained with Negative Sampling", RecSys 2023.

    Examples
    --------
    >>> from sklearn_attnrec.datasets import make_sequences
    >>> from sklearn_attnrec.neural import SequentialRecommender
    >>> X = make_sequences(n_users=20, n_items=10, random_state=0)
    >>> model = SequentialRecommender(embedding_dim=8, block_size=10, max_iter=2,
    ...                               random_state=0).fit(X)
    >>> items, scores = model.recommend_for_history([[1, 2, 3]], n=3)
    >>> items.shape
    (1, 3)
    """

    # Tiny sizes for the package's own tests (read by utils._testing).
    _test_params = {
        "embedding_dim": 8,
        "n_heads": 2,
        "n_layers": 1,
        "block_size": 8,
        "max_iter": 2,
        "dropout": 0.0,
    }

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        # 1.0 (the default) holds out the last item of every eligible user.
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="right")],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_heads": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "block_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "loss": [StrOptions(set(_LOSSES))],
        "n_negatives": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "calibration": [Interval(numbers.Real, 0, 1, closed="both")],
        "layout": [StrOptions(set(_INPUTS))],
        "max_len": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Hidden(StrOptions({DEPRECATED})),
        ],
        "input": [StrOptions(set(_INPUTS)), Hidden(StrOptions({DEPRECATED}))],
        "random_state": RANDOM_STATE,
        "device": [str, torch.device],
    }
    # What X is, for the bad-input and persistence tests.
    _input_kind = "sequential"

    def __init__(
        self,
        *,
        embedding_dim=50,
        n_heads=1,
        n_layers=2,
        block_size=50,
        dropout=0.2,
        loss="bce",
        n_negatives=None,
        calibration=0.75,
        max_iter=200,
        batch_size=128,
        learning_rate=1e-3,
        learning_rate_schedule="cosine",
        min_learning_rate=None,
        weight_decay=0.0,
        beta_1=0.9,
        beta_2=0.999,
        warmup_steps=0,
        max_grad_norm=1.0,
        early_stopping=False,
        validation_fraction=1.0,
        n_iter_no_change=5,
        tol=1e-4,
        callbacks=None,
        accelerate=False,
        n_jobs=None,
        layout="interactions",
        max_len=DEPRECATED,
        input=DEPRECATED,
        columns=None,
        handle_unknown="fallback",
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        self.embedding_dim = embedding_dim
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.block_size = block_size
        self.dropout = dropout
        self.loss = loss
        self.n_negatives = n_negatives
        self.calibration = calibration
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.min_learning_rate = min_learning_rate
        self.weight_decay = weight_decay
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.warmup_steps = warmup_steps
        self.max_grad_norm = max_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.accelerate = accelerate
        self.n_jobs = n_jobs
        self.layout = layout
        self.max_len = max_len
        self.input = input
        self.columns = columns
        self.handle_unknown = handle_unknown
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        # Seeded fits are reproducible on the CPU, not on accelerators.
        tags.non_deterministic = not str(self.device).startswith("cpu")
        tags.transformer_tags.preserves_dtype = ["float32"]  # torch states
        return tags

    @property
    def _n_features_out(self):
        """Columns of :meth:`transform` (for ``get_feature_names_out``)."""
        return self.embedding_dim

    # -- fitting ---------------------------------------------------------------

    def _check_params(self):
        validate_params(self)
        params = check_training_params(self)
        params["block_size"] = renamed_parameter(self, "max_len", "block_size")
        params["layout"] = renamed_parameter(self, "input", "layout")
        if self.embedding_dim % self.n_heads:
            raise ValueError(
                f"embedding_dim={self.embedding_dim} is not divisible by "
                f"n_heads={self.n_heads}"
            )
        return params

    def _n_negatives(self):
        if self.n_negatives is not None:
            return self.n_negatives
        return 256 if self.loss == "gbce" else 1

    @fit_atomically
    @uses_torch_threads
    def fit(self, X, y=None):
        """Train next-item prediction on every user's time-ordered history.

        Parameters
        ----------
        X : array-like of shape (n_samples, 2 or more)
            ``[user_id, item_id, timestamp]`` rows (array or DataFrame); without
            a third column, the row order is the time order.
        y : array-like of shape (n_samples,), default=None
            Interaction weights: validated and kept in ``user_items_`` (the seen
            items), but not used by the model, for which every interaction is one
            step of a sequence.

        Returns
        -------
        self : SequentialRecommender
        """
        params = self._check_params()
        block_size = params["block_size"]
        if params["layout"] == "sequences":
            X = _sequence_rows(X)
        user_index, item_index, _ = self._fit_interactions(X, y, y_required=False)
        X = self._validate_X(X, reset=False, all_columns=True)  # with the times
        time = _timestamps(X[:, 2]) if X.shape[1] >= 3 else np.zeros(len(X))
        _warn_if_time_looks_like_ratings(time)
        order = np.lexsort((np.arange(len(X)), time, user_index))
        users, items = user_index[order], item_index[order] + 1
        bounds = np.flatnonzero(np.diff(users)) + 1
        sequences = np.split(items, bounds)  # one per user, users sorted
        n_items = len(self.item_ids_)
        self.histories_ = _left_pad(sequences, block_size)
        self.item_popularity_ = np.bincount(item_index, minlength=n_items) / len(X)

        device = resolve_device(self.device)
        init_seed, data_seed = torch_seeds(self.random_state, 2)
        train_split = None
        if params["early_stopping"]:
            eligible = np.flatnonzero([len(s) >= 3 for s in sequences])
            n_held = int(round(params["validation_fraction"] * len(eligible)))
            if not n_held:
                raise ValueError(
                    "early_stopping holds out the last item of "
                    f"validation_fraction={params['validation_fraction']} of the "
                    "users with 3 interactions or more, and there is none"
                )
            chosen = np.random.RandomState(data_seed).permutation(eligible)[:n_held]
            held = np.zeros(len(sequences), dtype=bool)
            held[chosen] = True
            held_out = [s for s, h in zip(sequences, held) if h]
            sequences = [s[:-1] if h else s for s, h in zip(sequences, held)]
            valid_targets = np.zeros((len(held_out), block_size), dtype=np.int64)
            valid_targets[:, -1] = [s[-1] for s in held_out]
            train_split = predefined_split(
                Dataset(
                    {"sequences": _left_pad([s[:-1] for s in held_out], block_size)},
                    valid_targets,
                )
            )
        trainable = [s for s in sequences if len(s) >= 2]
        inputs = _left_pad([s[:-1] for s in trainable], block_size)
        targets = _left_pad([s[1:] for s in trainable], block_size)
        config = TransformerConfig(
            block_size=block_size,
            embedding_dim=self.embedding_dim,
            n_heads=self.n_heads,
            n_layers=self.n_layers,
            feedforward_dim=self.embedding_dim,
            dropout=float(self.dropout),
            activation="relu",
            positional="learned",
            causal=True,
        )
        n_negatives = self._n_negatives()
        beta = (
            _gbce_beta(n_negatives, n_items, self.calibration)
            if self.loss == "gbce"
            else 1.0
        )
        per_epoch = steps_per_epoch(len(trainable), params["batch_size"])
        with torch_random_state(init_seed, device):
            self.net_ = build_net(
                SASRecNet(n_items, config),
                NextItemLoss(self.loss, n_negatives, beta),
                params,
                total_steps=params["max_iter"] * per_epoch,
                seed=data_seed,
                device=device,
                train_split=train_split,
            )
            if len(trainable):
                self.net_.fit({"sequences": inputs}, targets)
            else:  # no user has a next item to learn from: an untrained model
                self.net_.initialize()
        if len(trainable):
            record_history(self)
        else:
            self.net_.module_.eval()
            self.n_iter_, self.loss_curve_ = 0, []
        return self

    # -- encoding of histories -------------------------------------------------

    def _encode_histories(self, item_sequences):
        """Raw item id sequences -> left-padded (n, block_size) indices + 1."""
        check_is_fitted(self)
        if isinstance(item_sequences, np.ndarray) and item_sequences.ndim == 2:
            item_sequences = list(item_sequences)
        encoded = []
        for seq in check_histories(item_sequences):
            index = self._encode(seq, self.item_ids_, "item") if len(seq) else seq
            index = np.asarray(index, dtype=np.int64)
            encoded.append(index[index != UNKNOWN] + 1)  # unknown items dropped
        return _left_pad(encoded, self.histories_.shape[1])

    def _states(self, histories, *, all_positions=False):
        """Hidden states of left-padded histories: (n, C), or (n, T, C)."""
        module = self.net_.module_

        def run(batch):
            h = module.encode(batch)
            return h if all_positions else h[:, -1]

        return batched_inference(module, run, (histories,), self.batch_size).numpy()

    def _history_scores(self, histories):
        """Scores (n, n_items) of every item as the next one, float64."""
        states = self._states(histories).astype(np.float64)
        return states @ self._item_vectors().T

    def _item_vectors(self):
        weight = self.net_.module_.item_embedding.weight
        return weight[1:].detach().cpu().double().numpy()

    def _user_histories(self, user_index):
        """Histories of encoded users; unknown users (-1) get an empty one."""
        histories = self.histories_[np.maximum(user_index, 0)].copy()
        histories[user_index == UNKNOWN] = _PAD
        return histories

    # -- RecommenderMixin hooks ------------------------------------------------

    def _score_items(self, user_index):
        user_index = np.asarray(user_index)
        known = user_index != UNKNOWN
        scores = np.tile(self.item_popularity_, (len(user_index), 1))
        if known.any():
            scores[known] = self._history_scores(self.histories_[user_index[known]])
        return scores

    def _predict_pairs(self, user_index, item_index):
        # An unknown item: the user's lowest score (it ranks last).
        return self._pair_scores(user_index, item_index, unknown_item="min")

    # -- public methods --------------------------------------------------------

    def recommend_for_history(
        self,
        histories,
        ratings=None,
        n=10,
        *,
        exclude_seen=True,
        items=None,
        filter_items=None,
        as_frame=False,
    ):
        """Top-``n`` next items for any history, without refitting.

        Parameters
        ----------
        histories : list of array-like of item ids
            Each a history, oldest first (e.g. a new user's first clicks). Only
            the last ``block_size`` items count; items unseen in fit are dropped
            (or raise with ``handle_unknown="error"``). A history with no known
            item is ranked by popularity, as an unknown user is.
        ratings : None
            Not used: the model reads the order of the items, not ratings
            (anything but None raises a ``ValueError``).
        n : int, default=10
        exclude_seen : bool, default=True
            Leave out the items of each history.
        items, filter_items, as_frame
            As in :meth:`recommend`.

        Returns
        -------
        item_ids : ndarray of shape (n_histories, min(n, n_candidates))
        scores : ndarray of shape (n_histories, min(n, n_candidates))
            Best first; slots beyond the eligible items hold ``-inf`` (or a
            DataFrame, with ``as_frame=True``).
        """
        check_n(n)
        if ratings is not None:
            raise ValueError(
                "SequentialRecommender reads the order of a history, not ratings: "
                "pass ratings=None"
            )
        encoded = self._encode_histories(histories)

        def block_scores(rows):
            block = encoded[rows]
            scores = self._history_scores(block)
            empty = (block == _PAD).all(axis=1)
            scores[empty] = self.item_popularity_  # as for an unknown user
            if exclude_seen:
                hist_rows, cols = np.nonzero(block)
                scores[hist_rows, block[hist_rows, cols] - 1] = -np.inf
            return scores

        return self._top_n(
            block_scores, np.arange(len(encoded)), n, items, filter_items, as_frame
        )

    def transform(self, X):
        """Sequence embedding of each row's user: the last hidden state of the
        user's training history (what the next-item scores are read from).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows whose first column is a user id; other columns are ignored.
            Unknown users get the state of an empty history (or raise with
            ``handle_unknown="error"``).

        Returns
        -------
        X_new : ndarray of shape (n_samples, embedding_dim), dtype float32
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        users = self._encode(X[:, 0], self.user_ids_, "user")
        return self._states(self._user_histories(users))

    def hidden_states(self, item_sequences):
        """Hidden state at every position of some histories.

        Parameters
        ----------
        item_sequences : list of array-like of item ids
            As in :meth:`recommend_for_history`.

        Returns
        -------
        states : ndarray of shape (n_sequences, block_size, embedding_dim)
            Right-aligned: position ``-1`` is the most recent item; the state at
            a position depends only on the items up to it (causal attention).
        """
        histories = self._encode_histories(item_sequences)
        return self._states(histories, all_positions=True)

    def attention_weights(self, item_sequences):
        """Attention of the last position (the one that scores the next item)
        over each history, per layer and head.

        Parameters
        ----------
        item_sequences : list of array-like of item ids
            As in :meth:`recommend_for_history`.

        Returns
        -------
        weights : ndarray of shape (n_sequences, n_layers, n_heads, block_size)
            Right-aligned like the histories: ``weights[s, l, h, -k]`` is the
            weight of the ``k``-th most recent item; padding gets 0 and each
            row sums to 1 (all zeros for an empty history).
        """
        histories = self._encode_histories(item_sequences)
        module = self.net_.module_

        def run(batch):
            _, weights = module.encode(batch, return_weights=True)
            return torch.stack([w[:, :, -1] for w in weights], dim=1)

        return batched_inference(module, run, (histories,), self.batch_size).numpy()
