"""Read interaction files in the layouts recommender papers and data sets use."""

import io
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_interaction_file"]

_LAYOUTS = ("auto", "pairs", "csv", "dat")


def _layout_of(path, first_line):
    """The layout of a file, from its extension, else from its first line."""
    suffix = path.suffix.lower()
    if suffix == ".dat" or "::" in first_line:
        return "dat"
    if suffix == ".csv" or "," in first_line:
        return "csv"
    return "pairs"


def _first_bad_line(lines, n_fields, delimiter):
    """1-based number and text of the first line that does not hold
    ``n_fields`` numbers (the slow path, taken only after a parse error)."""
    for number, line in enumerate(lines, start=1):
        fields = line.split(delimiter) if delimiter else line.split()
        try:
            if len(fields) != n_fields:
                raise ValueError
            [float(field) for field in fields]
        except ValueError:
            return number, line
    return None, None


def load_interaction_file(
    path, *, layout="auto", return_X_y=False, as_frame=False, encoding="utf-8"
):
    """Load a file of interactions: user, item (and rating, timestamp) per line.

    Three layouts are read (``layout="auto"`` tells them apart by the
    extension, then by the first line):

    - ``"pairs"``: ``user item`` per line, whitespace-separated, one user's
      lines in time order, as the sequence files of the SASRec paper (Amazon
      Beauty/Games, Steam, MovieLens-1M preprocessed). ``data`` gets a third
      column, the line number, which orders each user's history in time.
    - ``"csv"``: ``user,item,rating,timestamp`` with a header line, as
      MovieLens latest-small, 20M, 25M and 32M (``ratings.csv``).
    - ``"dat"``: ``user::item::rating::timestamp``, as MovieLens 1M and 10M
      (``ratings.dat``).

    Ids must be integers (the formats above use integer ids).

    Parameters
    ----------
    path : str or path-like
        The file.
    layout : {"auto", "pairs", "csv", "dat"}, default="auto"
        See above.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        ``data`` as a DataFrame (columns ``user_id, item_id, timestamp``) and
        ``target`` as a Series named ``rating``. Requires pandas.
    encoding : str, default="utf-8"

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        ``data``: int64 array of shape (n, 3), ``[user_id, item_id,
        timestamp]`` (the line number for ``"pairs"``); ``target``: the
        ratings (float64), or None for ``"pairs"``; ``layout``; ``path``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        A line that does not parse, named by file and line number; an
        unknown ``layout``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ratings.dat"
    >>> _ = path.write_text("1::1193::5::978300760\\n1::661::3::978302109\\n")
    >>> X, y = load_interaction_file(path, return_X_y=True)
    >>> X.tolist(), y.tolist()
    ([[1, 1193, 978300760], [1, 661, 978302109]], [5.0, 3.0])
    """
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}; got {layout!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no interaction file at {path}")
    text = path.read_text(encoding=encoding)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ValueError(f"{path} is empty (or starts with an empty line)")
    if layout == "auto":
        layout = _layout_of(path, lines[0])
    if layout == "csv":
        body, delimiter, n_fields = "\n".join(lines[1:]), ",", 4
        first_data_line = 2
    elif layout == "dat":
        body, delimiter, n_fields = text.replace("::", ","), ",", 4
        first_data_line = 1
    else:
        body, delimiter, n_fields = text, None, 2
        first_data_line = 1
    try:
        table = np.loadtxt(
            io.StringIO(body), delimiter=delimiter, dtype=np.float64, ndmin=2
        )
        if table.shape[0] and table.shape[1] != n_fields:
            raise ValueError("wrong number of fields")
    except ValueError as exc:
        body_lines = body.splitlines()
        number, line = _first_bad_line(body_lines, n_fields, delimiter)
        where = (
            f"line {number + first_data_line - 1}: {line!r}"
            if number is not None
            else str(exc)
        )
        raise ValueError(
            f"{path} ({layout!r} layout: {n_fields} numbers per line) cannot be "
            f"read at {where}"
        ) from exc
    ids = table[:, :2]
    if len(ids) and not np.array_equal(ids, np.round(ids)):
        raise ValueError(f"{path}: user and item ids must be integers")
    if layout == "pairs":
        times = np.arange(len(table), dtype=np.int64)
        target = None
    else:
        times = table[:, 3].astype(np.int64)
        target = table[:, 2]
    data = np.column_stack([ids.astype(np.int64), times])
    if as_frame:
        import pandas as pd

        data = pd.DataFrame(data, columns=["user_id", "item_id", "timestamp"])
        target = None if target is None else pd.Series(target, name="rating")
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        layout=layout,
        path=str(path),
        feature_names=["user_id", "item_id", "timestamp"],
    )
