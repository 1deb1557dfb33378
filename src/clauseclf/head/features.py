"""The head's clause features: sublinear TF-IDF over word 1-2 grams, the sentence embedding, the
stance-cue flags (``clauseclf.head.cues``) and sublinear TF-IDF over character n-grams inside
word boundaries, as one sparse row per clause."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from clauseclf.errors import ModelFormatError
from clauseclf.head.cues import ALL_STANCE_CUES, CUE_NAMES, stance_flags

#: The word tokens of the TF-IDF features (scikit-learn's default pattern), here and in training.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
TOKEN_RE = re.compile(TOKEN_PATTERN)
#: The character n-gram lengths of the character TF-IDF block (scikit-learn's ``char_wb``).
CHAR_NGRAM_RANGE = (2, 5)


def char_ngrams(text: str, ngram_range: tuple[int, int] = CHAR_NGRAM_RANGE) -> list[str]:
    """The character n-grams of ``text`` as scikit-learn's ``analyzer="char_wb"`` (lowercase)
    makes them: per whitespace-separated word, padded with one space on each side, every
    n-gram of each length in ``ngram_range``; a padded word shorter than n counts once."""
    low, high = ngram_range
    grams: list[str] = []
    append = grams.append
    for word in text.lower().split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            if length <= n:
                append(padded)
                break
            for offset in range(length - n + 1):
                append(padded[offset : offset + n])
    return grams


class TextFeatures:
    """Sublinear TF-IDF over word 1-2 grams (L2-normalised), then the weighted embedding, then
    (if ``stance_weight`` > 0) the weighted flags of the ``stance_cues`` (``STANCE_PATTERNS``),
    then (if ``char_vocabulary`` is not empty) the L2-normalised sublinear TF-IDF over its
    character n-grams (``char_ngrams``) times ``char_weight``."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: np.ndarray,
        embedding_dim: int,
        embedding_weight: float,
        stance_weight: float = 0.0,
        stance_cues: Sequence[str] = ALL_STANCE_CUES,
        char_vocabulary: Sequence[str] = (),
        char_idf: np.ndarray | None = None,
        char_weight: float = 0.0,
    ) -> None:
        idf = np.asarray(idf)
        if idf.ndim != 1 or len(vocabulary) != idf.shape[0]:
            raise ModelFormatError(
                f"vocabulary has {len(vocabulary)} entries but idf has shape {idf.shape}"
            )
        if len(set(vocabulary)) != len(vocabulary):
            raise ModelFormatError("vocabulary has repeated n-grams")
        if not np.issubdtype(idf.dtype, np.number) or not np.all(np.isfinite(idf)):
            raise ModelFormatError("idf holds non-numeric, NaN or infinite values")
        if embedding_dim < 1:
            raise ModelFormatError(f"embedding dimension must be positive, got {embedding_dim}")
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.embedding_dim = int(embedding_dim)
        if not np.isfinite(embedding_weight) or embedding_weight < 0:
            raise ModelFormatError(f"embedding weight must be >= 0, got {embedding_weight!r}")
        self.embedding_weight = float(embedding_weight)
        if not np.isfinite(stance_weight) or stance_weight < 0:
            raise ModelFormatError(f"stance weight must be >= 0, got {stance_weight!r}")
        self.stance_weight = float(stance_weight)
        unknown = [cue for cue in stance_cues if cue not in CUE_NAMES]
        if unknown or len(set(stance_cues)) != len(stance_cues):
            raise ModelFormatError(
                f"stance cues must be distinct names from {list(ALL_STANCE_CUES)}, got "
                f"{list(stance_cues)}"
            )
        self.stance_cues = tuple(stance_cues)
        self._index = {term: i for i, term in enumerate(self.vocabulary)}
        self.char_vocabulary = list(char_vocabulary)
        char_idf = np.zeros(0) if char_idf is None else np.asarray(char_idf)
        if char_idf.ndim != 1 or len(self.char_vocabulary) != char_idf.shape[0]:
            raise ModelFormatError(
                f"character vocabulary has {len(self.char_vocabulary)} entries but its idf has "
                f"shape {char_idf.shape}"
            )
        if len(set(self.char_vocabulary)) != len(self.char_vocabulary):
            raise ModelFormatError("character vocabulary has repeated n-grams")
        if not np.issubdtype(char_idf.dtype, np.number) or not np.all(np.isfinite(char_idf)):
            raise ModelFormatError("character idf holds non-numeric, NaN or infinite values")
        if not np.isfinite(char_weight) or char_weight < 0:
            raise ModelFormatError(f"character weight must be >= 0, got {char_weight!r}")
        if self.char_vocabulary and char_weight == 0:
            raise ModelFormatError("a character vocabulary needs a positive character weight")
        self.char_idf = np.asarray(char_idf, dtype=np.float64)
        self.char_weight = float(char_weight)
        self._char_index = {gram: i for i, gram in enumerate(self.char_vocabulary)}

    @property
    def size(self) -> int:
        """Number of features: vocabulary, embedding dimension, stance flags (if used) and
        character vocabulary."""
        stance = len(self.stance_cues) if self.stance_weight > 0 else 0
        return len(self.vocabulary) + self.embedding_dim + stance + len(self.char_vocabulary)

    def transform(self, texts: Sequence[str], embeddings: np.ndarray) -> sp.csr_matrix:
        """Feature rows for ``texts`` and their ``embeddings`` (n, embedding_dim)."""
        if isinstance(texts, (str, bytes)) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a sequence of str (one clause per item)")
        try:
            embeddings = np.asarray(embeddings, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("embeddings must be a numeric array") from None
        if embeddings.ndim != 2 or embeddings.shape != (len(texts), self.embedding_dim):
            raise ValueError(
                f"expected embeddings of shape ({len(texts)}, {self.embedding_dim}), "
                f"got {embeddings.shape}"
            )
        blocks = [self.tfidf(texts), sp.csr_matrix(embeddings * self.embedding_weight)]
        if self.stance_weight > 0:
            blocks.append(sp.csr_matrix(stance_flags(texts, self.stance_cues) * self.stance_weight))
        if self.char_vocabulary:
            blocks.append(self.char_tfidf(texts) * self.char_weight)
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF block (n, vocabulary size) of the features of ``texts``."""
        counts = self.counts(texts)
        counts.data = self.weigh(counts.data, counts.indices)
        return _l2_rows(counts)

    def char_tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The character TF-IDF block (n, character vocabulary size), before its weight."""
        counts = self.char_counts(texts)
        counts.data = np.asarray((1.0 + np.log(counts.data)) * self.char_idf[counts.indices])
        return _l2_rows(counts)

    def char_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """How often each character n-gram of the vocabulary occurs in each text (as
        scikit-learn's ``CountVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAM_RANGE)``)."""
        index = self._char_index
        columns: list[int] = []
        row_starts = [0]
        for text in texts:
            columns.extend(
                column for column in map(index.get, char_ngrams(text)) if column is not None
            )
            row_starts.append(len(columns))
        return _count_matrix(columns, row_starts, len(self.char_vocabulary))

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """How often each vocabulary n-gram occurs in each text (n, vocabulary size).

        The n-grams are scikit-learn's ``CountVectorizer(ngram_range=(1, 2), lowercase=True)``
        ones (the training side uses its TfidfVectorizer), counted here without importing
        scikit-learn, so that loading a model stays fast."""
        index = self._index
        columns: list[int] = []
        row_starts = [0]
        for text in texts:
            tokens = TOKEN_RE.findall(text.lower())
            for token in tokens:
                column = index.get(token)
                if column is not None:
                    columns.append(column)
            for first, second in itertools.pairwise(tokens):
                column = index.get(f"{first} {second}")
                if column is not None:
                    columns.append(column)
            row_starts.append(len(columns))
        return _count_matrix(columns, row_starts, len(self.vocabulary))

    def weigh(self, counts: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """Sublinear TF-IDF of n-gram counts (before the row's L2 normalisation)."""
        return np.asarray((1.0 + np.log(counts)) * self.idf[terms])


def _count_matrix(columns: list[int], row_starts: list[int], width: int) -> sp.csr_matrix:
    counts = sp.csr_matrix(
        (
            np.ones(len(columns), dtype=np.float64),
            np.asarray(columns, dtype=np.int64),
            np.asarray(row_starts, dtype=np.int64),
        ),
        shape=(len(row_starts) - 1, width),
    )
    counts.sum_duplicates()
    return counts


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
