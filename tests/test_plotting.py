"""sklearn_attnrec.plotting: what each function draws, and its input checks.

Headless (Agg backend); skipped where matplotlib is not installed.
"""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_attnrec import CausalLMTransformer  # noqa: E402
from sklearn_attnrec.plotting import (  # noqa: E402
    plot_attention,
    plot_embeddings,
    plot_learning_curve,
    plot_ranking_metrics,
)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def tick_texts(labels):
    return [label.get_text() for label in labels]


def legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


# -- plot_attention --------------------------------------------------------------

WEIGHTS = np.array([[1.0, 0.0, 0.0], [0.3, 0.7, 0.0], [0.1, 0.6, 0.3]])
TOKENS = ["the", "cat", "sat"]


def test_plot_attention_draws_weights_and_tokens():
    ax = plot_attention(WEIGHTS, TOKENS)
    assert tick_texts(ax.get_xticklabels()) == TOKENS
    assert tick_texts(ax.get_yticklabels()) == TOKENS
    assert len(ax.images) == 1
    np.testing.assert_array_equal(ax.images[0].get_array(), WEIGHTS)
    # weights in [0, 1]: a fixed colour scale, so maps are comparable
    assert ax.images[0].get_clim() == (0.0, 1.0)
    # one annotation per cell, with the weight's value
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{w:.2f}" for w in WEIGHTS.ravel()]
    # a colour bar: a second Axes in the figure
    assert len(ax.figure.axes) == 2
    assert ax.get_xlabel() == "key" and ax.get_ylabel() == "query"


def test_plot_attention_rectangular_with_query_tokens_on_given_ax():
    weights = np.full((2, 4), 0.25)
    fig, ax = plt.subplots()
    out = plot_attention(
        weights,
        ["a", "b", "c", "d"],
        query_tokens=["x", "y"],
        ax=ax,
        annotate=False,
        colorbar=False,
        title="cross",
    )
    assert out is ax
    assert tick_texts(ax.get_xticklabels()) == ["a", "b", "c", "d"]
    assert tick_texts(ax.get_yticklabels()) == ["x", "y"]
    assert ax.images[0].get_array().shape == (2, 4)
    assert len(ax.texts) == 0 and len(fig.axes) == 1
    assert ax.get_title() == "cross"


def test_plot_attention_scores_outside_unit_interval_use_data_range():
    scores = np.array([[-1.0, 2.0], [0.5, 3.0]])
    ax = plot_attention(scores, [1, 2])  # non-str tokens become text
    assert tick_texts(ax.get_xticklabels()) == ["1", "2"]
    assert ax.images[0].get_clim() == (-1.0, 3.0)


def test_plot_attention_accepts_a_causal_lm_map():
    X = np.tile(np.arange(4), (4, 3))
    lm = CausalLMTransformer(
        embedding_dim=8, n_heads=2, n_layers=1, block_size=8, max_iter=1,
        warmup_steps=0, random_state=0,
    ).fit(X)  # fmt: skip
    weights = lm.attention_weights(X[:1, :6])[0, 0, 1]
    ax = plot_attention(weights, [str(t) for t in X[0, :6]])
    drawn = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(drawn, weights)
    assert np.all(drawn[np.triu_indices(6, k=1)] == 0)


@pytest.mark.parametrize(
    "weights, tokens, query_tokens, match",
    [
        (np.ones((3, 3)) / 3, ["a", "b"], None, r"3 key positions.*tokens has 2"),
        (np.ones((2, 3)) / 3, ["a", "b", "c"], None, "pass query_tokens"),
        (
            np.ones((2, 3)) / 3,
            ["a", "b", "c"],
            ["x"],
            r"2 query positions.*query_tokens has 1",
        ),
        (np.ones((1, 2, 2)), ["a", "b"], None, r"2-D.*shape \(1, 2, 2\)"),
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), ["a", "b"], None, "NaN"),
        (np.ones((0, 0)), [], None, "empty"),
        (np.ones((2, 2)), "ab", None, "sequence of labels"),
    ],
)
def test_plot_attention_bad_input(weights, tokens, query_tokens, match):
    with pytest.raises(ValueError, match=match):
        plot_attention(weights, tokens, query_tokens=query_tokens)


# -- plot_learning_curve ---------------------------------------------------------

HISTORY = [
    {"epoch": 1, "train_loss": 2.0, "valid_loss": 2.5, "dur": 0.1},
    {"epoch": 2, "train_loss": 1.5, "valid_loss": 2.0, "dur": 0.1},
    {"epoch": 3, "train_loss": 1.2, "valid_loss": 1.9, "dur": 0.1},
]


