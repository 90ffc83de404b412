"""UserKNNRegressor and ItemKNNRegressor: worked example, slow references, edges."""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from sklearn_attnrec import (
    BaselineRegressor,
    ItemKNNRegressor,
    PopularityRecommender,
    UserKNNRegressor,
)
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.neighbors._similarity import topk_similarity

METRICS = [
    "cosine",
    "centered_cosine",
    "pearson",
    "adjusted_cosine",
    "pearson_baseline",
]
CENTERS = [True, False, "baseline"]

# The lecture's worked example: rows movies 1..6, columns users 1..12, 0 unknown.
LECTURE = np.array(
    [
        [1, 0, 3, 0, 0, 5, 0, 0, 5, 0, 4, 0],
        [0, 0, 5, 4, 0, 0, 4, 0, 0, 2, 1, 3],
        [2, 4, 0, 1, 2, 0, 3, 0, 4, 3, 5, 0],
        [0, 2, 4, 0, 5, 0, 0, 4, 0, 0, 2, 0],
        [0, 0, 4, 3, 4, 2, 0, 0, 0, 0, 2, 5],
        [1, 0, 3, 0, 3, 0, 0, 2, 0, 0, 4, 0],
    ]
)


def lecture_data():
    movies, users = np.nonzero(LECTURE)
    return np.column_stack([users + 1, movies + 1]), LECTURE[movies, users].astype(
        float
    )


@pytest.fixture(scope="module")
def small():
    # Continuous ratings: no exact ties between similarities, so the choice of
    # the k nearest is unambiguous.
    X, y = make_interactions(n_users=30, n_items=20, density=0.3, random_state=0)
    rng = np.random.RandomState(1)
    pairs = np.column_stack([rng.randint(0, 30, 150), rng.randint(0, 20, 150)])
    return X, y, pairs


# --------------------------------------------------------------------------- #
# Slow references: the formulas, one pair at a time
# --------------------------------------------------------------------------- #
def _ratings(model):
    """Dense ratings with NaN for unknown, oriented entities x contexts."""
    R = np.full(model.user_items_.shape, np.nan)
    coo = model.user_items_.tocoo()
    R[coo.row, coo.col] = coo.data
    return R if isinstance(model, UserKNNRegressor) else R.T


def _baseline(model, e, c):
    u, i = (e, c) if isinstance(model, UserKNNRegressor) else (c, e)
    return model.baseline_._predict_pairs(np.array([u]), np.array([i]))[0]


def reference_similarity(model):
    E = _ratings(model)
    n_ent, n_ctx = E.shape
    known = ~np.isnan(E)
    own = np.array([E[e][known[e]].mean() for e in range(n_ent)])
    other = np.array(
        [E[:, c][known[:, c]].mean() if known[:, c].any() else 0 for c in range(n_ctx)]
    )
    V = E.copy()
    for e, c in zip(*np.nonzero(known)):
        V[e, c] -= {
            "centered_cosine": own[e],
            "adjusted_cosine": other[c],
            "pearson_baseline": _baseline(model, e, c),
        }.get(model.metric, 0.0)
    sim = np.zeros((n_ent, n_ent))
    for a, b in itertools.permutations(range(n_ent), 2):
        common = known[a] & known[b]
        n = common.sum()
        if n < max(model.min_support, 1):
            continue
        if model.metric in ("cosine", "centered_cosine"):  # whole vectors
            x, z = np.nan_to_num(V[a]), np.nan_to_num(V[b])
        elif model.metric == "pearson":
            x, z = (
                V[a, common] - V[a, common].mean(),
                V[b, common] - V[b, common].mean(),
            )
        else:  # co-rated entries
            x, z = V[a, common], V[b, common]
        norm = np.sqrt((x**2).sum() * (z**2).sum())
        s = x @ z / norm if norm > 1e-9 else 0.0
        sim[a, b] = s * n / (n + model.shrinkage)
    return sim, E, own


