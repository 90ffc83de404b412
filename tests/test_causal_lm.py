"""CausalLMTransformer: training, prediction, scoring, generation, bad input."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sklearn_attnrec import CausalLMTransformer, CharTokenizer

TINY = dict(
    embedding_dim=16,
    n_heads=2,
    n_layers=1,
    block_size=8,
    warmup_steps=0,
    learning_rate=1e-2,
    min_learning_rate=1e-2,
    random_state=0,
)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def cycle():
    """Sequences of the cycle 0 1 2 3 0 1 ..., each starting at a random phase."""
    rng = np.random.RandomState(0)
    X = (rng.randint(0, 4, size=(16, 1)) + np.arange(20)) % 4
    return X


@pytest.fixture(scope="module")
def fitted(cycle):
    return CausalLMTransformer(max_iter=40, **TINY).fit(cycle)


def test_learns_a_deterministic_sequence(fitted):
    assert fitted.loss_curve_[-1] < 0.05
    assert fitted.predict([[0, 1, 2], [3], [2, 3, 0, 1]]).tolist() == [3, 0, 2]
    proba = fitted.predict_proba([[1]])
    assert proba.shape == (1, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert proba[0, 2] > 0.95
    assert fitted.score([[0, 1, 2, 3, 0, 1]]) > -0.05  # perplexity near 1
    assert fitted.vocab_size_ == 4
    assert fitted.n_iter_ == 40


def test_score_is_the_mean_log_likelihood(fitted):
    sequences = [[0, 1, 3, 3, 0], [2, 2, 1]]  # surprising tokens: low likelihood
    logs = []
    for seq in sequences:
        for t in range(1, len(seq)):
            logs.append(np.log(fitted.predict_proba([seq[:t]])[0, seq[t]]))
    assert fitted.score(sequences) == pytest.approx(np.mean(logs), rel=1e-5)
    assert fitted.score(sequences) < -1.0


def test_long_sequences_use_the_last_block(fitted):
    long = np.arange(30) % 4
    np.testing.assert_allclose(
        fitted.predict_proba([long]), fitted.predict_proba([long[-8:]]), rtol=1e-6
    )
    # score tiles long sequences into windows of block_size targets
    assert fitted.score([long]) > -0.1


def test_transform_is_the_last_hidden_state(fitted):
    hidden = fitted.transform([[0, 1, 2], [0, 1]])
    assert hidden.shape == (2, 16) and hidden.dtype == np.float32
    module = fitted.net_.module_
    with torch.no_grad():
        h = module.encode(torch.tensor([[0, 1, 2]]))[0, -1]
        np.testing.assert_allclose(hidden[0], h.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(
            fitted.predict_proba([[0, 1, 2]])[0],
            torch.softmax(module.head(h), -1).double().numpy(),
            rtol=1e-5,
        )
    assert fitted.get_feature_names_out()[0] == "causallmtransformer0"


def test_ragged_and_padded_inputs_agree(cycle):
    ragged = [cycle[0, :20], cycle[1, :13], cycle[2, :7]]
    padded = np.full((3, 20), 9)
    for i, seq in enumerate(ragged):
        padded[i, : len(seq)] = seq
    a = CausalLMTransformer(max_iter=3, vocab_size=10, **TINY).fit(ragged)
    b = CausalLMTransformer(max_iter=3, pad_token_id=9, **TINY).fit(padded)
    assert a.vocab_size_ == b.vocab_size_ == 10
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-4)
    np.testing.assert_array_equal(a.predict(ragged), b.predict(padded))


@pytest.mark.parametrize("prompt_length, new", [(3, 4), (6, 12)])
def test_generation_with_cache_equals_without(fitted, prompt_length, new):
    # (6, 12) runs past block_size=8: the documented fallback recomputes the last
    # block, exactly as generation without the cache does.
    prompt = np.arange(prompt_length) % 4
    cached = fitted.generate(prompt, max_new_tokens=new, temperature=0)
    plain = fitted.generate(prompt, max_new_tokens=new, temperature=0, use_cache=False)
    np.testing.assert_array_equal(cached, plain)
    expected = (np.arange(prompt_length, prompt_length + new)) % 4
    np.testing.assert_array_equal(cached, expected)


def test_generation_of_an_untrained_model_matches_without_cache():
    X = np.random.RandomState(0).randint(0, 13, size=(4, 12))
    lm = CausalLMTransformer(max_steps=1, **TINY).fit(X)
    prompts = X[:2, :5]
    np.testing.assert_array_equal(
        lm.generate(prompts, max_new_tokens=10, temperature=0),
        lm.generate(prompts, max_new_tokens=10, temperature=0, use_cache=False),
    )
    sampled = lm.generate(prompts, 10, temperature=1.0, random_state=3)
    assert sampled.shape == (2, 10)
    np.testing.assert_array_equal(
        sampled, lm.generate(prompts, 10, temperature=1.0, random_state=3)
    )
    np.testing.assert_array_equal(
        sampled,
        lm.generate(prompts, 10, temperature=1.0, random_state=3, use_cache=False),
    )
    np.testing.assert_array_equal(
        lm.generate(prompts, 10, top_k=1, random_state=0),
        lm.generate(prompts, 10, temperature=0),
    )
    assert lm.generate(prompts[0], 0).shape == (0,)


def test_random_state_reproducible_and_global_rng_untouched(cycle):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    a = CausalLMTransformer(max_iter=2, **TINY).fit(cycle)
    torch.testing.assert_close(torch.rand(3), expected)
    b = CausalLMTransformer(max_iter=2, **TINY).fit(cycle)
    assert a.loss_curve_ == b.loss_curve_
    c = CausalLMTransformer(max_iter=2, **dict(TINY, random_state=1)).fit(cycle)
    assert a.loss_curve_ != c.loss_curve_


def test_max_steps_and_history(cycle):
    lm = CausalLMTransformer(max_steps=5, batch_size=4, **TINY).fit(cycle)
    # an epoch tiles 16 sequences of 19 targets with blocks of 8: 48 windows
    assert lm.n_steps_ == 5 and lm.n_iter_ == 1
    lrs = [b["event_lr"] for b in lm.net_.history[-1, "batches"]]
    assert len(lrs) == 5


def test_early_stopping_holds_out_the_tail(cycle):
    lm = CausalLMTransformer(
        max_iter=50, early_stopping=True, n_iter_no_change=2, tol=0.5, **TINY
    ).fit(cycle)
    assert len(lm.validation_loss_curve_) == lm.n_iter_ < 50


def test_quiet_by_default_and_verbose_prints(cycle, capsys):
    CausalLMTransformer(max_iter=1, **TINY).fit(cycle)
    assert capsys.readouterr().out == ""
    CausalLMTransformer(max_iter=1, verbose=1, **TINY).fit(cycle)
    assert "train_loss" in capsys.readouterr().out


def test_user_callbacks_run(cycle):
    class CountEpochs(Callback):
        def initialize(self):
            self.epochs_ = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs_ += 1

    counter = CountEpochs()
    lm = CausalLMTransformer(max_iter=3, callbacks=[counter], **TINY).fit(cycle)
    assert dict(lm.net_.callbacks_)["user_callback_0"].epochs_ == 3
    assert not hasattr(counter, "epochs_")  # the parameter is not modified


def test_pickle_round_trip(fitted):
    again = pickle.loads(pickle.dumps(fitted))
    X = [[0, 1], [2, 3, 0]]
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(
        again.generate([1, 2], 6, temperature=0),
        fitted.generate([1, 2], 6, temperature=0),
    )


def test_grid_search_uses_the_log_likelihood(cycle):
    search = GridSearchCV(
        CausalLMTransformer(max_iter=2, **TINY), {"n_layers": [1, 2]}, cv=2
    ).fit(cycle)
    assert np.isfinite(search.best_score_) and search.best_score_ < 0


def test_fits_tiny_shakespeare(shared_data_home):
    path = shared_data_home / "shakespeare_char" / "input.txt"
    if not path.is_file():
        pytest.skip("shakespeare_char/input.txt not found")
    text = path.read_text()[:20000]
    tok = CharTokenizer().fit([text])
    ids = tok.transform([text[:18000], text[18000:]])
    lm = CausalLMTransformer(
        embedding_dim=32,
        n_heads=2,
        n_layers=1,
        block_size=32,
        max_steps=100,
        batch_size=16,
        learning_rate=1e-2,
        warmup_steps=0,
        random_state=0,
    ).fit([ids[0]])
    # better than predicting characters by their frequency alone (-3.41)
    counts = np.bincount(ids[0], minlength=tok.vocab_size_) + 1
    unigram = np.log(counts / counts.sum())[ids[1][1:]].mean()
    assert lm.score([ids[1]]) > unigram + 0.5


# -- bad input --------------------------------------------------------------


def test_predict_before_fit():
    with pytest.raises(NotFittedError):
        CausalLMTransformer().predict([[1, 2]])
    with pytest.raises(NotFittedError):
        CausalLMTransformer().generate([1, 2])


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "Expected 2D array"),
        ([[1], [2]], "1 feature"),
        ([[1, 2], [3]], None),  # valid: one sequence has a target
        ([np.array([1, 2]), np.array([], dtype=int)], "fewer than 1 token"),
        ([[0.5, 1.0], [1.0, 2.0]], "integer token ids"),
        ([[-1, 2], [1, 2]], "Negative values"),
        (["some text"], "tokenize|CharTokenizer"),
        ([1, 2, 3], "Reshape your data"),
        ([[1, np.nan]], "NaN"),
    ],
)
def test_bad_training_input(X, match):
    lm = CausalLMTransformer(max_iter=1, **TINY)
    if match is None:
        lm.fit(X)
        return
    with pytest.raises(ValueError, match=match):
        lm.fit(X)


def test_sequences_without_targets_are_refused():
    lm = CausalLMTransformer(max_iter=1, pad_token_id=9, **TINY)
    with pytest.raises(ValueError, match="no sequence of X has 2 tokens"):
        lm.fit([[1, 9, 9], [2, 9, 9]])


def test_bad_prediction_input(fitted):
    with pytest.raises(ValueError, match="out of range for vocab_size=4"):
        fitted.predict([[0, 7]])
    with pytest.raises(ValueError, match="fewer than 1 token"):
        fitted.predict([np.array([1, 2]), np.array([], dtype=int)])
    with pytest.raises(ValueError, match="Reshape your data"):
        fitted.predict(np.array([1, 2]))
    with pytest.raises(ValueError, match="same length"):
        fitted.generate([np.array([1, 2]), np.array([1])])
    with pytest.raises(ValueError, match="temperature"):
        fitted.generate([1], temperature=-1.0)
    with pytest.raises(ValueError, match="no sequence of X has 2 tokens"):
        fitted.score([[1], [2]])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"embedding_dim": 10, "n_heads": 4}, "divisible"),
        ({"block_size": 0}, "block_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"activation": "tanh"}, "activation"),
        ({"positional": "rotary"}, "positional"),
        ({"vocab_size": 2}, "vocab_size=2"),
        ({"max_steps": 0}, "max_steps"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"device": "cuda:99"}, "CUDA|cuda"),
    ],
)
def test_bad_parameters(cycle, params, match):
    lm = clone(CausalLMTransformer(max_iter=1, **TINY)).set_params(**params)
    if params.get("device") and torch.cuda.device_count() > 99:
        pytest.skip("has a 100th GPU")
    with pytest.raises(ValueError, match=match):
        lm.fit(cycle)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_device(cycle):
    lm = CausalLMTransformer(max_iter=2, device="cuda", **TINY).fit(cycle)
    assert next(lm.net_.module_.parameters()).is_cuda
    assert lm.predict(cycle[:2]).shape == (2,)
    np.testing.assert_array_equal(
        lm.generate([0, 1], 5, temperature=0),
        lm.generate([0, 1], 5, temperature=0, use_cache=False),
    )


def test_attention_weights_show_the_causal_mask(fitted):
    weights = fitted.attention_weights([[0, 1, 2, 3, 0], [1, 2]])
    assert weights.shape == (2, 1, 2, 5, 5)
    upper = np.triu_indices(5, k=1)
    assert (weights[:, :, :, upper[0], upper[1]] == 0).all()
    np.testing.assert_allclose(weights[0].sum(-1), 1.0, atol=1e-5)
    assert (weights[1, :, :, 2:] == 0).all()  # padding rows
    with pytest.raises(ValueError, match="longer than block_size=8"):
        fitted.attention_weights([np.arange(9) % 4])


def test_fit_transform_equals_fit_then_transform(cycle):
    # what check_transformer_general (an expected failure in test_common, for
    # its fixed-width check only) would otherwise cover
    lm = CausalLMTransformer(max_iter=2, **TINY)
    np.testing.assert_allclose(
        clone(lm).fit_transform(cycle), clone(lm).fit(cycle).transform(cycle), rtol=1e-5
    )


def test_bias_false_drops_every_bias_and_still_learns(cycle):
    with_bias = CausalLMTransformer(max_iter=30, **TINY).fit(cycle)
    without = CausalLMTransformer(max_iter=30, bias=False, **TINY).fit(cycle)
    names = [n for n, _ in without.net_.module_.named_parameters()]
    assert not any(n.endswith(".bias") for n in names), names
    assert any(
        n.endswith(".bias") for n, _ in with_bias.net_.module_.named_parameters()
    )
    assert without.score(cycle) > -0.5  # the cycle is learned either way
