"""The head's output arrays (``HeadOutput``) and the array steps from scores to them: Platt
probabilities, the cue gate, the ranker's practice evidence and the choice of the top label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from clauseclf.head.cues import stance_flags

if TYPE_CHECKING:
    from clauseclf.head.practices import PracticeMap


#: The severity bias of a level a type never takes (its weights are zero): far below any score.
NEVER_LEVEL_BIAS = -30.0


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


def concatenate_outputs(parts: Sequence[HeadOutput]) -> HeadOutput:
    """The rows of ``parts`` (at least one), in order, as one ``HeadOutput``."""
    if len(parts) == 1:
        return parts[0]
    return HeadOutput(
        *(np.concatenate([getattr(part, f.name) for part in parts]) for f in fields(HeadOutput))
    )


@dataclass(frozen=True, eq=False)
class PracticeRanking:
    """Practice evidence for the type ranker. ``practices``: a ``PracticeMap`` over the head's
    TF-IDF rows and the embeddings (``clauseclf.head.practices``; a model's one practice map,
    saved with the head as ``practices.json``/``practices.npz``); ``types`` (P, T): each
    practice's share of each type among the training clauses that name it; ``weight``: the
    ranker adds ``weight`` times P(type) through the practices to its scores."""

    practices: PracticeMap
    types: np.ndarray
    weight: float

    def scores(self, embeddings: np.ndarray, tfidf: sp.spmatrix) -> np.ndarray:
        """``weight`` times each clause's type distribution through its practice probabilities."""
        return self.type_scores(np.asarray(self.practices.probabilities(embeddings, tfidf)))

    def type_scores(self, probabilities: np.ndarray) -> np.ndarray:
        """``scores`` from the clauses' practice ``probabilities`` (``PracticeMap``)."""
        return np.asarray(self.weight * (probabilities @ self.types))


def platt_probabilities(scores: np.ndarray, platt: np.ndarray) -> np.ndarray:
    """Per-type Platt scaling: ``1 / (1 + exp(-(a * score + b)))`` with (a, b) per column."""
    z = scores * platt[:, 0] + platt[:, 1]
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0))))


def cue_gate(
    texts: Sequence[str], types: Sequence[str], required_cues: Mapping[str, str]
) -> np.ndarray:
    """(n, len(types)) 1/0 multipliers of the type probabilities: 0 where a type in
    ``required_cues`` (type -> cue name) lacks its cue, 1 elsewhere."""
    gate = np.ones((len(texts), len(types)))
    for type_id, cue in required_cues.items():
        gate[:, list(types).index(type_id)] = stance_flags(texts, [cue])[:, 0]
    return gate


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
