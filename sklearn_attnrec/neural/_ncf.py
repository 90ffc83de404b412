"""NeuralCF: GMF, MLP and NeuMF (He et al. 2017) as a scikit-learn estimator."""

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..base import FeedbackScoreMixin, RecommenderMixin
from ..utils._fitting import fit_atomically
from ..utils._progress import warn_if_constant_ratings
from ..utils._torch import (
    TorchPicklingMixin,
    batched_inference,
    resolve_device,
    torch_random_state,
)
from ..utils._validation import check_scalar
from ..utils._vocabulary import UNKNOWN
from ._modules import NCFNet
from ._training import epoch_net, train_epochs

_ARCHITECTURES = ("gmf", "mlp", "neumf")
# Pairs scored per forward pass at prediction time.
_PREDICT_BATCH = 2**16


class NeuralCF(
    TorchPicklingMixin,
    RecommenderMixin,
    FeedbackScoreMixin,
    RegressorMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Neural collaborative filtering: GMF, MLP or NeuMF.

    The dot product of matrix factorisation replaced by a learned function of the
    user and item embeddings (He et al. 2017):

    - ``"gmf"``: generalised matrix factorisation, ``r̂ = hᵀ(p_u ⊙ q_i)``;
    - ``"mlp"``: ``r̂ = MLP([p_u, q_i])``, the lecture's neural CF;
    - ``"neumf"``: both, with their own embeddings, fused in the output layer.

    Explicit feedback (``y`` ratings) is fitted by squared error; implicit
    feedback (every row of ``X`` a positive) by binary cross-entropy against
    ``n_negatives`` items per positive, drawn anew every epoch among the items
    the user never interacted with. Trained with Adam through skorch (``net_``
    holds the skorch ``NeuralNet``, its ``history`` the losses).

    Parameters
    ----------
    architecture : {"gmf", "mlp", "neumf"}, default="neumf"
    feedback : {"implicit", "explicit"}, default="implicit"
    embedding_dim : int, default=16
    hidden_layer_sizes : tuple of int, default=(64, 32, 16)
        The MLP's hidden layers (after the ``2 * embedding_dim`` input).
    dropout : float, default=0.0
    n_negatives : int, default=4
        Implicit feedback: sampled negatives per positive.
    max_iter : int, default=20
        Epochs.
    batch_size : int, default=256
    learning_rate : float, default=1e-3
    alpha : float, default=0.0
        Weight decay (L2) of Adam.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks (e.g. ``skorch.callbacks.ProgressBar()``,
        ``Checkpoint``); each epoch is one ``partial_fit`` of ``net_``.
    accelerate : bool or dict, default=False
        Train through Hugging Face Accelerate (skorch's ``AccelerateMixin``):
        True, or a dict of ``accelerate.Accelerator`` arguments such as
        ``{"mixed_precision": "bf16"}``. Launched with ``accelerate launch``,
        the same script trains data-parallel on several GPUs; ``device`` is
        then Accelerate's choice. Needs ``pip install accelerate``.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and negatives (torch's global generator
        is left as it was).
    device : str, default="cpu"
        torch device, e.g. ``"cuda"``, or ``"auto"``.
    verbose : int, default=0
        Print skorch's per-epoch table.
    columns : sequence of str or int, default=None
        The columns of ``X`` to read, in the order the model reads them: the
        user ids, the item ids, then any further column it uses (such as the
        time): names of a DataFrame's columns, or positions. None reads ``X``
        by position. See :doc:`/own_data`.
    handle_unknown : {"fallback", "error"}, default="fallback"
        An unknown user (item) is scored with the mean user (item) embedding:
        the "average user"; ``"error"`` raises.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted network (``net_.module_`` is an ``NCFNet``).
    global_mean_ : float
        Explicit feedback: mean rating (the output layer's starting bias).
    n_iter_ : int
        Epochs run.
    user_ids_, item_ids_, user_items_, n_features_in_, feature_names_in_
        See :class:`~sklearn_attnrec.base.RecommenderMixin`.

    Notes
    -----
    ``predict`` returns a rating (explicit) or a probability of interaction
    (implicit). ``transform`` returns the last hidden layer per row (``p ⊙ q``
    for GMF, the MLP's top layer, or both for NeuMF). Rendle et al. (2020) found
    a well-tuned dot product (:class:`MatrixFactorization`) at least as good as
    NeuMF on these benchmarks; both are here so you can check on your data.

    References
    ----------
    X. He, L. Liao, H. Zhang, L. Nie, X. Hu, T.-S. Chua, "Neural collaborative
    filtering", WWW 2017.

    S. Rendle, W. Krichene, L. Zhang, J. Anderson, "Neural collaborative
    filtering vs. matrix factorization revisited", RecSys 2020.

    Examples
    --------
    >>> from sklearn_attnrec import NeuralCF
    >>> from sklearn_attnrec.datasets import make_interactions
    >>> X, _ = make_interactions(n_users=40, n_items=30, implicit=True, random_state=0)
    >>> model = NeuralCF(embedding_dim=4, hidden_layer_sizes=(8,), max_iter=2,
    ...                  random_state=0).fit(X)
    >>> model.recommend([0, 1], n=3)[0].shape
    (2, 3)
    """

    # recommend_for_history: a user is an embedding learned in fit.
    _fold_in_alternative = (
        "a user is an embedding learned in fit; refit with the new user's "
        "interactions, or use EASE, ItemKNNRecommender or MatrixFactorization, "
        "which fold new users in"
    )

    # Tiny sizes for the package's own tests (read by utils._testing).
    _test_params = {"embedding_dim": 4, "hidden_layer_sizes": (8,), "max_iter": 2}

    def __init__(
        self,
        architecture="neumf",
        *,
        feedback="implicit",
        embedding_dim=16,
        hidden_layer_sizes=(64, 32, 16),
        dropout=0.0,
        n_negatives=4,
        max_iter=20,
        batch_size=256,
        learning_rate=1e-3,
        alpha=0.0,
        callbacks=None,
        accelerate=False,
        random_state=None,
        device="cpu",
        verbose=0,
        columns=None,
        handle_unknown="fallback",
    ):
        self.architecture = architecture
        self.feedback = feedback
        self.embedding_dim = embedding_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.n_negatives = n_negatives
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.alpha = alpha
        self.callbacks = callbacks
        self.accelerate = accelerate
        self.random_state = random_state
        self.device = device
        self.verbose = verbose
        self.columns = columns
        self.handle_unknown = handle_unknown

    def _check_params(self):
        if self.architecture not in _ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {_ARCHITECTURES}; "
                f"got {self.architecture!r}"
            )
        if self.feedback not in ("implicit", "explicit"):
            raise ValueError(
                f"feedback must be 'implicit' or 'explicit'; got {self.feedback!r}"
            )
        for name in ("embedding_dim", "n_negatives", "max_iter", "batch_size"):
            check_scalar(getattr(self, name), name, numbers.Integral, min_val=1)
        check_scalar(
            self.dropout,
            "dropout",
            numbers.Real,
            min_val=0,
            max_val=1,
            include_boundaries="left",
        )
        check_scalar(
            self.learning_rate,
            "learning_rate",
            numbers.Real,
            min_val=0,
            include_boundaries="neither",
        )
        check_scalar(self.alpha, "alpha", numbers.Real, min_val=0)
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        if not sizes or any(
            not isinstance(s, numbers.Integral) or s < 1 for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a non-empty tuple of positive integers; "
                f"got {self.hidden_layer_sizes!r}"
            )
        return sizes

    @fit_atomically
    def fit(self, X, y=None):
        """Fit the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)
            Rows of ``[user_id, item_id, ...]``.
        y : array-like of shape (n_samples,), default=None
            Ratings (explicit feedback, required); ignored for implicit feedback.

        Returns
        -------
        self : NeuralCF
        """
        sizes = self._check_params()
        explicit = self.feedback == "explicit"
        users, items, y = self._fit_interactions(X, y, y_required=explicit)
        if explicit:
            warn_if_constant_ratings(y, type(self).__name__)
        rng = check_random_state(self.random_state)
        n_users, n_items = self.user_items_.shape
        self.global_mean_ = float(y.mean()) if explicit else 0.0
        device = resolve_device(self.device)
        with torch_random_state(rng.randint(2**31 - 1), device):
            self.net_ = epoch_net(
                NCFNet,
                torch.nn.MSELoss if explicit else torch.nn.BCEWithLogitsLoss,
                self,
                device,
                module__n_users=n_users + 1,  # + the "average user" row
                module__n_items=n_items + 1,
                module__architecture=self.architecture,
                module__embedding_dim=self.embedding_dim,
                module__hidden_layer_sizes=sizes,
                module__dropout=self.dropout,
            )
            if explicit:
                with torch.no_grad():
                    self.net_.module_.output.bias.fill_(self.global_mean_)
            train_epochs(
                self.net_,
                np.column_stack([users, items]),
                y,
                user_items=self.user_items_,
                n_negatives=None if explicit else self.n_negatives,
                rng=rng,
                max_iter=self.max_iter,
            )
        self.n_iter_ = self.max_iter
        self._set_average_embeddings()
        return self

    def _set_average_embeddings(self):
        """The extra last row of each embedding table becomes the mean of the others:
        the fallback for unknown users and items."""
        with torch.no_grad():
            for module in self.net_.module_.modules():
                if isinstance(module, torch.nn.Embedding):
                    module.weight[-1] = module.weight[:-1].mean(0)

    def _pairs(self, users, items):
        n_users, n_items = self.user_items_.shape
        users = np.where(users == UNKNOWN, n_users, users)
        items = np.where(items == UNKNOWN, n_items, items)
        return torch.as_tensor(np.column_stack([users, items]), dtype=torch.long)

    def _forward(self, pairs, method="forward"):
        if len(pairs) == 0:
            return np.zeros(0)
        module = self.net_.module_
        out = batched_inference(
            module, getattr(module, method), [pairs], _PREDICT_BATCH
        )
        return out.numpy().astype(np.float64)

    def _predict_pairs(self, users, items):
        scores = self._forward(self._pairs(users, items))
        if self.feedback == "implicit":
            return 1 / (1 + np.exp(-scores))
        return scores

    def _score_items(self, users):
        # The scores predict gives (a probability for implicit feedback).
        n_items = len(self.item_ids_)
        all_users = np.repeat(users, n_items)
        all_items = np.tile(np.arange(n_items), len(users))
        return self._predict_pairs(all_users, all_items).reshape(len(users), n_items)

    def transform(self, X):
        """The last hidden layer of each ``(user, item)`` row.

        Parameters
        ----------
        X : array-like of shape (n_samples, >=2)

        Returns
        -------
        features : ndarray of shape (n_samples, n_hidden)
        """
        users, items = self._encode_X(X)
        return self._forward(self._pairs(users, items), method="hidden")

    def get_feature_names_out(self, input_features=None):
        """``hidden_0`` ... ``hidden_{n-1}``."""
        check_is_fitted(self)
        width = self.net_.module_.output.in_features
        return np.asarray([f"hidden_{j}" for j in range(width)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.required = False
        return tags
