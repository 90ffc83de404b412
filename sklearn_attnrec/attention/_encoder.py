"""AttentionEncoder: a bidirectional transformer encoder for sequence
classification or regression."""

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils import ClassifierTags, RegressorTags, assert_all_finite
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_consistent_length,
    column_or_1d,
)

from ..nn import SequenceEncoder
from ..utils._fitting import fit_atomically
from ..utils._param_validation import RANDOM_STATE, StrOptions, validate_params
from ..utils._torch import (
    TRAINING_CONSTRAINTS,
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
from ._sequences import (
    TRANSFORMER_CONSTRAINTS,
    SequenceModelMixin,
    check_block,
    check_sequences,
    check_vocabulary,
    padding_mask,
    transformer_config,
)

_TASKS = ("classification", "regression")
_POOLING = ("mean", "first")


def _is_classifier(estimator):
    return estimator.task == "classification"


class AttentionEncoder(
    SequenceModelMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Bidirectional transformer encoder with a classification or regression head.

    Token embeddings plus positional encodings go through ``n_layers`` pre-norm
    transformer blocks with (non-causal) self-attention, where key-padding masks
    let sequences of different lengths share a batch; the contextual embeddings
    are pooled (mean over the real tokens, or the first token) and a linear head
    gives class logits (cross-entropy) or regression outputs (squared error on
    standardised targets). Training uses AdamW, a warm-up + cosine learning-rate
    schedule and gradient clipping, run by a skorch :class:`~skorch.NeuralNet`
    kept as ``net_``.

    Parameters
    ----------
    task : {"classification", "regression"}, default="classification"
        Kind of ``y``; decides the head, the loss and ``score`` (accuracy or R²).
    vocab_size : int, default=None
        Number of token ids; None means the largest id seen in ``fit`` plus one.
    block_size : int, default=128
        Longest sequence accepted.
    embedding_dim : int, default=64
        Width C of the model; divisible by ``n_heads``.
    n_heads : int, default=4
        Attention heads per block.
    n_layers : int, default=2
        Transformer blocks.
    feedforward_dim : int, default=None
        Hidden width of the feed-forward sublayers; None means ``4 * embedding_dim``.
    dropout : float, default=0.1
        Dropout on embeddings, attention weights and sublayer outputs.
    activation : {"gelu", "relu"}, default="gelu"
        Feed-forward non-linearity.
    positional : {"learned", "sinusoidal"} or None, default="learned"
        Positional encoding added to the token embeddings. None makes the model
        blind to order (a bag of tokens).
    bias : bool, default=True
        Biases in the linear layers and LayerNorms (GPT-2 has them; nanoGPT's
        default leaves them out: about 8% faster per step in the baby-GPT
        benchmark, and a validation loss about 0.01 higher).
    pooling : {"mean", "first"}, default="mean"
        Sequence embedding: mean of the real tokens' contextual embeddings, or the
        first token's (put a ``bos`` / [CLS] token there).
    pad_token_id : int, default=None
        Id that pads the rows of a 2-D ``X``; padding is masked out of attention
        and pooling. Lists of sequences of different lengths need none.
    max_iter : int, default=20
        Epochs.
    batch_size : int, default=32
        Sequences per step.
    learning_rate : float, default=1e-3
        Peak AdamW learning rate.
    learning_rate_schedule : {"cosine", "constant"}, default="cosine"
        After ``warmup_steps`` of linear warm-up, a cosine decay (per batch) to
        ``min_learning_rate``, or a constant learning rate.
    min_learning_rate : float, default=None
        Learning rate at the end of the cosine decay; None means
        ``learning_rate / 10``.
    warmup_steps : int, default=0
        Steps of linear warm-up.
    weight_decay : float, default=0.01
        AdamW decoupled weight decay of the weight matrices and embeddings.
    beta_1, beta_2 : float, default=0.9, 0.999
        AdamW moment decay rates.
    max_grad_norm : float, default=1.0
        Clip the gradient's global L2 norm; None disables clipping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sequences (stratified for
        classification), stop when their loss has not improved by ``tol``
        (relative) for ``n_iter_no_change`` epochs, keep the best weights.
    validation_fraction : float, default=0.1
        Share held out with ``early_stopping``.
    n_iter_no_change : int, default=5
        Patience of ``early_stopping``.
    tol : float, default=1e-4
        Smallest relative improvement of the validation loss that counts.
    callbacks : list of skorch callbacks, default=None
        Extra :mod:`skorch.callbacks` (or ``(name, callback)`` pairs); copied at
        each ``fit``.
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
        Seeds the weights, dropout, shuffling and the validation split (torch's
        global random state is left untouched).
    device : str or torch.device, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"auto"``, ...
    verbose : int, default=0
        0 silent, 1 a line per epoch, 2 also a progress bar.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module, ``net_.history``
        the training history.
    classes_ : ndarray of shape (n_classes,)
        Class labels (classification).
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Standardisation of ``y`` (regression).
    vocab_size_ : int
        Number of token ids of the model.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    validation_loss_curve_ : list of float
        Validation loss of each epoch (``early_stopping`` only).
    n_features_in_ : int
        Row length of ``X`` when it was a 2-D array (later inputs may have any
        length up to ``block_size``).

    See Also
    --------
    CausalLMTransformer : Causal (GPT) language model.
    WordTokenizer : Texts to word ids.

    Notes
    -----
    :meth:`attention_weights` returns every layer's and head's attention weights
    for a batch, for inspection and plots.

    References
    ----------
    A. Vaswani et al., "Attention is all you need", NeurIPS 2017.

    J. Devlin, M.-W. Chang, K. Lee, K. Toutanova, "BERT: pre-training of deep
    bidirectional transformers for language understanding", NAACL 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec import AttentionEncoder
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randint(1, 5, size=(64, 6))      # 64 sequences of 6 token ids
    >>> y = (X == 4).any(axis=1)                 # is token 4 in the sequence?
    >>> enc = AttentionEncoder(embedding_dim=8, n_heads=2, n_layers=1, max_iter=5,
    ...                        random_state=0).fit(X, y)
    >>> enc.predict_proba(X[:2]).shape
    (2, 2)
    >>> enc.transform(X[:2]).shape               # pooled contextual embeddings
    (2, 8)
    >>> enc.attention_weights(X[:2]).shape       # (n, layers, heads, T, T)
    (2, 1, 2, 6, 6)
    """

    # Tiny sizes for the package's own tests (read by utils._testing).
    _test_params = {
        "embedding_dim": 8,
        "n_heads": 2,
        "n_layers": 1,
        "max_iter": 10,
        "learning_rate": 1e-2,
        "dropout": 0.0,
    }
    # What X is, for the bad-input and persistence tests.
    _input_kind = "sequences"

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        **TRANSFORMER_CONSTRAINTS,
        "task": [StrOptions(set(_TASKS))],
        "pooling": [StrOptions(set(_POOLING))],
        "random_state": RANDOM_STATE,
        "device": [str, torch.device],
    }

    def __init__(
        self,
        *,
        task="classification",
        vocab_size=None,
        block_size=128,
        embedding_dim=64,
        n_heads=4,
        n_layers=2,
        feedforward_dim=None,
        dropout=0.1,
        activation="gelu",
        positional="learned",
        bias=True,
        pooling="mean",
        pad_token_id=None,
        max_iter=20,
        batch_size=32,
        learning_rate=1e-3,
        learning_rate_schedule="cosine",
        min_learning_rate=None,
        warmup_steps=0,
        weight_decay=0.01,
        beta_1=0.9,
        beta_2=0.999,
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
        self.task = task
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
        self.pooling = pooling
        self.pad_token_id = pad_token_id
        self.max_iter = max_iter
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
        tags.target_tags.required = True
        if self.task == "regression":
            tags.estimator_type = "regressor"
            tags.regressor_tags = RegressorTags()
            tags.target_tags.multi_output = True
        else:
            tags.estimator_type = "classifier"
            tags.classifier_tags = ClassifierTags()
        return tags

    # -- data ------------------------------------------------------------------

    def _targets(self, y, n_samples):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None"
            )
        y = np.asarray(y)
        check_consistent_length(np.empty(n_samples), y)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        if self.task == "classification":
            y = column_or_1d(y, warn=True)
            check_classification_targets(y)
            self.classes_, encoded = np.unique(y, return_inverse=True)
            return encoded.astype(np.int64), len(self.classes_)
        y = y.astype(np.float64)
        y2d = y.reshape(len(y), -1)
        self.target_mean_ = y2d.mean(axis=0)
        scale = y2d.std(axis=0)
        self.target_scale_ = np.where(scale > 0, scale, 1.0)
        standard = (y2d - self.target_mean_) / self.target_scale_
        return standard.astype(np.float32), y2d.shape[1]

    # -- fitting ---------------------------------------------------------------

    @fit_atomically
    @uses_torch_threads
    def fit(self, X, y):
        """Train the encoder and its head.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes
            Token ids: rows of a 2-D array (right-padded with ``pad_token_id`` if
            set) or sequences of different lengths (e.g. from a tokenizer).
        y : array-like of shape (n_sequences,) or (n_sequences, n_outputs)
            Class labels, or regression targets.

        Returns
        -------
        self : AttentionEncoder
        """
        validate_params(self)
        params = check_training_params(self)
        ids, lengths = check_sequences(
            self, X, reset=True, pad_token_id=self.pad_token_id
        )
        ids = check_block(ids, lengths, self.block_size)
        padding = padding_mask(ids, lengths)
        targets, n_outputs = self._targets(y, len(ids))
        self.vocab_size_ = check_vocabulary(self, ids, lengths)
        config = transformer_config(self, self.vocab_size_, causal=False)
        device = resolve_device(self.device)
        init_seed, data_seed = torch_seeds(self.random_state, 2)
        classification = self.task == "classification"
        inputs = {"ids": ids}
        if padding is not None:
            inputs["key_padding_mask"] = padding
        n_train = len(ids)
        if params["early_stopping"]:
            n_train = int(n_train * (1 - params["validation_fraction"]))
        total_steps = params["max_iter"] * steps_per_epoch(
            n_train, params["batch_size"]
        )
        with torch_random_state(init_seed, device):
            module = SequenceEncoder(config, n_outputs, pooling=self.pooling)
            criterion = (
                torch.nn.CrossEntropyLoss if classification else torch.nn.MSELoss
            )
            self.net_ = build_net(
                module,
                criterion,
                params,
                total_steps=total_steps,
                seed=data_seed,
                device=device,
                stratify=classification,
            )
            self.net_.fit(inputs, targets)
        record_history(self)
        return self

    # -- prediction ------------------------------------------------------------

    def _outputs(self, X, what):
        ids, lengths = self._check_X(X)
        padding = padding_mask(ids, lengths)
        module = self.net_.module_

        def head_or_pool(ids, key_padding_mask):
            h = module.pool(module.encode(ids, key_padding_mask), key_padding_mask)
            return module.head(h) if what == "head" else h

        return batched_inference(module, head_or_pool, (ids, padding), self.batch_size)

    def predict(self, X):
        """Class labels or regression values.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes

        Returns
        -------
        y_pred : ndarray of shape (n_sequences,) or (n_sequences, n_outputs)
        """
        scores = self._outputs(X, "head").double().numpy()
        if self.task == "classification":
            return self.classes_[scores.argmax(axis=1)]
        values = scores * self.target_scale_ + self.target_mean_
        return values.ravel() if len(self.target_mean_) == 1 else values

    @available_if(_is_classifier)
    def predict_proba(self, X):
        """Class probabilities (classification only).

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes

        Returns
        -------
        proba : ndarray of shape (n_sequences, n_classes)
            Columns follow ``classes_``.
        """
        logits = self._outputs(X, "head").double()
        return torch.softmax(logits, dim=1).numpy()

    def transform(self, X):
        """Pooled contextual embeddings (the head's input).

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes

        Returns
        -------
        X_new : ndarray of shape (n_sequences, embedding_dim), dtype float32
        """
        return self._outputs(X, "pool").numpy()

    def score(self, X, y, sample_weight=None):
        """Accuracy (classification) or R² (regression) on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes
        y : array-like of shape (n_sequences,) or (n_sequences, n_outputs)
        sample_weight : array-like of shape (n_sequences,), default=None

        Returns
        -------
        score : float
        """
        metric = accuracy_score if self.task == "classification" else r2_score
        return float(metric(y, self.predict(X), sample_weight=sample_weight))
