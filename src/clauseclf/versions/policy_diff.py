"""``diff(old, new)``: the ``PolicyDiff`` of two analysed versions of a policy, and its
outputs: a readable text (``format``), a JSON-ready dict (``to_dict``), a DataFrame
(``to_frame``) and a self-contained HTML page (``to_html``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from clauseclf.rendering import report_name, wrap
from clauseclf.report import DocumentReport
from clauseclf.taxonomy import SEVERITY_SCALE
from clauseclf.versions.alignment import (
    SIMILARITY_THRESHOLD,
    _align,
    _inline_diff,
    _moved,
    word_diff,
)
from clauseclf.versions.changes import Change, ClauseChange, Status, _summary

if TYPE_CHECKING:
    import pandas as pd

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
        """The clauses added in the new version."""
        return self._with("added")

    @property
    def removed(self) -> tuple[ClauseChange, ...]:
        """The clauses of the old version that the new one dropped."""
        return self._with("removed")

    @property
    def reworded(self) -> tuple[ClauseChange, ...]:
        """The clauses kept with different wording."""
        return self._with("reworded")

    @property
    def unchanged(self) -> tuple[ClauseChange, ...]:
        """The clauses kept word for word (moved or not)."""
        return self._with("unchanged")

    @property
    def moved(self) -> tuple[ClauseChange, ...]:
        """The clauses that changed position (any status)."""
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
    """Compare two analysed versions of a policy (see ``clauseclf.versions`` for the alignment).

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


# -- internals ---------------------------------------------------------------------------------

_STATUSES: tuple[Status, ...] = ("added", "removed", "reworded", "unchanged")
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
