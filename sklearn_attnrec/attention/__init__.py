"""Attention models: tokenizers, a causal language model and an encoder.

The torch building blocks (attention, positional encodings, transformer blocks)
live in :mod:`sklearn_attnrec.nn` and know nothing of scikit-learn; the
estimators here wrap them with skorch.
"""

from ._causal_lm import CausalLMTransformer
from ._encoder import AttentionEncoder
from ._tokenizers import CharTokenizer, WordTokenizer

__all__ = [
    "AttentionEncoder",
    "CausalLMTransformer",
    "CharTokenizer",
    "WordTokenizer",
]
