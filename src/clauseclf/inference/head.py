"""The trained head: clause features (TF-IDF n-grams + sentence embedding) -> types, severity,
calibrated probabilities and confidence, and the evidence spans behind each predicted type.
Stored as ``head.json`` + ``head.npz`` (no pickle).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from clauseclf.errors import ModelFormatError
from clauseclf.evidence import Evidence, EvidenceSpan

HEAD_JSON = "head.json"
HEAD_NPZ = "head.npz"
HEAD_FORMAT_VERSION = 1
#: Names of the ranker's practice-map arrays in head.npz start with this.
RANK_PRACTICE_PREFIX = "rank_practice_"
#: The word tokens of the TF-IDF features (scikit-learn's default pattern), here and in training.
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
_TOKEN_RE = re.compile(TOKEN_PATTERN)
#: Most evidence spans returned per predicted type (after merging).
MAX_EVIDENCE_SPANS = 3
#: An n-gram or stance cue is evidence only if it weighs at least this share of the strongest.
EVIDENCE_MIN_SHARE = 0.2


@dataclass(frozen=True)
class HeadOutput:
    """The head's raw output for n clauses and T types (columns in ``ClauseHead.types`` order).

    ``probabilities`` (n, T): calibrated P(type applies); ``predicted`` (n, T): the decision per
    type; ``severity`` (n, T): index into the severity scale, the severity if that type applies;
    ``confidence`` (n,): calibrated P(the top label is right); ``top`` (n,): the column of the
    top label, -1 for "other" (no type predicted). The top label is the predicted type the head's
    type ranker scores highest (without a ranker: the most probable predicted type); when
    ``top`` is not given it is the most probable predicted type. ``ranked_first`` (n,): the
    column of the type the ranker puts first among all types, predicted or not: the head's
    best guess of the type of a clause known to have one; when not given, the most probable
    type.
    """

    probabilities: np.ndarray
    predicted: np.ndarray
    severity: np.ndarray
    confidence: np.ndarray
    top: np.ndarray = None  # type: ignore[assignment]  # filled in by __post_init__
    ranked_first: np.ndarray = None  # type: ignore[assignment]  # filled in by __post_init__

    def __post_init__(self) -> None:
        if self.top is None:
            object.__setattr__(
                self, "top", most_probable_predicted(self.probabilities, self.predicted)
            )
        if self.ranked_first is None:
            first = (
                np.argmax(self.probabilities, axis=1)
                if self.probabilities.shape[1]
                else np.full(self.probabilities.shape[0], -1)
            )
            object.__setattr__(self, "ranked_first", np.asarray(first, dtype=np.int64))


#: Wording about AI, machine learning, models, algorithms, automation or training (a superset of
#: the keyword groups with which the shared ai_training set was collected, except "improve our
#: services"), assistants, speech, voice, detection or an "engine"; matched on lower-cased text.
AI_WORDING = (
    r"\ba\.?i\b|artificial|intelligen|machine|learn|neural|generative|\bllms?\b|gpt|openai"
    r"|chat ?bot|copilot|assistant|\bmodel|algorithm|\btrain|automat|predict|recogni[sz]"
    r"|large language|speech|voice|engine|detect|biometric|synthe[st]"
)

#: Stance cues of policy wording, as (name, pattern) on lower-cased text. A linear model over
#: n-grams and embeddings cannot tell "we sell" from "we do not sell" well; these flags let the
#: severity model see the negation, opt-in / opt-out and anonymisation that decide it.
STANCE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "negated_practice",
        r"(?:\bnot|\bnever|\bno longer|n't|\bneither|\bnor)\s+(?:\w+\s+){0,3}?(?:sell|rent|"
        r"share|use|"
        r"train|disclose|trade|transfer|collect|track|process|provide|give)",
    ),
    (
        "opt_in_or_consent",
        r"\bopt(?:s|ed)?[- ]?in\b|\bonly (?:with|after) (?:your )?(?:explicit |prior )?consent|"
        r"\bunless you (?:choose|agree|opt|consent|give)",
    ),
    ("opt_out", r"\bopt(?:s|ed)?[- ]?out\b|\b(?:turn|switch)(?:ed)? (?:it )?off\b|\bdisable\b"),
    (
        "no_choice",
        r"\b(?:cannot|can't|can not|unable to|no way to|not possible to)\s+(?:\w+\s+){0,2}?"
        r"(?:opt|turn|switch|disable|object|refuse)",
    ),
    ("deidentified", r"\b(?:anonymi[sz]ed|aggregated?|de-?identified|pseudonymi[sz]ed)\b"),
    # a rule addressed to the user ("you will not use the Services to train ..."), not a
    # practice of the service (5 platform folds: ai_training F1 0.727 -> 0.751, the other
    # metrics within 0.002)
    (
        "user_prohibition",
        r"\byou (?:will|shall|may|must|agree|undertake) (?:not|never)\b|"
        r"\byou (?:are|aren't|are not) (?:not )?(?:allowed|permitted)|"
        r"^\W*(?:\(?\w{1,3}\)\s*)?(?:do not|don't|not to|never) use\b|"
        r"\bnot (?:to )?use (?:the|our|any) (?:services?|software|platform|output)",
    ),
)

#: Cues of what a clause is about rather than its stance. A head can require one for a type
#: (``ClauseHead.required_cues``): ai_training only where a clause has AI wording.
TOPIC_PATTERNS: tuple[tuple[str, str], ...] = (("ai_wording", AI_WORDING),)

#: The stance cues of heads saved before cues were named in ``head.json``.
LEGACY_STANCE_CUES = (
    "negated_practice",
    "opt_in_or_consent",
    "opt_out",
    "no_choice",
    "deidentified",
)

_STANCE_RES = {name: re.compile(pattern) for name, pattern in STANCE_PATTERNS + TOPIC_PATTERNS}
ALL_STANCE_CUES = tuple(name for name, _ in STANCE_PATTERNS)


def has_ai_wording(text: str) -> bool:
    """Whether ``text`` has ``AI_WORDING``."""
    return _STANCE_RES["ai_wording"].search(text.lower()) is not None


def cue_gate(
    texts: Sequence[str], types: Sequence[str], required_cues: Mapping[str, str]
) -> np.ndarray:
    """(n, len(types)) 1/0 multipliers of the type probabilities: 0 where a type in
    ``required_cues`` (type -> cue name) lacks its cue, 1 elsewhere."""
    gate = np.ones((len(texts), len(types)))
    for type_id, cue in required_cues.items():
        gate[:, list(types).index(type_id)] = stance_flags(texts, [cue])[:, 0]
    return gate


def stance_flags(texts: Sequence[str], cues: Sequence[str] = ALL_STANCE_CUES) -> np.ndarray:
    """(n, len(cues)) 0/1 flags of the stance ``cues`` (names in ``STANCE_PATTERNS``) in each
    text."""
    patterns = [_STANCE_RES[cue] for cue in cues]
    flags = np.zeros((len(texts), len(patterns)))
    for row, text in enumerate(texts):
        lowered = text.lower().replace("\u2019", "'")
        for column, pattern in enumerate(patterns):
            if pattern.search(lowered):
                flags[row, column] = 1.0
    return flags


class TextFeatures:
    """Sublinear TF-IDF over word 1-2 grams (L2-normalised), then the weighted embedding, then
    (if ``stance_weight`` > 0) the weighted flags of the ``stance_cues`` (``STANCE_PATTERNS``)."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: np.ndarray,
        embedding_dim: int,
        embedding_weight: float,
        stance_weight: float = 0.0,
        stance_cues: Sequence[str] = ALL_STANCE_CUES,
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
        self.embedding_weight = float(embedding_weight)
        if not np.isfinite(stance_weight) or stance_weight < 0:
            raise ModelFormatError(f"stance weight must be >= 0, got {stance_weight!r}")
        self.stance_weight = float(stance_weight)
        unknown = [cue for cue in stance_cues if cue not in _STANCE_RES]
        if unknown or len(set(stance_cues)) != len(stance_cues):
            raise ModelFormatError(
                f"stance cues must be distinct names from {list(ALL_STANCE_CUES)}, got "
                f"{list(stance_cues)}"
            )
        self.stance_cues = tuple(stance_cues)
        self._index = {term: i for i, term in enumerate(self.vocabulary)}

    @property
    def size(self) -> int:
        """Number of features: vocabulary, embedding dimension and stance flags (if used)."""
        stance = len(self.stance_cues) if self.stance_weight > 0 else 0
        return len(self.vocabulary) + self.embedding_dim + stance

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
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF block (n, vocabulary size) of the features of ``texts``."""
        counts = self.counts(texts)
        counts.data = self._weigh(counts.data, counts.indices)
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ counts)

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """How often each vocabulary n-gram occurs in each text (n, vocabulary size).

        The n-grams are scikit-learn's ``CountVectorizer(ngram_range=(1, 2), lowercase=True)``
        ones (the training side uses its TfidfVectorizer), counted here without importing
        scikit-learn, so that loading a model stays fast."""
        index = self._index
        columns: list[int] = []
        row_starts = [0]
        for text in texts:
            tokens = _TOKEN_RE.findall(text.lower())
            for token in tokens:
                column = index.get(token)
                if column is not None:
                    columns.append(column)
            for first, second in itertools.pairwise(tokens):
                column = index.get(f"{first} {second}")
                if column is not None:
                    columns.append(column)
            row_starts.append(len(columns))
        counts = sp.csr_matrix(
            (
                np.ones(len(columns), dtype=np.float64),
                np.asarray(columns, dtype=np.int64),
                np.asarray(row_starts, dtype=np.int64),
            ),
            shape=(len(row_starts) - 1, len(self.vocabulary)),
        )
        counts.sum_duplicates()
        return counts

    def _weigh(self, counts: np.ndarray, terms: np.ndarray) -> np.ndarray:
        """Sublinear TF-IDF of n-gram counts (before the row's L2 normalisation)."""
        return np.asarray((1.0 + np.log(counts)) * self.idf[terms])


class _Tokens:
    """A text's tokens as the vectorizer sees them, with their (start, end) in the text."""

    def __init__(self, text: str) -> None:
        lowered, origin = _lowered_with_origin(text)
        matches = list(_TOKEN_RE.finditer(lowered))
        self.words = [match.group() for match in matches]
        self.spans = [_original_span(origin, match.start(), match.end()) for match in matches]
        self.positions: dict[str, list[int]] = {}
        for position, word in enumerate(self.words):
            self.positions.setdefault(word, []).append(position)

    def find(self, term: str) -> list[tuple[int, int]]:
        """Offsets of every occurrence of the unigram or bigram ``term``."""
        first, _, second = term.partition(" ")
        starts = self.positions.get(first, [])
        if not second:
            return [self.spans[i] for i in starts]
        last = len(self.words) - 1
        return [
            (self.spans[i][0], self.spans[i + 1][1])
            for i in starts
            if i < last and self.words[i + 1] == second
        ]


def stance_spans(text: str, cues: Sequence[str] = ALL_STANCE_CUES) -> list[list[tuple[int, int]]]:
    """For each of the stance ``cues``, the (start, end) offsets in ``text`` of its matches,
    widened to whole words (empty when the cue is absent)."""
    lowered, origin = _lowered_with_origin(text)
    lowered = lowered.replace("\u2019", "'")
    found: list[list[tuple[int, int]]] = []
    for pattern in (_STANCE_RES[cue] for cue in cues):
        spans = []
        for match in pattern.finditer(lowered):
            start, end = _original_span(origin, match.start(), match.end())
            while start > 0 and text[start - 1].isalnum():
                start -= 1
            while end < len(text) and text[end].isalnum():
                end += 1
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                spans.append((start, end))
        found.append(spans)
    return found


def _lowered_with_origin(text: str) -> tuple[str, list[int] | None]:
    """``text.lower()`` (as the vectorizer lower-cases) and, when lower-casing changed the
    length (e.g. "\u0130"), the index in ``text`` of each lower-cased character."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, None
    origin = [index for index, char in enumerate(text) for _ in char.lower()]
    if len(origin) != len(lowered):
        raise ValueError("cannot map lower-cased offsets back to the clause text")
    return lowered, origin


def _original_span(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


@dataclass(frozen=True, eq=False)
class PracticeRanking:
    """Practice evidence for the type ranker. ``practices``: a ``PracticeMap`` over the head's
    TF-IDF rows and the embeddings (``clauseclf.inference.practices``); ``types`` (P, T): each
    practice's share of each type among the training clauses that name it; ``weight``: the
    ranker adds ``weight`` times P(type) through the practices to its scores."""

    practices: Any  # a PracticeMap (its module imports this one)
    types: np.ndarray
    weight: float

    def scores(self, embeddings: np.ndarray, tfidf: sp.spmatrix) -> np.ndarray:
        """``weight`` times each clause's type distribution through its practice probabilities."""
        probabilities = np.asarray(self.practices.probabilities(embeddings, tfidf))
        return np.asarray(self.weight * (probabilities @ self.types))


class ClauseHead:
    """One-vs-rest linear type scores with per-type Platt calibration and thresholds, a linear
    severity model per type, and an isotonic map from top-label probability to confidence."""

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
        self._check_shapes()
        self._check_rank_practices()
        for type_id, cue in self.required_cues.items():
            if type_id not in self.types or cue not in _STANCE_RES:
                raise ModelFormatError(
                    f"required cue {type_id!r} -> {cue!r}: the type must be one of the head's "
                    f"and the cue one of {sorted(_STANCE_RES)}"
                )

    @property
    def embedding_dim(self) -> int:
        return self.features.embedding_dim

    def _check_rank_practices(self) -> None:
        ranking = self.rank_practices
        if ranking is None:
            return
        if self.rank_weights is None:
            raise ModelFormatError("rank_practices needs the type ranker (rank_weights)")
        names = len(ranking.practices.names)
        if ranking.types.shape != (names, len(self.types)):
            raise ModelFormatError(
                f"rank_practices types have shape {ranking.types.shape}, expected "
                f"({names}, {len(self.types)})"
            )
        if not (np.isfinite(ranking.types).all() and np.isfinite(ranking.weight)):
            raise ModelFormatError("rank_practices types and weight must be finite")
        if ranking.practices.dimension != self.embedding_dim or ranking.practices.text_features != (
            len(self.features.vocabulary)
        ):
            raise ModelFormatError(
                "rank_practices reads "
                f"{ranking.practices.dimension}-d embeddings and "
                f"{ranking.practices.text_features} n-grams, the head "
                f"{self.embedding_dim} and {len(self.features.vocabulary)}"
            )

    def _check_shapes(self) -> None:
        n_types, n_features, n_levels = (
            len(self.types),
            self.features.size,
            len(self.severity_scale),
        )
        expected: dict[str, tuple[np.ndarray, tuple[int, ...]]] = {
            "type_weights": (self.type_weights, (n_features, n_types)),
            "type_bias": (self.type_bias, (n_types,)),
            "platt": (self.platt, (n_types, 2)),
            "thresholds": (self.thresholds, (n_types,)),
            "severity_weights": (self.severity_weights, (n_types, n_features, n_levels)),
            "severity_bias": (self.severity_bias, (n_types, n_levels)),
        }
        if self.rank_weights is not None and self.rank_bias is not None:
            expected["rank_weights"] = (self.rank_weights, (n_features, n_types))
            expected["rank_bias"] = (self.rank_bias, (n_types,))
        for name, (array, shape) in expected.items():
            if array.shape != shape:
                raise ModelFormatError(
                    f"head array {name} has shape {array.shape}, expected {shape}"
                )
            if not np.all(np.isfinite(array)):
                raise ModelFormatError(f"head array {name} holds NaN or infinite values")
        curve = self.confidence_curve
        if curve.ndim != 2 or curve.shape[0] != 2 or curve.shape[1] < 2:
            raise ModelFormatError(f"confidence_curve has shape {curve.shape}, expected (2, k>=2)")
        if not np.all(np.isfinite(curve)) or np.any(np.diff(curve[0]) < 0):
            raise ModelFormatError("confidence_curve must be finite with increasing breakpoints")
        if np.any((curve[1] < 0) | (curve[1] > 1)):
            raise ModelFormatError("confidence_curve values must lie in [0, 1]")
        if n_levels < 1:
            raise ModelFormatError("severity scale is empty")
        if len(set(self.types)) != n_types:
            raise ModelFormatError("head types are not unique")

    def decision_scores(self, features: sp.csr_matrix) -> np.ndarray:
        """Uncalibrated one-vs-rest scores (n, T)."""
        scores = features @ self.type_weights.astype(np.float64)
        return np.asarray(scores) + self.type_bias

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> HeadOutput:
        """Types, severities and confidences for clause ``texts`` and their ``embeddings``."""
        features = self.features.transform(texts, embeddings)
        probabilities = platt_probabilities(self.decision_scores(features), self.platt)
        if self.required_cues:
            probabilities *= cue_gate(texts, self.types, self.required_cues)
        predicted = probabilities >= self.thresholds
        severity = self._severity(features)
        scores = self.rank_scores(features, embeddings, probabilities)
        top = ranked_top(scores, predicted)
        top_probability = top_label_probability(probabilities, predicted, top)
        confidence = np.interp(top_probability, self.confidence_curve[0], self.confidence_curve[1])
        first = np.argmax(scores, axis=1) if scores.shape[1] else np.full(len(texts), -1)
        return HeadOutput(probabilities, predicted, severity, confidence, top, first)

    def rank_scores(
        self, features: sp.csr_matrix, embeddings: np.ndarray, probabilities: np.ndarray
    ) -> np.ndarray:
        """The scores (n, T) that order the types (the top label is the best predicted one):
        the type ranker's plus its practice evidence, or without a ranker the probabilities.
        ``features``: ``self.features.transform(texts, embeddings)``, whose first columns are
        the TF-IDF block the practice map reads."""
        if self.rank_weights is None or self.rank_bias is None:
            return probabilities
        scores = np.asarray(features @ self.rank_weights.astype(np.float64)) + self.rank_bias
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
        up to ``max_spans`` evidence spans, strongest first ({} when no type is predicted).

        A candidate is an occurrence of an n-gram whose term raises the type's score (TF-IDF
        value x coefficient x Platt slope: calibrated log-odds, shared among its occurrences),
        or of a stance cue that raises it; candidates under ``EVIDENCE_MIN_SHARE`` of the
        strongest are dropped. Candidates are taken strongest first, merged with a span they
        overlap or touch (across whitespace) and their weights summed, until ``max_spans``
        spans are full. The embedding part of the score has no word-level evidence.
        """
        if isinstance(texts, (str, bytes)) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts must be a sequence of str (one clause per item)")
        texts = list(texts)
        predicted = np.asarray(predicted)
        if predicted.dtype != bool or predicted.shape != (len(texts), len(self.types)):
            raise ValueError(
                f"predicted must be a bool array of shape ({len(texts)}, {len(self.types)}), "
                f"got {predicted.dtype} {predicted.shape}"
            )
        if max_spans < 1:
            raise ValueError(f"max_spans must be >= 1, got {max_spans}")
        result: list[Evidence] = [{} for _ in texts]
        rows = np.flatnonzero(predicted.any(axis=1))
        if rows.size == 0:
            return result
        chosen = [texts[row] for row in rows]
        counts = self.features.counts(chosen)
        terms, indptr = counts.indices, counts.indptr
        lengths = np.diff(indptr)
        # Each n-gram occurrence's TF-IDF feature value: the row-normalised value / its count.
        values = self.features._weigh(counts.data, terms)
        entry_row = np.repeat(np.arange(len(rows)), lengths)
        norms = np.sqrt(np.bincount(entry_row, values**2, minlength=len(rows)))
        norms[norms == 0] = 1.0
        unit = values / (np.repeat(norms, lengths) * counts.data)
        # One entry per (predicted pair, n-gram of its clause): the occurrence's share of the
        # type's calibrated log-odds (coefficient x Platt slope x feature value).
        pair_row, pair_column = np.nonzero(predicted[rows])
        pair_lengths = lengths[pair_row]
        pair_first = np.cumsum(pair_lengths) - pair_lengths
        entry_pair = np.repeat(np.arange(pair_row.size), pair_lengths)
        entry = np.repeat(indptr[pair_row], pair_lengths) + (
            np.arange(entry_pair.size) - pair_first[entry_pair]
        )
        entry_column = pair_column[entry_pair]
        share = (
            unit[entry]
            * self.type_weights[terms[entry], entry_column]
            * self.platt[entry_column, 0]
        )
        best = np.zeros(pair_row.size)
        np.maximum.at(best, entry_pair, share)
        stance_start = len(self.features.vocabulary) + self.features.embedding_dim
        stance_scale = self.features.stance_weight * self.platt[:, 0]
        pair = 0
        for k, row in enumerate(rows):
            text = chosen[k]
            tokens: _Tokens | None = None
            cues = (
                stance_spans(text, self.features.stance_cues)
                if self.features.stance_weight > 0
                else []
            )
            while pair < pair_row.size and pair_row[pair] == k:
                column = int(pair_column[pair])
                # active stance cue -> its share per match (flag x weight x coefficient x slope)
                stance = {
                    cue: float(stance_scale[column] * self.type_weights[stance_start + cue, column])
                    / len(spans)
                    for cue, spans in enumerate(cues)
                    if spans
                }
                top = max(best[pair], *stance.values(), 0.0)
                candidates: list[tuple[float, int, int]] = []
                if top > 0:
                    floor = top * EVIDENCE_MIN_SHARE
                    first = pair_first[pair]
                    for position in np.flatnonzero(
                        share[first : first + pair_lengths[pair]] >= floor
                    ):
                        tokens = tokens or _Tokens(text)
                        index = indptr[k] + position
                        term = self.features.vocabulary[terms[index]]
                        spans = tokens.find(term)
                        if len(spans) != counts.data[index]:
                            raise RuntimeError(f"n-gram {term!r} not located in clause {text!r}")
                        weight = float(share[first + position])
                        candidates += [(weight, start, end) for start, end in spans]
                    for cue, weight in stance.items():
                        if weight >= floor:
                            candidates += [(weight, start, end) for start, end in cues[cue]]
                result[row][self.types[column]] = _select_spans(text, candidates, max_spans)
                pair += 1
        return result

    def _severity(self, features: sp.csr_matrix) -> np.ndarray:
        n = features.shape[0]
        severity = np.zeros((n, len(self.types)), dtype=np.int64)
        weights = self.severity_weights.astype(np.float64)
        for column in range(len(self.types)):
            scores = np.asarray(features @ weights[column]) + self.severity_bias[column]
            severity[:, column] = np.argmax(scores, axis=1)
        return severity

    def save(self, directory: str | Path) -> None:
        """Write ``head.json`` and ``head.npz`` into an existing folder."""
        directory = Path(directory)
        meta = {
            "format_version": HEAD_FORMAT_VERSION,
            "types": list(self.types),
            "severity_scale": list(self.severity_scale),
            "embedding_dim": self.features.embedding_dim,
            "embedding_weight": self.features.embedding_weight,
            "stance_weight": self.features.stance_weight,
            "stance_cues": list(self.features.stance_cues),
            "vocabulary": self.features.vocabulary,
            "required_cues": self.required_cues,
            "settings": self.settings,
        }
        ranking = self.rank_practices
        if ranking is not None:
            meta["rank_practices"] = {
                "names": list(ranking.practices.names),
                "top_k": ranking.practices.top_k,
                "text_features": ranking.practices.text_features,
                "weight": float(ranking.weight),
            }
        (directory / HEAD_JSON).write_text(json.dumps(meta) + "\n", encoding="utf-8")
        arrays: dict[str, np.ndarray] = {
            "idf": self.features.idf,
            "type_weights": self.type_weights.astype(np.float32),
            "type_bias": self.type_bias,
            "platt": self.platt,
            "thresholds": self.thresholds,
            "severity_weights": self.severity_weights.astype(np.float16),
            "severity_bias": self.severity_bias,
            "confidence_curve": self.confidence_curve,
        }
        if self.rank_weights is not None and self.rank_bias is not None:
            arrays.update(rank_weights=self.rank_weights, rank_bias=self.rank_bias)
        if ranking is not None:
            arrays.update(ranking.practices.arrays(prefix=RANK_PRACTICE_PREFIX))
            arrays[RANK_PRACTICE_PREFIX + "types"] = ranking.types.astype(np.float32)
        np.savez_compressed(directory / HEAD_NPZ, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, directory: str | Path) -> ClauseHead:
        """Read a head saved by ``save``; ``ModelFormatError`` if missing, corrupt or foreign."""
        directory = Path(directory)
        meta = read_model_json(directory / HEAD_JSON)
        if not isinstance(meta, dict) or meta.get("format_version") != HEAD_FORMAT_VERSION:
            raise ModelFormatError(
                f"{directory / HEAD_JSON}: unsupported head format "
                f"{meta.get('format_version') if isinstance(meta, dict) else meta!r}"
            )
        arrays = _read_npz(directory / HEAD_NPZ)
        meta.setdefault("stance_cues", list(LEGACY_STANCE_CUES))  # heads saved before naming
        required = meta.get("required_cues", {})  # heads saved before cues gated types: none
        if not isinstance(required, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in required.items()
        ):
            raise ModelFormatError(f"{directory / HEAD_JSON}: 'required_cues' must map str to str")
        for key in ("vocabulary", "types", "severity_scale", "stance_cues"):
            value = meta.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ModelFormatError(f"{directory / HEAD_JSON}: {key!r} must be a list of str")
        try:
            features = TextFeatures(
                vocabulary=[str(term) for term in meta["vocabulary"]],
                idf=arrays["idf"],
                embedding_dim=int(meta["embedding_dim"]),
                embedding_weight=float(meta["embedding_weight"]),
                stance_weight=float(meta.get("stance_weight", 0.0)),
                stance_cues=[str(cue) for cue in meta["stance_cues"]],
            )
            return cls(
                types=[str(t) for t in meta["types"]],
                severity_scale=[str(s) for s in meta["severity_scale"]],
                features=features,
                type_weights=arrays["type_weights"],
                type_bias=arrays["type_bias"],
                platt=arrays["platt"],
                thresholds=arrays["thresholds"],
                severity_weights=arrays["severity_weights"],
                severity_bias=arrays["severity_bias"],
                confidence_curve=arrays["confidence_curve"],
                rank_weights=arrays.get("rank_weights"),
                rank_bias=arrays.get("rank_bias"),
                rank_practices=_load_rank_practices(meta.get("rank_practices"), arrays),
                required_cues=required,
                settings=dict(meta.get("settings") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"{directory}: incomplete or malformed head: {exc!r}") from None


def _load_rank_practices(meta: Any, arrays: dict[str, np.ndarray]) -> PracticeRanking | None:
    """The ranker's practice evidence from ``head.json``'s ``rank_practices`` and the
    ``rank_practice_*`` arrays (None when the head has none)."""
    if meta is None:
        return None
    from clauseclf.inference.practices import PracticeMap

    if not isinstance(meta, dict) or not isinstance(meta.get("names"), list):
        raise ModelFormatError("head.json: 'rank_practices' must be an object with 'names'")
    practices = PracticeMap.from_arrays(
        [str(name) for name in meta["names"]],
        int(meta["top_k"]),
        int(meta["text_features"]),
        arrays,
        prefix=RANK_PRACTICE_PREFIX,
    )
    types = arrays[RANK_PRACTICE_PREFIX + "types"]
    return PracticeRanking(practices, types, float(meta["weight"]))


def _select_spans(
    text: str, candidates: list[tuple[float, int, int]], max_spans: int
) -> tuple[EvidenceSpan, ...]:
    """Greedy choice of evidence spans from (weight, start, end) candidates, all above the
    weight floor (see ``ClauseHead.evidence``)."""
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: list[tuple[int, int, float]] = []
    for weight, start, end in candidates:
        touching = [span for span in chosen if _touch(text, span[0], span[1], start, end)]
        if not touching and len(chosen) >= max_spans:
            break
        merged = (
            min([start] + [span[0] for span in touching]),
            max([end] + [span[1] for span in touching]),
            weight + sum(span[2] for span in touching),
        )
        chosen = [span for span in chosen if span not in touching] + [merged]
    chosen.sort(key=lambda span: (-span[2], span[0]))
    return tuple(EvidenceSpan(s, e, text[s:e], float(w)) for s, e, w in chosen)


def _touch(text: str, a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Whether two spans overlap or are separated by whitespace only."""
    gap_start, gap_end = min(a_end, b_end), max(a_start, b_start)
    return gap_start >= gap_end or not text[gap_start:gap_end].strip()


