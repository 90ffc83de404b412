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
        Cut-off of the ranking; at most ``n_negatives + 1``, the length of each
        candidate list.
    n_negatives : int, default=100
        Negatives per test row. Every test user must have at least this many
        items they interacted with neither in training nor in the test set;
        otherwise the scorer raises a ``ValueError`` naming the user (the
        negatives are never padded or drawn twice).
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
    does not know counts as ranked last. A test user the model does not know is
    scored with the model's fallback for unknown users, and their negatives avoid
    only their own test items. Ratings ``y`` are ignored: every test row is a
    positive. Negatives are drawn per test row (a user with several test rows
    gets fresh negatives for each) in memory proportional to
    ``n_test_rows * n_negatives``.

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
    if k > n_negatives + 1:
        raise ValueError(
            f"k={k} is larger than the n_negatives + 1 = {n_negatives + 1} "
            "candidates each test item is ranked among (every row would be a hit); "
            "use k <= n_negatives + 1"
        )
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
        X = recommender.check_interactions(X)
        users, items = interaction_columns(X)
        user_index = encode_ids(users, recommender.user_ids_)
        item_index = encode_ids(items, recommender.item_ids_)
        # Each unknown test user gets a key of its own (nothing seen in training).
        unknown = np.flatnonzero(user_index == UNKNOWN)
        codes = {}
        for row in unknown:
            codes.setdefault(users[row], len(codes))
        user_key = user_index.copy()
        n_users = recommender.user_items_.shape[0]
        user_key[unknown] = [n_users + codes[users[row]] for row in unknown]
        negatives = self._negatives(
            recommender, user_index, item_index, user_key=user_key, users=users
        )
        ranks = np.empty(len(users), dtype=np.int64)
        for start in range(0, len(users), _ROW_BLOCK):
            rows = slice(start, start + _ROW_BLOCK)
            scores = np.vstack(
                [
                    block
                    for _, block in recommender.iter_item_scores(
                        users[rows], exclude_seen=False
                    )
                ]
            )
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

    def _negatives(
        self, recommender, user_index, item_index, user_key=None, users=None
    ):
        """``n_negatives`` distinct unseen items per test row, shape (n, n_neg).

        Each row's negatives are a uniform sample without replacement from the
        items its user interacted with neither in training nor in the test set.
        The sample is drawn as *ranks* among those unseen items and mapped back to
        item indices with one ``searchsorted``, so memory is
        O(n_rows * n_negatives) whatever the catalogue or the users' histories.

        Parameters
        ----------
        recommender : fitted recommender
        user_index, item_index : ndarray of shape (n,), dtype int64
            Encoded test rows (``-1`` for ids unseen in fit).
        user_key : ndarray of shape (n,), dtype int64, default=None
            Who each row belongs to: the user index for known users, and
            ``n_users + j`` for the ``j``-th unknown test user. By default all
            unknown users share the key ``n_users``.
        users : ndarray of shape (n,), default=None
            Raw user ids of the rows, for error messages.
        """
        n_users, n_items = recommender.user_items_.shape
        n_neg = self.n_negatives
        rng = check_random_state(self.random_state)
        if user_key is None:
            user_key = np.where(user_index == UNKNOWN, n_users, user_index)
        user_key = np.asarray(user_key, dtype=np.int64)
        out = np.empty((len(user_index), n_neg), dtype=np.int64)
        if len(user_index) == 0:
            return out
        n_keys = max(n_users, int(user_key.max()) + 1)
        seen = recommender.user_items_.tocoo()
        test = item_index != UNKNOWN
        # Sorted unique (key * n_items + item) of every forbidden pair.
        forbidden = np.union1d(
            seen.row.astype(np.int64) * n_items + seen.col,
            user_key[test] * n_items + item_index[test],
        )
        owner = forbidden // n_items
        counts = np.bincount(owner, minlength=n_keys)
        available = n_items - counts[user_key]
        short = available < n_neg
        if short.any():
            worst = np.argmin(available)
            n_short = len(np.unique(user_key[short]))
            if users is not None:
                who = np.asarray(users)[worst : worst + 1].tolist()[0]
            elif user_index[worst] != UNKNOWN:
                who = recommender.user_ids_[user_index[worst] :][:1].tolist()[0]
            else:
                who = "(unknown)"
            raise ValueError(
                f"{n_short} test user(s) have fewer than n_negatives={n_neg} "
                f"items they never interacted with (of {n_items} items the model "
                f"knows), e.g. user {who!r} with "
                f"{available[worst]}; lower n_negatives to at most "
                f"{available.min()} or drop those users from the test set"
            )
        # The r-th (0-based) unseen item of a key with sorted forbidden items
        # f_0 < f_1 < ... is r + #{i : f_i - i <= r}. Offsetting f_i - i by
        # key * n_items keeps the whole array sorted across keys.
        starts = np.concatenate([[0], np.cumsum(counts)])
        shifted = forbidden - (np.arange(len(forbidden)) - starts[owner])
        # Rows with few unseen items: a random permutation of all of them.
        # Rows with many: draws with replacement, repeats dropped in draw order
        # (the first n_neg distinct draws are a uniform sample without
        # replacement); the rare row left short is drawn again.
        dense = np.flatnonzero(available <= 4 * n_neg)
        if len(dense):
            width = int(available[dense].max())
            keys = rng.random_sample((len(dense), width))
            keys[np.arange(width) >= available[dense, None]] = np.inf
            out[dense] = np.argpartition(keys, n_neg - 1, axis=1)[:, :n_neg]
        todo = np.flatnonzero(available > 4 * n_neg)
        while len(todo):
            draws = rng.randint(0, available[todo, None], size=(len(todo), 2 * n_neg))
            order = np.argsort(draws, axis=1, kind="stable")
            ordered = np.take_along_axis(draws, order, axis=1)
            repeat = np.zeros(draws.shape, dtype=bool)
            np.put_along_axis(
                repeat, order[:, 1:], ordered[:, 1:] == ordered[:, :-1], axis=1
            )
            valid = ~repeat
            take = valid & (np.cumsum(valid, axis=1) <= n_neg)
            full = take.sum(axis=1) == n_neg
            out[todo[full]] = draws[full][take[full]].reshape(-1, n_neg)
            todo = todo[~full]
        # Ranks among the unseen items -> item indices.
        key = user_key[:, None]
        position = np.searchsorted(shifted, key * n_items + out, side="right")
        return out + position - starts[key]
