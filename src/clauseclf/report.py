"""Reports: an analysed document's clauses and predictions, as objects, dicts or DataFrames."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clauseclf.inference.model import ClausePrediction
from clauseclf.segmentation import Segment

if TYPE_CHECKING:
    import pandas as pd

#: Column names of ``DocumentReport.to_frame()``, in order. They are part of the public API.
FRAME_COLUMNS: tuple[str, ...] = (
    "platform",
    "document",
    "clause_index",
    "start",
    "end",
    "heading",
    "text",
    "label",
    "labels",
    "severity",
    "confidence",
    "document_sha256",
)


@dataclass(frozen=True)
class AnalyzedClause:
    """One clause of a document: where it is (``segment``) and what it is (``prediction``)."""

    index: int
    segment: Segment
    prediction: ClausePrediction

    @property
    def text(self) -> str:
        return self.segment.text

    @property
    def label(self) -> str:
        return self.prediction.label

    @property
    def severity(self) -> str:
        return self.prediction.severity

    @property
    def confidence(self) -> float:
        return self.prediction.confidence

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: offsets, heading and text, then the prediction."""
        return {
            "clause_index": self.index,
            "start": self.segment.start,
            "end": self.segment.end,
            "heading": self.segment.heading,
            "text": self.segment.text,
            **self.prediction.to_dict(),
        }


@dataclass(frozen=True)
class DocumentReport:
    """An analysed policy. Clause offsets refer to ``text``, the text extracted from the input."""

    platform: str | None
    document: str | None
    source: str | None
    format: str
    sha256: str
    text: str
    clauses: tuple[AnalyzedClause, ...]
    model_version: str | None

    def __len__(self) -> int:
        return len(self.clauses)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole report (the extracted text included)."""
        return {
            "platform": self.platform,
            "document": self.document,
            "source": self.source,
            "format": self.format,
            "sha256": self.sha256,
            "model_version": self.model_version,
            "text": self.text,
            "clauses": [clause.to_dict() for clause in self.clauses],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per clause with the columns of ``FRAME_COLUMNS``.

        ``labels`` holds the list of predicted types, most probable first (empty for other).
        """
        import pandas as pd

        rows = [
            (
                self.platform,
                self.document,
                clause.index,
                clause.segment.start,
                clause.segment.end,
                clause.segment.heading,
                clause.segment.text,
                clause.prediction.label,
                list(clause.prediction.labels),
                clause.prediction.severity,
                clause.prediction.confidence,
                self.sha256,
            )
            for clause in self.clauses
        ]
        frame = pd.DataFrame.from_records(rows, columns=list(FRAME_COLUMNS))
        return frame.astype(
            {
                "platform": "object",
                "document": "object",
                "clause_index": "int64",
                "start": "int64",
                "end": "int64",
                "heading": "object",
                "confidence": "float64",
            }
        )