def _centring(model, E, own):
    """(centre of a pair, centred rating of a neighbour) for the model's center."""
    if model.center is True:
        return (lambda e, c: own[e]), (lambda j, c: E[j, c] - own[j])
    if model.center == "baseline":
        return (
            lambda e, c: _baseline(model, e, c),
            lambda j, c: E[j, c] - _baseline(model, j, c),
        )
    return (lambda e, c: 0.0), (lambda j, c: E[j, c])


def _usable(model, s):
    return s != 0 if model.min_similarity is None else s > model.min_similarity


def _aggregate(model, e, c, neighbours, centre, value):
    num = sum(s * value(j, c) for s, j in neighbours)
    den = sum(abs(s) for s, _ in neighbours)
    if len(neighbours) >= max(model.min_neighbors, 1) and den > 0:
        return centre(e, c) + num / den
    return centre(e, c) if model.center is not False else _baseline(model, e, c)


def reference_predict(model, users, items):
    """r̂ with N = the k most similar entities that rated the target."""
    sim, E, own = reference_similarity(model)
    centre, value = _centring(model, E, own)
    out = []
    for u, i in zip(users, items):
        e, c = (u, i) if isinstance(model, UserKNNRegressor) else (i, u)
        candidates = [
            (sim[e, j], j)
            for j in range(E.shape[0])
            if j != e and not np.isnan(E[j, c]) and _usable(model, sim[e, j])
        ]
        candidates.sort(key=lambda t: (-t[0], t[1]))
        out.append(
            _aggregate(model, e, c, candidates[: model.n_neighbors], centre, value)
        )
    return np.array(out)


def reference_ranking_scores(model, user, *, evidence=False):
    """Ranking ratings with each entity's k nearest fixed, non-raters dropping
    out (and the Σ |sim| of the neighbours used, with ``evidence``)."""
    sim, E, own = reference_similarity(model)
    centre, value = _centring(model, E, own)
    n_ent = E.shape[0]
    fixed = []
    for e in range(n_ent):
        row = [
            (sim[e, j], j) for j in range(n_ent) if j != e and _usable(model, sim[e, j])
        ]
        row.sort(key=lambda t: (-t[0], t[1]))
        fixed.append(row[: model.n_neighbors])
    scores, sums = [], []
    for item in range(len(model.item_ids_)):
        e, c = (user, item) if isinstance(model, UserKNNRegressor) else (item, user)
        neighbours = [(s, j) for s, j in fixed[e] if not np.isnan(E[j, c])]
        scores.append(_aggregate(model, e, c, neighbours, centre, value))
        sums.append(sum(abs(s) for s, _ in neighbours))
    return (np.array(scores), np.array(sums)) if evidence else np.array(scores)


