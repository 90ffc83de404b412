"""Sphinx configuration: numpydoc, autosummary, intersphinx and sphinx-gallery."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import sklearn_attnrec  # noqa: E402

project = "sklearn_attnrec"
author = "sklearn_attnrec developers"
copyright = "2026, sklearn_attnrec developers"
release = sklearn_attnrec.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Document what our classes add (e.g. RecommenderMixin.recommend), not the members
# scikit-learn's base classes bring, whose docstrings link into sklearn's own docs.
autodoc_default_options = {
    "members": True,
    "inherited-members": "BaseEstimator,RegressorMixin,TransformerMixin,"
    "BaseCrossValidator,_MetadataRequester,_SetOutputMixin",
}

# The inventories need a network; SKLEARN_ATTNREC_DOCS_OFFLINE=1 builds without them.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "scipy": ("https://docs.scipy.org/doc/scipy/", None),
    "sklearn": ("https://scikit-learn.org/stable/", None),
    "torch": ("https://pytorch.org/docs/stable/", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", None),
}
if os.environ.get("SKLEARN_ATTNREC_DOCS_OFFLINE") == "1":
    intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Set SPHINX_GALLERY_RUN=0 to build the pages without executing the examples.
    "plot_gallery": os.environ.get("SPHINX_GALLERY_RUN", "1") != "0",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_attnrec {release}"
templates_path = ["_templates"]
# Static files; docs/_static/ also holds the README's picture (made by an example).
html_static_path = ["_static"]
exclude_patterns = ["_build", "auto_examples/*.ipynb"]


def _skip_metadata_request_setters(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated ``set_*_request`` methods (metadata routing)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_setters)
