"""torch modules of the neural recommenders; nothing here knows about sklearn.

- :class:`NCFNet`: neural collaborative filtering (He et al. 2017): GMF (a learned,
  weighted dot product), MLP over the concatenated embeddings, or both fused
  (NeuMF).
- :class:`Tower` and :class:`TwoTowerNet`: two MLPs mapping user and item inputs
  (an id embedding and/or side features) to vectors whose dot product scores the
  pair; :func:`in_batch_softmax_loss` trains them with the logQ correction
  (Yi et al. 2019).
"""

import torch
from torch import nn


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
    """

    def __init__(
        self, n_users, n_items, architecture, embedding_dim, hidden_layer_sizes, dropout
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
    """Maps an id (optional) and side features (optional) to a vector.

    Parameters
    ----------
    n_ids : int or None
        Ids embedded (index ``n_ids`` is the "unknown" slot, a learned vector used
        for cold-start rows); None: no id embedding.
    n_features : int
        Width of the side features (0: none).
    embedding_dim : int
    hidden_layer_sizes : tuple of int
    output_dim : int
    dropout : float
    """

    def __init__(
        self, n_ids, n_features, embedding_dim, hidden_layer_sizes, output_dim, dropout
    ):
        super().__init__()
        self.embedding = (
            None if n_ids is None else nn.Embedding(n_ids + 1, embedding_dim)
        )
        width = (0 if n_ids is None else embedding_dim) + n_features
        if width == 0:
            raise ValueError("a tower needs ids or features")
        self.mlp = _mlp(
            (width, *hidden_layer_sizes, output_dim), dropout, last_activation=False
        )
        if self.embedding is not None:
            nn.init.normal_(self.embedding.weight, std=0.05)

    def forward(self, ids, features):
        parts = []
        if self.embedding is not None:
            parts.append(self.embedding(ids))
        if features is not None and features.shape[1]:
            parts.append(features)
        return self.mlp(torch.cat(parts, dim=1))


class TwoTowerNet(nn.Module):
    """A user tower and an item tower; score = dot product (or scaled cosine)."""

    def __init__(self, user_tower, item_tower, *, cosine, temperature):
        super().__init__()
        self.user_tower = user_tower
        self.item_tower = item_tower
        self.cosine = cosine
        self.temperature = temperature

    def _finish(self, vectors):
        if self.cosine:
            vectors = nn.functional.normalize(vectors, dim=1)
        return vectors

    def user_vectors(self, ids, features):
        return self._finish(self.user_tower(ids, features))

    def item_vectors(self, ids, features):
        return self._finish(self.item_tower(ids, features))

    def forward(self, user_ids, user_features, item_ids, item_features):
        """Pairwise scores (n,) of aligned user and item rows."""
        u = self.user_vectors(user_ids, user_features)
        v = self.item_vectors(item_ids, item_features)
        return (u * v).sum(1) / self.temperature


def in_batch_softmax_loss(user_vectors, item_vectors, log_q, temperature):
    """Sampled softmax over the batch's items, with the logQ correction.

    Row ``b`` of the batch is a positive pair; the other rows' items are its
    negatives. Items are sampled in proportion to their popularity, so popular
    items show up as negatives more often than a uniform softmax assumes: their
    logits are corrected by ``− log q_j`` (Yi et al. 2019), ``q_j`` being the
    probability that item ``j`` is in a batch.

    Parameters
    ----------
    user_vectors, item_vectors : torch.Tensor of shape (b, d)
    log_q : torch.Tensor of shape (b,)
        Log sampling probability of each row's item.
    temperature : float

    Returns
    -------
    loss : torch.Tensor
        Mean cross-entropy of the positives.
    """
    logits = user_vectors @ item_vectors.T / temperature - log_q[None, :]
    labels = torch.arange(len(logits), device=logits.device)
    return nn.functional.cross_entropy(logits, labels)
