"""A document's verdict: its findings ranked by severity and confidence, counts per category, and
a transparent grade.

A *finding* is one predicted type of one clause (``other`` is never a finding), with its own
severity and confidence (the calibrated ``confidence`` for the clause's top label, the type's
probability for its other labels), the evidence phrases, the plain-language explanation of its
type and severity (``clauseclf.explanations``) and a citation record (document SHA-256, clause
id, model version, analysis time).

The grade (``grade_findings``), in the spirit of ToS;DR's classes A-E, is a published formula:

1. Only findings with confidence >= ``MIN_CONFIDENCE`` count.
2. Each type counts once, at its most adverse counted severity: ``high`` scores 3, ``medium``
   1, ``low`` 0, ``none`` (protective: the clause protects the user) -1.
3. score = 3 x high types + medium types - protective types.
4. A: no high type and score <= 0; B: no high type and score <= 3; C: score <= 8;
   D: score <= 16; E: above 16.
5. Not graded when fewer than ``MIN_GRADED_TYPES`` types count, or when fewer than
   ``MIN_CONFIDENT_SHARE`` of all findings reach ``MIN_CONFIDENCE``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clauseclf.explanations import Explanation, explain
from clauseclf.taxonomy import OTHER, SEVERITY_SCALE, default_taxonomy

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.report import DocumentReport

#: A finding counts towards the grade only at this confidence or above.
MIN_CONFIDENCE = 0.5
#: Fewest distinct types with a counted finding for a document to be graded.
MIN_GRADED_TYPES = 3
#: Least share of findings at ``MIN_CONFIDENCE`` or above for a document to be graded.
MIN_CONFIDENT_SHARE = 0.5
#: Points per counted type at its most adverse severity (``none``: protective).
GRADE_POINTS: dict[str, int] = {"high": 3, "medium": 1, "low": 0, "none": -1}
#: (grade, highest score) in order; a score above the last is ``E``. A and B need no high type.
GRADE_BANDS: tuple[tuple[str, int], ...] = (("A", 0), ("B", 3), ("C", 8), ("D", 16))
GRADES = ("A", "B", "C", "D", "E")
NOT_GRADED = "not graded"
#: What a finding's severity says about the user: protective, neutral or adverse.
STANCES = {"none": "protective", "low": "neutral", "medium": "adverse", "high": "adverse"}


@dataclass(frozen=True)
class Citation:
    """A stable record to cite a finding by: the document's SHA-256, the clause's id (a hash
    of its normalised wording) and position, the model and when the analysis ran."""

    document_sha256: str
    clause_id: str
    clause_index: int
    model_version: str | None
    analyzed_at: datetime | None

    @property
    def record_id(self) -> str:
        """``<first 12 hex digits of the document hash>:<clause id>``."""
        return f"{self.document_sha256[:12]}:{self.clause_id}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the record id."""
        return {
            "record_id": self.record_id,
            "document_sha256": self.document_sha256,
            "clause_id": self.clause_id,
            "clause_index": self.clause_index,
            "model_version": self.model_version,
            "analyzed_at": self.analyzed_at.isoformat() if self.analyzed_at else None,
        }

    def __str__(self) -> str:
        when = self.analyzed_at.isoformat(timespec="seconds") if self.analyzed_at else "unknown"
        return (
            f"document sha256 {self.document_sha256}, clause {self.clause_id} "
            f"(#{self.clause_index}), model {self.model_version or 'unknown'}, analysed {when}"
        )


