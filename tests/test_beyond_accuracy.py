"""Beyond-accuracy metrics of top-N lists and their scorers."""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import FixedScores
from sklearn.base import BaseEstimator
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.model_selection import cross_validate
from sklearn.pipeline import Pipeline

from sklearn_attnrec import (
    MatrixFactorization,
    PerUserKFold,
    PopularityRecommender,
)
from sklearn_attnrec.base import RecommenderMixin
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.metrics import (
    _beyond_accuracy,
    average_recommendation_popularity,
    catalog_coverage,
    intra_list_diversity,
    make_beyond_accuracy_scorer,
    mean_list_overlap,
    near_duplicate_list_share,
    novelty,
)

# --------------------------------------------------------------------------- #
# Hand-computed example: 3 users, 5 items
# --------------------------------------------------------------------------- #
LISTS = np.array([[0, 1], [0, 2], [1, 3]])
# p_i = share of users who had item i.
POPULARITY = np.array([1.0, 0.5, 0.25, 0.125, 0.5])
# v0 = x, v1 = y, v2 = x + y (45 degrees), v3 = -x, v4 = 0.
VECTORS = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0], [0.0, 0.0]])


def test_catalog_coverage_by_hand():
    # Items 0, 1, 2, 3 are recommended, item 4 never: 4 / 5.
    assert catalog_coverage(LISTS, n_items=5) == pytest.approx(0.8)
    # Padding (-1) is not an item.
    assert catalog_coverage([[0, -1], [0, 1]], n_items=4) == pytest.approx(0.5)


def test_novelty_by_hand():
    # -log2 p = [0, 1, 2, 3, 1]; users: (0 + 1) / 2, (0 + 2) / 2, (1 + 3) / 2.
    expected = (0.5 + 1.0 + 2.0) / 3
    assert novelty(LISTS, POPULARITY) == pytest.approx(expected)
    # The mean is over users, each list averaged over its own items.
    assert novelty([[3, -1], [0, 1]], POPULARITY) == pytest.approx((3 + 0.5) / 2)


def test_arp_by_hand():
    # users: (1 + .5) / 2 = .75, (1 + .25) / 2 = .625, (.5 + .125) / 2 = .3125.
    expected = (0.75 + 0.625 + 0.3125) / 3
    assert average_recommendation_popularity(LISTS, POPULARITY) == pytest.approx(
        expected
    )
    # Any popularity measure: raw counts scale it.
    counts = POPULARITY * 8
    assert average_recommendation_popularity(LISTS, counts) == pytest.approx(
        8 * expected
    )


def test_intra_list_diversity_by_hand():
    # user 0: cos(x, y) = 0 -> 1; user 1: cos(x, x + y) = 1/sqrt2 -> 1 - 1/sqrt2;
    # user 2: cos(y, -x) = 0 -> 1.
    expected = (1 + (1 - 1 / np.sqrt(2)) + 1) / 3
    assert intra_list_diversity(LISTS, VECTORS) == pytest.approx(expected)
    # Sparse vectors give the same value.
    assert intra_list_diversity(LISTS, sp.csr_matrix(VECTORS)) == pytest.approx(
        expected
    )
    # One list of 3: pairs (x, y) -> 1, (x, x+y) and (y, x+y) -> 1 - 1/sqrt2.
    three = (1 + 2 * (1 - 1 / np.sqrt(2))) / 3
    assert intra_list_diversity([[0, 1, 2]], VECTORS) == pytest.approx(three)
    # Opposite vectors: distance 2; a zero vector: cosine 0, distance 1.
    assert intra_list_diversity([[0, 3]], VECTORS) == pytest.approx(2.0)
    assert intra_list_diversity([[0, 4]], VECTORS) == pytest.approx(1.0)
    # Lists with fewer than 2 items are skipped.
    assert intra_list_diversity([[0, 1], [2, -1]], VECTORS) == pytest.approx(1.0)


