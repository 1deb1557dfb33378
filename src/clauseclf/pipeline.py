"""The pipeline: the one place that composes the stages.

text -> segments (``segmentation``) -> predictions (``ClauseModel.classify``: embeddings, head)
-> ``DocumentReport``. ``document_report`` assembles a report from a segmented document and its
clauses' predictions: ``analyze_text`` uses it for one document, ``clauseclf.batch`` for each
document of a chunk whose clauses were classified together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.errors import DocumentError
from clauseclf.provenance import document_sha256
from clauseclf.report import AnalyzedClause, DocumentReport
from clauseclf.segmentation import SegmentedDocument, segment_document

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel
    from clauseclf.predictions import ClausePrediction


#: Clauses one document may have (real policies have a few thousand): a document of more, such
#: as a million one-word paragraphs, is refused before classification, whose report alone would
#: take gigabytes.
MAX_DOCUMENT_CLAUSES = 50_000


def check_clause_count(segmented: SegmentedDocument, name: str) -> None:
    """``DocumentError`` naming ``name`` and the limit if ``segmented`` has too many clauses."""
    count = len(segmented.segments)
    if count > MAX_DOCUMENT_CLAUSES:
        raise DocumentError(
            f"{name}: {count:,} clauses, more than the limit of {MAX_DOCUMENT_CLAUSES:,} "
            "for one document; split it into smaller documents"
        )


def analyze_text(
    model: ClauseModel,
    text: str,
    *,
    platform: str | None = None,
    document: str | None = None,
    format: str = "auto",
    source: str | None = None,
) -> DocumentReport:
    """Segment ``text`` (plain, HTML or Markdown) and classify every clause with ``model``.

    The report records its provenance: the SHA-256 of ``text``, ``source``, the time (UTC) and
    the model's id and version."""
    if not isinstance(text, str):
        raise TypeError(f"analyze() takes the document as str, not {type(text).__name__}")
    segmented = segment_document(text, format=format)
    check_clause_count(segmented, source or document or "document")
    predictions = model.classify([s.text for s in segmented.segments])
    return document_report(
        segmented,
        predictions,
        sha256=document_sha256(text),
        platform=platform,
        document=document,
        source=source,
        model_version=model_version(model),
        model_id=model_id(model),
        analyzed_at=datetime.now(UTC),
    )


def document_report(
    segmented: SegmentedDocument,
    predictions: Sequence[ClausePrediction],
    *,
    sha256: str,
    platform: str | None = None,
    document: str | None = None,
    source: str | None = None,
    model_version: str | None = None,
    model_id: str | None = None,
    analyzed_at: datetime | None = None,
) -> DocumentReport:
    """The report of ``segmented`` with one prediction per segment, in order; ``sha256`` is the
    input document's ``clauseclf.provenance.document_sha256``, the rest its provenance."""
    clauses = tuple(
        AnalyzedClause(index=i, segment=s, prediction=p)
        for i, (s, p) in enumerate(zip(segmented.segments, predictions, strict=True))
    )
    return DocumentReport(
        platform=platform,
        document=document,
        source=source,
        format=segmented.format,
        sha256=sha256,
        text=segmented.text,
        clauses=clauses,
        model_version=model_version,
        model_id=model_id,
        analyzed_at=analyzed_at,
    )


def model_id(model: ClauseModel) -> str | None:
    """The model's id: ``metadata["model_id"]`` if set, else the name of its folder
    (``default`` for the embedded model), else None."""
    configured = model.metadata.get("model_id")
    if configured:
        return str(configured)
    path = model.metadata.get("path")
    if not path:
        return None
    return Path(str(path)).resolve().name or None


def model_version(model: ClauseModel) -> str | None:
    """The model's version (``metadata["model_version"]`` as a string), None if it has none."""
    version = model.metadata.get("model_version")
    return str(version) if version is not None else None
