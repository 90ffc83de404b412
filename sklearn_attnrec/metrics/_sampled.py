"""Sampled-negative ranking evaluation (the NCF / SASRec protocol)."""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..utils._interactions import interaction_columns
from ..utils._vocabulary import UNKNOWN, encode_ids
from ._scorer import _find_recommender

_SAMPLED_METRICS = ("hit_rate", "ndcg", "reciprocal_rank")
# Test rows scored at once (each needs one row of scores over all items).
_ROW_BLOCK = 512


def make_sampled_ranking_scorer(metric="ndcg", k=10, n_negatives=100, random_state=0):
    """Make a scorer that ranks each test item against sampled negatives.

    The protocol of He et al. (2017) and Kang & McAuley (2018): every row
    ``(user, item)`` of the test set is one positive, ranked against
    ``n_negatives`` items drawn uniformly (without replacement, with a fixed seed)
    from the items the model knows that the user interacted with neither in
    training nor in the test set. Faster than ranking every item, and comparable
    with the papers' figures; full ranking (:func:`make_ranking_scorer`) is the
    stricter measure (Krichene & Rendle 2020).

    Parameters
    ----------
    metric : {"ndcg", "hit_rate", "reciprocal_rank"}, default="ndcg"
        With the positive at rank ``r`` (0 = first): HR@k = ``[r < k]``,
        NDCG@k = ``[r < k] / log2(r + 2)``, RR@k = ``[r < k] / (r + 1)``.
    k : int, default=10
    n_negatives : int, default=100
    random_state : int, RandomState instance or None, default=0
        Seeds the negatives; the default fixes them, so models are compared on the
        same candidates.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``: the mean over test rows.

    Notes
    -----
    A negative scored equal to the positive counts as ranked above it, so a
    model that scores everything alike gets no credit. A test item the model
    does not know counts as ranked last. Ratings ``y`` are ignored: every test
    row is a positive.

    References
    ----------
    X. He, L. Liao, H. Zhang, L. Nie, X. Hu, T.-S. Chua, "Neural collaborative
    filtering", WWW 2017.

    W. Krichene, S. Rendle, "On sampled metrics for item recommendation",
    KDD 2020.

    Examples
    --------
    >>> from sklearn_attnrec import PopularityRecommender
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> from sklearn_attnrec.metrics import make_sampled_ranking_scorer
    >>> X, _ = make_interactions(n_users=50, n_items=300, random_state=0)
    >>> model = PopularityRecommender().fit(X[:1000])
    >>> hr = make_sampled_ranking_scorer("hit_rate", k=10, n_negatives=100)
    >>> 0 <= hr(model, X[1000:]) <= 1
    True
    """
    if metric not in _SAMPLED_METRICS:
        raise ValueError(f"metric must be one of {_SAMPLED_METRICS}; got {metric!r}")
    for name, value in [("k", k), ("n_negatives", n_negatives)]:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return _SampledRankingScorer(metric, int(k), int(n_negatives), random_state)


class _SampledRankingScorer:
    def __init__(self, metric, k, n_negatives, random_state):
        self.metric = metric
        self.k = k
        self.n_negatives = n_negatives
        self.random_state = random_state

    def __repr__(self):
        return (
            f"make_sampled_ranking_scorer(metric={self.metric!r}, k={self.k}, "
            f"n_negatives={self.n_negatives}, random_state={self.random_state!r})"
        )

    def __call__(self, estimator, X, y=None, sample_weight=None):
        recommender, direct = _find_recommender(estimator)
        check_is_fitted(recommender)
        if not direct:
            raise TypeError(
                "sampled ranking needs a recommender of sklearn_attnrec itself "
                f"(got {type(estimator).__name__})"
            )
        X = recommender._validate_X(X, reset=False)
        users, items = interaction_columns(X)
        user_index = encode_ids(users, recommender.user_ids_)
        item_index = encode_ids(items, recommender.item_ids_)
        negatives = self._negatives(recommender, user_index, item_index)
        ranks = np.empty(len(users), dtype=np.int64)
        for start in range(0, len(users), _ROW_BLOCK):
            rows = slice(start, start + _ROW_BLOCK)
            scores = np.asarray(recommender._score_items(user_index[rows]), float)
            positive = np.take_along_axis(
                scores, np.maximum(item_index[rows], 0)[:, None], axis=1
            )
            negative = np.take_along_axis(scores, negatives[rows], axis=1)
            ranks[rows] = np.count_nonzero(negative >= positive, axis=1)
        ranks[item_index == UNKNOWN] = self.n_negatives  # cannot be ranked: last
        hit = ranks < self.k
        if self.metric == "hit_rate":
            values = hit.astype(float)
        elif self.metric == "ndcg":
            values = hit / np.log2(ranks + 2)
        else:
            values = hit / (ranks + 1)
        return float(values.mean())

    def _negatives(self, recommender, user_index, item_index):
        """``n_negatives`` distinct unseen items per test row, shape (n, n_neg).

        Uniform draws with replacement, minus forbidden and repeated items, kept
        in draw order: the first ``n_neg`` survivors are a uniform sample without
        replacement. Rows left short are drawn again with more candidates.
        """
        n_users, n_items = recommender.user_items_.shape
        rng = check_random_state(self.random_state)
        # Unknown users get a key of their own, with nothing forbidden.
        user_key = np.where(user_index == UNKNOWN, n_users, user_index)
        seen = recommender.user_items_.tocoo()
        test = item_index != UNKNOWN
        forbidden = np.union1d(
            seen.row.astype(np.int64) * n_items + seen.col,
            user_key[test] * n_items + item_index[test],
        )
        n_neg = self.n_negatives
        out = np.empty((len(user_index), n_neg), dtype=np.int64)
        todo = np.arange(len(user_index))
        width = 2 * n_neg
        for _ in range(20):
            if len(todo) == 0:
                return out
            draws = rng.randint(0, n_items, size=(len(todo), width))
            keys = user_key[todo, None] * n_items + draws
            position = np.minimum(np.searchsorted(forbidden, keys), len(forbidden) - 1)
            valid = forbidden[position] != keys
            # Repeats within a row: a stable sort keeps the first draw first.
            order = np.argsort(draws, axis=1, kind="stable")
            ordered = np.take_along_axis(draws, order, axis=1)
            repeat = np.zeros_like(valid)
            np.put_along_axis(
                repeat, order[:, 1:], ordered[:, 1:] == ordered[:, :-1], axis=1
            )
            valid &= ~repeat
            take = valid & (np.cumsum(valid, axis=1) <= n_neg)
            full = take.sum(axis=1) == n_neg
            out[todo[full]] = draws[full][take[full]].reshape(-1, n_neg)
            todo, width = todo[~full], 2 * width
        raise ValueError(
            f"some users have fewer than n_negatives={n_neg} items they never "
            "interacted with; lower n_negatives"
        )
