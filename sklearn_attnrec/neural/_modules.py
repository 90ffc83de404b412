"""torch modules of the neural recommenders; nothing here knows about sklearn.

- :class:`NCFNet`: neural collaborative filtering (He et al. 2017): GMF (a learned,
  weighted dot product), MLP over the concatenated embeddings, or both fused
  (NeuMF).
- :class:`Tower` and :class:`TwoTowerNet`: two MLPs mapping user and item inputs
  (an id embedding and/or side features) to vectors whose dot product scores the
  pair; :class:`InBatchSoftmaxLoss` trains them with the logQ correction
  (Yi et al. 2019), :class:`PairwiseBCELoss` with sampled negatives.
- :class:`SASRecNet` and :class:`NextItemLoss`: SASRec's causal transformer over
  item histories and its next-item losses (BCE, gSASRec's gBCE, softmax).
- :class:`AllItemsScorer` and :class:`HistoryScorer`: every item's score for
  users or histories, the modules :mod:`sklearn_attnrec.serving` exports.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ..nn import TransformerStack, init_weights

_PAD = 0  # item index 0 is padding (SASRec); item ``j`` is index ``j + 1``


def _mlp(sizes, dropout, *, last_activation=True):
    """Linear layers ``sizes[0] -> sizes[1] -> ...`` with ReLU and dropout."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if last_activation or i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


class NCFNet(nn.Module):
    """GMF, MLP or NeuMF scores of ``(user, item)`` index pairs.

    Parameters
    ----------
    n_users, n_items : int
    architecture : {"gmf", "mlp", "neumf"}
    embedding_dim : int
        Size of each embedding (GMF's, and each of the MLP's two).
    hidden_layer_sizes : tuple of int
        Widths of the MLP's hidden layers (its input is ``2 * embedding_dim``).
    dropout : float
    output_bias : float, default=0.0
        Starting bias of the output unit (the mean rating, for ratings).
    """

    def __init__(
        self,
        n_users,
        n_items,
        architecture,
        embedding_dim,
        hidden_layer_sizes,
        dropout,
        output_bias=0.0,
    ):
        super().__init__()
        self.architecture = architecture
        width = 0
        if architecture in ("gmf", "neumf"):
            self.gmf_user = nn.Embedding(n_users, embedding_dim)
            self.gmf_item = nn.Embedding(n_items, embedding_dim)
            width += embedding_dim
        if architecture in ("mlp", "neumf"):
            self.mlp_user = nn.Embedding(n_users, embedding_dim)
            self.mlp_item = nn.Embedding(n_items, embedding_dim)
            sizes = (2 * embedding_dim, *hidden_layer_sizes)
            self.mlp = _mlp(sizes, dropout)
            width += sizes[-1]
        self.output = nn.Linear(width, 1)
        with torch.no_grad():
            self.output.bias.fill_(output_bias)
        for module in self.modules():
            if isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, std=0.01)

    def hidden(self, pairs):
        """The last hidden layer, ``(n, width)``: GMF's ``p ⊙ q`` and/or the MLP's
        top layer, concatenated (NeuMF)."""
        users, items = pairs[:, 0], pairs[:, 1]
        parts = []
        if self.architecture in ("gmf", "neumf"):
            parts.append(self.gmf_user(users) * self.gmf_item(items))
        if self.architecture in ("mlp", "neumf"):
            joint = torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=1)
            parts.append(self.mlp(joint))
        return torch.cat(parts, dim=1)

    def forward(self, pairs):
        """Scores (logits or ratings) of ``pairs`` (n, 2) of indices, shape (n,)."""
        return self.output(self.hidden(pairs)).squeeze(-1)


class Tower(nn.Module):
    """Maps a row (an id embedding and/or a side-feature vector) to a vector.

    Parameters
    ----------
    n_ids : int
        Rows of the id embedding table (the last one is the "unknown" row used
        for cold-start inputs); 0 for no id embedding.
    n_features : int
        Width of the side features (0: none).
    embedding_dim : int
    hidden_layer_sizes : tuple of int
    output_dim : int
    dropout : float
    id_dropout : float, default=0.0
        While training, the share of rows whose id is replaced by the "unknown"
        row, so that it learns to serve cold-start rows from their features.
    """

    def __init__(
        self,
        n_ids,
        n_features,
        embedding_dim,
        hidden_layer_sizes,
        output_dim,
        dropout,
        id_dropout=0.0,
    ):
        super().__init__()
        self.id_dropout = id_dropout
        self.embedding = nn.Embedding(n_ids, embedding_dim) if n_ids else None
        width = (embedding_dim if n_ids else 0) + n_features
        if width == 0:
            raise ValueError("a tower needs ids or features")
        self.mlp = _mlp(
            (width, *hidden_layer_sizes, output_dim), dropout, last_activation=False
        )
        if self.embedding is not None:
            nn.init.normal_(self.embedding.weight, std=0.05)

    def forward(self, ids, features):
        """``ids`` (n,) long; ``features`` (n, n_features) float or None."""
        parts = []
        if self.embedding is not None:
            if self.training and self.id_dropout:
                unknown = self.embedding.num_embeddings - 1
                dropped = torch.rand(ids.shape, device=ids.device) < self.id_dropout
                ids = ids.masked_fill(dropped, unknown)
            parts.append(self.embedding(ids))
        if features is not None and features.shape[1]:
            parts.append(features)
        return self.mlp(torch.cat(parts, dim=1))


