"""``ClauseHead``: clause features (TF-IDF n-grams + sentence embedding + stance flags) ->
types, severity, calibrated probabilities and confidence, the top label its type ranker
chooses, and the evidence spans behind each predicted type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from clauseclf.errors import ModelFormatError
from clauseclf.evidence import Evidence
from clauseclf.head.evidence import MAX_EVIDENCE_SPANS, lexical_evidence
from clauseclf.head.features import TextFeatures
from clauseclf.head.io import check_head, load_head, save_head
from clauseclf.head.output import (
    NEVER_LEVEL_BIAS,
    HeadOutput,
    PracticeRanking,
    cue_gate,
    platt_probabilities,
    ranked_top,
    top_label_probability,
)
from clauseclf.head.practices import softmax_rows

#: Clauses whose features ``ClauseHead.predict`` builds and classifies at a time by default
#: (a block's feature matrix and the intermediates that make it take about 20 KB a clause; a
#: long document's are built fewer at a time, ``pipeline.LONG_DOCUMENT_FEATURE_ROWS``).
FEATURE_ROWS = 512


class ClauseHead:
    """One-vs-rest linear type scores with per-type Platt calibration and thresholds, a linear
    severity model per type, and an isotonic map from top-label probability to confidence.
    Stored as ``head.json`` + ``head.npz`` (no pickle; ``clauseclf.head.io``)."""

    def __init__(
        self,
        *,
        types: Sequence[str],
        severity_scale: Sequence[str],
        features: TextFeatures,
        type_weights: np.ndarray,
        type_bias: np.ndarray,
        platt: np.ndarray,
        thresholds: np.ndarray,
        severity_weights: np.ndarray,
        severity_bias: np.ndarray,
        confidence_curve: np.ndarray,
        rank_weights: np.ndarray | None = None,
        rank_bias: np.ndarray | None = None,
        rank_practices: PracticeRanking | None = None,
        required_cues: Mapping[str, str] | None = None,
        top_severity_gate: float = 0.0,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.types = tuple(types)
        #: Types predicted only for clauses with a cue (type -> cue name in ``STANCE_PATTERNS``
        #: or ``TOPIC_PATTERNS``): elsewhere their probability is 0.
        self.required_cues = dict(required_cues or {})
        self.severity_scale = tuple(severity_scale)
        self.features = features
        self.type_weights = np.asarray(type_weights, dtype=np.float32)
        self.type_bias = np.asarray(type_bias, dtype=np.float64)
        self.platt = np.asarray(platt, dtype=np.float64)
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        # Stored as float16 on disk: round now so a loaded head predicts exactly like this one.
        self.severity_weights = np.asarray(severity_weights, dtype=np.float16).astype(np.float32)
        self.severity_bias = np.asarray(severity_bias, dtype=np.float64)
        #: A predicted type gets the scale's highest level only when P(type) times P(that
        #: level | type) (the softmax of its severity scores) reaches this; otherwise its most
        #: probable lower level (a type that never takes a lower level keeps it). 0: never held
        #: back.
        self.top_severity_gate = float(top_severity_gate)
        self.confidence_curve = np.asarray(confidence_curve, dtype=np.float64)
        if (rank_weights is None) != (rank_bias is None):
            raise ModelFormatError("rank_weights and rank_bias go together")
        #: The type ranker (a multiclass linear model over the same features) that picks the top
        #: label among the predicted types; None: the most probable predicted type is the top.
        self.rank_weights = (
            None if rank_weights is None else np.asarray(rank_weights, dtype=np.float32)
        )
        self.rank_bias = None if rank_bias is None else np.asarray(rank_bias, dtype=np.float64)
        #: Practice evidence the ranker adds to its scores (None: the ranker alone).
        self.rank_practices = rank_practices
        self.settings = dict(settings or {})
        check_head(self)

    @property
    def embedding_dim(self) -> int:
        """The length of the sentence embeddings the features take."""
        return self.features.embedding_dim

    def decision_scores(self, features: sp.csr_matrix) -> np.ndarray:
        """Uncalibrated one-vs-rest scores (n, T)."""
        return self._decision_scores(UsedColumns(features))

    def _decision_scores(self, used: UsedColumns) -> np.ndarray:
        return used.times(self.type_weights) + self.type_bias

    def predict(
        self, texts: Sequence[str], embeddings: np.ndarray, *, feature_rows: int | None = None
    ) -> HeadOutput:
        """Types, severities and confidences for clause ``texts`` and their ``embeddings``; the
        features built and classified ``feature_rows`` (default ``FEATURE_ROWS``) clauses at a
        time (a row's output depends on its clause alone: the same arrays, bit for bit), the
        products over embeddings made once for all rows."""
        rows = FEATURE_ROWS if feature_rows is None else feature_rows
        if rows < 1:
            raise ValueError(f"feature_rows must be at least 1, got {rows}")
        ranker = self.rank_weights is not None and self.rank_bias is not None
        practices = self.rank_practices if ranker else None
        blocks = [
            self._block_scores(texts[start : start + rows], embeddings[start : start + rows])
            for start in range(0, max(len(texts), 1), rows)
        ]
        probabilities, predicted, severity, scores, text_logits = (
            parts[0] if len(blocks) == 1 else np.concatenate(parts)
            for parts in zip(*blocks, strict=True)
        )
        del blocks
        if practices is not None:
            # The products over embeddings after the feature blocks, back to back.
            logits = practices.practices.embedding_logits(embeddings)
            if practices.practices.text_weights is not None:
                logits += text_logits
            del text_logits
            scores += practices.type_scores(softmax_rows(logits))
        elif not ranker:
            scores = probabilities
        top = ranked_top(scores, predicted)
        top_probability = top_label_probability(probabilities, predicted, top)
        confidence = np.interp(top_probability, self.confidence_curve[0], self.confidence_curve[1])
        first = np.argmax(scores, axis=1) if scores.shape[1] else np.full(len(texts), -1)
        return HeadOutput(probabilities, predicted, severity, confidence, top, first)

    def _block_scores(
        self, texts: Sequence[str], embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Probabilities, predicted, severity, the type ranker's linear scores (empty without
        a ranker) and the TF-IDF part of the practice logits (empty without text weights) of
        one block of rows."""
        features = self.features.transform(texts, embeddings)
        used = UsedColumns(features)
        probabilities = platt_probabilities(self._decision_scores(used), self.platt)
        if self.required_cues:
            probabilities *= cue_gate(texts, self.types, self.required_cues)
        predicted = probabilities >= self.thresholds
        severity = self._severity(used, probabilities)
        empty = np.empty((len(texts), 0))
        if self.rank_weights is None or self.rank_bias is None:
            return probabilities, predicted, severity, empty, empty
        scores = used.times(self.rank_weights) + self.rank_bias
        del used
        practices = self.rank_practices.practices if self.rank_practices is not None else None
        if practices is None or practices.text_weights is None:
            return probabilities, predicted, severity, scores, empty
        tfidf = features[:, : len(self.features.vocabulary)]
        del features  # the block's other columns let go before the product
        return probabilities, predicted, severity, scores, practices.text_logits(tfidf)

    def rank_scores(
        self, features: sp.csr_matrix, embeddings: np.ndarray, probabilities: np.ndarray
    ) -> np.ndarray:
        """The scores (n, T) that order the types (the top label is the best predicted one):
        the type ranker's plus its practice evidence, or without a ranker the probabilities.
        ``features``: ``self.features.transform(texts, embeddings)``, whose first columns are
        the TF-IDF block the practice map reads."""
        return self._rank_scores(features, UsedColumns(features), embeddings, probabilities)

    def _rank_scores(
        self,
        features: sp.csr_matrix,
        used: UsedColumns,
        embeddings: np.ndarray,
        probabilities: np.ndarray,
    ) -> np.ndarray:
        if self.rank_weights is None or self.rank_bias is None:
            return probabilities
        scores = used.times(self.rank_weights) + self.rank_bias
        if self.rank_practices is not None:
            tfidf = features[:, : len(self.features.vocabulary)]
            scores += self.rank_practices.scores(embeddings, tfidf)
        return scores

    def evidence(
        self,
        texts: Sequence[str],
        predicted: np.ndarray,
        *,
        max_spans: int = MAX_EVIDENCE_SPANS,
    ) -> list[Evidence]:
        """For each text, its predicted types (``predicted`` (n, T), as in ``HeadOutput``) ->
        up to ``max_spans`` evidence spans, strongest first ({} when no type is predicted):
        the n-grams and stance cues that raise the type's calibrated log-odds most
        (``clauseclf.head.evidence.lexical_evidence`` tells how)."""
        return lexical_evidence(
            texts,
            predicted,
            features=self.features,
            types=self.types,
            type_weights=self.type_weights,
            platt=self.platt,
            max_spans=max_spans,
        )

    def _severity(self, used: UsedColumns, probabilities: np.ndarray) -> np.ndarray:
        n, types = used.features.shape[0], len(self.types)
        levels_count = len(self.severity_scale)
        scores = np.empty((n, types, levels_count))
        for first in range(0, types, SEVERITY_TYPES):
            # SEVERITY_TYPES types' weights at the used rows in float64 at a time, one product
            # for them (each output column is its own sum: the same as one type at a time).
            count = min(SEVERITY_TYPES, types - first)
            rows = np.empty((len(used.columns), count, levels_count))
            for offset in range(count):  # one type's rows in float32 at a time, no more
                rows[:, offset] = np.take(self.severity_weights[first + offset], used.columns, 0)
            weights = rows.reshape(len(used.columns), count * levels_count)
            del rows
            products = np.asarray(used.features @ weights)
            del weights
            scores[:, first : first + count] = products.reshape(n, count, levels_count)
        scores += self.severity_bias[:types]
        levels = np.argmax(scores, axis=2)
        top = levels_count - 1
        if self.top_severity_gate > 0 and top > 0:
            shifted = scores - scores.max(axis=2, keepdims=True)
            level_probability = np.exp(shifted[:, :, top]) / np.exp(shifted).sum(axis=2)
            held = (
                (levels == top)
                & self._takes_a_lower_level(top)
                & (probabilities * level_probability < self.top_severity_gate)
            )
            levels[held] = np.argmax(scores[held][:, :top], axis=1)
        return np.asarray(levels, dtype=np.int64)

    def _takes_a_lower_level(self, top: int) -> np.ndarray:
        """Per type, whether its severity model takes a level below ``top`` (a type fitted on
        the highest level alone has only ``NEVER_LEVEL_BIAS`` biases and zero weights there:
        the gate leaves it at the highest)."""
        types = len(self.types)
        never = (self.severity_bias[:types, :top] == NEVER_LEVEL_BIAS).all(axis=1)
        takes: np.ndarray = ~never
        for column in np.flatnonzero(never):
            takes[column] = bool(np.any(self.severity_weights[column][:, :top]))
        return takes

    def save(self, directory: str | Path) -> None:
        """Write ``head.json`` and ``head.npz`` into an existing folder."""
        save_head(self, directory)

    @classmethod
    def load(cls, directory: str | Path) -> ClauseHead:
        """Read a head saved by ``save``; ``ModelFormatError`` if missing, corrupt or foreign."""
        return load_head(directory, cls)


class UsedColumns:
    """A feature matrix reduced to the columns its rows use (``columns``, ascending; ``features``
    has one column for each, in that order), to multiply it by the rows of a weight matrix at
    ``columns`` only: the same products, term by term in the same order, as with the whole
    matrix (so the same sums, bit for bit), with a block's share of the weights converted."""

    def __init__(self, features: sp.csr_matrix) -> None:
        features = sp.csr_matrix(features)
        used = np.zeros(features.shape[1], dtype=bool)
        used[features.indices] = True
        self.columns = np.flatnonzero(used)
        position = np.cumsum(used, dtype=features.indices.dtype) - 1  # a used column's new index
        indices = position[features.indices]
        del used, position
        self.features = sp.csr_matrix(
            (features.data, indices, features.indptr), shape=(features.shape[0], len(self.columns))
        )

    def rows(self, weights: np.ndarray) -> np.ndarray:
        """The rows of ``weights`` (one per feature of the whole matrix) at ``columns``."""
        return np.take(weights, self.columns, axis=0)

    def times(self, weights: np.ndarray) -> np.ndarray:
        """``features @ weights`` of the whole feature matrix, in float64 (``times_weights``)."""
        return times_weights(self.features, weights, rows=self.columns)


#: Types whose severity weights ``ClauseHead`` converts to float64 at a time.
SEVERITY_TYPES = 4
#: Columns of a weight matrix converted to float64 at a time by ``times_weights``.
WEIGHT_COLUMNS = 7


def times_weights(
    features: sp.csr_matrix, weights: np.ndarray, *, rows: np.ndarray | None = None
) -> np.ndarray:
    """``features @ weights`` in float64, ``WEIGHT_COLUMNS`` columns of the (float32) weights
    converted at a time rather than all of them (the same sums, in the same order). ``rows``:
    the rows of ``weights`` that the columns of ``features`` stand for (``UsedColumns``)."""
    out = np.empty((features.shape[0], weights.shape[1]))
    for start in range(0, weights.shape[1], WEIGHT_COLUMNS):
        columns = slice(start, start + WEIGHT_COLUMNS)
        # those columns' rows alone in float32, not all columns' at once
        part = weights[:, columns] if rows is None else weights[rows, columns]
        out[:, columns] = features @ part.astype(np.float64)
        del part
    return out
