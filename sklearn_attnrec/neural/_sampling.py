"""Training pairs of the neural recommenders, drawn anew every epoch.

:class:`SampledPairs` is the training data that the package's one torch engine
(:func:`~sklearn_attnrec.utils._torch.build_net`) reads through
:class:`~sklearn_attnrec.utils._torch.BatchLoader`: every epoch, the observed
pairs plus ``n_negatives`` fresh unseen items per positive (He et al. 2017),
shuffled, served as whole batches sliced from two tensors. There is no
per-sample ``__getitem__`` and no collate step: on ML-100K that per-sample
indexing was more than half of a NeuralCF fit.
"""

import functools

import numpy as np
import torch

from ..utils._torch import (
    BatchLoader,
    build_net,
    record_history,
    resolve_device,
    steps_per_epoch,
    torch_random_state,
    torch_seeds,
)


def observed_keys(user_items):
    """Sorted ``user * n_items + item`` of the observed pairs (what
    :func:`sample_negatives` never draws)."""
    coo = user_items.tocoo()
    return np.sort(coo.row.astype(np.int64) * user_items.shape[1] + coo.col)


def sample_negatives(users, user_items, n_negatives, rng, observed=None):
    """``n_negatives`` items per row of ``users`` that the user never interacted with.

    Uniform draws, redrawn where they hit an observed pair (vectorised; a few
    rounds suffice on sparse data).

    Parameters
    ----------
    users : ndarray of shape (n,)
        Encoded users (one row per positive interaction).
    user_items : csr_matrix of shape (n_users, n_items)
        Observed interactions.
    n_negatives : int
    rng : numpy.random.RandomState
    observed : ndarray, default=None
        ``observed_keys(user_items)``, when the caller keeps it across calls.

    Returns
    -------
    items : ndarray of shape (n * n_negatives,)
        Negative items, ``n_negatives`` consecutive ones per row.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> from sklearn_attnrec.neural._sampling import sample_negatives
    >>> seen = sp.csr_matrix(np.array([[1, 1, 0, 0]]))
    >>> drawn = sample_negatives(np.zeros(5, int), seen, 2, np.random.RandomState(0))
    >>> sorted(set(drawn.tolist()))
    [2, 3]
    """
    n_items = user_items.shape[1]
    users = np.repeat(users, n_negatives)
    if observed is None:
        observed = observed_keys(user_items)
    items = rng.randint(0, n_items, size=len(users))
    todo = np.arange(len(users))
    for _ in range(100):
        keys = users[todo] * n_items + items[todo]
        position = np.minimum(np.searchsorted(observed, keys), len(observed) - 1)
        todo = todo[observed[position] == keys]
        if len(todo) == 0:
            break
        items[todo] = rng.randint(0, n_items, size=len(todo))
    return items


