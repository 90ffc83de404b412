"""Bad input to the components that are not estimators' fit/predict (issue 14).

The sampled-negative scorer, the tokenizers' special tokens and patterns, the
vector indexes, ``TwoTowerRetriever.add_items`` and item features, and
``CausalLMTransformer.generate``: no crash, no silent wrong answer, a clear
error naming the parameter. One table of ``(id, call, exception, message)``
run by one test, then a few checks that the accepted input gives the right
answer.
"""

import atexit
import functools
import pathlib
import shutil
import tempfile
import time
import tracemalloc
from decimal import Decimal

import numpy as np
import pytest

from sklearn_attnrec import (
    AttentionEncoder,
    CausalLMTransformer,
    CharTokenizer,
    ExpandingWindowSplit,
    LeaveLastOut,
    MatrixFactorization,
    NeuralCF,
    PopularityRecommender,
    SequentialRecommender,
    TemporalSplit,
    TwoTowerRetriever,
    WordTokenizer,
    train_test_split_interactions,
)
from sklearn_attnrec.datasets import make_interactions, make_sequences
from sklearn_attnrec.metrics import (
    catalog_coverage,
    make_ranking_scorer,
    make_sampled_ranking_scorer,
    novelty,
)
from sklearn_attnrec.retrieval import ExactIndex, HNSWIndex

pytestmark = pytest.mark.usefixtures("torch_one_thread")

INDEXES = {"exact": ExactIndex, "hnsw": HNSWIndex}


# -- fitted objects, built once and only when a case needs them ----------------


@functools.cache
def _interactions():
    return make_interactions(n_users=30, n_items=20, density=0.4, random_state=0)[0]


@functools.cache
def _popularity():
    return PopularityRecommender().fit(_interactions())


@functools.cache
def _heavy_user():
    """150 items, user 0 has seen 120 of them: fewer than 100 left."""
    X = make_interactions(n_users=30, n_items=150, density=0.1, random_state=0)[0]
    heavy = np.column_stack([np.zeros(120, X.dtype), np.arange(120, dtype=X.dtype)])
    X = np.vstack([X[:, :2], heavy])
    return PopularityRecommender().fit(X), X


