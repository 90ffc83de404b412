"""Ranking scorers for GridSearchCV / cross_validate on interaction data."""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils.validation import check_is_fitted

from ..base import RecommenderMixin, user_block_size
from ..utils._interactions import interaction_columns, mask_seen
from ..utils._topk import topk_indices
from ..utils._vocabulary import UNKNOWN, encode_ids
from ._ranking import _ranking_metric_from_gains

_METRIC_NAMES = {
    "precision": "precision",
    "recall": "recall",
    "ndcg": "ndcg",
    "hit_rate": "hit_rate",
    "hit": "hit_rate",
    "average_precision": "average_precision",
    "map": "average_precision",
    "reciprocal_rank": "reciprocal_rank",
    "mrr": "reciprocal_rank",
}


def make_ranking_scorer(metric="ndcg", k=10, threshold=None, *, exclude_seen=True):
    """Make a scorer that ranks every known item for each test user.

    Use it as ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate` with interaction data. On a test
    fold ``(X, y)`` the scorer:

    1. groups the rows of ``X`` by user; each user's relevant items are the test
       items with ``y >= threshold`` (all test items when ``threshold`` is
       None);
    2. scores every item the fitted model knows for that user, leaving out the
       items the user had in training (``exclude_seen``);
    3. computes the metric on the top ``k`` and averages over users. Users with
       no relevant test item are skipped; relevant items unknown to the model
       count as relevant but can never be retrieved, and so do relevant test
       items the user had in training when ``exclude_seen`` is True (they are
       misses, whatever ``k``).

    Parameters
    ----------
    metric : {"ndcg", "precision", "recall", "hit_rate", "average_precision", \
"reciprocal_rank"}, default="ndcg"
        The ranking metric (aliases: "hit", "map", "mrr"), as defined in
        :mod:`sklearn_attnrec.metrics`. Relevance is binary.
    k : int, default=10
        Cut-off of the ranked list.
    threshold : float, default=None
        Minimum rating of a relevant test item: the scorer then needs the
        ratings ``y`` of the test rows (``search.fit(X, y)``,
        ``cross_validate(model, X, y)``) and raises a ``ValueError`` without
        them. None counts every test row as relevant and ignores ``y``.
    exclude_seen : bool, default=True
        Do not rank the items a user interacted with in training. A test item
        the user had in training can then never be recommended: it stays
        relevant and is a miss (it is not counted as a hit even when fewer
        than ``k`` items are left to rank). False ranks every item.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, higher is better.

    Notes
    -----
    A recommender of this package is scored through its ranking scores directly.
    Another fitted estimator, such as a :class:`~sklearn.pipeline.Pipeline` that
    contains a recommender, is scored through ``estimator.predict`` on every
    ``[user, item]`` pair of the item vocabulary of the first recommender step
    found; its ``X`` must then hold exactly the two id columns.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn_attnrec import BaselineRegressor, PerUserKFold
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> from sklearn_attnrec.metrics import make_ranking_scorer
    >>> X, y = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> scoring = {"ndcg@10": make_ranking_scorer("ndcg", k=10),
    ...            "recall@5": make_ranking_scorer("recall", k=5)}
    >>> result = cross_validate(BaselineRegressor(), X, y, scoring=scoring,
    ...                         cv=PerUserKFold(3, random_state=0))
    >>> sorted(key for key in result if key.startswith("test_"))
    ['test_ndcg@10', 'test_recall@5']
    """
    if metric not in _METRIC_NAMES:
        raise ValueError(
            f"metric must be one of {sorted(_METRIC_NAMES)}; got {metric!r}"
        )
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not np.isfinite(threshold)
    ):
        raise ValueError(
            "threshold must be a finite number (the minimum rating of a relevant "
            f"test item) or None (every test row is relevant); got {threshold!r}"
        )
    return _RankingScorer(_METRIC_NAMES[metric], int(k), threshold, exclude_seen)


def _find_recommender(estimator):
    """The estimator itself if it ranks items, else the first recommender step."""
    if isinstance(estimator, RecommenderMixin):
        return estimator, True
    for _, step in getattr(estimator, "steps", []):
        if isinstance(step, RecommenderMixin):
            return step, False
    raise TypeError(
        f"{type(estimator).__name__} is not a recommender and holds none: a "
        "ranking scorer needs a fitted recommender of sklearn_attnrec (or a "
        "Pipeline with one)"
    )


