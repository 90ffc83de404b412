"""BPRRecommender: matrix factorisation ranked by Bayesian Personalized Ranking."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state

from ..base import RankingScoreMixin, RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._param_validation import (
    RANDOM_STATE,
    RECOMMENDER_CONSTRAINTS,
    VERBOSE,
    Interval,
    validate_params,
)
from ..utils._progress import progress
from ..utils._vocabulary import UNKNOWN
from ._factors import FactorModelMixin

# Negatives are checked against the observed pairs with a dense boolean table of
# n_users x n_items cells up to this size (32 MB; MovieLens 1M fits), by binary
# search in the sorted pair keys above it.
_MAX_TABLE_CELLS = 2**25
# Rounds of redrawing negatives that hit an observed pair; triples still without
# a negative after them (users who interacted with nearly every item) are
# left out of the epoch.
_NEGATIVE_ROUNDS = 10


class _ObservedPairs:
    """Membership test ``(user, item) observed?`` for many pairs at once."""

    def __init__(self, users, items, n_items):
        self.n_items = n_items
        keys = users * n_items + items
        n_cells = (int(users.max()) + 1 if len(users) else 1) * n_items
        if n_cells <= _MAX_TABLE_CELLS:
            self.table = torch.zeros(n_cells, dtype=torch.bool)
            self.table[keys] = True
            self.keys = None
        else:
            self.table = None
            self.keys = torch.sort(keys).values

    def __call__(self, users, items):
        keys = users * self.n_items + items
        if self.table is not None:
            return self.table.take(keys)
        position = torch.searchsorted(self.keys, keys).clamp_(max=len(self.keys) - 1)
        return self.keys[position] == keys


def bpr_triples(users, items, n_items, *, observed, generator):
    """One epoch of ``(u, i, j)`` triples: every positive pair once, in a random
    order, with a negative item ``j`` drawn uniformly.

    Parameters
    ----------
    users, items : torch.LongTensor of shape (n,)
        The positive pairs.
    n_items : int
    observed : callable or None
        ``observed(users, items)`` -> bool tensor; negatives it accepts are
        redrawn (up to ``_NEGATIVE_ROUNDS`` times; triples still rejected then
        are dropped). None keeps every draw.
    generator : torch.Generator

    Returns
    -------
    u, i, j : torch.LongTensor of shape (m,), m <= n
    """
    order = torch.randperm(len(users), generator=generator)
    u, i = users[order], items[order]
    j = torch.randint(n_items, (len(u),), generator=generator)
    if observed is None:
        return u, i, j
    todo = torch.arange(len(u))
    for _ in range(_NEGATIVE_ROUNDS):
        todo = todo[observed(u[todo], j[todo])]
        if len(todo) == 0:
            return u, i, j
        j[todo] = torch.randint(n_items, (len(todo),), generator=generator)
    keep = torch.ones(len(u), dtype=torch.bool)
    keep[todo[observed(u[todo], j[todo])]] = False
    return u[keep], i[keep], j[keep]


def bpr_step(user_table, item_table, u, i, j, *, learning_rate, alpha):
    """One mini-batch SGD step on the BPR loss; updates the tables in place.

    The tables carry the item bias in their last column: ``user_table[:, -1]``
    is 1 (and stays 1), ``item_table[:, -1]`` is ``b_i``, so that
    ``x̂_ui = user_table[u] · item_table[i] = p_u·q_i + b_i``. The step is
    ``θ ← θ − learning_rate ∇L`` for the mini-batch loss::

        L = Σ_(u,i,j) −ln σ(x̂_ui − x̂_uj)
            + alpha/2 (‖p_u‖² + ‖q_i‖² + ‖q_j‖² + b_i² + b_j²),

    every gradient computed from the parameters at the start of the batch; the
    steps of a row that occurs several times in the batch add up (as sequential
    SGD over the same triples would, to first order).

    Returns
    -------
    loss : float
        ``Σ −ln σ(x̂_ui − x̂_uj)`` over the batch, before the step.
    """
    n = len(u)
    user = user_table.index_select(0, u)
    pair_items = torch.cat([i, j])
    item = item_table.index_select(0, pair_items)
    difference = item[:n] - item[n:]
    x = (user * difference).sum(1)
    loss = float(torch.nn.functional.softplus(-x).sum())
    # -∂L/∂x = 1 − σ(x) = σ(−x), times the learning rate.
    weight = torch.sigmoid(-x).mul_(learning_rate)[:, None]
    decay = -learning_rate * alpha
    user_step = difference.mul_(weight).add_(user, alpha=decay)
    user_step[:, -1] = 0.0  # the constant 1 of the bias column
    toward_user = user * weight
    item_step = torch.cat([toward_user, toward_user])
    item_step[n:].neg_()
    item_step.add_(item, alpha=decay)
    user_table.index_add_(0, u, user_step)
    item_table.index_add_(0, pair_items, item_step)
    return loss


class BPRRecommender(
    RecommenderMixin,
    FactorModelMixin,
    RankingScoreMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Matrix factorisation for implicit feedback, fitted by Bayesian
    Personalized Ranking (BPR).

    Scores ``x̂_ui = p_u·q_i + b_i`` (user factors ``p_u``, item factors
    ``q_i``, item bias ``b_i``) and learns them from pairwise preferences: a
    user prefers an item they interacted with, ``i``, to one they did not,
    ``j``. BPR-Opt (Rendle et al. 2009) maximises the log-posterior::

        Σ_(u,i,j) ln σ(x̂_ui − x̂_uj) − λ ‖Θ‖²

    which here is minimised as ``Σ −ln σ(x̂_ui − x̂_uj)`` plus ``alpha / 2``
    times the squared norms of the parameters of each triple (``p_u``,
    ``q_i``, ``q_j``, ``b_i``, ``b_j``), as in LearnBPR's per-triple
    regularised updates. Each epoch takes every observed ``(u, i)`` once in a
    random order, draws a negative ``j`` uniformly among all items (redrawn
    when the user interacted with it, ``verify_negative_samples=True``), and
    applies mini-batch SGD with a linearly decaying learning rate: the
    gradients of ``batch_size`` triples at a time, summed per row with a
    scatter-add (torch ``index_add_``), so an epoch costs a few dozen
    vectorised steps.

    Parameters
    ----------
    n_components : int, default=64
        Number of latent factors k.
    learning_rate : float, default=0.1
        Initial SGD step size per triple; it decays linearly to 0 over the
        epochs (epoch ``t = 0, 1, ...`` uses ``learning_rate · (1 − t /
        max_iter)``). The steps of a batch are summed, not averaged, so it
        means what it means for one-triple-at-a-time SGD and does not change
        with ``batch_size``.
    alpha : float, default=0.03
        L2 strength (``λ`` of BPR-Opt, applied per occurrence in a triple).
        Small data sets need more: 0.1 on 60 users x 40 items.
    max_iter : int, default=100
        Epochs; each samples one triple per observed interaction. The whole
        learning-rate schedule stretches with it.
    batch_size : int, default=2048
        Triples per SGD step. Larger batches are not faster on a CPU (the
        scatter-adds leave the cache) and average more stale gradients.
    verify_negative_samples : bool, default=True
        Redraw a negative item the user interacted with (vectorised, up to ten
        rounds; triples still without a negative are skipped for that epoch).
        False keeps every uniform draw (faster, ranks worse).
    init_scale : float, default=0.5
        Initial factors and biases are drawn uniformly from
        ``[-init_scale / 2, init_scale / 2)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the order of the triples and the negatives
        (through a ``torch.Generator``; torch's global generator is left
        alone). The same seed gives the same model on the same machine and
        number of torch threads.
    verbose : int, default=0
        Above 0, show a progress bar over the epochs and print each epoch's
        mean loss.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        An unknown user is scored as the average user: the mean of the user
        factors, ``p̄·q_i + b_i``. An unknown item gets the user's lowest score
        over the known items (it ranks last; ``transform`` gives it zero
        factors). ``"error"`` raises.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, n_components), dtype float32
        ``p_u``, one row per user of ``user_ids_``. A user without any
        positive interaction (only rows with ``y == 0``) gets the mean of the
        others, like an unknown user.
    item_factors_ : ndarray of shape (n_items, n_components), dtype float32
        ``q_i``, one row per item of ``item_ids_``.
    item_bias_ : ndarray of shape (n_items,), dtype float64
        ``b_i``.
    loss_curve_ : list of float
        Mean BPR loss ``−ln σ(x̂_ui − x̂_uj)`` (without the L2 term) per
        epoch, each mini-batch scored before its step; NaN for an epoch with
        no triple (every user interacted with every item).
    n_iter_ : int
        Epochs run (``max_iter``).
    user_ids_, item_ids_, user_items_, n_features_in_, feature_names_in_
        See :class:`~sklearn_attnrec.base.RecommenderMixin`.

    See Also
    --------
    MatrixFactorization : ``feedback="implicit"`` fits the same kind of
        factors by weighted least squares (ALS).
    PopularityRecommender : The non-personalised baseline.

    Notes
    -----
    ``y`` holds non-negative interaction weights or None. BPR only uses
    whether a pair was observed: rows with ``y > 0`` are positives (their
    weight is otherwise ignored); rows with ``y == 0`` are not positives and
    may be drawn as negatives, but ``recommend`` still leaves them out as seen
    items (``exclude_seen=True``).

    ``predict`` returns the score ``x̂_ui`` (an unbounded preference, not a
    probability); ``transform`` returns ``[p_u, q_i]`` per row (``2 *
    n_components`` columns named ``user_factor_j`` and ``item_factor_j``);
    ``score`` returns NDCG@10 of the rows of ``X`` as relevant items.
    Computations run in float32 with torch, with the torch threads as set
    (results agree across numbers of threads up to float rounding).

    Differences from the ``implicit`` library's ``BayesianPersonalizedRanking``
    (whose update this otherwise follows, item bias and per-occurrence
    regularisation included): its negatives are drawn in proportion to item
    popularity (the item of a random observed pair) and skipped when observed,
    ours are uniform and redrawn; its SGD takes one triple at a time at a
    constant learning rate (Hogwild over threads), ours sums the steps of a
    mini-batch and decays the rate linearly; each epoch here visits every
    observed pair once instead of drawing pairs with replacement; the
    defaults differ (implicit: 100 factors, learning rate 0.01,
    regularization 0.01, initial scale about 1/k).

    The defaults were chosen on inner validation splits only: 20% of each
    user's interactions in each canonical MovieLens 100K training fold
    (u1.base to u5.base) held out, NDCG@10 with ratings >= 4 relevant, mean of
    the five folds, ``random_state=0``; the test folds were never read
    (``python benchmarks/bench_bpr.py --tune``):

    ============================================  =============
    setting (64 factors, 100 epochs, init 0.5)    inner NDCG@10
    ============================================  =============
    learning_rate=0.1, alpha=0.03 (the defaults)  0.2387
    learning_rate=0.1, alpha=0.02                 0.2381
    learning_rate=0.2, alpha=0.03                 0.2379
    learning_rate=0.05, alpha=0.03                0.2354
    learning_rate=0.1, alpha=0.01                 0.2180
    learning_rate=0.1, alpha=0.05                 0.2263
    defaults, init_scale=0.1                      0.2371
    defaults, max_iter=50                         0.2337
    defaults, max_iter=200                        0.2413
    defaults, n_components=32                     0.2369
    defaults, n_components=128                    0.2390
    learning_rate=0.01, alpha=0.01, init 0.01     0.1598
    ============================================  =============

    200 epochs rank slightly better at twice the time; 100 is the default.
    On the u1 test fold (``python benchmarks/bench_bpr.py``) the defaults
    reach NDCG@10 0.42 against 0.31 for implicit's
    ``BayesianPersonalizedRanking(factors=64, iterations=100)``, at about 1.6
    times its fit time on one thread.

    References
    ----------
    S. Rendle, C. Freudenthaler, Z. Gantner, L. Schmidt-Thieme, "BPR:
    Bayesian personalized ranking from implicit feedback", UAI 2009.

    Examples
    --------
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> from sklearn_attnrec import BPRRecommender
    >>> X, _ = make_interactions(n_users=60, n_items=40, density=0.3, random_state=0)
    >>> model = BPRRecommender(n_components=8, max_iter=20, random_state=0).fit(X)
    >>> model.user_factors_.shape, model.item_bias_.shape
    ((60, 8), (40,))
    >>> items, scores = model.recommend([0, 1], n=3)
    >>> items.shape
    (2, 3)
    """

    # Tiny sizes for the package's own tests (read by utils._testing).
    _test_params = {"n_components": 4, "max_iter": 2}

    def __init__(
        self,
        n_components=64,
        *,
        learning_rate=0.1,
        alpha=0.03,
        max_iter=100,
        batch_size=2048,
        verify_negative_samples=True,
        init_scale=0.5,
        random_state=None,
        verbose=0,
        columns=None,
        handle_unknown="fallback",
    ):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.verify_negative_samples = verify_negative_samples
        self.init_scale = init_scale
        self.random_state = random_state
        self.verbose = verbose
        self.columns = columns
        self.handle_unknown = handle_unknown

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "verify_negative_samples": ["boolean"],
        "init_scale": [Interval(Real, 0, None, closed="left")],
        "random_state": RANDOM_STATE,
        "verbose": VERBOSE,
    }

    # -- fitting ---------------------------------------------------------------

    @fit_atomically
    def fit(self, X, y=None):
        """Fit the factors and item biases.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,), default=None
            Non-negative interaction weights; None means every row is a
            positive. Rows with ``y == 0`` are not positives (see Notes).

        Returns
        -------
        self : BPRRecommender
        """
        validate_params(self)
        _, _, y = self._fit_interactions(X, y, y_required=False)
        if (y < 0).any():
            raise ValueError("interaction weights y must be non-negative")
        matrix = self.user_items_
        positive = matrix.data > 0
        if not positive.any():
            raise ValueError(
                "no positive interaction: every weight y is 0, BPR needs pairs "
                "with y > 0"
            )
        n_users, n_items = matrix.shape
        rows = np.repeat(np.arange(n_users), np.diff(matrix.indptr))
        users = torch.as_tensor(rows[positive], dtype=torch.long)
        items = torch.as_tensor(matrix.indices[positive], dtype=torch.long)

        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.randint(2**31 - 1)))
        k = self.n_components
        # Factors and bias in one table per side (see bpr_step).
        user_table = (torch.rand(n_users, k + 1, generator=generator) - 0.5).mul_(
            self.init_scale
        )
        user_table[:, k] = 1.0
        item_table = (torch.rand(n_items, k + 1, generator=generator) - 0.5).mul_(
            self.init_scale
        )
        observed = (
            _ObservedPairs(users, items, n_items)
            if self.verify_negative_samples
            else None
        )

        self.loss_curve_ = []
        with progress(
            range(self.max_iter), self.verbose, desc=f"{type(self).__name__} epochs"
        ) as epochs:
            for epoch in epochs:
                u, i, j = bpr_triples(
                    users, items, n_items, observed=observed, generator=generator
                )
                # Linear decay to 0 over the epochs.
                learning_rate = self.learning_rate * (1 - epoch / self.max_iter)
                total = 0.0
                for start in range(0, len(u), self.batch_size):
                    batch = slice(start, start + self.batch_size)
                    total += bpr_step(
                        user_table,
                        item_table,
                        u[batch],
                        i[batch],
                        j[batch],
                        learning_rate=learning_rate,
                        alpha=self.alpha,
                    )
                loss = total / len(u) if len(u) else float("nan")
                if not (
                    torch.isfinite(user_table).all()
                    and torch.isfinite(item_table).all()
                ):
                    raise ValueError(
                        f"BPR diverged in epoch {epoch + 1} (non-finite factors); "
                        f"lower learning_rate (now {self.learning_rate}) or raise alpha"
                    )
                self.loss_curve_.append(loss)
                self.n_iter_ = epoch + 1
                if self.verbose:
                    epochs.write(f"epoch {self.n_iter_}: BPR loss {loss:.6g}")

        user_factors = user_table[:, :k].numpy().copy()
        has_positive = np.zeros(n_users, dtype=bool)
        has_positive[rows[positive]] = True
        user_factors[~has_positive] = user_factors[has_positive].mean(axis=0)
        self.user_factors_ = user_factors
        self.item_factors_ = item_table[:, :k].numpy().copy()
        self.item_bias_ = item_table[:, k].numpy().astype(np.float64)
        return self

    # -- prediction ------------------------------------------------------------

    def _user_vectors(self, users):
        """Factors of encoded users (float64); the mean user for unknown ones."""
        known = users != UNKNOWN
        # The mean user only when one is needed: it reads every user's factors.
        fallback = self.user_factors_.mean(axis=0) if not known.all() else 0.0
        vectors = np.where(
            known[:, None], self.user_factors_[np.maximum(users, 0)], fallback
        )
        return vectors.astype(np.float64)

    def _score_items(self, users):
        scores = self._user_vectors(users) @ self.item_factors_.T.astype(np.float64)
        scores += self.item_bias_  # in place: a pass as costly as the product
        return scores

    def _predict_pairs(self, users, items):
        p = self._user_vectors(users)
        known = items != UNKNOWN
        index = np.maximum(items, 0)
        scores = (
            np.einsum("ij,ij->i", p, self.item_factors_[index].astype(np.float64))
            + self.item_bias_[index]
        )
        if not known.all():
            # An unknown item ranks last: the user's lowest score.
            scores[~known] = self._score_items(users[~known]).min(axis=1)
        return scores

    def transform(self, X):
        """Per-row latent factors ``[p_u, q_i]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 2 * n_components)
            The user's factors, then the item's (an unknown user gets the mean
            user factors, an unknown item zeros).
        """
        users, items = self._encode_X(X)
        known = (items != UNKNOWN)[:, None]
        q = np.where(known, self.item_factors_[np.maximum(items, 0)], 0)
        return np.hstack([self._user_vectors(users), q.astype(np.float64)])
