"""Beyond-accuracy metrics of top-N recommendation lists.

Accuracy metrics (:mod:`sklearn_attnrec.metrics._ranking`) reward a model for
putting held-out items high; they do not notice a model that gives every user
the same few popular items. The metrics of this module look at the lists
themselves:

- :func:`catalog_coverage`: how much of the catalogue is ever recommended;
- :func:`novelty` and :func:`average_recommendation_popularity`: how popular
  the recommended items are (popularity bias);
- :func:`intra_list_diversity`: how different the items of one list are;
- :func:`mean_list_overlap` and :func:`near_duplicate_list_share`: how much the
  lists of different users are alike (personalisation).

Every function takes ``recommended``, an array of shape ``(n_users, k)``
whose row ``u`` holds the items recommended to user ``u``, in one of two forms:

- item *indices*: integers ``0..n_items-1``, the columns of the per-item
  arrays (``item_popularity``, ``item_vectors``; the positions of the model's
  ``item_ids_``), ``-1`` marking an empty slot (a user with fewer than ``k``
  eligible items);
- raw item *ids*, as :meth:`~sklearn_attnrec.base.RecommenderMixin.recommend`
  returns them (``items, scores = model.recommend(users, n=10)``), of any
  type: pass ``item_ids=model.item_ids_`` (the id of each position of the
  per-item arrays) to have them looked up, and ``scores=scores`` so that the
  slots ``recommend`` pads with excluded items (score ``-inf``, when a user has
  fewer than ``n`` eligible items) count as empty. String (or object) ids
  are read as ids even without ``item_ids`` by the metrics that need no
  per-item array (:func:`catalog_coverage`, :func:`mean_list_overlap`,
  :func:`near_duplicate_list_share`); an integer array without ``item_ids`` is
  always read as indices, which integer ids are not.

A list must not hold the same item twice. The order inside a list is ignored:
every metric here is a function of the *sets* of recommended items.

>>> from sklearn_attnrec import PopularityRecommender
>>> from sklearn_attnrec.metrics import catalog_coverage, novelty
>>> model = PopularityRecommender().fit([["ann", "a"], ["bob", "a"], ["bob", "b"]])
>>> items, scores = model.recommend(["ann", "bob"], n=2)
>>> items  # bob has seen both items: his list holds excluded items (-inf)
array([['b', 'a'],
       ['a', 'b']], dtype=object)
>>> catalog_coverage(items, item_ids=model.item_ids_, scores=scores)
0.5

:func:`make_beyond_accuracy_scorer` turns them into scorers for
:func:`~sklearn.model_selection.cross_validate` and
:class:`~sklearn.model_selection.GridSearchCV`.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.preprocessing import normalize
from sklearn.utils import check_array, gen_batches
from sklearn.utils.validation import check_is_fitted

from ..utils._interactions import interaction_columns
from ..utils._topk import topk_indices
from ..utils._vocabulary import UNKNOWN, encode_ids
from ._scorer import _find_recommender, _score_blocks

__all__ = [
    "average_recommendation_popularity",
    "catalog_coverage",
    "intra_list_diversity",
    "make_beyond_accuracy_scorer",
    "mean_list_overlap",
    "near_duplicate_list_share",
    "novelty",
]

# Entries of the user x user overlap matrix (or of the user x d sums of item
# vectors) held at once: bounds the memory of the pairwise computations.
_PAIRS_PER_BLOCK = 2**21
# Slack for the comparison of an overlap with ``threshold`` (rounding of the
# square roots).
_TOLERANCE = 1e-12


class _UndefinedMetric(ValueError):
    """The data leave the metric undefined (e.g. fewer than two lists)."""


# --------------------------------------------------------------------------- #
# Validation and shared helpers
# --------------------------------------------------------------------------- #
def _check_recommended(
    recommended,
    n_items=None,
    *,
    name="n_items",
    item_ids=None,
    scores=None,
    raw_ids=False,
):
    """Validate the lists; return ``(recommended, valid)`` as intp / bool arrays.

    ``recommended`` holds item indices, or raw item ids looked up in
    ``item_ids`` (or, with ``raw_ids`` for a metric that needs no per-item
    array, numbered when they are not integers);
    ``scores`` of ``-inf`` mark empty slots. ``valid`` marks the non-padding
    entries. Raises a ValueError for an empty input, ids or indices out of
    the catalogue, a list holding an item twice, or lists that are all
    padding.
    """
    if sp.issparse(recommended):
        raise TypeError(
            "recommended must be a dense array of item indices or ids of shape "
            "(n_users, k), not a sparse matrix"
        )
    rec = np.asarray(recommended)
    if rec.ndim != 2:
        raise ValueError(
            f"recommended must be 2-D (n_users, k) item indices; got shape {rec.shape}"
        )
    if rec.size == 0:
        raise ValueError(
            f"recommended is empty (shape {rec.shape}); the metric needs at least "
            "one user and one recommended item"
        )
    empty = _empty_slots(scores, rec.shape)
    if item_ids is not None:
        rec = _look_up_ids(rec, empty, item_ids, n_items, name)
    elif rec.dtype.kind not in "iu":
        # Floats or bools are more likely broken indices than ids: only
        # strings and objects are read as ids without item_ids.
        if not raw_ids or rec.dtype.kind not in "OUS":
            raise ValueError(
                "recommended must hold integer item indices (column indices of the "
                f"item catalogue, -1 for an empty slot); got dtype {rec.dtype}. "
                "For the item ids that recommend returns, pass item_ids="
                "model.item_ids_ (the id of each index) and scores= (the scores "
                "recommend returned with them)"
            )
        rec = _number_ids(rec, empty, n_items)
    elif empty is not None:
        rec = np.where(empty, -1, rec)
    rec = rec.astype(np.intp, copy=False)
    if rec.min() < -1:
        raise ValueError(
            "recommended holds negative indices other than -1 (the empty slot), "
            f"e.g. {rec[rec < -1][0]}"
        )
    if n_items is not None and rec.max() >= n_items:
        raise ValueError(
            f"recommended holds item index {rec.max()}, out of range for "
            f"{name}={n_items} (indices are 0..{n_items - 1}); for "
            "the item ids that recommend returns, pass item_ids=model.item_ids_"
        )
    ordered = np.sort(rec, axis=1)
    repeated = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    if repeated.any():
        rows = np.flatnonzero(repeated.any(axis=1))
        raise ValueError(
            f"{len(rows)} list(s) hold the same item more than once, e.g. the list "
            f"of row {rows[0]}: {rec[rows[0]].tolist()}"
        )
    valid = rec >= 0
    if not valid.any():
        raise ValueError("recommended holds no item: every entry is -1 (empty)")
    return rec, valid


def _empty_slots(scores, shape):
    """Where ``scores`` (as returned by ``recommend``) is ``-inf``, or None."""
    if scores is None:
        return None
    scores = np.asarray(scores)
    if scores.shape != shape or scores.dtype.kind not in "iuf":
        raise ValueError(
            f"scores must be the numeric scores returned with the lists, of the "
            f"same shape {shape}; got shape {scores.shape}, dtype {scores.dtype}"
        )
    return scores == -np.inf


def _sorted_ids(ids, name):
    """``(sorted ids, order)`` of a 1-D array of distinct ids."""
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    if len(ids) > 1 and (ids[1:] == ids[:-1]).any():
        raise ValueError(
            f"{name} holds duplicates, e.g. "
            f"{ids[1:][ids[1:] == ids[:-1]][:1].tolist()[0]!r}"
        )
    return ids, order


def _look_up_ids(rec, empty, item_ids, n_items, name):
    """Indices of the raw ids ``rec`` in ``item_ids``; -1 for empty slots."""
    ids = np.asarray(item_ids)
    if ids.ndim != 1 or len(ids) == 0:
        raise ValueError(
            f"item_ids must be a non-empty 1-D array of item ids; got shape {ids.shape}"
        )
    if n_items is not None and len(ids) != n_items:
        raise ValueError(
            f"item_ids has {len(ids)} ids but {name}={n_items}: it "
            "must give the id of each position of the per-item values"
        )
    vocabulary, order = _sorted_ids(ids, "item_ids")
    flat = rec.ravel()
    position = encode_ids(flat, vocabulary)
    missing = position == UNKNOWN
    if empty is not None:
        missing &= ~empty.ravel()
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} recommended id(s) are not in item_ids, e.g. "
            f"{flat[missing][:1].tolist()[0]!r}"
        )
    index = np.where(position == UNKNOWN, -1, order[np.maximum(position, 0)])
    if empty is not None:
        index[empty.ravel()] = -1
    return index.reshape(rec.shape)


def _number_ids(rec, empty, n_items):
    """Raw ids numbered ``0..n_distinct-1`` (-1 for empty slots)."""
    flat = rec.ravel()
    filled = np.ones(flat.shape, bool) if empty is None else ~empty.ravel()
    index = np.full(flat.shape, -1, dtype=np.intp)
    try:
        distinct, code = np.unique(flat[filled], return_inverse=True)
    except TypeError:  # ids of several types (object arrays)
        codes = {}
        code = [codes.setdefault(value, len(codes)) for value in flat[filled].tolist()]
        distinct = codes
    index[filled] = np.ravel(code)
    if n_items is not None and len(distinct) > n_items:
        raise ValueError(
            f"recommended holds {len(distinct)} distinct item ids, more than "
            f"n_items={n_items}"
        )
    return index.reshape(rec.shape)


def _check_item_values(values, name):
    """A finite, non-negative 1-D float array (one value per item)."""
    values = check_array(
        values, ensure_2d=False, dtype=np.float64, input_name=name, ensure_min_samples=1
    )
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per item); got {values.shape}")
    if (values < 0).any():
        raise ValueError(f"{name} must be non-negative; got {values[values < 0][0]}")
    return values


def _list_indicator(rec, valid, n_items):
    """Binary CSR matrix (n_users, n_items): 1 where the item is in the list."""
    indptr = np.concatenate([[0], np.cumsum(valid.sum(axis=1))])
    return sp.csr_matrix(
        (np.ones(indptr[-1]), rec[valid], indptr), shape=(len(rec), n_items)
    )


def _mean_of_list_means(values, valid):
    """Mean over the non-empty lists of the mean of ``values`` over each list."""
    lengths = valid.sum(axis=1)
    filled = lengths > 0
    sums = np.where(valid, values, 0.0).sum(axis=1)
    return float(np.mean(sums[filled] / lengths[filled]))


# --------------------------------------------------------------------------- #
# Public metrics
# --------------------------------------------------------------------------- #
def catalog_coverage(recommended, n_items=None, *, item_ids=None, scores=None):
    """Share of the catalogue recommended to at least one user.

    .. math::

        \\mathrm{coverage} = \\frac{|\\bigcup_u L_u|}{n_\\mathrm{items}}

    where :math:`L_u` is the list of user :math:`u`. Higher means more of the
    catalogue gets exposure; a model that gives every user the same ``k`` items
    has coverage ``k / n_items``.

    Parameters
    ----------
    recommended : array-like of shape (n_users, k)
        Recommended items, one row per user: indices ``0..n_items-1`` (``-1``
        marks an empty slot), or item ids as ``recommend`` returns them (with
        ``item_ids``, which string ids do not need).
    n_items : int, default=None
        Size of the catalogue (e.g. ``len(model.item_ids_)``); None:
        ``len(item_ids)``. With ``item_ids``, at least ``len(item_ids)``.
    item_ids : array-like of shape (n_items,), default=None
        The id of each item index (e.g. ``model.item_ids_``): ``recommended``
        then holds raw item ids, as returned by ``recommend``.
    scores : array-like of shape (n_users, k), default=None
        The scores returned with the lists by ``recommend``: slots of score
        ``-inf`` (excluded items padding a short list) are empty.

    Returns
    -------
    coverage : float
        In ``[0, 1]``.

    See Also
    --------
    novelty : How unpopular the recommended items are.

    References
    ----------
    M. Ge, C. Delgado-Battenfeld, D. Jannach, "Beyond accuracy: evaluating
    recommender systems by coverage and serendipity", RecSys 2010.

    J. L. Herlocker, J. A. Konstan, L. G. Terveen, J. T. Riedl, "Evaluating
    collaborative filtering recommender systems", ACM TOIS 22(1), 2004.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import catalog_coverage
    >>> catalog_coverage([[0, 1], [1, 2], [0, 2]], n_items=5)
    0.6
    >>> catalog_coverage([["heat", "alien"], ["alien", "up"]], n_items=5)
    0.6
    """
    if n_items is None and item_ids is not None:
        n_items = len(np.asarray(item_ids))
    if (
        isinstance(n_items, bool)
        or not isinstance(n_items, numbers.Integral)
        or n_items < 1
    ):
        raise ValueError(
            f"n_items must be a positive integer (or None with item_ids); got "
            f"{n_items!r}"
        )
    n_known = None if item_ids is None else len(np.asarray(item_ids))
    if n_known is not None and n_known > n_items:
        raise ValueError(
            f"item_ids has {n_known} ids, more than the n_items={n_items} items "
            "of the catalogue"
        )
    rec, valid = _check_recommended(
        recommended,
        int(n_items) if n_known is None else n_known,
        name="n_items" if n_known is None else "len(item_ids)",
        item_ids=item_ids,
        scores=scores,
        raw_ids=True,
    )
    shown = np.zeros(int(n_items), dtype=bool)
    shown[rec[valid]] = True
    return float(np.count_nonzero(shown) / n_items)


def novelty(recommended, item_popularity, *, item_ids=None, scores=None):
    """Mean self-information of the recommended items.

    An item that a share :math:`p_i` of the users interacted with carries
    :math:`-\\log_2 p_i` bits of information; the novelty of a list is the mean
    over its items, and the metric the mean over users (Zhou et al. 2010):

    .. math::

        \\mathrm{novelty} = \\frac{1}{|U|} \\sum_u \\frac{1}{|L_u|}
        \\sum_{i \\in L_u} -\\log_2 p_i

    Higher means less popular (more novel) recommendations: an item every user
    had gives 0 bits, one that 1 user in 1024 had gives 10 bits.

    Parameters
    ----------
    recommended : array-like of shape (n_users, k)
        Recommended item indices, one row per user; ``-1`` marks an empty slot.
        Or raw item ids with ``item_ids``. Users with an empty list are
        skipped.
    item_popularity : array-like of shape (n_items,)
        :math:`p_i`, the share of (training) users who interacted with each
        item, in ``[0, 1]``.
    item_ids : array-like of shape (n_items,), default=None
        The id of each item index (e.g. ``model.item_ids_``): ``recommended``
        then holds raw item ids, as returned by ``recommend``.
    scores : array-like of shape (n_users, k), default=None
        The scores returned with the lists by ``recommend``: slots of score
        ``-inf`` (excluded items padding a short list) are empty.

    Returns
    -------
    novelty : float
        In bits, non-negative.

    Raises
    ------
    ValueError
        When a recommended item has popularity 0: its self-information is
        infinite. Smooth the shares first, e.g. ``max(n_i, 1) / n_users``
        (what :func:`make_beyond_accuracy_scorer` does) or
        ``(n_i + 1) / (n_users + 1)``.

    See Also
    --------
    average_recommendation_popularity : The mean popularity itself.

    References
    ----------
    T. Zhou, Z. Kuscsik, J.-G. Liu, M. Medo, J. R. Wakeling, Y.-C. Zhang,
    "Solving the apparent diversity-accuracy dilemma of recommender systems",
    PNAS 107(10), 2010.

    P. Castells, N. J. Hurley, S. Vargas, "Novelty and diversity in recommender
    systems", Recommender Systems Handbook, 2nd ed., Springer 2015.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import novelty
    >>> popularity = [0.5, 0.25, 1.0, 0.125]
    >>> novelty([[0, 1], [2, 3]], popularity)  # ((1 + 2) / 2 + (0 + 3) / 2) / 2
    1.5
    """
    popularity = _check_item_values(item_popularity, "item_popularity")
    if (popularity > 1).any():
        raise ValueError(
            "item_popularity must be shares of users in [0, 1]; got "
            f"{popularity[popularity > 1][0]}"
        )
    rec, valid = _check_recommended(
        recommended,
        len(popularity),
        name="len(item_popularity)",
        item_ids=item_ids,
        scores=scores,
    )
    p = popularity[np.where(valid, rec, 0)]
    zero = valid & (p == 0)
    if zero.any():
        raise ValueError(
            f"{len(np.unique(rec[zero]))} recommended item(s) have popularity 0 "
            f"(e.g. item {rec[zero][0]}), whose self-information -log2(p) is "
            "infinite; smooth item_popularity first, e.g. max(n_i, 1) / n_users"
        )
    with np.errstate(divide="ignore"):
        bits = -np.log2(np.where(valid, p, 1.0))
    return abs(_mean_of_list_means(bits, valid))  # abs: no -0.0


def average_recommendation_popularity(
    recommended, item_popularity, *, item_ids=None, scores=None
):
    """Mean popularity of the recommended items (ARP).

    .. math::

        \\mathrm{ARP} = \\frac{1}{|U|} \\sum_u \\frac{1}{|L_u|}
        \\sum_{i \\in L_u} \\phi(i)

    with :math:`\\phi(i)` the popularity of item :math:`i` (Abdollahpouri et
    al. 2019 use its number of training ratings; any popularity measure works,
    e.g. the share of training users). **Lower is better** when the goal is
    less popularity bias: the :class:`~sklearn_attnrec.PopularityRecommender`
    maximises it.

    Parameters
    ----------
    recommended : array-like of shape (n_users, k)
        Recommended item indices, one row per user; ``-1`` marks an empty slot.
        Or raw item ids with ``item_ids``. Users with an empty list are
        skipped.
    item_popularity : array-like of shape (n_items,)
        Non-negative popularity of each item (counts or shares).
    item_ids : array-like of shape (n_items,), default=None
        The id of each item index (e.g. ``model.item_ids_``): ``recommended``
        then holds raw item ids, as returned by ``recommend``.
    scores : array-like of shape (n_users, k), default=None
        The scores returned with the lists by ``recommend``: slots of score
        ``-inf`` (excluded items padding a short list) are empty.

    Returns
    -------
    arp : float
        In the units of ``item_popularity``.

    See Also
    --------
    novelty : The mean self-information ``-log2`` of the popularity shares.

    References
    ----------
    H. Abdollahpouri, R. Burke, B. Mobasher, "Managing popularity bias in
    recommender systems with personalized re-ranking", FLAIRS 2019.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import average_recommendation_popularity
    >>> popularity = [0.5, 0.25, 1.0, 0.125]
    >>> average_recommendation_popularity([[0, 1], [2, 3]], popularity)
    0.46875
    """
    popularity = _check_item_values(item_popularity, "item_popularity")
    rec, valid = _check_recommended(
        recommended,
        len(popularity),
        name="len(item_popularity)",
        item_ids=item_ids,
        scores=scores,
    )
    return _mean_of_list_means(popularity[np.where(valid, rec, 0)], valid)


def intra_list_diversity(recommended, item_vectors, *, item_ids=None, scores=None):
    """Mean pairwise cosine distance between the items of each list (ILD).

    .. math::

        \\mathrm{ILD} = \\frac{1}{|U|} \\sum_u \\frac{1}{|L_u|(|L_u| - 1)}
        \\sum_{a \\ne b \\in L_u} \\left(1 - \\cos(v_a, v_b)\\right)

    Computed without enumerating the pairs: with unit-length :math:`\\hat v`
    and :math:`S_u = \\sum_{a \\in L_u} \\hat v_a`,
    :math:`\\sum_{a \\ne b} \\cos(v_a, v_b) = \\|S_u\\|^2 - \\sum_a
    \\|\\hat v_a\\|^2`. Higher means more varied lists.

    Parameters
    ----------
    recommended : array-like of shape (n_users, k)
        Recommended item indices, one row per user; ``-1`` marks an empty slot.
        Or raw item ids with ``item_ids``. Users with fewer than 2 items are
        skipped.
    item_vectors : {array-like, sparse matrix} of shape (n_items, n_features)
        One vector per item: item features (genres, tf-idf, ...) or a model's
        item factors (e.g. ``MatrixFactorization.item_factors_``). A zero
        vector has cosine 0 with every item (distance 1).
    item_ids : array-like of shape (n_items,), default=None
        The id of each item index (e.g. ``model.item_ids_``): ``recommended``
        then holds raw item ids, as returned by ``recommend``.
    scores : array-like of shape (n_users, k), default=None
        The scores returned with the lists by ``recommend``: slots of score
        ``-inf`` (excluded items padding a short list) are empty.

    Returns
    -------
    diversity : float
        In ``[0, 2]``; in ``[0, 1]`` for non-negative vectors.

    Raises
    ------
    ValueError
        When no list holds two items.

    See Also
    --------
    mean_list_overlap : Similarity *between* the lists of different users.

    References
    ----------
    B. Smyth, P. McClave, "Similarity vs. diversity", ICCBR 2001.

    C.-N. Ziegler, S. M. McNee, J. A. Konstan, G. Lausen, "Improving
    recommendation lists through topic diversification", WWW 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.metrics import intra_list_diversity
    >>> vectors = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]])
    >>> # user 0: orthogonal items (distance 1); user 1: parallel items (0)
    >>> intra_list_diversity([[0, 1], [0, 2]], vectors)
    0.5
    """
    vectors = check_array(
        item_vectors,
        accept_sparse="csr",
        dtype=np.float64,
        input_name="item_vectors",
    )
    n_items, n_features = vectors.shape
    rec, valid = _check_recommended(
        recommended,
        n_items,
        name="item_vectors.shape[0]",
        item_ids=item_ids,
        scores=scores,
    )
    lengths = valid.sum(axis=1)
    users = np.flatnonzero(lengths >= 2)
    if len(users) == 0:
        raise _UndefinedMetric(
            "intra-list diversity needs lists of at least 2 items; every list "
            "holds fewer"
        )
    unit = normalize(vectors, norm="l2")  # zero rows stay zero
    if sp.issparse(unit):
        unit_sq = np.asarray(unit.multiply(unit).sum(axis=1)).ravel()
    else:
        unit_sq = np.einsum("ij,ij->i", unit, unit)
    indicator = _list_indicator(rec[users], valid[users], n_items)
    self_terms = indicator @ unit_sq
    sum_sq = np.empty(len(users))
    # The per-user sums S_u, a block of users at a time: memory-bounded. A row
    # of S_u has at most n_features entries, and for sparse vectors at most
    # k times the longest item vector.
    width = n_features
    if sp.issparse(unit) and unit.nnz:
        width = min(width, rec.shape[1] * int(np.diff(unit.indptr).max()))
    for rows in gen_batches(len(users), max(1, _PAIRS_PER_BLOCK // max(width, 1))):
        sums = indicator[rows] @ unit
        if sp.issparse(sums):
            sum_sq[rows] = np.asarray(sums.multiply(sums).sum(axis=1)).ravel()
        else:
            sum_sq[rows] = np.einsum("ij,ij->i", sums, sums)
    m = lengths[users].astype(np.float64)
    mean_cos = (sum_sq - self_terms) / (m * (m - 1))
    return float(np.mean(np.clip(1.0 - mean_cos, 0.0, 2.0)))


def _list_pairs_prepare(recommended, item_ids, scores):
    """Non-empty lists, their indicator matrix and lengths."""
    rec, valid = _check_recommended(
        recommended, item_ids=item_ids, scores=scores, raw_ids=True
    )
    lengths = valid.sum(axis=1)
    keep = lengths > 0
    rec, valid, lengths = rec[keep], valid[keep], lengths[keep]
    if len(rec) < 2:
        raise _UndefinedMetric(
            "comparing lists needs at least 2 users with a non-empty list; got "
            f"{len(rec)}"
        )
    return rec, valid, lengths


def mean_list_overlap(recommended, *, item_ids=None, scores=None):
    """Mean overlap between the lists of two different users.

    The overlap of two lists is the cosine similarity of their binary item
    indicators, :math:`|L_u \\cap L_v| / \\sqrt{|L_u|\\,|L_v|}`: for lists of
    equal length ``k`` it is the share of shared items :math:`q_{uv}/k`, i.e.
    one minus the inter-user Hamming distance of Zhou et al. (2010), whose mean
    they call *personalisation*. The metric is the mean over all pairs of
    distinct users:

    .. math::

        \\frac{1}{n(n - 1)} \\sum_{u \\ne v}
        \\frac{|L_u \\cap L_v|}{\\sqrt{|L_u|\\,|L_v|}}

    **Lower is better** (more personal lists): 1 when every user gets the same
    list, 0 when no two lists share an item. Computed exactly in
    ``O(n_users * k)`` time and memory, without forming the pairs: with
    :math:`c_i = \\sum_{u \\ni i} |L_u|^{-1/2}`, the sum over all ordered pairs
    (self-pairs included) is :math:`\\sum_i c_i^2`, and the self-pairs
    contribute exactly ``n``.

    Parameters
    ----------
    recommended : array-like of shape (n_users, k)
        Recommended item indices or ids, one row per user; ``-1`` marks an
        empty slot of indices. Users with an empty list are skipped.
    item_ids : array-like of shape (n_catalog,), default=None
        Item ids (e.g. ``model.item_ids_``): ``recommended`` then holds raw
        item ids, each of which must be in ``item_ids``. Not needed for string
        ids.
    scores : array-like of shape (n_users, k), default=None
        The scores returned with the lists by ``recommend``: slots of score
        ``-inf`` (excluded items padding a short list) are empty.

    Returns
    -------
    overlap : float
        In ``[0, 1]``.

    Raises
    ------
    ValueError
        With fewer than 2 non-empty lists.

    See Also
    --------
    near_duplicate_list_share : The share of users whose list is nearly
        another user's.

    References
    ----------
    T. Zhou, Z. Kuscsik, J.-G. Liu, M. Medo, J. R. Wakeling, Y.-C. Zhang,
    "Solving the apparent diversity-accuracy dilemma of recommender systems",
    PNAS 107(10), 2010.

    Examples
    --------
    >>> from sklearn_attnrec.metrics import mean_list_overlap
    >>> # pairs (0, 1): 1 shared of 2, (0, 2): 0, (1, 2): 1 -> (0.5 + 0 + 0.5) / 3
    >>> round(mean_list_overlap([[0, 1], [1, 2], [2, 3]]), 4)
    0.3333
    """
    rec, valid, lengths = _list_pairs_prepare(recommended, item_ids, scores)
    n = len(rec)
    weights = np.broadcast_to(1.0 / np.sqrt(lengths)[:, None], rec.shape)
    column_sums = np.bincount(rec[valid], weights=weights[valid])
    total = float(column_sums @ column_sums) - n
    return float(np.clip(total / (n * (n - 1)), 0.0, 1.0))


def near_duplicate_list_share(
    recommended, threshold=0.9, *, item_ids=None, scores=None
):
    """Share of users whose list nearly equals another user's list.

    A user's list is a near duplicate when its overlap
    :math:`|L_u \\cap L_v| / \\sqrt{|L_u|\\,|L_v|}` (see
    :func:`mean_list_overlap`) with the list of at least one other user is
    ``>= threshold``. For lists of length ``k = 10`` and the default
    ``threshold=0.9``, that is at least 9 shared items. **Lower is better**:
    the metric catches a model that gives many users (nearly) the same list;
    a model that gives everyone the same list scores 1.

    Parameters
    ----------
    recommended : array-like of shape (n_users, k)
        Recommended item indices or ids, one row per user; ``-1`` marks an
        empty slot of indices. Users with an empty list are skipped.
    threshold : float, default=0.9
        Minimum overlap, in ``(0, 1]``; ``1`` counts only identical lists.
    item_ids : array-like of shape (n_catalog,), default=None
        Item ids (e.g. ``model.item_ids_``): ``recommended`` then holds raw
        item ids, each of which must be in ``item_ids``. Not needed for string
        ids.
    scores : array-like of shape (n_users, k), default=None
        The scores returned with the lists by ``recommend``: slots of score
        ``-inf`` (excluded items padding a short list) are empty.

    Returns
    -------
    share : float
        In ``[0, 1]``.

    Raises
    ------
    ValueError
        With fewer than 2 non-empty lists.

    See Also
    --------
    mean_list_overlap : The mean overlap over all pairs of users.

    Notes
    -----
    Identical lists are grouped first (one sort), so only the distinct lists
    are compared pair by pair, through the sparse product :math:`L L^\\top` of
    their item indicators. The product is formed a block of rows at a time
    (upper triangle only) with at most about ``2**21`` pairs per block, so the
    memory stays bounded for any number of users; the time is quadratic in the
    number of distinct lists in the worst case (10 000 distinct lists: about
    5 * 10^7 pairs, a few seconds).

    Examples
    --------
    >>> from sklearn_attnrec.metrics import near_duplicate_list_share
    >>> lists = [[0, 1, 2], [2, 1, 0], [0, 1, 3], [4, 5, 6]]
    >>> near_duplicate_list_share(lists)  # users 0 and 1 share all 3 items
    0.5
    >>> near_duplicate_list_share(lists, threshold=0.6)  # user 2: 2 of 3
    0.75
    """
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not 0 < threshold <= 1
    ):
        raise ValueError(f"threshold must be a number in (0, 1]; got {threshold!r}")
    rec, valid, lengths = _list_pairs_prepare(recommended, item_ids, scores)
    # Group identical lists (as sets): sort each row, -1 padding first.
    distinct, group, counts = np.unique(
        np.sort(rec, axis=1), axis=0, return_inverse=True, return_counts=True
    )
    group = group.ravel()
    flagged = counts >= 2  # an identical list elsewhere: overlap 1
    n_distinct = len(distinct)
    if n_distinct >= 2:
        distinct_valid = distinct >= 0
        n_items = int(rec.max()) + 1
        indicator = _list_indicator(distinct, distinct_valid, n_items)
        norms = np.sqrt(distinct_valid.sum(axis=1).astype(np.float64))
        block = max(1, _PAIRS_PER_BLOCK // n_distinct)
        for rows in gen_batches(n_distinct, block):
            # Pairs (a, b) with a in this block and b > a.
            shared = (indicator[rows] @ indicator[rows.start :].T).tocoo()
            a = shared.row + rows.start
            b = shared.col + rows.start
            overlap = shared.data / (norms[a] * norms[b])
            near = (b > a) & (overlap >= threshold - _TOLERANCE)
            flagged[a[near]] = True
            flagged[b[near]] = True
    return float(np.mean(flagged[group]))


# --------------------------------------------------------------------------- #
# Scorer
# --------------------------------------------------------------------------- #
_BEYOND_METRIC_NAMES = {
    "coverage": "coverage",
    "catalog_coverage": "coverage",
    "novelty": "novelty",
    "arp": "arp",
    "average_recommendation_popularity": "arp",
    "diversity": "diversity",
    "ild": "diversity",
    "intra_list_diversity": "diversity",
    "list_overlap": "list_overlap",
    "mean_list_overlap": "list_overlap",
    "near_duplicate": "near_duplicate",
    "near_duplicate_list_share": "near_duplicate",
}
_GREATER_IS_BETTER = {
    "coverage": True,
    "novelty": True,
    "arp": False,
    "diversity": True,
    "list_overlap": False,
    "near_duplicate": False,
}


def make_beyond_accuracy_scorer(
    metric,
    k=10,
    *,
    item_features=None,
    item_ids=None,
    threshold=0.9,
    exclude_seen=True,
):
    """Make a scorer that measures the top-``k`` lists of the test users.

    Use it next to accuracy scorers in the ``scoring`` dict of
    :func:`~sklearn.model_selection.cross_validate` or
    :class:`~sklearn.model_selection.GridSearchCV`. On a test fold ``X`` the
    scorer takes the distinct users of the first column of ``X``, ranks every
    item the fitted model knows for each of them (leaving out the items they
    had in training with ``exclude_seen``), keeps the top ``k`` and computes
    the metric on these lists. ``y`` and the test items are not used.

    Parameters
    ----------
    metric : {"coverage", "novelty", "arp", "diversity", "list_overlap", \
"near_duplicate"}
        - ``"coverage"`` (alias ``"catalog_coverage"``):
          :func:`catalog_coverage`, the catalogue being the items the model
          knows (``item_ids_``);
        - ``"novelty"``: :func:`novelty`, with :math:`p_i` the share of
          training users who interacted with item ``i`` (an item with no
          training user counts as having 1, so that ``-log2 p_i`` is finite);
        - ``"arp"`` (alias ``"average_recommendation_popularity"``):
          :func:`average_recommendation_popularity` of the same shares;
        - ``"diversity"`` (aliases ``"ild"``, ``"intra_list_diversity"``):
          :func:`intra_list_diversity` of ``item_features``, or of the model's
          ``item_factors_`` when ``item_features`` is None;
        - ``"list_overlap"`` (alias ``"mean_list_overlap"``):
          :func:`mean_list_overlap`;
        - ``"near_duplicate"`` (alias ``"near_duplicate_list_share"``):
          :func:`near_duplicate_list_share` with ``threshold``.
    k : int, default=10
        Length of the lists (at least 2 for ``"diversity"``). A user with
        fewer than ``k`` eligible items gets a shorter list.
    item_features : {array-like, sparse matrix, DataFrame} of shape \
