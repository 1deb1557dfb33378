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
        self._char_table = _CharTable(self.char_vocabulary)

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
        blocks: list[sp.csr_matrix | np.ndarray] = [self.tfidf(texts)]
        if self.char_vocabulary:
            char = self.char_tfidf(texts)
            char.data *= self.char_weight
        blocks.append(embeddings * self.embedding_weight)
        del embeddings
        if self.stance_weight > 0:
            blocks.append(stance_flags(texts, self.stance_cues) * self.stance_weight)
        if self.char_vocabulary:
            blocks.append(char)
            del char
        return _stack_columns(blocks)

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
        scikit-learn's ``CountVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAM_RANGE)``).

        Vectorised: the texts become one string of their lower-cased words, each padded with a
        space, joined by two spaces, so that the ``char_wb`` n-grams are exactly the windows
        that hold no two spaces in a row (the vocabulary holds none such); every window is
        looked up in the vocabulary by a 64-bit polynomial hash of its code points (a false
        match needs a hash collision with a vocabulary n-gram, about 1 in 10^14 per window)."""
        width = len(self.char_vocabulary)
        starts: list[int] = []
        pieces: list[str] = []
        position = 0
        for text in texts:
            words = text.lower().split()
            piece = " " + "  ".join(words) + " " if words else ""
            starts.append(position)
            pieces.append(piece)
            position += len(piece) + 2
        if not width or not position:
            return sp.csr_matrix((len(texts), width), dtype=np.float64)
        codes = np.frombuffer("  ".join(pieces).encode("utf-32-le"), dtype=np.uint32)
        del pieces
        codes = codes.astype(np.uint64)
        row_starts = np.asarray(starts, dtype=np.int64)
        hashes = codes
        # Per n-gram found: row * width + column, the n-grams of one length at a time.
        found: list[np.ndarray] = []
        low, high = CHAR_NGRAM_RANGE
        for n in range(2, high + 1):
            if len(codes) < n:
                break
            hashes = hashes[:-1] * _HASH_BASE + codes[n - 1 :]
            if n < low:
                continue
            columns = self._char_table.lookup(hashes)
            hit = np.flatnonzero(columns >= 0)
            rows = np.searchsorted(row_starts, hit, side="right") - 1
            found.append(rows * width + columns[hit])
            del columns, hit, rows
        del codes, hashes
        keys = np.concatenate(found) if found else np.zeros(0, np.int64)
        del found
        keys.sort()  # in place, then counted as np.unique(keys, return_counts=True) would
        first = np.flatnonzero(np.diff(keys, prepend=-1))
        counts = np.diff(first, append=len(keys)).astype(np.float64)
        keys = keys[first]
        indptr = np.searchsorted(keys, np.arange(len(texts) + 1, dtype=np.int64) * width)
        return sp.csr_matrix((counts, keys % width, indptr), shape=(len(texts), width))

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


#: Multiplier of the polynomial hash of character n-grams (the 64-bit FNV prime).
_HASH_BASE = np.uint64(0x100000001B3)
#: A hash times this (modulo 2^64), its top bits are its slot (Fibonacci hashing).
_SLOT_MIX = np.uint64(0x9E3779B97F4A7C15)


class _CharTable:
    """An open-addressing hash table from the polynomial hash of a character n-gram (code
    points c1..cn: ((c1 * B + c2) * B + ...) + cn modulo 2^64) to its vocabulary column; a
    hash's slot is the top bits of the hash times ``_SLOT_MIX``."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        bits = max(10, (4 * len(vocabulary)).bit_length())  # at most a quarter of slots used
        self.shift = np.uint64(64 - bits)
        self.mask = (1 << bits) - 1
        hashes = np.zeros(len(vocabulary), dtype=np.uint64)
        by_length: dict[int, list[int]] = {}
        for column, gram in enumerate(vocabulary):
            if len(gram) < 2 or "  " in gram or any(c.isspace() for c in gram[1:-1]):
                raise ModelFormatError(
                    f"character vocabulary entry {gram!r} is not a char_wb n-gram (2 or more "
                    "characters, spaces only at its ends)"
                )
            by_length.setdefault(len(gram), []).append(column)
        for length, members in by_length.items():
            codes = np.frombuffer(
                "".join(vocabulary[c] for c in members).encode("utf-32-le"), dtype=np.uint32
            ).reshape(len(members), length)
            values = codes[:, 0].astype(np.uint64)
            for k in range(1, length):
                values = values * _HASH_BASE + codes[:, k].astype(np.uint64)
            hashes[members] = values
        keys = [0] * (1 << bits)
        columns = [-1] * (1 << bits)
        self.probes = 1
        first_slots = ((hashes * _SLOT_MIX) >> self.shift).astype(np.int64).tolist()
        for column, (value, slot) in enumerate(zip(hashes.tolist(), first_slots, strict=True)):
            probes = 1
            while columns[slot] >= 0:
                if keys[slot] == value:
                    raise ModelFormatError(
                        f"character vocabulary entries {vocabulary[columns[slot]]!r} and "
                        f"{vocabulary[column]!r} share a hash"
                    )
                slot = (slot + 1) & self.mask
                probes += 1
            keys[slot] = value
            columns[slot] = column
            self.probes = max(self.probes, probes)
        self.keys = np.asarray(keys, dtype=np.uint64)
        self.columns = np.asarray(columns, dtype=np.int64)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The column of each hash (-1 where no vocabulary n-gram has it)."""
        found = np.full(len(hashes), -1, dtype=np.int64)
        pending = np.arange(len(hashes))
        slots = ((hashes * _SLOT_MIX) >> self.shift).astype(np.int64)
        for _ in range(self.probes):
            columns = self.columns[slots]
            filled = columns >= 0
            match = filled & (self.keys[slots] == hashes[pending])
            found[pending[match]] = columns[match]
            go_on = filled & ~match
            pending, slots = pending[go_on], (slots[go_on] + 1) & self.mask
            if not len(pending):
                break
        return found


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


def _stack_columns(blocks: list[sp.csr_matrix | np.ndarray]) -> sp.csr_matrix:
    """``sp.hstack(blocks, format="csr")`` of sparse and dense (n, k) float64 blocks (a dense
    block's zeros left out, as ``sp.csr_matrix`` of it does), written straight into the
    result's arrays, each block let go once copied (``blocks`` is emptied)."""
    rows = blocks[0].shape[0]
    widths = [block.shape[1] for block in blocks]
    lengths = np.zeros(rows, dtype=np.int64)
    for block in blocks:
        if isinstance(block, np.ndarray):
            lengths += np.count_nonzero(block, axis=1)
        else:
            lengths += np.diff(block.indptr)
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    total = int(indptr[-1])
    index_type = np.int32 if max(total, sum(widths)) < np.iinfo(np.int32).max else np.int64
    data = np.empty(total, dtype=np.float64)
    indices = np.empty(total, dtype=index_type)
    filled = indptr[:-1].copy()  # where each row's next block goes
    offset = 0
    blocks.reverse()
    while blocks:
        block = blocks.pop()
        if isinstance(block, np.ndarray):
            nonzero = block != 0
            if nonzero.all():  # no zero to leave out (embeddings): written in place, by row
                del nonzero
                width = block.shape[1]
                places = filled[:, None].astype(index_type) + np.arange(width, dtype=index_type)
                data[places] = block
                indices[places] = np.arange(offset, offset + width, dtype=index_type)
                del block, places
                filled += width
                offset += width
                continue
            block_lengths = np.count_nonzero(nonzero, axis=1)
            values, columns = block[nonzero], np.nonzero(nonzero)[1].astype(index_type)
            del nonzero
        else:
            block_lengths = np.diff(block.indptr)
            values, columns = block.data, block.indices
        del block
        starts = filled - np.concatenate([[0], np.cumsum(block_lengths)[:-1]])
        target = np.repeat(starts.astype(index_type), block_lengths)
        target += np.arange(len(values), dtype=index_type)
        data[target] = values
        indices[target] = columns + offset
        del target, values, columns
        filled += block_lengths
        offset += widths[len(widths) - len(blocks) - 1]
    return sp.csr_matrix((data, indices, indptr), shape=(rows, offset))


def _l2_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
