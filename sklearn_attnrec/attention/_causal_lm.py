"""CausalLMTransformer: a GPT-style language model as a scikit-learn estimator."""

import math
import numbers

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..nn import CausalTransformer, SequenceCrossEntropy
from ..utils._fitting import fit_atomically
from ..utils._param_validation import RANDOM_STATE, Interval, validate_params
from ..utils._torch import (
    TRAINING_CONSTRAINTS,
    batched_inference,
    build_net,
    check_training_params,
    evaluating,
    record_history,
    resolve_device,
    steps_per_epoch,
    torch_random_state,
    torch_seeds,
    uses_torch_threads,
)
from ._sequences import (
    TRANSFORMER_CONSTRAINTS,
    SequenceModelMixin,
    check_sequences,
    check_vocabulary,
    transformer_config,
)

_IGNORE = -100  # target of padding positions


class _TokenWindows(torch.utils.data.Dataset):
    """Windows of ``block_size + 1`` tokens of some sequences (inputs and targets
    shifted by one), drawn at random for training or in order for evaluation.

    Parameters
    ----------
    tokens : torch.Tensor of shape (n_tokens,), int64
        The sequences end to end.
    starts, lengths : ndarray of shape (n_sequences,)
        Where each sequence starts in ``tokens`` and its length.
    block_size : int
    generator : torch.Generator, default=None
        Draws the training windows.
    max_batches : int, default=None
        Training batches still allowed (``max_steps``), shared across epochs.
    """

    def __init__(
        self, tokens, starts, lengths, block_size, *, generator=None, max_batches=None
    ):
        keep = lengths >= 2  # a sequence needs a next token to predict
        self.tokens = torch.cat([tokens, tokens.new_zeros(block_size + 1)])
        self.starts = torch.as_tensor(starts[keep], dtype=torch.int64)
        self.lengths = torch.as_tensor(lengths[keep], dtype=torch.int64)
        self.block_size = block_size
        self.generator = generator
        self.max_batches = max_batches
        self.validation = None
        # Random training windows start anywhere a full window fits (or at 0).
        n_starts = (self.lengths - block_size).clamp(min=1)
        self.cum_starts = torch.cumsum(n_starts, 0)
        self.first_start = self.cum_starts - n_starts
        # Evaluation windows tile each sequence: every target scored once.
        per_sequence = (
            torch.div(self.lengths - 2, block_size, rounding_mode="floor") + 1
        )  # ceil((L - 1) / block_size)
        self.eval_sequence = torch.repeat_interleave(
            torch.arange(len(self.lengths)), per_sequence
        )
        first = torch.cumsum(per_sequence, 0) - per_sequence
        rank = torch.arange(len(self.eval_sequence)) - first[self.eval_sequence]
        self.eval_offset = rank * block_size
        self.arange = torch.arange(block_size + 1)

    def __len__(self):
        return len(self.eval_sequence)

    def __getitem__(self, i):
        x, y = self._gather(self.eval_sequence[[i]], self.eval_offset[[i]])
        return x[0], y[0]

    @property
    def n_targets(self):
        return int((self.lengths - 1).sum())

    def _gather(self, sequence, offset):
        """Inputs (b, T) and targets (b, T), T <= block_size; targets past the
        end of a sequence are ``_IGNORE``."""
        start = self.starts[sequence] + offset
        end = self.starts[sequence] + self.lengths[sequence]
        idx = start[:, None] + self.arange  # (b, block_size + 1)
        window = self.tokens[idx]
        outside = idx >= end[:, None]
        width = int((end - start).max()) - 1  # longest run of targets
        x = window[:, :-1].masked_fill(outside[:, :-1], 0)[:, :width]
        y = window[:, 1:].masked_fill(outside[:, 1:], _IGNORE)[:, :width]
        return x, y

    def random_batches(self, batch_size):
        """An epoch of random windows (as many as tile the data), as nanoGPT
        samples them: uniform over all start positions, with replacement."""
        n_batches = steps_per_epoch(len(self), batch_size)
        if self.max_batches is not None:
            n_batches = min(n_batches, self.max_batches)
        n_starts = int(self.cum_starts[-1])
        for _ in range(n_batches):
            if self.max_batches is not None:
                self.max_batches -= 1
            u = torch.randint(n_starts, (batch_size,), generator=self.generator)
            sequence = torch.searchsorted(self.cum_starts, u, right=True)
            yield self._gather(sequence, u - self.first_start[sequence])

    def ordered_batches(self, batch_size):
        """The evaluation windows in order."""
        for i in range(0, len(self), batch_size):
            yield self._gather(
                self.eval_sequence[i : i + batch_size],
                self.eval_offset[i : i + batch_size],
            )