# --------------------------------------------------------------------------- #
# Correctness
# --------------------------------------------------------------------------- #
def test_lecture_worked_example():
    X, y = lecture_data()
    model = ItemKNNRegressor(metric="centered_cosine", n_neighbors=2, center=False)
    model.fit(X, y)
    S = model.similarity_.toarray()
    np.testing.assert_allclose(S[0, [2, 5]], [0.41, 0.59], atol=0.005)
    # Among the movies user 5 rated (3, 4, 5, 6), the two nearest of movie 1.
    prediction, _, mean, sim_sum, n_used = model.transform([[5, 1]])[0]
    assert n_used == 2
    assert sim_sum == pytest.approx(S[0, 2] + S[0, 5])
    expected = (S[0, 2] * 2 + S[0, 5] * 3) / (S[0, 2] + S[0, 5])
    assert prediction == pytest.approx(expected) == pytest.approx(mean)
    assert round(prediction, 1) == 2.6
    movies, sims = model.similar_items([1], n=2)
    assert movies.tolist() == [[6, 3]]


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("center", CENTERS)
def test_predict_matches_slow_reference(cls, metric, center, small):
    X, y, pairs = small
    for min_similarity in (0.0, None):
        model = cls(
            metric=metric,
            center=center,
            n_neighbors=3,
            shrinkage=2.0,
            min_support=3,
            min_neighbors=2,
            min_similarity=min_similarity,
            clip=False,
        ).fit(X, y)
        np.testing.assert_allclose(
            model.predict(pairs),
            reference_predict(model, pairs[:, 0], pairs[:, 1]),
            rtol=1e-6,  # similarities are stored in float32
            atol=1e-6,
        )


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
@pytest.mark.parametrize("center", CENTERS)
def test_ranking_scores_match_slow_reference(cls, center, small):
    X, y, _ = small
    model = cls(
        metric="pearson",
        center=center,
        n_neighbors=4,
        min_support=3,
        min_neighbors=2,
        clip=False,
        ranking="rating",
    ).fit(X, y)
    users = np.array([0, 7, 19])
    scores = model._score_items(users)
    for row, user in zip(scores, users):
        np.testing.assert_allclose(
            row, reference_ranking_scores(model, user), rtol=1e-6
        )  # float32 similarities


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_relevance_ranking_is_evidence_times_like_probability(cls, small):
    """(Σ|sim| of the neighbours used + prior · popularity) · Φ((r̂ − r̄_u) / σ),
    the prior 1 for users and 3 for items."""
    from scipy.stats import norm

    X, y, _ = small
    model = cls(metric="pearson", n_neighbors=4, min_support=3).fit(X, y)
    rating = clone(model).set_params(ranking="rating").fit(X, y)
    R = model.user_items_
    popularity = (R.toarray() != 0).sum(axis=0) / R.shape[0]
    for user in (0, 7, 19):
        ratings, evidence = reference_ranking_scores(model, user, evidence=True)
        ratings = np.clip(ratings, y.min(), y.max())
        own_mean = R[user].data.mean()  # liked: rated above the user's mean
        like = norm.cdf((ratings - own_mean) / R.data.std())
        prior = 1.0 if cls is UserKNNRegressor else 3.0
        expected = (evidence + prior * popularity) * like
        np.testing.assert_allclose(
            model._score_items(np.array([user]))[0], expected, rtol=1e-5
        )
        np.testing.assert_allclose(
            rating._score_items(np.array([user]))[0], ratings, rtol=1e-6
        )


def test_similarity_blocks_and_truncation(small):
    X, y, _ = small
    values = ItemKNNRegressor().fit(X, y).user_items_.T.tocsr()
    full = topk_similarity(values, norm="pearson", n_keep=100, min_similarity=None)
    blocked = topk_similarity(
        values, norm="pearson", n_keep=100, min_similarity=None, block_entries=7
    )
    np.testing.assert_allclose(blocked.toarray(), full.toarray())
    # Keeping 3 per row keeps the 3 largest of each row of the full matrix.
    top3 = topk_similarity(values, norm="pearson", n_keep=3, min_similarity=None)
    dense = np.where(full.toarray() != 0, full.toarray(), -np.inf)
    for row in range(dense.shape[0]):
        expected = np.sort(dense[row])[::-1][:3]
        expected = expected[np.isfinite(expected)]
        got = np.sort(top3[row].data)[::-1]
        np.testing.assert_allclose(got, expected)
    assert np.diff(top3.indptr).max() <= 3 and top3.diagonal().sum() == 0


