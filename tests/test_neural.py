import warnings

import numpy as np
import pytest
import torch
from scipy.stats import norm

from sklearn_attnrec import (
    NeuralCF,
    PopularityRecommender,
    SequentialRecommender,
    TwoTowerRetriever,
    make_ranking_scorer,
)
from sklearn_attnrec.datasets import make_interactions
from sklearn_attnrec.model_selection import train_test_split_interactions
from sklearn_attnrec.neural._sampling import sample_negatives
from sklearn_attnrec.utils._testing import fast_params, personal_ratings

SMALL = dict(embedding_dim=4, hidden_layer_sizes=(8,), max_iter=2, random_state=0)


@pytest.fixture(scope="module")
def implicit_split():
    X, _ = make_interactions(
        n_users=300,
        n_items=120,
        n_components=4,
        density=0.08,
        implicit=True,
        random_state=0,
    )
    return train_test_split_interactions(X, test_size=0.2, random_state=0)


def test_negatives_are_never_observed_pairs(implicit_split):
    X_train, _ = implicit_split
    model = PopularityRecommender().fit(X_train)
    users = np.repeat(np.arange(len(model.user_ids_)), 3)
    negatives = sample_negatives(users, model.user_items_, 4, np.random.RandomState(0))
    assert negatives.shape == (len(users) * 4,)
    observed = model.user_items_.toarray() > 0
    assert not observed[np.repeat(users, 4), negatives].any()


def test_neumf_beats_popularity_on_planted_data(implicit_split):
    X_train, X_test = implicit_split
    scorer = make_ranking_scorer("ndcg", k=10)
    popularity = scorer(PopularityRecommender().fit(X_train), X_test)
    ndcg = scorer(NeuralCF("neumf", random_state=0).fit(X_train), X_test)
    # Measured: NeuMF 0.39, popularity 0.29.
    assert ndcg > popularity + 0.05, (ndcg, popularity)


def test_explicit_feedback_fits_ratings():
    X, y = make_interactions(n_users=80, n_items=50, density=0.3, random_state=0)
    model = NeuralCF(
        "gmf", feedback="explicit", max_iter=30, learning_rate=5e-3, random_state=0
    ).fit(X, y)
    rmse = np.sqrt(np.mean((model.predict(X) - y) ** 2))
    assert rmse < 0.6 * np.std(y)
    assert model.global_mean_ == pytest.approx(y.mean())


def test_explicit_ranking_multiplies_picking_by_liking():
    # ranking="relevance" (the default for ratings): max(s, 0)² · Φ((r̂ − r̄_u)/σ)
    # with s from pick_model_, as MatrixFactorization; "rating": the ratings.
    X, y = personal_ratings()
    model = NeuralCF(**fast_params(NeuralCF), feedback="explicit", random_state=0)
    model.fit(X, y)
    assert model.pick_model_ is not None
    users = np.arange(5)
    pairs = np.array([[model.user_ids_[u], i] for u in users for i in model.item_ids_])
    r = model.predict(pairs).reshape(5, -1)
    means = np.array([y[X[:, 0] == model.user_ids_[u]].mean() for u in users])
    s = model.pick_model_._score_items(users)
    expected = np.maximum(s, 0) ** 2 * norm.cdf(
        (r - means[:, None]) / model._relevance_stats_.std
    )
    np.testing.assert_allclose(model._score_items(users), expected, rtol=1e-9)
    rating = NeuralCF(**fast_params(NeuralCF), feedback="explicit", ranking="rating")
    rating.set_params(random_state=0).fit(X, y)
    assert not hasattr(rating, "pick_model_")
    np.testing.assert_allclose(rating._score_items(users), r, rtol=1e-6)


@pytest.mark.parametrize("architecture, width", [("gmf", 4), ("mlp", 8), ("neumf", 12)])
def test_transform_is_the_last_hidden_layer(implicit_split, architecture, width):
    X_train, _ = implicit_split
    model = NeuralCF(architecture, **SMALL).fit(X_train)
    features = model.transform(X_train[:5])
    assert features.shape == (5, width)
    assert model.get_feature_names_out().tolist() == [
        f"hidden_{j}" for j in range(width)
    ]
    logits = model.net_.module_.output(torch.as_tensor(features, dtype=torch.float32))
    expected = 1 / (1 + np.exp(-logits.detach().numpy().ravel()))
    np.testing.assert_allclose(model.predict(X_train[:5]), expected, rtol=1e-5)


def test_seeded_fits_are_identical_and_leave_torch_rng_alone(implicit_split):
    X_train, _ = implicit_split
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = NeuralCF(**SMALL).fit(X_train)
    after = torch.rand(1)
    b = NeuralCF(**SMALL).fit(X_train)
    assert before == after, "fit must not consume torch's global random state"
    np.testing.assert_array_equal(a.predict(X_train[:20]), b.predict(X_train[:20]))


def test_unknown_ids_use_the_average_embeddings(implicit_split):
    X_train, _ = implicit_split
    model = NeuralCF("gmf", **SMALL).fit(X_train)
    module = model.net_.module_
    users, items = module.gmf_user.weight, module.gmf_item.weight
    np.testing.assert_allclose(
        users[-1].detach().numpy(), users[:-1].mean(0).detach().numpy(), rtol=1e-5
    )
    assert np.isfinite(model.predict([[10_000, 3], [2, 10_000]])).all()
    assert items.shape[0] == len(model.item_ids_) + 1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"architecture": "transformer"}, "architecture"),
        ({"feedback": "clicks"}, "feedback"),
        ({"hidden_layer_sizes": ()}, "hidden_layer_sizes"),
        ({"dropout": 1.0}, "dropout"),
        ({"n_negatives": 0}, "n_negatives"),
    ],
)
def test_bad_parameters_are_named(params, message):
    with pytest.raises(ValueError, match=message):
        NeuralCF(**params).fit([[0, 0], [1, 1]])


def test_skorch_callbacks_run_every_epoch(implicit_split):
    from skorch.callbacks import Callback

    class CountEpochs(Callback):
        def initialize(self):
            self.epochs = 0
            return self

        def on_epoch_end(self, net, **kwargs):
            self.epochs += 1

    X_train, _ = implicit_split
    counter = CountEpochs()
    model = NeuralCF(callbacks=[("count", counter)], **{**SMALL, "max_iter": 3})
    model.fit(X_train)
    assert dict(model.net_.callbacks_)["count"].epochs == 3
    assert len(model.net_.history) == 3


RENAMED = [
    # (class, old name, old value, new name)
    (NeuralCF, "alpha", 1e-4, "weight_decay"),
    (TwoTowerRetriever, "alpha", 1e-4, "weight_decay"),
    (SequentialRecommender, "max_len", 6, "block_size"),
    (SequentialRecommender, "input", "interactions", "layout"),
]


@pytest.mark.parametrize(
    "cls, old, value, new", RENAMED, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_renamed_parameter_warns_and_acts_as_the_new_name(cls, old, value, new):
    X, _ = make_interactions(n_users=20, n_items=15, implicit=True, random_state=0)
    fast = {**fast_params(cls), "max_iter": 1, "random_state": 0}
    with pytest.warns(FutureWarning, match=rf"'{old}' was renamed '{new}'"):
        old_model = cls(**fast, **{old: value}).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # the new name: no warning
        new_model = cls(**{**fast, new: value}).fit(X)
    for a, b in zip(
        old_model.net_.module_.state_dict().values(),
        new_model.net_.module_.state_dict().values(),
    ):
        torch.testing.assert_close(a, b)