class _WindowLoader:
    """skorch iterator over a :class:`_TokenWindows`: random windows for training
    (``shuffle=True``), ordered ones for validation."""

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __iter__(self):
        if self.shuffle:
            return self.dataset.random_batches(self.batch_size)
        return self.dataset.ordered_batches(self.batch_size)


def _split_windows(dataset, **fit_params):
    """skorch ``train_split``: the validation windows travel with the training
    ones."""
    return dataset, dataset.validation


def _stream(ids, lengths):
    """Rows' real tokens end to end, with each row's start."""
    real = np.arange(ids.shape[1]) < lengths[:, None]
    tokens = torch.from_numpy(np.ascontiguousarray(ids[real]))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    return tokens, starts


def _split_tail(starts, lengths, fraction):
    """Cut the stream of sequences so that the last ``fraction`` of the tokens is
    held out: ``(train_starts, train_lengths), (valid_starts, valid_lengths)``."""
    total = int(lengths.sum())
    cut = int(round(total * (1 - fraction)))
    ends = starts + lengths
    train_lengths = np.clip(cut - starts, 0, lengths)
    valid_starts = np.maximum(starts, cut)
    valid_lengths = np.clip(ends - valid_starts, 0, lengths)
    return (starts, train_lengths), (valid_starts, valid_lengths)


def _check_generate_params(max_new_tokens, temperature, top_k):
    """ValueErrors naming the bad sampling argument of ``generate``."""
    if isinstance(max_new_tokens, bool) or not isinstance(
        max_new_tokens, numbers.Integral
    ):
        raise ValueError(f"max_new_tokens must be an int >= 0; got {max_new_tokens!r}")
    if max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be an int >= 0; got {max_new_tokens}")
    if (
        isinstance(temperature, bool)
        or not isinstance(temperature, numbers.Real)
        or not math.isfinite(temperature)
        or temperature < 0
    ):
        raise ValueError(
            "temperature must be a finite number >= 0 (0 for greedy decoding); "
            f"got {temperature!r}"
        )
    if top_k is not None and (
        isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < 1
    ):
        raise ValueError(
            f"top_k must be None or an int >= 1 (1 is greedy); got {top_k!r}"
        )


def _sample(logits, temperature, top_k, generator):
    """Next tokens (B,) from logits (B, V): greedy when ``temperature == 0``."""
    if temperature == 0:
        return logits.argmax(dim=-1)
    logits = logits / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


