"""Synthetic interaction and sequence generators with a known ground truth."""

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..utils._validation import check_scalar

__all__ = ["make_interactions", "make_sequences"]

# Memory bound of the per-block score matrices (entries, i.e. ~8 MiB of float64).
_BLOCK_ENTRIES = 1 << 20
# Constants of the generative model of ``make_interactions``.
_GLOBAL_MEAN = 3.5
_USER_BIAS_STD = 0.3
_ITEM_BIAS_STD = 0.5
_AFFINITY_STD = 0.8  # std of p_u . q_i
_IMPLICIT_TILT = 2.0  # implicit: weight_ui = popularity_i * exp(2 * (p_u.q_i + b_i))
_USER_ACTIVITY_SIGMA = 0.5  # lognormal spread of the per-user number of interactions


def _check_int(value, name, min_val):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int, got a bool ({value!r}).")
    return int(check_scalar(value, name, numbers.Integral, min_val=min_val))


def _check_real(value, name, min_val=None, max_val=None, include="both"):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got a bool ({value!r}).")
    value = check_scalar(
        value,
        name,
        numbers.Real,
        min_val=min_val,
        max_val=max_val,
        include_boundaries=include,
    )
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    return float(value)


def _check_bool(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}.")
    return bool(value)


def _popularity_log_weights(n_items, popularity_skew, rng):
    """log of Zipf-like weights ``(rank + 1) ** -skew`` over a random item order."""
    rank = np.empty(n_items, dtype=np.int64)
    rank[rng.permutation(n_items)] = np.arange(n_items)
    return -popularity_skew * np.log1p(rank)


def _allocate_counts(n_users, n_items, n_target, rng):
    """Interactions per user: at least min(3, n_items), at most n_items, summing
    to ``max(n_target, n_users * min(3, n_items))``; the surplus is spread with
    lognormal user-activity weights."""
    floor = min(3, n_items)
    cap = n_items - floor
    counts = np.full(n_users, floor, dtype=np.int64)
    extra = min(max(n_target - floor * n_users, 0), cap * n_users)
    activity = rng.lognormal(0.0, _USER_ACTIVITY_SIGMA, size=n_users)
    if extra == cap * n_users:
        return counts + cap
    added = np.zeros(n_users, dtype=np.int64)
    while extra > 0:
        room = cap - added
        weights = np.where(room > 0, activity, 0.0)
        draw = rng.multinomial(extra, weights / weights.sum())
        added += np.minimum(draw, room)
        extra = int(np.maximum(draw - room, 0).sum())
    return counts + added


