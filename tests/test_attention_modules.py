"""Torch building blocks: attention formula, masks, blocks, GPT and encoder stacks."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sklearn_attnrec.nn import (
    CausalTransformer,
    MultiHeadAttention,
    SequenceEncoder,
    SinusoidalPositionalEncoding,
    TransformerBlock,
    TransformerConfig,
    causal_mask,
    scaled_dot_product_attention,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- scaled dot-product attention ----------------------------------------------

# The lecture's "The cat sat" score matrix S = QKᵀ and its attention table.
CAT_SAT_SCORES = np.array([[1.2, 0.3, -0.5], [0.8, 2.1, 0.4], [-0.2, 1.5, 0.9]])
CAT_SAT_LECTURE = np.array([[0.70, 0.23, 0.07], [0.18, 0.69, 0.13], [0.08, 0.57, 0.35]])


def _cat_sat_qkv(scale):
    """Q, K (d_k = 4) with QKᵀ = scale · S, and V = I (so the output is A)."""
    q = torch.zeros(3, 4, dtype=torch.float64)
    q[:, :3] = scale * torch.tensor(CAT_SAT_SCORES)
    k = torch.zeros(3, 4, dtype=torch.float64)
    k[:, :3] = torch.eye(3)
    return q, k, torch.eye(3, dtype=torch.float64)


def test_lecture_cat_sat_example():
    # QKᵀ = 2S and d_k = 4, so QKᵀ/√d_k = S: the weights are the row-wise softmax
    # of the lecture's S, taken as already scaled.
    q, k, v = _cat_sat_qkv(2.0)
    out, weights = scaled_dot_product_attention(q, k, v, return_weights=True)
    reference = _softmax(CAT_SAT_SCORES)
    np.testing.assert_allclose(weights.numpy(), reference, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), reference, atol=1e-12)  # V = I
    np.testing.assert_allclose(
        reference,
        [[0.6292, 0.2558, 0.1149], [0.1873, 0.6872, 0.1255], [0.1055, 0.5775, 0.3170]],
        atol=1e-4,
    )
    # The "cat" row is the lecture's to two decimals. The other two rows of the
    # lecture's table match no single scaling of S (the best fits are 1.28 S for
    # "The" and 0.99 S for "sat"), so we check their reading instead: "The" and
    # "cat" attend mostly to themselves, "sat" mostly to "cat", same ranks.
    np.testing.assert_allclose(weights[1].numpy(), CAT_SAT_LECTURE[1], atol=0.01)
    np.testing.assert_array_equal(weights.argmax(1).numpy(), [0, 1, 1])
    np.testing.assert_array_equal(
        np.argsort(weights.numpy(), axis=1), np.argsort(CAT_SAT_LECTURE, axis=1)
    )


def test_scaling_by_sqrt_dk_is_applied():
    # Same QKᵀ = S but divided by √4: flatter weights than softmax(S).
    q, k, v = _cat_sat_qkv(1.0)
    _, weights = scaled_dot_product_attention(q, k, v, return_weights=True)
    np.testing.assert_allclose(
        weights.numpy(), _softmax(CAT_SAT_SCORES / 2), atol=1e-12
    )


def test_explicit_path_matches_slow_reference():
    rng = np.random.RandomState(0)
    q, k, v = (rng.normal(size=(2, 3, n, 8)) for n in (4, 6, 6))
    mask = rng.rand(2, 1, 4, 6) > 0.3
    mask[..., 0] = True
    out, weights = scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)),
        mask=torch.tensor(mask),
        return_weights=True,
    )
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(8)
    scores = np.where(mask, scores, -np.inf)
    expected = _softmax(scores)
    np.testing.assert_allclose(weights.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), expected @ v, atol=1e-12)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("with_mask", [False, True])
def test_fused_and_explicit_paths_agree(causal, with_mask):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g) for _ in range(3))
    mask = None
    if with_mask:
        mask = torch.rand(2, 1, 1, 5, generator=g) > 0.4
        mask[..., 0] = True
    fused = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal)
    explicit, weights = scaled_dot_product_attention(
        q, k, v, mask=mask, causal=causal, return_weights=True
    )
    torch.testing.assert_close(fused, explicit, atol=1e-5, rtol=0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5), atol=1e-6, rtol=0)
    if causal:
        assert (weights[..., ~causal_mask(5, 5)] == 0).all()
    if with_mask:
        assert (weights.masked_select(~mask.expand_as(weights)) == 0).all()


def test_fully_masked_rows_give_zeros_not_nan():
    q = torch.randn(1, 1, 3, 4, requires_grad=True)
    k, v = torch.randn(1, 1, 3, 4), torch.randn(1, 1, 3, 4)
    mask = torch.tensor(
        [[True, True, False], [False, False, False], [True, False, False]]
    )
    for return_weights in (False, True):
        result = scaled_dot_product_attention(
            q, k, v, mask=mask, return_weights=return_weights
        )
        out = result[0] if return_weights else result
        assert torch.isfinite(out).all()
        assert (out[0, 0, 1] == 0).all()
        out.sum().backward()
        assert torch.isfinite(q.grad).all()
        q.grad = None
    _, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    torch.testing.assert_close(weights[0, 0].sum(-1), torch.tensor([1.0, 0.0, 1.0]))


def test_causal_mask_aligns_queries_with_the_end():
    assert causal_mask(3, 3).tolist() == [
        [True, False, False],
        [True, True, False],
        [True, True, True],
    ]
    # Two new queries after three cached keys see the past and themselves.
    assert causal_mask(2, 5).tolist() == [
        [True, True, True, True, False],
        [True, True, True, True, True],
    ]


# -- multi-head attention -------------------------------------------------------


@pytest.mark.parametrize("causal", [False, True])
def test_multihead_attention_matches_torch(causal):
    torch.manual_seed(0)
    B, T, C, H = 2, 5, 8, 2
    reference = torch.nn.MultiheadAttention(C, H, batch_first=True)
    ours = MultiHeadAttention(C, H)
    with torch.no_grad():
        ours.in_proj.weight.copy_(reference.in_proj_weight)
        ours.in_proj.bias.copy_(reference.in_proj_bias)
        ours.out_proj.weight.copy_(reference.out_proj.weight)
        ours.out_proj.bias.copy_(reference.out_proj.bias)
    reference.eval(), ours.eval()
    x = torch.randn(B, T, C)
    padding = torch.tensor([[False] * T, [False] * (T - 2) + [True] * 2])
    attn_mask = ~causal_mask(T, T) if causal else None  # torch: True = blocked
    expected, expected_weights = reference(
        x,
        x,
        x,
        key_padding_mask=padding,
        attn_mask=attn_mask,
        average_attn_weights=False,
    )
    fused = ours(x, key_padding_mask=padding, causal=causal)
    explicit, weights = ours(
        x, key_padding_mask=padding, causal=causal, return_weights=True
    )
    torch.testing.assert_close(fused, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(explicit, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(weights, expected_weights, atol=1e-5, rtol=0)
    assert (weights[1, :, :, -2:] == 0).all()


def test_multihead_attention_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)


# -- positional encodings and the block -----------------------------------------


def test_sinusoidal_encoding_values_and_addition():
    pe = SinusoidalPositionalEncoding(max_length=10, embedding_dim=6)
    x = torch.zeros(1, 4, 6)
    encoded = pe(x, start=2)  # X̂ = X + PE, positions 2..5
    p, i = 3, 1
    assert encoded[0, p - 2, 2 * i].item() == pytest.approx(
        math.sin(p / 10000 ** (2 * i / 6)), abs=1e-6
    )
    assert encoded[0, p - 2, 2 * i + 1].item() == pytest.approx(
        math.cos(p / 10000 ** (2 * i / 6)), abs=1e-6
    )
    assert SinusoidalPositionalEncoding(4, 5).pe.shape == (4, 5)  # odd width


def test_block_is_the_lecture_pseudocode():
    """The pre-norm block against the lecture's pseudocode written out by hand."""
    torch.manual_seed(0)
    C, H, n = 8, 1, 4  # one head: d_k = C
    block = TransformerBlock(C, H, activation="relu").eval()
    x = torch.randn(n, C)

    def layer_norm(x, norm):
        return F.layer_norm(x, (C,), norm.weight, norm.bias)

    W_Q, W_K, W_V = block.attention.in_proj.weight.split(C)
    b_Q, b_K, b_V = block.attention.in_proj.bias.split(C)
    # --- Self-Attention Sublayer ---
    x_norm = layer_norm(x, block.norm1)
    Q, K, V = x_norm @ W_Q.T + b_Q, x_norm @ W_K.T + b_K, x_norm @ W_V.T + b_V
    scores = (Q @ K.T) / math.sqrt(C)
    scores = scores.masked_fill(~causal_mask(n, n), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    attn_out = weights @ V
    attn_out = (
        attn_out @ block.attention.out_proj.weight.T + block.attention.out_proj.bias
    )
    h = x + attn_out
    # --- Feed-Forward Sublayer ---
    x_norm = layer_norm(h, block.norm2)
    ffn = block.feedforward
    ffn_out = (
        torch.relu(x_norm @ ffn.expand.weight.T + ffn.expand.bias)
        @ ffn.contract.weight.T
        + ffn.contract.bias
    )
    expected = h + ffn_out
    with torch.no_grad():
        got = block(x[None], causal=True)[0]
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)


