"""``PolicyHistory``: dated versions of one document and the lineage of every clause across
them (reworded clauses keep their lineage), with each clause's stability.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal, Protocol

from clauseclf.report import DocumentReport
from clauseclf.taxonomy import SEVERITY_SCALE
from clauseclf.versions.alignment import SIMILARITY_THRESHOLD, Worded, _align
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


class ClauseLike(Worded, Protocol):
    """What a lineage needs of a clause (``AnalyzedClause`` has it)."""

    @property
    def label(self) -> str:
        """The predicted top label."""

    @property
    def severity(self) -> str:
        """The predicted severity."""


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
        return self.version_lineages()[0]

    def version_lineages(
        self,
    ) -> tuple[tuple[ClauseLineage, ...], tuple[tuple[ClauseLineage, ...], ...]]:
        """``clauses()``, and per version (oldest first) the lineage of each of its clauses,
        in clause order."""
        if not self._versions:
            return (), ()
        steps = []
        for before, step in zip(self._versions, self.diffs(), strict=False):
            position = {id(clause): i for i, clause in enumerate(before.report.clauses)}
            steps.append(
                [
                    (None if change.old is None else position[id(change.old)], change.new)
                    for change in step.clauses
                    if change.new is not None
                ]
            )
        dates = [v.date for v in self._versions]
        return _walk(dates, self._versions[0].report.clauses, steps)

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


def clause_lineages(
    versions: Sequence[tuple[DateLike, Sequence[ClauseLike]]],
    *,
    threshold: float = SIMILARITY_THRESHOLD,
) -> tuple[tuple[ClauseLineage, ...], tuple[tuple[ClauseLineage, ...], ...]]:
    """``PolicyHistory.version_lineages`` for versions given as dated clause sequences (each
    clause with ``text``, ``clause_id``, ``label`` and ``severity``, e.g. rows of a scored
    table) rather than reports: the clauses are aligned as ``diff`` aligns them. ``ValueError``
    for two versions at the same date."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    dated = sorted(
        ((parse_date(when), list(clauses)) for when, clauses in versions),
        key=lambda item: _sort_key(item[0]),
    )
    for (a, _), (b, _) in pairwise(dated):
        if _sort_key(a) == _sort_key(b):
            raise ValueError(f"two versions are dated {a.isoformat()}")
    if not dated:
        return (), ()
    steps = []
    for (_, old), (_, new) in pairwise(dated):
        old_of_new = {j: i for i, j, _ in _align(old, new, threshold)}
        steps.append([(old_of_new.get(j), clause) for j, clause in enumerate(new)])
    return _walk([d for d, _ in dated], dated[0][1], steps)


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


def _walk(
    dates: Sequence[date],
    first: Sequence[ClauseLike],
    steps: Sequence[Sequence[tuple[int | None, ClauseLike]]],
) -> tuple[tuple[ClauseLineage, ...], tuple[tuple[ClauseLineage, ...], ...]]:
    """Follow the clauses of the first version through ``steps``: per later version, each of
    its clauses in order with the position of the earlier version's clause it is aligned with
    (None: added). A clause aligned with a different wording is reworded (a change); an added
    clause that has the wording a lineage ended with revives that lineage (a change)."""
    lineages: list[_Lineage] = []
    used: set[str] = set()

    def start(clause: ClauseLike, version: int) -> _Lineage:
        lineage_id, n = clause.clause_id, 1
        while lineage_id in used:
            n += 1
            lineage_id = f"{clause.clause_id}-{n}"
        used.add(lineage_id)
        lineage = _Lineage(lineage_id, [clause.clause_id], version, version, 1, 0, clause)
        lineages.append(lineage)
        return lineage

    current = [start(clause, 0) for clause in first]
    members = [list(current)]
    for version, step in enumerate(steps, start=1):
        following: list[_Lineage] = []
        active = set(map(id, current))
        claimed: set[int] = set()
        for old, clause in step:
            if old is not None:
                lineage = current[old]
                if clause.clause_id != lineage.clause_ids[-1]:
                    lineage.changes += 1
                    lineage.clause_ids.append(clause.clause_id)
            else:
                found = _revivable(lineages, clause.clause_id, active | claimed)
                if found is None:
                    lineage = start(clause, version)
                else:
                    lineage = found
                    lineage.changes += 1
            lineage.seen(version, clause)
            claimed.add(id(lineage))
            following.append(lineage)
        current = following
        members.append(following)
    latest = len(dates) - 1
    frozen = {id(lineage): lineage.freeze(list(dates), latest) for lineage in lineages}
    return (
        tuple(frozen[id(lineage)] for lineage in lineages),
        tuple(tuple(frozen[id(lineage)] for lineage in version) for version in members),
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
    clause: ClauseLike

    def seen(self, version: int, clause: ClauseLike) -> None:
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
