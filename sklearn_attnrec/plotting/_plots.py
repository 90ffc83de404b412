"""Plotting functions: attention heatmaps, learning curves, embedding maps and
grouped bars of ranking metrics. matplotlib is imported inside the functions."""

import numbers
from collections.abc import Mapping

import numpy as np

__all__ = [
    "plot_attention",
    "plot_embeddings",
    "plot_learning_curve",
    "plot_ranking_metrics",
]


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sklearn_attnrec.plotting needs matplotlib, which is not installed; "
            "install it with `pip install matplotlib`"
        ) from exc
    return plt


def _axes(ax, figsize):
    """``ax``, or the Axes of a new figure of size ``figsize``."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _labels(values, name):
    """A list of str from a 1-D sequence of labels (a lone string is refused)."""
    if values is None or isinstance(values, (str, bytes)):
        raise ValueError(
            f"{name} must be a sequence of labels, one per position; "
            f"got {type(values).__name__}"
        )
    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {array.shape}")
    return [str(v) for v in array]


def _as_float(value, what):
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be a number; got {value!r}") from exc
    return value


# -- attention -------------------------------------------------------------------


def plot_attention(
    weights,
    tokens,
    *,
    query_tokens=None,
    ax=None,
    cmap="Blues",
    vmin=None,
    vmax=None,
    annotate=None,
    colorbar=True,
    title=None,
):
    """Heatmap of an attention-weight matrix with the tokens as tick labels.

    Row ``i`` holds how much query position ``i`` attends to each key position
    ``j`` (after the softmax, so rows usually sum to 1; a causal model has zeros
    above the diagonal).

    Parameters
    ----------
    weights : array-like of shape (n_queries, n_keys)
        One matrix of weights, e.g. ``encoder.attention_weights(ids)[0, layer,
        head]`` or its mean over the heads. Values must be finite.
    tokens : sequence of str of length n_keys
        Labels of the key positions (columns, x axis).
    query_tokens : sequence of str of length n_queries, default=None
        Labels of the query positions (rows, y axis); None means ``tokens``,
        which needs a square matrix (self-attention).
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    cmap : str or Colormap, default="Blues"
        Colour map of the image.
    vmin, vmax : float, default=None
        Colour scale limits. None means 0 and 1 when every weight lies in
        ``[0, 1]`` (so that maps are comparable), else the data range.
    annotate : bool, default=None
        Write each weight in its cell (two decimals). None means annotate
        matrices of at most 12 x 12 cells.
    colorbar : bool, default=True
        Add a colour bar beside the Axes.
    title : str, default=None
        Title of the Axes.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on; ``ax.images[0].get_array()`` holds the weights.

    Raises
    ------
    ValueError
        If ``weights`` is not 2-D or not finite, or if the number of tokens does
        not match its shape.

    See Also
    --------
    sklearn_attnrec.AttentionEncoder.attention_weights : Weights of an encoder.
    sklearn_attnrec.CausalLMTransformer.attention_weights : Weights of a
        language model.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_attnrec.plotting import plot_attention
    >>> weights = [[1.0, 0.0, 0.0], [0.3, 0.7, 0.0], [0.1, 0.6, 0.3]]
    >>> ax = plot_attention(weights, ["The", "cat", "sat"])
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['The', 'cat', 'sat']
    >>> ax.images[0].get_array()[2, 1]
    np.float64(0.6)
    >>> plt.close(ax.figure)
    """
    try:
        matrix = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"weights must be a 2-D array of numbers; got {type(weights).__name__}"
        ) from exc
    if matrix.ndim != 2:
        raise ValueError(
            f"weights must be 2-D (n_queries, n_keys); got shape {matrix.shape}. "
            "Select one map, e.g. weights[sequence, layer, head], or average "
            "over the heads first"
        )
    if matrix.size == 0:
        raise ValueError(f"weights is empty (shape {matrix.shape})")
    if not np.isfinite(matrix).all():
        raise ValueError("weights hold NaN or infinite values")
    keys = _labels(tokens, "tokens")
    if len(keys) != matrix.shape[1]:
        raise ValueError(
            f"weights have {matrix.shape[1]} key positions (columns, shape "
            f"{matrix.shape}) but tokens has {len(keys)} labels"
        )
    if query_tokens is None:
        if matrix.shape[0] != matrix.shape[1]:
            raise ValueError(
                f"weights have {matrix.shape[0]} query positions (rows) and "
                f"{matrix.shape[1]} key positions (columns); pass query_tokens "
                "to label the rows of a non-square map"
            )
        queries = keys
    else:
        queries = _labels(query_tokens, "query_tokens")
        if len(queries) != matrix.shape[0]:
            raise ValueError(
                f"weights have {matrix.shape[0]} query positions (rows, shape "
                f"{matrix.shape}) but query_tokens has {len(queries)} labels"
            )
    if vmin is None and vmax is None and matrix.min() >= 0 and matrix.max() <= 1:
        vmin, vmax = 0.0, 1.0
    if annotate is None:
        annotate = max(matrix.shape) <= 12

    n_rows, n_cols = matrix.shape
    size = (min(1.5 + 0.55 * n_cols, 12), min(1.0 + 0.55 * n_rows, 12))
    ax = _axes(ax, size)
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(np.arange(n_cols), keys, rotation=45, ha="right")
    ax.set_yticks(np.arange(n_rows), queries)
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    if title is not None:
        ax.set_title(title)
    if annotate:
        # Dark text on light cells, white on dark ones (whatever the colour map).
        rgba = image.cmap(image.norm(matrix))
        luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
        for (i, j), w in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                f"{w:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if luminance[i, j] < 0.5 else "black",
            )
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="attention weight")
    return ax


# -- learning curves -------------------------------------------------------------


def _curves(history):
    """``{key: (epochs, values)}`` of every numeric key of a history."""
    # A fitted estimator built on skorch, or a skorch net: their History.
    if not isinstance(history, Mapping):
        net = getattr(history, "net_", None)
        if net is not None:
            history = net.history
        elif hasattr(history, "history") and not isinstance(history, (list, tuple)):
            history = history.history
    if isinstance(history, Mapping):
        curves = {}
        for key, values in history.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                continue
            curves[key] = (np.arange(1, len(values) + 1), values)
        return curves
    if isinstance(history, (str, bytes)) or not hasattr(history, "__iter__"):
        raise TypeError(
            "history must be a skorch History (e.g. estimator.net_.history), a "
            "list of dicts (one per epoch) or a dict of lists (one per key); got "
            f"{type(history).__name__}"
        )
    epochs = list(history)
    for i, row in enumerate(epochs):
        if not isinstance(row, Mapping):
            raise TypeError(
                "history must be a skorch History, a list of dicts or a dict of "
                f"lists; element {i} is {type(row).__name__}, not a dict"
            )
    if epochs and all("epoch" in row for row in epochs):
        x = np.asarray([row["epoch"] for row in epochs])
    else:
        x = np.arange(1, len(epochs) + 1)
    keys = list(dict.fromkeys(key for row in epochs for key in row))
    return {key: (x, [row.get(key) for row in epochs]) for key in keys}


def plot_learning_curve(
    history, *, keys=("train_loss", "valid_loss"), ax=None, logy=False, title=None
):
    """Plot losses (or any recorded score) against the epoch.

    Parameters
    ----------
    history : skorch History, list of dict, dict of list or fitted estimator
        The record of training: a skorch :class:`~skorch.history.History` such
        as ``estimator.net_.history`` (a list with one dict per epoch), any list
        of dicts, one per epoch, or a dict mapping each key to its list of values
        (e.g. ``{"train_loss": model.loss_curve_}``). A fitted estimator with a
        skorch ``net_`` stands for its ``net_.history``.
    keys : str or sequence of str, default=("train_loss", "valid_loss")
        What to plot, one line each. Keys absent from the history are skipped
        (so the default works without a validation split); at least one must be
        present. Epochs without a value are gaps in the line.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    logy : bool, default=False
        Logarithmic y axis.
    title : str, default=None
        Title of the Axes.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on, with one line per key found, labelled by the key.

    Raises
    ------
    TypeError
        If ``history`` is none of the accepted kinds.
    ValueError
        If it is empty, holds none of ``keys``, or a value is not a number.

    See Also
    --------
    sklearn_attnrec.CausalLMTransformer : Records ``valid_loss`` with
        ``early_stopping=True``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_attnrec.plotting import plot_learning_curve
    >>> history = [{"epoch": 1, "train_loss": 2.0, "valid_loss": 2.2},
    ...            {"epoch": 2, "train_loss": 1.5, "valid_loss": 1.9}]
    >>> ax = plot_learning_curve(history)
    >>> [line.get_label() for line in ax.get_lines()]
    ['train_loss', 'valid_loss']
    >>> ax.get_lines()[0].get_ydata()
    array([2. , 1.5])
    >>> plt.close(ax.figure)
    """
    if isinstance(keys, str):
        keys = (keys,)
    keys = list(keys)
    if not keys:
        raise ValueError("keys is empty: name at least one key to plot")
    curves = _curves(history)
    if not curves or all(len(values) == 0 for _, values in curves.values()):
        raise ValueError("history is empty: nothing to plot")
    found = [key for key in keys if key in curves]
    if not found:
        raise ValueError(
            f"none of the keys {keys} is in the history; it holds "
            f"{sorted(map(str, curves))}"
        )
    ax = _axes(ax, (6, 4))
    for key in found:
        x, values = curves[key]
        y = np.asarray(
            [
                np.nan
                if v is None
                else _as_float(v, f"history value {key!r} of epoch {e}")
                for e, v in zip(x, values)
            ],
            dtype=np.float64,
        )
        ax.plot(x, y, marker="o" if len(y) <= 30 else None, markersize=3, label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if all("loss" in key for key in found) else "value")
    if logy:
        ax.set_yscale("log")
    if title is not None:
        ax.set_title(title)
    ax.legend()
    return ax


# -- embeddings ------------------------------------------------------------------


def _class_colors(n_classes):
    plt = _pyplot()
    if n_classes <= 10:
        return [plt.get_cmap("tab10")(i) for i in range(n_classes)]
    if n_classes <= 20:
        return [plt.get_cmap("tab20")(i) for i in range(n_classes)]
    return [plt.get_cmap("viridis")(x) for x in np.linspace(0, 1, n_classes)]


def plot_embeddings(
    vectors,
    labels=None,
    *,
    method="pca",
    ax=None,
    annotations=None,
    random_state=None,
    alpha=0.7,
    s=12,
    title=None,
):
    """Scatter a 2-D projection of vectors, coloured by label.

    Parameters
    ----------
    vectors : array-like of shape (n_samples, n_dims)
        The vectors, e.g. ``model.item_factors_`` or the output of a
        ``transform``; at least 2 samples.
    labels : array-like of shape (n_samples,), default=None
        Class of each vector (genre, category, ...): one colour and one legend
        entry per distinct label, in sorted order. None draws every point alike,
        without a legend.
    method : {"pca", "tsne"} or None, default="pca"
        Projection to two dimensions: :class:`~sklearn.decomposition.PCA` (fast,
        linear, axes labelled with their share of the variance) or
        :class:`~sklearn.manifold.TSNE` (slower, keeps neighbourhoods). None
        plots ``vectors`` as they are, which needs exactly 2 columns.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    annotations : sequence of str of length n_samples, default=None
        Text written beside each point (None or ``""`` entries are skipped),
        e.g. the titles of a few items.
    random_state : int, RandomState instance or None, default=None
        Seeds the projection (t-SNE; PCA's randomised solver).
    alpha : float, default=0.7
        Opacity of the points.
    s : float, default=12
        Size of the points.
    title : str, default=None
        Title of the Axes.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on, with one scatter collection per label.

    Raises
    ------
    ValueError
        If ``vectors`` is not 2-D, holds fewer than 2 samples (2 columns for
        ``method=None``) or non-finite values, if ``labels`` or ``annotations``
        do not have one entry per vector, or if ``method`` is unknown.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklearn_attnrec.plotting import plot_embeddings
    >>> rng = np.random.RandomState(0)
    >>> vectors = np.vstack([rng.normal(0, 1, (20, 5)), rng.normal(4, 1, (20, 5))])
    >>> ax = plot_embeddings(vectors, ["comedy"] * 20 + ["drama"] * 20)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['comedy', 'drama']
    >>> [len(points.get_offsets()) for points in ax.collections]
    [20, 20]
    >>> plt.close(ax.figure)
    """
    if method not in ("pca", "tsne", None):
        raise ValueError(f"method must be 'pca', 'tsne' or None; got {method!r}")
    try:
        X = np.asarray(vectors, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("vectors must be a 2-D array of numbers") from exc
    if X.ndim != 2:
        raise ValueError(
            f"vectors must be 2-D (n_samples, n_dims); got shape {X.shape}"
        )
    if X.shape[0] < 2:
        raise ValueError(f"vectors need at least 2 samples; got {X.shape[0]}")
    if not np.isfinite(X).all():
        raise ValueError("vectors hold NaN or infinite values")
    n = X.shape[0]
    if labels is not None:
        labels = np.asarray(labels, dtype=object)
        if labels.ndim != 1 or len(labels) != n:
            raise ValueError(
                f"labels must have one entry per vector: vectors has {n} rows but "
                f"labels has shape {labels.shape}"
            )
    if annotations is not None:
        annotations = list(annotations)
        if len(annotations) != n:
            raise ValueError(
                f"annotations must have one entry per vector: vectors has {n} rows "
                f"but annotations has {len(annotations)}"
            )

    if method is None:
        if X.shape[1] != 2:
            raise ValueError(
                f"method=None plots the vectors as they are and needs 2 columns; "
                f"got {X.shape[1]}"
            )
        points, axis_names = X, ("dimension 1", "dimension 2")
    elif method == "pca":
        from sklearn.decomposition import PCA

        if X.shape[1] < 2:
            raise ValueError(f"vectors need at least 2 columns; got {X.shape[1]}")
        pca = PCA(n_components=2, random_state=random_state)
        points = pca.fit_transform(X)
        share = 100 * pca.explained_variance_ratio_
        axis_names = (f"PC 1 ({share[0]:.0f}% var.)", f"PC 2 ({share[1]:.0f}% var.)")
    else:
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, max(1.0, (n - 1) / 3)))
        points = TSNE(
            n_components=2,
            perplexity=perplexity,
            init="pca" if X.shape[1] >= 2 else "random",
            random_state=random_state,
        ).fit_transform(X)
        axis_names = ("t-SNE 1", "t-SNE 2")

    ax = _axes(ax, (6, 5))
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=s, alpha=alpha)
    else:
        try:
            classes, codes = np.unique(labels, return_inverse=True)
        except TypeError:  # labels of mixed types: compare them as text
            classes, codes = np.unique(labels.astype(str), return_inverse=True)
        for code, (label, color) in enumerate(
            zip(classes, _class_colors(len(classes)))
        ):
            mask = codes == code
            ax.scatter(
                points[mask, 0],
                points[mask, 1],
                s=s,
                alpha=alpha,
                color=color,
                label=str(label),
            )
        ax.legend(
            title=None,
            fontsize="small",
            markerscale=1.5,
            loc="center left" if len(classes) > 8 else "best",
            bbox_to_anchor=(1.0, 0.5) if len(classes) > 8 else None,
        )
    if annotations is not None:
        for (x, y), text in zip(points, annotations):
            if text is not None and str(text):
                ax.annotate(
                    str(text),
                    (x, y),
                    xytext=(3, 3),
                    textcoords="offset points",
                    fontsize=7,
                )
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    if title is not None:
        ax.set_title(title)
    return ax


# -- ranking metrics -------------------------------------------------------------


def _metric_table(results):
    """``(models, metrics, values)`` with values of shape (n_models, n_metrics)."""
    if hasattr(results, "to_dict") and hasattr(results, "columns"):  # DataFrame
        models = [str(m) for m in results.index]
        metrics = [str(c) for c in results.columns]
        rows = [
            {str(c): v for c, v in zip(results.columns, row)}
            for row in results.to_numpy(dtype=object)
        ]
    elif isinstance(results, Mapping):
        models, rows = [], []
        for model, scores in results.items():
            if not isinstance(scores, Mapping):
                raise ValueError(
                    "results must map each model to a dict {metric: value}; the "
                    f"value of {model!r} is {type(scores).__name__}"
                )
            models.append(str(model))
            rows.append({str(k): v for k, v in scores.items()})
        metrics = list(dict.fromkeys(k for row in rows for k in row))
    else:
        raise TypeError(
            "results must be a dict {model: {metric: value}} or a pandas "
            f"DataFrame (models as rows, metrics as columns); got "
            f"{type(results).__name__}"
        )
    if not models or not metrics:
        raise ValueError("results are empty: no model or no metric to plot")
    values = np.full((len(models), len(metrics)), np.nan)
    for i, (model, row) in enumerate(zip(models, rows)):
        for j, metric in enumerate(metrics):
            value = row.get(metric)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(
                value, (numbers.Real, np.number)
            ):
                raise ValueError(
                    f"the value of metric {metric!r} for model {model!r} must be "
                    f"a number; got {value!r}"
                )
            values[i, j] = float(value)
    return models, metrics, values


def plot_ranking_metrics(results, *, ax=None, annotate=True, title=None):
    """Grouped bar chart comparing models on several metrics.

    One group of bars per metric, one bar (and one colour, named in the legend)
    per model.

    Parameters
    ----------
    results : dict of dict or pandas DataFrame
        ``{model: {metric: value}}``, or a DataFrame with one row per model
        (index) and one column per metric. A metric missing for a model (None or
        NaN) leaves a gap.
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.
    annotate : bool, default=True
        Write each value above its bar (three decimals).
    title : str, default=None
        Title of the Axes.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on; ``ax.containers[i]`` holds the bars of the ``i``-th
        model.

    Raises
    ------
    TypeError
        If ``results`` is neither a dict nor a DataFrame.
    ValueError
        If it is empty or a value is not a number.

    See Also
    --------
    sklearn_attnrec.make_ranking_scorer : Scores a recommender's ranking.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from sklearn_attnrec.plotting import plot_ranking_metrics
    >>> results = {"popularity": {"ndcg@10": 0.21, "recall@10": 0.12},
    ...            "MF": {"ndcg@10": 0.34, "recall@10": 0.20}}
    >>> ax = plot_ranking_metrics(results)
    >>> [float(bar.get_height()) for bar in ax.containers[1]]
    [0.34, 0.2]
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['popularity', 'MF']
    >>> plt.close(ax.figure)
    """
    models, metrics, values = _metric_table(results)
    n_models, n_metrics = values.shape
    ax = _axes(ax, (max(4.0, 1.2 + n_metrics * (0.5 + 0.35 * n_models)), 4))
    width = 0.8 / n_models
    x = np.arange(n_metrics)
    for i, model in enumerate(models):
        bars = ax.bar(
            x + (i - (n_models - 1) / 2) * width,
            values[i].tolist(),
            width,
            label=model,
        )
        if annotate:
            ax.bar_label(
                bars,
                labels=["" if np.isnan(v) else f"{v:.3f}" for v in values[i]],
                fontsize=7,
                padding=2,
            )
    ax.set_xticks(x, metrics)
    ax.set_ylabel("score")
    ax.axhline(0, color="black", linewidth=0.8)
    if annotate:
        ax.margins(y=0.12)
    if title is not None:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return ax