def test_config_validates_choices():
    with pytest.raises(ValueError, match="activation"):
        TransformerConfig(activation="tanh")
    with pytest.raises(ValueError, match="positional"):
        TransformerConfig(positional="rotary")


# -- GPT stack -----------------------------------------------------------------


def _tiny_gpt(**kwargs):
    torch.manual_seed(0)
    config = dict(vocab_size=11, block_size=16, embedding_dim=16, n_heads=2, n_layers=2)
    config.update(kwargs)
    return CausalTransformer(TransformerConfig(**config)).eval()


def test_causality_future_tokens_never_change_the_past():
    model = _tiny_gpt()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 11, (3, 12), generator=g)
    with torch.no_grad():
        logits = model(ids)
        for t in range(11):
            changed = ids.clone()
            changed[:, t + 1 :] = torch.randint(0, 11, (3, 11 - t), generator=g)
            torch.testing.assert_close(
                model(changed)[:, : t + 1], logits[:, : t + 1], atol=1e-6, rtol=0
            )
        # and changing the past does change the present
        changed = ids.clone()
        changed[:, 0] = (changed[:, 0] + 1) % 11
        assert not torch.allclose(model(changed)[:, -1], logits[:, -1])


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_cached_decoding_equals_full_forward(positional):
    model = _tiny_gpt(positional=positional)
    ids = torch.randint(0, 11, (2, 10), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        full = model(ids)
        cache = model.new_cache(2)
        steps = [model(ids[:, :4], cache=cache)]  # a 4-token prefill
        steps += [model(ids[:, t : t + 1], cache=cache) for t in range(4, 7)]
        steps.append(model(ids[:, 7:], cache=cache))  # 3 tokens after the cache
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)
    assert cache[0].length == 10