@functools.cache
def _scratch():
    path = tempfile.mkdtemp(prefix="attnrec-bad-input-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return pathlib.Path(path)


def _existing_file():
    path = _scratch() / "existing.npz"
    path.write_bytes(b"the user's file")
    return path


def _with_unknowns():
    X = _interactions().copy()
    X[:5, 0] = 999  # an unknown user
    X[5:10, 1] = 888  # unknown items
    return X


@functools.cache
def _two_tower():
    X = _interactions()
    items = np.unique(X[:, 1])
    features = (items, np.eye(len(items), 3, dtype=np.float32))
    return TwoTowerRetriever(
        n_components=4,
        embedding_dim=4,
        hidden_layer_sizes=(),
        max_iter=1,
        random_state=0,
    ).fit(X, item_features=features)


@functools.cache
def _language_model():
    X = np.random.RandomState(0).randint(0, 10, (16, 8))
    return CausalLMTransformer(
        embedding_dim=8, n_heads=2, n_layers=1, block_size=8, max_iter=1, random_state=0
    ).fit(X)


def _generate(**params):
    return _language_model().generate([1, 2], **{"max_new_tokens": 3, **params})


def _index(kind, vectors=None, ids=None):
    index = INDEXES[kind]()
    if vectors is not None:
        index.add(vectors, ids)
    return index


def _vectors(n, dim=4, seed=0):
    return np.random.default_rng(seed).normal(size=(n, dim))


def _fit_two_tower(**features):
    X = _interactions()
    return TwoTowerRetriever(
        n_components=4, embedding_dim=4, hidden_layer_sizes=(), max_iter=1
    ).fit(X, **features)


# -- the table -----------------------------------------------------------------

CASES = [
    # make_sampled_ranking_scorer: checked before sampling, so memory is bounded.
    (
        "sampled/n_negatives over the catalogue",
        lambda: make_sampled_ranking_scorer(k=5, n_negatives=25)(
            _popularity(), _interactions()
        ),
        ValueError,
        r"fewer than n_negatives=25 items .*lower n_negatives",
    ),
    (
        "sampled/default n_negatives, one heavy user",
        lambda: make_sampled_ranking_scorer()(*_heavy_user()),
        ValueError,
        r"1 test user\(s\) have fewer than n_negatives=100 .*user 0 with \d+;",
    ),
    (
        "sampled/unknown users and items, too few items",
        lambda: make_sampled_ranking_scorer(k=5, n_negatives=25)(
            _popularity(), _with_unknowns()
        ),
        ValueError,
        r"fewer than n_negatives=25",
    ),
    (
        "sampled/k over the candidate list",
        lambda: make_sampled_ranking_scorer(k=500, n_negatives=3),
        ValueError,
        r"k=500 .* n_negatives \+ 1 = 4 candidates",
    ),
    (
        "sampled/k one over the candidate list",
        lambda: make_sampled_ranking_scorer(k=11, n_negatives=9),
        ValueError,
        r"k=11 .*k <= n_negatives \+ 1",
    ),
    # Tokenizers: special tokens that occur in the texts.
    (
        "char/pad_token in the texts",
        lambda: CharTokenizer(pad_token="h").fit(["hello there"]),
        ValueError,
        r"pad_token='h' occurs in the texts",
    ),
    (
        "char/bos_token in the texts",
        lambda: CharTokenizer(bos_token=" ").fit(["hello there"]),
        ValueError,
        r"bos_token=' ' occurs in the texts",
    ),
    (
        "char/eos_token in a transformed text",
        lambda: CharTokenizer(eos_token="z").fit(["hello"]).transform(["ok", "zoo"]),
        ValueError,
        r"text 1 holds eos_token='z'",
    ),
    (
        "word/pad_token is a word of the texts",
        lambda: WordTokenizer(pad_token="the").fit(["the cat"]),
        ValueError,
        r"pad_token='the' occurs in the texts",
    ),
    (
        "word/special token not a str",
        lambda: WordTokenizer(eos_token=3).fit(["the cat"]),
        ValueError,
        r"'eos_token' parameter of WordTokenizer must be a non-empty str or None",
    ),
    (
        "char/empty special token",
        lambda: CharTokenizer(unk_token="").fit(["the cat"]),
        ValueError,
        r"'unk_token' parameter of CharTokenizer must be a non-empty str",
    ),
    # WordTokenizer(token_pattern=...)
    (
        "word/two capturing groups",
        lambda: WordTokenizer(token_pattern=r"(\w)(\w)").fit(["ab cd"]),
        ValueError,
        r"token_pattern=.* has 2 capturing groups",
    ),
    (
        "word/pattern matching the empty string",
        lambda: WordTokenizer(token_pattern=r"\w*").fit(["ab cd"]),
        ValueError,
        r"token_pattern=.* matches the empty string",
    ),
    (
        "word/pattern matching empty in context",
        lambda: WordTokenizer(token_pattern=r"(?<=a)b*").fit(["ab ac"]),
        ValueError,
        r"token_pattern=.* matched the empty string in the texts",
    ),
    (
        "word/invalid regular expression",
        lambda: WordTokenizer(token_pattern="(").fit(["ab cd"]),
        ValueError,
        r"token_pattern='\(' is not a valid regular expression",
    ),
    (
        "word/pattern not a str",
        lambda: WordTokenizer(token_pattern=None).fit(["ab cd"]),
        ValueError,
        r"'token_pattern' parameter of WordTokenizer must be an instance of 'str'",
    ),
    # Vector indexes: duplicated ids, ids already held, empty index.
    *[
        case
        for kind in INDEXES
        for case in [
            (
                f"{kind}/duplicated ids in one add",
                lambda kind=kind: _index(kind, _vectors(5), [1, 1, 2, 3, 4]),
                ValueError,
                r"ids hold 1 duplicated id\(s\), e\.g\. \[1\]",
            ),
            (
                f"{kind}/ids already in the index",
                lambda kind=kind: _index(kind, _vectors(3), ["a", "b", "c"]).add(
                    _vectors(2, seed=1), ["d", "b"]
                ),
                ValueError,
                r"1 id\(s\) are already in the index, e\.g\. \['b'\]",
            ),
            (
                f"{kind}/search an empty index",
                lambda kind=kind: _index(kind).search(_vectors(1), k=3),
                ValueError,
                r"the index is empty: add vectors first",
            ),
            (
                f"{kind}/search after adding no vectors",
                lambda kind=kind: _index(kind, np.empty((0, 4)), []).search(
                    _vectors(1), k=3
                ),
                ValueError,
                r"the index is empty: add vectors first",
            ),
        ]
    ],
    # TwoTowerRetriever: add_items and side features.
    (
        "two-tower/add_items with a duplicated id",
        lambda: _two_tower().add_items([100, 100], np.ones((2, 3))),
        ValueError,
        r"item_ids hold 1 id\(s\) more than once, e\.g\. \[100\]",
    ),
    (
        "two-tower/add_items with a known item",
        lambda: _two_tower().add_items([100, 3], np.ones((2, 3))),
        ValueError,
        r"not indexed yet; item_ids \[3\] are already indexed",
    ),
    (
        "two-tower/item_features with a duplicated id",
        lambda: _fit_two_tower(item_features=([0, 1, 1], np.eye(3))),
        ValueError,
        r"item_features hold 1 id\(s\) more than once, e\.g\. \[1\]",
    ),
    (
        "two-tower/user_features with a duplicated id",
        lambda: _fit_two_tower(user_features=([2, 2], np.eye(2))),
        ValueError,
        r"user_features hold 1 id\(s\) more than once, e\.g\. \[2\]",
    ),
    # CausalLMTransformer.generate
    *[
        (
            f"generate/{name}={value!r}",
            lambda name=name, value=value: _generate(**{name: value}),
            ValueError,
            rf"{name} must be",
        )
        for name, value in [
            ("temperature", float("nan")),
            ("temperature", float("inf")),
            ("temperature", -1.0),
            ("temperature", "1"),
            ("temperature", True),
            ("top_k", 0),
            ("top_k", 2.5),
            ("top_k", True),
            ("max_new_tokens", -1),
            ("max_new_tokens", 2.0),
        ]
    ],
    # export: never into a missing folder, never over a file unasked (issue 16).
    (
        "export/missing directory",
        lambda: _popularity().export(_scratch() / "no" / "model.npz"),
        FileNotFoundError,
        r"directory .* does not exist; create it first",
    ),
    (
        "export/existing file",
        lambda: _popularity().export(_existing_file()),
        FileExistsError,
        r"already exists; pass overwrite=True",
    ),
    (
        "export/a folder as the path",
        lambda: _popularity().export(_scratch()),
        IsADirectoryError,
        r"is a directory",
    ),
    (
        "export/path of another type",
        lambda: _popularity().export(3),
        TypeError,
        r"path must be",
    ),
    (
        "export/overwrite not a bool",
        lambda: _popularity().export(_scratch() / "m.npz", overwrite="yes"),
        ValueError,
        r"overwrite must be",
    ),
    (
        "export/ids neither numbers nor strings",
        lambda: (
            PopularityRecommender()
            .fit([[Decimal(1), "a"], [Decimal(2), "b"]])
            .export(_scratch() / "m.npz")
        ),
        ValueError,
        r"mixed or unsupported types",
    ),
    *[
        (
            f"iter_recommendations/block_size {value!r}",
            functools.partial(
                lambda v: next(_popularity().iter_recommendations(block_size=v)),
                value,
            ),
            ValueError,
            r"block_size must be a positive integer or None",
        )
        for value in (0, True, "10")
    ],
    # the one torch engine's early-stopping splits (issue 15).
    (
        "NeuralCF/early stopping split leaves nothing",
        lambda: NeuralCF(
            embedding_dim=4,
            hidden_layer_sizes=(8,),
            max_iter=2,
            early_stopping=True,
            validation_fraction=0.001,
        ).fit(_interactions()[:50]),
        ValueError,
        r"validation_fraction=0.001 of 50 training rows leaves no validation",
    ),
    (
        "SequentialRecommender/early stopping holds out no user",
        lambda: SequentialRecommender(
            block_size=8, max_iter=2, early_stopping=True, validation_fraction=0.01
        ).fit(make_sequences(n_users=10, n_items=8, random_state=0)),
        ValueError,
        r"validation_fraction=0.01 of the users with 3 interactions or more",
    ),
    *[
        (
            f"{cls.__name__}/validation_fraction 1.0 leaves nothing to train on",
            functools.partial(
                lambda cls, data: cls(early_stopping=True, validation_fraction=1.0).fit(
                    *data()
                ),
                cls,
                data,
            ),
            ValueError,
            r"'validation_fraction' parameter of .* must be a float in the range "
            r"\(0.0, 1.0\)",
        )
        for cls, data in [
            (AttentionEncoder, lambda: (["ab", "ba"], [0, 1])),
            (CausalLMTransformer, lambda: (["ab", "ba"],)),
            (NeuralCF, lambda: (_interactions(),)),
        ]
    ],
    (
        "NeuralCF/relevance ranking without the pick model",
        lambda: (
            NeuralCF(feedback="explicit", ranking="rating", embedding_dim=4, max_iter=1)
            .fit(*make_interactions(n_users=30, n_items=20, random_state=0))
            .set_params(ranking="relevance")
            .recommend([0], n=3)
        ),
        ValueError,
        r"fitted with ranking='rating'; refit it after set_params\(ranking=",
    ),
    (
        "MatrixFactorization/export ranked by relevance without the pick model",
        lambda: (
            MatrixFactorization(n_components=3, ranking="rating", random_state=0)
            .fit(*make_interactions(n_users=30, n_items=20, random_state=0))
            .set_params(ranking="relevance")
            .export(tempfile.mkdtemp() + "/model.npz")
        ),
        ValueError,
        r"fitted with ranking='rating'; refit it after set_params\(ranking=",
    ),
    (
        "MatrixFactorization/relevance ranking without the pick model",
        lambda: (
            MatrixFactorization(n_components=3, ranking="rating", random_state=0)
            .fit(*make_interactions(n_users=30, n_items=20, random_state=0))
            .set_params(ranking="relevance")
            .recommend([0], n=3)
        ),
        ValueError,
        r"fitted with ranking='rating'; refit it after set_params\(ranking=",
    ),
    # make_ranking_scorer's threshold: checked when the scorer is made, and
    # never compared with missing or broken ratings (issues 21 and 22).
    *[
        (
            f"ranking scorer/threshold {threshold!r}",
            functools.partial(make_ranking_scorer, "ndcg", threshold=threshold),
            ValueError,
            r"threshold must be a finite number .*got " + repr(threshold),
        )
        for threshold in ["4", float("nan"), float("inf"), True]
    ],
    (
        "ranking scorer/threshold without y",
        lambda: make_ranking_scorer("ndcg", threshold=4)(
            _popularity(), _interactions()
        ),
        ValueError,
        r"threshold=4\) compares the test ratings y .* but y is None: pass the "
        r"ratings .*threshold=None",
    ),
    (
        "ranking scorer/threshold, y of the wrong length",
        lambda: make_ranking_scorer("ndcg", threshold=4)(
            _popularity(), _interactions(), np.ones(3)
        ),
        ValueError,
        r"y has 3 ratings but X has \d+ rows",
    ),
    (
        "ranking scorer/threshold, NaN ratings",
        lambda: make_ranking_scorer("ndcg", threshold=4)(
            _popularity(), _interactions()[:2], [4.0, float("nan")]
        ),
        ValueError,
        r"y holds 1 NaN rating\(s\); threshold=4",
    ),
    # Beyond-accuracy metrics on the item ids that recommend returns.
    (
        "coverage/recommended id not in item_ids",
        lambda: catalog_coverage([["a", "z"]], item_ids=["a", "b"]),
        ValueError,
        r"1 recommended id\(s\) are not in item_ids, e.g. 'z'",
    ),
    (
        "coverage/integer ids without item_ids",
        lambda: catalog_coverage(_popularity().recommend([0, 1], n=3)[0] + 100, 20),
        ValueError,
        r"out of range for n_items=20 .*pass item_ids=model.item_ids_",
    ),
    (
        "coverage/scores of another shape",
        lambda: catalog_coverage([["a", "b"]], item_ids=["a", "b"], scores=[[0.0]]),
        ValueError,
        r"scores must be the numeric scores returned with the lists, of the same "
        r"shape \(1, 2\)",
    ),
    (
        "novelty/string ids without item_ids",
        lambda: novelty([["a", "b"]], [0.5, 0.5]),
        ValueError,
        r"got dtype <U1. For the item ids that recommend returns, pass item_ids=",
    ),
    (
        "novelty/item_ids of another length than item_popularity",
        lambda: novelty([["a"]], [0.5, 0.5, 0.5], item_ids=["a", "b"]),
        ValueError,
        r"item_ids has 2 ids but len\(item_popularity\)=3",
    ),
    *[
        (
            f"{cls.__name__}/hidden_layer_sizes {sizes!r}",
            functools.partial(
                lambda cls, sizes: cls(hidden_layer_sizes=sizes).fit(_interactions()),
                cls,
                sizes,
            ),
            ValueError,
            r"hidden_layer_sizes must be a .*tuple of positive integers",
        )
        for cls, sizes in [
            (NeuralCF, (8, 0)),
            (NeuralCF, ()),
            (NeuralCF, (8, True)),
            (TwoTowerRetriever, (8, -1)),
        ]
    ],
    # Splitters by time (issue 21) and their time columns (issue 22 item 10):
    # rows [user, item, time] with times 0..239 unless the case gives its own.
    *[
        (
            f"time split/{case}",
            functools.partial(
                lambda split, times: list(
                    split.split(
                        np.column_stack(
                            [
                                _interactions().astype(object),
                                np.arange(240) if times is None else times(),
                            ]
                        )
                    )
                ),
                split,
                times,
            ),
            ValueError,
            message,
        )
        for case, split, times, message in [
            (
                "TemporalSplit with at and quantile",
                TemporalSplit(at=5, quantile=0.5),
                None,
                r"as at \(a time\) or as quantile .*not both; got at=5, quantile=0.5",
            ),
            *[
                (
                    f"TemporalSplit quantile={q!r}",
                    TemporalSplit(quantile=q),
                    None,
                    r"quantile must be a float in the open interval \(0, 1\); got "
                    rf"quantile={q!r}",
                )
                for q in (1.0, 0, True, "0.8")
            ],
            (
                "TemporalSplit unseen_users",
                TemporalSplit(unseen_users="ignore"),
                None,
                r"unseen_users must be one of \['drop', 'keep'\]; got "
                r"unseen_users='ignore'",
            ),
            (
                "TemporalSplit without time_column",
                TemporalSplit(time_column=None),
                None,
                r"TemporalSplit needs time_column.*got time_column=None",
            ),
            (
                "TemporalSplit time_column out of range",
                TemporalSplit(time_column=5),
                None,
                r"time_column=5 is out of range for X with 3 columns",
            ),
            (
                "TemporalSplit user_column out of range",
                TemporalSplit(user_column=-4),
                None,
                r"user_column=-4 is out of range for X with 3 columns",
            ),
            (
                "TemporalSplit date at on numbers",
                TemporalSplit(at="2024-01-01"),
                None,
                r"at='2024-01-01' must be a finite number: time_column=2 holds numbers",
            ),
            (
                "TemporalSplit NaN at",
                TemporalSplit(at=float("nan")),
                None,
                r"at=nan must be a finite number",
            ),
            (
                "TemporalSplit number at on datetimes",
                TemporalSplit(at=5),
                lambda: np.datetime64("2024-01-01") + np.arange(240).astype("m8[h]"),
                r"at=5 is a number but time_column=2 holds datetimes; pass at as a "
                r"datetime, e.g. '2024-01-31'",
            ),
            (
                "TemporalSplit unreadable at on datetimes",
                TemporalSplit(at="yesterday"),
                lambda: np.datetime64("2024-01-01") + np.arange(240).astype("m8[h]"),
                r"at='yesterday' cannot be read as a datetime",
            ),
            (
                "TemporalSplit cut before every time",
                TemporalSplit(at=0),
                None,
                r"TemporalSplit\(at=0\): no interaction is before the cut, so the "
                "training set would be empty",
            ),
            (
                "TemporalSplit cut after every time",
                TemporalSplit(at=1000),
                None,
                r"no interaction is in the test window, so the test set would be empty",
            ),
            (
                "TemporalSplit every test user unseen",
                TemporalSplit(at=10**6),
                lambda: np.where(_interactions()[:, 0] == 0, 10**7, 0),
                r"all \d+ test interactions belong to users with no interaction "
                r"before the cut; pass unseen_users='keep'",
            ),
            *[
                (
                    f"ExpandingWindowSplit n_splits={n!r}",
                    ExpandingWindowSplit(n),
                    None,
                    rf"n_splits must be an int of at least 1; got n_splits={n!r}",
                )
                for n in (0, 2.0, True, None)
            ],
            (
                "ExpandingWindowSplit windows over the whole time",
                ExpandingWindowSplit(3, test_size=0.5),
                None,
                r"n_splits \* test_size must be below 1.*got n_splits=3, "
                r"test_size=0.5",
            ),
            (
                "ExpandingWindowSplit test_size",
                ExpandingWindowSplit(3, test_size=0),
                None,
                r"test_size must be a float in the open interval \(0, 1\); got "
                r"test_size=0",
            ),
            (
                "ExpandingWindowSplit equal cuts",
                ExpandingWindowSplit(3),
                lambda: np.repeat([0, 1], [10, 230]),
                r"ExpandingWindowSplit fold 0 \(quantiles 0.25 to 0.5\): no "
                "interaction is in the test window",
            ),
            (
                "time column of dd/mm/yyyy strings",
                LeaveLastOut(time_column=2),
                lambda: np.array(["31/12/2023"] * 240),
                r"time_column=2 holds strings that are neither numbers nor ISO-8601 "
                r"datetimes \(Error parsing datetime string \"31/12/2023\".*"
                r"'2024-01-31'",
            ),
            (
                "time column of booleans",
                LeaveLastOut(time_column=2),
                lambda: np.arange(240) % 2 == 0,
                r"time_column=2 holds booleans, not times",
            ),
            (
                "time column with NaT",
                TemporalSplit(),
                lambda: np.where(
                    np.arange(240) == 3,
                    np.datetime64("NaT"),
                    np.datetime64("2024-01-01") + np.arange(240).astype("m8[h]"),
                ),
                r"time_column=2 holds 1 missing times \(NaT\), e.g. row 3",
            ),
            (
                "time column with NaN",
                ExpandingWindowSplit(),
                lambda: np.where(np.arange(240) == 3, np.nan, np.arange(240.0)),
                r"time_column=2 holds 1 NaN value\(s\), e.g. row 3",
            ),
            (
                "time column with infinity",
                LeaveLastOut(time_column=2),
                lambda: np.where(np.arange(240) == 7, np.inf, np.arange(240.0)),
                r"time_column=2 holds 1 infinity value\(s\), e.g. row 7",
            ),
            (
                "time column of other objects",
                TemporalSplit(),
                lambda: np.array([{}] * 240, dtype=object),
                r"time_column=2: X's time column must hold numbers, datetimes",
            ),
        ]
    ],
    (
        "time split/ExpandingWindowSplit.get_n_splits",
        lambda: ExpandingWindowSplit(-1).get_n_splits(),
        ValueError,
        r"n_splits must be an int of at least 1; got n_splits=-1",
    ),
    (
        "time split/train_test_split count without time_column",
        lambda: train_test_split_interactions(_interactions(), test_size=1),
        ValueError,
        r"\(an int count of interactions per user needs time_column\); got "
        r"test_size=1",
    ),
    *[
        (
            f"time split/train_test_split by time test_size={size!r}",
            functools.partial(
                lambda size: train_test_split_interactions(
                    np.column_stack([_interactions(), np.arange(240)]),
                    test_size=size,
                    time_column=2,
                ),
                size,
            ),
            ValueError,
            rf"or, with time_column, an int >= 1 .*; got test_size={size!r}",
        )
        for size in (0, -2, 1.0, 1.5, True, "0.2")
    ],
    (
        "time split/train_test_split count over every user",
        lambda: train_test_split_interactions(
            np.column_stack([_interactions(), np.arange(240)]),
            test_size=500,
            time_column=2,
        ),
        ValueError,
        r"No user has more than test_size=500 interactions",
    ),
]


@pytest.mark.parametrize(
    "call, error, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- the right answer on accepted input ----------------------------------------


@pytest.mark.parametrize(
    "tokenizer, text",
    [
        (CharTokenizer(), "hello there"),
        # An unk_token that occurs in the texts is read as the unknown token and
        # comes back as itself.
        (CharTokenizer(unk_token="h"), "hello there"),
        (WordTokenizer(token_pattern=r"(\w+)!"), "hi! yes! no"),
        (WordTokenizer(token_pattern=r"[a-z]+|\d"), "abc 12 de"),
    ],
    ids=["char", "char unk in text", "word one group", "word digits"],
)
def test_tokenizer_round_trips_are_exact(tokenizer, text):
    tokenizer.fit([text])
    tokens = tokenizer._split(tokenizer._prepare(text))
    assert all(tokens) and all(isinstance(t, str) for t in tokens)
    back = tokenizer.inverse_transform(tokenizer.transform([text]))[0]
    join = "".join if isinstance(tokenizer, CharTokenizer) else " ".join
    assert back == join(tokens)


@pytest.mark.parametrize("kind", INDEXES)
def test_index_hits_are_distinct(kind):
    index = _index(kind, _vectors(5), [10, 11, 12, 13, 14])
    index.add(_vectors(3, seed=1), [20, 21, 22])
    ids, scores = index.search(_vectors(4, seed=2), k=8)
    assert ids.shape == (4, 8)
    assert all(len(set(row)) == 8 for row in ids.tolist())
    # A refused add leaves the index as it was.
    with pytest.raises(ValueError, match="already in the index"):
        index.add(_vectors(2, seed=3), [30, 20])
    assert len(index) == 8


def test_two_tower_recommendations_after_add_items_are_distinct():
    model = _two_tower()
    new = [f"new {i}" for i in range(3)]
    if not np.isin(new, model.new_item_ids_).any():
        model.add_items(new, np.eye(3, dtype=np.float32))
    found, _ = model.recommend(model.user_ids_, n=len(model.index_), exclude_seen=False)
    assert all(len(set(row)) == len(row) for row in found.tolist())


def _tight_catalogue(n_users, n_items, n_negatives):
    """User ``u`` saw every item but ``unseen[u]`` (``n_negatives + 1`` items), one
    of which is their test item; one more user saw every item."""
    rng = np.random.default_rng(0)
    unseen = [
        rng.choice(n_items, n_negatives + 1, replace=False) for _ in range(n_users)
    ]
    seen = [
        np.column_stack(
            [np.full(n_items - len(u), user), np.setdiff1d(range(n_items), u)]
        )
        for user, u in enumerate(unseen)
    ]
    everything = np.column_stack([np.full(n_items, n_users), np.arange(n_items)])
    X = np.vstack([*seen, everything])
    X_test = np.array([[user, u[0]] for user, u in enumerate(unseen)])
    return X, X_test, [np.sort(u[1:]) for u in unseen]


@pytest.mark.parametrize("n_negatives", [1, 50, 100])
def test_sampled_scorer_is_exact_fast_and_bounded_when_every_item_is_needed(
    n_negatives,
):
    # Each user has exactly n_negatives candidates left: the sampler must take
    # them all (the old doubling sampler blew up here).
    X, X_test, unseen = _tight_catalogue(200, 600, n_negatives)
    model = PopularityRecommender().fit(X)
    scorer = make_sampled_ranking_scorer(k=1, n_negatives=n_negatives)
    users = np.searchsorted(model.user_ids_, X_test[:, 0])
    items = np.searchsorted(model.item_ids_, X_test[:, 1])
    tracemalloc.start()
    start = time.perf_counter()
    negatives = scorer._negatives(model, users, items)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2 and peak < 50 * 2**20
    for (u, _), row in zip(X_test, negatives):
        assert sorted(model.item_ids_[row].tolist()) == unseen[u].tolist()
    assert 0 <= scorer(model, X_test) <= 1


def test_sampled_scorer_unknown_users_and_items_are_defined():
    X = make_interactions(n_users=30, n_items=200, density=0.1, random_state=0)[0]
    model = PopularityRecommender().fit(X)
    X_test = np.array([[999, 5], [999, 6], [998, 5], [0, 10_000]])
    scorer = make_sampled_ranking_scorer("hit_rate", k=5, n_negatives=50)
    users = np.array([-1, -1, -1, 0])
    items = np.searchsorted(model.item_ids_, [5, 6, 5, 0])
    negatives = scorer._negatives(
        model, users, items, user_key=np.array([30, 30, 31, 0]), users=X_test[:, 0]
    )
    # An unknown user's negatives avoid only their own test items.
    assert not np.isin(negatives[:2], items[:2]).any()
    assert not np.isin(negatives[2], items[2]).any()
    value = scorer(model, X_test)
    assert 0 <= value <= 0.75  # the unknown item (last row) is never a hit


@pytest.mark.parametrize(
    "params",
    [
        {"temperature": np.float32(0.5), "top_k": np.int64(2)},
        {"temperature": 0, "max_new_tokens": np.int64(3)},
        {"top_k": 10**6},
        {"temperature": 1e-300},
    ],
    ids=["numpy scalars", "greedy", "top_k over the vocabulary", "tiny temperature"],
)
def test_generate_accepts_valid_sampling_arguments(params):
    tokens = _generate(random_state=0, **params)
    assert tokens.shape == (3,) and tokens.dtype == np.int64
    if params.get("temperature", 1) < 1e-30:  # the limit: greedy decoding
        np.testing.assert_array_equal(tokens, _generate(temperature=0))
