"""Training loops shared by the neural recommenders: sampled negatives, epochs."""

import numpy as np
import torch

from ..utils._torch import skorch_net_class


def epoch_net(module, criterion, estimator, device, **kwargs):
    """The initialised skorch net that :func:`train_epochs` drives.

    Its ``partial_fit`` raises ``KeyboardInterrupt`` on Ctrl-C instead of
    returning as if the epoch had finished (see
    :func:`~sklearn_attnrec.utils._torch.skorch_net_class`).

    Adam with L2 weight decay ``estimator.alpha``, a constant learning rate, no
    validation split, shuffled batches, the estimator's ``callbacks`` and
    ``verbose``, and Hugging Face Accelerate when ``estimator.accelerate`` asks
    for it. ``kwargs`` go to the net (``module__...``, ``criterion__...``).
    """
    net_class, accelerate_kwargs = skorch_net_class(
        estimator.accelerate, estimator.verbose
    )
    return net_class(
        module,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        optimizer__weight_decay=estimator.alpha,
        lr=estimator.learning_rate,
        batch_size=estimator.batch_size,
        max_epochs=1,  # train_epochs calls partial_fit once per epoch
        train_split=None,
        iterator_train__shuffle=True,
        callbacks=estimator.callbacks,
        device=None if accelerate_kwargs else device,
        verbose=estimator.verbose,
        **accelerate_kwargs,
        **kwargs,
    ).initialize()


def sample_negatives(users, user_items, n_negatives, rng):
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

    Returns
    -------
    items : ndarray of shape (n * n_negatives,)
        Negative items, ``n_negatives`` consecutive ones per row.
    """
    n_items = user_items.shape[1]
    users = np.repeat(users, n_negatives)
    coo = user_items.tocoo()
    observed = np.sort(coo.row.astype(np.int64) * n_items + coo.col)
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


def train_epochs(net, pairs, y, *, user_items, n_negatives, rng, max_iter):
    """``max_iter`` epochs of ``net.partial_fit``.

    With ``n_negatives=None`` every epoch fits ``(pairs, y)``; otherwise ``pairs``
    are positives (label 1) and each epoch draws ``n_negatives`` fresh unseen
    items per positive (label 0), as He et al. (2017) do.

    A Ctrl-C raises ``KeyboardInterrupt`` out of the epoch it cuts short (the
    net of :func:`epoch_net` raises what skorch's ``partial_fit`` would
    swallow), so no further epoch starts. The module is left in evaluation mode
    (skorch switches it to training mode itself for each training batch).
    """
    for _ in range(max_iter):
        X_epoch, y_epoch = pairs, y
        if n_negatives is not None:
            users = pairs[:, 0]
            negatives = sample_negatives(users, user_items, n_negatives, rng)
            negative_pairs = np.column_stack([np.repeat(users, n_negatives), negatives])
            X_epoch = np.vstack([pairs, negative_pairs])
            y_epoch = np.r_[np.ones(len(pairs)), np.zeros(len(negatives))]
        net.partial_fit(
            torch.as_tensor(X_epoch, dtype=torch.long),
            torch.as_tensor(y_epoch, dtype=torch.float32),
        )
    net.module_.eval()
