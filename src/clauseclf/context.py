"""How other platforms handle a finding, from a ``ClauseIndex``: the similar clauses, how many
platforms have the type, and whether the wording is unique.

``finding_contexts`` is the one place the reports query an index; the renderers take its
``FindingContext`` values (or ``similar_clauses``' frames), so a change to the index's answers
(a similarity cut-off, prevalence by stance) reaches every report without touching them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clauseclf.index import ClauseIndex
    from clauseclf.index.similar import SimilarClauses
    from clauseclf.report import DocumentReport
    from clauseclf.verdict import Finding


@dataclass(frozen=True)
class FindingContext:
    """A finding's clause among other platforms: ``similar`` (rows of
    ``ClauseIndex.similar``, best first, possibly empty), ``prevalence`` and ``uniqueness``
    (their sentences, e.g. "arbitration: 12 of 200 platforms")."""

    similar: SimilarClauses
    prevalence: str
    uniqueness: str


def similar_clauses(
    report: DocumentReport, index: ClauseIndex, k: int
) -> dict[int, SimilarClauses]:
    """Clause index -> its ``k`` most similar clauses of other platforms (``index.similar``,
    the report's own platform left out), for every clause that is not ``other``."""
    from clauseclf.taxonomy import OTHER

    return {
        clause.index: index.similar(clause, k=k, exclude_platform=report.platform or None)
        for clause in report.clauses
        if clause.label != OTHER
    }


def finding_contexts(
    report: DocumentReport,
    index: ClauseIndex,
    findings: Iterable[Finding],
    *,
    k: int = 3,
    similar: dict[int, SimilarClauses] | None = None,
) -> dict[tuple[int, str], FindingContext]:
    """(clause index, type) -> ``FindingContext`` for ``findings`` of ``report``: similar
    clauses of the finding's type on other platforms. ``similar``: frames already fetched by
    ``similar_clauses`` (reused for a clause's top label, not fetched again)."""
    by_clause = {clause.index: clause for clause in report.clauses}
    similar = dict(similar or {})
    contexts = {}
    for finding in findings:
        clause = by_clause[finding.clause_index]
        rows = similar.get(finding.clause_index) if finding.type == clause.label else None
        contexts[(finding.clause_index, finding.type)] = context_of(
            index, clause.text, finding.type, report.platform, k=k, similar=rows
        )
    return contexts


def context_of(
    index: ClauseIndex,
    text: str,
    type_id: str,
    platform: str | None,
    *,
    k: int = 3,
    similar: SimilarClauses | None = None,
) -> FindingContext:
    """The ``FindingContext`` of a clause ``text`` found as ``type_id`` on ``platform`` (left
    out of the similar clauses and of uniqueness); ``similar`` reuses rows already fetched."""
    query = {"text": text, "label": type_id, "platform": platform}
    if similar is None:
        similar = index.similar(query, k=k, exclude_platform=platform or None)
    return FindingContext(
        similar=similar,
        prevalence=str(index.prevalence(type_id)),
        uniqueness=str(index.uniqueness(query)),
    )
