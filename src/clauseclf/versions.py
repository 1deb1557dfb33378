"""Policy versions: what changed between two analysed versions of a policy, and the history of
each clause over many dated versions.

``diff(old, new)`` aligns the clauses of two ``DocumentReport``s:

1. the same ``clause_id`` (the same normalised wording, ``clauseclf.provenance``) ->
   ``unchanged``;
2. the remaining clauses are paired one-to-one, most similar pair first (greedy), when the
   ``difflib.SequenceMatcher`` ratio of their normalised words is at least ``threshold``
   (``SIMILARITY_THRESHOLD`` = 0.6) -> ``reworded``, with a word-level diff;
3. what is left is ``added`` (only in the new version) or ``removed`` (only in the old one).

An aligned clause whose position relative to the other aligned clauses changed is ``moved``
(the fewest clauses that explain the new order: those off a longest increasing subsequence).

The summary (``PolicyDiff.changes``; the adverse ones in ``worse()``): a clause added (adverse
at severity medium or high) or removed (adverse when it protected the user: severity none), a
severity raised (adverse) or lowered on a reworded clause, a type gained (adverse at medium or
high) or dropped (adverse when protective) by a reworded clause. Predictions of text-identical
clauses are not compared: a change of model is not a change of policy (``same_model`` tells
whether both reports come from the same model).
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from difflib import SequenceMatcher
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from clauseclf.provenance import normalize_clause_text
from clauseclf.rendering import clause_types, report_name, wrap
from clauseclf.report import AnalyzedClause, DocumentReport
from clauseclf.taxonomy import OTHER, SEVERITY_SCALE

if TYPE_CHECKING:
    import pandas as pd

#: Minimum word-level similarity (``SequenceMatcher.ratio``, 0..1) for two clauses with different
#: wording to count as one reworded clause rather than one removed and one added.
SIMILARITY_THRESHOLD = 0.6
#: A new clause or type at this severity or above is an adverse change (the taxonomy: "medium:
#: adverse to the user"); losing a clause or type of the lowest severity (protective) is too.
ADVERSE_SEVERITY = "medium"

Status = Literal["unchanged", "reworded", "added", "removed"]
WordOpKind = Literal["equal", "insert", "delete"]
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

#: Columns of ``PolicyDiff.to_frame()``, in order.
DIFF_COLUMNS: tuple[str, ...] = (
    "status",
    "moved",
    "worse",
    "similarity",
    "old_index",
    "new_index",
    "old_clause_id",
    "new_clause_id",
    "heading",
    "old_label",
    "new_label",
    "old_labels",
    "new_labels",
    "old_severity",
    "new_severity",
    "severity_change",
    "old_text",
    "new_text",
    "word_diff",
)
#: Columns of ``PolicyHistory.to_frame()``, in order.
HISTORY_COLUMNS: tuple[str, ...] = (
    "lineage_id",
    "clause_id",
    "status",
    "first_seen",
    "last_seen",
    "versions",
    "changes",
    "label",
    "severity",
    "text",
)


@dataclass(frozen=True)
class WordOp:
    """One step of a word diff: words kept (``equal``), added (``insert``) or dropped
    (``delete``)."""

    op: WordOpKind
    words: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "words": list(self.words)}


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
        return self.clause.clause_id

    @property
    def text(self) -> str:
        return self.clause.text

    @property
    def old_severity(self) -> str | None:
        return self.old.severity if self.old else None

    @property
    def new_severity(self) -> str | None:
        return self.new.severity if self.new else None

    @property
    def old_types(self) -> tuple[str, ...]:
        return clause_types(self.old.prediction.labels, self.old.label) if self.old else ()

    @property
    def new_types(self) -> tuple[str, ...]:
        return clause_types(self.new.prediction.labels, self.new.label) if self.new else ()

    def word_diff_text(self) -> str:
        """The word diff in ``git diff --word-diff`` style: ``[-dropped-]{+added+}``."""
        return _inline_diff(self.word_diff, lambda s: f"[-{s}-]", lambda s: f"{{+{s}+}}")

    def to_dict(self) -> dict[str, Any]:
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


@dataclass(frozen=True)
class PolicyDiff:
    """What changed from ``old`` to ``new``: every clause aligned (``clauses``, in the new
    document's order with removed clauses where they were) and the summary (``changes``)."""

    old: DocumentReport
    new: DocumentReport
    clauses: tuple[ClauseChange, ...]
    changes: tuple[Change, ...]
    threshold: float = SIMILARITY_THRESHOLD
    severity_scale: tuple[str, ...] = field(default=SEVERITY_SCALE, repr=False)

    @property
    def added(self) -> tuple[ClauseChange, ...]:
        return self._with("added")

    @property
    def removed(self) -> tuple[ClauseChange, ...]:
        return self._with("removed")

    @property
    def reworded(self) -> tuple[ClauseChange, ...]:
        return self._with("reworded")

    @property
    def unchanged(self) -> tuple[ClauseChange, ...]:
        return self._with("unchanged")

    @property
    def moved(self) -> tuple[ClauseChange, ...]:
        return tuple(c for c in self.clauses if c.moved)

    @property
    def identical(self) -> bool:
        """True when no clause was added, removed, reworded or moved."""
        return all(c.status == "unchanged" and not c.moved for c in self.clauses)

    @property
    def same_model(self) -> bool:
        """Whether both versions were analysed by the same model (id and version)."""
        return (self.old.model_id, self.old.model_version) == (
            self.new.model_id,
            self.new.model_version,
        )

    def worse(self) -> tuple[Change, ...]:
        """The adverse changes, most severe first."""
        adverse = [c for c in self.changes if c.adverse]
        return tuple(sorted(adverse, key=lambda c: -self._rank(c.new_severity or "")))

    def counts(self) -> dict[str, int]:
        """Number of clauses per status, and of moved clauses and adverse changes."""
        out: dict[str, int] = {status: len(self._with(status)) for status in _STATUSES}
        out["moved"] = len(self.moved)
        out["worse"] = len(self.worse())
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: provenance of both versions, counts, summary, aligned clauses."""
        return {
            "old": _provenance(self.old),
            "new": _provenance(self.new),
            "same_model": self.same_model,
            "threshold": self.threshold,
            "counts": self.counts(),
            "worse": [c.to_dict() for c in self.worse()],
            "changes": [c.to_dict() for c in self.changes],
            "clauses": [c.to_dict() for c in self.clauses],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per aligned clause, columns ``DIFF_COLUMNS``."""
        import pandas as pd

        worse_ids = {c.clause_id for c in self.worse()}
        rows = []
        for change in self.clauses:
            old, new = change.old, change.new
            rows.append(
                (
                    change.status,
                    change.moved,
                    change.clause_id in worse_ids,
                    change.similarity,
                    old.index if old else None,
                    new.index if new else None,
                    old.clause_id if old else None,
                    new.clause_id if new else None,
                    change.clause.segment.heading,
                    old.label if old else None,
                    new.label if new else None,
                    list(change.old_types),
                    list(change.new_types),
                    change.old_severity,
                    change.new_severity,
                    change.severity_change,
                    old.text if old else None,
                    new.text if new else None,
                    change.word_diff_text() if change.word_diff else None,
                )
            )
        frame = pd.DataFrame.from_records(rows, columns=list(DIFF_COLUMNS))
        return frame.astype(
            {
                "moved": "bool",
                "worse": "bool",
                "similarity": "float64",
                "old_index": "Int64",
                "new_index": "Int64",
                "severity_change": "int64",
            }
        )

    def format(self, *, width: int = 100, color: bool = False, unchanged: bool = False) -> str:
        """A readable view: counts, what got worse, other changes, then the clauses added,
        removed, reworded (word diff) and moved (``unchanged=True``: every clause)."""
        paint = _paint if color else _no_paint
        lines = [
            f"{report_name(self.old)}  ->  {report_name(self.new)}",
            _wrap("  old: ", _provenance_line(self.old), width),
            _wrap("  new: ", _provenance_line(self.new), width),
        ]
        if not self.same_model:
            lines.append(
                "  note: the versions were analysed by different models; only changed wording "
                "is compared"
            )
        counts = self.counts()
        lines.append(
            f"{counts['added']} added, {counts['removed']} removed, {counts['reworded']} "
            f"reworded, {counts['unchanged']} unchanged ({counts['moved']} moved)"
        )
        worse = self.worse()
        lines.append("")
        if worse:
            lines.append(paint(f"What got worse ({len(worse)}):", "bold"))
            for item in worse:
                lines.append(paint(_wrap("  ! ", item.describe(), width), "red"))
                lines.append(_wrap("      ", _quote(item.text), width))
        else:
            lines.append("Nothing got worse.")
        others = [c for c in self.changes if not c.adverse]
        if others:
            lines.append("")
            lines.append(f"Other changes ({len(others)}):")
            lines.extend(_wrap("    ", item.describe(), width) for item in others)
        shown = [c for c in self.clauses if unchanged or c.status != "unchanged" or c.moved]
        if shown:
            lines.append("")
            lines.append("Clauses:")
        for change in shown:
            lines.extend(self._format_clause(change, width, paint))
        return "\n".join(lines)

    def to_html(self) -> str:
        """A self-contained HTML page (inline CSS, every text escaped) of ``format``'s view."""
        e = html.escape
        worse = self.worse()
        counts = self.counts()
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>Policy diff: {e(report_name(self.new))}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>{e(report_name(self.old))} &rarr; {e(report_name(self.new))}</h1>",
            '<table class="provenance">',
            f"<tr><th>old</th><td>{e(_provenance_line(self.old))}</td></tr>",
            f"<tr><th>new</th><td>{e(_provenance_line(self.new))}</td></tr></table>",
            f"<p>{counts['added']} added, {counts['removed']} removed, {counts['reworded']} "
            f"reworded, {counts['unchanged']} unchanged ({counts['moved']} moved)</p>",
        ]
        if not self.same_model:
            parts.append(
                '<p class="note">The versions were analysed by different models; only changed '
                "wording is compared.</p>"
            )
        if worse:
            parts.append(f'<h2>What got worse ({len(worse)})</h2><ul class="worse">')
            parts.extend(
                f"<li><strong>{e(c.describe())}</strong><br><q>{e(c.text)}</q></li>" for c in worse
            )
            parts.append("</ul>")
        else:
            parts.append("<h2>Nothing got worse</h2>")
        others = [c for c in self.changes if not c.adverse]
        if others:
            parts.append(f"<h2>Other changes ({len(others)})</h2><ul>")
            parts.extend(f"<li>{e(c.describe())}</li>" for c in others)
            parts.append("</ul>")
        parts.append('<h2>Clauses</h2><table class="clauses">')
        parts.append("<tr><th>change</th><th>type, severity</th><th>clause</th></tr>")
        for change in self.clauses:
            if change.status == "reworded":
                body = _inline_diff(
                    change.word_diff,
                    lambda s: f"<del>{e(s)}</del>",
                    lambda s: f"<ins>{e(s)}</ins>",
                    escape=e,
                )
            else:
                body = e(change.text)
            status = change.status + (", moved" if change.moved else "")
            parts.append(
                f'<tr class="{change.status}"><td>{e(status)}</td>'
                f"<td>{e(_type_and_severity(change))}</td><td>{body}</td></tr>"
            )
        parts.append("</table></body></html>")
        return "\n".join(parts) + "\n"

    def _format_clause(
        self, change: ClauseChange, width: int, paint: Callable[[str, str], str]
    ) -> list[str]:
        label = _type_and_severity(change)
        if change.status == "added":
            return [paint(_wrap(f"  + [{label}] ", change.text, width), "green")]
        if change.status == "removed":
            return [paint(_wrap(f"  - [{label}] ", change.text, width), "red")]
        moved = " (moved)" if change.moved else ""
        if change.status == "unchanged":
            return [_wrap(f"  = [{label}]{moved} ", change.text, width)]
        header = _wrap("  ~ ", f"[{label}] similarity {change.similarity:.2f}{moved}", width)
        body = _inline_diff(
            change.word_diff,
            lambda s: paint(f"[-{s}-]", "red"),
            lambda s: paint(f"{{+{s}+}}", "green"),
        )
        return [header, _wrap("      ", body, width)]

    def _with(self, status: str) -> tuple[ClauseChange, ...]:
        return tuple(c for c in self.clauses if c.status == status)

    def _rank(self, severity: str) -> int:
        return self.severity_scale.index(severity) if severity in self.severity_scale else -1


