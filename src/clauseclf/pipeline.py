"""The pipeline: the one place that composes the stages.

text -> segments (``segmentation``) -> predictions (``ClauseModel.classify``: embeddings, head)
-> ``DocumentReport``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clauseclf.report import AnalyzedClause, DocumentReport
from clauseclf.segmentation import segment_document

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel


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
    predictions = model.classify([s.text for s in segmented.segments])
    clauses = tuple(
        AnalyzedClause(index=i, segment=s, prediction=p)
        for i, (s, p) in enumerate(zip(segmented.segments, predictions, strict=True))
    )
    version = model.metadata.get("model_version")
    return DocumentReport(
        platform=platform,
        document=document,
        source=source,
        format=segmented.format,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=segmented.text,
        clauses=clauses,
        model_version=str(version) if version is not None else None,
        model_id=model_id(model),
        analyzed_at=datetime.now(UTC),
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
