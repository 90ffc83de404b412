"""Model selection on a dask cluster gives the serial results.

A real ``distributed.LocalCluster`` (threads, no worker processes) runs
``GridSearchCV`` and ``cross_val_score`` through joblib's ``"dask"`` backend,
with the package's ranking scorer and per-user splitter; the scores must equal
those of a serial run.
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
