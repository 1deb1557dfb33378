"""Scores of predictions exactly as users get them, against fully checked clauses.

Every figure here reads ``ClausePrediction.label``, ``.labels``, ``.severities`` and
``.confidence`` as returned: a type counts as predicted only when it is in ``labels`` (never
"the most probable type" of a clause the model leaves as ``other``), a severity only for a type
in ``labels``, and ``confidence`` is judged against whether ``label`` is right (``other`` is
right for a clause of no type). Only records checked for every type (``annotated_types`` None)
are scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from clauseclf.annotations import AnnotatedClause
from clauseclf.metrics import expected_calibration_error, prf
from clauseclf.predictions import ClausePrediction

OTHER = "other"


@dataclass(frozen=True)
class TypeFigures:
    """Precision, recall and F1 of one type over the scored clauses."""

    type_id: str
    precision: float
    recall: float
    f1: float
    support: int
    predicted: int


@dataclass(frozen=True)
class UserFacingScores:
    """What users see, scored (see the module docstring); ``None`` where nothing was scored."""

    clauses: int
    micro_f1: float
    macro_f1: float
    macro_types: int
    per_type: tuple[TypeFigures, ...]
    predicted_types_right: float | None
    other_left_empty: float | None
    severity_exact: float | None
    severity_pairs: int
    high_flags: int
    high_flags_right: float | None
    label_accuracy: float
    ece: float
    confidence_quantiles: tuple[float, float, float, float, float]

    def type(self, type_id: str) -> TypeFigures:
        """The figures of ``type_id`` (``KeyError`` if it was not scored)."""
        for figures in self.per_type:
            if figures.type_id == type_id:
                return figures
        raise KeyError(type_id)

    def to_dict(self) -> dict[str, object]:
        """Plain data for JSON."""
        return {
            "clauses": self.clauses,
            "micro_f1": self.micro_f1,
            "macro_f1": self.macro_f1,
            "macro_types": self.macro_types,
            "predicted_types_right": self.predicted_types_right,
            "other_left_empty": self.other_left_empty,
            "severity_exact": self.severity_exact,
            "severity_pairs": self.severity_pairs,
            "high_flags": self.high_flags,
            "high_flags_right": self.high_flags_right,
            "label_accuracy": self.label_accuracy,
            "ece": self.ece,
            "confidence_quantiles": list(self.confidence_quantiles),
            "per_type": {
                f.type_id: {
                    "precision": f.precision,
                    "recall": f.recall,
                    "f1": f.f1,
                    "support": f.support,
                    "predicted": f.predicted,
                }
                for f in self.per_type
            },
        }


def score_predictions(
    predictions: Sequence[ClausePrediction],
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    *,
    random_part: Sequence[bool] | None = None,
    min_macro_support: int = 20,
) -> UserFacingScores:
    """Score ``predictions`` against ``records`` (same order; records not checked for every
    type are left out). ``random_part`` marks the clauses of whole, randomly drawn documents:
    "predicted types right" and "other left empty" are measured on them (on every scored clause
    when not given). Macro-F1 averages the types with at least ``min_macro_support`` gold
    positives."""
    if len(predictions) != len(records):
        raise ValueError(f"{len(predictions)} predictions for {len(records)} records")
    if random_part is not None and len(random_part) != len(records):
        raise ValueError(f"random_part has {len(random_part)} entries for {len(records)} records")
    keep = [i for i, r in enumerate(records) if r.annotated_types is None]
    preds = [predictions[i] for i in keep]
    golds: list[Mapping[str, str]] = [records[i].labels for i in keep]
    randoms = [bool(random_part[i]) if random_part is not None else True for i in keep]
    per_type = []
    gold_all, pred_all = [], []
    for type_id in types:
        gold = np.array([type_id in g for g in golds], dtype=bool)
        guess = np.array([type_id in p.labels for p in preds], dtype=bool)
        precision, recall, f1 = prf(gold, guess)
        per_type.append(
            TypeFigures(type_id, precision, recall, f1, int(gold.sum()), int(guess.sum()))
        )
        gold_all.append(gold)
        pred_all.append(guess)
    micro = prf(np.concatenate(gold_all), np.concatenate(pred_all))[2] if types else 0.0
    macro_scored = [f.f1 for f in per_type if f.support >= min_macro_support]
    random_pairs = [
        (t in g) for p, g, r in zip(preds, golds, randoms, strict=True) if r for t in p.labels
    ]
    empty_gold = [
        not p.labels for p, g, r in zip(preds, golds, randoms, strict=True) if r and not g
    ]
    pairs = [
        (p.severities[t], g[t])
        for p, g in zip(preds, golds, strict=True)
        for t in p.labels
        if t in g
    ]
    high = [
        (t in g and g[t] == "high")
        for p, g in zip(preds, golds, strict=True)
        for t, level in p.severities.items()
        if level == "high"
    ]
    correct = np.array(
        [(p.label in g) if p.label != OTHER else not g for p, g in zip(preds, golds, strict=True)],
        dtype=float,
    )
    confidence = np.array([p.confidence for p in preds], dtype=float)
    q5, q25, q50, q75, q95 = (
        np.quantile(confidence, [0.05, 0.25, 0.5, 0.75, 0.95]) if len(confidence) else [0.0] * 5
    )
    quantiles = (float(q5), float(q25), float(q50), float(q75), float(q95))
    return UserFacingScores(
        clauses=len(keep),
        micro_f1=float(micro),
        macro_f1=float(np.mean(macro_scored)) if macro_scored else 0.0,
        macro_types=len(macro_scored),
        per_type=tuple(per_type),
        predicted_types_right=_mean(random_pairs),
        other_left_empty=_mean(empty_gold),
        severity_exact=_mean([a == b for a, b in pairs]),
        severity_pairs=len(pairs),
        high_flags=len(high),
        high_flags_right=_mean(high),
        label_accuracy=float(correct.mean()) if len(correct) else 0.0,
        ece=expected_calibration_error(confidence, correct, 10) if len(correct) else 0.0,
        confidence_quantiles=quantiles,
    )


def _mean(values: Sequence[bool]) -> float | None:
    return float(np.mean(values)) if values else None