def check_lines(ax, expected):
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(expected)
    for line, (x, y) in zip(lines, expected.values()):
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_array_equal(line.get_ydata(), y)
    assert legend_texts(ax) == list(expected)


def test_plot_learning_curve_list_of_dicts():
    ax = plot_learning_curve(HISTORY)
    check_lines(
        ax,
        {
            "train_loss": ([1, 2, 3], [2.0, 1.5, 1.2]),
            "valid_loss": ([1, 2, 3], [2.5, 2.0, 1.9]),
        },
    )
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"


def test_plot_learning_curve_dict_of_lists_and_missing_key_skipped():
    ax = plot_learning_curve({"train_loss": [3.0, 2.0, 1.0, 0.5]}, logy=True)
    check_lines(ax, {"train_loss": ([1, 2, 3, 4], [3.0, 2.0, 1.0, 0.5])})
    assert ax.get_yscale() == "log"


def test_plot_learning_curve_gaps_where_an_epoch_lacks_a_value():
    history = [{"train_loss": 1.0, "valid_loss": 2.0}, {"train_loss": 0.5}]
    ax = plot_learning_curve(history, keys="valid_loss")
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), [2.0, np.nan])


def test_plot_learning_curve_skorch_history_and_estimator():
    X = np.tile(np.arange(5), (6, 6))
    lm = CausalLMTransformer(
        embedding_dim=8, n_heads=2, n_layers=1, block_size=8, max_iter=3,
        warmup_steps=0, early_stopping=True, validation_fraction=0.3,
        n_iter_no_change=10, random_state=0,
    ).fit(X)  # fmt: skip
    history = lm.net_.history
    n_epochs = len(history)
    expected = {
        "train_loss": (history[:, "epoch"], history[:, "train_loss"]),
        "valid_loss": (history[:, "epoch"], history[:, "valid_loss"]),
    }
    check_lines(plot_learning_curve(history), expected)
    check_lines(plot_learning_curve(lm), expected)  # the estimator's net_.history
    assert n_epochs == 3
    np.testing.assert_allclose(history[:, "train_loss"], lm.loss_curve_)


@pytest.mark.parametrize(
    "history, keys, error, match",
    [
        ([], ("train_loss",), ValueError, "empty"),
        ({"train_loss": []}, ("train_loss",), ValueError, "empty"),
        (HISTORY, ("accuracy",), ValueError, r"none of the keys.*'train_loss'"),
        (HISTORY, (), ValueError, "keys is empty"),
        ([{"train_loss": "low"}], ("train_loss",), ValueError, "must be a number"),
        (42, ("train_loss",), TypeError, "skorch History"),
        ([1.0, 0.5], ("train_loss",), TypeError, "element 0 is float"),
    ],
)
def test_plot_learning_curve_bad_input(history, keys, error, match):
    with pytest.raises(error, match=match):
        plot_learning_curve(history, keys=keys)


# -- plot_embeddings -------------------------------------------------------------


@pytest.fixture(scope="module")
def clusters():
    rng = np.random.RandomState(0)
    vectors = np.vstack(
        [
            rng.normal(0, 1, (15, 6)),
            rng.normal(5, 1, (10, 6)),
            rng.normal(-5, 1, (5, 6)),
        ]
    )
    labels = np.array(["drama"] * 15 + ["action"] * 10 + ["comedy"] * 5)
    return vectors, labels


def test_plot_embeddings_pca_one_scatter_per_class(clusters):
    vectors, labels = clusters
    ax = plot_embeddings(vectors, labels)
    classes = ["action", "comedy", "drama"]  # sorted
    assert legend_texts(ax) == classes
    assert [c.get_label() for c in ax.collections] == classes
    assert [len(c.get_offsets()) for c in ax.collections] == [10, 5, 15]
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(vectors)
    # The points are the PCA projection.
    from sklearn.decomposition import PCA

    projected = PCA(n_components=2).fit_transform(vectors)
    np.testing.assert_allclose(
        ax.collections[2].get_offsets(), projected[labels == "drama"]
    )
    assert ax.get_xlabel().startswith("PC 1")
    # distinct colours per class
    colors = {tuple(c.get_facecolor()[0]) for c in ax.collections}
    assert len(colors) == 3