def read_model_json(path: Path) -> Any:
    """The parsed JSON of a model file; ``ModelFormatError`` if missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFormatError(f"model file missing: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"cannot read {path}: {exc}") from None


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise ModelFormatError(f"model file missing: {path}") from None
    except ValueError as exc:  # object arrays need pickle, which is refused
        raise ModelFormatError(f"{path}: refused to load (would need pickle): {exc}") from None
    except Exception as exc:  # zipfile, zlib and format errors: all mean a corrupt file
        raise ModelFormatError(f"{path}: corrupt weights file: {exc}") from None


def platt_probabilities(scores: np.ndarray, platt: np.ndarray) -> np.ndarray:
    """Per-type Platt scaling: ``1 / (1 + exp(-(a * score + b)))`` with (a, b) per column."""
    z = scores * platt[:, 0] + platt[:, 1]
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))))


def most_probable_predicted(probabilities: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Column of the most probable predicted type per row, -1 where none is predicted."""
    return ranked_top(probabilities, predicted)


def ranked_top(scores: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Column of the best-scoring predicted type per row, -1 where none is predicted."""
    n = scores.shape[0]
    if scores.shape[1] == 0:
        return np.full(n, -1, dtype=np.int64)
    masked = np.where(predicted, scores, -np.inf)
    best = np.argmax(masked, axis=1).astype(np.int64)
    return np.where(predicted.any(axis=1), best, -1)


def top_label_probability(
    probabilities: np.ndarray, predicted: np.ndarray, top: np.ndarray | None = None
) -> np.ndarray:
    """P of the top label (``top``: its column, -1 for other; default the most probable
    predicted type): that type's probability, or, when no type is predicted, the probability
    that none applies (estimated as 1 - the highest type probability)."""
    if top is None:
        top = most_probable_predicted(probabilities, predicted)
    n = probabilities.shape[0]
    highest = probabilities.max(axis=1) if probabilities.shape[1] else np.zeros(n)
    if probabilities.shape[1] == 0:
        return 1.0 - highest
    chosen = probabilities[np.arange(n), np.maximum(top, 0)]
    return np.where(top < 0, 1.0 - highest, chosen)
