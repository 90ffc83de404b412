"""The torch estimators' engine against plain PyTorch loops (issue 15's yardstick).

For every NeuralCF architecture (gmf, mlp, neumf) and both TwoTowerRetriever
losses (softmax, bce): the package's ``fit`` against a plain Adam loop around a
fresh copy of the *same* module and criterion, with the same batch size,
negatives (4 per positive, drawn uniformly each epoch; none for the in-batch
softmax) and 3 epochs over MovieLens 100K's 100,000 ratings (every rating an
interaction), one thread, in the same process. The ratio package / plain loop
is the engine's overhead (skorch's per-batch hooks, the epoch loop, negative
sampling); the worst one is the issue's figure. Also printed: NeuralCF("gmf")
against a 40-line GMF loop written here with torch alone (embeddings of 16,
their elementwise product, one output unit), what any user could write.

    python benchmarks/bench_neural_loop.py
"""

import copy

import numpy as np
import torch

from _common import command_line, parse_args, timed
from sklearn_attnrec import NeuralCF, TwoTowerRetriever, fetch_movielens

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


def plain_module_loop(module, loss_fn, users, items, n_items, negatives, batch):
    """The same plain loop around one of the package's own modules (pairs in,
    scores or tower outputs out): what remains is the engine's overhead."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    optimizer = torch.optim.Adam(module.parameters(), lr=LR)
    module.train()
    for _ in range(EPOCHS):
        u, i, y = users, items, np.ones(len(users))
        if negatives:
            drawn = rng.integers(0, n_items, len(users) * negatives)
            u = np.concatenate([users, np.repeat(users, negatives)])
            i = np.concatenate([items, drawn])
            y = np.concatenate([y, np.zeros(len(drawn))])
        order = rng.permutation(len(u))
        pairs = torch.as_tensor(np.column_stack([u, i])[order])
        y = torch.as_tensor(y[order], dtype=torch.float32)
        for start in range(0, len(pairs), batch):
            optimizer.zero_grad()
            out = module(pairs[start : start + batch])
            loss = loss_fn(out, y[start : start + batch])
            loss.backward()
            optimizer.step()


def main():
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    data = fetch_movielens(data_home=args.data_home, download_if_missing=False)
    X = data.data
    users = np.unique(X[:, 0], return_inverse=True)[1].ravel()
    items = np.unique(X[:, 1], return_inverse=True)[1].ravel()
    n_users, n_items = users.max() + 1, items.max() + 1
    _, plain = timed(plain_loop, users, items, n_users, n_items)
    print(f"plain PyTorch GMF loop (outside the package): {plain:.1f} s")
    common = dict(max_iter=EPOCHS, learning_rate=LR, random_state=0)
    cases = [
        (
            f"NeuralCF({arch!r})",
            NeuralCF(
                arch,
                embedding_dim=EMBEDDING,
                n_negatives=NEGATIVES,
                batch_size=BATCH,
                **common,
            ),
            NEGATIVES,
            BATCH,
        )
        for arch in ("gmf", "mlp", "neumf")
    ] + [
        (
            f"TwoTowerRetriever(loss={loss!r})",
            TwoTowerRetriever(
                loss=loss, n_negatives=NEGATIVES, batch_size=batch, **common
            ),
            NEGATIVES if loss == "bce" else 0,
            batch,
        )
        for loss, batch in (("softmax", 512), ("bce", BATCH))
    ]
    print(f"\n{'model':34s} {'package':>8s} {'plain loop':>10s} {'ratio':>6s}")
    ratios, times = [], []
    for name, model, negatives, batch in cases:
        _, ours = timed(model.fit, X)
        module = copy.deepcopy(model.net_.module_)
        for parameter in module.parameters():  # a fresh start, same shapes
            torch.nn.init.normal_(parameter, std=0.01)
        loss_fn = copy.deepcopy(model.net_.criterion_)
        _, loop = timed(
            plain_module_loop, module, loss_fn, users, items, n_items, negatives, batch
        )
        ratios.append(ours / loop)
        times.append(ours)
        print(f"{name:34s} {ours:7.1f}s {loop:9.1f}s {ours / loop:6.2f}")
    print(f"\nworst ratio package / plain loop: {max(ratios):.2f} (issue 15: <= 1.2)")
    print(f"NeuralCF('gmf') / the outside plain GMF loop: {times[0] / plain:.2f}")
    print(f"\ncommand: {command_line()}")


if __name__ == "__main__":
    main()
