"""Dated versions in a scored collection (``clauseclf score`` output) and the stability of
their clauses.

A document's version date is the one given for it (``dates``: document id -> date, see
``parse_dates``), else the last ISO-8601 date (``YYYY-MM-DD``) in its id (the path it was scored
from), else in its title: ``snapshots/2024-01-15/Fernwick_Privacy_Policy.txt`` and
``Fernwick/privacy-2024-01-15.txt`` are dated 2024-01-15. The dated documents of one platform
whose titles are the same once their dates are taken out are versions of one document; with two
or more, every clause gets its lineage over them (``clauseclf.versions.clause_lineages``: first
seen, last seen, number of changes; reworded clauses keep their lineage). Undated documents are
not versions of anything.

A platform's current stance is its current documents (``current_documents``): of the versions
of a document only the latest, and every document that is not one of several versions.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import TYPE_CHECKING

from clauseclf.versions import ClauseLineage, clause_lineages

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.collection import CollectionDocument

#: An ISO-8601 calendar date not inside a longer run of digits.
DATE_PATTERN = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")


@dataclass(frozen=True)
class ScoredClause:
    """One clause of a scored table (a row), as a lineage reads it."""

    text: str
    clause_id: str
    label: str
    severity: str


@dataclass(frozen=True)
class DocumentVersions:
    """The dated versions of one platform's document (``title``: their title without the
    date), oldest first: their ``document_ids`` and ``dates``, every clause lineage over them
    and, per version, the lineage of each clause by its ``clause_index``."""

    platform: str
    title: str
    document_ids: tuple[str, ...]
    dates: tuple[date, ...]
    lineages: tuple[ClauseLineage, ...]
    by_version: tuple[Mapping[int, ClauseLineage], ...]

    def position(self, document_id: str) -> int:
        """The position of the version ``document_id`` (0: the oldest)."""
        return self.document_ids.index(document_id)

    def lineage(self, document_id: str, clause_index: int) -> ClauseLineage:
        """The lineage of the clause ``clause_index`` of the version ``document_id``."""
        return self.by_version[self.position(document_id)][clause_index]


def version_date(document_id: str, title: str | None) -> date | None:
    """The version date of a document: the last ISO-8601 date in its id, else in its title,
    None without one; ``ValueError`` naming the document for a date that does not exist."""
    for text in (document_id, title or ""):
        found = DATE_PATTERN.findall(text)
        if found:
            year, month, day = (int(part) for part in found[-1])
            try:
                return date(year, month, day)
            except ValueError:
                raise ValueError(
                    f"document {document_id!r}: {'-'.join(found[-1])} is not a valid date"
                ) from None
    return None


def parse_dates(dates: Mapping[str, object], document_ids: Collection[str]) -> dict[str, date]:
    """``dates`` (document id -> a ``datetime.date`` or a ``YYYY-MM-DD`` string) as dates;
    ``ValueError`` naming the id that is not one of ``document_ids`` or the value that is not a
    date."""
    found = {}
    for document_id, value in dates.items():
        if document_id not in document_ids:
            raise ValueError(f"dates: {document_id!r} is not a document of the results")
        if isinstance(value, datetime):
            found[document_id] = value.date()
            continue
        if isinstance(value, date):
            found[document_id] = value
            continue
        match = DATE_PATTERN.fullmatch(value.strip()) if isinstance(value, str) else None
        try:
            if match is None:
                raise ValueError
            found[document_id] = date(*(int(part) for part in match.groups()))
        except ValueError:
            raise ValueError(
                f"dates: document {document_id!r}: {value!r} is not a date "
                "(a datetime.date or YYYY-MM-DD)"
            ) from None
    return found


def version_groups(
    documents: Sequence[CollectionDocument],
) -> dict[tuple[str, str], list[CollectionDocument]]:
    """(platform, title without dates) -> the dated documents of ``documents`` that are versions
    of that document, oldest first, for every group of two or more. ``ValueError`` naming the
    documents when two versions have the same date."""
    groups: dict[tuple[str, str], list[CollectionDocument]] = defaultdict(list)
    for d in documents:
        if d.date is not None:
            groups[(d.platform, undated_title(d.document or ""))].append(d)
    versioned = {
        key: sorted(group, key=lambda d: _dated(d))
        for key, group in groups.items()
        if len(group) > 1
    }
    for (platform, _), group in versioned.items():
        for first, second in pairwise(group):
            if first.date == second.date:
                raise ValueError(
                    f"documents {first.document_id!r} and {second.document_id!r} are both "
                    f"versions of {platform}'s {first.document or 'document'!r} dated "
                    f"{_dated(first).isoformat()}"
                )
    return versioned


def current_documents(documents: Sequence[CollectionDocument]) -> list[CollectionDocument]:
    """The documents of ``documents`` that make their platform's current stance, in order: of
    the dated versions of one document only the latest, and every other document."""
    older = {d.document_id for group in version_groups(documents).values() for d in group[:-1]}
    return [d for d in documents if d.document_id not in older]


def collection_versions(
    frame: pd.DataFrame, documents: Sequence[CollectionDocument]
) -> dict[str, DocumentVersions]:
    """Document id -> its ``DocumentVersions``, for every scored document of ``documents``
    (``clauseclf.collection.collection_documents(frame)``, which dates them) that is one of two
    or more dated versions. ``ValueError`` naming the documents when two versions have the same
    date."""
    versioned = version_groups(documents)
    if not versioned:
        return {}
    wanted = {d.document_id for group in versioned.values() for d in group}
    clauses = _scored_clauses(frame, wanted)
    found = {}
    for (platform, title), group in versioned.items():
        ids = [d.document_id for d in group]
        lineages, per_version = clause_lineages(
            [(_dated(d), [c for _, c in clauses[d.document_id]]) for d in group]
        )
        by_version = tuple(
            {index: lineage for (index, _), lineage in zip(clauses[i], own, strict=True)}
            for i, own in zip(ids, per_version, strict=True)
        )
        entry = DocumentVersions(
            platform, title, tuple(ids), tuple(_dated(d) for d in group), lineages, by_version
        )
        found.update({i: entry for i in ids})
    return found


def _scored_clauses(
    frame: pd.DataFrame, wanted: set[str]
) -> dict[str, list[tuple[int, ScoredClause]]]:
    """Document id -> its scored rows as (clause_index, clause), in clause order."""
    columns = ["document_id", "clause_index", "text", "clause_id", "label", "severity"]
    if "error" in frame.columns:
        columns.append("error")
    found: dict[str, list[tuple[int, ScoredClause]]] = defaultdict(list)
    for row in frame[columns].to_dict(orient="records"):
        document_id = str(row["document_id"])
        if document_id not in wanted or _present(row.get("error")):
            continue
        clause = ScoredClause(
            str(row["text"]), str(row["clause_id"]), str(row["label"]), str(row["severity"])
        )
        found[document_id].append((int(row["clause_index"]), clause))
    return {key: sorted(rows, key=lambda item: item[0]) for key, rows in found.items()}


def undated_title(title: str) -> str:
    """``title`` without its dates and the separators left around them, casefolded."""
    words = re.split(r"[\s_.-]+", DATE_PATTERN.sub(" ", title))
    return " ".join(w for w in words if w).casefold()


def _dated(document: CollectionDocument) -> date:
    """The date of a document known to be dated."""
    if document.date is None:
        raise ValueError(f"document {document.document_id!r} has no version date")
    return document.date


def _present(value: object) -> bool:
    """True for a cell that holds a value (not None, NaN or a pandas NA)."""
    if value is None or (isinstance(value, float) and value != value):
        return False
    return type(value).__name__ not in ("NAType", "NaTType") and value != ""