def test_list_overlap_by_hand():
    # Pairs: (0, 1) share item 0 -> 1/2; (0, 2) share item 1 -> 1/2; (1, 2) -> 0.
    assert mean_list_overlap(LISTS) == pytest.approx(1 / 3)
    # Unequal lengths: |A & B| / sqrt(|A| |B|) = 2 / sqrt(4 * 2).
    assert mean_list_overlap([[0, 1, 2, 3], [1, 0, -1, -1]]) == pytest.approx(
        2 / np.sqrt(8)
    )
    # Order inside a list does not matter.
    assert mean_list_overlap([[0, 1, 2], [2, 0, 1]]) == pytest.approx(1.0)


def test_near_duplicate_list_share_by_hand():
    # Every user has a list sharing half of its items with another one.
    assert near_duplicate_list_share(LISTS, threshold=0.5) == pytest.approx(1.0)
    assert near_duplicate_list_share(LISTS, threshold=0.9) == 0.0
    # Users 0 and 1 identical (as sets); user 2 shares 2 of 3 with them.
    lists = [[0, 1, 2], [2, 1, 0], [0, 1, 3], [4, 5, 6]]
    assert near_duplicate_list_share(lists) == pytest.approx(2 / 4)
    assert near_duplicate_list_share(lists, threshold=2 / 3) == pytest.approx(3 / 4)
    assert near_duplicate_list_share(lists, threshold=1.0) == pytest.approx(2 / 4)


# --------------------------------------------------------------------------- #
# Vectorised code against naive loops
# --------------------------------------------------------------------------- #
def _random_lists(rng, n_users, n_items, k, pad=True):
    lists = np.array(
        [rng.choice(n_items, size=k, replace=False) for _ in range(n_users)]
    )
    if pad:
        lists[rng.random(lists.shape) < 0.2] = -1
    return lists


def _overlap(a, b):
    return len(a & b) / np.sqrt(len(a) * len(b))