class _RankingScorer:
    """Callable ``(estimator, X, y=None) -> float``; see make_ranking_scorer."""

    def __init__(self, metric, k, threshold, exclude_seen):
        self.metric = metric
        self.k = k
        self.threshold = threshold
        self.exclude_seen = exclude_seen

    def __repr__(self):
        return (
            f"make_ranking_scorer(metric={self.metric!r}, k={self.k}, "
            f"threshold={self.threshold!r}, exclude_seen={self.exclude_seen})"
        )

    def __call__(self, estimator, X, y=None, sample_weight=None):
        recommender, direct = _find_recommender(estimator)
        check_is_fitted(recommender)
        if direct:
            # Same checks as predict: column count against fit, NaN ids, ...
            X = recommender.check_interactions(X)
        users, items = interaction_columns(X)
        if self.threshold is not None:
            relevant = _ratings(y, len(users), self.threshold) >= self.threshold
            users, items = users[relevant], items[relevant]
        if len(users) == 0:
            return self._undefined()

        # One row per distinct relevant (user, item) pair.
        test_users, user_row = np.unique(users, return_inverse=True)
        test_items, item_code = np.unique(items, return_inverse=True)
        pair = np.unique(user_row.ravel() * len(test_items) + item_code.ravel())
        user_row, item_code = np.divmod(pair, len(test_items))
        # Every relevant item counts, even one the model cannot rank.
        n_relevant = np.bincount(user_row, minlength=len(test_users))
        item_col = encode_ids(test_items, recommender.item_ids_)[item_code]
        rankable = item_col != UNKNOWN
        n_items = len(recommender.item_ids_)
        relevance = sp.csr_matrix(
            (np.ones(rankable.sum()), (user_row[rankable], item_col[rankable])),
            shape=(len(test_users), n_items),
        )

        values = np.empty(len(test_users))
        for block, scores in _score_blocks(
            estimator, recommender, direct, X, test_users, self.exclude_seen
        ):
            top = topk_indices(scores, self.k)
            top_gains = np.take_along_axis(relevance[block].toarray(), top, axis=1)
            # Excluded items (score -inf) fill the top of a user with fewer than
            # k eligible items: they are not recommendations, never hits.
            top_gains[np.take_along_axis(scores, top, axis=1) == -np.inf] = 0.0
            # Fewer candidates than k: the missing ranks are misses.
            top_gains = np.pad(top_gains, ((0, 0), (0, self.k - top.shape[1])))
            n_rel = n_relevant[block]
            ideal = (np.arange(self.k)[None, :] < n_rel[:, None]).astype(np.float64)
            values[block] = _ranking_metric_from_gains(
                self.metric, top_gains, ideal, n_rel
            )
        return float(values.mean())

    @staticmethod
    def _undefined():
        warnings.warn(
            "no test user has a relevant item; the ranking score is undefined",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")


def _ratings(y, n_rows, threshold):
    """The test ratings as floats, checked against the rows of ``X``."""
    if y is None:
        raise ValueError(
            f"make_ranking_scorer(threshold={threshold!r}) compares the test "
            "ratings y with threshold, but y is None: pass the ratings to the "
            "search or cross-validation (search.fit(X, y), cross_validate(model, "
            "X, y)), or make the scorer with threshold=None to count every test "
            "row as relevant"
        )
    try:
        ratings = np.asarray(y, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"make_ranking_scorer(threshold={threshold!r}) needs numeric test "
            f"ratings y: {exc}"
        ) from None
    if len(ratings) != n_rows:
        raise ValueError(
            f"y has {len(ratings)} ratings but X has {n_rows} rows; the scorer "
            "needs one rating per test row"
        )
    if np.isnan(ratings).any():
        raise ValueError(
            f"y holds {np.isnan(ratings).sum()} NaN rating(s); threshold="
            f"{threshold!r} cannot tell whether these test rows are relevant"
        )
    return ratings


def _score_blocks(estimator, recommender, direct, X, test_users, exclude_seen):
    """``(rows, scores)`` of every item for blocks of test users: through the
    recommender's ranking hook, or through ``estimator.predict`` on every
    pair (a Pipeline that holds a recommender)."""
    if direct:
        yield from recommender.iter_item_scores(test_users, exclude_seen=exclude_seen)
        return
    user_index = encode_ids(test_users, recommender.user_ids_)
    step = user_block_size(len(recommender.item_ids_))
    for start in range(0, len(test_users), step):
        block = slice(start, start + step)
        scores = _scores_by_predict(estimator, recommender, X, test_users[block])
        if exclude_seen:
            mask_seen(scores, user_index[block], recommender.user_items_)
        yield block, scores


def _scores_by_predict(estimator, recommender, X, users):
    """Scores of all known items through ``estimator.predict`` (e.g. Pipelines)."""
    n_items = len(recommender.item_ids_)
    pair_users = np.repeat(users, n_items)
    pair_items = np.tile(recommender.item_ids_, len(users))
    if hasattr(X, "iloc"):
        import pandas as pd

        pairs = pd.DataFrame({X.columns[0]: pair_users, X.columns[1]: pair_items})
    elif pair_users.dtype.kind in "iuf" and pair_items.dtype.kind in "iuf":
        pairs = np.column_stack([pair_users, pair_items])
    else:
        # Keep each id's own type: stacking int with str would turn ints to str.
        pairs = np.empty((len(pair_users), 2), dtype=object)
        pairs[:, 0], pairs[:, 1] = pair_users, pair_items
    scores = np.asarray(estimator.predict(pairs), dtype=np.float64)
    return scores.reshape(len(users), n_items)
