"""NeuralCF's fit against a plain PyTorch loop of the same model (issue 15's yardstick).

GMF (user and item embeddings of 16, their elementwise product, one output
unit), 4 negatives per positive drawn uniformly each epoch, batch 256, Adam
(learning rate 1e-3), binary cross-entropy, 3 epochs over MovieLens 100K's
100,000 ratings (every rating an interaction), one thread. The plain loop is
written here with torch alone: what any user could write in 40 lines. Both
runs are timed in the same process; the ratio NeuralCF / plain loop is the
engine's overhead (skorch's per-batch hooks, the outer epoch loop, negative
sampling).

    python benchmarks/bench_neural_loop.py
"""

import time

import numpy as np
import torch

from _common import command_line, parse_args
from sklearn_attnrec import NeuralCF, fetch_movielens

EMBEDDING, NEGATIVES, BATCH, EPOCHS, LR = 16, 4, 256, 3, 1e-3


class PlainGMF(torch.nn.Module):
    def __init__(self, n_users, n_items):
        super().__init__()
        self.user = torch.nn.Embedding(n_users, EMBEDDING)
        self.item = torch.nn.Embedding(n_items, EMBEDDING)
        self.out = torch.nn.Linear(EMBEDDING, 1)

    def forward(self, users, items):
        return self.out(self.user(users) * self.item(items)).squeeze(1)


def plain_loop(users, items, n_users, n_items, seed=0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = PlainGMF(n_users, n_items)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for _ in range(EPOCHS):
        negatives = rng.integers(0, n_items, len(users) * NEGATIVES)
        u = np.concatenate([users, np.repeat(users, NEGATIVES)])
        i = np.concatenate([items, negatives])
        y = np.concatenate([np.ones(len(users)), np.zeros(len(negatives))])
        order = rng.permutation(len(u))
        u, i, y = (torch.as_tensor(a[order]) for a in (u, i, y))
        y = y.float()
        for start in range(0, len(u), BATCH):
            batch = slice(start, start + BATCH)
            optimizer.zero_grad()
            loss = loss_fn(model(u[batch], i[batch]), y[batch])
            loss.backward()
            optimizer.step()
    return float(loss)


def main():
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X = data.data
    users = np.unique(X[:, 0], return_inverse=True)[1].ravel()
    items = np.unique(X[:, 1], return_inverse=True)[1].ravel()
    start = time.perf_counter()
    plain_loss = plain_loop(users, items, users.max() + 1, items.max() + 1)
    plain = time.perf_counter() - start
    model = NeuralCF(
        architecture="gmf",
        embedding_dim=EMBEDDING,
        n_negatives=NEGATIVES,
        batch_size=BATCH,
        max_iter=EPOCHS,
        learning_rate=LR,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X)
    ours = time.perf_counter() - start
    print(f"plain PyTorch loop: {plain:.1f} s (last batch loss {plain_loss:.3f})")
    print(f"NeuralCF(architecture='gmf'): {ours:.1f} s")
    ratio = ours / plain
    print(f"ratio NeuralCF / plain loop: {ratio:.2f} (issue 15 target: <= 1.2)")
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