@pytest.mark.parametrize("seed", range(3))
def test_against_naive_loops(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    n_items = 12
    lists = _random_lists(rng, 30, n_items, 4)
    # A few exact and near duplicates.
    lists[5] = lists[3][::-1]
    lists[7, :3] = lists[8, :3]
    vectors = rng.normal(size=(n_items, 3))
    sets = [set(row[row >= 0].tolist()) for row in lists]
    filled = [s for s in sets if s]

    pairs = [_overlap(a, b) for a, b in itertools.permutations(filled, 2)]
    assert mean_list_overlap(lists) == pytest.approx(np.mean(pairs))

    # Tiny blocks: the blocked upper-triangle product must give the same.
    monkeypatch.setattr(_beyond_accuracy, "_PAIRS_PER_BLOCK", 7)
    for threshold in (0.5, 0.7, 1.0):
        near = [
            any(_overlap(a, b) >= threshold for j, b in enumerate(filled) if j != i)
            for i, a in enumerate(filled)
        ]
        assert near_duplicate_list_share(lists, threshold) == pytest.approx(
            np.mean(near)
        )

    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    ild = [
        np.mean([1 - unit[a] @ unit[b] for a, b in itertools.permutations(s, 2)])
        for s in sets
        if len(s) >= 2
    ]
    assert intra_list_diversity(lists, vectors) == pytest.approx(np.mean(ild))


# --------------------------------------------------------------------------- #
# Edge cases and input validation
# --------------------------------------------------------------------------- #
def test_one_user():
    assert catalog_coverage([[0, 1]], n_items=4) == pytest.approx(0.5)
    assert novelty([[1]], POPULARITY) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 2 users"):
        mean_list_overlap([[0, 1]])
    with pytest.raises(ValueError, match="at least 2 users"):
        near_duplicate_list_share([[0, 1], [-1, -1]])
    with pytest.raises(ValueError, match="at least 2 items"):
        intra_list_diversity([[0]], VECTORS)


@pytest.mark.parametrize(
    "func",
    [
        lambda r: catalog_coverage(r, 5),
        lambda r: novelty(r, POPULARITY),
        lambda r: average_recommendation_popularity(r, POPULARITY),
        lambda r: intra_list_diversity(r, VECTORS),
        mean_list_overlap,
        near_duplicate_list_share,
    ],
    ids=["coverage", "novelty", "arp", "ild", "overlap", "near_duplicate"],
)
@pytest.mark.parametrize(
    "recommended, match",
    [
        (np.empty((0, 3), dtype=int), "empty"),
        (np.empty((3, 0), dtype=int), "empty"),
        ([[-1, -1], [-1, -1]], "no item"),
        ([0, 1, 2], "2-D"),
        ([[0.0, 1.0]], "integer"),
        ([[0, -2]], "negative"),
        ([[0, 0], [1, 2]], "more than once"),
    ],
)
def test_bad_lists(func, recommended, match):
    with pytest.raises(ValueError, match=match):
        func(recommended)


def test_bad_item_values():
    with pytest.raises(ValueError, match="out of range"):
        catalog_coverage([[0, 5]], n_items=5)
    with pytest.raises(ValueError, match="out of range"):
        novelty([[0, 5]], POPULARITY)
    with pytest.raises(ValueError, match="n_items"):
        catalog_coverage([[0]], n_items=0)
    with pytest.raises(ValueError, match="infinite"):
        novelty([[0, 1]], [0.5, 0.0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        novelty([[0, 1]], [0.5, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        average_recommendation_popularity([[0, 1]], [0.5, -1.0])
    with pytest.raises(ValueError, match="threshold"):
        near_duplicate_list_share(LISTS, threshold=0)
    # A zero-popularity item that is never recommended is fine.
    assert novelty([[0]], [0.5, 0.0]) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(5))
def test_ranges(seed):
    rng = np.random.default_rng(seed)
    n_items = int(rng.integers(3, 20))
    lists = _random_lists(rng, int(rng.integers(2, 15)), n_items, 3)
    lists[:2] = _random_lists(rng, 2, n_items, 3, pad=False)  # two full lists
    assert 0 <= catalog_coverage(lists, n_items) <= 1
    assert 0 <= mean_list_overlap(lists) <= 1
    assert 0 <= near_duplicate_list_share(lists) <= 1
    vectors = rng.random((n_items, 4))  # non-negative: diversity in [0, 1]
    assert 0 <= intra_list_diversity(lists, vectors) <= 1 + 1e-12


def test_same_list_for_everyone():
    n_items, k = 20, 5
    lists = np.tile([3, 7, 1, 0, 9], (50, 1))
    assert catalog_coverage(lists, n_items) == pytest.approx(k / n_items)
    assert near_duplicate_list_share(lists, threshold=1.0) == 1.0
    assert mean_list_overlap(lists) == pytest.approx(1.0)


def test_popularity_ranking_vs_random_lists():
    rng = np.random.default_rng(0)
    popularity = rng.random(50)
    popular = np.tile(np.argsort(-popularity)[:5], (20, 1))
    random_lists = _random_lists(rng, 20, 50, 5, pad=False)
    assert average_recommendation_popularity(
        popular, popularity
    ) > average_recommendation_popularity(random_lists, popularity)
    assert novelty(popular, popularity) < novelty(random_lists, popularity)


# --------------------------------------------------------------------------- #
# Scorer
# --------------------------------------------------------------------------- #


class RandomScores(RecommenderMixin, BaseEstimator):
    """Test double: random scores (a fresh random ranking per user)."""

    def __init__(self, random_state=0, handle_unknown="fallback"):
        self.random_state = random_state
        self.handle_unknown = handle_unknown

    def fit(self, X, y=None):
        self._fit_interactions(X, y, y_required=False)
        return self

    def _score_items(self, users):
        rng = np.random.default_rng(self.random_state)
        return rng.random((len(users), len(self.item_ids_)))

    def _predict_pairs(self, users, items):
        return np.zeros(len(users))


# Training: user 0 saw item 0, user 1 items 0 and 4, user 2 items 1, 2, 3.
# Training users per item: [2, 1, 1, 1, 1] of 3. Scores rank items 0, 1, 2, 3, 4.
TRAIN = np.array([[0, 0], [1, 0], [1, 4], [2, 1], [2, 2], [2, 3]])
SCORES = [5.0, 4.0, 3.0, 2.0, 1.0]
X_TEST = np.array([[0, 3], [1, 2], [2, 4], [2, 0]])


def test_scorer_by_hand():
    model = FixedScores(SCORES).fit(TRAIN)

    def score(metric, k=2, **kwargs):
        return make_beyond_accuracy_scorer(metric, k=k, **kwargs)(model, X_TEST)

    # Top 2 without seen items: user 0 -> [1, 2], user 1 -> [1, 2], user 2 -> [0, 4].
    assert score("coverage") == pytest.approx(4 / 5)
    # Shares p = [2/3, 1/3, 1/3, 1/3, 1/3].
    arp = (1 / 3 + 1 / 3 + (2 / 3 + 1 / 3) / 2) / 3
    assert score("arp") == pytest.approx(arp)
    bits = (np.log2(3) + np.log2(3) + (np.log2(1.5) + np.log2(3)) / 2) / 3
    assert score("novelty") == pytest.approx(bits)
    # Users 0 and 1 identical, user 2 disjoint: (1 + 0 + 0) / 3; 2 of 3 near-dup.
    assert score("list_overlap") == pytest.approx(1 / 3)
    assert score("near_duplicate") == pytest.approx(2 / 3)

    # k = 4: user 0 -> [1, 2, 3, 4], user 1 -> [1, 2, 3], user 2 -> [0, 4] (the
    # seen items fill no slot).
    assert score("coverage", k=4) == pytest.approx(1.0)
    overlap = (3 / np.sqrt(12) + 1 / np.sqrt(8) + 0) / 3
    assert score("list_overlap", k=4) == pytest.approx(overlap)
    # Without excluding seen items everyone gets [0, 1].
    assert score("near_duplicate", exclude_seen=False) == 1.0
    assert score("coverage", exclude_seen=False) == pytest.approx(2 / 5)

    # Diversity from features matched by id (rows in another order).
    ids = np.array([4, 3, 2, 1, 0])
    features = VECTORS[ids]
    # user 0 and 1: items (y, x+y) -> 1 - 1/sqrt2; user 2: items (x, 0) -> 1.
    ild = (2 * (1 - 1 / np.sqrt(2)) + 1) / 3
    assert score("diversity", item_features=features, item_ids=ids) == pytest.approx(
        ild
    )
    assert score("ild", item_features=VECTORS) == pytest.approx(ild)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(features, index=ids)
    assert score("diversity", item_features=frame) == pytest.approx(ild)


def test_scorer_k_larger_than_catalogue():
    model = FixedScores(SCORES).fit(TRAIN)
    for metric in ("coverage", "novelty", "arp", "list_overlap", "near_duplicate"):
        value = make_beyond_accuracy_scorer(metric, k=50)(model, X_TEST)
        assert np.isfinite(value)
    scorer = make_beyond_accuracy_scorer("coverage", k=50, exclude_seen=False)
    assert scorer(model, X_TEST) == 1.0


def test_scorer_undefined_and_errors():
    model = FixedScores(SCORES).fit(TRAIN)
    one_user = X_TEST[:1]
    with pytest.warns(UndefinedMetricWarning, match="at least 2 users"):
        value = make_beyond_accuracy_scorer("list_overlap")(model, one_user)
    assert np.isnan(value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert make_beyond_accuracy_scorer("coverage", k=2)(
            model, one_user
        ) == pytest.approx(2 / 5)

    with pytest.raises(ValueError, match="item_factors_"):
        make_beyond_accuracy_scorer("diversity")(model, X_TEST)
    with pytest.raises(ValueError, match="rows"):
        make_beyond_accuracy_scorer("diversity", item_features=VECTORS[:3])(
            model, X_TEST
        )
    with pytest.raises(ValueError, match="no row"):
        make_beyond_accuracy_scorer(
            "diversity", item_features=VECTORS[:3], item_ids=[0, 1, 2]
        )(model, X_TEST)
    with pytest.raises(ValueError, match="metric must be one of"):
        make_beyond_accuracy_scorer("ndcg")
    with pytest.raises(ValueError, match="k must be"):
        make_beyond_accuracy_scorer("coverage", k=0)
    with pytest.raises(ValueError, match="at least 2"):
        make_beyond_accuracy_scorer("diversity", k=1)
    with pytest.raises(ValueError, match="threshold"):
        make_beyond_accuracy_scorer("near_duplicate", threshold=1.5)
    with pytest.raises(ValueError, match="duplicates"):
        make_beyond_accuracy_scorer(
            "diversity", item_features=VECTORS[:2], item_ids=[1, 1]
        )
    with pytest.raises(TypeError, match="not a recommender"):
        make_beyond_accuracy_scorer("coverage")(BaseEstimator(), X_TEST)


def test_scorer_direction_and_repr():
    assert make_beyond_accuracy_scorer("coverage").greater_is_better
    assert make_beyond_accuracy_scorer("novelty").greater_is_better
    assert make_beyond_accuracy_scorer("diversity").greater_is_better
    assert not make_beyond_accuracy_scorer("arp").greater_is_better
    assert not make_beyond_accuracy_scorer("mean_list_overlap").greater_is_better
    assert not make_beyond_accuracy_scorer("near_duplicate").greater_is_better
    assert "near_duplicate" in repr(make_beyond_accuracy_scorer("near_duplicate"))


def test_scorer_on_pipeline_matches_model():
    model = PopularityRecommender().fit(TRAIN)
    pipe = Pipeline([("rec", PopularityRecommender())]).fit(TRAIN)
    for metric in ("coverage", "arp", "near_duplicate"):
        scorer = make_beyond_accuracy_scorer(metric, k=2)
        assert scorer(pipe, X_TEST) == pytest.approx(scorer(model, X_TEST))


SCORING = {
    name: make_beyond_accuracy_scorer(name, k=5)
    for name in ("coverage", "novelty", "arp", "list_overlap", "near_duplicate")
}


@pytest.fixture(scope="module")
def interactions():
    return make_interactions(n_users=40, n_items=25, density=0.2, random_state=0)


def test_cross_validate_popularity_vs_random(interactions):
    X, y = interactions
    cv = PerUserKFold(3, random_state=0)
    pop = cross_validate(PopularityRecommender(), X, y, scoring=SCORING, cv=cv)
    rnd = cross_validate(RandomScores(), X, y, scoring=SCORING, cv=cv)
    for result in (pop, rnd):
        for name in SCORING:
            assert np.isfinite(result[f"test_{name}"]).all()
        assert ((0 <= result["test_coverage"]) & (result["test_coverage"] <= 1)).all()
    assert pop["test_arp"].mean() > rnd["test_arp"].mean()
    assert pop["test_novelty"].mean() < rnd["test_novelty"].mean()
    assert pop["test_coverage"].mean() < rnd["test_coverage"].mean()
    assert pop["test_list_overlap"].mean() > rnd["test_list_overlap"].mean()


def test_cross_validate_matrix_factorization(interactions):
    X, y = interactions
    scoring = dict(SCORING, diversity=make_beyond_accuracy_scorer("diversity", k=5))
    result = cross_validate(
        MatrixFactorization(n_components=4, random_state=0),
        X,
        y,
        scoring=scoring,
        cv=PerUserKFold(3, random_state=0),
    )
    for name in scoring:
        assert np.isfinite(result[f"test_{name}"]).all()
    # Cosine distances between item factors lie in [0, 2].
    assert ((0 < result["test_diversity"]) & (result["test_diversity"] <= 2)).all()


# --------------------------------------------------------------------------- #
# The item ids that recommend returns (issue 21)
# --------------------------------------------------------------------------- #
def _fitted_on_ids(item_ids):
    """A popularity model of 6 users and 8 items named ``item_ids``; user 0 has
    seen 6 of the 8 items, so a top-4 list pads 2 slots with excluded items."""
    X, _ = make_interactions(n_users=6, n_items=8, density=0.4, random_state=1)
    X = np.vstack([X[:, :2], [[0, i] for i in range(6)]]).astype(int)
    ids = np.asarray(item_ids)
    rows = np.empty((len(X), 2), dtype=object if ids.dtype.kind == "U" else int)
    rows[:, 0], rows[:, 1] = X[:, 0], ids[X[:, 1]]
    return PopularityRecommender().fit(rows)


def _as_indices(model, items, scores):
    """What the metrics read: item indices, -1 for the -inf padding."""
    index = np.searchsorted(model.item_ids_, items)
    return np.where(scores == -np.inf, -1, index)


ID_KINDS = {
    "strings": [f"film {i}" for i in range(8)],
    "movielens ints": list(range(1, 9)),  # id 8 is out of range as an index
    "large ints": [10**9 + 7 * i for i in range(8)],
}


@pytest.mark.parametrize("kind", ID_KINDS)
def test_metrics_read_recommend_output(kind):
    model = _fitted_on_ids(ID_KINDS[kind])
    users = model.user_ids_
    items, scores = model.recommend(users, n=4)
    assert np.isneginf(scores).any(), "the test needs padded lists"
    assert items.dtype == (object if kind == "strings" else np.int64)
    index = _as_indices(model, items, scores)
    counts = np.bincount(model.user_items_.indices, minlength=len(model.item_ids_))
    popularity = counts / len(users)
    vectors = np.random.default_rng(0).normal(size=(len(model.item_ids_), 3))
    ids = {"item_ids": model.item_ids_, "scores": scores}
    n_items = len(model.item_ids_)
    assert catalog_coverage(items, **ids) == catalog_coverage(index, n_items)
    assert catalog_coverage(items, n_items + 2, **ids) == pytest.approx(
        catalog_coverage(index, n_items) * n_items / (n_items + 2)
    )
    for func, values in [
        (novelty, popularity),
        (average_recommendation_popularity, popularity),
        (intra_list_diversity, vectors),
    ]:
        assert func(items, values, **ids) == pytest.approx(func(index, values))
    assert mean_list_overlap(items, **ids) == pytest.approx(mean_list_overlap(index))
    assert near_duplicate_list_share(items, 0.5, **ids) == pytest.approx(
        near_duplicate_list_share(index, 0.5)
    )
    # The padding counts as recommended items without scores.
    assert catalog_coverage(items, item_ids=model.item_ids_) >= catalog_coverage(
        index, n_items
    )


def test_string_ids_need_no_vocabulary_where_no_per_item_array_is_read():
    model = _fitted_on_ids(ID_KINDS["strings"])
    items, scores = model.recommend(model.user_ids_, n=4)
    index = _as_indices(model, items, scores)
    n_items = len(model.item_ids_)
    # The call of issue 21, which raised: string ids counted as they are.
    assert catalog_coverage(items, n_items, scores=scores) == catalog_coverage(
        index, n_items
    )
    assert mean_list_overlap(items, scores=scores) == pytest.approx(
        mean_list_overlap(index)
    )
    assert near_duplicate_list_share(items, scores=scores) == pytest.approx(
        near_duplicate_list_share(index)
    )
    with pytest.raises(ValueError, match=r"pass item_ids=model.item_ids_"):
        novelty(items, np.full(n_items, 0.5))


def test_scorer_and_functions_agree_on_recommend_output():
    X, _ = make_interactions(n_users=40, n_items=25, density=0.3, random_state=0)
    model = PopularityRecommender().fit(X[:200])
    users = np.unique(X[200:, 0])
    items, scores = model.recommend(users, n=5)
    scorer = make_beyond_accuracy_scorer("coverage", k=5)
    assert scorer(model, X[200:]) == catalog_coverage(
        items, item_ids=model.item_ids_, scores=scores
    )


def test_bad_ids():
    ids = np.array(["a", "b", "c"], dtype=object)
    with pytest.raises(ValueError, match=r"1 recommended id\(s\) are not in item_ids"):
        catalog_coverage([["a", "z"]], item_ids=ids)
    with pytest.raises(ValueError, match="scores must be .* same shape"):
        catalog_coverage([["a", "b"]], item_ids=ids, scores=[[1.0]])
    with pytest.raises(ValueError, match=r"item_ids has 3 ids but len\(item_popul"):
        novelty([["a"]], [0.5, 0.5], item_ids=ids)
    with pytest.raises(ValueError, match="more than the n_items=2"):
        catalog_coverage([["a"]], 2, item_ids=ids)
    with pytest.raises(ValueError, match="item_ids holds duplicates"):
        catalog_coverage([["a"]], item_ids=["a", "a"])
    with pytest.raises(ValueError, match="3 distinct item ids, more than n_items=2"):
        catalog_coverage([["a", "b"], ["c", "a"]], 2)
    with pytest.raises(ValueError, match="more than once"):
        catalog_coverage([["a", "a"]], item_ids=ids)
    with pytest.raises(ValueError, match="for the item ids that recommend returns"):
        catalog_coverage([[1, 9]], 9)
    # Unsorted item_ids index the per-item values in their own order.
    assert novelty([["c"]], [0.5, 0.25, 1.0], item_ids=["b", "c", "a"]) == 2.0
