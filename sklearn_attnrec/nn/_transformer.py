"""Torch building blocks of the attention models; they know nothing of scikit-learn.

- :func:`scaled_dot_product_attention`: ``softmax(QKᵀ/√d_k) V`` with a fused fast
  path and an explicit path that also returns the weights;
- :class:`MultiHeadAttention` (batch first, key-padding mask, causal option, W_O,
  optional :class:`KeyValueCache`);
- :class:`SinusoidalPositionalEncoding`, :class:`LearnedPositionalEncoding`
  (``X̂ = X + PE``);
- :class:`TransformerBlock`: the pre-norm block of the lecture's pseudocode;
- :class:`TransformerStack`: positional encoding, blocks and a final LayerNorm over
  *embeddings* (so that a recommender can feed item embeddings of its own);
- :class:`CausalTransformer` (GPT: token embedding tied with the output layer) and
  :class:`SequenceEncoder` (bidirectional, pooled, with an output head).

Shapes use B (batch), T (positions), S (keys, past ones included), C
(``embedding_dim``), H (``n_heads``), D (head size ``C // H``), V (vocabulary).
"""

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

_ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU}
_POSITIONAL = ("learned", "sinusoidal", None)
_POOLING = ("mean", "first")


def causal_mask(n_queries, n_keys, device=None):
    """Boolean mask, True where query ``i`` may attend to key ``j``.

    Queries are the *last* ``n_queries`` of the ``n_keys`` positions (the layout
    of a key/value cache), so query ``i`` sees keys ``j <= i + n_keys -
    n_queries``. With ``n_queries == n_keys`` this is the lower triangle.

    Returns
    -------
    mask : torch.Tensor of shape (n_queries, n_keys), dtype bool
    """
    ones = torch.ones(n_queries, n_keys, dtype=torch.bool, device=device)
    return ones.tril(diagonal=n_keys - n_queries)


def scaled_dot_product_attention(
    q, k, v, mask=None, causal=False, return_weights=False, *, dropout_p=0.0
):
    """Attention(Q, K, V) = softmax(QKᵀ / √d_k) V.

    Parameters
    ----------
    q : torch.Tensor of shape (..., n, d_k)
        Queries.
    k : torch.Tensor of shape (..., m, d_k)
        Keys.
    v : torch.Tensor of shape (..., m, d_v)
        Values.
    mask : torch.Tensor of bool, broadcastable to (..., n, m), default=None
        True where a query may attend to a key (the convention of
        :func:`torch.nn.functional.scaled_dot_product_attention`). A query with no
        key left gets zero weights and a zero output, not NaN.
    causal : bool, default=False
        Also hide the future: query ``i`` sees keys ``j <= i + m - n`` (queries are
        the last ``n`` positions, as with a key/value cache).
    return_weights : bool, default=False
        Use the explicit path and return the attention weights too. Otherwise the
        fused :func:`torch.nn.functional.scaled_dot_product_attention` runs.
    dropout_p : float, default=0.0
        Dropout on the attention weights (pass 0 in evaluation).

    Returns
    -------
    output : torch.Tensor of shape (..., n, d_v)
    weights : torch.Tensor of shape (..., n, m)
        Only with ``return_weights=True``: the softmax weights, rows summing to 1
        (0 for fully masked rows), before dropout.

    Examples
    --------
    >>> import torch
    >>> from sklearn_attnrec.nn import scaled_dot_product_attention
    >>> q = k = v = torch.eye(3).unsqueeze(0)
    >>> out, weights = scaled_dot_product_attention(q, k, v, causal=True,
    ...                                             return_weights=True)
    >>> weights[0, 0].tolist()
    [1.0, 0.0, 0.0]
    """
    n, m = q.shape[-2], k.shape[-2]
    fused_causal = causal and mask is None and n == m and not return_weights
    if causal and not fused_causal:
        future = causal_mask(n, m, device=q.device)
        mask = future if mask is None else mask & future
    valid = None
    if mask is not None:
        # Rows with no key at all attend everywhere (finite, no NaN in forward or
        # backward) and are zeroed afterwards.
        valid = mask.any(dim=-1, keepdim=True)  # (..., n, 1)
        mask = mask | ~valid
    if not return_weights:
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=dropout_p, is_causal=fused_causal
        )
        return out if valid is None else out.masked_fill(~valid, 0.0)

    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (..., n, m)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # max-subtracted, stable
    if valid is not None:
        weights = weights.masked_fill(~valid, 0.0)
    dropped = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
    return dropped @ v, weights


