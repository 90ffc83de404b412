"""Torch building blocks of the attention models, shared by ``attention/`` and
``neural/``; they know nothing of scikit-learn.

- :func:`scaled_dot_product_attention`: ``softmax(QKᵀ/√d_k)V`` with a fused path
  and an explicit one that returns the weights;
- :class:`MultiHeadAttention` (with a key/value cache for generation);
- :class:`SinusoidalPositionalEncoding`, :class:`LearnedPositionalEncoding`
  (``X̂ = X + PE``);
- :class:`TransformerBlock` (pre-norm), :class:`TransformerStack`,
  :class:`CausalTransformer` (GPT-style) and :class:`SequenceEncoder`.
"""

from ._transformer import (
    CausalTransformer,
    FeedForward,
    KeyValueCache,
    LearnedPositionalEncoding,
    MultiHeadAttention,
    SequenceCrossEntropy,
    SequenceEncoder,
    SinusoidalPositionalEncoding,
    TransformerBlock,
    TransformerConfig,
    TransformerStack,
    causal_mask,
    init_weights,
    scaled_dot_product_attention,
)

__all__ = [
    "CausalTransformer",
    "FeedForward",
    "KeyValueCache",
    "LearnedPositionalEncoding",
    "MultiHeadAttention",
    "SequenceCrossEntropy",
    "SequenceEncoder",
    "SinusoidalPositionalEncoding",
    "TransformerBlock",
    "TransformerConfig",
    "TransformerStack",
    "causal_mask",
    "init_weights",
    "scaled_dot_product_attention",
]