def test_plot_embeddings_without_labels_and_annotations(clusters):
    vectors, _ = clusters
    names = [""] * len(vectors)
    names[0], names[3] = "first", "fourth"
    ax = plot_embeddings(vectors[:, :2], method=None, annotations=names)
    assert len(ax.collections) == 1 and ax.get_legend() is None
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), vectors[:, :2])
    assert [t.get_text() for t in ax.texts] == ["first", "fourth"]


def test_plot_embeddings_tsne(clusters):
    vectors, labels = clusters
    ax = plot_embeddings(vectors, labels, method="tsne", random_state=0)
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(vectors)
    assert ax.get_xlabel() == "t-SNE 1"


def test_plot_embeddings_integer_labels_in_legend():
    vectors = np.arange(12.0).reshape(6, 2) ** 1.5
    ax = plot_embeddings(vectors, [2, 1, 2, 1, 3, 3])
    assert legend_texts(ax) == ["1", "2", "3"]


@pytest.mark.parametrize(
    "vectors, labels, kwargs, match",
    [
        (np.ones((4, 3)), ["a", "b"], {}, r"4 rows but labels has shape \(2,\)"),
        (np.ones(4), None, {}, "2-D"),
        (np.ones((1, 3)), None, {}, "at least 2 samples"),
        (np.ones((3, 3)), None, {"method": None}, "needs 2 columns"),
        (np.ones((3, 3)), None, {"method": "umap"}, "method must be"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), None, {}, "NaN or infinite"),
        (np.ones((3, 2)), None, {"annotations": ["x"]}, "3 rows but annotations"),
    ],
)
def test_plot_embeddings_bad_input(vectors, labels, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plot_embeddings(vectors, labels, **kwargs)


# -- plot_ranking_metrics --------------------------------------------------------

RESULTS = {
    "popularity": {"ndcg@10": 0.21, "recall@10": 0.12, "neg_rmse": -1.02},
    "MF": {"ndcg@10": 0.34, "recall@10": 0.20, "neg_rmse": -0.91},
}


def check_bars(ax, models, metrics, values):
    assert legend_texts(ax) == models
    assert tick_texts(ax.get_xticklabels()) == metrics
    assert len(ax.containers) == len(models)
    for container, row in zip(ax.containers, values):
        heights = [bar.get_height() for bar in container]
        np.testing.assert_allclose(heights, row)
    # bars of one metric sit side by side around its tick
    centres = np.array(
        [[bar.get_x() + bar.get_width() / 2 for bar in c] for c in ax.containers]
    )
    np.testing.assert_allclose(centres.mean(axis=0), np.arange(len(metrics)))


def test_plot_ranking_metrics_dict():
    ax = plot_ranking_metrics(RESULTS, title="fold u1")
    check_bars(
        ax,
        ["popularity", "MF"],
        ["ndcg@10", "recall@10", "neg_rmse"],
        [[0.21, 0.12, -1.02], [0.34, 0.20, -0.91]],
    )
    assert [t.get_text() for t in ax.texts][:3] == ["0.210", "0.120", "-1.020"]
    assert ax.get_title() == "fold u1"


def test_plot_ranking_metrics_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(RESULTS).T  # models as rows
    fig, ax = plt.subplots()
    out = plot_ranking_metrics(frame, ax=ax, annotate=False)
    assert out is ax
    check_bars(
        ax,
        ["popularity", "MF"],
        ["ndcg@10", "recall@10", "neg_rmse"],
        [[0.21, 0.12, -1.02], [0.34, 0.20, -0.91]],
    )
    assert len(ax.texts) == 0


def test_plot_ranking_metrics_missing_metric_is_a_gap():
    ax = plot_ranking_metrics({"a": {"ndcg": 0.5, "hr": 0.9}, "b": {"hr": 0.7}})
    heights = [bar.get_height() for bar in ax.containers[1]]
    assert np.isnan(heights[0]) and heights[1] == pytest.approx(0.7)


@pytest.mark.parametrize(
    "results, error, match",
    [
        ({}, ValueError, "empty"),
        ({"a": {}}, ValueError, "empty"),
        ({"a": 0.3}, ValueError, "the value of 'a' is float"),
        ({"a": {"ndcg": "high"}}, ValueError, "'ndcg' for model 'a' must be a number"),
        ([0.1, 0.2], TypeError, "dict"),
    ],
)
def test_plot_ranking_metrics_bad_input(results, error, match):
    with pytest.raises(error, match=match):
        plot_ranking_metrics(results)


def test_missing_matplotlib_message(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_attention(WEIGHTS, TOKENS)
