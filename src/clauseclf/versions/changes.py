"""What changed between two versions, clause by clause (``ClauseChange``) and in summary
(``Change``: a clause added or removed, a severity raised or lowered, a type gained or lost),
with which of those changes are adverse to the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from clauseclf.rendering import clause_types
from clauseclf.report import AnalyzedClause, DocumentReport
from clauseclf.taxonomy import OTHER
from clauseclf.versions.alignment import WordOp, _inline_diff

#: A new clause or type at this severity or above is an adverse change (the taxonomy: "medium:
#: adverse to the user"); losing a clause or type of the lowest severity (protective) is too.
ADVERSE_SEVERITY = "medium"

Status = Literal["unchanged", "reworded", "added", "removed"]
ChangeKind = Literal[
    "new_clause",
    "removed_clause",
    "severity_raised",
    "severity_lowered",
    "type_added",
    "type_removed",
    "type_new",
    "type_gone",
]


@dataclass(frozen=True)
class ClauseChange:
    """One aligned clause: ``old`` and/or ``new`` (None when added/removed), how similar their
    wording is (1.0 unchanged, None when added/removed), and for reworded clauses a word diff."""

    status: Status
    old: AnalyzedClause | None
    new: AnalyzedClause | None
    similarity: float | None
    moved: bool = False
    word_diff: tuple[WordOp, ...] = ()
    severity_change: int = 0

    @property
    def clause(self) -> AnalyzedClause:
        """The clause as it is now (the old one for removed clauses)."""
        clause = self.new or self.old
        assert clause is not None
        return clause

    @property
    def clause_id(self) -> str:
        """The id of the clause as it is now."""
        return self.clause.clause_id

    @property
    def text(self) -> str:
        """The text of the clause as it is now."""
        return self.clause.text

    @property
    def old_severity(self) -> str | None:
        """The old clause's severity, None when the clause was added."""
        return self.old.severity if self.old else None

    @property
    def new_severity(self) -> str | None:
        """The new clause's severity, None when the clause was removed."""
        return self.new.severity if self.new else None

    @property
    def old_types(self) -> tuple[str, ...]:
        """The old clause's types, empty when the clause was added."""
        return clause_types(self.old.prediction.labels, self.old.label) if self.old else ()

    @property
    def new_types(self) -> tuple[str, ...]:
        """The new clause's types, empty when the clause was removed."""
        return clause_types(self.new.prediction.labels, self.new.label) if self.new else ()

    def word_diff_text(self) -> str:
        """The word diff in ``git diff --word-diff`` style: ``[-dropped-]{+added+}``."""
        return _inline_diff(self.word_diff, lambda s: f"[-{s}-]", lambda s: f"{{+{s}+}}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: status, similarity, both clauses and the word diff."""
        return {
            "status": self.status,
            "moved": self.moved,
            "similarity": self.similarity,
            "severity_change": self.severity_change,
            "old": _clause_dict(self.old),
            "new": _clause_dict(self.new),
            "word_diff": [op.to_dict() for op in self.word_diff],
        }


@dataclass(frozen=True)
class Change:
    """One item of the summary: a clause added or removed, a severity raised or lowered, a type
    gained or lost by a reworded clause. ``adverse`` marks what got worse for the user;
    ``new_to_policy`` / ``gone_from_policy`` the change's types the old policy did not have at
    all / the new one has no more; ``clause_id`` and ``text`` name the clause it concerns.

    ``type_new`` / ``type_gone`` (a type newly present / no longer present in the whole policy)
    appear only when no clause change explains them (e.g. the versions were analysed by
    different models)."""

    kind: ChangeKind
    types: tuple[str, ...]
    old_severity: str | None
    new_severity: str | None
    adverse: bool
    clause_id: str
    text: str
    new_to_policy: tuple[str, ...] = ()
    gone_from_policy: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line, e.g. ``severity raised: arbitration low -> high``."""
        types = ", ".join(self.types)
        line = {
            "new_clause": f"new: {types}, {self.new_severity}",
            "removed_clause": f"removed: {types}, {self.old_severity}",
            "severity_raised": f"severity raised: {types} {self.old_severity} -> "
            f"{self.new_severity}",
            "severity_lowered": f"severity lowered: {types} {self.old_severity} -> "
            f"{self.new_severity}",
            "type_added": f"type added to a reworded clause: {types}, {self.new_severity}",
            "type_removed": f"type dropped from a reworded clause: {types}, {self.old_severity}",
            "type_new": f"type newly present: {types}, {self.new_severity}",
            "type_gone": f"type no longer present: {types}, {self.old_severity}",
        }[self.kind]
        if self.kind in ("type_new", "type_gone"):
            return line
        for note, listed in (
            ("new to the policy", self.new_to_policy),
            ("gone from the policy", self.gone_from_policy),
        ):
            if listed:
                line += f"; {note}" if listed == self.types else f"; {note}: {', '.join(listed)}"
        return line

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the one-line description."""
        return {
            "kind": self.kind,
            "description": self.describe(),
            "types": list(self.types),
            "old_severity": self.old_severity,
            "new_severity": self.new_severity,
            "adverse": self.adverse,
            "new_to_policy": list(self.new_to_policy),
            "gone_from_policy": list(self.gone_from_policy),
            "clause_id": self.clause_id,
            "text": self.text,
        }


# -- internals ---------------------------------------------------------------------------------


def _summary(
    clauses: tuple[ClauseChange, ...],
    old: DocumentReport,
    new: DocumentReport,
    scale: tuple[str, ...],
) -> list[Change]:
    """The summary: what changed for the user, clause by clause, then types that newly appear
    in (or vanish from) the policy without a clause change explaining it."""
    adverse_rank = scale.index(ADVERSE_SEVERITY) if ADVERSE_SEVERITY in scale else len(scale) - 1
    protective = scale[0]
    old_types = _type_severities(old, scale)
    new_types = _type_severities(new, scale)
    explained_new: set[str] = set()
    explained_gone: set[str] = set()
    out: list[Change] = []

    def add(
        kind: ChangeKind,
        types: tuple[str, ...],
        severities: tuple[str | None, str | None],
        adverse: bool,
        clause: AnalyzedClause,
        gained: Iterable[str] = (),
        lost: Iterable[str] = (),
    ) -> None:
        fresh = tuple(t for t in gained if t not in old_types)
        gone = tuple(t for t in lost if t not in new_types)
        explained_new.update(fresh)
        explained_gone.update(gone)
        before, after = severities
        out.append(
            Change(kind, types, before, after, adverse, clause.clause_id, clause.text, fresh, gone)
        )

    for item in clauses:
        before, after = item.old, item.new
        if before is None and after is not None:
            if after.label != OTHER or after.prediction.labels:
                types = clause_types(after.prediction.labels, after.label)
                adverse = scale.index(after.severity) >= adverse_rank
                add("new_clause", types, (None, after.severity), adverse, after, gained=types)
        elif before is not None and after is None:
            if before.label != OTHER or before.prediction.labels:
                types = clause_types(before.prediction.labels, before.label)
                adverse = before.severity == protective
                add("removed_clause", types, (before.severity, None), adverse, before, lost=types)
        elif before is not None and after is not None and item.status == "reworded":
            gained = [t for t in after.prediction.labels if t not in before.prediction.labels]
            lost = [t for t in before.prediction.labels if t not in after.prediction.labels]
            severities = (before.severity, after.severity)
            if item.severity_change > 0:  # says it all: no separate type changes
                top = (_top_type(after),)
                add("severity_raised", top, severities, True, after, gained, lost)
                continue
            if item.severity_change < 0:
                add("severity_lowered", (_top_type(before),), severities, False, after)
            for t in gained:
                severity = after.prediction.severities.get(t, after.severity)
                adverse = scale.index(severity) >= adverse_rank
                add("type_added", (t,), (None, severity), adverse, after, gained=(t,))
            for t in lost:
                severity = before.prediction.severities.get(t, before.severity)
                add(
                    "type_removed", (t,), (severity, None), severity == protective, after, lost=(t,)
                )
    for t, (severity, clause) in new_types.items():
        if t not in old_types and t not in explained_new:
            adverse = scale.index(severity) >= adverse_rank
            out.append(
                Change(
                    "type_new", (t,), None, severity, adverse, clause.clause_id, clause.text, (t,)
                )
            )
    for t, (severity, clause) in old_types.items():
        if t not in new_types and t not in explained_gone:
            out.append(
                Change(
                    "type_gone",
                    (t,),
                    severity,
                    None,
                    severity == protective,
                    clause.clause_id,
                    clause.text,
                    (),
                    (t,),
                )
            )
    return out


def _top_type(clause: AnalyzedClause) -> str:
    """The clause's most probable type at its (most adverse) severity."""
    for t in clause.prediction.labels:
        if clause.prediction.severities.get(t) == clause.severity:
            return t
    return clause.label


def _type_severities(
    report: DocumentReport, scale: tuple[str, ...]
) -> dict[str, tuple[str, AnalyzedClause]]:
    """Each predicted type of the report: its most adverse severity and the clause carrying it
    (the first one at that severity)."""
    out: dict[str, tuple[str, AnalyzedClause]] = {}
    for clause in report.clauses:
        for t in clause.prediction.labels:
            severity = clause.prediction.severities.get(t, clause.severity)
            if t not in out or scale.index(severity) > scale.index(out[t][0]):
                out[t] = (severity, clause)
    return out


def _clause_dict(clause: AnalyzedClause | None) -> dict[str, Any] | None:
    if clause is None:
        return None
    return {
        "clause_index": clause.index,
        "clause_id": clause.clause_id,
        "heading": clause.segment.heading,
        "text": clause.text,
        "label": clause.label,
        "labels": dict(clause.prediction.labels),
        "severity": clause.severity,
        "severities": dict(clause.prediction.severities),
        "confidence": clause.confidence,
    }