class SampledPairs(torch.utils.data.Dataset):
    """``(user, item)`` training pairs and targets, one epoch at a time.

    Read through :meth:`epoch` only (by
    :class:`~sklearn_attnrec.utils._torch.BatchLoader`): there is no per-row
    ``__getitem__``, which would have to draw a whole epoch for each row.

    With ``n_negatives=None`` every epoch is ``(pairs, targets)`` (explicit
    ratings); otherwise ``pairs`` are positives (target 1) and each epoch adds
    ``n_negatives`` unseen items per positive (target 0), drawn anew.

    Parameters
    ----------
    pairs : ndarray of shape (n, 2)
        Encoded ``(user, item)`` rows.
    targets : ndarray of shape (n,) or None
        Ratings (explicit feedback); None: every pair is a positive.
    user_items : csr_matrix or None
        Observed interactions (the items never drawn as a user's negatives).
    n_negatives : int or None
    seed : int
        Seeds the negatives and the shuffling.
    fixed : bool, default=False
        Draw once and serve the same rows every epoch (validation data).
    """

    def __init__(
        self,
        pairs,
        targets,
        *,
        user_items,
        n_negatives,
        seed,
        fixed=False,
        observed=None,
    ):
        self.pairs = np.asarray(pairs, dtype=np.int64)
        self.targets = (
            np.ones(len(self.pairs)) if targets is None else np.asarray(targets)
        )
        self.user_items = user_items
        self.n_negatives = n_negatives
        self.seed = seed
        self.fixed = fixed
        self.rng = np.random.RandomState(seed)
        self._drawn = None
        # Sorted once (an O(nnz log nnz) sort), not per epoch; shared by split.
        if n_negatives and observed is None:
            observed = observed_keys(user_items)
        self._observed = observed

    def __len__(self):
        return len(self.pairs) * (1 + (self.n_negatives or 0))

    def epoch(self, shuffle):
        """The rows of one pass: tensors ``X`` (long, (m, 2)) and ``y`` (float)."""
        if self.fixed and self._drawn is not None:
            return self._drawn
        pairs, targets = self.pairs, self.targets
        if self.n_negatives:
            users = pairs[:, 0]
            negatives = sample_negatives(
                users, self.user_items, self.n_negatives, self.rng, self._observed
            )
            pairs = np.concatenate(
                [
                    pairs,
                    np.column_stack([np.repeat(users, self.n_negatives), negatives]),
                ]
            )
            targets = np.concatenate([targets, np.zeros(len(negatives))])
        if shuffle:
            order = self.rng.permutation(len(pairs))
            pairs, targets = pairs[order], targets[order]
        drawn = (
            torch.from_numpy(np.ascontiguousarray(pairs)),
            torch.as_tensor(targets, dtype=torch.float32),
        )
        if self.fixed:
            self._drawn = drawn
        return drawn

    def split(self, fraction):
        """``(train, validation)``: a seeded ``fraction`` of the pairs held out,
        the validation negatives drawn once (so that its loss compares epochs).

        Raises
        ------
        ValueError
            When the split leaves either side empty.
        """
        rng = np.random.RandomState(self.seed)
        n_valid = int(round(len(self.pairs) * fraction))
        if not 0 < n_valid < len(self.pairs):
            raise ValueError(
                f"early_stopping: validation_fraction={fraction} of {len(self.pairs)} "
                "training rows leaves no validation or no training row; use more "
                "data or another fraction"
            )
        order = rng.permutation(len(self.pairs))
        parts = []
        for rows, fixed in ((order[n_valid:], False), (order[:n_valid], True)):
            parts.append(
                SampledPairs(
                    self.pairs[rows],
                    self.targets[rows],
                    user_items=self.user_items,
                    n_negatives=self.n_negatives,
                    seed=self.seed + (1 if fixed else 0),
                    fixed=fixed,
                    observed=self._observed,
                )
            )
        return tuple(parts)


def split_sampled_pairs(dataset, y=None, *, fraction, **fit_params):
    """skorch ``train_split`` of a :class:`SampledPairs` (early stopping); bind
    ``fraction`` with :func:`functools.partial`."""
    return dataset.split(fraction)


def train_pair_model(
    estimator, make_module, criterion, pairs, targets, *, n_negatives, params
):
    """Train a pair-scoring module on sampled pairs with the package's engine.

    The template of the neural recommenders' ``fit``: seeds from
    ``estimator.random_state`` (initialisation, then negatives and shuffling),
    the module built by ``make_module()`` under the first, a
    :class:`SampledPairs` epoch source, :func:`~sklearn_attnrec.utils._torch.build_net`
    with :class:`~sklearn_attnrec.utils._torch.BatchLoader` (early stopping on
    a held-out share of the pairs), ``net.fit`` and the history
    (``n_iter_``, ``loss_curve_``, ``validation_loss_curve_``).

    Parameters
    ----------
    estimator : BaseEstimator
        Reads ``random_state``, ``device`` and ``user_items_``; gets the history.
    make_module : callable
        ``make_module() -> torch.nn.Module`` scoring ``(n, 2)`` index pairs.
    criterion : torch.nn.Module
        Loss of the module's output against the targets.
    pairs : ndarray of shape (n, 2)
    targets : ndarray of shape (n,) or None
        None: every pair is a positive, with ``n_negatives`` drawn per epoch.
    n_negatives : int or None
    params : dict
        From :func:`~sklearn_attnrec.utils._torch.check_training_params`.

    Returns
    -------
    net : skorch.NeuralNet
        Fitted; its module in evaluation mode.
    """
    device = resolve_device(estimator.device)
    init_seed, data_seed = torch_seeds(estimator.random_state, 2)
    data = SampledPairs(
        pairs,
        targets,
        user_items=estimator.user_items_,
        n_negatives=n_negatives,
        seed=data_seed,
    )
    with torch_random_state(init_seed, device):
        net = build_net(
            make_module(),
            criterion,
            params,
            # The schedule spans the training part only (not the held-out rows).
            total_steps=params["max_iter"]
            * steps_per_epoch(
                int(len(data) * (1 - params["validation_fraction"]))
                if params["early_stopping"]
                else len(data),
                params["batch_size"],
            ),
            seed=data_seed,
            device=device,
            train_split=functools.partial(
                split_sampled_pairs, fraction=params["validation_fraction"]
            ),
            iterator_train=BatchLoader,
            iterator_valid=BatchLoader,
            iterator_train__shuffle=True,
        )
        estimator.net_ = net
        net.fit(data, None)
    record_history(estimator)
    return net
