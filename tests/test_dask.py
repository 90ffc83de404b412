"""Model selection and batch recommendation on a dask cluster give the serial
results.

A real ``distributed.LocalCluster`` (threads, no worker processes) runs
``GridSearchCV`` and ``cross_val_score`` through joblib's ``"dask"`` backend,
with the package's ranking scorer and per-user splitter; the scores must equal
those of a serial run. A fitted model mapped over partitions of user ids (the
recipe of docs/scaling.rst) must give exactly the lists of one local call.
"""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402

from sklearn_attnrec import (  # noqa: E402
    BaselineRegressor,
    MatrixFactorization,
    PerUserKFold,
    make_interactions,
    make_ranking_scorer,
)


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
    assert client.status == "closed"


@pytest.fixture(scope="module")
def data():
    return make_interactions(n_users=40, n_items=25, density=0.2, random_state=0)


def _grid_search():
    return GridSearchCV(
        BaselineRegressor(),
        {"alpha_user": [0.0, 5.0, 50.0], "alpha_item": [0.0, 25.0]},
        scoring=make_ranking_scorer("ndcg", k=5),
        cv=PerUserKFold(3, random_state=0),
        n_jobs=2,
    )


def test_grid_search_on_dask_equals_serial(client, data):
    X, y = data
    serial = _grid_search().set_params(n_jobs=1).fit(X, y)
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        on_dask = _grid_search().fit(X, y)
    # The fits really ran on the cluster (joblib sends them in batches).
    workers = set(client.scheduler_info()["workers"])
    assert len(workers) == 2
    assert tasks.data and {task["worker"] for task in tasks.data} <= workers
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_allclose(on_dask.cv_results_[key], serial.cv_results_[key])
    assert on_dask.best_params_ == serial.best_params_
    # The scores are real ndcg values, not all equal (the grid matters).
    scores = serial.cv_results_["mean_test_score"]
    assert ((0 < scores) & (scores <= 1)).all() and np.ptp(scores) > 0
    np.testing.assert_allclose(on_dask.predict(X), serial.predict(X))


def test_cross_val_score_on_dask_equals_serial(client, data):
    X, y = data
    model = MatrixFactorization(n_components=2, max_iter=3, random_state=0)
    kwargs = {
        "scoring": make_ranking_scorer("recall", k=5),
        "cv": PerUserKFold(3, random_state=0),
    }
    serial = cross_val_score(model, X, y, n_jobs=1, **kwargs)
    with (
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_backend("dask"),
    ):
        on_dask = cross_val_score(model, X, y, n_jobs=2, **kwargs)
    assert tasks.data
    assert serial.shape == (3,) and np.isfinite(serial).all()
    np.testing.assert_allclose(on_dask, serial)


def _top_10(users, model):
    return model.recommend(users, n=10, as_frame=True)


def test_recommend_mapped_over_user_partitions_equals_local(client, data):
    pd = pytest.importorskip("pandas")
    X, _ = data
    model = MatrixFactorization(
        feedback="implicit", n_components=3, max_iter=3, random_state=0
    ).fit(X)
    # Every user, plus two unknown ones (the model's fallback list).
    users = np.append(model.user_ids_, [-1, 10_000])
    with distributed.get_task_stream(client) as tasks:
        remote_model = client.scatter(model, broadcast=True)
        futures = client.map(_top_10, np.array_split(users, 4), model=remote_model)
        on_dask = pd.concat(client.gather(futures), ignore_index=True)
    keys = {future.key for future in futures}
    ran = [task for task in tasks.data if task["key"] in keys]
    assert len(ran) == 4
    assert {task["worker"] for task in ran} <= set(client.scheduler_info()["workers"])
    local = model.recommend(users, n=10, as_frame=True)
    assert len(local) == 10 * len(users)
    pd.testing.assert_frame_equal(on_dask, local, check_exact=True)


def _write_top_5(users, part, model, folder):
    blocks = model.iter_recommendations(users, n=5, block_size=4)
    for k, frame in enumerate(blocks):
        frame.to_csv(folder / f"part-{part:02d}-{k:02d}.csv", index=False)
    return len(users)


def test_each_partition_written_by_its_task_equals_local(client, data, tmp_path):
    # The recipe for more lists than the client holds: every task writes its
    # users' lists, block by block, and returns only a count.
    pd = pytest.importorskip("pandas")
    X, _ = data
    model = MatrixFactorization(
        feedback="implicit", n_components=3, max_iter=3, random_state=0
    ).fit(X)
    parts = np.array_split(model.user_ids_, 3)
    remote_model = client.scatter(model, broadcast=True)
    futures = client.map(
        _write_top_5, parts, range(3), model=remote_model, folder=tmp_path
    )
    assert sum(client.gather(futures)) == len(model.user_ids_)
    files = sorted(tmp_path.glob("part-*.csv"))
    assert len(files) == 3 * 4  # 14, 13, 13 users in blocks of 4
    written = pd.concat(map(pd.read_csv, files), ignore_index=True)
    local = model.recommend(model.user_ids_, n=5, as_frame=True)
    pd.testing.assert_frame_equal(written, local, check_exact=False, rtol=1e-12)
