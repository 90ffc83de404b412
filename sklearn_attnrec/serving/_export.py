"""export_recommender: one ``.npz`` file a service reads without this package."""

import numbers
import os
import tempfile
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..baselines import BaselineRegressor, PopularityRecommender
from ..factorization import BPRRecommender, MatrixFactorization
from ..neighbors import EASE, ItemKNNRecommender, ItemKNNRegressor, UserKNNRegressor
from ..neural import NeuralCF, SequentialRecommender, TwoTowerRetriever
from ._arrays import (
    baseline_factors,
    bpr_factors,
    ease_weights,
    factorization_factors,
    item_knn_weights,
    neighborhood_arrays,
    popularity_factors,
    two_tower_factors,
)
from ._torch_export import ncf_arrays, sequential_arrays

FORMAT_VERSION = 1

# The scoring rules a file can name (its ``kind``); see docs/serving.rst.
KINDS = ("factor", "item_item", "neighborhood", "torch_users", "torch_histories")

# The arrays of each supported class (its ``kind`` among them), first match
# in the class's method resolution order.
_BUILDERS = {
    BaselineRegressor: baseline_factors,
    PopularityRecommender: popularity_factors,
    MatrixFactorization: factorization_factors,
    BPRRecommender: bpr_factors,
    TwoTowerRetriever: two_tower_factors,
    EASE: ease_weights,
    ItemKNNRecommender: item_knn_weights,
    ItemKNNRegressor: neighborhood_arrays,
    UserKNNRegressor: neighborhood_arrays,
    NeuralCF: ncf_arrays,
    SequentialRecommender: sequential_arrays,
}

# What a subclass must not override for its parent's rule to hold.
_SCORING_METHODS = ("_score_items", "_ranking_scores", "recommend")


def export_recommender(model, path, *, overwrite=False):
    """Write what a service needs to reproduce ``model.recommend``.

    One ``.npz`` file (written exactly at ``path``, whatever its suffix)
    holding:

    - ``format_version`` (int, currently 1), ``kind`` (the scoring rule, one
      of :data:`KINDS`) and ``estimator`` (the class name);
    - ``user_ids`` and ``item_ids``: the raw ids of ``user_ids_`` and
      ``item_ids_``; position ``k`` is index ``k`` in every other array (a
      user not in ``user_ids`` is an unknown user, index ``-1``);
    - ``seen_indptr``, ``seen_indices``, ``seen_data``: ``user_items_`` as a
      CSR matrix (rows are users): the items to leave out of each known
      user's list, as ``recommend`` does by default, and the values some
      rules read;
    - the arrays of the rule (see :doc:`/serving`). The neural models store
      their scorer as a program of :func:`torch.export.export`, saved to
      bytes by :func:`torch.export.save` (``exported_program``, uint8) and
      loaded with ``torch.export.load(io.BytesIO(data["exported_program"]
      .tobytes())).module()``.

    The file loads with ``np.load(path)`` (no pickle); ids must therefore all
    be numbers or all strings.

    Parameters
    ----------
    model : recommender
        A fitted recommender of this package (see :doc:`/serving` for the
        supported ones).
    path : str or path-like
        The file to write. Its directory must exist.
    overwrite : bool, default=False
        Replace an existing file at ``path``. By default an existing file is
        never replaced: a ``FileExistsError`` is raised instead.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``model`` is not fitted.
    NotImplementedError
        If ``model`` has no exportable scoring rule (the message says why and
        what to do instead).
    FileNotFoundError, FileExistsError, IsADirectoryError
        If ``path``'s directory is missing, ``path`` exists and ``overwrite``
        is False, or ``path`` is a directory.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn_attnrec import PopularityRecommender
    >>> from sklearn_attnrec.serving import export_recommender
    >>> model = PopularityRecommender().fit([[1, "a"], [2, "b"], [2, "a"]])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = export_recommender(model, os.path.join(folder, "popularity.npz"))
    ...     data = dict(np.load(path))
    >>> str(data["kind"]), data["item_ids"].tolist(), data["item_bias"].tolist()
    ('factor', ['a', 'b'], [2.0, 1.0])
    """
    check_is_fitted(model)
    builder = _builder(model)
    if not isinstance(overwrite, (bool, np.bool_)):
        raise ValueError(f"overwrite must be True or False; got {overwrite!r}")
    path = _check_path(path, overwrite)
    arrays = {
        "format_version": np.int64(FORMAT_VERSION),
        "estimator": np.str_(type(model).__name__),
        "user_ids": _id_array(model.user_ids_, "user"),
        "item_ids": _id_array(model.item_ids_, "item"),
        **_seen_arrays(model.user_items_),
    }
    arrays.update(builder(model))  # may extend item_ids (TwoTowerRetriever)
    arrays["item_ids"] = _id_array(arrays["item_ids"], "item")
    _write(path, arrays, overwrite)
    return path