class TwoTowerNet(nn.Module):
    """User and item towers over ``(user, item)`` index pairs.

    Side features live in the module as tables indexed like the ids (buffers,
    so they move with the module to its device and are saved with it).

    Parameters
    ----------
    user_tower, item_tower : Tower
    user_features, item_features : torch.Tensor of shape (n_users, f_u), (n_items, f_i)
        Feature table rows per encoded id (0 columns when there are none).
    item_log_q : torch.Tensor of shape (n_items,)
        Log frequency of each item among the training rows (logQ correction).
    cosine : bool
        Normalise the vectors (score = cosine / temperature).
    """

    def __init__(
        self, user_tower, item_tower, user_features, item_features, item_log_q, cosine
    ):
        super().__init__()
        self.user_tower = user_tower
        self.item_tower = item_tower
        self.register_buffer("user_features", user_features)
        self.register_buffer("item_features", item_features)
        self.register_buffer("item_log_q", item_log_q)
        self.cosine = cosine

    def _finish(self, vectors):
        return nn.functional.normalize(vectors, dim=1) if self.cosine else vectors

    def user_vectors(self, ids, features=None):
        if features is None:
            features = self.user_features[ids]
        return self._finish(self.user_tower(ids, features))

    def item_vectors(self, ids, features=None):
        if features is None:
            features = self.item_features[ids]
        return self._finish(self.item_tower(ids, features))

    def forward(self, pairs):
        """User vectors, item vectors, the items' log q and the item indices of
        ``pairs`` (n, 2)."""
        users, items = pairs[:, 0], pairs[:, 1]
        log_q = self.item_log_q[items]
        return self.user_vectors(users), self.item_vectors(items), log_q, items


class InBatchSoftmaxLoss(nn.Module):
    """Sampled softmax over the batch's items, with the logQ correction.

    Row ``b`` of the batch is a positive pair; the other rows' items are its
    negatives. Items are sampled in proportion to their popularity, so popular
    items show up as negatives more often than a full softmax would weigh them:
    their logits are corrected by ``− log q_j`` (Yi et al. 2019), ``q_j`` being
    the item's frequency among the training rows. Another row holding the same
    item is not a negative ("accidental hit"): it is masked out.

    Parameters
    ----------
    temperature : float
        Logits are ``u·v / temperature``.
    logq_correction : bool
    """

    def __init__(self, temperature, logq_correction=True):
        super().__init__()
        self.temperature = temperature
        self.logq_correction = logq_correction

    def forward(self, output, target=None):
        users, items, log_q, item_ids = output
        logits = users @ items.T / self.temperature
        if self.logq_correction:
            logits = logits - log_q[None, :]
        labels = torch.arange(len(logits), device=logits.device)
        accidental = (item_ids[:, None] == item_ids[None, :]) & (
            labels[:, None] != labels[None, :]
        )
        logits = logits.masked_fill(accidental, float("-inf"))
        return nn.functional.cross_entropy(logits, labels)


class PairwiseBCELoss(nn.Module):
    """Binary cross-entropy of ``u·v / temperature`` against 0/1 labels (the
    sampled-negatives objective)."""

    def __init__(self, temperature):
        super().__init__()
        self.temperature = temperature

    def forward(self, output, target):
        users, items = output[:2]
        logits = (users * items).sum(1) / self.temperature
        return nn.functional.binary_cross_entropy_with_logits(logits, target)