def test_forward_rejects_sequences_longer_than_block():
    model = _tiny_gpt()
    with pytest.raises(ValueError, match="block_size=16"):
        model(torch.zeros(1, 17, dtype=torch.long))


def test_output_layer_is_tied_and_init_is_scaled():
    model = _tiny_gpt(embedding_dim=64, n_layers=4)
    assert model.head.weight is model.token_embedding.weight
    std = 0.02 / math.sqrt(2 * 4)
    contract = model.stack.blocks[0].feedforward.contract.weight
    assert contract.std().item() == pytest.approx(std, rel=0.1)
    expand = model.stack.blocks[0].feedforward.expand.weight
    assert expand.std().item() == pytest.approx(0.02, rel=0.1)


def test_gpt_accepts_embeddings_instead_of_ids():
    model = _tiny_gpt()
    ids = torch.randint(0, 11, (2, 5))
    with torch.no_grad():
        torch.testing.assert_close(
            model(embeddings=model.token_embedding(ids)), model(ids)
        )


def test_gpt2_small_parameter_count_without_allocating():
    """GPT-2 small is a configuration: ~124M parameters with tied embeddings.

    (The lecture's table says 117M and a vocabulary of 50,247; 117M is the figure
    of the GPT-2 paper, whose released small model has 124M with the 50,257-token
    vocabulary.)
    """
    config = TransformerConfig(
        vocab_size=50257,
        block_size=1024,
        embedding_dim=768,
        n_heads=12,
        n_layers=12,
        feedforward_dim=3072,
    )
    with torch.device("meta"):
        model = CausalTransformer(config)
    assert next(model.parameters()).is_meta
    n_params = sum(p.numel() for p in model.parameters())  # tied: counted once
    assert n_params == 124_439_808
    positions = model.stack.position.embedding.weight.numel()
    assert n_params - positions == 123_653_376  # nanoGPT's "123.65M"
    assert model.stack.blocks[0].attention.embedding_dim // 12 == 64  # head size


# -- encoder stack --------------------------------------------------------------


def _tiny_encoder(positional, pooling="mean"):
    torch.manual_seed(0)
    config = TransformerConfig(
        vocab_size=9,
        block_size=8,
        embedding_dim=16,
        n_heads=2,
        n_layers=2,
        positional=positional,
    )
    return SequenceEncoder(config, n_outputs=3, pooling=pooling).eval()


def test_encoder_without_positions_is_permutation_equivariant():
    ids = torch.randint(0, 9, (4, 7), generator=torch.Generator().manual_seed(3))
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        plain = _tiny_encoder(None)
        torch.testing.assert_close(
            plain.encode(ids[:, perm]), plain.encode(ids)[:, perm], atol=1e-5, rtol=0
        )
        torch.testing.assert_close(
            plain(ids[:, perm]), plain(ids), atol=1e-5, rtol=0
        )  # mean pooling: invariant
        positioned = _tiny_encoder("learned")
        assert not torch.allclose(
            positioned.encode(ids[:, perm]), positioned.encode(ids)[:, perm], atol=1e-3
        )


def test_encoder_padding_is_ignored():
    model = _tiny_encoder("learned")
    ids = torch.tensor([[1, 2, 3, 0, 0], [1, 2, 3, 7, 8]])
    padding = torch.tensor([[False, False, False, True, True], [False] * 5])
    with torch.no_grad():
        padded = model(ids, padding)
        alone = model(ids[:1, :3])
    torch.testing.assert_close(padded[:1], alone, atol=1e-5, rtol=0)


def test_encoder_first_token_pooling():
    model = _tiny_encoder("learned", pooling="first")
    ids = torch.tensor([[1, 2, 3]])
    with torch.no_grad():
        h = model.encode(ids)
        torch.testing.assert_close(model.pool(h), h[:, 0])
