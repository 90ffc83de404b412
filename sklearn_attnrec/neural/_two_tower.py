"""TwoTowerRetriever: user and item towers, served from a vector index."""

import numbers

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..base import RankingScoreMixin, RecommenderMixin, recommendations_frame
from ..retrieval import make_index
from ..retrieval._index import _duplicated_ids
from ..utils._deprecation import ALPHA_NOTE, DEPRECATED, renamed_parameter
from ..utils._fitting import fit_atomically
from ..utils._param_validation import (
    RANDOM_STATE,
    RECOMMENDER_CONSTRAINTS,
    Hidden,
    Interval,
    StrOptions,
    check_layer_sizes,
    validate_params,
)
from ..utils._topk import topk_indices
from ..utils._torch import (
    TRAINING_CONSTRAINTS,
    TorchPicklingMixin,
    batched_inference,
    check_training_params,
    torch_seeds,
    uses_torch_threads,
)
from ..utils._vocabulary import UNKNOWN, encode_ids
from ._modules import InBatchSoftmaxLoss, PairwiseBCELoss, Tower, TwoTowerNet
from ._sampling import train_pair_model

_PREDICT_BATCH = 2**15


def _feature_table(features, vocabulary, name):
    """Rows of ``features`` aligned with ``vocabulary``, plus a zero "unknown" row.

    ``features`` is None, a pandas DataFrame indexed by id (numeric columns), or
    a tuple ``(ids, matrix)`` with a dense or sparse matrix. Ids of the
    vocabulary without features get zeros.
    """
    if features is None:
        return np.zeros((len(vocabulary) + 1, 0), dtype=np.float32)
    ids, matrix = _split_features(features, name)
    table = np.zeros((len(vocabulary) + 1, matrix.shape[1]), dtype=np.float32)
    position = encode_ids(ids, vocabulary)
    known = position != UNKNOWN
    table[position[known]] = matrix[known]
    return table


def _split_features(features, name):
    """``(ids, dense float32 matrix)`` from a DataFrame or an ``(ids, matrix)`` pair."""
    if hasattr(features, "index") and hasattr(features, "to_numpy"):
        ids, matrix = features.index.to_numpy(), features.to_numpy()
    elif isinstance(features, tuple) and len(features) == 2:
        ids, matrix = np.asarray(features[0]), features[1]
    else:
        raise ValueError(
            f"{name} must be a DataFrame indexed by id or a tuple (ids, matrix); "
            f"got {type(features).__name__}"
        )
    matrix = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
    try:
        matrix = matrix.astype(np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be numeric; encode categories first (e.g. OneHotEncoder)"
        ) from exc
    if matrix.ndim != 2 or len(matrix) != len(ids):
        raise ValueError(
            f"{name}: expected one row of features per id; got {len(ids)} ids and "
            f"a matrix of shape {matrix.shape}"
        )
    if not np.isfinite(matrix).all():
        raise ValueError(f"{name} contain NaN or infinity")
    repeated = _duplicated_ids(ids)
    if repeated:
        raise ValueError(
            f"{name} hold {len(repeated)} id(s) more than once, e.g. "
            f"{repeated[:5]}; give one row of features per id"
        )
    return ids, matrix