def make_interactions(
    n_users=100,
    n_items=50,
    n_components=5,
    density=0.1,
    noise=0.1,
    implicit=False,
    popularity_skew=1.0,
    return_factors=False,
    random_state=None,
):
    """Generate user-item interactions with a known low-rank + bias structure.

    The true (noiseless) rating of user ``u`` for item ``i`` is::

        r_ui = mu + b_u + b_i + p_u . q_i

    with ``mu = 3.5``, ``b_u ~ N(0, 0.3**2)``, ``b_i ~ N(0, 0.5**2)`` and factor
    entries ``~ N(0, 0.8 / sqrt(n_components))`` (variance), so that ``p_u . q_i``
    has a standard deviation of about 0.8 whatever ``n_components``.

    Which pairs are observed: each user gets a number of distinct items (at
    least ``min(3, n_items)``, more for more active users, lognormal activity),
    about ``round(density * n_users * n_items)`` pairs in all. Items are drawn
    without replacement with probability proportional to the popularity weight
    ``(rank_i + 1) ** -popularity_skew``, where ``rank`` is a random permutation
    of the items (Zipf-like; ``popularity_skew=0`` is uniform). With
    ``implicit=True`` the weight is further multiplied by
    ``exp(2 * (p_u . q_i + b_i))``, so observed items are those the user likes.
    Sampling uses the Gumbel-top-k trick on blocks of users, so memory stays
    bounded for large ``n_users * n_items``.

    Parameters
    ----------
    n_users : int, default=100
        Number of users (ids ``0 .. n_users - 1``).

    n_items : int, default=50
        Number of items (ids ``0 .. n_items - 1``).

    n_components : int, default=5
        Rank of the interaction term ``p_u . q_i``.

    density : float, default=0.1
        Target fraction of observed pairs, in ``(0, 1]``. The actual number of
        pairs is ``max(round(density * n_users * n_items), n_users * min(3,
        n_items))``.

    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to explicit ratings.

    implicit : bool, default=False
        If True, return implicit feedback: ``y`` is all ones, and observed pairs
        are tilted towards high affinity as described above. If False, ``y``
        holds the noisy continuous ratings (not rounded or clipped).

    popularity_skew : float, default=1.0
        Zipf exponent of the item popularity; ``0`` means uniform, larger means
        fewer items get most interactions.

    return_factors : bool, default=False
        If True, also return the ground truth.

    random_state : int, RandomState instance or None, default=None
        Seed or generator; the same seed gives identical output.

    Returns
    -------
    X : ndarray of shape (n_interactions, 2), dtype int64
        ``[user_id, item_id]`` rows, distinct, in random order.

    y : ndarray of shape (n_interactions,), dtype float64
        Ratings (explicit) or ones (implicit).

    truth : :class:`~sklearn.utils.Bunch`
        Only when ``return_factors=True``: ``user_factors`` (n_users,
        n_components), ``item_factors`` (n_items, n_components), ``user_bias``,
        ``item_bias``, ``global_mean``, ``ratings`` (the dense noiseless
        ``n_users x n_items`` matrix ``r_ui``) and ``item_popularity`` (the
        normalised popularity weights).

    See Also
    --------
    make_sequences : Synthetic sequences for next-item prediction.

    Examples
    --------
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> X, y = make_interactions(n_users=20, n_items=10, density=0.3,
    ...                          random_state=0)
    >>> X.shape, y.shape
    ((60, 2), (60,))
    >>> X, y, truth = make_interactions(n_users=20, n_items=10, random_state=0,
    ...                                 return_factors=True)
    >>> truth.ratings.shape
    (20, 10)
    """
    n_users = _check_int(n_users, "n_users", 1)
    n_items = _check_int(n_items, "n_items", 1)
    n_components = _check_int(n_components, "n_components", 1)
    density = _check_real(density, "density", 0.0, 1.0, include="right")
    noise = _check_real(noise, "noise", 0.0)
    implicit = _check_bool(implicit, "implicit")
    popularity_skew = _check_real(popularity_skew, "popularity_skew", 0.0)
    return_factors = _check_bool(return_factors, "return_factors")
    rng = check_random_state(random_state)

    user_bias = rng.normal(0.0, _USER_BIAS_STD, size=n_users)
    item_bias = rng.normal(0.0, _ITEM_BIAS_STD, size=n_items)
    factor_std = np.sqrt(_AFFINITY_STD / np.sqrt(n_components))
    user_factors = rng.normal(0.0, factor_std, size=(n_users, n_components))
    item_factors = rng.normal(0.0, factor_std, size=(n_items, n_components))
    log_pop = _popularity_log_weights(n_items, popularity_skew, rng)

    n_target = round(density * n_users * n_items)
    counts = _allocate_counts(n_users, n_items, n_target, rng)

    block = max(1, _BLOCK_ENTRIES // n_items)
    users_out, items_out = [], []
    for start in range(0, n_users, block):
        stop = min(start + block, n_users)
        k = counts[start:stop]
        keys = log_pop + rng.gumbel(size=(stop - start, n_items))
        if implicit:
            keys += _IMPLICIT_TILT * (
                user_factors[start:stop] @ item_factors.T + item_bias
            )
        kmax = int(k.max())
        if kmax < n_items:
            top = np.argpartition(-keys, kmax - 1, axis=1)[:, :kmax]
        else:
            top = np.broadcast_to(np.arange(n_items), keys.shape)
        top_keys = np.take_along_axis(keys, top, axis=1)
        top = np.take_along_axis(top, np.argsort(-top_keys, axis=1), axis=1)
        keep = np.arange(kmax) < k[:, None]
        users_out.append(np.repeat(np.arange(start, stop, dtype=np.int64), k))
        items_out.append(top[keep].astype(np.int64, copy=False))

    X = np.column_stack([np.concatenate(users_out), np.concatenate(items_out)])
    u, i = X[:, 0], X[:, 1]
    true = (
        _GLOBAL_MEAN
        + user_bias[u]
        + item_bias[i]
        + np.einsum("nk,nk->n", user_factors[u], item_factors[i])
    )
    y = true + rng.normal(0.0, noise, size=len(true))
    if implicit:
        y = np.ones(len(X), dtype=np.float64)
    perm = rng.permutation(len(X))
    X, y = np.ascontiguousarray(X[perm]), y[perm]

    if not return_factors:
        return X, y
    pop = np.exp(log_pop)
    truth = Bunch(
        user_factors=user_factors,
        item_factors=item_factors,
        user_bias=user_bias,
        item_bias=item_bias,
        global_mean=_GLOBAL_MEAN,
        ratings=(
            _GLOBAL_MEAN
            + user_bias[:, None]
            + item_bias[None, :]
            + user_factors @ item_factors.T
        ),
        item_popularity=pop / pop.sum(),
    )
    return X, y, truth


def _derangement(n, rng, max_tries=100):
    """A random permutation without fixed points (identity when n == 1)."""
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    for _ in range(max_tries):  # succeeds with probability ~1/e per try
        perm = rng.permutation(n)
        if not np.any(perm == np.arange(n)):
            return perm.astype(np.int64)
    order = rng.permutation(n)  # fallback: one random n-cycle
    perm = np.empty(n, dtype=np.int64)
    perm[order] = np.roll(order, -1)
    return perm


def make_sequences(
    n_users=100,
    n_items=50,
    mean_length=20,
    determinism=0.8,
    popularity_skew=1.0,
    return_rule=False,
    random_state=None,
):
    """Generate user interaction sequences driven by a hidden successor rule.

    Each item ``i`` has a fixed successor ``rule[i]``, a random permutation
    without fixed points (when ``n_items >= 2``). Each user's sequence starts at
    an item sampled by popularity; at every next step it moves to
    ``rule[previous]`` with probability ``determinism``, otherwise to an item
    sampled by popularity (which may be ``rule[previous]`` by chance). A model
    that learns the rule can reach a next-item accuracy of about
    ``determinism``. Popularity weights are ``(rank_i + 1) ** -popularity_skew``
    over a random order of the items.

    Sequence lengths are ``1 + Geometric(1 / (mean_length - 1))``: at least 2,
    with mean ``mean_length``. The timestamp of step ``t`` (from 0) of user
    ``u`` is ``start_u + t``, with ``start_u`` uniform in
    ``[0, 10 * mean_length)``, so timestamps increase strictly within each user
    and sequences of different users overlap in time.

    Parameters
    ----------
    n_users : int, default=100
        Number of users (ids ``0 .. n_users - 1``).

    n_items : int, default=50
        Number of items (ids ``0 .. n_items - 1``).

    mean_length : float, default=20
        Mean sequence length, at least 2.

    determinism : float, default=0.8
        Probability, in ``[0, 1]``, of following the rule at each step.

    popularity_skew : float, default=1.0
        Zipf exponent of the item popularity used for first and random steps;
        ``0`` means uniform.

    return_rule : bool, default=False
        If True, also return the successor rule.

    random_state : int, RandomState instance or None, default=None
        Seed or generator; the same seed gives identical output.

    Returns
    -------
    X : ndarray of shape (n_interactions, 3), dtype int64
        ``[user_id, item_id, timestamp]`` rows, sorted by user then time.

    rule : ndarray of shape (n_items,), dtype int64
        Only when ``return_rule=True``: ``rule[i]`` is the successor of item
        ``i``.

    See Also
    --------
    make_interactions : Synthetic ratings with a low-rank structure.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_attnrec.datasets import make_sequences
    >>> X, rule = make_sequences(n_users=5, n_items=10, determinism=1.0,
    ...                          return_rule=True, random_state=0)
    >>> X.shape[1]
    3
    >>> same_user = X[1:, 0] == X[:-1, 0]
    >>> bool(np.all(X[1:, 1][same_user] == rule[X[:-1, 1][same_user]]))
    True
    """
    n_users = _check_int(n_users, "n_users", 1)
    n_items = _check_int(n_items, "n_items", 1)
    mean_length = _check_real(mean_length, "mean_length", 2.0)
    determinism = _check_real(determinism, "determinism", 0.0, 1.0)
    popularity_skew = _check_real(popularity_skew, "popularity_skew", 0.0)
    return_rule = _check_bool(return_rule, "return_rule")
    rng = check_random_state(random_state)

    log_pop = _popularity_log_weights(n_items, popularity_skew, rng)
    pop = np.exp(log_pop - log_pop.max())
    pop /= pop.sum()
    rule = _derangement(n_items, rng)

    lengths = 1 + rng.geometric(1.0 / (mean_length - 1.0), size=n_users)
    lengths = lengths.astype(np.int64)
    start_time = rng.randint(0, int(np.ceil(10 * mean_length)), size=n_users)
    start_time = start_time.astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])

    # Users by decreasing length: at step t the active users are a prefix.
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    items = np.empty(int(lengths.sum()), dtype=np.int64)
    current = rng.choice(n_items, size=n_users, p=pop)
    items[offsets[order]] = current
    for t in range(1, int(sorted_lengths[0])):
        n_active = int(np.searchsorted(-sorted_lengths, -t, side="left"))
        prev = current[:n_active]
        follow = rng.random_sample(n_active) < determinism
        random_items = rng.choice(n_items, size=n_active, p=pop)
        current = np.where(follow, rule[prev], random_items)
        items[offsets[order[:n_active]] + t] = current

    user = np.repeat(np.arange(n_users, dtype=np.int64), lengths)
    step = np.arange(len(items), dtype=np.int64) - np.repeat(offsets, lengths)
    X = np.column_stack([user, items, start_time[user] + step])
    if return_rule:
        return X, rule
    return X
