"""MatrixFactorization: r̂_ui = μ + b_u + b_i + p_u·q_i, fitted by ALS or SGD."""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.extmath import randomized_svd

from ..base import FeedbackScoreMixin, RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._interactions import interaction_matrix
from ..utils._param_validation import (
    N_JOBS,
    RANDOM_STATE,
    RECOMMENDER_CONSTRAINTS,
    VERBOSE,
    Interval,
    StrOptions,
    validate_params,
)
from ..utils._progress import progress, warn_if_constant_ratings
from ..utils._relevance import (
    RANKING_CONSTRAINT,
    mean_ratings,
    pick_consumption,
    relevance_scores,
    relevance_stats,
    user_mean_ratings,
)
from ..utils._torch import torch_threads
from ..utils._vocabulary import UNKNOWN
from ._als import (
    RowBuckets,
    _gather,
    _with_zero_row,
    bucket_dots,
    implicit_half_step,
    implicit_half_step_with_fit,
    ridge_half_step,
)
from ._factors import FactorModelMixin
from ._sgd import sgd_epoch

_DEFAULT_ALPHA = {"explicit": 1.3, "implicit": 2.0}
_DEFAULT_MAX_ITER = {"als": 15, "sgd": 40}
# Explicit ALS's objective falls steeply in its first sweeps from the SVD start and
# then flattens; SGD's and implicit ALS's fall slowly while the model still
# improves, so they need a finer threshold to run long enough.
_EXPLICIT_ALS_TOL, _DEFAULT_TOL = 1e-3, 1e-4
# Conjugate-gradient iterations per implicit half-step. Warm-started from the
# previous sweep, 2 ranked as well as 3 or 6 (MovieLens 100K and synthetic data)
# at two thirds of the cost.
_CG_STEPS = 2
# Iterations in a row whose objective grew (by more than _GROWTH, relative)
# before a fit is declared diverging.
_GROWING, _GROWTH = 3, 1e-3
# Ratings beyond this overflow the float32 squared errors.
_MAX_ABS_RATING = 1e15


def _sqrt_counts(counts):
    """√n_u per row: the weight of each row's factor penalty (n_u >= 1)."""
    return torch.as_tensor(np.sqrt(np.maximum(counts, 1)), dtype=torch.float32)


def _rows_of(matrix):
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


# The check of fit_pick_model: the share of rated pairs held out, and the most
# users whose held-out pairs are ranked (bounds its cost on large data).
_PICK_HOLDOUT, _PICK_CHECK_USERS = 0.2, 2000


