"""Fit a tiny torch estimator, alone or as one of several Accelerate processes.

Run by ``tests/test_multiprocess.py`` (pytest does not collect it as tests, and
importing it runs nothing). Data-parallel on the CPU, two processes::

    accelerate launch --multi_gpu --num_processes 2 --num_machines 1 \\
        --mixed_precision no --dynamo_backend no \\
        tests/_accelerate_script.py sequential OUT_DIR --batch-size 8 --accelerate

(``--multi_gpu`` is what makes ``accelerate launch`` start several processes;
``accelerate={"cpu": True}`` keeps them on the CPU, talking over gloo), or one
process, without Accelerate::

    python tests/_accelerate_script.py sequential OUT_DIR --batch-size 16

Each process writes ``OUT_DIR/rank<i>.npz``: the process count and index, the
training rows it saw in each epoch (recorded by a callback) and their number,
the training batches of each epoch (from the skorch history), the loss curves,
the module's weights and the predictions of the fitted model and of its
pickled copy.
"""

import argparse
import pickle
from datetime import timedelta
from pathlib import Path

import numpy as np
from skorch.callbacks import Callback

N_USERS = 64  # SequentialRecommender's training sequences
N_ITEMS = 20
BLOCK_SIZE = 16  # CausalLMTransformer's context
N_WINDOWS = 64  # CausalLMTransformer's windows per epoch (text of 64 blocks)


class SeenRows(Callback):
    """Records the input rows of every training batch, with their epoch."""

    def initialize(self):
        self.rows_, self.epochs_, self.epoch_ = [], [], 0
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_ += 1

    def on_batch_end(self, net, batch, training, **kwargs):
        if not training:
            return
        X = batch[0]["sequences"] if isinstance(batch[0], dict) else batch[0]
        rows = np.full((len(X), BLOCK_SIZE), -1, dtype=np.int64)  # right-padded
        rows[:, : X.shape[1]] = X.cpu().numpy()
        self.rows_.append(rows)
        self.epochs_.append(np.full(len(X), self.epoch_))


def sequential_data():
    """``N_USERS`` users of ``max_len + 2`` interactions or more: with the last
    one held out for early stopping, every training row still has ``max_len``
    targets, so that the loss of half a batch (a mean over its targets) weighs
    each target as the loss of the whole batch does."""
    from sklearn_attnrec import SequentialRecommender
    from sklearn_attnrec.datasets import make_sequences

    params = SequentialRecommender._test_params
    max_len = params.get("block_size", params.get("max_len"))  # (renamed)
    X = make_sequences(
        n_users=3 * N_USERS, n_items=N_ITEMS, mean_length=20, random_state=0
    )
    users, counts = np.unique(X[:, 0], return_counts=True)
    keep = users[counts > max_len + 1][:N_USERS]
    assert len(keep) == N_USERS
    return X[np.isin(X[:, 0], keep)]


def causal_lm_data():
    """One synthetic text of ``N_WINDOWS * BLOCK_SIZE + 1`` token ids: a
    repeated pattern with random substitutions."""
    rng = np.random.RandomState(0)
    n_tokens = N_WINDOWS * BLOCK_SIZE + 1
    ids = np.resize([1, 2, 3, 4, 5, 6, 7, 3, 5, 8, 9, 2], n_tokens)
    noise = rng.rand(n_tokens) < 0.1
    ids[noise] = rng.randint(0, 12, size=noise.sum())
    return [ids]


def make_model(name, batch_size, accelerate):
    from accelerate.utils import InitProcessGroupKwargs

    from sklearn_attnrec import CausalLMTransformer, SequentialRecommender

    options = {
        "cpu": True,
        # A process left waiting for the others (a collective that they never
        # join) fails after a minute instead of gloo's default half hour.
        "kwargs_handlers": [InitProcessGroupKwargs(timeout=timedelta(seconds=60))],
    }
    common = {
        "batch_size": batch_size,
        "accelerate": options if accelerate else False,
        "callbacks": [("seen_rows", SeenRows())],
        "random_state": 0,
    }
    if name == "sequential":
        params = dict(SequentialRecommender._test_params)
        # The full softmax draws no negatives (nothing random in the loss) and
        # dropout is off, so that the data-parallel fit can match the serial
        # one. The high learning rate makes early stopping stop (and restore
        # the best epoch) well before max_iter.
        params.update(
            common,
            loss="softmax",
            dropout=0.0,
            max_iter=30,
            learning_rate=5e-2,
            early_stopping=True,
            n_iter_no_change=2,
        )
        return SequentialRecommender(**params), sequential_data()
    params = dict(CausalLMTransformer._test_params)
    params.update(
        common, block_size=BLOCK_SIZE, dropout=0.0, max_iter=3, learning_rate=1e-2
    )
    return CausalLMTransformer(**params), causal_lm_data()


def predictions(name, model, X):
    if name == "sequential":
        users = np.unique(X[:, 0])
        items, scores = model.recommend(users, n=5)
        return {"states": model.transform(X), "top5": items, "top5_scores": scores}
    return {"proba": model.predict_proba([X[0][:BLOCK_SIZE], X[0][-BLOCK_SIZE:]])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["sequential", "causal_lm"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--accelerate", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    model, X = make_model(args.model, args.batch_size, args.accelerate)
    model.fit(X)

    net = model.net_
    accelerator = getattr(net, "accelerator", None)
    seen = dict(net.callbacks_)["seen_rows"]
    seen_epochs = np.concatenate(seen.epochs_)
    epochs = np.arange(1, len(net.history) + 1)
    result = {
        "num_processes": 1 if accelerator is None else accelerator.num_processes,
        "rank": 0 if accelerator is None else accelerator.process_index,
        "module_class": type(net.module_).__name__,
        "n_iter": model.n_iter_,
        # Optimizer steps (skorch's count of training batches), and the
        # samples this process trained on.
        "batches_per_epoch": net.history[:, "train_batch_count"],
        "samples_per_epoch": [np.sum(seen_epochs == epoch) for epoch in epochs],
        "seen_rows": np.concatenate(seen.rows_),
        "seen_epochs": seen_epochs,
        "loss_curve": np.asarray(model.loss_curve_),
        "validation_loss_curve": np.asarray(
            getattr(model, "validation_loss_curve_", [])
        ),
    }
    for key, value in net.module_.state_dict().items():
        result[f"weight:{key}"] = value.detach().cpu().numpy()
    for key, value in predictions(args.model, model, X).items():
        result[f"pred:{key}"] = np.asarray(value)
    loaded = pickle.loads(pickle.dumps(model))
    for key, value in predictions(args.model, loaded, X).items():
        result[f"pickled:{key}"] = np.asarray(value)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez(args.out / f"rank{result['rank']}.npz", **result)


if __name__ == "__main__":
    main()