def _builder(model):
    """The array builder of ``model``'s class, or a NotImplementedError that
    says why there is none."""
    for cls in type(model).__mro__:
        if cls in _BUILDERS:
            changed = [
                name
                for name in _SCORING_METHODS
                if getattr(type(model), name) is not getattr(cls, name)
            ]
            if changed:
                raise NotImplementedError(
                    f"{type(model).__name__} overrides {changed} of {cls.__name__}: "
                    f"the exported rule of {cls.__name__} would not reproduce its "
                    "recommendations; serve it by pickling it, or export its "
                    "scores yourself"
                )
            return _BUILDERS[cls]
    raise NotImplementedError(
        f"{type(model).__name__} cannot be exported for serving: "
        + _UNSUPPORTED.get(
            type(model).__name__,
            "no scoring rule is defined for it; serve it by pickling it "
            "(joblib.dump) where sklearn_attnrec is installed",
        )
    )


_UNSUPPORTED = {
    "ContentBasedRecommender": (
        "its scores come from item features passed through a fitted "
        "scikit-learn transformer (new items are scored from their features) "
        "and known users without a profile fall back to popularity; serve it "
        "by pickling it (joblib.dump), or use user_profiles_ @ "
        "item_profiles_.T for known users and items"
    ),
}


def _check_path(path, overwrite):
    """``path`` as a Path, after the checks that need no writing."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or a path-like object; got {path!r}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(
            f"{str(path)!r} is a directory: give the path of the file to write, "
            f"e.g. {str(path / 'model.npz')!r}"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: the directory {str(path.parent)!r} does "
            "not exist; create it first"
        )
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{str(path)!r} already exists; pass overwrite=True to replace it"
        )
    return path


def _write(path, arrays, overwrite):
    """Write ``arrays`` to ``path`` through a temporary file in the same
    directory, so that a reader never sees half a file and a failure leaves
    any previous file untouched."""
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        if path.exists() and not overwrite:  # created since the first check
            raise FileExistsError(
                f"{str(path)!r} already exists; pass overwrite=True to replace it"
            )
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _seen_arrays(user_items):
    """``user_items_`` as CSR arrays, sorted indices."""
    seen = user_items.tocsr(copy=True)
    seen.sort_indices()
    return {
        "seen_indptr": seen.indptr.astype(np.int64),
        "seen_indices": seen.indices.astype(np.int64),
        "seen_data": seen.data.astype(np.float64),
    }


def _id_array(ids, kind):
    """Ids as an array ``np.load`` reads without pickle: int64, float64 or
    str; a ``ValueError`` for ids of mixed or other types."""
    ids = np.asarray(ids)
    if ids.dtype.kind in "iu":
        return ids.astype(np.int64)
    if ids.dtype.kind in "fU":
        return ids
    if ids.dtype.kind == "S":
        return ids.astype(str)
    if ids.dtype == object:
        values = ids.tolist()
        if all(isinstance(v, str) for v in values):
            return np.asarray(values, dtype=str) if values else np.empty(0, str)
        if all(_is_int(v) for v in values):
            return np.asarray(values, dtype=np.int64)
        if all(isinstance(v, numbers.Real) and not _is_bool(v) for v in values):
            return np.asarray(values, dtype=np.float64)
    raise ValueError(
        f"the {kind} ids are of mixed or unsupported types "
        f"({sorted({type(v).__name__ for v in ids.tolist()})}): a file read "
        "without pickle holds numbers or strings; refit on ids of one type "
        "(e.g. all strings) to export"
    )


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not _is_bool(value)