class TwoTowerRetriever(
    TorchPicklingMixin,
    RecommenderMixin,
    RankingScoreMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Two-tower retrieval: user and item MLPs scored by a dot product.

    One tower maps a user (an id embedding and/or side features such as age,
    occupation) to a vector, the other maps an item (id and/or genres, words of
    the title) to a vector of the same size; a pair scores ``u·v`` (the cosine
    with ``cosine=True``). Item vectors are precomputed into an index
    (``index="exact"`` matrix products, or ``"hnsw"``, approximate search with
    faiss), so serving a user costs one tower pass and one index query.

    Training treats every row of ``X`` as a positive pair. ``loss="softmax"``:
    in-batch sampled softmax (each row's item against the other rows' items) with
    the logQ correction for popular items (Yi et al. 2019); ``loss="bce"``: binary
    cross-entropy against ``n_negatives`` uniformly sampled unseen items.

    Cold start: a new user with features gets recommendations from the user tower
    (:meth:`recommend_for_features`); a new item with features is added to the
    index without retraining (:meth:`add_items`), and with ``exploration > 0`` a
    seeded fraction of users see one such new item in the last slot of their
    list so that it gathers feedback.

    Parameters
    ----------
    n_components : int, default=32
        Size of the user and item vectors.
    embedding_dim : int, default=32
        Size of the id embeddings (0: no id embedding, features only).
    hidden_layer_sizes : tuple of int, default=(64,)
        Hidden layers of each tower.
    dropout : float, default=0.0
    id_dropout : float, default=0.1
        Share of training rows whose id embedding is replaced by the "unknown"
        one (on a side with features), so that a new user or item is served
        from its features by an embedding that was trained for it.
    cosine : bool, default=True
        Normalise the vectors.
    temperature : float, default=0.05
        Logits are ``u·v / temperature``.
    loss : {"softmax", "bce"}, default="softmax"
    logq_correction : bool, default=True
        Softmax loss: subtract each item's log frequency from its logit.
    n_negatives : int, default=4
        BCE loss: sampled negatives per positive.
    max_iter : int, default=20
        Epochs.
    batch_size : int, default=512
    learning_rate : float, default=1e-3
        Peak learning rate of AdamW.
    learning_rate_schedule : {"constant", "cosine"}, default="constant"
        After ``warmup_steps`` of linear warm-up, a constant learning rate or a
        cosine decay (per batch) to ``min_learning_rate``.
    min_learning_rate : float, default=None
        Final learning rate of the cosine schedule; None is
        ``learning_rate / 10``.
    warmup_steps : int, default=0
        Batches of linear warm-up.
    weight_decay : float, default=0.0
        AdamW's decoupled weight decay of the embeddings and weight matrices.
    beta_1, beta_2 : float, default=0.9, 0.999
        AdamW's moment decay rates.
    max_grad_norm : float, default=None
        Clip the gradient norm; None does not clip.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their loss
        has not improved by ``tol`` for ``n_iter_no_change`` epochs; the best
        epoch's weights are kept.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    tol : float, default=1e-4
    alpha : float
        Deprecated: renamed ``weight_decay`` (removed in 0.3). Its value was
        Adam's L2 penalty of every parameter; it is now AdamW's decoupled
        decay of the weight matrices, so the same number gives another model.
    index : {"exact", "hnsw"}, default="exact"
        Serving index (``"hnsw"`` needs faiss-cpu).
    exploration : float, default=0.0
        Fraction of users whose last recommended slot shows a random item added
        by :meth:`add_items` (seeded by ``random_state``).
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks (e.g. ``skorch.callbacks.ProgressBar()``,
        ``Checkpoint``, ``LoadInitState`` to resume from a checkpoint).
    accelerate : bool or dict, default=False
        Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``):
        True, or a dict of ``accelerate.Accelerator`` arguments such as
        ``{"mixed_precision": "bf16"}``. Launched with ``accelerate launch``,
        the same script trains data-parallel on several GPUs; ``device`` is
        then Accelerate's choice. Needs ``pip install accelerate``.
    n_jobs : int, default=None
        Torch threads during ``fit`` (restored afterwards); None leaves
        torch's setting, -1 means all processors. Use 1 on a busy machine
        (:doc:`/scaling`).
    random_state : int, RandomState instance or None, default=None
    device : str, default="cpu"
    verbose : int, default=0
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        An unknown user or item is passed through its tower with the learned
        "unknown" id embedding and no features (in ``recommend`` and
        ``predict``); ``"error"`` raises.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted towers (``net_.module_`` is a ``TwoTowerNet``).
    item_vectors_ : ndarray of shape (n_items, n_components)
        Item vectors of ``item_ids_``.
    index_ : ExactIndex or HNSWIndex
        Serving index of the item vectors (grows with :meth:`add_items`).
    new_item_ids_ : ndarray
        Ids added with :meth:`add_items` (candidates for exploration).
    new_item_vectors_ : ndarray of shape (n_new_items, n_components)
        Their vectors, from their features.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Training loss per epoch.
    validation_loss_curve_ : list of float
        With ``early_stopping``: validation loss per epoch.
    user_ids_, item_ids_, user_items_, n_features_in_, feature_names_in_
        See :class:`~sklearn_attnrec.base.RecommenderMixin`.

    Notes
    -----
    Side features: ``fit(X, y, user_features=..., item_features=...)`` takes a
    pandas DataFrame indexed by user (item) id with numeric columns, or a tuple
    ``(ids, matrix)`` whose matrix (dense or sparse) has one row per id, e.g. the
    output of a fitted ``OneHotEncoder`` or ``TfidfVectorizer``. Ids without a
    row get zeros; an id with two rows is an error. ``transform`` returns
    ``[u, v]`` per row (``2 * n_components`` columns).

    References
    ----------
    X. Yi, J. Yang, L. Hong, D. Z. Cheng, L. Heldt, A. Kumthekar, Z. Zhao, L. Wei,
    E. Chi, "Sampling-bias-corrected neural modeling for large corpus item
    recommendations", RecSys 2019.

    P. Covington, J. Adams, E. Sargin, "Deep neural networks for YouTube
    recommendations", RecSys 2016.

    Examples
    --------
    >>> from sklearn_attnrec import TwoTowerRetriever
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> X, _ = make_interactions(n_users=40, n_items=30, implicit=True, random_state=0)
    >>> model = TwoTowerRetriever(n_components=8, max_iter=2, random_state=0).fit(X)
    >>> model.recommend([0, 1], n=3)[0].shape
    (2, 3)
    """

    # recommend_for_history: the user tower reads ids and side features.
    _fold_in_alternative = (
        "its user tower reads a user id and side features, not a history; use "
        "recommend_for_features for a new user with features, or EASE, "
        "ItemKNNRecommender or MatrixFactorization to fold in a history"
    )

    # Tiny sizes for the package's own tests (read by utils._testing).
    _test_params = {
        "n_components": 4,
        "embedding_dim": 4,
        "hidden_layer_sizes": (8,),
        "max_iter": 2,
    }

    _parameter_constraints = {
        **RECOMMENDER_CONSTRAINTS,
        **TRAINING_CONSTRAINTS,
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(numbers.Integral, 0, None, closed="left")],
        # The sizes themselves are checked in _check_params.
        "hidden_layer_sizes": ["array-like"],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "id_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "cosine": ["boolean"],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
        "loss": [StrOptions({"softmax", "bce"})],
        "logq_correction": ["boolean"],
        "n_negatives": [Interval(numbers.Integral, 1, None, closed="left")],
        "alpha": [
            Interval(numbers.Real, 0, None, closed="left"),
            Hidden(StrOptions({DEPRECATED})),
        ],
        "index": [StrOptions({"exact", "hnsw"})],
        "exploration": [Interval(numbers.Real, 0, 1, closed="both")],
        "random_state": RANDOM_STATE,
        "device": [str, torch.device],
    }

    def __init__(
        self,
        n_components=32,
        *,
        embedding_dim=32,
        hidden_layer_sizes=(64,),
        dropout=0.0,
        id_dropout=0.1,
        cosine=True,
        temperature=0.05,
        loss="softmax",
        logq_correction=True,
        n_negatives=4,
        max_iter=20,
        batch_size=512,
        learning_rate=1e-3,
        learning_rate_schedule="constant",
        min_learning_rate=None,
        warmup_steps=0,
        weight_decay=0.0,
        beta_1=0.9,
        beta_2=0.999,
        max_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        alpha=DEPRECATED,
        index="exact",
        exploration=0.0,
        callbacks=None,
        accelerate=False,
        n_jobs=None,
        random_state=None,
        device="cpu",
        verbose=0,
        columns=None,
        handle_unknown="fallback",
    ):
        self.n_components = n_components
        self.embedding_dim = embedding_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.id_dropout = id_dropout
        self.cosine = cosine
        self.temperature = temperature
        self.loss = loss
        self.logq_correction = logq_correction
        self.n_negatives = n_negatives
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.min_learning_rate = min_learning_rate
        self.warmup_steps = warmup_steps
        self.weight_decay = weight_decay
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.max_grad_norm = max_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.alpha = alpha
        self.index = index
        self.exploration = exploration
        self.callbacks = callbacks
        self.accelerate = accelerate
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.columns = columns
        self.handle_unknown = handle_unknown

    # -- fitting ---------------------------------------------------------------

    def _check_params(self):
        validate_params(self)
        params = check_training_params(self)
        params["weight_decay"] = renamed_parameter(
            self, "alpha", "weight_decay", note=ALPHA_NOTE
        )
        return params, check_layer_sizes(self.hidden_layer_sizes, allow_empty=True)

    @fit_atomically
    @uses_torch_threads
    def fit(self, X, y=None, *, user_features=None, item_features=None):
        """Train the towers on the interactions and index the item vectors.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``, each a positive interaction.
        y : array-like of shape (n_samples,), default=None
            Ratings or weights: validated and kept in ``user_items_``; training
            treats every row as a positive whatever its value.
        user_features, item_features : DataFrame or tuple (ids, matrix), default=None
            Side features keyed by id (see Notes).

        Returns
        -------
        self : TwoTowerRetriever
        """
        params, sizes = self._check_params()
        users, items, _ = self._fit_interactions(X, y, y_required=False)
        n_users, n_items = self.user_items_.shape
        user_table = _feature_table(user_features, self.user_ids_, "user_features")
        item_table = _feature_table(item_features, self.item_ids_, "item_features")
        frequency = np.bincount(items, minlength=n_items + 1) + 1.0

        def tower(n_ids, n_features):
            return Tower(
                n_ids + 1 if self.embedding_dim else 0,  # + the "unknown" row
                n_features,
                self.embedding_dim,
                sizes,
                self.n_components,
                self.dropout,
                # Train the "unknown" row only where features can stand in for it.
                id_dropout=self.id_dropout if n_features else 0.0,
            )

        softmax = self.loss == "softmax"
        criterion = (
            InBatchSoftmaxLoss(self.temperature, self.logq_correction)
            if softmax
            else PairwiseBCELoss(self.temperature)
        )
        self.net_ = train_pair_model(
            self,
            lambda: TwoTowerNet(
                tower(n_users, user_table.shape[1]),
                tower(n_items, item_table.shape[1]),
                torch.as_tensor(user_table),
                torch.as_tensor(item_table),
                torch.as_tensor(
                    np.log(frequency / frequency.sum()), dtype=torch.float32
                ),
                self.cosine,
            ),
            criterion,
            np.column_stack([users, items]),
            None,  # the softmax loss's labels are the batch's diagonal
            n_negatives=None if softmax else self.n_negatives,
            params=params,
        )
        self.item_vectors_ = self._vectors("item", np.arange(n_items))
        self.index_ = make_index(self.index, metric="dot").add(
            self.item_vectors_, self.item_ids_
        )
        self.new_item_ids_ = np.empty(0, dtype=self.item_ids_.dtype)
        self.new_item_vectors_ = np.empty((0, self.n_components), dtype=np.float32)
        # The third seed of random_state: the first two seed the weights and
        # the training data (train_pair_model), so exploration is independent.
        self._exploration_seed = torch_seeds(self.random_state, 3)[2]
        return self

    # -- vectors ---------------------------------------------------------------

    def _encode_X(self, X):
        """Encoded ``(users, items)``; items added with :meth:`add_items` get
        indices after the known items and the "unknown" row (``n_items + 1 +
        k`` for the ``k``-th added item), so that they are scored with their
        own vectors."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        users = self._encode(X[:, 0], self.user_ids_, "user")
        raw_items = X[:, 1]
        added = np.isin(raw_items, self.new_item_ids_)
        items = np.empty(len(raw_items), dtype=np.int64)
        items[~added] = self._encode(raw_items[~added], self.item_ids_, "item")
        if added.any():
            order = np.argsort(self.new_item_ids_, kind="stable")
            position = order[encode_ids(raw_items[added], self.new_item_ids_[order])]
            items[added] = len(self.item_ids_) + 1 + position
        return users, items

    def _vectors(self, side, index, features=None):
        """Tower outputs for encoded ids (``-1``: the "unknown" row; items past
        the unknown row: the vectors of added items)."""
        n_known = len(self.user_ids_ if side == "user" else self.item_ids_)
        added_items = getattr(self, "new_item_ids_", ())  # none while fitting
        if side == "item" and features is None and len(added_items):
            index = np.asarray(index)
            added = index > n_known
            if added.any():
                out = np.empty((len(index), self.n_components), dtype=np.float32)
                out[added] = self.new_item_vectors_[index[added] - n_known - 1]
                out[~added] = self._vectors(side, index[~added])
                return out
        ids = np.where(np.asarray(index) == UNKNOWN, n_known, index)
        if len(ids) == 0:
            return np.zeros((0, self.n_components), dtype=np.float32)
        module = self.net_.module_
        method = module.user_vectors if side == "user" else module.item_vectors
        return batched_inference(
            module, method, [ids, features], _PREDICT_BATCH
        ).numpy()

    def _predict_pairs(self, users, items):
        u = self._vectors("user", users)
        v = self._vectors("item", items)
        return np.einsum("ij,ij->i", u, v).astype(np.float64)

    def _score_items(self, users):
        return (self._vectors("user", users) @ self.item_vectors_.T).astype(np.float64)

    def transform(self, X):
        """``[u, v]`` per ``(user, item)`` row (``2 * n_components`` columns)."""
        users, items = self._encode_X(X)
        vectors = [self._vectors("user", users), self._vectors("item", items)]
        return np.hstack(vectors).astype(np.float64)

    def get_feature_names_out(self, input_features=None):
        """``user_vector_j`` then ``item_vector_j``."""
        check_is_fitted(self)
        k = self.n_components
        names = [f"user_vector_{j}" for j in range(k)]
        names += [f"item_vector_{j}" for j in range(k)]
        return np.asarray(names, dtype=object)

    # -- serving ---------------------------------------------------------------

    def recommend(
        self,
        users,
        n=10,
        *,
        exclude_seen=True,
        items=None,
        filter_items=None,
        as_frame=False,
    ):
        """Top-``n`` items per user from the serving index.

        Same contract as :meth:`RecommenderMixin.recommend`; the candidates are
        every item of the index (including those added with :meth:`add_items`).
        With ``items=`` the exact ranking over those items is used instead; they
        may include items added with :meth:`add_items`. With ``filter_items=``
        the exact ranking over the fitted items is used (the index cannot leave
        items out).
        """
        if items is not None or filter_items is not None:
            items = None if items is None else np.asarray(items).ravel()
            new = None if items is None else np.isin(items, self.new_item_ids_)
            if new is not None and new.any():
                if filter_items is not None:
                    keep = ~np.isin(items, np.asarray(filter_items).ravel())
                    items, new = items[keep], new[keep]
                found, scores = self._recommend_among_new(
                    users, n, exclude_seen, items, new
                )
                if as_frame:
                    return recommendations_frame(np.asarray(users), found, scores)
                return found, scores
            return super().recommend(
                users,
                n,
                exclude_seen=exclude_seen,
                items=items,
                filter_items=filter_items,
                as_frame=as_frame,
            )
        index = self._recommend_users(users, n)
        vectors = self._vectors("user", index)
        seen_counts = np.where(
            index == UNKNOWN, 0, np.diff(self.user_items_.indptr)[np.maximum(index, 0)]
        )
        extra = int(seen_counts.max()) if exclude_seen and len(users) else 0
        found, scores = self.index_.search(vectors, min(n + extra, len(self.index_)))
        scores = scores.astype(np.float64)
        n_out = min(n, len(self.index_))
        if exclude_seen:
            seen_mask = self._seen(index, found)
            # Stable sort: unseen first, keeping the index's order.
            order = np.argsort(seen_mask, axis=1, kind="stable")
            found = np.take_along_axis(found, order, axis=1)
            scores = np.take_along_axis(scores, order, axis=1)
            scores[np.take_along_axis(seen_mask, order, axis=1)] = -np.inf
        found, scores = found[:, :n_out], scores[:, :n_out]
        if self.exploration > 0 and len(self.new_item_ids_):
            self._explore(index, found, scores)
        if as_frame:
            return recommendations_frame(np.asarray(users), found, scores)
        return found, scores

    def _recommend_among_new(self, users, n, exclude_seen, items, new):
        """Exact top-``n`` over candidates that include added items."""
        user_index = self._recommend_users(users, n)
        known = self._encode(items[~new], self.item_ids_, "item")
        known = np.unique(known[known != UNKNOWN])
        added = np.flatnonzero(np.isin(self.new_item_ids_, items[new]))
        parts = [self.item_ids_[known], self.new_item_ids_[added]]
        if parts[0].dtype != parts[1].dtype:  # e.g. int ids, then string ones
            parts = [part.astype(object) for part in parts]
        candidate_ids = np.concatenate(parts)
        scores = np.hstack(
            [
                self._ranking_scores(user_index, exclude_seen)[:, known],
                self._vectors("user", user_index)
                @ self.new_item_vectors_[added].T.astype(np.float64),
            ]
        )
        top = topk_indices(scores, min(n, len(candidate_ids)))
        return candidate_ids[top], np.take_along_axis(scores, top, axis=1)

    def _seen(self, user_index, found):
        """Whether each found item was in the user's training interactions."""
        n_items = len(self.item_ids_)
        item_index = encode_ids(found.ravel(), self.item_ids_).reshape(found.shape)
        coo = self.user_items_.tocoo()
        seen_keys = np.sort(coo.row.astype(np.int64) * n_items + coo.col)
        keys = user_index[:, None] * n_items + item_index
        position = np.minimum(np.searchsorted(seen_keys, keys), len(seen_keys) - 1)
        return (
            (seen_keys[position] == keys)
            & (item_index != UNKNOWN)
            & (user_index != UNKNOWN)[:, None]
        )

    def _explore(self, user_index, found, scores):
        """Show a random new item in the last slot of a seeded share of users."""
        rng = np.random.RandomState(self._exploration_seed)
        draws = rng.random_sample(len(self.user_ids_) + 1)
        chosen = (
            draws[np.where(user_index == UNKNOWN, -1, user_index)] < self.exploration
        )
        picks = rng.randint(0, len(self.new_item_ids_), size=len(self.user_ids_) + 1)
        rows = np.flatnonzero(chosen)
        new_items = self.new_item_ids_[picks[np.maximum(user_index[rows], 0)]]
        already = (found[rows] == new_items[:, None]).any(axis=1)
        rows, new_items = rows[~already], new_items[~already]
        found[rows, -1] = new_items
        scores[rows, -1] = np.nan  # shown for exploration, not for its score

    def recommend_for_features(self, user_features, n=10):
        """Recommendations for new users from their side features alone.

        Parameters
        ----------
        user_features : array-like or sparse matrix of shape (n_users, n_features)
            One row per new user, in the columns used in ``fit``.
        n : int, default=10

        Returns
        -------
        item_ids, scores : ndarray of shape (n_users, min(n, n_items))
        """
        check_is_fitted(self)
        width = self.net_.module_.user_features.shape[1]
        _, matrix = _split_features(
            (np.arange(_n_rows(user_features)), user_features), "user_features"
        )
        if matrix.shape[1] != width:
            raise ValueError(
                f"user_features have {matrix.shape[1]} columns; fit used {width}"
            )
        vectors = self._vectors("user", np.full(len(matrix), UNKNOWN), features=matrix)
        return self.index_.search(vectors, min(n, len(self.index_)))

    def add_items(self, item_ids, item_features):
        """Index new items from their features, without retraining.

        From then on ``recommend`` can return them, and ``predict``,
        ``transform`` and ``recommend(items=...)`` score them with their own
        vectors (they are no longer unknown items).

        Parameters
        ----------
        item_ids : array-like of shape (n_new,)
            Distinct ids, none of them indexed yet (a ``ValueError`` names any
            repeated or already indexed id).
        item_features : array-like or sparse matrix of shape (n_new, n_features)

        Returns
        -------
        self : TwoTowerRetriever
        """
        check_is_fitted(self)
        item_ids = np.asarray(item_ids)
        repeated = _duplicated_ids(item_ids) if item_ids.ndim == 1 else []
        if repeated:
            raise ValueError(
                f"item_ids hold {len(repeated)} id(s) more than once, e.g. "
                f"{repeated[:5]}; add each item once"
            )
        ids, matrix = _split_features((item_ids, item_features), "item_features")
        width = self.net_.module_.item_features.shape[1]
        if matrix.shape[1] != width:
            raise ValueError(
                f"item_features have {matrix.shape[1]} columns; fit used {width}"
            )
        indexed = (encode_ids(ids, self.item_ids_) != UNKNOWN) | np.isin(
            ids, self.new_item_ids_
        )
        if indexed.any():
            raise ValueError(
                f"add_items takes items that are not indexed yet; item_ids "
                f"{ids[indexed][:5].tolist()} are already indexed"
            )
        vectors = self._vectors("item", np.full(len(ids), UNKNOWN), features=matrix)
        self.index_.add(vectors, ids)
        self.new_item_ids_ = np.concatenate([self.new_item_ids_, ids])
        self.new_item_vectors_ = np.vstack([self.new_item_vectors_, vectors])
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        return tags


def _n_rows(matrix):
    return matrix.shape[0] if hasattr(matrix, "shape") else len(matrix)