def diff(
    old: DocumentReport,
    new: DocumentReport,
    *,
    threshold: float = SIMILARITY_THRESHOLD,
    severity_scale: Sequence[str] = SEVERITY_SCALE,
) -> PolicyDiff:
    """Compare two analysed versions of a policy (see the module docstring for the alignment).

    ``threshold``: minimum word similarity (0 < threshold <= 1) for a reworded clause;
    ``severity_scale``: the severities, least adverse first (the taxonomy's by default).
    """
    for name, report in (("old", old), ("new", new)):
        if not isinstance(report, DocumentReport):
            raise TypeError(f"{name} must be a DocumentReport, not {type(report).__name__}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    scale = tuple(severity_scale)
    for name, report in (("old", old), ("new", new)):
        for clause in report.clauses:
            for severity in (clause.severity, *clause.prediction.severities.values()):
                if severity not in scale:
                    raise ValueError(
                        f"{name} clause {clause.index}: severity {severity!r} is not on the "
                        f"scale {list(scale)}"
                    )
    pairs = _align(old.clauses, new.clauses, threshold)
    moved = _moved(pairs)
    matched_old = {i for i, _, _ in pairs}
    changes: list[tuple[tuple[int, int, int], ClauseChange]] = []
    new_of_old: dict[int, int] = {}
    for i, j, similarity in pairs:
        new_of_old[i] = j
        before, after = old.clauses[i], new.clauses[j]
        exact = before.clause_id == after.clause_id
        change = ClauseChange(
            status="unchanged" if exact else "reworded",
            old=before,
            new=after,
            similarity=1.0 if exact else similarity,
            moved=(i, j) in moved,
            word_diff=() if exact else word_diff(before.text, after.text),
            severity_change=0
            if exact
            else scale.index(after.severity) - scale.index(before.severity),
        )
        changes.append(((j, 0, 0), change))
    matched_new = set(new_of_old.values())
    for j, clause in enumerate(new.clauses):
        if j not in matched_new:
            changes.append(((j, 0, 0), ClauseChange("added", None, clause, None)))
    anchor = -1
    for i, clause in enumerate(old.clauses):
        if i in matched_old:
            anchor = new_of_old[i]
        else:
            changes.append(((anchor, 1, i), ClauseChange("removed", clause, None, None)))
    changes.sort(key=lambda item: item[0])
    clauses = tuple(change for _, change in changes)
    return PolicyDiff(
        old=old,
        new=new,
        clauses=clauses,
        changes=tuple(_summary(clauses, old, new, scale)),
        threshold=threshold,
        severity_scale=scale,
    )


def word_diff(old_text: str, new_text: str) -> tuple[WordOp, ...]:
    """Word-level diff of two texts (words split on whitespace, compared normalised)."""
    old_words, new_words = old_text.split(), new_text.split()
    matcher = SequenceMatcher(None, _keys(old_words), _keys(new_words), autojunk=False)
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(WordOp("equal", tuple(new_words[j1:j2])))
            continue
        if tag in ("delete", "replace"):
            ops.append(WordOp("delete", tuple(old_words[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(WordOp("insert", tuple(new_words[j1:j2])))
    return tuple(ops)


def similarity(old_text: str, new_text: str) -> float:
    """Word-level similarity (0..1) of two clause texts, as ``diff`` uses it."""
    matcher = SequenceMatcher(
        None, _keys(old_text.split()), _keys(new_text.split()), autojunk=False
    )
    return matcher.ratio()


# -- history -----------------------------------------------------------------------------------

DateLike = date | datetime | str
StabilityLabel = Literal["stable", "changed", "new", "removed"]


@dataclass(frozen=True)
class PolicyVersion:
    """One dated version of a document (``date`` is a ``date`` or an aware/naive ``datetime``)."""

    date: date
    report: DocumentReport


@dataclass(frozen=True)
class ClauseLineage:
    """One clause across the versions: reworded clauses keep their lineage.

    ``lineage_id`` is its ``clause_id`` when first seen (with ``-2``, ``-3`` for repeated
    wording), ``clause_ids`` every id it had; ``changes`` counts the versions in which it was
    reworded or came back after being removed; ``status`` is ``removed`` (not in the latest
    version), ``changed`` (changed at least once), ``new`` (first seen after the first
    version) or ``stable``.
    """

    lineage_id: str
    clause_ids: tuple[str, ...]
    status: StabilityLabel
    first_seen: date
    last_seen: date
    versions: int
    changes: int
    label: str
    severity: str
    text: str

    @property
    def clause_id(self) -> str:
        """The clause's latest id."""
        return self.clause_ids[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lineage_id": self.lineage_id,
            "clause_id": self.clause_id,
            "clause_ids": list(self.clause_ids),
            "status": self.status,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "versions": self.versions,
            "changes": self.changes,
            "label": self.label,
            "severity": self.severity,
            "text": self.text,
        }


class PolicyHistory:
    """Dated versions of one document, oldest first, and the lineage of every clause.

    ``PolicyHistory([(date, report), ...])`` or ``history.add(date, report)``; a date is a
    ``datetime.date``, a ``datetime`` (naive ones are taken as UTC) or an ISO-8601 string.
    Adding a second version at the same date (the same instant, for datetimes) is a
    ``ValueError`` unless ``replace=True``, which replaces the earlier version.
    """

    def __init__(
        self,
        versions: Iterable[tuple[DateLike, DocumentReport]] = (),
        *,
        threshold: float = SIMILARITY_THRESHOLD,
        severity_scale: Sequence[str] = SEVERITY_SCALE,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        self.threshold = threshold
        self.severity_scale = tuple(severity_scale)
        self._versions: list[PolicyVersion] = []
        self._diffs: tuple[PolicyDiff, ...] | None = None
        for when, report in versions:
            self.add(when, report)

    def add(self, when: DateLike, report: DocumentReport, *, replace: bool = False) -> None:
        """Add a version dated ``when`` (kept in date order)."""
        if not isinstance(report, DocumentReport):
            raise TypeError(f"report must be a DocumentReport, not {type(report).__name__}")
        moment = parse_date(when)
        key = _sort_key(moment)
        for position, version in enumerate(self._versions):
            if _sort_key(version.date) == key:
                if not replace:
                    raise ValueError(
                        f"there is already a version dated {version.date.isoformat()}; "
                        "pass replace=True to replace it"
                    )
                del self._versions[position]
                break
        self._versions.append(PolicyVersion(moment, report))
        self._versions.sort(key=lambda v: _sort_key(v.date))
        self._diffs = None

    @property
    def versions(self) -> tuple[PolicyVersion, ...]:
        """The versions, oldest first."""
        return tuple(self._versions)

    def __len__(self) -> int:
        return len(self._versions)

    def diffs(self) -> tuple[PolicyDiff, ...]:
        """The diff of each version against the one before it (``len(self) - 1`` diffs)."""
        if self._diffs is None:
            self._diffs = tuple(
                diff(
                    a.report,
                    b.report,
                    threshold=self.threshold,
                    severity_scale=self.severity_scale,
                )
                for a, b in zip(self._versions, self._versions[1:], strict=False)
            )
        return self._diffs

    def clauses(self) -> tuple[ClauseLineage, ...]:
        """Every clause lineage, in order of first appearance (then document order)."""
        if not self._versions:
            return ()
        dates = [v.date for v in self._versions]
        lineages: list[_Lineage] = []
        used: set[str] = set()

        def start(clause: AnalyzedClause, version: int) -> _Lineage:
            lineage_id, n = clause.clause_id, 1
            while lineage_id in used:
                n += 1
                lineage_id = f"{clause.clause_id}-{n}"
            used.add(lineage_id)
            lineage = _Lineage(lineage_id, [clause.clause_id], version, version, 1, 0, clause)
            lineages.append(lineage)
            return lineage

        current = {c.index: start(c, 0) for c in self._versions[0].report.clauses}
        for version, step in enumerate(self.diffs(), start=1):
            following: dict[int, _Lineage] = {}
            active = set(map(id, current.values()))
            claimed: set[int] = set()
            for change in step.clauses:
                if change.new is None:
                    continue
                if change.old is not None:
                    lineage = current[change.old.index]
                    if change.status == "reworded":
                        lineage.changes += 1
                        lineage.clause_ids.append(change.new.clause_id)
                else:
                    found = _revivable(lineages, change.new.clause_id, active | claimed)
                    if found is None:
                        lineage = start(change.new, version)
                    else:
                        lineage = found
                        lineage.changes += 1
                lineage.seen(version, change.new)
                claimed.add(id(lineage))
                following[change.new.index] = lineage
            current = following
        latest = len(self._versions) - 1
        return tuple(lineage.freeze(dates, latest) for lineage in lineages)

    def to_frame(self) -> pd.DataFrame:
        """One row per clause lineage, columns ``HISTORY_COLUMNS``."""
        import pandas as pd

        rows = [
            (
                c.lineage_id,
                c.clause_id,
                c.status,
                c.first_seen,
                c.last_seen,
                c.versions,
                c.changes,
                c.label,
                c.severity,
                c.text,
            )
            for c in self.clauses()
        ]
        frame = pd.DataFrame.from_records(rows, columns=list(HISTORY_COLUMNS))
        return frame.astype({"versions": "int64", "changes": "int64"})


def parse_date(value: DateLike) -> date:
    """A version date from a ``date``, a ``datetime`` or an ISO-8601 string; ``ValueError``
    (``TypeError`` for other types) naming the value otherwise."""
    if isinstance(value, date):  # datetime is a date too
        return value
    if not isinstance(value, str):
        raise TypeError(
            f"a version date must be a date, a datetime or an ISO-8601 string, not "
            f"{type(value).__name__}"
        )
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO-8601 date or datetime: {value!r}") from None


# -- internals ---------------------------------------------------------------------------------

_STATUSES: tuple[Status, ...] = ("added", "removed", "reworded", "unchanged")
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_ANSI = {"red": "\x1b[31m", "green": "\x1b[32m", "bold": "\x1b[1m"}
#: ``PolicyDiff.format``'s wrapping: never inside a hyphenated word and at least 20 columns of
#: text however long the prefix.
_wrap = partial(wrap, min_text_width=20, break_on_hyphens=False)
_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
    "padding:.35rem .5rem;text-align:left;vertical-align:top}.provenance td,.provenance th"
    "{border:none;font-size:.9em;color:#555}ins{background:#d7f5dd;text-decoration:none}"
    "del{background:#fbdada}.added td:first-child{color:#1a7f37}.removed td:first-child"
    "{color:#cf222e}.removed td:last-child{text-decoration:line-through;color:#777}"
    ".worse li{margin-bottom:.5rem;color:#a40e26}.worse q{color:#222}.note{color:#9a6700}"
)


@dataclass
class _Lineage:
    """A clause lineage while the history is walked (mutable; frozen by ``freeze``)."""

    lineage_id: str
    clause_ids: list[str]
    first: int
    last: int
    versions: int
    changes: int
    clause: AnalyzedClause

    def seen(self, version: int, clause: AnalyzedClause) -> None:
        if version != self.first:
            self.versions += 1
        self.last, self.clause = version, clause

    def freeze(self, dates: list[date], latest: int) -> ClauseLineage:
        status: StabilityLabel
        if self.last != latest:
            status = "removed"
        elif self.changes:
            status = "changed"
        elif self.first > 0:
            status = "new"
        else:
            status = "stable"
        return ClauseLineage(
            lineage_id=self.lineage_id,
            clause_ids=tuple(self.clause_ids),
            status=status,
            first_seen=dates[self.first],
            last_seen=dates[self.last],
            versions=self.versions,
            changes=self.changes,
            label=self.clause.label,
            severity=self.clause.severity,
            text=self.clause.text,
        )


def _revivable(lineages: list[_Lineage], clause_id: str, taken: set[int]) -> _Lineage | None:
    """A lineage that ended earlier with this wording (the clause came back), if any."""
    for lineage in reversed(lineages):
        if lineage.clause_ids[-1] == clause_id and id(lineage) not in taken:
            return lineage
    return None


def _sort_key(moment: date) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.combine(moment, time.min, tzinfo=UTC)


def _keys(words: Sequence[str]) -> list[str]:
    """Words as compared: normalised, without punctuation around them ("arbitration." ==
    "Arbitration"); a word of punctuation only stays as it is."""
    keys = []
    for word in words:
        key = normalize_clause_text(word)
        keys.append(_EDGE_PUNCTUATION.sub("", key) or key)
    return keys


def _align(
    old: Sequence[AnalyzedClause], new: Sequence[AnalyzedClause], threshold: float
) -> list[tuple[int, int, float]]:
    """(old index, new index, similarity) of the aligned clauses: the same clause_id first
    (in order, for repeated wording), then the most similar remaining pairs, one-to-one."""
    old_ids = [clause.clause_id for clause in old]
    new_ids = [clause.clause_id for clause in new]
    # Same wording in the same order first (so repeated wording pairs without moves) ...
    in_order = SequenceMatcher(None, old_ids, new_ids, autojunk=False).get_matching_blocks()
    pairs = [(b.a + k, b.b + k, 1.0) for b in in_order for k in range(b.size)]
    taken_old = {i for i, _, _ in pairs}
    taken_new = {j for _, j, _ in pairs}
    # ... then the same wording elsewhere (moved clauses).
    waiting: dict[str, list[int]] = {}
    for j, identifier in enumerate(new_ids):
        if j not in taken_new:
            waiting.setdefault(identifier, []).append(j)
    rest_old: list[int] = []
    for i, identifier in enumerate(old_ids):
        if i in taken_old:
            continue
        queue = waiting.get(identifier)
        if queue:
            pairs.append((i, queue.pop(0), 1.0))
        else:
            rest_old.append(i)
    taken = {j for _, j, _ in pairs}
    rest_new = [j for j in range(len(new)) if j not in taken]
    if not rest_old or not rest_new:
        return pairs
    old_keys = {i: _keys(old[i].text.split()) for i in rest_old}
    candidates: list[tuple[float, float, int, int]] = []
    matcher: SequenceMatcher[str] = SequenceMatcher(None, autojunk=False)
    for j in rest_new:
        matcher.set_seq2(_keys(new[j].text.split()))
        for i in rest_old:
            matcher.set_seq1(old_keys[i])
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                distance = abs(i / len(old) - j / len(new))
                candidates.append((-ratio, distance, i, j))
    candidates.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    for negative_ratio, _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j, -negative_ratio))
    return pairs


def _moved(pairs: list[tuple[int, int, float]]) -> set[tuple[int, int]]:
    """The aligned pairs off a longest increasing subsequence of new positions (in old order)."""
    ordered = sorted((i, j) for i, j, _ in pairs)
    tails: list[int] = []  # tails[k]: smallest new index ending an increasing run of length k+1
    tail_at: list[int] = []  # position in ``ordered`` of that tail
    previous = [-1] * len(ordered)
    for position, (_, j) in enumerate(ordered):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(position)
        else:
            tails[k] = j
            tail_at[k] = position
        previous[position] = tail_at[k - 1] if k else -1
    kept: set[int] = set()
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        kept.add(position)
        position = previous[position]
    return {pair for position, pair in enumerate(ordered) if position not in kept}


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


def _inline_diff(
    ops: Iterable[WordOp],
    deleted: Callable[[str], str],
    inserted: Callable[[str], str],
    escape: Callable[[str], str] | None = None,
) -> str:
    pieces = []
    for op in ops:
        words = " ".join(op.words)
        if op.op == "equal":
            pieces.append(escape(words) if escape else words)
        elif op.op == "delete":
            pieces.append(deleted(words))
        else:
            pieces.append(inserted(words))
    return " ".join(pieces)


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


def _provenance(report: DocumentReport) -> dict[str, Any]:
    return {
        "platform": report.platform,
        "document": report.document,
        "source": report.source,
        "sha256": report.sha256,
        "analyzed_at": report.analyzed_at.isoformat() if report.analyzed_at else None,
        "model_id": report.model_id,
        "model_version": report.model_version,
        "clauses": len(report.clauses),
    }


def _provenance_line(report: DocumentReport) -> str:
    parts = [f"sha256 {report.sha256[:12]}"]
    if report.source:
        parts.append(report.source)
    if report.analyzed_at:
        parts.append(f"analysed {report.analyzed_at.isoformat(timespec='seconds')}")
    if report.model_id and report.model_version:
        parts.append(f"model {report.model_id} ({report.model_version})")
    elif report.model_id or report.model_version:
        parts.append(f"model {report.model_id or report.model_version}")
    return ", ".join(parts)


def _type_and_severity(change: ClauseChange) -> str:
    if change.old is not None and change.new is not None and change.status == "reworded":
        old_types, new_types = ", ".join(change.old_types), ", ".join(change.new_types)
        types = new_types if old_types == new_types else f"{old_types} -> {new_types}"
        if change.old_severity == change.new_severity:
            return f"{types}, {change.new_severity}"
        direction = "raised" if change.severity_change > 0 else "lowered"
        return f"{types}, {change.old_severity} -> {change.new_severity} ({direction})"
    types = ", ".join(change.new_types or change.old_types)
    return f"{types}, {change.clause.severity}"


def _quote(text: str) -> str:
    return f'"{text}"'


def _paint(text: str, style: str) -> str:
    return f"{_ANSI[style]}{text}\x1b[0m"


def _no_paint(text: str, style: str) -> str:
    return text