def test_shrinkage_and_min_support(small):
    X, y, _ = small
    plain = UserKNNRegressor(metric="cosine", min_similarity=None).fit(X, y)
    shrunk = UserKNNRegressor(metric="cosine", shrinkage=5, min_similarity=None)
    shrunk.fit(X, y)
    P = plain.user_items_.copy()
    P.data[:] = 1
    n_common = (P @ P.T).toarray()
    np.testing.assert_allclose(
        shrunk.similarity_.toarray(),
        plain.similarity_.toarray() * n_common / (n_common + 5),
        rtol=1e-6,  # float32 similarities
    )
    strict = UserKNNRegressor(metric="cosine", min_support=4, min_similarity=None)
    S = strict.fit(X, y).similarity_.toarray()
    assert np.all(S[n_common < 4] == 0)
    np.testing.assert_allclose(
        S[n_common >= 4], plain.similarity_.toarray()[n_common >= 4]
    )


def test_n_candidates_bounds_the_stored_neighbours(small):
    X, y, pairs = small
    model = ItemKNNRegressor(n_candidates=5, n_neighbors=2).fit(X, y)
    assert np.diff(model.similarity_.indptr).max() <= 5
    assert np.diff(model.neighbors_.indptr).max() <= 2
    assert np.isfinite(model.predict(pairs)).all()
    # Enough candidates: the same as keeping them all.
    exact = ItemKNNRegressor(n_candidates=19).fit(X, y).predict(pairs)
    np.testing.assert_allclose(ItemKNNRegressor().fit(X, y).predict(pairs), exact)


# --------------------------------------------------------------------------- #
# Fallbacks
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
@pytest.mark.parametrize("center", CENTERS)
def test_no_neighbour_falls_back_to_the_centring_term(cls, center):
    # Users 0, 1 share item 0; user 2 shares nothing with anybody.
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 2], [2, 3], [2, 4]])
    y = np.array([5.0, 3.0, 4.0, 1.0, 2.0, 4.0])
    model = cls(center=center, min_similarity=0.0).fit(X, y)
    pairs = np.array([[2, 0], [0, 4], [2, 1]])
    pred = model.predict(pairs)
    assert np.isfinite(pred).all()
    features = model.transform(pairs)
    assert (features[:, 4] == 0).all() and (features[:, 2] == 0).all()
    np.testing.assert_allclose(pred, _fallback(model, pairs))
    # Fewer usable neighbours than min_neighbors: the same fallback everywhere.
    many = cls(center=center, min_neighbors=50).fit(X, y)
    np.testing.assert_allclose(many.predict(X), _fallback(many, X))


def _fallback(model, pairs):
    if model.center is True:
        user_based = isinstance(model, UserKNNRegressor)
        means = model.user_mean_ if user_based else model.item_mean_
        expected = means[pairs[:, 0] if user_based else pairs[:, 1]]
    else:
        expected = model.baseline_._predict_pairs(pairs[:, 0], pairs[:, 1])
    return np.clip(expected, *model.rating_range_)


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_unknown_ids_get_the_baseline(cls, small):
    X, y, _ = small
    model = cls().fit(X, y)
    reference = BaselineRegressor().fit(X, y)
    unknown = [[999, 3], [4, 999], [999, 998]]
    np.testing.assert_allclose(model.predict(unknown), reference.predict(unknown))
    items, scores = model.recommend([999], n=5)
    np.testing.assert_array_equal(items, reference.recommend([999], n=5)[0])


def test_predictions_are_clipped_and_never_nan(small):
    X, y, pairs = small
    for cls in (UserKNNRegressor, ItemKNNRegressor):
        pred = cls(center=False, min_similarity=None).fit(X, y).predict(pairs)
        assert np.isfinite(pred).all()
        assert pred.min() >= y.min() and pred.max() <= y.max()


# --------------------------------------------------------------------------- #
# API
# --------------------------------------------------------------------------- #
def test_transform_columns_and_pipeline(small):
    pd = pytest.importorskip("pandas")
    X, y, pairs = small
    model = ItemKNNRegressor().fit(X, y)
    features = model.transform(pairs)
    assert features.shape == (len(pairs), 5)
    np.testing.assert_allclose(features[:, 0], model.predict(pairs))
    assert model.get_feature_names_out().tolist() == [
        "prediction",
        "baseline",
        "neighbor_mean",
        "similarity_sum",
        "n_neighbors_used",
    ]
    frame = ItemKNNRegressor().set_output(transform="pandas").fit(X, y).transform(pairs)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns)[0] == "prediction"
    # Neighbourhood features feed another estimator.
    stacked = make_pipeline(UserKNNRegressor(), Ridge()).fit(X, y)
    assert stacked.predict(pairs).shape == (len(pairs),)


