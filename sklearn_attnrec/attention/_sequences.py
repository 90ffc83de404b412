"""Validation of token-id sequences, shared by the sequence estimators.

Sequence models accept

- a 2-D array-like of shape (n_sequences, length) of non-negative integer token ids
  (floats are accepted when they hold integers), optionally right-padded with a
  ``pad_token_id``;
- a list of 1-D sequences of different lengths (what the tokenizers return).

Both become a dense ``ids`` array of shape (n, T) with a boolean ``padding`` mask
(True at padding), the real tokens of each row moved to its front.
"""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ..nn import TransformerConfig
from ..nn._transformer import _ACTIVATIONS, _POSITIONAL
from ..utils._param_validation import Interval, StrOptions
from ..utils._torch import TorchPicklingMixin, batched_inference


def _int_ids(array, name):
    """Integer-valued, non-negative int64 ids (float input must hold integers)."""
    if array.dtype.kind == "f":
        if not np.array_equal(array, np.round(array)):
            raise ValueError(
                f"{name} must hold integer token ids; got non-integer values "
                "(tokenize texts with CharTokenizer or WordTokenizer)"
            )
    elif array.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer token ids; got dtype {array.dtype}")
    if array.size and array.min() < 0:
        raise ValueError(
            f"Negative values in data passed to {name}: token ids must be >= 0"
        )
    return array.astype(np.int64, copy=False)


def _is_ragged(X):
    if isinstance(X, np.ndarray):
        return X.dtype == object and X.ndim == 1
    if not isinstance(X, (list, tuple)) or not X:
        return False
    first = X[0]
    if isinstance(first, (str, bytes)) or np.ndim(first) != 1:
        return False
    lengths = {len(seq) for seq in X if np.ndim(seq) == 1}
    return len(lengths) > 1 or any(np.ndim(seq) != 1 for seq in X)


def check_sequences(
    estimator, X, *, reset, pad_token_id=None, min_length=1, vocab_size=None
):
    """Validate token sequences.

    Parameters
    ----------
    estimator : estimator
        Gets ``n_features_in_`` (and ``feature_names_in_``) when ``reset`` and
        ``X`` is 2-D; sequences of any length are accepted afterwards.
    X : array-like of shape (n_sequences, length) or list of 1-D array-likes
    reset : bool
        True in ``fit``.
    pad_token_id : int, default=None
        Id that marks padding in ``X``.
    min_length : int, default=1
        Fewest real tokens in any sequence.
    vocab_size : int, default=None
        Ids must be below it.

    Returns
    -------
    ids : ndarray of shape (n_sequences, T), dtype int64
        Real tokens first in each row, then padding (0).
    lengths : ndarray of shape (n_sequences,), dtype int64
        Real tokens per row.
    """
    if isinstance(X, str) or (
        isinstance(X, (list, tuple)) and X and isinstance(X[0], str)
    ):
        raise ValueError(
            "X holds text; turn it into token ids first with CharTokenizer or "
            "WordTokenizer"
        )
    if _is_ragged(X):
        rows = []
        for i, seq in enumerate(X):
            seq = check_array(
                seq, ensure_2d=False, dtype="numeric", ensure_min_samples=0
            )
            if seq.ndim != 1:
                raise ValueError(f"sequence {i} of X is not 1-D (shape {seq.shape})")
            rows.append(_int_ids(seq, "X"))
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        ids = np.zeros((len(rows), max(lengths.max(), 1)), dtype=np.int64)
        ids[np.arange(ids.shape[1]) < lengths[:, None]] = np.concatenate(rows)
        if pad_token_id is not None:
            ids, lengths = _drop_padding(
                ids, (ids == pad_token_id) | _beyond(lengths, ids)
            )
    else:
        if isinstance(X, (list, tuple, np.ndarray)) and np.ndim(X) == 1:
            raise ValueError(
                "Expected 2D array, got 1D array instead. Reshape your data: X is "
                "a list of token sequences; pass [sequence] (or "
                "X.reshape(1, -1)) for a single sequence"
            )
        if reset:
            X = validate_data(estimator, X, reset=True, dtype="numeric")
        else:
            X = check_array(X, dtype="numeric")
        ids = _int_ids(X, "X")
        lengths = np.full(len(ids), ids.shape[1], dtype=np.int64)
        if pad_token_id is not None:
            ids, lengths = _drop_padding(ids, ids == pad_token_id)
    if vocab_size is not None:
        real = ids[~_beyond(lengths, ids)]
        if real.size and real.max() >= vocab_size:
            raise ValueError(
                f"token id {int(real.max())} in X is out of range for vocab_size="
                f"{vocab_size} (ids seen in fit, or the vocab_size parameter)"
            )
    short = np.flatnonzero(lengths < min_length)
    if len(short):
        raise ValueError(
            f"{len(short)} sequence(s) of X have fewer than {min_length} token(s) "
            f"(e.g. index {short[:5].tolist()})"
        )
    return ids, lengths


