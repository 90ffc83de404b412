"""The documentation builds (warnings are errors) and every example runs.

Both need the ``docs`` dependencies (sphinx, numpydoc, sphinx-gallery, the theme,
matplotlib), which the ``test`` extra installs; they skip where those are absent.
"""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/plot_*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # MovieLens where the shared data is; the examples fall back to generated data.
    if (SHARED_DATA / "ml-100k" / "u.data").is_file():
        monkeypatch.setenv("SKLEARN_ATTNREC_DATA", str(SHARED_DATA))
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