@pytest.mark.parametrize(
    "cls, method, vocabulary",
    [
        (UserKNNRegressor, "similar_users", "user_ids_"),
        (ItemKNNRegressor, "similar_items", "item_ids_"),
    ],
)
def test_similar_entities(cls, method, vocabulary, small):
    X, y, _ = small
    model = cls(min_similarity=0.2).fit(X, y)
    ids = getattr(model, vocabulary)
    found, sims = getattr(model, method)(ids[:4], n=len(ids) + 5)
    assert found.shape == sims.shape == (4, len(ids) - 1)
    for query, row, row_sims in zip(ids[:4], found, sims):
        assert query not in row.tolist() and len(set(row.tolist())) == len(row)
        assert np.all(row_sims[:-1] >= row_sims[1:])
        assert np.all((row_sims > 0.2) | np.isneginf(row_sims))
    assert np.isfinite(sims).any()
    with pytest.raises(ValueError, match="unknown .* no neighbours"):
        getattr(model, method)([12345])
    with pytest.raises(ValueError, match="n must be a positive integer"):
        getattr(model, method)(ids[:1], n=0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_neighbors": 0}, "n_neighbors"),
        ({"metric": "euclidean"}, "'metric' parameter .* must be a str among"),
        ({"center": "mean"}, "'center' parameter .* must be an instance of 'bool'"),
        ({"shrinkage": -1}, "shrinkage"),
        ({"min_support": -1}, "min_support"),
        ({"min_neighbors": 1.5}, "min_neighbors"),
        ({"min_similarity": 1.0}, "min_similarity"),
        ({"n_candidates": 0}, "n_candidates"),
        ({"baseline": Ridge()}, "'baseline' parameter .* must be an instance of"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"verbose": -1}, "verbose"),
    ],
)
def test_bad_parameters_raise(params, match, small):
    X, y, _ = small
    for cls in (UserKNNRegressor, ItemKNNRegressor):
        with pytest.raises((ValueError, TypeError), match=match):
            cls(**params).fit(X, y)


def test_custom_baseline_is_used(small):
    X, y, pairs = small
    damped = BaselineRegressor(alpha_user=50, alpha_item=50)
    model = ItemKNNRegressor(baseline=damped).fit(X, y)
    assert model.baseline_.alpha_user == 50 and model.baseline is damped
    assert not np.allclose(
        model.predict(pairs), ItemKNNRegressor().fit(X, y).predict(pairs)
    )
    # Any recommender of the package can centre: popularity scores here.
    assert np.isfinite(
        ItemKNNRegressor(baseline=PopularityRecommender()).fit(X, y).predict(pairs)
    ).all()


def test_large_similarity_uses_the_sparse_lookup(small, monkeypatch):
    from sklearn_attnrec.neighbors import _knn

    X, y, pairs = small
    dense = ItemKNNRegressor().fit(X, y).predict(pairs)
    monkeypatch.setattr(_knn, "_DENSE_LOOKUP", 0)
    monkeypatch.setattr(_knn, "_CHUNK_ENTRIES", 50)
    np.testing.assert_allclose(ItemKNNRegressor().fit(X, y).predict(pairs), dense)


def test_sparse_similarity_is_canonical(small):
    X, y, _ = small
    S = UserKNNRegressor().fit(X, y).similarity_
    assert sp.isspmatrix_csr(S) or isinstance(S, sp.csr_array)
    assert S.has_sorted_indices and S.diagonal().sum() == 0


