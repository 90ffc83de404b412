"""Bad and degenerate input, table-driven over every public estimator.

Estimators are discovered automatically (``all_estimators``) with the tiny
``_test_params`` configurations, and grouped by the input they take:

- ``interactions``: recommenders of ``(user, item[, rating])`` rows;
- ``sequential``: recommenders that also read a time column and histories
  (they get the interaction cases too);
- ``texts``: tokenizers;
- ``sequences``: models of token-id sequences (block_size context).

Each case asserts a clear error (``match=`` on the words that name the problem)
or the documented fallback value. What ``test_recommender_common.py`` already
checks for every recommender (NaN/inf ratings, NaN ids, empty X, mismatched
lengths, mixed id types, string ids, duplicate pairs averaged in
``user_items_``, unknown ids raising with ``handle_unknown="error"``) is not
repeated here.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_attnrec import BaselineRegressor, SequentialRecommender
from sklearn_attnrec.datasets import make_interactions, make_sequences
from sklearn_attnrec.utils import all_estimators
from sklearn_attnrec.utils._testing import estimator_instances, fast_params

pytestmark = [
    pytest.mark.usefixtures("torch_one_thread"),
    # Tiny data: the defaults ask for more neighbours or factors than exist.
    pytest.mark.filterwarnings("ignore:.*asks for more neighbours:UserWarning"),
    pytest.mark.filterwarnings("ignore:n_components=.* is larger:UserWarning"),
]


def _kind(estimator):
    """The kind of input an estimator declares (``_input_kind``)."""
    return getattr(estimator, "_input_kind", None)


ESTIMATORS = estimator_instances()
KINDS = {type(est).__name__: _kind(est) for est in ESTIMATORS}


def _of_kind(*kinds):
    found = [est for est in ESTIMATORS if KINDS[type(est).__name__] in kinds]
    return pytest.mark.parametrize(
        "estimator", found, ids=[type(est).__name__ for est in found]
    )


def _fit(estimator, X, y=None, **params):
    """Fit a clone, seeded where the estimator is random."""
    estimator = clone(estimator).set_params(**params)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator.fit(X, y)


def _is_supervised(estimator):
    return estimator.__sklearn_tags__().target_tags.required


@pytest.fixture(scope="module")
def interactions():
    return make_interactions(n_users=20, n_items=12, density=0.3, random_state=0)


@pytest.fixture(scope="module")
def token_ids():
    rng = np.random.RandomState(0)
    X = rng.randint(1, 6, size=(12, 6))
    return X, (X == 3).any(axis=1).astype(int)


def test_every_estimator_has_an_input_kind():
    assert len(ESTIMATORS) == len(all_estimators())
    assert None not in KINDS.values(), KINDS
    assert set(KINDS.values()) == {"interactions", "sequential", "texts", "sequences"}


# --------------------------------------------------------------------------- #
# Use before fit: every public method of every estimator
# --------------------------------------------------------------------------- #
_METHODS = {
    "interactions": {
        "predict": ([[0, 1]],),
        "transform": ([[0, 1]],),
        "recommend": ([0],),
        "similar_items": ([1],),
        "recommend_for_history": ([[1, 2]],),
        "score": ([[0, 1]], [1.0]),
    },
    "texts": {"transform": (["ab"],), "inverse_transform": ([[0, 1]],)},
    "sequences": {
        "predict": ([[1, 2, 3]],),
        "predict_proba": ([[1, 2, 3]],),
        "transform": ([[1, 2, 3]],),
        "attention_weights": ([[1, 2, 3]],),
        "generate": ([1, 2],),
        "score": ([[1, 2, 3]], [1]),
    },
}
_METHODS["sequential"] = _METHODS["interactions"]


def _unfitted_param(estimator, method, args):
    case = f"{type(estimator).__name__}-{method}"
    return pytest.param(estimator, method, args, id=case)


UNFITTED = [
    _unfitted_param(est, method, args)
    for est in ESTIMATORS
    for method, args in _METHODS[KINDS[type(est).__name__]].items()
    if hasattr(est, method)
]


@pytest.mark.parametrize("estimator, method, args", UNFITTED)
def test_use_before_fit_raises_not_fitted(estimator, method, args):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(clone(estimator), method)(*args)


# --------------------------------------------------------------------------- #
# Interaction rows: ids of any range, degenerate data, wrong dtypes
# --------------------------------------------------------------------------- #
# Id transformations that keep the order of the ids, so the encoded indices,
# hence even a randomly initialised model, must be identical to the reference.
ID_CASES = [
    ("negative ids", lambda ids: ids - 1_000),
    ("huge ids 2**62", lambda ids: ids + 2**62),
    ("huge ids as python ints in lists", lambda ids: (ids + 2**62).tolist()),
    ("uint64 ids above 2**63", lambda ids: ids.astype(np.uint64) + np.uint64(2**63)),
    ("float ids", lambda ids: ids * 0.5 - 3.25),
]


def _mapped(X, mapping):
    users, items = mapping(X[:, 0]), mapping(X[:, 1])
    if isinstance(users, list):
        return [list(row) for row in zip(users, items)]
    return np.column_stack([users, items])


@_of_kind("interactions", "sequential")
@pytest.mark.parametrize("case, mapping", ID_CASES, ids=[case for case, _ in ID_CASES])
def test_any_id_range_gives_the_same_model(estimator, case, mapping, interactions):
    X, y = interactions
    reference = _fit(estimator, X, y)
    X_mapped = _mapped(X, mapping)
    model = _fit(estimator, X_mapped, y)
    np.testing.assert_allclose(model.predict(X_mapped), reference.predict(X))
    items, scores = model.recommend(mapping(X[:3, 0]), n=4)
    ref_items, ref_scores = reference.recommend(X[:3, 0], n=4)
    np.testing.assert_allclose(scores, ref_scores)
    # The recommended raw ids are the mapped reference ids, in the same order.
    expected = np.asarray(mapping(ref_items.ravel())).reshape(ref_items.shape)
    assert items.tolist() == expected.tolist()


DEGENERATE = [
    ("one user", [[7, 0], [7, 1], [7, 2], [7, 3]], [1.0, 2.0, 4.0, 5.0]),
    ("one item", [[0, 7], [1, 7], [2, 7], [3, 7]], [1.0, 2.0, 4.0, 5.0]),
    ("one row", [[7, 8]], [4.0]),
    ("one rating value", [[0, 0], [0, 1], [1, 1], [2, 0]], [3.0, 3.0, 3.0, 3.0]),
]


@_of_kind("interactions", "sequential")
@pytest.mark.parametrize("case, X, y", DEGENERATE, ids=[c[0] for c in DEGENERATE])
@pytest.mark.filterwarnings("ignore:.*ratings y that are all equal:UserWarning")
def test_degenerate_data_fits_and_predicts(estimator, case, X, y):
    model = _fit(estimator, X, y)
    X = np.asarray(X)
    predictions = model.predict(X)
    assert predictions.shape == (len(X),) and np.isfinite(predictions).all()
    users = np.unique(X[:, 0])
    n_items = len(np.unique(X[:, 1]))
    items, scores = model.recommend(users, n=10, exclude_seen=False)
    assert items.shape == (len(users), n_items) and np.isfinite(scores).all()
    assert all(sorted(row) == sorted(np.unique(X[:, 1])) for row in items.tolist())
    # Every item was seen by the single user / every user saw the single item.
    if case in ("one user", "one item", "one row"):
        _, scores = model.recommend(users, n=10)
        assert np.isneginf(scores).all()
    if hasattr(model, "rating_range_"):
        assert model.rating_range_ == (min(y), max(y))
        if model.get_params().get("clip"):
            assert (predictions >= min(y)).all() and (predictions <= max(y)).all()


WRONG_DTYPES = [
    (
        "ratings as non-numeric strings (object)",
        [[0, 1], [1, 2]],
        np.array(["good", "bad"], dtype=object),
        "could not convert string to float.*good",
    ),
    (
        "ratings as non-numeric strings (unicode)",
        [[0, 1], [1, 2]],
        np.array(["good", "bad"]),
        "could not convert string to float.*good",
    ),
    ("complex ratings", [[0, 1], [1, 2]], [1 + 1j, 2.0], "Complex data"),
    ("2-D ratings", [[0, 1], [1, 2]], [[1.0, 2.0], [3.0, 4.0]], "1d array"),
    ("3-D X", np.zeros((2, 2, 2)), [1.0, 2.0], "dim 3"),
    ("X a string", "user item", [1.0], "2D array"),
    (
        "missing (None) user ids",
        np.array([[None, 1], [None, 2]], dtype=object),
        [1.0, 2.0],
        "user ids contain missing values",
    ),
    (
        "missing (None) item ids",
        np.array([[0, None], [1, 2]], dtype=object),
        [1.0, 2.0],
        "item ids contain missing values",
    ),
]


@_of_kind("interactions", "sequential")
@pytest.mark.parametrize(
    "case, X, y, message", WRONG_DTYPES, ids=[c[0] for c in WRONG_DTYPES]
)
def test_wrong_dtypes_raise_a_clear_error(estimator, case, X, y, message):
    with pytest.raises(ValueError, match=message):
        clone(estimator).fit(X, y)


def _to_scale(y, low, high, step):
    """Ratings of ``y`` mapped linearly onto ``[low, high]`` in steps of ``step``."""
    unit = (y - y.min()) / (y.max() - y.min())
    return np.round((low + unit * (high - low)) / step) * step


RATING_SCALES = [("0.5 to 5", 0.5, 5.0, 0.5), ("1 to 10", 1.0, 10.0, 1.0)]
RATING_PREDICTORS = [
    est
    for est in ESTIMATORS
    if KINDS[type(est).__name__] == "interactions"
    and est.__sklearn_tags__().estimator_type == "regressor"
]


@pytest.mark.parametrize(
    "estimator", RATING_PREDICTORS, ids=[type(e).__name__ for e in RATING_PREDICTORS]
)
@pytest.mark.parametrize(
    "scale, low, high, step", RATING_SCALES, ids=[s[0] for s in RATING_SCALES]
)
def test_rating_scales(estimator, scale, low, high, step, interactions):
    X, y = interactions
    y = _to_scale(y, low, high, step)
    params = {"feedback": "explicit"} if "feedback" in estimator.get_params() else {}
    model = _fit(estimator, X, y, **params)
    predictions = model.predict(X)
    span = high - low
    assert np.isfinite(predictions).all()
    # Centred on this scale's ratings, not on a hard-coded 1-5 scale.
    assert abs(predictions.mean() - y.mean()) < 0.1 * span
    if model.get_params().get("clip"):
        assert predictions.min() >= low and predictions.max() <= high
        assert np.corrcoef(predictions, y)[0, 1] > 0.5
    else:
        assert predictions.min() >= low - span and predictions.max() <= high + span


def test_baseline_is_equivariant_to_a_change_of_rating_scale(interactions):
    X, y = interactions
    y5 = _to_scale(y, 1.0, 5.0, 1.0)
    y10 = 2.25 * y5 - 1.25  # 1-5 onto 1-10
    model5 = BaselineRegressor(tol=1e-12).fit(X, y5)
    model10 = BaselineRegressor(tol=1e-12).fit(X, y10)
    np.testing.assert_allclose(
        model10.predict(X), 2.25 * model5.predict(X) - 1.25, rtol=1e-9
    )


# --------------------------------------------------------------------------- #
# Unknown ids: the documented fallback *values*
# --------------------------------------------------------------------------- #
def _bias_terms(model):
    """(μ, b_u, b_i) of a model whose fallback is its baseline."""
    source = getattr(model, "baseline_", model)
    return source.global_mean_, source.user_bias_, source.item_bias_


def _fallback_drops_the_unknown_bias(model, user, item):
    mu, b_u, b_i = _bias_terms(model)
    u, i = model.user_ids_.tolist().index(user), model.item_ids_.tolist().index(item)
    expected = np.array([mu + b_i[i], mu + b_u[u], mu])
    if model.get_params().get("clip"):
        expected = np.clip(expected, *model.rating_range_)
    return expected


def _popularity_fallback(model, user, item):
    i = model.item_ids_.tolist().index(item)
    # An unknown item has no interaction: 0; an unknown user scores like anybody.
    return np.array([model.item_popularity_[i], 0.0, 0.0])


def _sequential_fallback(model, user, item):
    i = model.item_ids_.tolist().index(item)
    own_scores = model.predict([[user, j] for j in model.item_ids_])
    # Unknown user: item popularity; unknown item: the user's lowest score.
    return np.array(
        [model.item_popularity_[i], own_scores.min(), model.item_popularity_.min()]
    )


FALLBACKS = {
    "BaselineRegressor": _fallback_drops_the_unknown_bias,
    "MatrixFactorization": _fallback_drops_the_unknown_bias,
    "ItemKNNRegressor": _fallback_drops_the_unknown_bias,
    "UserKNNRegressor": _fallback_drops_the_unknown_bias,
    "PopularityRecommender": _popularity_fallback,
    "SequentialRecommender": _sequential_fallback,
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_unknown_ids_get_the_documented_fallback(name, interactions):
    X, y = interactions
    (estimator,) = [e for e in ESTIMATORS if type(e).__name__ == name]
    model = _fit(estimator, X, y)
    user, item = X[0, 0], X[0, 1]
    rows = [[10_000, item], [user, 10_001], [10_000, 10_001]]
    np.testing.assert_allclose(
        model.predict(rows), FALLBACKS[name](model, user, item), rtol=1e-6
    )


@pytest.mark.parametrize("name", ["PopularityRecommender", "SequentialRecommender"])
def test_unknown_user_is_ranked_by_popularity(name, interactions):
    X, y = interactions
    (estimator,) = [e for e in ESTIMATORS if type(e).__name__ == name]
    model = _fit(estimator, X, y)
    items, scores = model.recommend([10_000], n=5)
    order = np.argsort(-model.item_popularity_, kind="stable")[:5]
    np.testing.assert_allclose(scores[0], model.item_popularity_[order])
    # Ties may be broken either way, but the scores pin the ranking down.
    lookup = dict(zip(model.item_ids_.tolist(), model.item_popularity_))
    assert [lookup[i] for i in items[0].tolist()] == scores[0].tolist()


# --------------------------------------------------------------------------- #
# Sequential recommender: [user, item, timestamp] rows and histories
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def timed():
    return make_sequences(n_users=10, n_items=8, random_state=0)


SEQUENTIAL = _of_kind("sequential")


def _with_times(X, times):
    out = X.astype(object)
    out[:, 2] = times
    return out


TIMESTAMP_ERRORS = [
    ("unparseable timestamps", lambda X: _with_times(X, "yesterday"), "timestamps"),
    (
        "NaN timestamp",
        lambda X: np.where(np.arange(3) == 2, np.nan, X.astype(float)),
        "NaN",
    ),
    (
        "inf timestamp",
        lambda X: np.where(np.arange(3) == 2, np.inf, X.astype(float)),
        "infinity",
    ),
]


@SEQUENTIAL
@pytest.mark.parametrize(
    "case, make, message", TIMESTAMP_ERRORS, ids=[c[0] for c in TIMESTAMP_ERRORS]
)
def test_bad_timestamps_raise(estimator, case, make, message, timed):
    with pytest.raises(ValueError, match=message):
        clone(estimator).fit(make(timed))


TIMESTAMP_FORMS = [
    ("shuffled rows", lambda X: X[np.random.RandomState(0).permutation(len(X))]),
    (
        "datetime64",
        lambda X: _with_times(
            X, np.datetime64("2020-01-01") + X[:, 2].astype("timedelta64[s]")
        ),
    ),
    (
        "ISO strings",
        lambda X: _with_times(
            X,
            np.datetime_as_string(
                np.datetime64("2020-01-01") + X[:, 2].astype("timedelta64[s]")
            ),
        ),
    ),
]


@SEQUENTIAL
@pytest.mark.parametrize(
    "case, make", TIMESTAMP_FORMS, ids=[c[0] for c in TIMESTAMP_FORMS]
)
def test_timestamps_order_the_histories(estimator, case, make, timed):
    reference = _fit(estimator, timed)
    model = _fit(estimator, make(timed))
    np.testing.assert_array_equal(model.histories_, reference.histories_)


@SEQUENTIAL
def test_history_longer_than_max_len_uses_the_last_items(estimator, timed):
    model = _fit(estimator, timed)
    max_len = model.get_params()["block_size"]
    history = np.tile(model.item_ids_, 3)
    assert len(history) > max_len
    long = model.recommend_for_history([history], n=5, exclude_seen=False)
    last = model.recommend_for_history([history[-max_len:]], n=5, exclude_seen=False)
    np.testing.assert_array_equal(long[0], last[0])
    np.testing.assert_allclose(long[1], last[1])


@SEQUENTIAL
def test_history_unknown_items_are_dropped_or_named(estimator, timed):
    model = _fit(estimator, timed)
    known = model.item_ids_[[2, 0]].tolist()
    with_unknown = model.recommend_for_history([[known[0], 999, known[1]]], n=3)
    without = model.recommend_for_history([known], n=3)
    np.testing.assert_array_equal(with_unknown[0], without[0])
    np.testing.assert_allclose(with_unknown[1], without[1])
    strict = _fit(estimator, timed, handle_unknown="error")
    with pytest.raises(ValueError, match=r"unknown item id.*999"):
        strict.recommend_for_history([[known[0], 999]])


@SEQUENTIAL
def test_empty_history_and_unknown_user_get_popularity(estimator, timed):
    model = _fit(estimator, timed)
    items, scores = model.recommend_for_history([[]], n=3)
    assert items.shape == (1, 3) and np.isfinite(scores).all()
    np.testing.assert_array_equal(items, model.recommend([10_000], n=3)[0])
    states = model.transform([[10_000, 0, 0], [10_001, 5, 1]])
    assert np.isfinite(states).all()
    np.testing.assert_array_equal(states[0], states[1])
    strict = _fit(estimator, timed, handle_unknown="error")
    with pytest.raises(ValueError, match=r"unknown user id.*10000"):
        strict.transform([[10_000, 0, 0]])


@SEQUENTIAL
def test_duplicate_pairs_are_repeated_steps_of_a_history(estimator):
    # Averaged in user_items_ (test_recommender_common.py), but each row is one
    # step of the user's sequence (documented in the Notes).
    X = [[0, "a", 1], [0, "b", 2], [0, "a", 3], [1, "b", 1], [1, "a", 2]]
    model = _fit(estimator, X, [2.0, 5.0, 4.0, 1.0, 1.0])
    assert model.user_items_.toarray().tolist() == [[3.0, 5.0], [1.0, 1.0]]
    history = model.histories_[0]
    assert model.item_ids_[history[history > 0] - 1].tolist() == ["a", "b", "a"]


@SEQUENTIAL
def test_no_user_with_a_next_item_gives_an_untrained_model(estimator):
    X = [[0, 1, 5], [1, 2, 6], [2, 1, 7]]  # one interaction per user
    model = _fit(estimator, X)
    assert model.n_iter_ == 0 and model.loss_curve_ == []
    assert np.isfinite(model.predict(X)).all()


# --------------------------------------------------------------------------- #
# Tokenizers: texts
# --------------------------------------------------------------------------- #
TOKENIZERS = _of_kind("texts")

TEXT_ERRORS = [
    ("no texts", [], "no texts"),
    ("only empty texts", ["", ""], "empty vocabulary"),
    ("a single string", "some text", "single string"),
    ("None among texts", ["a b", None], "element 1 is NoneType"),
    ("NaN among texts", ["a b", np.nan], "element 1 is float"),
    ("bytes", [b"a b"], "element 0 is bytes"),
    ("not iterable", 3, "Iterable over raw texts"),
]


@TOKENIZERS
@pytest.mark.parametrize(
    "case, X, message", TEXT_ERRORS, ids=[c[0] for c in TEXT_ERRORS]
)
def test_tokenizer_bad_texts_raise(estimator, case, X, message):
    with pytest.raises(ValueError, match=message):
        clone(estimator).fit(X)


@TOKENIZERS
def test_tokenizer_empty_texts(estimator):
    tokenizer = clone(estimator).fit(["ab cd", ""])
    ids = tokenizer.transform(["", "ab"])
    assert ids[0].shape == (0,) and ids[0].dtype == np.int64 and len(ids[1]) > 0
    assert tokenizer.inverse_transform(ids[:1]) == [""]
    padded = clone(estimator).set_params(padding=True).fit(["ab"]).transform(["", ""])
    assert padded.shape == (2, 0)
    assert clone(estimator).set_params(padding=True).fit(["ab"]).transform(
        []
    ).shape == (0, 0)
    wrapped = clone(estimator).set_params(add_bos=True, add_eos=True).fit(["ab"])
    assert wrapped.transform([""])[0].tolist() == [
        wrapped.bos_token_id_,
        wrapped.eos_token_id_,
    ]


@TOKENIZERS
def test_tokenizer_unknown_tokens_map_to_unk_or_are_named(estimator):
    tokenizer = clone(estimator).fit(["ab"])
    ids = tokenizer.transform(["zz"])[0]
    assert len(ids) > 0 and set(ids.tolist()) == {tokenizer.unk_token_id_}
    strict = clone(estimator).set_params(unk_token=None).fit(["ab"])
    with pytest.raises(ValueError, match=r"unknown token\(s\).*z"):
        strict.transform(["zz"])


@TOKENIZERS
@pytest.mark.parametrize(
    "ids, message",
    [
        ([[0, 99]], r"ids outside \[0, "),
        ([[-1]], r"ids outside \[0, "),
        ([[0.5, 1.0]], "not a 1-D sequence of integer ids"),
        ([[[0, 1]]], "not a 1-D sequence of integer ids"),
    ],
    ids=["too large", "negative", "floats", "2-D"],
)
def test_tokenizer_inverse_transform_bad_ids(estimator, ids, message):
    tokenizer = clone(estimator).fit(["ab cd"])
    with pytest.raises(ValueError, match=message):
        tokenizer.inverse_transform(ids)


# --------------------------------------------------------------------------- #
# Token-id sequence models
# --------------------------------------------------------------------------- #
SEQUENCE_MODELS = _of_kind("sequences")


def _targets(estimator, y, n):
    return y[:n] if _is_supervised(estimator) else None


SEQUENCE_ERRORS = [
    ("empty X", lambda X: np.empty((0, 6)), "0 sample"),
    ("NaN id", lambda X: np.where(X == 2, np.nan, X), "NaN"),
    ("inf id", lambda X: np.where(X == 2, np.inf, X), "infinity"),
    ("non-integer ids", lambda X: X + 0.5, "integer token ids"),
    ("negative ids", lambda X: -X, "token ids must be >= 0"),
    ("string ids", lambda X: X.astype(str), "strings"),
    ("texts", lambda X: ["abc", "def"], "token ids first"),
    ("one sequence as 1-D", lambda X: X[0], "2D array"),
    ("an empty sequence", lambda X: [X[0], [], X[1][:3]], r"fewer than 1 token"),
    ("huge id 2**62", lambda X: np.where(X == 2, 2**62, X), "token id"),
    ("sparse ids", lambda X: X * 10**7, "map the ids"),
]


@SEQUENCE_MODELS
@pytest.mark.parametrize(
    "case, make, message",
    [pytest.param(*c, id=c[0]) for c in SEQUENCE_ERRORS],
)
def test_sequence_bad_ids_raise(estimator, case, make, message, token_ids):
    X, y = token_ids
    X_bad = make(X)
    with pytest.raises(ValueError, match=message):
        clone(estimator).fit(X_bad, _targets(estimator, y, len(X_bad)))


def _supervised(estimators):
    found = [e for e in estimators if _is_supervised(e)]
    return pytest.mark.parametrize(
        "estimator", found, ids=[type(e).__name__ for e in found]
    )


TARGET_ERRORS = [
    ("y missing", {}, lambda y: None, "requires y"),
    ("mismatched lengths", {}, lambda y: y[:-1], "inconsistent numbers"),
    ("NaN target", {"task": "regression"}, lambda y: y / (y > 0), "y contains NaN"),
    (
        "inf target",
        {"task": "regression"},
        lambda y: 1 / (y == 0),
        "y contains infinity",
    ),
    (
        "string target for regression",
        {"task": "regression"},
        lambda y: np.array(["a"] * len(y), dtype=object),
        "could not convert string to float",
    ),
    ("continuous target for classification", {}, lambda y: y + 0.5, "continuous"),
]


@_supervised([e for e in ESTIMATORS if KINDS[type(e).__name__] == "sequences"])
@pytest.mark.parametrize(
    "case, params, make, message", TARGET_ERRORS, ids=[c[0] for c in TARGET_ERRORS]
)
def test_sequence_bad_targets_raise(estimator, case, params, make, message, token_ids):
    X, y = token_ids
    with np.errstate(all="ignore"):
        y_bad = make(y.astype(float) if params else y)
    with pytest.raises(ValueError, match=message):
        clone(estimator).set_params(**params).fit(X, y_bad)


@SEQUENCE_MODELS
def test_sequence_one_sequence_fits(estimator, token_ids):
    X, y = token_ids
    model = _fit(estimator, X[:1], _targets(estimator, y, 1))
    assert model.transform(X[:1]).shape == (1, model.get_params()["embedding_dim"])
    assert len(model.predict(X[:3])) == 3


@SEQUENCE_MODELS
def test_sequence_unknown_token_id_at_predict_is_named(estimator, token_ids):
    X, y = token_ids
    model = _fit(estimator, X, _targets(estimator, y, len(X)))
    with pytest.raises(ValueError, match=r"token id 15 .*out of range.*vocab_size=6"):
        model.predict(X[:2] + 10)


BLOCK = 8


def _long_sequences():
    return np.random.RandomState(1).randint(1, 6, size=(4, 3 * BLOCK))


@SEQUENCE_MODELS
def test_sequence_longer_than_block_size(estimator, token_ids):
    X, y = token_ids
    long = _long_sequences()
    model = _fit(estimator, X, _targets(estimator, y, len(X)), block_size=BLOCK)
    message = rf"sequence of {3 * BLOCK} tokens, longer than block_size={BLOCK}"
    # Attention maps are per position: no cropping there.
    with pytest.raises(ValueError, match=message):
        model.attention_weights(long)
    if _is_supervised(estimator):
        # An encoder reads whole sequences: a longer one is an error, in fit too.
        with pytest.raises(ValueError, match=message):
            model.predict(long)
        with pytest.raises(ValueError, match=message):
            _fit(estimator, long, y[:4], block_size=BLOCK)
    else:
        # A causal LM reads the last block_size tokens (documented cropping) ...
        np.testing.assert_array_equal(
            model.predict(long), model.predict(long[:, -BLOCK:])
        )
        np.testing.assert_allclose(
            model.transform(long), model.transform(long[:, -BLOCK:]), rtol=1e-6
        )
        # ... and trains on windows of block_size tokens of longer sequences.
        fitted = _fit(estimator, long, block_size=BLOCK)
        assert fitted.n_iter_ == fitted.get_params()["max_iter"]
        assert np.isfinite(fitted.loss_curve_).all()


@SEQUENCE_MODELS
def test_sequence_too_short_for_a_target(estimator, token_ids):
    X, y = token_ids
    if _is_supervised(estimator):
        # One token is a whole sequence for an encoder.
        model = _fit(estimator, X[:, :1], y)
        assert model.predict(X[:2, :1]).shape == (2,)
    else:
        with pytest.raises(ValueError, match="at least 2 tokens"):
            clone(estimator).fit(X[:, :1])


def test_fast_params_cover_the_torch_models():
    # The tiny configurations this file relies on to stay fast.
    torch_models = {
        name for name, kind in KINDS.items() if kind in ("sequences", "sequential")
    }
    declared = {name for name, cls in all_estimators() if fast_params(cls)}
    assert torch_models <= declared


# --------------------------------------------------------------------------- #
# Every float parameter rejects NaN and infinity (auto-discovered)
# --------------------------------------------------------------------------- #
def _float_params(kinds):
    cases = []
    for est in ESTIMATORS:
        if KINDS[type(est).__name__] not in kinds:
            continue
        for name, value in est.get_params().items():
            if isinstance(value, float):
                for bad in (float("nan"), float("inf")):
                    case = f"{type(est).__name__}-{name}={bad}"
                    cases.append(pytest.param(est, name, bad, id=case))
    return cases


@pytest.mark.parametrize(
    "estimator, name, value", _float_params(("interactions", "sequential"))
)
def test_float_parameters_reject_nan_and_inf(estimator, name, value, interactions):
    X, y = interactions
    with pytest.raises((ValueError, TypeError), match=name):
        _fit(estimator, X, y, **{name: value})


@pytest.mark.parametrize("estimator, name, value", _float_params(("sequences",)))
def test_sequence_float_parameters_reject_nan_and_inf(
    estimator, name, value, token_ids
):
    X, y = token_ids
    with pytest.raises((ValueError, TypeError), match=name):
        _fit(estimator, X, y if _is_supervised(estimator) else None, **{name: value})


# --------------------------------------------------------------------------- #
# Recommenders: ids of the wrong type, refits that fail, score, list length
# --------------------------------------------------------------------------- #
@_of_kind("interactions", "sequential")
def test_ids_of_another_type_than_in_fit_are_named(estimator, interactions):
    X, y = interactions
    model = _fit(estimator, X, y)
    with pytest.raises(ValueError, match="user ids given are of type str"):
        model.predict(X[:, :2].astype(str))
    with pytest.raises(ValueError, match="user ids given are of type str"):
        model.recommend(X[:3, 0].astype(str))


@_of_kind("interactions", "sequential")
def test_a_failed_refit_keeps_the_previous_model(estimator, interactions):
    X, y = interactions
    model = _fit(estimator, X, y)
    before = model.predict(X)
    bad = np.array(X[:, :2], dtype=object)
    bad[0, 0] = None
    with pytest.raises(ValueError, match="missing values"):
        model.fit(bad, y)
    np.testing.assert_array_equal(model.predict(X), before)


@_of_kind("interactions", "sequential")
def test_every_recommender_has_a_score(estimator, interactions):
    """Ranking and implicit-feedback models score by NDCG@10 (in [0, 1], no
    ratings needed); rating regressors keep R²."""
    X, y = interactions
    params = {"feedback": "implicit"} if "feedback" in estimator.get_params() else {}
    model = _fit(estimator, X, y, **params)
    if estimator.__sklearn_tags__().estimator_type == "regressor" and not params:
        # R², scikit-learn's regressor convention.
        from sklearn.metrics import r2_score

        assert model.score(X, y) == pytest.approx(r2_score(y, model.predict(X)))
        return
    score = model.score(X[::2])
    assert 0.0 <= score <= 1.0
    from sklearn_attnrec import make_ranking_scorer

    assert score == pytest.approx(make_ranking_scorer("ndcg", k=10)(model, X[::2]))


@_of_kind("interactions", "sequential")
@pytest.mark.parametrize("n", [True, 0, -1, 2.0, "3"])
def test_recommend_rejects_a_bad_list_length(estimator, n, interactions):
    X, y = interactions
    model = _fit(estimator, X, y)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.recommend(X[:2, 0], n=n)


@_of_kind("interactions", "sequential")
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_recommend_for_history_rejects_missing_ids(estimator, missing, interactions):
    X, y = interactions
    model = _fit(estimator, X, y)
    ratings = None if KINDS[type(estimator).__name__] == "sequential" else [[4.0, 4.0]]
    try:
        with pytest.raises(ValueError, match="missing item id|contain missing"):
            model.recommend_for_history([[X[0, 1], missing]], ratings)
    except NotImplementedError:
        pass


# --------------------------------------------------------------------------- #
# Reproducers of the outside probe (issue 14), one row each
# --------------------------------------------------------------------------- #
def _mf(**params):
    from sklearn_attnrec import MatrixFactorization

    return MatrixFactorization(n_components=4, random_state=0, **params)


def _ncf(**params):
    from sklearn_attnrec import NeuralCF

    return NeuralCF(**{**fast_params(NeuralCF), "random_state": 0, **params})


PROBE_CASES = [
    (
        "SGD on ratings x100 diverges",
        lambda X, y: _mf(solver="sgd").fit(X, 100 * y),
        FloatingPointError,
        "diverged.*learning_rate",
    ),
    (
        "SGD learning_rate=0.5 diverges",
        lambda X, y: _mf(solver="sgd", learning_rate=0.5).fit(X, y),
        FloatingPointError,
        "diverged.*learning_rate",
    ),
    (
        "SGD learning_rate=1e6 gives NaN",
        lambda X, y: _mf(solver="sgd", learning_rate=1e6).fit(X, y),
        FloatingPointError,
        "diverged.*learning_rate",
    ),
    (
        "ratings of 1e200",
        lambda X, y: _mf().fit(X, y * 1e200),
        ValueError,
        "too large.*rescale y",
    ),
    (
        "early stopping without a validation rating",
        lambda X, y: _mf(early_stopping=True).fit(X[:3], y[:3]),
        ValueError,
        "validation_fraction",
    ),
    (
        "explicit NeuralCF without ratings",
        lambda X, y: _ncf(feedback="explicit").fit(X),
        ValueError,
        "requires y to be passed",
    ),
    (
        "NaN user ids in a splitter",
        lambda X, y: list(
            __import__("sklearn_attnrec")
            .PerUserKFold(2)
            .split(np.where(np.arange(len(X))[:, None] < 3, np.nan, X.astype(float)))
        ),
        ValueError,
        "user ids.*missing values",
    ),
    (
        "similar_items with n=0 names n",
        lambda X, y: _mf().fit(X, y).similar_items([X[0, 1]], n=0),
        ValueError,
        "n must be a positive integer",
    ),
    (
        "BaselineRegressor on constant ratings warns",
        lambda X, y: BaselineRegressor().fit(X, np.full(len(y), 3.0)),
        UserWarning,
        "all equal",
    ),
]


@pytest.mark.parametrize(
    "case, call, expected, message", PROBE_CASES, ids=[c[0] for c in PROBE_CASES]
)
def test_probe_reproducers(case, call, expected, message, interactions):
    X, y = interactions
    if issubclass(expected, Warning):
        with pytest.warns(expected, match=message):
            call(X, y)
    else:
        with pytest.raises(expected, match=message):
            call(X, y)


def test_neural_cf_takes_one_hidden_layer_as_an_int(interactions):
    X, y = interactions
    model = _ncf(hidden_layer_sizes=8).fit(X)
    assert model.net_.module_ is not None and np.isfinite(model.predict(X)).all()


# --------------------------------------------------------------------------- #
# Time columns: datetimes, missing times, and ratings read as times
# --------------------------------------------------------------------------- #
@_of_kind("interactions", "sequential")
@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_datetime_time_columns_are_accepted(estimator, tz, interactions):
    pd = pytest.importorskip("pandas")
    X, y = interactions
    seconds = np.arange(len(X)) * 3600
    times = pd.to_datetime(seconds, unit="s")
    if tz is not None:
        times = times.tz_localize("UTC").tz_convert(tz)
    frame = pd.DataFrame({"user": X[:, 0], "item": X[:, 1], "time": times})
    numeric = pd.DataFrame({"user": X[:, 0], "item": X[:, 1], "time": seconds})
    model = _fit(estimator, frame, y)
    reference = _fit(estimator, numeric, y)
    # The same order of events, so the same model.
    np.testing.assert_allclose(model.predict(frame), reference.predict(numeric))


@_of_kind("interactions", "sequential")
def test_missing_times_are_named(estimator, interactions):
    pd = pytest.importorskip("pandas")
    X, y = interactions
    times = pd.Series(pd.to_datetime(np.arange(len(X)), unit="s"))
    times[3] = pd.NaT
    frame = pd.DataFrame({"user": X[:, 0], "item": X[:, 1], "when": times})
    with pytest.raises(ValueError, match="'when' holds 1 missing times"):
        clone(estimator).fit(frame, y)


def test_ratings_read_as_times_warn(interactions):
    X, y = interactions
    rows = np.column_stack([X[:, :2], np.round(y).astype(int), np.arange(len(X))])
    with pytest.warns(UserWarning, match="looks like ratings"):
        _fit(SequentialRecommender(**fast_params(SequentialRecommender)), rows)


def test_content_features_from_a_bare_text_featuriser_are_explained():
    pd = pytest.importorskip("pandas")
    from sklearn.feature_extraction.text import CountVectorizer

    from sklearn_attnrec import ContentBasedRecommender

    frame = pd.DataFrame(
        {
            "user": [1, 1, 2, 3],
            "item": ["a", "b", "a", "c"],
            "title": ["x y", "y", "x y", "z"],
        }
    )
    with pytest.raises(ValueError, match="wrap it in a ColumnTransformer"):
        ContentBasedRecommender(features=CountVectorizer()).fit(frame)


@_of_kind("interactions", "sequential")
def test_dataframe_columns_at_predict(estimator, interactions):
    pd = pytest.importorskip("pandas")
    X, y = interactions
    frame = pd.DataFrame({"userId": X[:, 0], "movieId": X[:, 1]})
    model = _fit(estimator, frame, y)
    if model._reads_extra_columns:
        return
    # Extra columns at predict (a timestamp) are ignored ...
    wider = frame.assign(timestamp=np.arange(len(X)))
    np.testing.assert_array_equal(model.predict(wider), model.predict(frame))
    # ... but the id columns must be the ones of fit, not swapped.
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[["movieId", "userId"]])


def test_implicit_als_penalty_shrinks_the_factors(interactions):
    """alpha is used: a strong penalty gives smaller factors than a weak one."""
    X, _ = interactions
    norms = [
        np.linalg.norm(
            _mf(feedback="implicit", alpha=alpha, max_iter=5).fit(X).user_factors_
        )
        for alpha in (0.01, 100.0)
    ]
    assert norms[1] < 0.5 * norms[0]


# --------------------------------------------------------------------------- #
# Columns by name: MovieLens' own CSV order (userId, movieId, rating, timestamp)
# --------------------------------------------------------------------------- #
@pytest.fixture(scope="module")
def csv_frame(interactions):
    pd = pytest.importorskip("pandas")
    X, y = interactions
    return pd.DataFrame(
        {
            "rating": y,
            "movieId": X[:, 1],
            "timestamp": np.arange(len(X)) * 60,
            "userId": X[:, 0],
        }
    )


@_of_kind("interactions", "sequential")
def test_columns_by_name(estimator, csv_frame):
    frame = csv_frame
    y = frame["rating"].to_numpy()
    by_position = frame[["userId", "movieId", "timestamp"]]
    named = _fit(estimator, frame, y, columns=["userId", "movieId", "timestamp"])
    reference = _fit(estimator, by_position, y)
    np.testing.assert_allclose(named.predict(frame), reference.predict(by_position))
    users = frame["userId"].unique()[:3]
    np.testing.assert_array_equal(
        named.recommend(users, n=3)[0], reference.recommend(users, n=3)[0]
    )
    # Positions work for arrays too; names need a DataFrame.
    with pytest.raises(ValueError, match="X has no column 'user'"):
        _fit(estimator, frame, y, columns=["user", "movieId"])
    with pytest.raises(ValueError, match="needs a pandas DataFrame"):
        _fit(estimator, frame.to_numpy(), y, columns=["userId", "movieId"])
    with pytest.raises(ValueError, match="at least the user and the item"):
        _fit(estimator, frame, y, columns=["userId"])


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: __import__("sklearn_attnrec").PerUserKFold(
            2, random_state=0, **kw
        ),
        lambda **kw: __import__("sklearn_attnrec").LeaveLastOut(
            time_column="timestamp", **kw
        ),
    ],
    ids=["PerUserKFold", "LeaveLastOut"],
)
def test_splitters_read_the_user_column_by_name(make, csv_frame):
    frame = csv_frame
    ordered = frame[["userId", "movieId", "timestamp"]]
    named = list(make(user_column="userId").split(frame))
    reference = list(make().split(ordered))
    for (train, test), (ref_train, ref_test) in zip(named, reference):
        np.testing.assert_array_equal(train, ref_train)
        np.testing.assert_array_equal(test, ref_test)


def test_train_test_split_reads_the_user_column_by_name(csv_frame):
    from sklearn_attnrec import train_test_split_interactions

    frame = csv_frame
    a = train_test_split_interactions(frame, user_column="userId", random_state=0)
    b = train_test_split_interactions(
        frame[["userId", "movieId", "timestamp"]], random_state=0
    )
    np.testing.assert_array_equal(a[1]["movieId"], b[1]["movieId"])