class SASRecNet(nn.Module):
    """Item embedding (shared with the output), causal transformer stack.

    Parameters
    ----------
    n_items : int
        Known items; the embedding table has ``n_items + 1`` rows (row 0: padding).
    config : TransformerConfig
        ``causal`` must be True.
    """

    def __init__(self, n_items, config):
        super().__init__()
        self.config = config
        self.item_embedding = nn.Embedding(
            n_items + 1, config.embedding_dim, padding_idx=_PAD
        )
        self.stack = TransformerStack(config)
        init_weights(self, config.n_layers)
        with torch.no_grad():
            self.item_embedding.weight[_PAD].zero_()

    def encode(self, sequences, *, return_weights=False):
        """Hidden states (B, T, C) of left-padded item indices (B, T) [and
        per-layer attention weights (B, H, T, T)]."""
        padding = sequences == _PAD  # (B, T)
        x = self.item_embedding(sequences)  # (B, T, C); zero at padding
        return self.stack(x, key_padding_mask=padding, return_weights=return_weights)

    def forward(self, sequences):
        """Hidden states (B, T, C) and the item embedding matrix (n_items + 1, C),
        for :class:`NextItemLoss`."""
        return self.encode(sequences), self.item_embedding.weight


class NextItemLoss(nn.Module):
    """Next-item loss over every non-padding position.

    In training: ``"softmax"``, cross-entropy over all items; ``"bce"``, binary
    cross-entropy of the target against ``n_negatives`` sampled items (SASRec);
    ``"gbce"``, the same with the positive term raised to the power ``beta``
    (gSASRec's generalised BCE, which undoes the overconfidence that negative
    sampling teaches). One negative is drawn per position; more are drawn once
    per batch and shared by its positions (a negative that is a position's
    target does not count for it).

    In evaluation mode (skorch's validation) the loss is always the full
    softmax cross-entropy, so that the monitored validation loss is exact and
    comparable from epoch to epoch.
    """

    def __init__(self, loss="bce", n_negatives=1, beta=1.0):
        super().__init__()
        self.loss = loss
        self.n_negatives = n_negatives
        self.beta = beta

    def forward(self, outputs, targets):
        h, weight = outputs  # (B, T, C), (V + 1, C)
        keep = targets != _PAD  # (B, T)
        h, targets = h[keep], targets[keep]  # (N, C), (N,)
        if self.loss == "softmax" or not self.training:
            return F.cross_entropy(h @ weight[1:].T, targets - 1)
        n_items = weight.shape[0] - 1
        positive = (h * weight[targets]).sum(-1)  # (N,)
        if self.n_negatives == 1:
            negatives = torch.randint(1, n_items + 1, targets.shape, device=h.device)
            if n_items > 1:  # never the target itself
                clash = negatives == targets
                negatives[clash] = negatives[clash] % n_items + 1
            negative = (h * weight[negatives]).sum(-1, keepdim=True)  # (N, 1)
            valid = torch.ones_like(negative, dtype=torch.bool)
        else:
            # Distinct items (all of them when k >= n_items: exact BCE).
            negatives = torch.randperm(n_items, device=h.device)[: self.n_negatives] + 1
            negative = h @ weight[negatives].T  # (N, k)
            valid = negatives[None, :] != targets[:, None]
        # -log sigma(s+)^beta - sum log(1 - sigma(s-)), stably.
        positive_loss = -self.beta * F.logsigmoid(positive)
        negative_loss = (F.softplus(negative) * valid).sum(-1)
        return (positive_loss + negative_loss).mean()


class AllItemsScorer(nn.Module):
    """``forward(users)`` -> scores ``(len(users), n_items)``, float64, of
    encoded users (``-1``: unknown), from a module scoring ``(user, item)``
    index pairs; ``sigmoid`` maps its logits to probabilities as ``predict``
    does."""

    def __init__(self, pair_scorer, n_users, n_items, sigmoid):
        super().__init__()
        self.pair_scorer = pair_scorer
        self.n_users = n_users
        self.n_items = n_items
        self.sigmoid = sigmoid

    def forward(self, users):
        users = users.long()
        # Unknown users (-1) take the extra "average user" row.
        users = torch.where(users < 0, torch.full_like(users, self.n_users), users)
        n = users.shape[0]
        items = torch.arange(self.n_items, dtype=torch.long, device=users.device)
        pairs = torch.stack(
            [users.repeat_interleave(self.n_items), items.repeat(n)], dim=1
        )
        scores = self.pair_scorer(pairs).reshape(n, self.n_items).double()
        if self.sigmoid:
            scores = 1.0 / (1.0 + torch.exp(-scores))
        return scores


class HistoryScorer(nn.Module):
    """``forward(histories)`` -> scores ``(n, n_items)``, float64: the hidden
    state of the last position times the item embeddings; ``fallback`` for a
    history of padding only (index 0)."""

    def __init__(self, module, item_vectors, fallback):
        super().__init__()
        self.module = module
        self.register_buffer("item_vectors", item_vectors)
        self.register_buffer("fallback", fallback)

    def forward(self, histories):
        histories = histories.long()
        states = self.module.encode(histories)[:, -1].double()
        scores = states @ self.item_vectors.T
        empty = (histories == 0).all(dim=1)
        return torch.where(empty[:, None], self.fallback[None, :], scores)