class KeyValueCache:
    """Keys and values of the positions seen so far, for one attention layer.

    Preallocated for ``max_length`` positions, so that appending a token is a copy
    into place rather than a concatenation of the whole past.

    Parameters
    ----------
    batch_size, n_heads, max_length, head_dim : int
    dtype : torch.dtype, default=torch.float32
    device : torch.device or str, default=None
    """

    def __init__(
        self, batch_size, n_heads, max_length, head_dim, *, dtype=None, device=None
    ):
        shape = (batch_size, n_heads, max_length, head_dim)
        self.keys = torch.empty(shape, dtype=dtype, device=device)
        self.values = torch.empty(shape, dtype=dtype, device=device)
        self.max_length = max_length
        self.length = 0

    def update(self, k, v):
        """Append ``k``, ``v`` of shape (B, H, T, D); return all keys and values.

        Returns
        -------
        keys, values : torch.Tensor of shape (B, H, length + T, D)
        """
        end = self.length + k.shape[-2]
        if end > self.max_length:
            raise ValueError(
                f"key/value cache holds {self.max_length} positions; {end} requested"
            )
        self.keys[:, :, self.length : end] = k
        self.values[:, :, self.length : end] = v
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]


class MultiHeadAttention(nn.Module):
    """Multi-head self-attention, batch first, with the output projection W_O.

    ``head_h = Attention(X W_Q^h, X W_K^h, X W_V^h)`` for ``h = 1..n_heads``; the
    heads are concatenated and projected by ``W_O``. The three input projections
    are one ``(3C, C)`` matrix ``in_proj`` (rows: W_Q, W_K, W_V), the layout of
    :class:`torch.nn.MultiheadAttention`'s ``in_proj_weight``.

    Parameters
    ----------
    embedding_dim : int
        C; must be divisible by ``n_heads``.
    n_heads : int
        H.
    dropout : float, default=0.0
        Dropout on the attention weights (training only).
    bias : bool, default=True
        Biases in the projections.
    """

    def __init__(self, embedding_dim, n_heads, *, dropout=0.0, bias=True):
        super().__init__()
        if embedding_dim % n_heads:
            raise ValueError(
                f"embedding_dim={embedding_dim} is not divisible by n_heads={n_heads}"
            )
        self.embedding_dim = embedding_dim
        self.n_heads = n_heads
        self.dropout = dropout
        self.in_proj = nn.Linear(embedding_dim, 3 * embedding_dim, bias=bias)
        self.out_proj = nn.Linear(embedding_dim, embedding_dim, bias=bias)

    def forward(
        self,
        x,
        *,
        key_padding_mask=None,
        causal=False,
        cache=None,
        return_weights=False,
    ):
        """Attend over ``x`` (and the cached past).

        Parameters
        ----------
        x : torch.Tensor of shape (B, T, C)
        key_padding_mask : torch.Tensor of bool, shape (B, S), default=None
            True at padding keys (the convention of
            :class:`torch.nn.MultiheadAttention`); S counts cached positions too.
        causal : bool, default=False
        cache : KeyValueCache, default=None
            Past keys and values; the new ones are appended.
        return_weights : bool, default=False

        Returns
        -------
        y : torch.Tensor of shape (B, T, C)
        weights : torch.Tensor of shape (B, H, T, S)
            Only with ``return_weights=True``.
        """
        B, T, C = x.shape
        H = self.n_heads
        q, k, v = self.in_proj(x).split(C, dim=2)  # 3 x (B, T, C)
        q = q.view(B, T, H, C // H).transpose(1, 2)  # (B, H, T, D)
        k = k.view(B, T, H, C // H).transpose(1, 2)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        if cache is not None:
            k, v = cache.update(k, v)  # (B, H, S, D)
        mask = None
        if key_padding_mask is not None:
            mask = ~key_padding_mask[:, None, None, :]  # (B, 1, 1, S)
        # A single new query at the end of the cache sees every key: no mask.
        causal = causal and not (cache is not None and T == 1)
        result = scaled_dot_product_attention(
            q,
            k,
            v,
            mask=mask,
            causal=causal,
            return_weights=return_weights,
            dropout_p=self.dropout if self.training else 0.0,
        )
        y, weights = result if return_weights else (result, None)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side
        y = self.out_proj(y)  # W_O
        return (y, weights) if return_weights else y


class SinusoidalPositionalEncoding(nn.Module):
    """Fixed sinusoids of Vaswani et al. (2017), added to the embeddings.

    ``PE[p, 2i] = sin(p / 10000^(2i/C))``, ``PE[p, 2i+1] = cos(p / 10000^(2i/C))``.

    Parameters
    ----------
    max_length : int
        Positions available.
    embedding_dim : int
    """

    def __init__(self, max_length, embedding_dim):
        super().__init__()
        position = torch.arange(max_length, dtype=torch.float32)[:, None]
        frequency = torch.exp(
            torch.arange(0, embedding_dim, 2, dtype=torch.float32)
            * (-math.log(10000.0) / embedding_dim)
        )
        angles = position * frequency  # (max_length, ceil(C / 2))
        pe = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)
        self.register_buffer("pe", pe[:, :embedding_dim], persistent=False)

    def forward(self, x, start=0):
        """``x + PE[start:start + T]`` for ``x`` of shape (B, T, C)."""
        return x + self.pe[start : start + x.shape[1]]


class LearnedPositionalEncoding(nn.Module):
    """A learned vector per position (GPT-2), added to the embeddings.

    Parameters
    ----------
    max_length : int
    embedding_dim : int
    """

    def __init__(self, max_length, embedding_dim):
        super().__init__()
        self.embedding = nn.Embedding(max_length, embedding_dim)

    def forward(self, x, start=0):
        """``x + PE[start:start + T]`` for ``x`` of shape (B, T, C)."""
        return x + self.embedding.weight[start : start + x.shape[1]]


class FeedForward(nn.Module):
    """Position-wise feed-forward: expand to ``feedforward_dim``, then contract."""

    def __init__(self, embedding_dim, feedforward_dim, *, activation="gelu", bias=True):
        super().__init__()
        self.expand = nn.Linear(embedding_dim, feedforward_dim, bias=bias)  # W_1, b_1
        self.activation = _ACTIVATIONS[activation]()
        self.contract = nn.Linear(feedforward_dim, embedding_dim, bias=bias)  # W_2

    def forward(self, x):
        return self.contract(self.activation(self.expand(x)))


class TransformerBlock(nn.Module):
    """The pre-norm block of the lecture's pseudocode, with dropout.

    Each sublayer adds its output to its input::

        x = x + dropout(MHA(LayerNorm(x)))            # attention sublayer, W_O inside
        x = x + dropout(FFN(LayerNorm(x)))            # expand then contract

    Parameters
    ----------
    embedding_dim, n_heads : int
    feedforward_dim : int, default=None
        None means ``4 * embedding_dim``.
    dropout : float, default=0.0
        On the attention weights and on both sublayers' outputs.
    activation : {"gelu", "relu"}, default="gelu"
    bias : bool, default=True
        Biases of the linear layers and LayerNorms.
    """

    def __init__(
        self,
        embedding_dim,
        n_heads,
        *,
        feedforward_dim=None,
        dropout=0.0,
        activation="gelu",
        bias=True,
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(embedding_dim, bias=bias)
        self.attention = MultiHeadAttention(
            embedding_dim, n_heads, dropout=dropout, bias=bias
        )
        self.norm2 = nn.LayerNorm(embedding_dim, bias=bias)
        self.feedforward = FeedForward(
            embedding_dim,
            feedforward_dim or 4 * embedding_dim,
            activation=activation,
            bias=bias,
        )
        self.dropout = nn.Dropout(dropout)

    def forward(
        self,
        x,
        *,
        key_padding_mask=None,
        causal=False,
        cache=None,
        return_weights=False,
    ):
        """x of shape (B, T, C) -> (B, T, C) [, weights (B, H, T, S)]."""
        attended = self.attention(
            self.norm1(x),
            key_padding_mask=key_padding_mask,
            causal=causal,
            cache=cache,
            return_weights=return_weights,
        )
        attended, weights = attended if return_weights else (attended, None)
        x = x + self.dropout(attended)  # residual
        x = x + self.dropout(self.feedforward(self.norm2(x)))  # residual
        return (x, weights) if return_weights else x


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of a transformer stack (a GPT-2 small is ``n_layers=12,
    embedding_dim=768, n_heads=12, block_size=1024, vocab_size=50257``).

    Attributes
    ----------
    vocab_size : int or None
        Tokens of the embedding table; None for a stack fed with embeddings.
    block_size : int
        Longest sequence (positions of the positional encoding).
    embedding_dim, n_heads, n_layers : int
    feedforward_dim : int or None
        None means ``4 * embedding_dim``.
    dropout : float
    activation : {"gelu", "relu"}
    positional : {"learned", "sinusoidal", None}
        None: no positional information (the stack is permutation equivariant).
    bias : bool
    causal : bool
        Causal self-attention (decoder) or bidirectional (encoder).
    """

    vocab_size: int | None = None
    block_size: int = 64
    embedding_dim: int = 128
    n_heads: int = 4
    n_layers: int = 4
    feedforward_dim: int | None = None
    dropout: float = 0.0
    activation: str = "gelu"
    positional: str | None = "learned"
    bias: bool = True
    causal: bool = True

    def __post_init__(self):
        if self.activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}; "
                f"got {self.activation!r}"
            )
        if self.positional not in _POSITIONAL:
            raise ValueError(
                f"positional must be one of {_POSITIONAL}; got {self.positional!r}"
            )


def init_weights(module, n_layers, std=0.02):
    """GPT-2 initialisation: N(0, 0.02) weights, zero biases, and the projections
    that write into the residual stream (W_O, W_2) scaled by ``1/√(2 n_layers)``
    so that the residual's variance does not grow with depth."""
    for name, sub in module.named_modules():
        if isinstance(sub, nn.Linear):
            scaled = name.endswith(("attention.out_proj", "feedforward.contract"))
            nn.init.normal_(
                sub.weight, 0.0, std / math.sqrt(2 * n_layers) if scaled else std
            )
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
        elif isinstance(sub, nn.Embedding):
            nn.init.normal_(sub.weight, 0.0, std)


class TransformerStack(nn.Module):
    """Positional encoding, ``n_layers`` pre-norm blocks and a final LayerNorm.

    Takes embeddings, not ids: token models put an embedding table in front, a
    sequential recommender its item embeddings.

    Parameters
    ----------
    config : TransformerConfig
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        C = config.embedding_dim
        if config.positional == "learned":
            self.position = LearnedPositionalEncoding(config.block_size, C)
        elif config.positional == "sinusoidal":
            self.position = SinusoidalPositionalEncoding(config.block_size, C)
        else:
            self.position = None
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(
                C,
                config.n_heads,
                feedforward_dim=config.feedforward_dim,
                dropout=config.dropout,
                activation=config.activation,
                bias=config.bias,
            )
            for _ in range(config.n_layers)
        )
        self.norm = nn.LayerNorm(C, bias=config.bias)

    def forward(self, x, *, key_padding_mask=None, cache=None, return_weights=False):
        """Contextual embeddings of ``x``.

        Parameters
        ----------
        x : torch.Tensor of shape (B, T, C)
        key_padding_mask : torch.Tensor of bool, shape (B, S), default=None
            True at padding.
        cache : list of KeyValueCache, default=None
            One per layer (see :meth:`new_cache`); positions continue after the
            cached ones.
        return_weights : bool, default=False

        Returns
        -------
        h : torch.Tensor of shape (B, T, C)
        weights : list of torch.Tensor of shape (B, H, T, S)
            One per layer, only with ``return_weights=True``.
        """
        start = cache[0].length if cache else 0
        if start + x.shape[1] > self.config.block_size:
            raise ValueError(
                f"sequence of {start + x.shape[1]} positions is longer than "
                f"block_size={self.config.block_size}"
            )
        if self.position is not None:
            x = self.position(x, start)  # X̂ = X + PE
        x = self.dropout(x)
        all_weights = []
        for i, block in enumerate(self.blocks):
            x = block(
                x,
                key_padding_mask=key_padding_mask,
                causal=self.config.causal,
                cache=cache[i] if cache else None,
                return_weights=return_weights,
            )
            if return_weights:
                x, weights = x
                all_weights.append(weights)
        x = self.norm(x)
        return (x, all_weights) if return_weights else x

    def new_cache(self, batch_size, max_length=None, *, dtype=None, device=None):
        """Empty key/value caches, one per layer, for ``max_length`` positions
        (default ``block_size``)."""
        C, H = self.config.embedding_dim, self.config.n_heads
        return [
            KeyValueCache(
                batch_size,
                H,
                max_length or self.config.block_size,
                C // H,
                dtype=dtype,
                device=device,
            )
            for _ in range(self.config.n_layers)
        ]


class CausalTransformer(nn.Module):
    """GPT: token embedding, causal :class:`TransformerStack`, tied output layer.

    ``logits = LayerNorm(blocks(E[ids] + PE)) Eᵀ`` with the output layer sharing
    the embedding matrix ``E`` (Press & Wolf, 2017), GPT-2 initialisation.

    Parameters
    ----------
    config : TransformerConfig
        ``vocab_size`` is required; ``causal`` is forced to True.
    tie_weights : bool, default=True
    """

    def __init__(self, config, *, tie_weights=True):
        super().__init__()
        if not config.vocab_size:
            raise ValueError("CausalTransformer needs config.vocab_size")
        config = replace(config, causal=True)
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.stack = TransformerStack(config)
        self.head = nn.Linear(config.embedding_dim, config.vocab_size, bias=False)
        init_weights(self, config.n_layers)
        if tie_weights:
            self.head.weight = self.token_embedding.weight

    def encode(
        self,
        ids=None,
        *,
        embeddings=None,
        key_padding_mask=None,
        cache=None,
        return_weights=False,
    ):
        """Hidden states (after the final LayerNorm), shape (B, T, C), of token
        ``ids`` (B, T) or of ready ``embeddings`` (B, T, C) [and per-layer
        attention weights (B, H, T, S)]."""
        x = self.token_embedding(ids) if embeddings is None else embeddings
        return self.stack(
            x,
            key_padding_mask=key_padding_mask,
            cache=cache,
            return_weights=return_weights,
        )

    def forward(
        self,
        ids=None,
        *,
        embeddings=None,
        key_padding_mask=None,
        cache=None,
        last_only=False,
    ):
        """Next-token logits (B, T, V), or (B, 1, V) with ``last_only``."""
        h = self.encode(
            ids, embeddings=embeddings, key_padding_mask=key_padding_mask, cache=cache
        )
        if last_only:
            h = h[:, -1:]
        return self.head(h)

    def new_cache(self, batch_size, max_length=None):
        """Key/value caches matching this model's dtype and device."""
        weight = self.token_embedding.weight
        return self.stack.new_cache(
            batch_size, max_length, dtype=weight.dtype, device=weight.device
        )


class SequenceEncoder(nn.Module):
    """Bidirectional encoder: token embedding, non-causal :class:`TransformerStack`,
    pooling over the non-padding positions and a linear head.

    Parameters
    ----------
    config : TransformerConfig
        ``vocab_size`` is required; ``causal`` is forced to False.
    n_outputs : int
        Classes (logits) or regression targets.
    pooling : {"mean", "first"}, default="mean"
    """

    def __init__(self, config, n_outputs, *, pooling="mean"):
        super().__init__()
        if not config.vocab_size:
            raise ValueError("SequenceEncoder needs config.vocab_size")
        if pooling not in _POOLING:
            raise ValueError(f"pooling must be one of {_POOLING}; got {pooling!r}")
        config = replace(config, causal=False)
        self.config = config
        self.pooling = pooling
        self.token_embedding = nn.Embedding(config.vocab_size, config.embedding_dim)
        self.stack = TransformerStack(config)
        self.head = nn.Linear(config.embedding_dim, n_outputs)
        init_weights(self, config.n_layers)

    def encode(self, ids, key_padding_mask=None, *, return_weights=False):
        """Contextual embeddings (B, T, C) [and per-layer weights (B, H, T, T)]."""
        return self.stack(
            self.token_embedding(ids),
            key_padding_mask=key_padding_mask,
            return_weights=return_weights,
        )

    def pool(self, h, key_padding_mask=None):
        """(B, T, C) -> (B, C): mean over non-padding positions, or position 0."""
        if self.pooling == "first":
            return h[:, 0]
        if key_padding_mask is None:
            return h.mean(dim=1)
        keep = (~key_padding_mask).unsqueeze(-1).to(h.dtype)  # (B, T, 1)
        return (h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)

    def forward(self, ids, key_padding_mask=None):
        """Outputs (B, n_outputs) for ids (B, T)."""
        h = self.encode(ids, key_padding_mask)
        return self.head(self.pool(h, key_padding_mask))


class SequenceCrossEntropy(nn.Module):
    """Cross-entropy averaged over every position of (B, T, V) logits against
    (B, T) targets; targets equal to ``ignore_index`` (padding) are skipped."""

    def __init__(self, ignore_index=-100):
        super().__init__()
        self.ignore_index = ignore_index

    def forward(self, logits, targets):
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]),
            targets.reshape(-1),
            ignore_index=self.ignore_index,
        )
