"""Conformance tests written once and run over every recommender of the package.

Recommenders are discovered automatically (subclasses of ``RecommenderMixin``), so
a new model is held to the same contract without editing this file.
"""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_attnrec import make_ranking_scorer
from sklearn_attnrec.base import RecommenderMixin
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.utils._testing import estimator_instances

RECOMMENDERS = estimator_instances(RecommenderMixin)
ids = [type(est).__name__ for est in RECOMMENDERS]


@pytest.fixture(scope="module")
def data():
    X, y = make_interactions(n_users=40, n_items=25, density=0.2, random_state=0)
    return X, y


def _fit(estimator, X, y):
    """Fit a clone, seeded where the estimator is random, so fits can be compared."""
    estimator = clone(estimator)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    return estimator.fit(X, y)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_shapes_order_and_seen_items(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    users = model.user_ids_[:7]
    items, scores = model.recommend(users, n=5)
    assert items.shape == scores.shape == (7, 5)
    assert np.all(np.diff(scores, axis=1) <= 0), "lists must be sorted best first"
    seen = {(u, i) for u, i in X[:, :2].tolist()}
    for user, row in zip(users, items):
        assert not any((user, item) in seen for item in row.tolist())
    # Without exclusion, every item is eligible.
    all_items, _ = model.recommend(users, n=len(model.item_ids_), exclude_seen=False)
    assert all(sorted(row) == sorted(model.item_ids_.tolist()) for row in all_items)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_batch_equals_one_by_one(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    users = model.user_ids_[::3]
    batch_items, batch_scores = model.recommend(users, n=4)
    for row, user in enumerate(users):
        items, scores = model.recommend([user], n=4)
        np.testing.assert_array_equal(items[0], batch_items[row])
        # float32 models: a batched matrix product may round differently.
        np.testing.assert_allclose(scores[0], batch_scores[row], rtol=1e-5)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_more_than_available(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    user = model.user_ids_[0]
    n_seen = model.user_items_[0].nnz
    items, scores = model.recommend([user], n=1000)
    assert items.shape == (1, len(model.item_ids_))
    assert np.isfinite(scores[0, : len(model.item_ids_) - n_seen]).all()
    assert np.isneginf(scores[0, len(model.item_ids_) - n_seen :]).all()


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_candidate_items(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    candidates = model.item_ids_[[1, 3, 5, 7]]
    items, _ = model.recommend(
        model.user_ids_[:3], n=10, exclude_seen=False, items=np.append(candidates, 999)
    )
    assert items.shape == (3, 4)
    assert set(items.ravel().tolist()) <= set(candidates.tolist())


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_unknown_ids_fallback_and_error(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    unknown = [[10_000, X[0, 1]], [X[0, 0], 10_000], [10_000, 10_001]]
    predictions = model.predict(unknown)
    assert predictions.shape == (3,) and np.isfinite(predictions).all()
    items, scores = model.recommend([10_000], n=3)
    assert items.shape == (1, 3) and np.isfinite(scores).all()

    strict = _fit(clone(estimator).set_params(handle_unknown="error"), X, y)
    with pytest.raises(ValueError, match="unknown user id.*10000"):
        strict.predict(unknown[:1])
    with pytest.raises(ValueError, match="unknown item id.*10000"):
        strict.predict(unknown[1:2])
    with pytest.raises(ValueError, match="unknown user"):
        strict.recommend([10_000])
    with pytest.raises(ValueError, match="handle_unknown"):
        clone(estimator).set_params(handle_unknown="ignore").fit(X, y)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_string_ids_and_dataframe_give_the_same_model(estimator, data):
    pd = pytest.importorskip("pandas")
    X, y = data
    reference = _fit(estimator, X, y).predict(X)
    # Zero-padded, so the strings sort like the ints: the encoded indices, hence
    # even a randomly initialised model, must be identical.
    X_str = np.column_stack(
        [
            np.char.add("u", np.char.zfill(X[:, 0].astype(str), 4)),
            np.char.add("i", np.char.zfill(X[:, 1].astype(str), 4)),
        ]
    )
    np.testing.assert_allclose(_fit(estimator, X_str, y).predict(X_str), reference)
    frame = pd.DataFrame({"user": X_str[:, 0], "item": X[:, 1]})
    model = _fit(estimator, frame, y)
    np.testing.assert_allclose(model.predict(frame), reference)
    assert list(model.feature_names_in_) == ["user", "item"]


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_pickle_and_joblib_round_trip(estimator, data, tmp_path):
    X, y = data
    model = _fit(estimator, X, y)
    expected = model.predict(X)
    expected_items, _ = model.recommend(model.user_ids_[:5], n=5)
    for loaded in (
        pickle.loads(pickle.dumps(model)),
        joblib.load(joblib.dump(model, tmp_path / "model.joblib")[0]),
    ):
        np.testing.assert_array_equal(loaded.predict(X), expected)
        np.testing.assert_array_equal(
            loaded.recommend(model.user_ids_[:5], n=5)[0], expected_items
        )


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_refit_starts_afresh(estimator, data):
    X, y = data
    X2, y2 = make_interactions(n_users=30, n_items=20, random_state=1)
    model = _fit(estimator, X, y).fit(X2, y2)
    np.testing.assert_allclose(model.predict(X2), _fit(estimator, X2, y2).predict(X2))
    assert len(model.user_ids_) == len(np.unique(X2[:, 0]))


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_duplicate_pairs_are_averaged_in_user_items(estimator):
    X = np.array([[0, 0], [0, 0], [0, 1], [1, 1]])
    y = np.array([2.0, 4.0, 5.0, 1.0])
    model = _fit(estimator, X, y)
    assert model.user_items_.toarray().tolist() == [[3.0, 5.0], [0.0, 1.0]]


BAD_INPUTS = [
    ("nan rating", [[0, 1], [1, 2]], [np.nan, 3.0], "y contains NaN"),
    ("inf rating", [[0, 1], [1, 2]], [np.inf, 3.0], "y contains infinity"),
    ("nan id", [[0, np.nan], [1, 2]], [4.0, 3.0], "NaN"),
    ("one column", [[0], [1]], [4.0, 3.0], r"1 feature\(s\)"),
    ("1-D X", [0, 1], [4.0, 3.0], "2D array"),
    ("empty X", np.empty((0, 2)), [], "0 sample"),
    ("mismatched lengths", [[0, 1], [1, 2]], [4.0], "inconsistent numbers"),
    (
        "mixed id types",
        np.array([[0, "a"], ["b", 1]], dtype=object),
        [4.0, 3.0],
        "mix types",
    ),
]


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
@pytest.mark.parametrize(
    "case, X, y, message", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_raises_a_clear_error(estimator, case, X, y, message):
    with pytest.raises(ValueError, match=message):
        clone(estimator).fit(X, y)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_use_before_fit_raises_not_fitted(estimator):
    with pytest.raises(NotFittedError):
        clone(estimator).predict([[0, 1]])
    with pytest.raises(NotFittedError):
        clone(estimator).recommend([0])


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_predict_reads_the_id_columns(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    if model._reads_extra_columns:  # item features come from X's columns
        with pytest.raises(ValueError, match="3 features"):
            model.predict(np.column_stack([X, X[:, 0]]))
        return
    # Further columns (a time, a rating) are ignored, whatever fit had.
    extra = np.column_stack([X[:, :2], np.arange(len(X)), np.arange(len(X))])
    np.testing.assert_array_equal(model.predict(extra), model.predict(X[:, :2]))
    with pytest.raises(ValueError, match="needs 2: the user and item columns"):
        model.predict(X[:, :1])


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_rejects_bad_arguments(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.recommend([X[0, 0]], n=0)
    with pytest.raises(ValueError, match="users must be 1-D"):
        model.recommend([[X[0, 0]]])


# --------------------------------------------------------------------------- #
# Fold-in (recommend_for_history) and list shaping (filter_items, as_frame)
# --------------------------------------------------------------------------- #
# Models whose fold-in of a training user's own history reproduces exactly what
# the fitted model recommends to that user: the scores depend on the user only
# through their row of interactions (or, for the biases, through a closed form
# that fit converged to). Factor and sequence models solve or encode afresh
# and agree only approximately.
EXACT_FOLD_IN = {
    "BaselineRegressor",
    "ContentBasedRecommender",
    "EASE",
    "ItemKNNRecommender",
    "ItemKNNRegressor",
    "PopularityRecommender",
}


def _histories(model, X, y, users):
    rows = [np.flatnonzero(X[:, 0] == user) for user in users]
    return [X[r, 1] for r in rows], [y[r] for r in rows]


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_for_history_folds_in_a_user(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    users = model.user_ids_[:4]
    histories, ratings = _histories(model, X, y, users)
    if type(model).__name__ == "SequentialRecommender":
        ratings = None  # it reads the order, not ratings
    try:
        items, scores = model.recommend_for_history(histories, ratings, n=5)
    except NotImplementedError as error:
        assert "use " in str(error), "the error must name an alternative"
        return
    assert items.shape == scores.shape == (4, 5)
    assert np.all(np.diff(scores, axis=1) <= 0)
    for history, row in zip(histories, items):
        assert not set(history.tolist()) & set(row.tolist())
    if type(model).__name__ in EXACT_FOLD_IN:
        expected_items, expected_scores = model.recommend(users, n=5)
        np.testing.assert_array_equal(items, expected_items)
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-5, atol=1e-6)
    # No known item: the fallback of an unknown user.
    empty, _ = model.recommend_for_history(
        [[], [10_000]], None if ratings is None else [[], [4.0]], n=3
    )
    np.testing.assert_array_equal(empty, np.repeat(model.recommend([-5], n=3)[0], 2, 0))


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_for_history_rejects_bad_histories(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    for bad in ("abc", None, 5):
        with pytest.raises(ValueError, match="histories must be a list of item-id"):
            model.recommend_for_history(bad)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        model.recommend_for_history([[X[0, 1]]], n=0)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_filter_items_are_never_recommended(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    users = model.user_ids_[:6]
    full, full_scores = model.recommend(users, n=len(model.item_ids_))
    banned = model.item_ids_[[0, 2, 4]]
    items, scores = model.recommend(users, n=5, filter_items=np.append(banned, 10_000))
    assert not set(items[np.isfinite(scores)].tolist()) & set(banned.tolist())
    # The same ranking with the banned items taken out (compared by score, so
    # that ties may come in either order).
    for row_scores, full_row, full_row_scores in zip(scores, full, full_scores):
        allowed = full_row_scores[~np.isin(full_row, banned)][:5]
        np.testing.assert_allclose(row_scores, allowed, rtol=1e-5)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_as_frame(estimator, data):
    pd = pytest.importorskip("pandas")
    X, y = data
    model = _fit(estimator, X, y)
    users = model.user_ids_[:3]
    items, scores = model.recommend(users, n=4)
    frame = model.recommend(users, n=4, as_frame=True)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["user", "item", "score", "rank"]
    finite = np.isfinite(scores)
    assert len(frame) == finite.sum()
    np.testing.assert_array_equal(frame["item"], items[finite])
    np.testing.assert_array_equal(frame["user"], np.repeat(users, 4)[finite.ravel()])
    assert frame.groupby("user")["rank"].apply(list).map(lambda r: r[0] == 1).all()


# --------------------------------------------------------------------------- #
# One ranking, whatever the route: pairs, blocks, threads
# --------------------------------------------------------------------------- #
def _rating_ranked(estimator, X, y):
    """Fitted, ranking by the same score as predict where there is a choice."""
    estimator = clone(estimator)
    if "ranking" in estimator.get_params():
        estimator.set_params(ranking="rating")
    return _fit(estimator, X, y)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_scores_equal_predict(estimator, data):
    X, y = data
    model = _rating_ranked(estimator, X, y)
    users = model.user_ids_[:5]
    for items in (None, model.item_ids_[::2]):
        found, scores = model.recommend(users, n=6, items=items)
        pairs = np.empty((found.size, 2), dtype=object)
        pairs[:, 0], pairs[:, 1] = np.repeat(users, found.shape[1]), found.ravel()
        finite = np.isfinite(scores.ravel())
        np.testing.assert_allclose(
            model.predict(pairs)[finite], scores.ravel()[finite], rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_user_blocks_do_not_change_the_results(estimator, data, monkeypatch):
    from sklearn_attnrec import base

    X, y = data
    model = _fit(estimator, X, y)
    users = model.user_ids_
    scorer = make_ranking_scorer("ndcg", k=5)
    expected = (
        model.recommend(users, n=5),
        model.predict(X),
        scorer(model, X[::3]),
    )
    monkeypatch.setattr(base, "_USER_BLOCK", 3)
    blocked = (
        model.recommend(users, n=5),
        model.predict(X),
        scorer(model, X[::3]),
    )
    np.testing.assert_array_equal(blocked[0][0], expected[0][0])
    np.testing.assert_allclose(blocked[0][1], expected[0][1], rtol=1e-6)
    np.testing.assert_allclose(blocked[1], expected[1], rtol=1e-6)
    assert blocked[2] == pytest.approx(expected[2])
    # Seen items are left out in every block, not only the first.
    seen = {(u, i) for u, i in X[:, :2].tolist()}
    for user, row in zip(users, blocked[0][0]):
        assert not any((user, item) in seen for item in row.tolist())


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_recommend_from_threads_equals_serial(estimator, data):
    from concurrent.futures import ThreadPoolExecutor

    X, y = data
    model = _fit(estimator, X, y)
    users = [model.user_ids_[k::4] for k in range(4)]
    serial = [model.recommend(u, n=5) for u in users]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            threaded = list(pool.map(lambda u: model.recommend(u, n=5), users))
            for (items, scores), (ref_items, ref_scores) in zip(threaded, serial):
                np.testing.assert_array_equal(items, ref_items)
                np.testing.assert_allclose(scores, ref_scores, rtol=1e-6)


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_candidate_items_leave_out_seen_items(estimator, data):
    X, y = data
    model = _fit(estimator, X, y)
    user = model.user_ids_[0]
    seen = X[X[:, 0] == user, 1]
    candidates = np.concatenate([seen, model.item_ids_[:5]])
    items, scores = model.recommend([user], n=len(candidates), items=candidates)
    returned = items[0][np.isfinite(scores[0])]
    assert not set(returned.tolist()) & set(seen.tolist())
    assert set(returned.tolist()) == set(model.item_ids_[:5].tolist()) - set(
        seen.tolist()
    )


_SECOND_PROCESS = """
import sys, numpy as np, warnings
warnings.simplefilter("ignore")
from sklearn.base import clone
from sklearn_attnrec.base import RecommenderMixin
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.utils._testing import estimator_instances
X, y = make_interactions(n_users=40, n_items=25, density=0.2, random_state=0)
out = {}
for est in estimator_instances(RecommenderMixin):
    est = clone(est)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    out[type(est).__name__] = est.fit(X, y).predict(X)
np.savez(sys.argv[1], **out)
"""


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_seeded_fits_are_identical_in_another_process(data, tmp_path):
    import subprocess
    import sys

    X, y = data
    path = tmp_path / "predictions.npz"
    subprocess.run(
        [sys.executable, "-c", _SECOND_PROCESS, str(path)], check=True, timeout=300
    )
    theirs = np.load(path)
    for estimator in RECOMMENDERS:
        name = type(estimator).__name__
        np.testing.assert_array_equal(
            _fit(estimator, X, y).predict(X), theirs[name], err_msg=name
        )


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_predict_memory_grows_with_user_blocks_not_pairs(estimator):
    """Scoring every pair of 300 users x 400 items: a row of item scores per
    pair would take 384 MB; per block of users it takes a few MB."""
    import tracemalloc
    import warnings

    X, y = make_interactions(n_users=300, n_items=400, density=0.03, random_state=0)
    y = np.clip(y, 1, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = _fit(estimator, X, y)
    users, items = model.user_ids_, model.item_ids_
    pairs = np.column_stack([np.repeat(users, len(items)), np.tile(items, len(users))])
    tracemalloc.start()
    try:
        model.predict(pairs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100e6, f"{peak / 1e6:.0f} MB"


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_fitted_with_a_time_column_predicts_plain_pairs(estimator, data):
    X, y = data
    timed = np.column_stack([X[:, :2], np.arange(len(X))])
    model = _fit(estimator, timed, y)
    if model._reads_extra_columns:
        return
    np.testing.assert_array_equal(model.predict(X[:, :2]), model.predict(timed))


@pytest.mark.parametrize("estimator", RECOMMENDERS, ids=ids)
def test_iter_recommendations_equals_recommend(estimator, data, monkeypatch):
    pd = pytest.importorskip("pandas")
    from sklearn_attnrec import base

    X, y = data
    model = _fit(estimator, X, y)
    monkeypatch.setattr(base, "_USER_BLOCK", 7)  # several blocks
    frames = list(model.iter_recommendations(n=4))
    assert len(frames) == -(-len(model.user_ids_) // 7)
    expected = model.recommend(model.user_ids_, n=4, as_frame=True)
    pd.testing.assert_frame_equal(
        pd.concat(frames, ignore_index=True), expected, check_exact=False
    )
    blocks = list(model.iter_recommendations(model.user_ids_[:5], n=2, as_frame=False))
    np.testing.assert_array_equal(blocks[0][0], model.user_ids_[:5])
    np.testing.assert_array_equal(
        blocks[0][1], model.recommend(model.user_ids_[:5], n=2)[0]
    )