class CausalLMTransformer(
    SequenceModelMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """GPT-style causal language model over token ids (next-token prediction).

    A token embedding (tied with the output layer), positional encodings,
    ``n_layers`` pre-norm transformer blocks with causal self-attention and a final
    LayerNorm give next-token logits at every position. ``fit`` trains with
    teacher forcing: windows of ``block_size`` tokens whose targets are the inputs
    shifted by one, the cross-entropy averaged over all positions, AdamW, linear
    warm-up then cosine decay of the learning rate, and gradient clipping. The
    torch module is trained by a skorch :class:`~skorch.NeuralNet`, kept as
    ``net_`` (callbacks, ``history``, device handling).

    Parameters
    ----------
    vocab_size : int, default=None
        Number of token ids; None means the largest id seen in ``fit`` plus one.
    block_size : int, default=64
        Context length: positions per training window and largest context.
    embedding_dim : int, default=128
        Width C of the model; divisible by ``n_heads``.
    n_heads : int, default=4
        Attention heads per block.
    n_layers : int, default=4
        Transformer blocks.
    feedforward_dim : int, default=None
        Hidden width of the feed-forward sublayers; None means ``4 * embedding_dim``.
    dropout : float, default=0.0
        Dropout on embeddings, attention weights and sublayer outputs.
    activation : {"gelu", "relu"}, default="gelu"
        Feed-forward non-linearity.
    positional : {"learned", "sinusoidal"} or None, default="learned"
        Positional encoding added to the token embeddings (``X̂ = X + PE``).
    bias : bool, default=True
        Biases in the linear layers and LayerNorms (GPT-2 has them; nanoGPT's
        default leaves them out: about 8% faster per step in the baby-GPT
        benchmark, and a validation loss about 0.01 higher).
    pad_token_id : int, default=None
        Id that pads the rows of a 2-D ``X``; padding is dropped (rows keep their
        real tokens in order). Lists of sequences of different lengths need none.
    max_iter : int, default=10
        Epochs. An epoch draws as many random windows as it takes to tile the
        data once (``Σ ceil((len - 1) / block_size)`` over the sequences).
    max_steps : int, default=None
        If set, train for exactly this many optimizer steps instead of
        ``max_iter`` epochs (the last epoch is cut short).
    batch_size : int, default=32
        Windows per step (and sequences per batch at prediction time).
    learning_rate : float, default=1e-3
        Peak AdamW learning rate.
    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        After ``warmup_steps`` of linear warm-up, a cosine decay (per batch) to
        ``min_learning_rate``, or a constant learning rate.
    min_learning_rate : float, default=None
        Learning rate at the end of the cosine decay; None means
        ``learning_rate / 10``.
    warmup_steps : int, default=100
        Steps of linear warm-up.
    weight_decay : float, default=0.1
        AdamW decoupled weight decay of the weight matrices and embeddings
        (not of biases and LayerNorm gains).
    beta_1, beta_2 : float, default=0.9, 0.99
        AdamW moment decay rates (0.99 suits the few tokens per step of small
        models).
    max_grad_norm : float, default=1.0
        Clip the gradient's global L2 norm; None disables clipping.
    early_stopping : bool, default=False
        Hold out the last ``validation_fraction`` of the tokens, stop when their
        loss has not improved by ``tol`` (relative) for ``n_iter_no_change``
        epochs, and keep the best weights.
    validation_fraction : float, default=0.1
        Share of the tokens held out with ``early_stopping``.
    n_iter_no_change : int, default=5
        Patience of ``early_stopping``, in epochs.
    tol : float, default=1e-4
        Smallest relative improvement of the validation loss that counts.
    callbacks : list of skorch callbacks, default=None
        Extra :mod:`skorch.callbacks` (or ``(name, callback)`` pairs), e.g.
        :class:`~skorch.callbacks.Checkpoint`; copied at each ``fit``.
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
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, dropout and the training windows (torch's global
        random state is left untouched).
    device : str or torch.device, default="cpu"
        Where to train and predict: ``"cpu"``, ``"cuda"``, ``"auto"``, ...
    verbose : int, default=0
        0 silent, 1 a line per epoch, 2 also a progress bar.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module
        (:class:`~sklearn_attnrec.nn.CausalTransformer`),
        ``net_.history`` the training history.
    vocab_size_ : int
        Number of token ids of the model.
    n_iter_ : int
        Epochs run.
    n_steps_ : int
        Optimizer steps run.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    validation_loss_curve_ : list of float
        Validation loss of each epoch (``early_stopping`` only).
    n_features_in_ : int
        Row length of ``X`` when it was a 2-D array (later inputs may have any
        length).

    See Also
    --------
    CharTokenizer : Texts to character ids.
    AttentionEncoder : Bidirectional encoder for classification or regression.

    Notes
    -----
    ``predict``, ``predict_proba`` and ``transform`` read the last ``block_size``
    tokens of each sequence (longer ones are cropped from the left, as in
    generation). ``score`` scores every token after the first, in consecutive
    windows of ``block_size`` targets for longer sequences (each window restarts
    its context). ``generate`` keeps a key/value cache so that each new token
    costs one position; once the context fills ``block_size`` it falls back to
    recomputing the last ``block_size`` tokens per new token, which gives the same
    tokens as generating without the cache.

    References
    ----------
    A. Vaswani et al., "Attention is all you need", NeurIPS 2017.

    A. Radford, J. Wu, R. Child, D. Luan, D. Amodei, I. Sutskever, "Language
    models are unsupervised multitask learners" (GPT-2), OpenAI, 2019.

    A. Karpathy, nanoGPT, https://github.com/karpathy/nanoGPT (the "baby GPT"
    configuration and training recipe).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec import CausalLMTransformer
    >>> X = np.tile([0, 1, 2, 3], (8, 4))      # 8 sequences "0 1 2 3 0 1 2 3 ..."
    >>> lm = CausalLMTransformer(embedding_dim=16, n_heads=2, n_layers=1,
    ...                          block_size=8, max_iter=40, warmup_steps=0,
    ...                          learning_rate=1e-2, random_state=0).fit(X)
    >>> lm.predict([[0, 1, 2]])
    array([3])
    >>> lm.generate([1, 2], max_new_tokens=5, temperature=0)
    array([3, 0, 1, 2, 3])
    """

    # Tiny sizes for the package's own tests (read by utils._testing).
    _test_params = {
        "embedding_dim": 8,
        "n_heads": 2,
        "n_layers": 1,
        "block_size": 16,
        "max_iter": 2,
        "warmup_steps": 0,
    }
    # What X is, for the bad-input and persistence tests.
    _input_kind = "sequences"

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        **TRANSFORMER_CONSTRAINTS,
        "max_steps": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": RANDOM_STATE,
        "device": [str, torch.device],
    }

    def __init__(
        self,
        *,
        vocab_size=None,
        block_size=64,
        embedding_dim=128,
        n_heads=4,
        n_layers=4,
        feedforward_dim=None,
        dropout=0.0,
        activation="gelu",
        positional="learned",
        bias=True,
        pad_token_id=None,
        max_iter=10,
        max_steps=None,
        batch_size=32,
        learning_rate=1e-3,
        learning_rate_schedule="cosine",
        min_learning_rate=None,
        warmup_steps=100,
        weight_decay=0.1,
        beta_1=0.9,
        beta_2=0.99,
        max_grad_norm=1.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        callbacks=None,
        accelerate=False,
        n_jobs=None,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        self.vocab_size = vocab_size
        self.block_size = block_size
        self.embedding_dim = embedding_dim
        self.n_heads = n_heads
        self.n_layers = n_layers
        self.feedforward_dim = feedforward_dim
        self.dropout = dropout
        self.activation = activation
        self.positional = positional
        self.bias = bias
        self.pad_token_id = pad_token_id
        self.max_iter = max_iter
        self.max_steps = max_steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.min_learning_rate = min_learning_rate
        self.warmup_steps = warmup_steps
        self.weight_decay = weight_decay
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.max_grad_norm = max_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.accelerate = accelerate
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags

    # -- fitting ---------------------------------------------------------------

    @fit_atomically
    @uses_torch_threads
    def fit(self, X, y=None):
        """Train next-token prediction on token sequences.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes
            Token ids: rows of a 2-D array (right-padded with ``pad_token_id`` if
            set), or sequences of different lengths (e.g. from
            :class:`~sklearn_attnrec.CharTokenizer`). One long text is ``[ids]``.
        y : None
            Ignored: the targets are the inputs shifted by one.

        Returns
        -------
        self : CausalLMTransformer
        """
        validate_params(self)
        params = check_training_params(self)
        ids, lengths = check_sequences(
            self, X, reset=True, pad_token_id=self.pad_token_id
        )
        if ids.shape[1] < 2 and not (lengths >= 2).any():
            raise ValueError(
                f"Found array with {ids.shape[1]} feature(s) (shape={ids.shape}) "
                "while a minimum of 2 is required: a sequence needs at least 2 "
                "tokens to give a next-token target"
            )
        if not (lengths >= 2).any():
            raise ValueError(
                "no sequence of X has 2 tokens or more: nothing to predict"
            )
        self.vocab_size_ = check_vocabulary(self, ids, lengths)
        config = transformer_config(self, self.vocab_size_, causal=True)
        device = resolve_device(self.device)
        init_seed, data_seed = torch_seeds(self.random_state, 2)

        tokens, starts = _stream(ids, lengths)
        generator = torch.Generator().manual_seed(data_seed)
        if params["early_stopping"]:
            (starts, train_lengths), (valid_starts, valid_lengths) = _split_tail(
                starts, lengths, params["validation_fraction"]
            )
            validation = _TokenWindows(
                tokens, valid_starts, valid_lengths, config.block_size
            )
            if not len(validation):
                raise ValueError(
                    "early_stopping: the held-out validation_fraction="
                    f"{params['validation_fraction']} of the tokens gives no "
                    "next-token target; use more data or a larger fraction"
                )
            lengths = train_lengths
        train = _TokenWindows(
            tokens,
            starts,
            lengths,
            config.block_size,
            generator=generator,
            max_batches=self.max_steps,
        )
        if not len(train):
            raise ValueError("no training sequence of 2 tokens or more is left")
        if params["early_stopping"]:
            train.validation = validation
        per_epoch = steps_per_epoch(len(train), params["batch_size"])
        if self.max_steps is None:
            max_epochs, total_steps = params["max_iter"], params["max_iter"] * per_epoch
        else:
            max_epochs, total_steps = (
                math.ceil(self.max_steps / per_epoch),
                self.max_steps,
            )

        with torch_random_state(init_seed, device):
            module = CausalTransformer(config)
            self.net_ = build_net(
                module,
                SequenceCrossEntropy(ignore_index=_IGNORE),
                params,
                total_steps=total_steps,
                seed=data_seed,
                device=device,
                max_epochs=max_epochs,
                train_split=_split_windows,
                iterator_train=_WindowLoader,
                iterator_valid=_WindowLoader,
                iterator_train__shuffle=True,
            )
            self.net_.fit(train, None)
        record_history(self)
        self.n_steps_ = int(sum(self.net_.history[:, "train_batch_count"]))
        return self

    # -- prediction ------------------------------------------------------------

    def _last_positions(self, X):
        """Hidden states (n, C) and logits (n, V) at the last position of each
        sequence's final ``block_size`` tokens."""
        ids, lengths = self._check_X(X, crop=True)
        module = self.net_.module_
        block = module.config.block_size
        width = min(ids.shape[1], block)
        start = np.maximum(lengths - block, 0)
        idx = np.minimum(start[:, None] + np.arange(width), ids.shape[1] - 1)
        context = np.take_along_axis(ids, idx, axis=1)
        last = np.minimum(lengths, block) - 1

        def last_hidden_and_logits(batch, last):
            h = module.encode(batch)  # (b, T, C)
            h = h[torch.arange(len(batch), device=h.device), last]  # (b, C)
            return h, module.head(h)

        return batched_inference(
            module, last_hidden_and_logits, (context, last), self.batch_size
        )

    def predict_proba(self, X):
        """Distribution of the next token after each sequence.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_tokens)
            ``n_tokens`` is ``vocab_size_``.
        """
        _, logits = self._last_positions(X)
        return torch.softmax(logits.double(), dim=-1).numpy()

    def predict(self, X):
        """Most likely next token after each sequence.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes

        Returns
        -------
        tokens : ndarray of shape (n_sequences,), dtype int64
        """
        _, logits = self._last_positions(X)
        return logits.argmax(dim=-1).numpy()

    def transform(self, X):
        """Hidden state at the last position of each sequence (after the final
        LayerNorm): the representation the next-token logits are read from.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes

        Returns
        -------
        X_new : ndarray of shape (n_sequences, embedding_dim), dtype float32
        """
        hidden, _ = self._last_positions(X)
        return hidden.numpy()

    def score(self, X, y=None):
        """Mean log-likelihood per predicted token (higher is better).

        Every token after the first of each sequence is predicted from the ones
        before it; perplexity is ``exp(-score)``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        ids, lengths = self._check_X(X, crop=True)
        if not (lengths >= 2).any():
            raise ValueError("no sequence of X has 2 tokens or more to score")
        tokens, starts = _stream(ids, lengths)
        module = self.net_.module_
        windows = _TokenWindows(tokens, starts, lengths, module.config.block_size)
        device = next(module.parameters()).device
        total = 0.0
        with evaluating(module):
            for x, target in windows.ordered_batches(self.batch_size):
                logits = module(x.to(device))
                total += torch.nn.functional.cross_entropy(
                    logits.reshape(-1, logits.shape[-1]).float(),
                    target.reshape(-1).to(device),
                    ignore_index=_IGNORE,
                    reduction="sum",
                ).item()
        return -total / windows.n_targets

    def generate(
        self,
        prompt,
        max_new_tokens=100,
        temperature=1.0,
        top_k=None,
        *,
        random_state=None,
        use_cache=True,
    ):
        """Continue a prompt token by token.

        Parameters
        ----------
        prompt : array-like of shape (length,) or (n_prompts, length)
            Token ids of one prompt, or of several prompts of equal length.
        max_new_tokens : int, default=100
            Tokens to generate (>= 0).
        temperature : float, default=1.0
            Divides the logits before sampling; 0 means greedy (argmax), as do
            temperatures below 1e-30 (their limit). Finite and >= 0.
        top_k : int, default=None
            Sample among the ``top_k`` most likely tokens only (>= 1; more than
            the vocabulary means all of it).
        random_state : int, RandomState instance or None, default=None
            Seeds the sampling.
        use_cache : bool, default=True
            Keep the keys and values of past positions so that each new token
            costs one position; False recomputes the whole context each time
            (same tokens, slower).

        Returns
        -------
        tokens : ndarray of shape (max_new_tokens,) or (n_prompts, max_new_tokens)
            The new tokens only (without the prompt).
        """
        check_is_fitted(self)
        _check_generate_params(max_new_tokens, temperature, top_k)
        if temperature < 1e-30:  # float32 logits would overflow: its limit, argmax
            temperature = 0
        if isinstance(prompt, np.ndarray):
            single = prompt.ndim == 1 and prompt.dtype != object
        else:
            single = len(prompt) > 0 and np.ndim(prompt[0]) == 0
        ids, lengths = self._check_X([prompt] if single else prompt, crop=True)
        if (lengths != lengths[0]).any():
            raise ValueError("prompts must all have the same length")
        module = self.net_.module_
        block = module.config.block_size
        device = next(module.parameters()).device
        generator = torch.Generator(device=device).manual_seed(
            torch_seeds(check_random_state(random_state))
        )
        n, length = ids.shape
        tokens = torch.zeros(
            n, length + max_new_tokens, dtype=torch.int64, device=device
        )
        tokens[:, :length] = torch.from_numpy(ids).to(device)
        cache = module.new_cache(n) if use_cache and length < block else None
        with evaluating(module):
            if max_new_tokens:
                logits = module(
                    tokens[:, max(0, length - block) : length],
                    cache=cache,
                    last_only=True,
                )
            for t in range(length, length + max_new_tokens):
                tokens[:, t] = _sample(logits[:, -1], temperature, top_k, generator)
                if t + 1 == length + max_new_tokens:
                    break
                if cache is not None and cache[0].length < block:
                    logits = module(tokens[:, t : t + 1], cache=cache, last_only=True)
                else:  # the block is full: recompute the last block_size tokens
                    cache = None
                    logits = module(
                        tokens[:, max(0, t + 1 - block) : t + 1], last_only=True
                    )
        new = tokens[:, length:].cpu().numpy()
        return new[0] if single else new
