"""``PolicyHistory``: dated versions of one document and the lineage of every clause across
them (reworded clauses keep their lineage), with each clause's stability.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Literal

from clauseclf.report import AnalyzedClause, DocumentReport
from clauseclf.taxonomy import SEVERITY_SCALE
from clauseclf.versions.alignment import SIMILARITY_THRESHOLD
from clauseclf.versions.policy_diff import PolicyDiff, diff

if TYPE_CHECKING:
    import pandas as pd

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
        """JSON-ready form, dates in ISO-8601."""
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
