"""Baby GPT on tiny Shakespeare, and the key/value cache's generation speed-up.

1. ``CausalLMTransformer`` in nanoGPT's "baby GPT" configuration (4 layers, 4 heads,
   embedding 128, block size 64, batch 12, 2,000 steps, AdamW lr 1e-3 decaying to
   1e-4 after 100 warm-up steps, beta2 0.99, weight decay 0.1, clipping 1.0,
   dropout 0) on the characters of ``shakespeare_char/input.txt`` (first 90% train,
   last 10% validation), one CPU thread. Prints the validation loss (every
   validation character scored, in consecutive windows of 64), ms per step, FLOPs
   per step (nanoGPT's estimate, ``6N + 12 L H Q T`` per token) and the fraction
   of the float32 matmul throughput measured on this machine in the same run.
   Side by side, with the same seeds and the same evaluation, a minimal GPT
   trained as nanoGPT trains it (``_reference_gpt.py``). The issue's figures
   (nanoGPT, 2-core development machine, one thread: validation loss 1.886 from
   20 random validation batches, 60 ms/step, about 46% of ~140 GFLOP/s) are
   printed for context.

2. Generation with ``block_size=512``: 448 new tokens from a 64-token prompt,
   greedy, with and without the key/value cache; prints both times, the speed-up
   and whether the tokens are identical.

Run under the shared lock: ``flock /tmp/attnrec-bench.lock python
benchmarks/bench_causal_lm.py``.
"""

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from _common import command_line, parse_args, print_table
from _reference_gpt import train_reference, validation_loss
from sklearn_attnrec import CausalLMTransformer, CharTokenizer, fetch_tiny_shakespeare
from sklearn_attnrec.utils._torch import evaluating

BABY_GPT = dict(
    block_size=64,
    embedding_dim=128,
    n_heads=4,
    n_layers=4,
    dropout=0.0,
    batch_size=12,
    learning_rate=1e-3,
    min_learning_rate=1e-4,
    warmup_steps=100,
    weight_decay=0.1,
    beta_1=0.9,
    beta_2=0.99,
    max_grad_norm=1.0,
)
NANOGPT = {"val_loss": 1.886, "ms_per_step": 60.0, "fraction": 0.46}


def matmul_throughput(n=1024, seconds=2.0):
    """Best float32 GFLOP/s of an n x n matmul over a few timed rounds."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = 0.0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        for _ in range(5):
            a @ b
        best = max(best, 5 * 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


def flops_per_token(model):
    """nanoGPT's estimate: 6N + 12 L H Q T, N without position embeddings."""
    config = model.net_.module_.config
    module = model.net_.module_
    n_params = sum(p.numel() for p in module.parameters())
    if config.positional == "learned":
        n_params -= module.stack.position.embedding.weight.numel()
    L, H, T = config.n_layers, config.n_heads, config.block_size
    Q = config.embedding_dim // H
    return 6 * n_params + 12 * L * H * Q * T


def load(data_home):
    data = fetch_tiny_shakespeare(data_home, download_if_missing=False)
    train_text, val_text = data.train, data.validation
    # nanoGPT's vocabulary: the 65 characters, no special tokens (none is needed
    # for one running text).
    tokenizer = CharTokenizer(
        pad_token=None, bos_token=None, eos_token=None, unk_token=None
    ).fit([train_text])
    return (
        tokenizer,
        tokenizer.transform([train_text])[0],
        tokenizer.transform([val_text])[0],
    )


def nanogpt_style_estimates(model, val_ids, draws, eval_iters=20, seed=0):
    """nanoGPT's ``estimate_loss``: the mean loss of ``eval_iters`` batches of 12
    random validation windows; ``draws`` such estimates show its spread."""
    module = model.net_.module_
    block, batch = BABY_GPT["block_size"], BABY_GPT["batch_size"]
    data = torch.from_numpy(val_ids)
    generator = torch.Generator().manual_seed(seed)
    offsets = torch.arange(block + 1)
    estimates = []
    with evaluating(module):
        for _ in range(draws):
            losses = []
            for _ in range(eval_iters):
                start = torch.randint(len(data) - block, (batch,), generator=generator)
                window = data[start[:, None] + offsets]
                logits = module(window[:, :-1])
                losses.append(
                    F.cross_entropy(
                        logits.reshape(-1, logits.shape[-1]), window[:, 1:].reshape(-1)
                    ).item()
                )
            estimates.append(np.mean(losses))
    return np.array(estimates)


