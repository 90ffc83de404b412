"""Export for serving: a process that imports only numpy (and torch) reproduces
``recommend`` from the exported file, following the rules of docs/serving.rst.

The reference service below is the documentation's rules written out; it runs
in a fresh interpreter that must never import ``sklearn_attnrec``.
"""

import json
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_attnrec import (
    EASE,
    BaselineRegressor,
    BPRRecommender,
    ContentBasedRecommender,
    ItemKNNRecommender,
    ItemKNNRegressor,
    MatrixFactorization,
    NeuralCF,
    PopularityRecommender,
    SequentialRecommender,
    TwoTowerRetriever,
    UserKNNRegressor,
)
from sklearn_attnrec.datasets import make_interactions, make_sequences
from sklearn_attnrec.serving import FORMAT_VERSION, KINDS, export_recommender
from sklearn_attnrec.utils._testing import fast_params, personal_ratings

pytestmark = [
    pytest.mark.usefixtures("torch_one_thread"),
    pytest.mark.filterwarnings("ignore:.*asks for more neighbours:UserWarning"),
]

# The reference service: numpy, and torch for the torch_* kinds only.
SERVICE = r"""
import io
import json
import math
import sys

import numpy as np

SQRT1_2 = math.sqrt(0.5)


def _ndtr(x):
    # The normal CDF as scipy.special.ndtr (cephes) computes it.
    z = x * SQRT1_2
    if abs(z) < SQRT1_2:
        return 0.5 + 0.5 * math.erf(z)
    y = 0.5 * math.erfc(abs(z))
    return 1.0 - y if z > 0 else y


ndtr = np.vectorize(_ndtr, otypes=[np.float64])


def csr_row(a, name, row):
    start, stop = a[name + "_indptr"][row], a[name + "_indptr"][row + 1]
    return a[name + "_indices"][start:stop], slice(start, stop)


def dense_row(a, name, row, width, data=None):
    columns, entries = csr_row(a, name, row)
    out = np.zeros(width)
    out[columns] = (a[name + "_data"] if data is None else data)[entries]
    return out


def factor_ratings(a, users, prefix=""):
    P, Q = a[prefix + "user_factors"], a[prefix + "item_factors"]
    known = users >= 0
    rows = np.maximum(users, 0)
    p = np.where(known[:, None], P[rows], a[prefix + "fallback_user_factors"])
    b = np.where(known, a[prefix + "user_bias"][rows], 0.0)
    r = (a[prefix + "global_offset"] + b)[:, None] + (p @ Q.T + a[prefix + "item_bias"])
    return np.clip(r, *a[prefix + "rating_range"])


def relevance(a, r, users, consumption):
    m = np.where(users >= 0, a["user_mean"][np.maximum(users, 0)],
                 a["fallback_user_mean"])
    return consumption * ndtr((r - m[:, None]) / a["rating_std"])


def ranked(a, r, users):
    # Ratings r as the file's ranking ranks them.
    if str(a["ranking"]) == "relevance":
        if "pick_user_factors" in a:  # MatrixFactorization, NeuralCF: pick model
            picks = np.maximum(factor_ratings(a, users, prefix="pick_"), 0.0)
            return relevance(a, r, users, picks ** a["pick_exponent"])
        return relevance(a, r, users, a["item_popularity"][None, :])
    return r


def factor_scores(a, users):
    return ranked(a, factor_ratings(a, users), users)


def item_item_scores(a, users, n_items):
    if "weights" in a:
        W = a["weights"]
    else:
        W = np.array([dense_row(a, "weights", j, n_items) for j in range(n_items)])
    scores = np.empty((len(users), n_items))
    for row, u in enumerate(users):
        if u < 0:
            scores[row] = a["fallback_scores"]
            continue
        columns, entries = csr_row(a, "seen", u)
        total = np.zeros(n_items, dtype=W.dtype)
        for j, value in zip(columns, a["seen_data"][entries]):
            total += W.dtype.type(value) * W[j]  # in the weights' dtype
        scores[row] = total
    return scores


def neighborhood_scores(a, users, n_users, n_items):
    B = factor_ratings(a, users, prefix="baseline_")
    r, den = B.copy(), np.zeros_like(B)
    item_side = str(a["side"]) == "item"
    for row, u in enumerate(users):
        if u < 0:
            continue
        num, d, count = np.zeros(n_items), np.zeros(n_items), np.zeros(n_items)
        if item_side:  # num = res[u] @ N
            columns, entries = csr_row(a, "seen", u)
            for j, value in zip(columns, a["residual_data"][entries]):
                weights = dense_row(a, "neighbors", j, n_items)
                stored = np.zeros(n_items)
                stored[csr_row(a, "neighbors", j)[0]] = 1.0
                num += value * weights
                d += np.abs(weights)
                count += stored
        else:  # num = N[u] @ res
            columns, entries = csr_row(a, "neighbors", u)
            for v, s in zip(columns, a["neighbors_data"][entries]):
                num += s * dense_row(a, "seen", v, n_items, a["residual_data"])
                pattern = np.zeros(n_items)
                pattern[csr_row(a, "seen", v)[0]] = 1.0
                d += abs(s) * pattern
                count += pattern
        usable = (count >= a["min_neighbors"]) & (d > 0)
        mean = np.divide(num, d, out=np.zeros(n_items), where=usable)
        centre = str(a["centre"])
        if centre == "baseline":
            r[row] = B[row] + mean
        elif centre == "mean":
            r[row] = (a["centre_mean"] if item_side else a["centre_mean"][u]) + mean
        else:
            r[row] = np.where(usable, mean, B[row])
        den[row] = d
    r = np.clip(r, *a["rating_range"])
    if str(a["ranking"]) == "relevance":
        consumption = den + a["popularity_prior"] * a["item_popularity"][None, :]
        return relevance(a, r, users, consumption)
    return r


def torch_scorer(a):
    import torch

    program = torch.export.load(io.BytesIO(a["exported_program"].tobytes()))
    return torch, program.module()


def encode(ids, vocabulary):
    position = {v: k for k, v in enumerate(vocabulary.tolist())}
    return np.array([position.get(i, -1) for i in ids], dtype=np.int64)


def top_n(scores, n):
    # Higher first, ties by lower item index (what recommend does).
    return np.argsort(-scores, axis=1, kind="stable")[:, :n]


def main():
    path, request = sys.argv[1], json.loads(sys.argv[2])
    a = dict(np.load(path))  # no pickle
    assert int(a["format_version"]) == 1
    kind, n = str(a["kind"]), request["n"]
    n_users, n_items = len(a["user_ids"]), len(a["item_ids"])
    users = encode(request["users"], a["user_ids"])
    if kind == "factor":
        scores = factor_scores(a, users)
    elif kind == "item_item":
        scores = item_item_scores(a, users, n_items)
    elif kind == "neighborhood":
        scores = neighborhood_scores(a, users, n_users, n_items)
    elif kind == "torch_users":
        torch, scorer = torch_scorer(a)
        with torch.no_grad():
            scores = ranked(a, scorer(torch.as_tensor(users)).numpy(), users)
    elif kind == "torch_histories":
        torch, scorer = torch_scorer(a)
        histories = np.where(
            (users >= 0)[:, None], a["histories"][np.maximum(users, 0)], 0
        )
        with torch.no_grad():
            scores = scorer(torch.as_tensor(histories)).numpy()
    else:
        raise ValueError(kind)
    scores = np.array(scores, dtype=np.float64)
    for row, u in enumerate(users):  # exclude the items seen in training
        if u >= 0:
            scores[row, csr_row(a, "seen", u)[0]] = -np.inf
    out = {"items": a["item_ids"][top_n(scores, n)].tolist()}
    if request.get("histories") is not None:  # torch_histories: fold-in
        length = int(a["history_length"])
        padded = np.zeros((len(request["histories"]), length), dtype=np.int64)
        for row, history in enumerate(request["histories"]):
            index = encode(history, a["item_ids"])
            index = (index[index >= 0] + 1)[-length:]
            padded[row, length - len(index):] = index
        with torch.no_grad():
            scores = scorer(torch.as_tensor(padded)).numpy().copy()
        rows, columns = np.nonzero(padded)
        scores[rows, padded[rows, columns] - 1] = -np.inf
        out["history_items"] = a["item_ids"][top_n(scores, n)].tolist()
    assert "sklearn_attnrec" not in sys.modules, "the service imported the package"
    assert "scipy" not in sys.modules
    print(json.dumps(out))


main()
"""


