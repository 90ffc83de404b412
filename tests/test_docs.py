"""The documentation builds (warnings are errors) and every example runs, on
the shared data and with the data hidden (a fresh clone without ../shared).

Both need the ``docs`` dependencies (sphinx, numpydoc, sphinx-gallery, the theme,
matplotlib), which the ``test`` extra installs; they skip where those are absent.
"""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/plot_*.py"))


def _reads_data(script):
    """Whether an example loads a data set (and falls back without it)."""
    return "fetch_" in script.read_text()


# Each example runs on the shared data and with the data hidden (a data home
# that is empty), as on a fresh clone without ../shared: both code paths of
# an example that falls back to generated data. An example that reads no data
# runs once.
EXAMPLE_RUNS = [
    pytest.param(script, data, id=f"{script.name}-{data}")
    for script in EXAMPLES
    for data in (["data", "no data"] if _reads_data(script) else ["no data"])
]


@pytest.mark.parametrize("script, data", EXAMPLE_RUNS)
def test_example_runs(script, data, monkeypatch, tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if data == "data":
        if not (SHARED_DATA / "ml-100k" / "u.data").is_file():
            pytest.skip(f"shared data not found at {SHARED_DATA}")
        monkeypatch.setenv("SKLEARN_ATTNREC_DATA", str(SHARED_DATA))
    else:
        # Neither the shared folder nor ~/sklearn_attnrec_data: the examples
        # read with download_if_missing=False and fall back to generated data.
        monkeypatch.setenv("SKLEARN_ATTNREC_DATA", str(tmp_path / "empty"))
    monkeypatch.chdir(script.parent)
    # Tiny torch models on a 2-core CI machine run several times faster with one
    # thread than with a contended pool (the examples keep torch's default).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        torch.set_num_threads(threads)
        plt.close("all")


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("pydata_sphinx_theme")
    env = dict(
        os.environ,
        SKLEARN_ATTNREC_DOCS_OFFLINE="1",  # no intersphinx downloads
        SPHINX_GALLERY_RUN="0",  # the examples run in test_example_runs
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(ROOT / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _literal_blocks(path):
    """The ``::`` literal blocks of a reST page, in order."""
    blocks, current, inside = [], [], False
    for line in Path(path).read_text().splitlines():
        if inside:
            if line.startswith("    ") or not line.strip():
                current.append(line[4:])
                continue
            blocks.append("\n".join(current).strip())
            current, inside = [], False
        if line.rstrip().endswith("::"):
            inside = True
    if current:
        blocks.append("\n".join(current).strip())
    return blocks


def test_own_data_page_runs(tmp_path, monkeypatch):
    """The code of docs/own_data.rst runs on a ratings file with string ids,
    half stars and datetimes."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    users = np.array(["ann", "bob"] + [f"user{k}" for k in range(60)])
    items = np.array(["heat", "alien"] + [f"film{k}" for k in range(80)])
    pairs = {(u, i) for u in users for i in rng.choice(items, 25, replace=False)}
    pairs |= {("ann", "heat"), ("ann", "alien"), ("bob", "heat")}
    frame = pd.DataFrame(sorted(pairs), columns=["user", "movie"])
    frame["stars"] = rng.integers(1, 11, len(frame)) / 2
    frame["when"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(
        rng.integers(0, 10**7, len(frame)), unit="s"
    )
    frame.to_csv(tmp_path / "ratings.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code = _literal_blocks(Path(__file__).parents[1] / "docs" / "own_data.rst")
    namespace = {}
    for block in code[1:]:  # the first block is the CSV file itself
        exec(block, namespace)
    assert namespace["top10"].groupby("user").size().max() == 10
    assert namespace["items"].shape == (1, 10)
    assert namespace["search"].best_params_["alpha"] in (1000, 2000, 4000, 8000)


def test_contributing_template_is_a_working_recommender():
    """The template of docs/contributing.rst fits, ranks, folds in and scores."""
    text = (Path(__file__).parents[1] / "docs" / "contributing.rst").read_text()
    block = text.split(".. code-block:: python\n\n", 1)[1].split("\n``recommend``")[0]
    namespace = {}
    exec("\n".join(line[4:] for line in block.splitlines()), namespace)
    from sklearn_attnrec.datasets import make_interactions

    X, y = make_interactions(n_users=30, n_items=20, density=0.4, random_state=0)
    model = namespace["ShrunkItemMean"]().fit(X, y)
    items, scores = model.recommend(model.user_ids_[:3], n=4)
    assert items.shape == (3, 4) and np.all(np.diff(scores, axis=1) <= 0)
    assert model.recommend_for_history([[1, 2]], n=2)[0].shape == (1, 2)
    assert 0 <= model.score(X[:20]) <= 1
    np.testing.assert_allclose(
        model.predict(
            np.column_stack([np.repeat(model.user_ids_[:3], 4), items.ravel()])
        ),
        scores.ravel(),
    )
