"""The trained head: clause features (TF-IDF n-grams + sentence embedding) -> types, severity,
calibrated probabilities and confidence. Stored as ``head.json`` + ``head.npz`` (no pickle).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

HEAD_JSON = "head.json"
HEAD_NPZ = "head.npz"
HEAD_FORMAT_VERSION = 1
_TOKEN_PATTERN = r"(?u)\b\w\w+\b"


class ModelFormatError(ValueError):
    """A model folder is missing files, corrupt, or incompatible with this clauseclf."""


@dataclass(frozen=True)
class HeadOutput:
    """The head's raw output for n clauses and T types (columns in ``ClauseHead.types`` order).

    ``probabilities`` (n, T): calibrated P(type applies); ``predicted`` (n, T): the decision per
    type; ``severity`` (n, T): index into the severity scale, the severity if that type applies;
    ``confidence`` (n,): calibrated P(the top label is right), the top label being the most
    probable predicted type, or "other" when none is predicted.
    """

    probabilities: np.ndarray
    predicted: np.ndarray
    severity: np.ndarray
    confidence: np.ndarray


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
)


def stance_flags(texts: Sequence[str]) -> np.ndarray:
    """(n, len(STANCE_PATTERNS)) 0/1 flags of the stance cues in each text."""
    compiled = [re.compile(pattern) for _, pattern in STANCE_PATTERNS]
    flags = np.zeros((len(texts), len(compiled)))
    for row, text in enumerate(texts):
        lowered = text.lower().replace("\u2019", "'")
        for column, pattern in enumerate(compiled):
            if pattern.search(lowered):
                flags[row, column] = 1.0
    return flags


class TextFeatures:
    """Sublinear TF-IDF over word 1-2 grams (L2-normalised), then the weighted embedding, then
    (if ``stance_weight`` > 0) the weighted stance flags of ``STANCE_PATTERNS``."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: np.ndarray,
        embedding_dim: int,
        embedding_weight: float,
        stance_weight: float = 0.0,
    ) -> None:
        from sklearn.feature_extraction.text import CountVectorizer

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
        self._counter = CountVectorizer(
            vocabulary={term: i for i, term in enumerate(self.vocabulary)},
            ngram_range=(1, 2),
            lowercase=True,
            token_pattern=_TOKEN_PATTERN,
            dtype=np.float64,
        )

    @property
    def size(self) -> int:
        """Number of features: vocabulary, embedding dimension and stance flags (if used)."""
        stance = len(STANCE_PATTERNS) if self.stance_weight > 0 else 0
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
        counts = sp.csr_matrix(self._counter.transform(list(texts)), dtype=np.float64)
        counts.data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        tfidf = sp.diags(1.0 / norms) @ counts
        blocks = [tfidf, sp.csr_matrix(embeddings * self.embedding_weight)]
        if self.stance_weight > 0:
            blocks.append(sp.csr_matrix(stance_flags(texts) * self.stance_weight))
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))


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
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.types = tuple(types)
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
        self.settings = dict(settings or {})
        self._check_shapes()

    @property
    def embedding_dim(self) -> int:
        return self.features.embedding_dim

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
        predicted = probabilities >= self.thresholds
        severity = self._severity(features)
        top = top_label_probability(probabilities, predicted)
        confidence = np.interp(top, self.confidence_curve[0], self.confidence_curve[1])
        return HeadOutput(probabilities, predicted, severity, confidence)

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
            "vocabulary": self.features.vocabulary,
            "settings": self.settings,
        }
        (directory / HEAD_JSON).write_text(json.dumps(meta) + "\n", encoding="utf-8")
        np.savez_compressed(
            directory / HEAD_NPZ,
            idf=self.features.idf,
            type_weights=self.type_weights.astype(np.float32),
            type_bias=self.type_bias,
            platt=self.platt,
            thresholds=self.thresholds,
            severity_weights=self.severity_weights.astype(np.float16),
            severity_bias=self.severity_bias,
            confidence_curve=self.confidence_curve,
        )

    @classmethod
    def load(cls, directory: str | Path) -> ClauseHead:
        """Read a head saved by ``save``; ``ModelFormatError`` if missing, corrupt or foreign."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / HEAD_JSON).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelFormatError(f"model file missing: {directory / HEAD_JSON}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFormatError(f"cannot read {directory / HEAD_JSON}: {exc}") from None
        if not isinstance(meta, dict) or meta.get("format_version") != HEAD_FORMAT_VERSION:
            raise ModelFormatError(
                f"{directory / HEAD_JSON}: unsupported head format "
                f"{meta.get('format_version') if isinstance(meta, dict) else meta!r}"
            )
        arrays = _read_npz(directory / HEAD_NPZ)
        for key in ("vocabulary", "types", "severity_scale"):
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
                settings=dict(meta.get("settings") or {}),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ModelFormatError):
                raise
            raise ModelFormatError(f"{directory}: incomplete or malformed head: {exc!r}") from None


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


def top_label_probability(probabilities: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """P of the top label: the best predicted type's probability, or, when no type is predicted,
    the probability that none applies (estimated as 1 - the highest type probability)."""
    masked = np.where(predicted, probabilities, -1.0)
    best = masked.max(axis=1) if masked.shape[1] else np.full(masked.shape[0], -1.0)
    none_predicted = best < 0
    highest = probabilities.max(axis=1) if probabilities.shape[1] else np.zeros(len(best))
    return np.where(none_predicted, 1.0 - highest, best)