def _beyond(lengths, ids):
    """True at the padding positions of right-aligned rows."""
    return np.arange(ids.shape[1]) >= lengths[:, None]


def _drop_padding(ids, padding):
    order = np.argsort(padding, axis=1, kind="stable")  # real tokens first
    ids = np.take_along_axis(ids, order, axis=1)
    lengths = (~padding).sum(axis=1).astype(np.int64)
    ids[_beyond(lengths, ids)] = 0
    return ids, lengths


# The ``_parameter_constraints`` entries of the transformer parameters that the
# sequence estimators share (unpack them, ``{**TRANSFORMER_CONSTRAINTS, ...}``);
# transformer_config checks the relation between embedding_dim and n_heads.
TRANSFORMER_CONSTRAINTS = {
    "vocab_size": [Interval(Integral, 1, None, closed="left"), None],
    "block_size": [Interval(Integral, 1, None, closed="left")],
    "embedding_dim": [Interval(Integral, 1, None, closed="left")],
    "n_heads": [Interval(Integral, 1, None, closed="left")],
    "n_layers": [Interval(Integral, 1, None, closed="left")],
    "feedforward_dim": [Interval(Integral, 1, None, closed="left"), None],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "activation": [StrOptions(set(_ACTIVATIONS))],
    "positional": [StrOptions({p for p in _POSITIONAL if p is not None}), None],
    "bias": ["boolean"],
    "pad_token_id": [Interval(Integral, 0, None, closed="left"), None],
}


def transformer_config(estimator, vocab_size, *, causal):
    """The :class:`TransformerConfig` of the module of ``estimator``, whose
    parameters :data:`TRANSFORMER_CONSTRAINTS` validated."""
    if estimator.embedding_dim % estimator.n_heads:
        raise ValueError(
            f"embedding_dim={estimator.embedding_dim} must be divisible by "
            f"n_heads={estimator.n_heads}"
        )
    return TransformerConfig(
        vocab_size=vocab_size,
        block_size=estimator.block_size,
        embedding_dim=estimator.embedding_dim,
        n_heads=estimator.n_heads,
        n_layers=estimator.n_layers,
        feedforward_dim=estimator.feedforward_dim,
        dropout=float(estimator.dropout),
        activation=estimator.activation,
        positional=estimator.positional,
        bias=bool(estimator.bias),
        causal=causal,
    )


_SPARSE_VOCABULARY = 2**20


