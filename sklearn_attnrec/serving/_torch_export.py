"""Exported torch scorers of the neural models: ``torch_users``, ``torch_histories``.

The fitted module is copied to the CPU and wrapped in a small module that
turns encoded users, or left-padded histories, into the scores of every item
that ``recommend`` ranks by; :func:`torch.export.export` captures it with a
dynamic batch size and :func:`torch.export.save` writes it to bytes stored in
the ``.npz`` file, next to the id maps. A service loads it with
:func:`torch.export.load`, without this package.
"""

import copy
import io

import numpy as np
import torch

from ..neural._modules import AllItemsScorer, HistoryScorer
from ._arrays import relevance_arrays


def _cpu_copy(module):
    """An evaluation-mode CPU copy of a fitted module, without gradients."""
    module = copy.deepcopy(module).cpu().eval()
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def _exported_bytes(scorer, example, name):
    """``scorer`` exported with a dynamic first dimension of its input
    ``name``, as the bytes :func:`torch.export.save` writes."""
    batch = torch.export.Dim("batch")
    with torch.no_grad():
        program = torch.export.export(
            scorer, (example,), dynamic_shapes={name: {0: batch}}
        )
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy()


def ncf_arrays(model):
    """NeuralCF: a scorer of encoded users (``torch_users``)."""
    n_users, n_items = model.user_items_.shape
    scorer = AllItemsScorer(
        _cpu_copy(model.net_.module_), n_users, n_items, model.feedback == "implicit"
    )
    example = torch.tensor([0, min(1, n_users - 1), -1], dtype=torch.long)
    return {
        "kind": np.str_("torch_users"),
        "exported_program": _exported_bytes(scorer, example, "users"),
        # Explicit feedback ranks the program's ratings by relevance by default.
        **relevance_arrays(model),
    }


def sequential_arrays(model):
    """SequentialRecommender: a scorer of left-padded histories
    (``torch_histories``), and each known user's training history."""
    module = _cpu_copy(model.net_.module_)
    length = model.histories_.shape[1]  # the model's block_size
    item_vectors = module.item_embedding.weight[1:].detach().double().clone()
    fallback = torch.as_tensor(model.item_popularity_, dtype=torch.float64)
    scorer = HistoryScorer(module, item_vectors, fallback)
    example = torch.zeros((3, length), dtype=torch.long)
    example[0, -1] = 1  # a history with an item; the others are padding only
    return {
        "kind": np.str_("torch_histories"),
        "exported_program": _exported_bytes(scorer, example, "histories"),
        "histories": np.ascontiguousarray(model.histories_, dtype=np.int64),
        "history_length": np.int64(length),
    }
