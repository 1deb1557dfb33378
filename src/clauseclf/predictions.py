"""What the model says about a clause (``ClausePrediction``), built from the head's arrays.

A leaf module: reports, diffs, scoring and the batch tables read predictions without importing
the inference stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.evidence import Evidence, EvidenceSpan, evidence_from_dict, evidence_to_dict
from clauseclf.taxonomy import OTHER

if TYPE_CHECKING:
    from clauseclf.head.output import HeadOutput


@dataclass(frozen=True)
class ClausePrediction:
    """What the model says about one clause.

    ``label`` is the top predicted type (the one the head's type ranker prefers among the
    predicted ones; see ``ClauseHead.rank_scores``), or ``"other"`` when no type is predicted;
    ``labels`` maps every predicted type to its probability, ``label`` first, then the most
    probable (empty for other); ``severities`` gives each predicted type's severity and
    ``severity`` the most adverse of them (``"none"`` for other); ``confidence`` is the
    calibrated probability that ``label`` is right; ``probabilities`` holds every type's
    probability. ``evidence`` maps each predicted type (in ``labels`` order) to the spans of the
    clause text that drove it, strongest first (``clause_text[span.start:span.end] ==
    span.text``; ``clauseclf.evidence``); it covers the lexical part of the score (n-grams,
    stance cues), not the sentence embedding's, and is empty for other.
    """

    label: str
    labels: dict[str, float]
    severity: str
    severities: dict[str, str]
    confidence: float
    probabilities: dict[str, float] = field(repr=False)
    evidence: Evidence = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``from_dict`` reads it back)."""
        return {
            "label": self.label,
            "labels": dict(self.labels),
            "severity": self.severity,
            "severities": dict(self.severities),
            "confidence": self.confidence,
            "probabilities": dict(self.probabilities),
            "evidence": evidence_to_dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClausePrediction:
        """The prediction ``to_dict`` gave (``evidence`` optional, for older output);
        ``ValueError`` naming the missing or bad key otherwise."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a prediction must be an object, not {type(data).__name__}")
        for key, kind in (("label", str), ("severity", str), ("confidence", (int, float))):
            if key not in data:
                raise ValueError(f"prediction is missing the key {key!r}")
            if isinstance(data[key], bool) or not isinstance(data[key], kind):
                raise ValueError(f"prediction key {key!r} has the wrong type")
        return cls(
            label=data["label"],
            labels={k: float(v) for k, v in _mapping(data, "labels", numbers=True).items()},
            severity=data["severity"],
            severities={k: str(v) for k, v in _mapping(data, "severities").items()},
            confidence=float(data["confidence"]),
            probabilities={
                k: float(v) for k, v in _mapping(data, "probabilities", numbers=True).items()
            },
            evidence=evidence_from_dict(data.get("evidence", {})),
        )


def _mapping(data: Mapping[str, Any], key: str, *, numbers: bool = False) -> dict[str, Any]:
    """``data[key]`` (default empty): an object of numbers, or of str; ``ValueError`` if not."""
    raw = data.get(key, {})
    if not isinstance(raw, Mapping):
        raise ValueError(f"prediction key {key!r} must be an object")
    for name, value in raw.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (number if numbers else isinstance(value, str)):
            kind = "a number" if numbers else "a str"
            raise ValueError(f"prediction key '{key}.{name}' must be {kind}")
    return {str(name): value for name, value in raw.items()}


def predictions_from_output(
    output: HeadOutput,
    types: Sequence[str],
    severity_scale: Sequence[str],
    *,
    evidence: Sequence[Mapping[str, tuple[EvidenceSpan, ...]]] | None = None,
) -> list[ClausePrediction]:
    """One ``ClausePrediction`` per row of the head's arrays: the predicted types (the top
    label first, then the most probable), each with its own severity; the clause's severity is
    the most adverse of the predicted types' (``severity_scale[0]`` for other). ``evidence``
    (per row, per predicted type) is left empty when not given."""
    predictions = []
    for row in range(output.probabilities.shape[0]):
        probabilities = {t: float(p) for t, p in zip(types, output.probabilities[row], strict=True)}
        top = int(output.top[row])
        chosen = [int(column) for column in np.flatnonzero(output.predicted[row])]
        chosen.sort(key=lambda column: (column != top, -output.probabilities[row, column]))
        labels = {types[c]: float(output.probabilities[row, c]) for c in chosen}
        severities = {types[c]: severity_scale[int(output.severity[row, c])] for c in chosen}
        severity = max(severities.values(), key=severity_scale.index) if severities else None
        spans = evidence[row] if evidence is not None else {}
        predictions.append(
            ClausePrediction(
                label=types[chosen[0]] if chosen else OTHER,
                labels=labels,
                severity=severity or severity_scale[0],
                severities=severities,
                confidence=float(output.confidence[row]),
                probabilities=probabilities,
                evidence={types[c]: tuple(spans.get(types[c], ())) for c in chosen},
            )
        )
    return predictions