def check_vocabulary(estimator, ids, lengths):
    """``vocab_size_`` from the ``vocab_size`` parameter or the largest id seen."""
    real = ids[~_beyond(lengths, ids)]
    largest = int(real.max()) if real.size else 0
    if estimator.vocab_size is None:
        vocab_size = max(largest, estimator.pad_token_id or 0) + 1
        # An embedding row per id up to the largest: sparse raw ids (hashes,
        # database keys) would ask for gigabytes of rows that are never used.
        if vocab_size > _SPARSE_VOCABULARY and vocab_size > 100 * len(np.unique(real)):
            raise ValueError(
                f"token id {largest} in X would make a vocabulary of {vocab_size:,} "
                f"rows for {len(np.unique(real)):,} distinct ids; map the ids to "
                "0..n-1 first (e.g. with a tokenizer) or set vocab_size"
            )
        return vocab_size
    if largest >= estimator.vocab_size:
        raise ValueError(
            f"token id {largest} in X is out of range for vocab_size="
            f"{estimator.vocab_size}"
        )
    return estimator.vocab_size


def check_block(ids, lengths, block_size):
    """Refuse sequences longer than ``block_size``; drop padding columns beyond it."""
    if ids.shape[1] > block_size:
        longest = int(lengths.max())
        if longest > block_size:
            raise ValueError(
                f"X holds a sequence of {longest} tokens, longer than "
                f"block_size={block_size}; raise block_size or cut the sequences "
                "(e.g. the tokenizer's max_length)"
            )
        ids = ids[:, :block_size]
    return ids


def padding_mask(ids, lengths):
    """True at padding positions, shape (n, T); None when there is none."""
    padding = _beyond(lengths, ids)
    return padding if padding.any() else None


class SequenceModelMixin(TorchPicklingMixin):
    """What the token-sequence estimators share: tags, validation after ``fit``,
    output feature names, attention maps and pickling (GPU-trained models load
    on CPU-only machines).

    Expects the parameters ``embedding_dim``, ``pad_token_id``,
    ``batch_size``, ``device`` and the fitted ``net_`` (whose module has
    ``encode(ids, key_padding_mask=..., return_weights=...)``) and ``vocab_size_``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.categorical = True  # token ids
        tags.input_tags.positive_only = True
        tags.transformer_tags.preserves_dtype = []
        # CPU training is reproducible; GPU kernels need not be.
        tags.non_deterministic = not str(self.device).startswith("cpu")
        return tags

    @property
    def _n_features_out(self):
        return self.embedding_dim

    def _check_X(self, X, *, crop=False):
        """Validated ``(ids, lengths)`` for a fitted model; sequences longer than
        ``block_size`` are an error unless ``crop`` (the caller crops them)."""
        check_is_fitted(self)
        ids, lengths = check_sequences(
            self,
            X,
            reset=False,
            pad_token_id=self.pad_token_id,
            vocab_size=self.vocab_size_,
        )
        if not crop:
            ids = check_block(ids, lengths, self.net_.module_.config.block_size)
        return ids, lengths

    def attention_weights(self, X):
        """Attention weights of every layer and head for a batch.

        Parameters
        ----------
        X : array-like of shape (n_sequences, length) or list of 1-D array-likes
            Sequences of at most ``block_size`` tokens.

        Returns
        -------
        weights : ndarray of shape (n_sequences, n_layers, n_heads, T, T)
            ``weights[s, l, h, i, j]``: how much position ``i`` attends to
            position ``j`` in layer ``l``, head ``h``. Rows of real positions sum
            to 1; padding keys get 0 and padding rows are all 0; a causal model
            has zeros above the diagonal. ``T`` is the longest sequence of ``X``.
        """
        ids, lengths = self._check_X(X)
        padding = padding_mask(ids, lengths)
        module = self.net_.module_

        def weights(ids, key_padding_mask):
            _, per_layer = module.encode(
                ids, key_padding_mask=key_padding_mask, return_weights=True
            )
            w = torch.stack(per_layer, dim=1)  # (b, L, H, T, T)
            if key_padding_mask is not None:
                w = w.masked_fill(key_padding_mask[:, None, None, :, None], 0.0)
            return w

        maps = batched_inference(module, weights, (ids, padding), self.batch_size)
        return maps.numpy()