def _serve(tmp_path, path, users, n=10, histories=None):
    """Top-``n`` lists the reference service computes from the file."""
    script = tmp_path / "service.py"
    script.write_text(SERVICE)
    request = {"users": list(users), "n": n, "histories": histories}
    result = subprocess.run(
        [sys.executable, str(script), str(path), json.dumps(request)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _ids(values):
    return np.asarray(values).tolist()


@pytest.fixture(scope="module")
def ratings():
    return make_interactions(n_users=30, n_items=40, density=0.15, random_state=0)


def _check_served(model, X, y, tmp_path, users=None):
    tmp_path.mkdir(exist_ok=True)
    model.fit(X, y)
    known = model.user_ids_
    if users is None:
        # Known users, and one unknown user (the model's fallback).
        unknown = "nobody" if known.dtype.kind in "UO" else int(known.max()) + 1
        users = [*_ids(known[[0, 1, 5, 11]]), unknown]
    path = model.export(tmp_path / "model.npz")
    served = _serve(tmp_path, path, users)
    assert served["items"] == _ids(model.recommend(users, n=10)[0])
    return np.load(path)


FACTOR_AND_NEIGHBOUR_MODELS = [
    BaselineRegressor(),
    BaselineRegressor(ranking="rating", clip=False),
    PopularityRecommender(),
    MatrixFactorization(n_components=4, random_state=0),
    MatrixFactorization(n_components=4, ranking="rating", random_state=0),
    MatrixFactorization(n_components=4, feedback="implicit", random_state=0),
    BPRRecommender(**fast_params(BPRRecommender)),
    EASE(alpha=5.0),
    ItemKNNRecommender(n_neighbors=10),
    ItemKNNRegressor(n_neighbors=5),
    ItemKNNRegressor(n_neighbors=5, center=True, ranking="rating"),
    ItemKNNRegressor(n_neighbors=5, center=False, metric="cosine"),
    UserKNNRegressor(n_neighbors=5),
    UserKNNRegressor(n_neighbors=5, center=True, clip=False),
    UserKNNRegressor(
        n_neighbors=5, center=False, baseline=MatrixFactorization(n_components=2)
    ),
    TwoTowerRetriever(**fast_params(TwoTowerRetriever)),
]


def _label(model):
    changed = model.get_params(deep=False)
    default = type(model)().get_params(deep=False)
    return type(model).__name__ + "".join(
        f"-{k}={v}" for k, v in changed.items() if repr(v) != repr(default[k])
    )


@pytest.mark.parametrize("model", FACTOR_AND_NEIGHBOUR_MODELS, ids=_label)
def test_numpy_service_reproduces_recommend(model, ratings, tmp_path):
    model = clone(model)
    if "random_state" in model.get_params():
        model.set_params(random_state=0)
    data = _check_served(model, *ratings, tmp_path)
    assert int(data["format_version"]) == FORMAT_VERSION
    assert str(data["kind"]) in KINDS and "exported_program" not in data.files
    assert str(data["estimator"]) == type(model).__name__


def test_neural_cf_exported_program_service(ratings, tmp_path):
    for feedback in ("implicit", "explicit"):
        params = fast_params(NeuralCF)
        model = NeuralCF(**params, feedback=feedback, random_state=0)
        data = _check_served(model, *ratings, tmp_path / feedback)
        assert str(data["kind"]) == "torch_users"
        explicit = feedback == "explicit"
        assert str(data["ranking"]) == ("relevance" if explicit else "score")


@pytest.mark.parametrize(
    "model",
    [
        MatrixFactorization(n_components=4, random_state=0),
        NeuralCF(**fast_params(NeuralCF), feedback="explicit", random_state=0),
    ],
    ids=["MatrixFactorization", "NeuralCF"],
)
def test_rating_models_export_their_pick_model(model, tmp_path):
    # Where who rates what is personal, relevance ranks with pick_model_, whose
    # factor arrays the file carries (prefix pick_).
    X, y = personal_ratings()
    data = _check_served(clone(model), X, y, tmp_path)
    assert str(data["ranking"]) == "relevance"
    assert "pick_user_factors" in data.files and float(data["pick_exponent"]) == 2.0


@pytest.fixture
def sequences():
    return make_sequences(n_users=25, n_items=30, mean_length=6, random_state=0)


def test_sequential_exported_program_service(sequences, tmp_path):
    params = fast_params(SequentialRecommender)  # history length 8
    model = SequentialRecommender(**params, random_state=0).fit(sequences)
    users = [0, 3, 7, 1000]
    histories = [[3, 1, 4, 1, 5], [], [2] * 12 + [7, 9], [999, 4]]
    path = model.export(tmp_path / "sasrec.npz")
    served = _serve(tmp_path, path, users, histories=histories)
    assert served["items"] == _ids(model.recommend(users, n=10)[0])
    expected = model.recommend_for_history(histories, n=10)[0]
    assert served["history_items"] == _ids(expected)
    assert np.load(path)["histories"].shape == model.histories_.shape


def test_string_ids_and_added_items(tmp_path):
    X, _ = make_interactions(n_users=30, n_items=40, density=0.15, random_state=1)
    X = np.array([[f"u{u}", f"i{i}"] for u, i in X[:, :2]], dtype=object)
    _check_served(EASE(alpha=5.0), X, None, tmp_path / "ease")
    # Items added to a TwoTowerRetriever are exported after the fitted ones.
    rng = np.random.RandomState(0)
    items = {i: rng.rand(3) for i in np.unique(X[:, 1])}
    features = (np.array(list(items)), np.array(list(items.values())))
    model = TwoTowerRetriever(**fast_params(TwoTowerRetriever), random_state=0)
    model.fit(X, item_features=features)
    model.add_items(["new a", "new b"], rng.rand(2, 3))
    users = ["u0", "u3", "nobody"]
    path = model.export(tmp_path / "two_tower.npz")
    assert _serve(tmp_path, path, users)["items"] == _ids(model.recommend(users)[0])
    assert np.load(path)["item_ids"][-2:].tolist() == ["new a", "new b"]


# -- bad input ------------------------------------------------------------------


def test_unfitted_model_raises_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        EASE().export(tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


def test_missing_directory_is_a_clear_error(tmp_path):
    model = PopularityRecommender().fit([[1, "a"], [2, "b"]])
    with pytest.raises(FileNotFoundError, match="does not exist; create it"):
        model.export(tmp_path / "missing" / "model.npz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        model.export(tmp_path)
    with pytest.raises(TypeError, match="path must be"):
        model.export(3)


def test_existing_file_is_replaced_only_with_overwrite(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"keep me")
    first = PopularityRecommender().fit([[1, "a"], [2, "b"], [2, "a"]])
    with pytest.raises(FileExistsError, match="overwrite=True"):
        first.export(path)
    assert path.read_bytes() == b"keep me"
    with pytest.raises(ValueError, match="overwrite must be"):
        first.export(path, overwrite="yes")
    assert first.export(path, overwrite=True) == path
    assert np.load(path)["item_ids"].tolist() == ["a", "b"]
    second = PopularityRecommender().fit([[1, "c"]])
    export_recommender(second, path, overwrite=True)
    assert np.load(path)["item_ids"].tolist() == ["c"]
    # No temporary file is left behind.
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_unsupported_models_say_why(tmp_path):
    X = np.array([[0, 0, 1.0], [0, 1, 0.0], [1, 0, 1.0], [1, 2, 0.5]])
    model = ContentBasedRecommender().fit(X, [5, 3, 4, 2])
    with pytest.raises(NotImplementedError, match="item features"):
        model.export(tmp_path / "model.npz")

    class Shifted(PopularityRecommender):
        def _score_items(self, users):
            return -super()._score_items(users)

    with pytest.raises(NotImplementedError, match="overrides"):
        Shifted().fit([[1, "a"]]).export(tmp_path / "model.npz")

    knn = UserKNNRegressor(n_neighbors=2, baseline=EASE())
    with pytest.raises(NotImplementedError, match="baseline=EASE"):
        knn.fit(X[:, :2], [5, 3, 4, 2]).export(tmp_path / "model.npz")
    assert not list(tmp_path.iterdir())


def test_ids_are_stored_without_pickle(tmp_path):
    model = PopularityRecommender().fit([[1, 2.5], [2.0, 3]])
    data = np.load(model.export(tmp_path / "model.npz"))  # allow_pickle=False
    assert data["user_ids"].dtype == np.float64
    assert data["item_ids"].tolist() == [2.5, 3.0]
    # fit accepts ids that compare but are neither numbers nor strings.
    model = PopularityRecommender().fit([[Decimal(1), "a"], [Decimal(2), "b"]])
    with pytest.raises(ValueError, match="mixed or unsupported types"):
        model.export(tmp_path / "decimal.npz")
    assert not (tmp_path / "decimal.npz").exists()