def _implicit_factorisation(pairs, n_components, random_state, n_jobs):
    pick = MatrixFactorization(
        n_components=n_components,
        feedback="implicit",
        random_state=random_state,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        # An n_components warning was given for the rating model already.
        warnings.simplefilter("ignore", UserWarning)
        return pick.fit(pairs)


def _personal_picks_rank_better(pairs, n_components, rng, n_jobs):
    """Hold out a fifth of the rated pairs, fit the one-class factorisation on
    the rest and measure recall@10 of the held-out pairs (at most
    ``_PICK_CHECK_USERS`` users) against item popularity's: True when the
    factorisation finds more."""
    from ..baselines import PopularityRecommender  # same layer: no cycle at import
    from ..metrics import make_ranking_scorer  # models import metrics lazily

    held = rng.random_sample(len(pairs)) < _PICK_HOLDOUT
    train, test = pairs[~held], pairs[held]
    if len(train) == 0 or len(test) == 0:
        return True
    users = np.unique(test[:, 0])
    if len(users) > _PICK_CHECK_USERS:
        users = rng.choice(users, _PICK_CHECK_USERS, replace=False)
        test = test[np.isin(test[:, 0], users)]
    recall = make_ranking_scorer("recall", k=10)
    pick = _implicit_factorisation(train, n_components, _seed(rng), n_jobs)
    return recall(pick, test) > recall(PopularityRecommender().fit(train), test)


def fit_pick_model(user_items, n_components=30, random_state=None, n_jobs=None):
    """The ``pick_model_`` of a rating model ranked by relevance: the one-class
    factorisation of who rated what (every rated item a 1) on the encoded ids
    of ``user_items``, whose preferences estimate ``P(u picks i)``; or None
    where, on a held-out fifth of the rated pairs, it finds no more of them
    in users' top 10 than item popularity does (data where who rates what is
    not personal), and popularity is the estimate."""
    pairs = np.column_stack([_rows_of(user_items), user_items.indices])
    rng = check_random_state(random_state)
    if not _personal_picks_rank_better(pairs, n_components, rng, n_jobs):
        return None
    return _implicit_factorisation(pairs, n_components, _seed(rng), n_jobs)


def _seed(rng):
    return int(rng.randint(np.iinfo(np.int32).max))


def pick_relevance(model, predictions, means, preferences):
    """``max(s, 0)² · Φ((r̂ − r̄_u) / σ)`` of a rating model with a
    ``pick_model_`` (``popularity · Φ(...)`` when it is None): ``means()``
    gives each row's mean rating and ``preferences(pick_model_)`` the rows'
    preferences ``s``."""
    pick = check_pick_model(model)
    consumption = None if pick is None else pick_consumption(preferences(pick))
    return relevance_scores(predictions, model._relevance_stats_, means(), consumption)


def check_pick_model(model):
    """``model.pick_model_`` (None included), or a ValueError that says to
    refit when the model was fitted without one."""
    if not hasattr(model, "pick_model_"):
        raise ValueError(
            "ranking='relevance' ranks with pick_model_, which is fitted only "
            "with ranking='relevance': this model was fitted with "
            "ranking='rating'; refit it after set_params(ranking='relevance')"
        )
    return model.pick_model_


class MatrixFactorization(
    RecommenderMixin,
    FeedbackScoreMixin,
    FactorModelMixin,
    RegressorMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Matrix factorisation for explicit ratings or implicit feedback.

    Explicit feedback (ratings) predicts ``r̂_ui = μ + b_u + b_i + p_uᵀq_i``
    (``μ + p_uᵀq_i`` with ``biases=False``) by minimising the regularised squared
    error over the observed ratings::

        Σ_(u,i) (r_ui − r̂_ui)² + alpha (Σ_u √n_u ‖p_u‖² + Σ_i √n_i ‖q_i‖²)
                                + alpha_bias (Σ_u n_u b_u² + Σ_i n_i b_i²)

    where ``n_u`` (``n_i``) counts the ratings of user ``u`` (item ``i``). Both
    solvers minimise this same objective:

    - ``solver="als"``: alternating least squares. With the item side fixed every
      user's problem is a small ridge regression, solved exactly for all users at
      once (batched normal equations and Cholesky factorisations), then the same
      for the items.
    - ``solver="sgd"``: mini-batch stochastic gradient descent with a decaying
      learning rate, ``P ← P − lr ∇P``, ``Q ← Q − lr ∇Q``.

    Implicit feedback (``feedback="implicit"``: clicks, plays, purchases; ``y`` is
    a count or weight, or None for ones) follows Hu, Koren & Volinsky (2008): every
    user-item pair has preference 1 if observed, 0 otherwise, with confidence
    ``c_ui = 1 + confidence_scale · y_ui``, and ALS minimises
    ``Σ_all c_ui (pref_ui − p_uᵀq_i)² + alpha (Σ_u √n_u ‖p_u‖² + Σ_i √n_i ‖q_i‖²)``
    with conjugate gradient steps and the YᵀY precomputation.

    Parameters
    ----------
    n_components : int, default=30
        Number of latent factors k.
    solver : {"als", "sgd"}, default="als"
        Optimiser. Implicit feedback needs ``"als"``.
    feedback : {"explicit", "implicit"}, default="explicit"
        Kind of ``y``: ratings, or interaction weights.
    alpha : float, default=None
        L2 strength of the factors; None means 1.3 for explicit feedback (with
        the √n weighting above) and 2.0 for implicit feedback (both chosen on
        inner validation splits of MovieLens 100K; see
        ``benchmarks/tune_mf_defaults.py``).
    alpha_bias : float, default=0.02
        L2 strength of the biases (explicit feedback).
    biases : bool, default=True
        Fit user and item biases (explicit feedback; implicit ALS has none).
    init : {"svd", "normal"}, default=None
        ``"svd"``: start from a truncated SVD of the rating matrix centred on the
        baseline ``μ + b_u + b_i`` (of the preference matrix for implicit
        feedback), ``P = U√S``, ``Q = V√S``. ``"normal"``: small random values.
        None means ``"svd"`` for explicit feedback (ALS then converges in about
        five sweeps) and ``"normal"`` for implicit feedback (where the SVD start
        ranked worse on MovieLens 100K).
    max_iter : int, default=None
        ALS sweeps or SGD epochs; None means 15 for ALS and 40 for SGD.
    tol : float, default=None
        Stop when the training objective decreases by less than ``tol`` (relative)
        in an iteration; None means 1e-3 for ALS on explicit feedback and 1e-4
        otherwise.
    learning_rate : float, default=0.02
        Initial SGD step size; epoch ``t`` uses ``learning_rate / (1 + 0.05 t)``.
    batch_size : int, default=1024
        Ratings per SGD step.
    confidence_scale : float, default=1.0
        Implicit feedback: ``c_ui = 1 + confidence_scale · y_ui``; 0 gives every
        pair the same confidence (what the ``implicit`` library's ``alpha=1``
        amounts to with binary data).
    early_stopping : bool, default=False
        Explicit feedback: hold out ``validation_fraction`` of each user's
        ratings, stop when their RMSE has not improved for ``n_iter_no_change``
        iterations, and keep the best model (fitted on the rest of the data).
    validation_fraction : float, default=0.1
        Share of each user's ratings held out with ``early_stopping``.
    n_iter_no_change : int, default=3
        Patience of ``early_stopping``.
    clip : bool, default=True
        Explicit feedback: clip predictions to the range of the training ratings.
    ranking : {"relevance", "rating"}, default="relevance"
        Explicit feedback: what ``recommend`` and the ranking scorers rank by.
        ``"relevance"``: how likely the user is to rate the item *and* rate
        it above their own mean, ``max(s_ui, 0)² · Φ((r̂_ui − r̄_u) / σ)``, where
        ``s_ui`` is the preference of ``pick_model_``, a one-class
        factorisation of who rated what fitted alongside (see Notes);
        ``"rating"``: the predicted rating (clipped as ``predict`` clips it),
        which ranks films with a few enthusiastic ratings first and worse than
        popularity on MovieLens, and fits no ``pick_model_``. Implicit feedback
        always ranks by the preference score ``p_uᵀq_i``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the SGD order and the validation split.
    n_jobs : int, default=None
        Number of torch threads during ``fit`` (ALS solves every user's, then
        every item's, problem in batched torch operations, which torch spreads
        over its threads). The previous number
        (:func:`torch.get_num_threads`) is restored after ``fit``. None leaves
        torch's setting unchanged; -1 means all processors. The setting is
        process-wide, so leave it None when fitting several models in parallel
        threads. Results agree across values up to float32 rounding.
    verbose : int, default=0
        Above 0, print the objective (and validation RMSE) after each iteration
        and show a progress bar over the iterations (on stderr).
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        An unknown user gets the "average user": ``μ + b_i`` for explicit
        feedback, the mean user factor for implicit feedback; an unknown item
        gets ``μ + b_u`` (explicit) or 0 (implicit). ``"error"`` raises.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users, n_components), dtype float32
        ``P``, one row per user of ``user_ids_``.
    item_factors_ : ndarray of shape (n_items, n_components), dtype float32
        ``Q``, one row per item of ``item_ids_``.
    user_bias_, item_bias_ : ndarray of shape (n_users,), (n_items,)
        ``b_u``, ``b_i`` (zeros without biases or for implicit feedback).
    global_mean_ : float
        ``μ`` (0 for implicit feedback).
    loss_curve_ : list of float
        Training objective after each iteration.
    validation_loss_curve_ : list of float
        Validation RMSE after each iteration (``early_stopping`` only), as the
        torch estimators' ``validation_loss_curve_``. ``validation_scores_``
        is its deprecated name (removed in 0.3).
    n_iter_ : int
        Iterations run.
    rating_range_ : tuple of float
        ``(min, max)`` training rating, used by ``clip``.
    pick_model_ : MatrixFactorization or None
        Explicit feedback with ``ranking="relevance"`` only: the
        ``MatrixFactorization(feedback="implicit")`` with the same
        ``n_components`` fitted on every rated ``(user, item)`` as a 1, on this
        model's encoded ids; its preferences estimate which items a user picks.
        None where it did not beat item popularity on a held-out fifth of the
        rated pairs (see Notes): popularity then estimates picking.
    user_ids_, item_ids_, user_items_, n_features_in_, feature_names_in_
        See :class:`~sklearn_attnrec.base.RecommenderMixin`.

    See Also
    --------
    BaselineRegressor : The biases alone.

    Notes
    -----
    ``transform`` returns ``[p_u, q_i]`` per row (``2 * n_components`` columns
    named ``user_factor_j`` and ``item_factor_j``), so factors can feed another
    estimator. ``recommend_for_history`` folds a new user in without refitting
    (one ridge solve against the fixed item factors). Computations run in float32
    with torch.

    A rating model predicts how much a user would like an item *if* they
    rated it; a top-N list must also hold items they would pick. Relevance
    ranking multiplies the probability of liking, ``Φ((r̂_ui − r̄_u) / σ)``,
    by a personal estimate of picking, ``max(s_ui, 0)²`` from ``pick_model_``
    (the square chosen on inner splits). ``fit`` first checks that this pays:
    it holds out a fifth of the rated pairs, fits the pick model on the rest
    and counts the held-out pairs in each user's top 10 (at most 2,000
    users), against item popularity; where who rates what is not personal
    (pairs drawn by popularity alone, as in synthetic data) popularity finds
    more, and ``pick_model_`` is None. On the five MovieLens 100K folds
    (full ranking, relevant: rating >= 4) it lifts NDCG@10 of the ALS model
    from 0.2270, with item popularity as the estimate of picking, to 0.4184,
    above the pick model alone (0.3884): the ratings keep the items a user
    would pick but dislike out of the list. The price is a second (implicit
    ALS) fit, and one more for the check, in ``fit``, which
    ``ranking="rating"`` skips.

    The √n weighting of the factor penalty sits between the plain penalty of
    Funk's SVD and Hu et al. and the count-weighted "ALS-WR" of Zhou et al.
    (2008). On inner validation splits of MovieLens 100K it gave the lowest
    RMSE (explicit) and the highest NDCG@10 (implicit) of the three, and one
    default ``alpha`` that also beat popularity on synthetic data of very
    different sizes, where the plain penalty needed re-tuning per data set.

    References
    ----------
    Y. Koren, R. Bell, C. Volinsky, "Matrix factorization techniques for
    recommender systems", IEEE Computer 42(8), 2009.

    Y. Hu, Y. Koren, C. Volinsky, "Collaborative filtering for implicit feedback
    datasets", ICDM 2008.

    Y. Zhou, D. Wilkinson, R. Schreiber, R. Pan, "Large-scale parallel
    collaborative filtering for the Netflix prize", AAIM 2008.

    Examples
    --------
    >>> from sklearn_attnrec import MatrixFactorization
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> X, y = make_interactions(n_users=60, n_items=40, density=0.3, random_state=0)
    >>> model = MatrixFactorization(n_components=5, random_state=0).fit(X, y)
    >>> model.user_factors_.shape
    (60, 5)
    >>> items, scores = model.recommend([0, 1], n=3)
    >>> items.shape
    (2, 3)
    """

    def __init__(
        self,
        n_components=30,
        *,
        solver="als",
        feedback="explicit",
        alpha=None,
        alpha_bias=0.02,
        biases=True,
        init=None,
        max_iter=None,
        tol=None,
        learning_rate=0.02,
        batch_size=1024,
        confidence_scale=1.0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=3,
        clip=True,
        ranking="relevance",
        random_state=None,
        n_jobs=None,
        verbose=0,
        columns=None,
        handle_unknown="fallback",
    ):
        self.n_components = n_components
        self.solver = solver
        self.feedback = feedback
        self.alpha = alpha
        self.alpha_bias = alpha_bias
        self.biases = biases
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.confidence_scale = confidence_scale
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.clip = clip
        self.ranking = ranking
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.columns = columns
        self.handle_unknown = handle_unknown

    # -- parameters ------------------------------------------------------------

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "solver": [StrOptions({"als", "sgd"})],
        "feedback": [StrOptions({"explicit", "implicit"})],
        "alpha": [Interval(Real, 0, None, closed="neither"), None],
        "alpha_bias": [Interval(Real, 0, None, closed="left")],
        "biases": ["boolean"],
        "init": [StrOptions({"svd", "normal"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "confidence_scale": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "clip": ["boolean"],
        "ranking": RANKING_CONSTRAINT,
        "random_state": RANDOM_STATE,
        "n_jobs": N_JOBS,
        "verbose": VERBOSE,
    }

    @property
    def validation_scores_(self):
        """Deprecated name of ``validation_loss_curve_`` (removed in 0.3)."""
        warnings.warn(
            "MatrixFactorization.validation_scores_ was renamed "
            "validation_loss_curve_ in 0.2 and will be removed in 0.3",
            FutureWarning,
            stacklevel=2,
        )
        return self.validation_loss_curve_

    def _check_params(self):
        """Validate the parameters; return ``alpha``, ``max_iter`` and ``tol``
        with their None defaults resolved for the solver and feedback."""
        validate_params(self)
        if self.feedback == "implicit" and self.solver != "als":
            raise ValueError("feedback='implicit' is fitted by solver='als' only")
        if self.feedback == "implicit" and self.early_stopping:
            raise ValueError("early_stopping is available for explicit feedback only")
        alpha = _DEFAULT_ALPHA[self.feedback] if self.alpha is None else self.alpha
        max_iter = (
            _DEFAULT_MAX_ITER[self.solver] if self.max_iter is None else self.max_iter
        )
        tol = self.tol
        if tol is None:
            explicit_als = self.solver == "als" and self.feedback == "explicit"
            tol = _EXPLICIT_ALS_TOL if explicit_als else _DEFAULT_TOL
        return float(alpha), int(max_iter), float(tol)

    # -- fitting ---------------------------------------------------------------

    @fit_atomically
    def fit(self, X, y=None):
        """Fit the factors (and biases).

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,), default=None
            Ratings (explicit feedback, required) or non-negative interaction
            weights (implicit feedback; None means 1 for every row).

        Returns
        -------
        self : MatrixFactorization
        """
        alpha, max_iter, tol = self._check_params()
        explicit = self.feedback == "explicit"
        users, items, y = self._fit_interactions(X, y, y_required=explicit)
        if not explicit and (y < 0).any():
            raise ValueError("implicit feedback weights y must be non-negative")
        if explicit:
            warn_if_constant_ratings(y, type(self).__name__)
        if np.abs(y).max() > _MAX_ABS_RATING:
            raise ValueError(
                f"y holds values up to {np.abs(y).max():.3g}: too large for the "
                "float32 computations of MatrixFactorization; rescale y"
            )
        shape = self.user_items_.shape
        if self.n_components > min(shape):
            warnings.warn(
                f"n_components={self.n_components} is larger than min(n_users, "
                f"n_items) = {min(shape)}: the extra factors add parameters but "
                "no rank; choose a smaller n_components.",
                UserWarning,
                stacklevel=3,
            )
        with torch_threads(self.n_jobs):
            self._fit_factors(users, items, y, alpha, max_iter, tol)
        self._relevance_stats_ = relevance_stats(self.user_items_)
        if explicit and self.ranking == "relevance":
            self.pick_model_ = fit_pick_model(
                self.user_items_, self.n_components, self.random_state, self.n_jobs
            )
        return self

    def _fit_factors(self, users, items, y, alpha, max_iter, tol):
        """Run the solver on the encoded ratings; stores the fitted arrays."""
        explicit = self.feedback == "explicit"
        rng = check_random_state(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.randint(2**31 - 1)))
        shape = self.user_items_.shape

        validation = None
        if self.early_stopping:
            held_out = self._validation_mask(users, rng)
            if not held_out.any():
                raise ValueError(
                    f"early_stopping holds out validation_fraction="
                    f"{self.validation_fraction} of each user's ratings, which is "
                    "no rating at all here (every user has fewer than "
                    f"{int(np.ceil(1 / self.validation_fraction))}): raise "
                    "validation_fraction, or set early_stopping=False"
                )
            validation = (users[held_out], items[held_out], y[held_out])
            users, items, y = users[~held_out], items[~held_out], y[~held_out]
        self.global_mean_ = float(y.mean()) if explicit else 0.0
        self.rating_range_ = (float(y.min()), float(y.max()))
        ratings = interaction_matrix(users, items, y, shape)

        state = self._initial_state(ratings, rng)
        if explicit and self.solver == "als":
            step = self._als_explicit_stepper(ratings, alpha, state)
        elif explicit:
            step = self._sgd_stepper(ratings, alpha, state, generator)
        else:
            step = self._als_implicit_stepper(ratings, alpha, state)

        self.loss_curve_, self.validation_loss_curve_ = [], []
        best, patience = None, 0
        unit = "epoch" if self.solver == "sgd" else "sweep"
        with progress(
            range(max_iter), self.verbose, desc=f"{type(self).__name__} {unit}s"
        ) as iterations:
            for iteration in iterations:
                loss = step(iteration)
                self.loss_curve_.append(loss)
                self.n_iter_ = iteration + 1
                self._check_divergence(unit)
                message = f"{unit} {self.n_iter_}: objective {loss:.6g}"
                if validation is not None:
                    score = self._validation_rmse(state, *validation)
                    self.validation_loss_curve_.append(score)
                    message += f", validation RMSE {score:.5f}"
                    if best is None or score < best[0]:
                        best = (score, {k: v.clone() for k, v in state.items()})
                        patience = 0
                    else:
                        patience += 1
                if self.verbose:
                    iterations.write(message)
                if patience >= self.n_iter_no_change:
                    break
                previous = self.loss_curve_[-2] if len(self.loss_curve_) > 1 else None
                # SGD's objective may rise for an epoch; ALS's never does (a rise
                # is rounding at convergence).
                grew = previous is not None and loss > previous
                if (
                    validation is None
                    and previous is not None
                    and previous - loss <= tol * abs(previous)
                    and not (grew and self.solver == "sgd")
                ):
                    break
        if best is not None:
            state = best[1]
        self._store(state)

    def _check_divergence(self, unit):
        """Raise when the objective is no longer finite, or has grown for
        ``_GROWING`` iterations in a row: a step size too large for the scale
        of the ratings."""
        curve = self.loss_curve_
        hint = (
            f"lower learning_rate (now {self.learning_rate})"
            if self.solver == "sgd"
            else "raise alpha"
        )
        recent = np.diff(curve[-(_GROWING + 1) :])
        if np.isfinite(curve[-1]) and not (
            len(recent) == _GROWING and (recent > _GROWTH * np.abs(curve[-1])).all()
        ):
            return
        raise FloatingPointError(
            f"{type(self).__name__} diverged: the training objective went from "
            f"{curve[0]:.4g} to {curve[-1]:.4g} in {len(curve)} {unit}s; {hint}, "
            f"or rescale the ratings (range {self.rating_range_[0]:g} to "
            f"{self.rating_range_[1]:g})"
        )

    def _validation_mask(self, users, rng):
        """Hold out ``validation_fraction`` of each user's rows (at least one
        row stays in training)."""
        order = rng.permutation(len(users))
        sorted_users = users[order]
        ranks = np.empty(len(users), dtype=np.int64)
        by_user = np.argsort(sorted_users, kind="stable")
        counts = np.bincount(users)
        starts = np.cumsum(counts) - counts
        ranks[order[by_user]] = np.arange(len(users)) - np.repeat(starts, counts)
        n_held = np.floor(self.validation_fraction * counts).astype(np.int64)
        return ranks < n_held[users]

    def _initial_state(self, ratings, rng):
        """Factors and biases (float32 torch tensors) before the first step."""
        n_users, n_items = ratings.shape
        k = self.n_components
        counts_u = np.diff(ratings.indptr)
        counts_i = np.bincount(ratings.indices, minlength=n_items)
        user_bias = np.zeros(n_users)
        item_bias = np.zeros(n_items)
        explicit = self.feedback == "explicit"
        if explicit and self.biases:
            # Damped means of the residuals: a good start for the biases.
            residual = ratings.data - self.global_mean_
            item_bias = np.bincount(ratings.indices, residual, n_items) / (counts_i + 3)
            residual = residual - item_bias[ratings.indices]
            user_bias = np.bincount(_rows_of(ratings), residual, n_users) / (
                counts_u + 5
            )
        init = self.init or ("svd" if explicit else "normal")
        if init == "svd" and min(n_users, n_items) > k:
            centred = ratings.copy()
            if explicit:
                centred.data = (
                    ratings.data
                    - self.global_mean_
                    - user_bias[_rows_of(ratings)]
                    - item_bias[ratings.indices]
                )
            else:
                centred.data = np.ones_like(ratings.data)
            U, S, Vt = randomized_svd(centred, k, n_iter=2, random_state=rng)
            user_factors, item_factors = U * np.sqrt(S), Vt.T * np.sqrt(S)
        else:
            if explicit:
                user_factors = rng.normal(0, 0.1, (n_users, k))
                item_factors = rng.normal(0, 0.1, (n_items, k))
            else:
                # Small positive values, as the implicit library starts.
                user_factors = rng.uniform(0, 0.01, (n_users, k))
                item_factors = rng.uniform(0, 0.01, (n_items, k))

        def tensor(a):
            return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)

        return {
            "mu": torch.tensor(self.global_mean_, dtype=torch.float32),
            "user_factors": tensor(user_factors),
            "item_factors": tensor(item_factors),
            "user_bias": tensor(user_bias),
            "item_bias": tensor(item_bias),
        }

    def _als_explicit_stepper(self, ratings, alpha, state):
        by_user = RowBuckets(ratings)
        by_item = RowBuckets(ratings.T.tocsr())
        k = self.n_components

        def penalty(counts):
            rows = np.empty((len(counts), k + 1))
            rows[:, :k] = alpha * np.sqrt(np.maximum(counts, 1))[:, None]
            # Without biases the bias coordinate only needs a positive penalty:
            # its column of the design is zero, so its solution is 0.
            bias_penalty = self.alpha_bias * np.maximum(counts, 1)
            rows[:, k] = bias_penalty if self.biases else 1.0
            return torch.as_tensor(rows, dtype=torch.float32)

        user_penalty = penalty(by_user.counts)
        item_penalty = penalty(by_item.counts)
        fit_biases = self.biases

        def half(buckets, fixed, fixed_bias, pen):
            ones = (
                torch.ones(len(fixed), 1) if fit_biases else torch.zeros(len(fixed), 1)
            )
            # Without biases the extra column is zero and its coordinate stays 0.
            solution = ridge_half_step(
                buckets, torch.cat([fixed, ones], 1), state["mu"] + fixed_bias, pen
            )
            return solution[:, :k], solution[:, k]

        def step(_):
            state["user_factors"], state["user_bias"] = half(
                by_user, state["item_factors"], state["item_bias"], user_penalty
            )
            state["item_factors"], state["item_bias"] = half(
                by_item, state["user_factors"], state["user_bias"], item_penalty
            )
            return self._explicit_objective(by_user, alpha, state)

        return step

    def _sgd_stepper(self, ratings, alpha, state, generator):
        users = torch.as_tensor(_rows_of(ratings))
        items = torch.as_tensor(ratings.indices.astype(np.int64))
        values = torch.as_tensor(ratings.data, dtype=torch.float32)
        counts_u = np.maximum(np.diff(ratings.indptr), 1)
        counts_i = np.maximum(
            np.bincount(ratings.indices, minlength=ratings.shape[1]), 1
        )
        # Per occurrence α/√n: summed over a row's n ratings it is the α√n penalty.
        user_penalty = torch.as_tensor(alpha / np.sqrt(counts_u), dtype=torch.float32)
        item_penalty = torch.as_tensor(alpha / np.sqrt(counts_i), dtype=torch.float32)

        by_user = RowBuckets(ratings)

        def step(epoch):
            sgd_epoch(
                state,
                users,
                items,
                values,
                learning_rate=self.learning_rate / (1 + 0.05 * epoch),
                user_penalty=user_penalty,
                item_penalty=item_penalty,
                bias_penalty=self.alpha_bias,
                batch_size=self.batch_size,
                generator=generator,
                fit_biases=self.biases,
            )
            return self._explicit_objective(by_user, alpha, state)

        return step

    def _als_implicit_stepper(self, ratings, alpha, state):
        confidence = ratings.copy()
        confidence.data = self.confidence_scale * confidence.data
        by_user = RowBuckets(confidence)
        by_item = by_user.transposed()  # one operator for both half-steps
        user_penalty = alpha * _sqrt_counts(by_user.counts)
        item_penalty = alpha * _sqrt_counts(by_item.counts)

        def step(_):
            state["user_factors"] = implicit_half_step(
                by_user,
                state["item_factors"],
                state["user_factors"],
                user_penalty,
                _CG_STEPS,
            )
            state["item_factors"], observed_fit = implicit_half_step_with_fit(
                by_item,
                state["user_factors"],
                state["item_factors"],
                item_penalty,
                _CG_STEPS,
            )
            return self._implicit_objective(
                observed_fit, user_penalty, item_penalty, state
            )

        return step

    def _explicit_objective(self, buckets, alpha, state):
        """Objective per rating; ``buckets`` hold the ratings by user."""
        P, Q = state["user_factors"], state["item_factors"]
        b_u, b_i = state["user_bias"], state["item_bias"]
        item_bias_z = torch.cat([b_i, b_i.new_zeros(1)])
        squared_error = 0.0
        for rows, cols, values, mask, dots in bucket_dots(buckets, Q, P):
            prediction = state["mu"] + b_u[rows, None] + item_bias_z[cols] + dots
            squared_error += float((((values - prediction) * mask) ** 2).sum())
        n_u = torch.as_tensor(buckets.counts, dtype=torch.float32)
        n_i = torch.as_tensor(buckets.column_counts, dtype=torch.float32)
        penalty = alpha * (
            (n_u.sqrt() * (P * P).sum(1)).sum() + (n_i.sqrt() * (Q * Q).sum(1)).sum()
        ) + self.alpha_bias * ((n_u * b_u * b_u).sum() + (n_i * b_i * b_i).sum())
        return (squared_error + float(penalty)) / int(buckets.counts.sum())

    def _implicit_objective(self, observed_fit, user_penalty, item_penalty, state):
        """Objective per user, from the observed entries' part ``observed_fit``.

        ``Σ_all c (pref − s)² = Σ_all s² + Σ_obs [c (1 − s)² − s²]`` and
        ``Σ_all s² = trace(PᵀP QᵀQ)``: no dense user x item matrix is formed.
        """
        P, Q = state["user_factors"], state["item_factors"]
        total = float(((P.T @ P) * (Q.T @ Q)).sum()) + observed_fit
        total += float((user_penalty * (P * P).sum(1)).sum())
        total += float((item_penalty * (Q * Q).sum(1)).sum())
        return total / len(P)

    def _validation_rmse(self, state, users, items, y):
        u, i = torch.as_tensor(users), torch.as_tensor(items)
        prediction = (
            state["mu"]
            + state["user_bias"][u]
            + state["item_bias"][i]
            + (state["user_factors"][u] * state["item_factors"][i]).sum(1)
        ).numpy()
        prediction = (
            np.clip(prediction, *self.rating_range_) if self.clip else prediction
        )
        return float(np.sqrt(np.mean((prediction - y) ** 2)))

    def _store(self, state):
        self.user_factors_ = state["user_factors"].numpy().copy()
        self.item_factors_ = state["item_factors"].numpy().copy()
        self.user_bias_ = state["user_bias"].numpy().astype(np.float64)
        self.item_bias_ = state["item_bias"].numpy().astype(np.float64)

    # -- prediction ------------------------------------------------------------

    def _user_vectors(self, users):
        """Factors and biases of encoded users; the fallback for unknown ones."""
        known = users != UNKNOWN
        # The mean user only when one is needed: it reads every user's factors
        # (per block of users ranked, it made ranking 10M users 10x slower).
        fallback = (
            self.user_factors_.mean(axis=0)
            if self.feedback == "implicit" and not known.all()
            else np.zeros(self.n_components, dtype=np.float32)
        )
        vectors = np.where(
            known[:, None], self.user_factors_[np.maximum(users, 0)], fallback
        )
        bias = np.where(known, self.user_bias_[np.maximum(users, 0)], 0.0)
        return vectors.astype(np.float64), bias

    def _item_vectors(self, items):
        known = items != UNKNOWN
        vectors = np.where(known[:, None], self.item_factors_[np.maximum(items, 0)], 0)
        bias = np.where(known, self.item_bias_[np.maximum(items, 0)], 0.0)
        return vectors.astype(np.float64), bias

    def _predict_pairs(self, users, items):
        p, b_u = self._user_vectors(users)
        q, b_i = self._item_vectors(items)
        prediction = self.global_mean_ + b_u + b_i + np.einsum("ij,ij->i", p, q)
        if self.feedback == "explicit" and self.clip:
            prediction = np.clip(prediction, *self.rating_range_)
        return prediction

    def _score_items(self, users):
        p, b_u = self._user_vectors(users)
        # In place: each pass over a (users, n_items) block costs as much as
        # the product itself; the values are those of mu + b_u + (p.q + b_i).
        scores = p @ self.item_factors_.T.astype(np.float64)
        scores += self.item_bias_
        scores += (self.global_mean_ + b_u)[:, None]
        return self._ranking_from_predictions(
            scores,
            lambda: user_mean_ratings(
                self.user_items_, users, self._relevance_stats_.mean
            ),
            lambda pick: pick._score_items(users),
        )

    def _ranking_from_predictions(self, predictions, means, preferences):
        """Ranking scores from unclipped predictions of every item (rows);
        ``means()`` gives each row's mean rating, ``preferences(pick_model_)``
        the rows' scores by the pick model."""
        if self.feedback == "implicit":
            return predictions
        if self.clip:
            predictions = np.clip(predictions, *self.rating_range_)
        if self.ranking == "rating":
            return predictions
        return pick_relevance(self, predictions, means, preferences)

    def transform(self, X):
        """Per-row latent factors ``[p_u, q_i]``.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.

        Returns
        -------
        features : ndarray of shape (n_samples, 2 * n_components)
            The user's factors, then the item's (see ``handle_unknown`` for
            unknown ids; an unknown item's factors are 0).
        """
        users, items = self._encode_X(X)
        return np.hstack([self._user_vectors(users)[0], self._item_vectors(items)[0]])

    def _fold_in_needs_ratings(self):
        return self.feedback == "explicit"

    def _score_histories(self, histories):
        """Fold-in: each history's factors (and bias) solve the same regularised
        least-squares problem as a user's in training, against the fixed item
        factors (batched ``k x k`` solves, histories grouped by length)."""
        vectors, biases = self._fold_in(histories)
        scores = vectors @ self.item_factors_.T.astype(np.float64)
        scores += self.item_bias_
        scores += (self.global_mean_ + biases)[:, None]
        return self._ranking_from_predictions(
            scores,
            lambda: mean_ratings(histories, self._relevance_stats_.mean),
            # The pick model was fitted on 1 per rated item, whatever the rating.
            lambda pick: pick._score_histories(
                sp.csr_matrix(
                    (np.ones(histories.nnz), histories.indices, histories.indptr),
                    shape=histories.shape,
                )
            ),
        )

    def _fold_in(self, histories):
        """Factors and biases of new users who rated the items of each row of
        ``histories`` (CSR, values in ``data``); zeros for an empty row."""
        k = self.n_components
        alpha = _DEFAULT_ALPHA[self.feedback] if self.alpha is None else self.alpha
        rows = RowBuckets(histories, dtype=torch.float64)
        fixed = torch.from_numpy(self.item_factors_.astype(np.float64))
        biases = np.zeros(histories.shape[0])
        if self.feedback == "implicit":
            # min_p sum_i c_i (1 - p.q_i)^2 + sum_{j unseen} (p.q_j)^2 + alpha |p|^2
            # with c_i = 1 + confidence_scale * r_i:
            # (QᵀQ + Σ_i (c_i - 1) q_i q_iᵀ + alpha I) p = Σ_i c_i q_i.
            base_gram = fixed.T @ fixed + alpha * torch.eye(k, dtype=torch.float64)
            vectors = fixed.new_zeros((histories.shape[0], k))
            padded = _with_zero_row(fixed)
            for index, cols, values, mask in rows.buckets:
                Q = _gather(padded, cols)  # (b, L, k), zero rows on padding
                weights = self.confidence_scale * values
                Qt = Q.transpose(1, 2)
                gram = base_gram + torch.bmm(Qt * weights.unsqueeze(1), Q)
                rhs = torch.bmm(Qt, ((1 + weights) * mask).unsqueeze(-1))
                vectors[index] = torch.linalg.solve(gram, rhs).squeeze(-1)
            return vectors.numpy(), biases
        counts = torch.from_numpy(rows.counts.astype(np.float64))
        features = torch.cat(
            [fixed, fixed.new_full((len(fixed), 1), float(self.biases))], dim=1
        )
        penalty = torch.cat(
            [
                (alpha * counts.sqrt()).unsqueeze(1).expand(-1, k),
                (
                    self.alpha_bias * counts if self.biases else torch.ones_like(counts)
                ).unsqueeze(1),
            ],
            dim=1,
        )
        offset = torch.from_numpy(self.global_mean_ + self.item_bias_)
        solution = ridge_half_step(rows, features, offset, penalty).numpy()
        return solution[:, :k], solution[:, k]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags
