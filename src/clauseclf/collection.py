"""A scored collection (``clauseclf score`` output) as verdicts and tables.

``collection_documents(frame)`` gives each scored document's verdict; ``verdict_table``,
``severity_table``, ``prevalence_table`` and ``findings_table`` lay the verdicts out as pandas
frames (for notebooks and articles); ``platform_findings`` is what the atlas's type pages show.

A platform counts for a clause type at its most adverse finding of the type (then the most
confident) in its current documents: of the dated versions of one document only the latest
(``clauseclf.collection_versions.current_documents``), so a platform that sold data in 2023
and promises not to in 2024 counts as promising not to. ``min_confidence`` leaves out findings
below it; the tables default to ``clauseclf.verdict.MIN_CONFIDENCE``, the cut-off of the
grade. ``absent`` (no finding of the type) is not ``none`` (a protective clause, e.g. "we do
not sell your data").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from clauseclf.collection_versions import current_documents, parse_dates, version_date
from clauseclf.taxonomy import OTHER, SEVERITY_SCALE, default_taxonomy
from clauseclf.verdict import (
    MIN_CONFIDENCE,
    Finding,
    Verdict,
    findings_from_rows,
    severity_rank,
    verdict_of,
)

if TYPE_CHECKING:
    import pandas as pd

#: A platform with no finding of a type.
ABSENT = "absent"
#: The cells of ``severity_table``, least to most adverse (``none``: protective).
LEVELS = (ABSENT, *SEVERITY_SCALE)
#: Columns of ``verdict_table``.
VERDICT_COLUMNS = (
    "document_id",
    "platform",
    "document",
    "grade",
    "score",
    "high_types",
    "medium_types",
    "low_types",
    "protective_types",
    "adverse_findings",
    "protective_findings",
    "reason",
)
#: Columns of ``findings_table``.
FINDING_COLUMNS = (
    "platform",
    "document",
    "type",
    "category",
    "severity",
    "stance",
    "confidence",
    "evidence",
    "why_it_matters",
    "text",
    "record_id",
)


@dataclass(frozen=True)
class CollectionDocument:
    """One scored document of the collection, its verdict and its version ``date`` (None:
    undated)."""

    document_id: str
    platform: str
    document: str | None
    verdict: Verdict
    date: date | None = None


def collection_documents(
    frame: pd.DataFrame,
    *,
    model_version: str | None = None,
    dates: Mapping[str, object] | None = None,
) -> list[CollectionDocument]:
    """The scored documents of ``frame`` (``clauseclf score`` columns; error rows left out),
    with their verdicts and version dates, in order of first appearance. ``dates`` (document
    id -> a ``datetime.date`` or ``YYYY-MM-DD``) win over the dates in ids and titles
    (``clauseclf.collection_versions``). ``ValueError`` naming the missing columns, or a date
    that is not a date or an id that is not in ``frame``."""
    required = {"document_id", "platform", "label", "severity", "confidence", "text"}
    missing = required - set(frame.columns)
    if missing:
        raise ValueError(f"results lack the column(s) {sorted(missing)} of clauseclf score")
    given = parse_dates(dates or {}, set(frame["document_id"].astype(str)))
    documents = []
    for document_id, rows in frame.groupby("document_id", sort=False):
        if "error" in rows.columns:
            rows = rows[rows["error"].map(lambda v: _text(v) == "")]
        if rows.empty:
            continue
        platform = _text(rows["platform"].iloc[0]) or str(document_id)
        name = _text(rows["document"].iloc[0]) if "document" in rows.columns else ""
        findings = findings_from_rows(rows, model_version=model_version)
        key = str(document_id)
        when = given[key] if key in given else version_date(key, name or None)
        documents.append(
            CollectionDocument(key, platform, name or None, verdict_of(findings), when)
        )
    return documents


def platforms_of(documents: Sequence[CollectionDocument]) -> list[str]:
    """The platforms of ``documents``, sorted case-insensitively."""
    return sorted({d.platform for d in documents}, key=str.casefold)


def platform_findings(
    documents: Sequence[CollectionDocument], *, min_confidence: float = 0.0
) -> dict[str, list[tuple[str, Finding]]]:
    """Type (taxonomy order, unknown types after) -> (platform, its most adverse then most
    confident finding of the type at ``min_confidence`` or above in its current documents,
    ``current_documents``), platforms sorted."""
    best: dict[str, dict[str, Finding]] = defaultdict(dict)
    for d in current_documents(documents):
        for f in d.verdict.findings:
            if f.confidence < min_confidence:
                continue
            current = best[f.type].get(d.platform)
            if current is None or _adversity(f) > _adversity(current):
                best[f.type][d.platform] = f
    order = [t for t in default_taxonomy().type_ids if t in best]
    order += sorted(set(best) - set(order))
    return {t: sorted(best[t].items(), key=lambda item: item[0].casefold()) for t in order}


def verdict_table(documents: Sequence[CollectionDocument]) -> pd.DataFrame:
    """One row per document (``VERDICT_COLUMNS``): its grade (``not graded`` included), the
    numbers behind it and the number of its adverse and protective findings (all of the
    verdict's, whatever their confidence)."""
    import pandas as pd

    rows = [
        (
            d.document_id,
            d.platform,
            d.document,
            d.verdict.grade.label,
            d.verdict.grade.score,
            d.verdict.grade.high,
            d.verdict.grade.medium,
            d.verdict.grade.low,
            d.verdict.grade.protective,
            len(d.verdict.adverse),
            len(d.verdict.protective),
            d.verdict.grade.reason,
        )
        for d in documents
    ]
    return pd.DataFrame.from_records(rows, columns=list(VERDICT_COLUMNS))


def severity_table(
    documents: Sequence[CollectionDocument],
    *,
    min_confidence: float = MIN_CONFIDENCE,
    types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Platform (rows, sorted) x clause type (columns; default every type of the taxonomy but
    ``other``): the severity of the platform's most adverse finding of the type at
    ``min_confidence`` or above, ``absent`` without one; an ordered categorical of ``LEVELS``."""
    import pandas as pd

    if types is None:
        types = [t for t in default_taxonomy().type_ids if t != OTHER]
    platforms = platforms_of(documents)
    found = platform_findings(documents, min_confidence=min_confidence)
    columns = {}
    for type_id in types:
        own = {platform: f.severity for platform, f in found.get(type_id, [])}
        columns[type_id] = [own.get(p, ABSENT) for p in platforms]
    table = pd.DataFrame(columns, index=pd.Index(platforms, name="platform"), columns=list(types))
    return table.astype(pd.CategoricalDtype(list(LEVELS), ordered=True))


def prevalence_table(
    documents: Sequence[CollectionDocument],
    *,
    min_confidence: float = MIN_CONFIDENCE,
    types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Clause type (rows) x ``LEVELS`` (columns): how many platforms have the type at each
    most adverse severity (``none``: protective) or not at all; a row sums to the number of
    platforms (``severity_table`` counted per type)."""
    table = severity_table(documents, min_confidence=min_confidence, types=types)
    counts = table.apply(lambda column: column.value_counts().reindex(list(LEVELS), fill_value=0))
    result: pd.DataFrame = counts.T.astype("int64")
    result.index.name = "type"
    result.columns.name = "platforms by most adverse severity"
    return result


def findings_table(
    documents: Sequence[CollectionDocument],
    *,
    min_confidence: float = MIN_CONFIDENCE,
    stances: Sequence[str] = ("adverse", "neutral", "protective"),
) -> pd.DataFrame:
    """Every finding of ``documents`` at ``min_confidence`` or above whose stance is in
    ``stances``, one row each (``FINDING_COLUMNS``; ``evidence`` joined by "; "), most severe
    first, then most confident, then platform."""
    import pandas as pd

    rows = []
    for d in documents:
        for f in d.verdict.findings:
            if f.confidence < min_confidence or f.stance not in stances:
                continue
            explanation = f.explanation
            rows.append(
                (
                    d.platform,
                    d.document,
                    f.type,
                    f.category,
                    f.severity,
                    f.stance,
                    f.confidence,
                    "; ".join(f.evidence),
                    explanation.why_it_matters if explanation else None,
                    f.text,
                    f.citation.record_id,
                )
            )
    rows.sort(key=lambda r: (-severity_rank(str(r[4])), -float(r[6]), str(r[0]).casefold()))
    return pd.DataFrame.from_records(rows, columns=list(FINDING_COLUMNS))


def _adversity(finding: Finding) -> tuple[int, float]:
    return severity_rank(finding.severity), finding.confidence


def _text(value: object) -> str:
    """A table cell as text: "" for missing values (None, NaN, NA)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):
        return ""
    return str(value)
