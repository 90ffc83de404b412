"""Mini-batch stochastic gradient descent for biased matrix factorisation.

Plain SGD on the regularised squared error, as in Funk (2006) and Koren et al.
(2009), applied to mini-batches of ratings with torch's scatter-add
(``index_add_``) instead of one rating at a time, so an epoch costs a few dozen
vectorised steps. Nothing here knows about sklearn.
"""

import torch


def sgd_epoch(
    params,
    users,
    items,
    ratings,
    *,
    learning_rate,
    user_penalty,
    item_penalty,
    bias_penalty,
    batch_size,
    generator,
    fit_biases=True,
):
    """One pass over the ratings in a random order; updates ``params`` in place.

    Each mini-batch takes, for every rating ``(u, i, r)`` in it, the step
    ``p_u += lr (e q_i − λ_u p_u)``, ``q_i += lr (e p_u − λ_i q_i)``,
    ``b_u += lr (e − λ_b b_u)``, ``b_i += lr (e − λ_b b_i)`` with
    ``e = r − (μ + b_u + b_i + p_u·q_i)``, all computed from the parameters at the
    start of the batch; steps of the same user (item) within a batch add up.

    Parameters
    ----------
    params : dict of torch.Tensor
        ``mu`` (scalar), ``user_factors``, ``item_factors``, ``user_bias``,
        ``item_bias``; updated in place.
    users, items : torch.LongTensor of shape (n,)
    ratings : torch.Tensor of shape (n,)
    learning_rate : float
    user_penalty, item_penalty : torch.Tensor of shape (n_users,), (n_items,)
        Per-occurrence L2 coefficient of each user's (item's) factors.
    bias_penalty : float
        Per-occurrence L2 coefficient of the biases.
    batch_size : int
    generator : torch.Generator
        Source of the shuffling order.
    fit_biases : bool, default=True

    Returns
    -------
    loss : float
        Sum of squared errors seen during the epoch (before each batch's step).
    """
    P, Q = params["user_factors"], params["item_factors"]
    b_u, b_i, mu = params["user_bias"], params["item_bias"], params["mu"]
    order = torch.randperm(len(ratings), generator=generator)
    total = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        u, i = users[batch], items[batch]
        p_u, q_i = P[u], Q[i]
        error = ratings[batch] - (mu + b_u[u] + b_i[i] + (p_u * q_i).sum(1))
        total += float(error @ error)
        if fit_biases:
            b_u.index_add_(0, u, learning_rate * (error - bias_penalty * b_u[u]))
            b_i.index_add_(0, i, learning_rate * (error - bias_penalty * b_i[i]))
        grad_p = error[:, None] * q_i - user_penalty[u, None] * p_u
        grad_q = error[:, None] * p_u - item_penalty[i, None] * q_i
        P.index_add_(0, u, learning_rate * grad_p)
        Q.index_add_(0, i, learning_rate * grad_q)
    return total