# --------------------------------------------------------------------------- #
# Feedback: progress, warnings; n_jobs
# --------------------------------------------------------------------------- #
@pytest.fixture
def many_blocks(monkeypatch):
    """Similarity blocks of a few rows each, so that the small data make many."""
    from sklearn_attnrec.neighbors import _similarity

    monkeypatch.setattr(_similarity, "_BLOCK_ENTRIES", 100)


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_verbose_shows_a_bar_over_the_similarity_blocks(
    cls, small, capsys, many_blocks
):
    X, y, _ = small
    cls(n_neighbors=5).fit(X, y)
    assert capsys.readouterr() == ("", "")
    cls(n_neighbors=5, verbose=1).fit(X, y)
    captured = capsys.readouterr()
    n_rows = 30 if cls is UserKNNRegressor else 20
    n_blocks = -(-n_rows // (100 // n_rows))
    assert captured.out == ""
    assert "similarity blocks" in captured.err
    assert f"{n_blocks}/{n_blocks}" in captured.err


@pytest.mark.parametrize("norm", ["whole", "corated", "pearson"])
def test_similarity_blocks_in_threads_give_the_same_matrix(norm, small):
    X, y, _ = small
    values = ItemKNNRegressor(n_neighbors=5).fit(X, y).user_items_
    kwargs = dict(norm=norm, n_keep=4, min_similarity=None, block_entries=40)
    serial = topk_similarity(values, n_jobs=1, **kwargs)
    threaded = topk_similarity(values, n_jobs=2, **kwargs)
    assert (serial.indptr == threaded.indptr).all()
    assert (serial.indices == threaded.indices).all()
    np.testing.assert_allclose(serial.data, threaded.data)


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_n_jobs_gives_the_same_predictions(cls, small, many_blocks):
    X, y, pairs = small
    one, two = (cls(n_neighbors=5, n_jobs=n).fit(X, y) for n in (1, 2))
    np.testing.assert_allclose(one.similarity_.toarray(), two.similarity_.toarray())
    np.testing.assert_allclose(one.predict(pairs), two.predict(pairs))


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_constant_ratings_warn(cls, small):
    X, y, _ = small
    with pytest.warns(UserWarning, match="cannot learn from constant ratings"):
        cls(n_neighbors=5).fit(X, np.ones_like(y))


@pytest.mark.parametrize(
    "cls, n_other", [(UserKNNRegressor, 29), (ItemKNNRegressor, 19)]
)
def test_too_many_neighbors_warn_and_are_clipped(cls, n_other, small):
    X, y, pairs = small
    with pytest.warns(UserWarning, match=f"than the {n_other} other"):
        model = cls(n_neighbors=100).fit(X, y)
    assert model.n_neighbors_ == n_other and model.n_neighbors == 100
    assert np.diff(model.neighbors_.indptr).max() <= n_other
    exact = cls(n_neighbors=n_other).fit(X, y)
    np.testing.assert_allclose(model.predict(pairs), exact.predict(pairs))


@pytest.mark.parametrize("cls", [UserKNNRegressor, ItemKNNRegressor])
def test_normal_data_gives_no_warning(cls, small):
    X, y, pairs = small
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = cls(n_neighbors=10).fit(X, y)
        model.predict(pairs)
    assert model.n_neighbors_ == 10


# --------------------------------------------------------------------------- #
# MovieLens 100K (one canonical fold; the five are in benchmarks/)
# --------------------------------------------------------------------------- #
def test_movielens_fold_u1(movielens):
    X, y = movielens.data, movielens.target
    train, test = movielens.folds[0]
    for model, bound in ((UserKNNRegressor(), 0.945), (ItemKNNRegressor(), 0.93)):
        pred = model.fit(X[train], y[train]).predict(X[test])
        assert np.sqrt(np.mean((pred - y[test]) ** 2)) < bound
