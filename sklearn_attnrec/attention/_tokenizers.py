"""Character and word tokenizers: texts <-> integer token sequences."""

import re
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._fitting import fit_atomically
from ..utils._param_validation import Interval, NonEmptyStr, validate_params

_SPECIALS = ("pad", "bos", "eos", "unk")
# Special tokens that inverse_transform drops: they may not occur in the texts.
_DROPPED = ("pad", "bos", "eos")


def _check_texts(X):
    """A list of str from an iterable of texts (a lone string is refused)."""
    if isinstance(X, (str, bytes)):
        raise ValueError(
            "Iterable over raw texts expected, got a single string; pass [text]"
        )
    try:
        texts = list(X)
    except TypeError as exc:
        raise ValueError(
            f"Iterable over raw texts expected, got {type(X).__name__}"
        ) from exc
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"texts must be str; element {i} is {type(text).__name__}")
    return texts


def _raise_unknown(missing):
    if missing:
        raise ValueError(
            f"unknown token(s) {missing[:5]} and unk_token=None; set an unk_token "
            "to map them"
        )


class _Tokenizer(TransformerMixin, BaseEstimator):
    """Vocabulary, special tokens, transform and inverse_transform; subclasses
    split a text into tokens (``_split``) and join them back (``_join``)."""

    # What X is, for the bad-input and persistence tests.
    _input_kind = "texts"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = []
        return tags

    # -- hooks ------------------------------------------------------------------

    def _split(self, text):
        raise NotImplementedError

    def _join(self, tokens):
        raise NotImplementedError

    def _prepare(self, text):
        return text.lower() if self.lowercase else text

    def _count(self, texts):
        counts = Counter()
        for text in texts:
            counts.update(self._split(self._prepare(text)))
        return counts

    def _encoder(self):
        """A function text -> ids, built once per ``transform``."""
        lookup, unk = self.vocabulary_, self.unk_token_id_

        def encode(text):
            tokens = self._split(self._prepare(text))
            if unk is None:
                _raise_unknown([t for t in tokens if t not in lookup])
            return np.fromiter(
                (lookup.get(t, unk) for t in tokens), np.int64, len(tokens)
            )

        return encode

    # -- estimator API ----------------------------------------------------------

    _parameter_constraints = {
        "lowercase": ["boolean"],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "max_tokens": [Interval(Integral, 1, None, closed="left"), None],
        **{f"{name}_token": [NonEmptyStr(), None] for name in _SPECIALS},
        "add_bos": ["boolean"],
        "add_eos": ["boolean"],
        "padding": ["boolean"],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    def _check_params(self):
        """Validate the parameters; return the special tokens that are set."""
        validate_params(self)
        specials = [
            getattr(self, f"{name}_token")
            for name in _SPECIALS
            if getattr(self, f"{name}_token") is not None
        ]
        if self.max_tokens is not None and self.max_tokens <= len(specials):
            raise ValueError(
                f"max_tokens={self.max_tokens} leaves no room for a token next to "
                f"the {len(specials)} special tokens; use at least "
                f"{len(specials) + 1} or set unused special tokens to None"
            )
        if self.padding and self.pad_token is None:
            raise ValueError("padding=True needs a pad_token")
        for name, flag in (("add_bos", "bos"), ("add_eos", "eos")):
            if getattr(self, name) and getattr(self, f"{flag}_token") is None:
                raise ValueError(f"{name}=True needs a {flag}_token")
        if len(set(specials)) != len(specials):
            raise ValueError(f"special tokens must differ; got {specials}")
        return specials

    @fit_atomically
    def fit(self, X, y=None):
        """Build the vocabulary.

        Special tokens come first (ids 0, 1, ... in the order pad, bos, eos, unk,
        skipping those set to None), then the tokens seen at least
        ``min_frequency`` times, most frequent first (ties in sorted order), up
        to ``max_tokens`` ids in all.

        Parameters
        ----------
        X : iterable of str
            Texts.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        specials = self._check_params()
        texts = _check_texts(X)
        if not texts:
            raise ValueError("X holds no texts: cannot build a vocabulary")
        counts = self._count(texts)
        for name in _DROPPED:
            token = getattr(self, f"{name}_token")
            if token is not None and token in counts:
                raise ValueError(
                    f"{name}_token={token!r} occurs in the texts as a token, and "
                    "inverse_transform would drop it; choose a token that cannot "
                    f"occur in the texts, such as the default '<{name}>'"
                )
        kept = sorted(
            (
                t
                for t, c in counts.items()
                if c >= self.min_frequency and t not in specials
            ),
            key=lambda t: (-counts[t], t),
        )
        if self.max_tokens is not None:
            kept = kept[: self.max_tokens - len(specials)]
        if not kept:
            raise ValueError(
                "empty vocabulary: the texts hold no token seen at least "
                f"min_frequency={self.min_frequency} times"
            )
        self.tokens_ = np.array(specials + kept, dtype=object)
        self.vocabulary_ = {token: i for i, token in enumerate(self.tokens_)}
        for name in _SPECIALS:
            token = getattr(self, f"{name}_token")
            setattr(self, f"{name}_token_id_", self.vocabulary_.get(token))
        self.vocab_size_ = len(self.tokens_)
        return self

    def transform(self, X):
        """Texts to token ids.

        Parameters
        ----------
        X : iterable of str

        Returns
        -------
        sequences : list of ndarray of int64, or ndarray of shape (n_texts, length)
            One array of ids per text (with ``bos``/``eos`` if ``add_bos`` /
            ``add_eos``, cut to ``max_length``); with ``padding=True`` one 2-D
            array, right-padded with ``pad_token_id_`` to the longest text (or to
            ``max_length``).
        """
        check_is_fitted(self)
        texts = _check_texts(X)
        encode = self._encoder()
        encoded = [encode(text) for text in texts]
        self._check_no_reserved(encoded)
        sequences = []
        for ids in encoded:
            if self.add_bos or self.add_eos:
                ids = np.concatenate(
                    [
                        [self.bos_token_id_] if self.add_bos else [],
                        ids,
                        [self.eos_token_id_] if self.add_eos else [],
                    ]
                ).astype(np.int64)
            if self.max_length is not None:
                ids = ids[: self.max_length]
            sequences.append(ids)
        if not self.padding:
            return sequences
        width = self.max_length or max((len(s) for s in sequences), default=0)
        padded = np.full((len(sequences), width), self.pad_token_id_, dtype=np.int64)
        for i, ids in enumerate(sequences):
            padded[i, : len(ids)] = ids
        return padded

    def _check_no_reserved(self, encoded):
        """pad, bos and eos come from the parameters only, never from the texts
        (inverse_transform drops them): raise if a text holds one."""
        reserved = {
            name: getattr(self, f"{name}_token_id_")
            for name in _DROPPED
            if getattr(self, f"{name}_token_id_") is not None
        }
        if not reserved or not encoded:
            return
        # One pass over all ids; specials have the smallest ids.
        everything = np.concatenate(encoded)
        if not everything.size or everything.min() > max(reserved.values()):
            return
        for k, ids in enumerate(encoded):
            for name, id_ in reserved.items():
                if (ids == id_).any():
                    token = getattr(self, f"{name}_token")
                    raise ValueError(
                        f"text {k} holds {name}_token={token!r} as a token, and "
                        "inverse_transform would drop it; choose a "
                        "token that cannot occur in the texts, such as the default "
                        f"'<{name}>', and fit again"
                    )

    def inverse_transform(self, X):
        """Token ids back to texts.

        Padding, ``bos`` and ``eos`` ids are dropped; unknown tokens come back as
        ``unk_token``.

        Parameters
        ----------
        X : list of 1-D array-likes of int, or array-like of shape (n, length)

        Returns
        -------
        texts : list of str
        """
        check_is_fitted(self)
        drop = {self.pad_token_id_, self.bos_token_id_, self.eos_token_id_} - {None}
        texts = []
        for i, ids in enumerate(X):
            ids = np.asarray(ids)
            if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
                raise ValueError(f"sequence {i} is not a 1-D sequence of integer ids")
            if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size_):
                raise ValueError(
                    f"sequence {i} holds ids outside [0, {self.vocab_size_})"
                )
            texts.append(self._join([self.tokens_[t] for t in ids if t not in drop]))
        return texts


_DOC_PARAMETERS = """
    min_frequency : int, default=1
        Keep tokens seen at least this many times in ``fit``.
    max_tokens : int, default=None
        Largest vocabulary, special tokens included (the most frequent tokens
        are kept).
    pad_token, bos_token, eos_token, unk_token : str or None
        Special tokens (padding, begin and end of sequence, unknown), defaults
        ``"<pad>"``, ``"<bos>"``, ``"<eos>"``, ``"<unk>"``; None leaves one out
        (with ``unk_token=None`` an unknown token is an error). ``pad``,
        ``bos`` and ``eos`` tokens may not occur in the texts as tokens (a
        ``ValueError`` in ``fit`` and ``transform``: ``inverse_transform`` would
        drop them); an ``unk_token`` that does is read as the unknown token.
    add_bos, add_eos : bool, default=False
        Wrap every sequence in ``bos`` / ``eos``.
    padding : bool, default=False
        ``transform`` returns one right-padded 2-D array instead of a list.
    max_length : int, default=None
        Cut sequences to this many ids (special tokens included).
"""

_DOC_ATTRIBUTES = """
    vocabulary_ : dict
        Token to id.
    tokens_ : ndarray of object
        Id to token.
    vocab_size_ : int
        Number of ids (special tokens included).
    pad_token_id_, bos_token_id_, eos_token_id_, unk_token_id_ : int or None
        Ids of the special tokens (None where left out).
"""


class CharTokenizer(_Tokenizer):
    __doc__ = f"""Character-level tokenizer: each character is a token.

    Parameters
    ----------
    lowercase : bool, default=False
        Lowercase texts first.
    {_DOC_PARAMETERS.strip()}

    Attributes
    ----------
    {_DOC_ATTRIBUTES.strip()}

    See Also
    --------
    WordTokenizer : Words and punctuation as tokens.
    CausalLMTransformer : A language model over the ids.

    Examples
    --------
    >>> from sklearn_attnrec import CharTokenizer
    >>> tok = CharTokenizer().fit(["hello world"])
    >>> ids = tok.transform(["hello"])
    >>> ids[0]
    array([9, 8, 4, 4, 5])
    >>> tok.inverse_transform(ids)
    ['hello']
    >>> tok.transform(["hex"])[0][-1] == tok.unk_token_id_
    np.True_
    """

    def __init__(
        self,
        *,
        lowercase=False,
        min_frequency=1,
        max_tokens=None,
        pad_token="<pad>",
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
        add_bos=False,
        add_eos=False,
        padding=False,
        max_length=None,
    ):
        self.lowercase = lowercase
        self.min_frequency = min_frequency
        self.max_tokens = max_tokens
        self.pad_token = pad_token
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.unk_token = unk_token
        self.add_bos = add_bos
        self.add_eos = add_eos
        self.padding = padding
        self.max_length = max_length

    def _split(self, text):
        return list(text)

    def _join(self, tokens):
        return "".join(tokens)

    def _count(self, texts):
        counts = Counter()
        for text in texts:
            counts.update(self._prepare(text))
        return counts

    def _encoder(self):
        # Vectorised: code points looked up among the sorted code points of the
        # vocabulary (a million characters in milliseconds).
        chars = sorted((ord(t), i) for t, i in self.vocabulary_.items() if len(t) == 1)
        known = np.array([c for c, _ in chars], dtype=np.uint32)
        ids = np.array([i for _, i in chars], dtype=np.int64)
        unk = self.unk_token_id_

        def encode(text):
            codes = np.frombuffer(self._prepare(text).encode("utf-32-le"), np.uint32)
            pos = np.searchsorted(known, codes).clip(max=len(known) - 1)
            found = known[pos] == codes
            if unk is None and not found.all():
                _raise_unknown(sorted({chr(c) for c in codes[~found]}))
            return np.where(found, ids[pos], unk or 0).astype(np.int64)

        return encode


class WordTokenizer(_Tokenizer):
    __doc__ = f"""Word-level tokenizer: words and punctuation marks are tokens.

    Parameters
    ----------
    lowercase : bool, default=True
        Lowercase texts first.
    token_pattern : str, default=r"\\w+|[^\\w\\s]"
        Regular expression of a token (words, or single punctuation marks). At
        most one capturing group (then the group is the token), and no match of
        the empty string.
    {_DOC_PARAMETERS.strip()}

    Attributes
    ----------
    {_DOC_ATTRIBUTES.strip()}

    See Also
    --------
    CharTokenizer : Characters as tokens.
    AttentionEncoder : Classify or regress token sequences.

    Notes
    -----
    ``inverse_transform`` joins tokens with single spaces.

    Examples
    --------
    >>> from sklearn_attnrec import WordTokenizer
    >>> tok = WordTokenizer().fit(["The cat sat.", "The dog sat."])
    >>> tok.transform(["the dog sat on the mat"])[0]
    array([6, 8, 5, 3, 6, 3])
    >>> tok.inverse_transform([[6, 7, 5]])
    ['the cat sat']
    """

    def __init__(
        self,
        *,
        lowercase=True,
        token_pattern=r"\w+|[^\w\s]",
        min_frequency=1,
        max_tokens=None,
        pad_token="<pad>",
        bos_token="<bos>",
        eos_token="<eos>",
        unk_token="<unk>",
        add_bos=False,
        add_eos=False,
        padding=False,
        max_length=None,
    ):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.min_frequency = min_frequency
        self.max_tokens = max_tokens
        self.pad_token = pad_token
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.unk_token = unk_token
        self.add_bos = add_bos
        self.add_eos = add_eos
        self.padding = padding
        self.max_length = max_length

    _parameter_constraints = {
        **_Tokenizer._parameter_constraints,
        # A regular expression, further checked in _check_params.
        "token_pattern": [str],
    }

    def _check_params(self):
        specials = super()._check_params()
        try:
            pattern = re.compile(self.token_pattern)
        except re.error as exc:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} is not a valid regular "
                f"expression: {exc}"
            ) from exc
        if pattern.groups > 1:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} has {pattern.groups} capturing "
                "groups; use at most one (the token), and (?:...) for the others"
            )
        if pattern.search("") is not None:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} matches the empty string, "
                "which would make empty tokens; use + rather than * (e.g. r'\\w+')"
            )
        return specials

    def _count(self, texts):
        counts = super()._count(texts)
        if "" in counts:
            raise ValueError(
                f"token_pattern={self.token_pattern!r} matched the empty string in "
                "the texts, which would make empty tokens; make every match "
                "consume at least one character"
            )
        return counts

    def _split(self, text):
        return re.findall(self.token_pattern, text)

    def _join(self, tokens):
        return " ".join(tokens)
