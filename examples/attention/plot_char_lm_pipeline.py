"""
=================================================================
A character-level language model in a Pipeline: tiny Shakespeare
=================================================================

A :class:`~sklearn.pipeline.Pipeline` of a
:class:`~sklearn_attnrec.CharTokenizer` (text to character ids) and a
:class:`~sklearn_attnrec.CausalLMTransformer` (a GPT-style model trained to
predict the next character) learns to write pseudo-Shakespeare from a slice of the
tiny Shakespeare corpus.

With ``early_stopping=True`` the model holds out the last 10% of the characters
and records their loss after every epoch next to the training loss; its skorch
history (``net_.history``) then draws the learning curve with
:func:`~sklearn_attnrec.plotting.plot_learning_curve`. The model is kept tiny and
the training short (a few hundred steps, seconds on a laptop CPU): the samples
are far from Shakespeare, but they already have his line lengths, names in
capitals and common words.
"""

# %%
# Data: tiny Shakespeare when available, a generated text otherwise
# ------------------------------------------------------------------
# :func:`~sklearn_attnrec.fetch_tiny_shakespeare` reads the corpus from the data
# folder (``SKLEARN_ATTNREC_DATA``); offline and without it, the example falls
# back to a generated play. We keep the first 80,000 characters to train and the
# next 10,000 to measure the model at the end.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.pipeline import make_pipeline

from sklearn_attnrec import CausalLMTransformer, CharTokenizer, fetch_tiny_shakespeare
from sklearn_attnrec.plotting import plot_learning_curve

try:
    corpus = fetch_tiny_shakespeare(download_if_missing=False).text
    source = "tiny Shakespeare"
except FileNotFoundError:
    # Lines of a small made-up play: speakers in capitals and random verses.
    rng = np.random.RandomState(0)
    speakers = ["ROMEO", "JULIET", "NURSE", "FRIAR"]
    words = "the my thou art love night sweet fair what shall be not and of".split()
    lines = [
        f"{rng.choice(speakers)}:\n"
        + " ".join(rng.choice(words, rng.randint(4, 9))).capitalize()
        + ".\n"
        for _ in range(5000)
    ]
    corpus = "\n".join(lines)
    source = "a generated play"
train_text, test_text = corpus[:80_000], corpus[80_000:90_000]
print(f"{source}: training on {len(train_text)} characters")
print(train_text[:200])

# %%
# Train the pipeline
# ------------------
# Two transformer blocks of width 64 with four heads, a context of 64
# characters, eight epochs of random windows. The tokenizer's ids feed the model
# directly: ``fit([text])`` trains on one long sequence.

lm = CausalLMTransformer(
    block_size=64,
    embedding_dim=64,
    n_heads=4,
    n_layers=2,
    max_iter=8,
    batch_size=32,
    learning_rate=3e-3,
    warmup_steps=20,
    early_stopping=True,  # hold out the last 10% of the tokens, keep the best model
    n_iter_no_change=8,
    random_state=0,
)
pipe = make_pipeline(CharTokenizer(), lm).fit([train_text])
tokenizer = pipe[0]
print(f"{tokenizer.vocab_size_} token ids, {lm.n_steps_} steps in {lm.n_iter_} epochs")

# %%
# The learning curve
# ------------------
# ``net_.history`` holds one entry per epoch, with ``train_loss`` and
# ``valid_loss`` (cross-entropy per character, in nats). A model that knew
# nothing would score ``log(vocab_size)``; one that knew the character
# frequencies only, about 3.3.
ax = plot_learning_curve(lm.net_.history, title=f"Character LM on {source}")
ax.axhline(np.log(tokenizer.vocab_size_), color="grey", linestyle=":")
ax.annotate(
    "uniform guess",
    (lm.n_iter_, np.log(tokenizer.vocab_size_)),
    xytext=(0, -12),
    textcoords="offset points",
    ha="right",
    color="grey",
)
ax.figure.tight_layout()

# %%
# Held-out text and a sample
# --------------------------
# ``score`` is the mean log-likelihood per character (higher is better), so the
# perplexity is ``exp(-score)``: the model hesitates between that many
# characters on average. ``generate`` continues a prompt, sampling among the 10
# most likely characters.
score = pipe.score([test_text])
print(f"held-out perplexity: {np.exp(-score):.2f} (uniform: {tokenizer.vocab_size_})")

prompt = tokenizer.transform(["ROMEO:\n"])[0]
sample = lm.generate(
    prompt, max_new_tokens=300, temperature=0.8, top_k=10, random_state=0
)
print("ROMEO:\n" + tokenizer.inverse_transform([sample])[0])

plt.show()
