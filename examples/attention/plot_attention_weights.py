"""
==========================================
Attention weights, word order, causal mask
==========================================

The lecture's example, a tiny encoder that learns word order, and the causal mask
of a language model.

Scaled dot-product attention turns the scores ``S = QKᵀ / √d_k`` into weights with
a row-wise softmax: every query distributes one unit of attention over the keys.
We look at three sets of weights:

1. the lecture's worked example "The cat sat";
2. an :class:`~sklearn_attnrec.AttentionEncoder` trained to tell "the cat chased the
   dog" from "the dog chased the cat", which needs positional encodings (without
   them attention is blind to order);
3. a :class:`~sklearn_attnrec.CausalLMTransformer`, whose causal mask hides the
   future: the weights above the diagonal are zero.
"""

# %%
# The lecture's "The cat sat"
# ---------------------------
# The row-wise softmax of the score matrix from the lecture (taken as already
# scaled). "The" and "cat" attend mostly to themselves, "sat" to its subject "cat".
import itertools

import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from sklearn_attnrec import AttentionEncoder, CausalLMTransformer, WordTokenizer
from sklearn_attnrec.plotting import plot_attention

words = ["The", "cat", "sat"]
scores = np.array([[1.2, 0.3, -0.5], [0.8, 2.1, 0.4], [-0.2, 1.5, 0.9]])
weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)

# plot_attention draws one (query x key) matrix with the tokens as tick labels,
# each weight written in its cell, and a colour bar.
fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.5))
plot_attention(
    scores, words, ax=left, cmap="RdBu_r", vmin=-2.5, vmax=2.5, colorbar=False,
    title="scores S",
)  # fmt: skip
plot_attention(weights, words, ax=right, title="softmax(S), rows sum to 1")
fig.tight_layout()

# %%
# Word order needs positions
# --------------------------
# Who chases whom? We train two encoders to name the chaser in sentences
# "the <animal> <verb> the <animal>", holding out the two sentences of the
# lecture. Without positional encodings both held-out sentences are the same bag
# of words, so the model must give them the same answer.
animals = ["cat", "dog", "mouse", "bird", "fox"]
verbs = ["chased", "saw", "bit", "followed"]
sentences = [
    (f"the {a} {v} the {b}", a)
    for a, b in itertools.permutations(animals, 2)
    for v in verbs
]
held_out = ["the cat chased the dog", "the dog chased the cat"]
texts, subjects = zip(*[(s, a) for s, a in sentences if s not in held_out])

models = {}
for positional in ["learned", None]:
    models[positional] = make_pipeline(
        WordTokenizer(),
        AttentionEncoder(
            positional=positional,
            embedding_dim=16,
            n_heads=2,
            n_layers=1,
            dropout=0.0,
            max_iter=60,
            learning_rate=1e-2,
            random_state=0,
        ),
    ).fit(texts, subjects)
    print(f"positional={positional!s:8} chasers:", models[positional].predict(held_out))

# %%
# The attention of the encoder with positions, for the two held-out sentences
# (first layer, averaged over the two heads): every word attends to the second
# position, where the chaser stands. The model has learned *where* the answer is,
# which only positional encodings let it express.
tokenizer, encoder = models["learned"][0], models["learned"][-1]
ids = tokenizer.transform(held_out)
maps = encoder.attention_weights(ids).mean(axis=2)[:, 0]  # (sentence, T, T)
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for ax, sentence, matrix in zip(axes, held_out, maps):
    plot_attention(matrix, sentence.split(), ax=ax, colorbar=False, title=sentence)
fig.tight_layout()

# %%
# The causal mask
# ---------------
# A language model must not look ahead: position ``i`` attends to positions
# ``j <= i`` only. We fit a tiny model on a repeating sequence and look at its
# attention weights: everything above the diagonal is exactly zero, and each row
# still sums to one.
X = np.tile(np.arange(6), (16, 4))
lm = CausalLMTransformer(
    embedding_dim=16,
    n_heads=2,
    n_layers=1,
    block_size=12,
    max_iter=20,
    warmup_steps=0,
    learning_rate=1e-2,
    random_state=0,
).fit(X)
causal = lm.attention_weights(X[:1, :8])[0, 0, 0]  # first layer, first head
print("above the diagonal:", causal[np.triu_indices(8, k=1)].max())
print("row sums:", causal.sum(axis=1).round(6))

ax = plot_attention(
    causal, [str(t) for t in X[0, :8]], title="causal self-attention, layer 1 head 1"
)
ax.figure.tight_layout()
plt.show()