@dataclass(frozen=True)
class Finding:
    """One predicted type of one clause, with what a reader needs to judge it."""

    type: str
    severity: str
    confidence: float
    clause_index: int
    heading: str | None
    text: str
    evidence: tuple[str, ...]
    citation: Citation

    @property
    def category(self) -> str | None:
        """The type's taxonomy category, None for a type the taxonomy does not know."""
        try:
            return default_taxonomy().get(self.type).category
        except KeyError:
            return None

    @property
    def stance(self) -> str:
        """``protective``, ``neutral`` or ``adverse`` (``STANCES``)."""
        return STANCES.get(self.severity, "neutral")

    @property
    def explanation(self) -> Explanation | None:
        """What the type at this severity means for the user, None if not written."""
        return explain(self.type, self.severity)

    @property
    def counted(self) -> bool:
        """Whether the finding is confident enough to count towards the grade."""
        return self.confidence >= MIN_CONFIDENCE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the category, stance, explanation and citation."""
        explanation = self.explanation
        return {
            "type": self.type,
            "category": self.category,
            "severity": self.severity,
            "stance": self.stance,
            "confidence": self.confidence,
            "clause_index": self.clause_index,
            "heading": self.heading,
            "text": self.text,
            "evidence": list(self.evidence),
            **(explanation.to_dict() if explanation else {}),
            "citation": self.citation.to_dict(),
        }


@dataclass(frozen=True)
class Grade:
    """The document grade (``letter`` None: not graded) and the numbers behind it."""

    letter: str | None
    score: int
    high: int
    medium: int
    low: int
    protective: int
    reason: str

    @property
    def label(self) -> str:
        """The letter, or ``NOT_GRADED``."""
        return self.letter or NOT_GRADED

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the grade's label, score, counts and reason."""
        return {
            "grade": self.label,
            "score": self.score,
            "high_types": self.high,
            "medium_types": self.medium,
            "low_types": self.low,
            "protective_types": self.protective,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Verdict:
    """A document's findings (ranked: ``rank_findings``), its grade and counts per category."""

    findings: tuple[Finding, ...]
    grade: Grade

    @property
    def adverse(self) -> tuple[Finding, ...]:
        """The findings whose stance is adverse, in rank order."""
        return tuple(f for f in self.findings if f.stance == "adverse")

    @property
    def protective(self) -> tuple[Finding, ...]:
        """The findings whose stance is protective, in rank order."""
        return tuple(f for f in self.findings if f.stance == "protective")

    def category_counts(self) -> dict[str, dict[str, int]]:
        """Category (taxonomy order; ``uncategorised`` for unknown types) -> stance -> number of
        findings."""
        order = list(default_taxonomy().categories)
        counts: dict[str, Counter[str]] = {}
        for finding in self.findings:
            counts.setdefault(finding.category or "uncategorised", Counter())[finding.stance] += 1
        ordered = sorted(counts, key=lambda c: order.index(c) if c in order else len(order))
        return {c: {s: counts[c][s] for s in ("adverse", "neutral", "protective")} for c in ordered}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: grade, category counts and findings."""
        return {
            "grade": self.grade.to_dict(),
            "category_counts": self.category_counts(),
            "findings": [f.to_dict() for f in self.findings],
        }


def severity_rank(severity: str) -> int:
    """Position on the severity scale (unknown severities rank as ``low``)."""
    return SEVERITY_SCALE.index(severity) if severity in SEVERITY_SCALE else 1


def rank_findings(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Most severe first, then most confident, then document order."""
    return tuple(
        sorted(findings, key=lambda f: (-severity_rank(f.severity), -f.confidence, f.clause_index))
    )


def findings_from_report(report: DocumentReport) -> tuple[Finding, ...]:
    """Every (clause, predicted type) of ``report`` as a ``Finding``, ranked."""
    found = []
    for clause in report.clauses:
        prediction = clause.prediction
        citation = Citation(
            report.sha256, clause.clause_id, clause.index, report.model_version, report.analyzed_at
        )
        for type_id, probability in prediction.labels.items():
            spans = prediction.evidence.get(type_id, ())
            found.append(
                Finding(
                    type=type_id,
                    severity=prediction.severities.get(type_id, prediction.severity),
                    confidence=prediction.confidence
                    if type_id == prediction.label
                    else probability,
                    clause_index=clause.index,
                    heading=clause.segment.heading,
                    text=clause.text,
                    evidence=tuple(dict.fromkeys(s.text for s in spans)),
                    citation=citation,
                )
            )
    return rank_findings(found)


def findings_from_rows(
    rows: pd.DataFrame, *, model_version: str | None = None
) -> tuple[Finding, ...]:
    """The findings of one document's rows of a scored table (``clauseclf score`` output):
    one per row not labelled ``other`` (its top label, severity and confidence; the table has
    no per-type severity for the other labels), ranked."""
    found = []
    for row in rows.to_dict(orient="records"):
        label = row.get("label")
        if not isinstance(label, str) or label == OTHER or not _missing(row.get("error")):
            continue
        heading = row.get("heading")
        found.append(
            Finding(
                type=label,
                severity=str(row["severity"]),
                confidence=float(row["confidence"]),
                clause_index=int(row["clause_index"]),
                heading=None if _missing(heading) else str(heading),
                text=str(row["text"]),
                evidence=tuple(str(e) for e in _sequence(row.get("evidence"))),
                citation=Citation(
                    str(row["document_sha256"]),
                    str(row["clause_id"]),
                    int(row["clause_index"]),
                    model_version,
                    None,
                ),
            )
        )
    return rank_findings(found)


def grade_findings(findings: Iterable[Finding]) -> Grade:
    """The grade of a document with these findings (the formula in the module docstring)."""
    findings = list(findings)
    counted = [f for f in findings if f.counted]
    worst: dict[str, str] = {}
    for finding in counted:
        current = worst.get(finding.type)
        if current is None or severity_rank(finding.severity) > severity_rank(current):
            worst[finding.type] = finding.severity
    levels = Counter(worst.values())
    high, medium, low, protective = (levels[s] for s in ("high", "medium", "low", "none"))
    score = sum(GRADE_POINTS.get(s, 0) for s in worst.values())
    numbers = {"score": score, "high": high, "medium": medium, "low": low, "protective": protective}
    if len(worst) < MIN_GRADED_TYPES:
        reason = (
            f"too little found: {len(worst)} clause type(s) with confidence >= "
            f"{MIN_CONFIDENCE}, at least {MIN_GRADED_TYPES} needed"
        )
        return Grade(letter=None, reason=reason, **numbers)
    share = len(counted) / len(findings)
    if share < MIN_CONFIDENT_SHARE:
        reason = (
            f"confidence too low: {len(counted)} of {len(findings)} findings have confidence "
            f">= {MIN_CONFIDENCE}, at least {MIN_CONFIDENT_SHARE:.0%} needed"
        )
        return Grade(letter=None, reason=reason, **numbers)
    letter = "E"
    for band, ceiling in GRADE_BANDS:
        if score <= ceiling and (high == 0 or band not in ("A", "B")):
            letter = band
            break
    reason = (
        f"score {score} = 3 x {high} high + {medium} medium - {protective} protective clause types"
    )
    return Grade(letter=letter, reason=reason, **numbers)


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    """The verdict of a document with these findings."""
    ranked = rank_findings(findings)
    return Verdict(findings=ranked, grade=grade_findings(ranked))


def report_verdict(report: DocumentReport) -> Verdict:
    """The verdict of an analysed document."""
    return verdict_of(findings_from_report(report))


def _missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or (type(value).__name__ in ("NAType", "NaTType"))
    )


def _sequence(value: Any) -> list[Any]:
    """A cell holding a list: a list or array (Parquet, JSON Lines) or a JSON list (CSV)."""
    if value is None or isinstance(value, bytes) or _missing(value):
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return [value]
        return list(parsed) if isinstance(parsed, list) else [value]
    return list(value)
