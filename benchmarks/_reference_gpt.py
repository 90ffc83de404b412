"""A minimal GPT trained the way nanoGPT trains its "baby GPT": the side-by-side
reference for ``bench_causal_lm.py``.

nanoGPT is a repository, not an installable library, so this is a short,
independent model and loop written after its design: no biases, tied
embeddings, GPT-2 initialisation (residual projections scaled by
``1/sqrt(2 n_layers)``), weight decay on 2-D parameters only, linear warm-up then
cosine decay, clipping, and batches of windows drawn uniformly from the training
text. It shares no code with the package, so the two can disagree.
"""

import math
import time

import torch
import torch.nn.functional as F
from torch import nn


class _Block(nn.Module):
    def __init__(self, width, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.norm_1 = nn.LayerNorm(width, bias=False)
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.attn_proj = nn.Linear(width, width, bias=False)
        self.norm_2 = nn.LayerNorm(width, bias=False)
        self.expand = nn.Linear(width, 4 * width, bias=False)
        self.mlp_proj = nn.Linear(4 * width, width, bias=False)

    def forward(self, x):
        b, t, c = x.shape
        heads = self.qkv(self.norm_1(x)).view(b, t, 3, self.n_heads, c // self.n_heads)
        q, k, v = heads.permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.attn_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.expand(self.norm_2(x))))


class ReferenceGPT(nn.Module):
    def __init__(self, vocab_size, block_size, width, n_heads, n_layers):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, width)
        self.positions = nn.Embedding(block_size, width)
        self.blocks = nn.ModuleList(_Block(width, n_heads) for _ in range(n_layers))
        self.norm = nn.LayerNorm(width, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                scaled = name.endswith("proj.weight")
                nn.init.normal_(
                    p, 0.0, 0.02 / math.sqrt(2 * n_layers) if scaled else 0.02
                )

    def forward(self, idx):
        x = self.tokens(idx) + self.positions.weight[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.norm(x) @ self.tokens.weight.T  # tied output layer


def train_reference(train_ids, config, steps, seed):
    """Train a :class:`ReferenceGPT` with the baby-GPT recipe in ``config``
    (the keyword arguments of ``CausalLMTransformer``); returns the model and the
    seconds the training loop took."""
    torch.manual_seed(seed)
    data = torch.as_tensor(train_ids, dtype=torch.long)
    vocab = int(data.max()) + 1
    T, B = config["block_size"], config["batch_size"]
    model = ReferenceGPT(
        vocab, T, config["embedding_dim"], config["n_heads"], config["n_layers"]
    )
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2]},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=config["learning_rate"],
        betas=(config["beta_1"], config["beta_2"]),
        weight_decay=config["weight_decay"],
    )
    peak, floor = config["learning_rate"], config["min_learning_rate"]
    warmup = config["warmup_steps"]

    def learning_rate(step):
        if step < warmup:
            return peak * (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, steps - warmup)
        return floor + 0.5 * (1 + math.cos(math.pi * progress)) * (peak - floor)

    offsets = torch.arange(T + 1)
    start = time.perf_counter()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        window = data[torch.randint(len(data) - T, (B,))[:, None] + offsets]
        logits = model(window[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, vocab), window[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, config["max_grad_norm"])
        optimizer.step()
    return model.eval(), time.perf_counter() - start


@torch.no_grad()
def validation_loss(model, val_ids, block_size):
    """Mean next-character loss over every validation character, scored in
    consecutive windows of ``block_size`` (as ``CausalLMTransformer.score``)."""
    data = torch.as_tensor(val_ids, dtype=torch.long)
    total, count = 0.0, 0
    for start in range(0, len(data) - 1, block_size):
        window = data[start : start + block_size + 1]
        logits = model(window[None, :-1])[0]
        total += F.cross_entropy(logits, window[1:], reduction="sum").item()
        count += len(window) - 1
    return total / count