(n_catalog, n_features), default=None
        Item vectors for ``"diversity"`` (ignored by the other metrics). Their
        rows are matched to the model's items by id: ``item_ids`` gives the id
        of each row, else the index of a DataFrame; a plain array without
        ``item_ids`` must have one row per item of the fitted model's
        ``item_ids_``, in that order (which may differ between folds, so prefer
        ``item_ids`` in cross-validation). Every item of the model needs a row.
    item_ids : array-like of shape (n_catalog,), default=None
        Item id of each row of ``item_features``.
    threshold : float, default=0.9
        Minimum overlap of two near-duplicate lists (``"near_duplicate"``
        only).
    exclude_seen : bool, default=True
        Do not recommend the items a user interacted with in training.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``, the **raw** metric value.
        ``scorer.greater_is_better`` tells its direction: True for coverage,
        novelty and diversity; False for ``"arp"``, ``"list_overlap"`` and
        ``"near_duplicate"``, where lower means less popularity bias or more
        personal lists.

    Notes
    -----
    The values are not negated, so that the table of
    :func:`~sklearn.model_selection.cross_validate` reads in the metric's own
    units; do not use a lower-is-better scorer as the ``refit`` criterion of
    a search, which maximises. These metrics describe a model rather than rank
    models by themselves: pair them with an accuracy scorer
    (:func:`make_ranking_scorer`).

    The estimator is the recommender itself (scored through its ranking
    scores) or, like for :func:`make_ranking_scorer`, a Pipeline scored
    through ``predict`` on every ``[user, item]`` pair of the item vocabulary
    of its first recommender step. The lists are built a block of users at a
    time, with at most about ``2**21`` scores held at once.

    A metric left undefined by the test fold (fewer than two test users for
    ``"list_overlap"`` / ``"near_duplicate"``) gives NaN with an
    :class:`~sklearn.exceptions.UndefinedMetricWarning`.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from sklearn_attnrec import PerUserKFold, PopularityRecommender
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> from sklearn_attnrec.metrics import make_beyond_accuracy_scorer
    >>> X, y = make_interactions(n_users=40, n_items=25, random_state=0)
    >>> scoring = {"coverage": make_beyond_accuracy_scorer("coverage", k=5),
    ...            "arp": make_beyond_accuracy_scorer("arp", k=5)}
    >>> result = cross_validate(PopularityRecommender(), X, y, scoring=scoring,
    ...                         cv=PerUserKFold(3, random_state=0))
    >>> bool(result["test_coverage"].max() < 0.5)  # same popular items for all
    True
    """
    if metric not in _BEYOND_METRIC_NAMES:
        raise ValueError(
            f"metric must be one of {sorted(_BEYOND_METRIC_NAMES)}; got {metric!r}"
        )
    metric = _BEYOND_METRIC_NAMES[metric]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}")
    if metric == "diversity" and k < 2:
        raise ValueError(
            f"intra-list diversity compares the items of a list: k must be at "
            f"least 2; got {k}"
        )
    if metric == "near_duplicate" and (
        isinstance(threshold, bool)
        or not isinstance(threshold, numbers.Real)
        or not 0 < threshold <= 1
    ):
        raise ValueError(f"threshold must be a number in (0, 1]; got {threshold!r}")
    features, feature_ids = None, None
    if item_features is not None:
        features, feature_ids = _check_item_features(item_features, item_ids)
    elif item_ids is not None:
        raise ValueError("item_ids is given without item_features")
    return _BeyondAccuracyScorer(
        metric, int(k), features, feature_ids, threshold, exclude_seen
    )


def _check_item_features(item_features, item_ids):
    """``(features, ids)``: features as CSR or 2-D float array; ids sorted
    with the rows in the same order, or None (rows aligned with item_ids_)."""
    if item_ids is None and hasattr(item_features, "index"):
        item_ids = np.asarray(item_features.index)
    if hasattr(item_features, "to_numpy"):
        item_features = item_features.to_numpy()
    features = check_array(
        item_features, accept_sparse="csr", dtype=np.float64, input_name="item_features"
    )
    if item_ids is None:
        return features, None
    ids = np.asarray(item_ids)
    if ids.ndim != 1 or len(ids) != features.shape[0]:
        raise ValueError(
            f"item_ids must be 1-D with one id per row of item_features "
            f"({features.shape[0]}); got shape {ids.shape}"
        )
    ids, order = _sorted_ids(ids, "item_ids")
    return features[order], ids


class _BeyondAccuracyScorer:
    """Callable ``(estimator, X, y=None) -> float``; see
    make_beyond_accuracy_scorer."""

    def __init__(self, metric, k, item_features, item_ids, threshold, exclude_seen):
        self.metric = metric
        self.k = k
        self.item_features = item_features
        self.item_ids = item_ids
        self.threshold = threshold
        self.exclude_seen = exclude_seen

    @property
    def greater_is_better(self):
        return _GREATER_IS_BETTER[self.metric]

    def __repr__(self):
        extra = ""
        if self.metric == "near_duplicate":
            extra = f", threshold={self.threshold!r}"
        elif self.metric == "diversity" and self.item_features is not None:
            extra = ", item_features=..."
        return (
            f"make_beyond_accuracy_scorer(metric={self.metric!r}, k={self.k}"
            f"{extra}, exclude_seen={self.exclude_seen})"
        )

    def __call__(self, estimator, X, y=None, sample_weight=None):
        recommender, direct = _find_recommender(estimator)
        check_is_fitted(recommender)
        if direct:
            X = recommender.check_interactions(X)
        users, _ = interaction_columns(X)
        test_users = np.unique(users)
        if len(test_users) == 0:
            return _undefined("the test set holds no user")
        n_items = len(recommender.item_ids_)
        # Check the item vectors before ranking anything.
        vectors = (
            self._item_vectors(recommender) if self.metric == "diversity" else None
        )
        recommended = self._top_k(estimator, recommender, direct, X, test_users)
        try:
            return self._metric(recommended, recommender, n_items, vectors)
        except _UndefinedMetric as exc:
            return _undefined(str(exc))

    def _top_k(self, estimator, recommender, direct, X, test_users):
        """Top-k item indices of each test user, ``-1`` for excluded slots."""
        n_items = len(recommender.item_ids_)
        k = min(self.k, n_items)
        recommended = np.empty((len(test_users), k), dtype=np.intp)
        for block, scores in _score_blocks(
            estimator, recommender, direct, X, test_users, self.exclude_seen
        ):
            top = topk_indices(scores, k)
            # Seen items (score -inf) fill the lists of users with fewer than k
            # eligible items: they are not recommendations.
            top[np.take_along_axis(scores, top, axis=1) == -np.inf] = -1
            recommended[block] = top
        return recommended

    def _metric(self, recommended, recommender, n_items, vectors):
        if self.metric == "coverage":
            return catalog_coverage(recommended, n_items)
        if self.metric in ("novelty", "arp"):
            counts, n_users = _training_user_counts(recommender, n_items)
            if self.metric == "arp":
                return average_recommendation_popularity(recommended, counts / n_users)
            return novelty(recommended, np.maximum(counts, 1) / max(n_users, 1))
        if self.metric == "diversity":
            return intra_list_diversity(recommended, vectors)
        if self.metric == "list_overlap":
            return mean_list_overlap(recommended)
        return near_duplicate_list_share(recommended, self.threshold)

    def _item_vectors(self, recommender):
        """Item vectors aligned with ``recommender.item_ids_``."""
        n_items = len(recommender.item_ids_)
        if self.item_features is None:
            factors = getattr(recommender, "item_factors_", None)
            if factors is None:
                raise ValueError(
                    "intra-list diversity needs item vectors: "
                    f"{type(recommender).__name__} has no item_factors_; pass "
                    "item_features= (and item_ids=) to make_beyond_accuracy_scorer"
                )
            return factors
        if self.item_ids is None:
            if self.item_features.shape[0] != n_items:
                raise ValueError(
                    f"item_features has {self.item_features.shape[0]} rows but the "
                    f"fitted recommender knows {n_items} items; pass item_ids= (the "
                    "id of each row) to match the rows by item id"
                )
            return self.item_features
        rows = encode_ids(recommender.item_ids_, self.item_ids)
        missing = rows == UNKNOWN
        if missing.any():
            raise ValueError(
                f"{missing.sum()} item(s) of the fitted recommender have no row in "
                f"item_features, e.g. {recommender.item_ids_[missing][:5].tolist()}"
            )
        return self.item_features[rows]


def _training_user_counts(recommender, n_items):
    """Number of training users of each item, and the number of users."""
    R = sp.csr_matrix(recommender.user_items_)
    if not R.has_canonical_format:
        R = R.copy()
        R.sum_duplicates()
    return np.bincount(R.indices, minlength=n_items).astype(np.float64), R.shape[0]


def _undefined(reason):
    warnings.warn(
        f"the beyond-accuracy score is undefined: {reason}",
        UndefinedMetricWarning,
        stacklevel=3,
    )
    return float("nan")