def bench_training(train_ids, val_ids, vocab_size, steps, seed, draws):
    peak_before = matmul_throughput()
    model = CausalLMTransformer(
        vocab_size=vocab_size, max_steps=steps, random_state=seed, **BABY_GPT
    )
    start = time.perf_counter()
    model.fit([train_ids])
    fit_s = time.perf_counter() - start
    peak_after = matmul_throughput()
    val_loss = -model.score([val_ids])
    estimates = nanogpt_style_estimates(model, val_ids, draws) if draws else None
    tokens_per_step = BABY_GPT["batch_size"] * BABY_GPT["block_size"]
    flops_step = flops_per_token(model) * tokens_per_step
    ms_step = 1000 * fit_s / model.n_steps_
    peak = max(peak_before, peak_after)
    achieved = flops_step / (ms_step / 1000) / 1e9
    reference = NANOGPT["ms_per_step"]
    print(f"baby GPT, {model.n_steps_} steps, random_state={seed}")
    print(
        f"  validation loss           {val_loss:.4f}   (every validation character; "
        f"nanoGPT {NANOGPT['val_loss']})"
    )
    if estimates is not None:
        print(
            f"  nanoGPT-style estimate    {estimates.mean():.4f} +- "
            f"{estimates.std():.4f} (20 random batches of 12 windows; {draws} "
            f"draws, min {estimates.min():.4f}, max {estimates.max():.4f})"
        )
    print(f"  fit time                  {fit_s:.1f} s")
    print(f"  ms/step (fit / steps)     {ms_step:.1f}   (nanoGPT {reference:.0f})")
    print(f"  FLOPs/step                {flops_step / 1e9:.3f} GFLOP")
    print(f"  achieved                  {achieved:.1f} GFLOP/s")
    print(
        f"  float32 matmul peak       {peak:.1f} GFLOP/s "
        f"(1024^2 matmul; before {peak_before:.1f}, after {peak_after:.1f})"
    )
    print(
        f"  fraction of peak          {achieved / peak:.1%}   "
        f"(nanoGPT {NANOGPT['fraction']:.0%} of ~140)"
    )
    return val_loss, ms_step


def bench_reference(train_ids, val_ids, steps, seed):
    model, fit_s = train_reference(train_ids, BABY_GPT, steps, seed)
    val_loss = validation_loss(model, val_ids, BABY_GPT["block_size"])
    ms_step = 1000 * fit_s / steps
    print(
        f"reference GPT (nanoGPT's design, no biases), random_state={seed}: "
        f"validation loss {val_loss:.4f}, {ms_step:.1f} ms/step"
    )
    return val_loss, ms_step


def print_side_by_side(seeds, rows):
    print("\nside by side (validation loss over every validation character):")
    print_table(
        ["seed", "ours loss", "reference loss", "ours ms/step", "reference ms/step"],
        [
            (s, f"{a:.4f}", f"{b:.4f}", f"{c:.1f}", f"{d:.1f}")
            for s, (a, c, b, d) in zip(seeds, rows)
        ],
    )
    ours_loss, ours_ms, ref_loss, ref_ms = rows.mean(axis=0)
    print(
        f"mean over {len(rows)} seed(s): ours {ours_loss:.4f} ({ours_ms:.1f} ms/step), "
        f"reference {ref_loss:.4f} ({ref_ms:.1f} ms/step); loss difference "
        f"{ours_loss - ref_loss:+.4f}, time ratio ours/reference {ours_ms / ref_ms:.2f}"
    )


def bench_generation(train_ids, vocab_size, seed, repeats=3):
    config = dict(BABY_GPT, block_size=512, warmup_steps=10)
    model = CausalLMTransformer(
        vocab_size=vocab_size, max_steps=50, random_state=seed, **config
    ).fit([train_ids])
    prompt = train_ids[:64]
    timings = {}
    tokens = {}
    for use_cache in (True, False):
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            tokens[use_cache] = model.generate(
                prompt, max_new_tokens=448, temperature=0, use_cache=use_cache
            )
            best = min(best, time.perf_counter() - start)
        timings[use_cache] = best
    same = np.array_equal(tokens[True], tokens[False])
    print("generation, block_size=512, 64-token prompt, 448 new tokens, greedy")
    print(
        f"  with cache                {1000 * timings[True]:.0f} ms (best of {repeats})"
    )
    print(f"  without cache             {1000 * timings[False]:.0f} ms")
    print(f"  speed-up                  {timings[False] / timings[True]:.1f}x")
    print(f"  identical tokens          {same}")


def main():
    args = parse_args(
        __doc__.splitlines()[0],
        **{
            "--steps": dict(type=int, default=2000),
            "--threads": dict(type=int, default=1),
            "--seeds": dict(type=int, nargs="+", default=[0]),
            "--draws": dict(
                type=int, default=50, help="nanoGPT-style estimates (0: none)"
            ),
            "--skip-training": dict(action="store_true"),
            "--skip-reference": dict(
                action="store_true", help="skip the nanoGPT-style reference model"
            ),
            "--skip-generation": dict(action="store_true"),
        },
    )
    torch.set_num_threads(args.threads)
    tokenizer, train_ids, val_ids = load(Path(args.data_home))
    print(
        f"tiny Shakespeare: {len(train_ids):,} train / {len(val_ids):,} validation "
        f"characters, vocabulary {tokenizer.vocab_size_} characters; torch "
        f"{torch.__version__}, {torch.get_num_threads()} thread(s)"
    )
    if not args.skip_training:
        rows = []
        for seed in args.seeds:
            ours = bench_training(
                train_ids, val_ids, tokenizer.vocab_size_, args.steps, seed, args.draws
            )
            reference = (
                bench_reference(train_ids, val_ids, args.steps, seed)
                if not args.skip_reference
                else (np.nan, np.nan)
            )
            rows.append((*ours, *reference))
        print_side_by_side(args.seeds, np.array(rows))
    if not args.skip_generation:
        bench_generation(train_ids, tokenizer.vocab_size_, args.seeds[0])
    print(f"command: {command_line()}")


if __name__ == "__main__":
    main()
