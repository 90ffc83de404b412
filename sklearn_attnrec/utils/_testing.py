"""Instances of every public estimator for the package's own conformance tests."""

from ._discovery import all_estimators

# Parameters that keep slow estimators fast under the checks (torch models: tiny
# sizes, few epochs). Estimators not listed are built with their defaults.
FAST_PARAMS = {
    "BPRRecommender": {"n_components": 4, "max_iter": 2},
    "NeuralCF": {"embedding_dim": 4, "hidden_layer_sizes": (8,), "max_iter": 2},
    "TwoTowerRetriever": {
        "n_components": 4,
        "embedding_dim": 4,
        "hidden_layer_sizes": (8,),
        "max_iter": 2,
    },
    "CausalLMTransformer": {
        "embedding_dim": 8,
        "n_heads": 2,
        "n_layers": 1,
        "block_size": 16,
        "max_iter": 2,
        "warmup_steps": 0,
    },
    "SequentialRecommender": {
        "embedding_dim": 8,
        "n_heads": 2,
        "n_layers": 1,
        "max_len": 8,
        "max_iter": 2,
        "dropout": 0.0,
    },
    "AttentionEncoder": {
        "embedding_dim": 8,
        "n_heads": 2,
        "n_layers": 1,
        "max_iter": 10,
        "learning_rate": 1e-2,
        "dropout": 0.0,
    },
}


def estimator_instances(base=None):
    """One instance of every public estimator (a subclass of ``base`` if given).

    Returns
    -------
    instances : list of estimators
        Built with :data:`FAST_PARAMS` where listed, defaults otherwise.
    """
    return [
        cls(**FAST_PARAMS.get(name, {}))
        for name, cls in all_estimators()
        if base is None or issubclass(cls, base)
    ]
