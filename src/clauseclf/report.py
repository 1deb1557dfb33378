"""Reports: an analysed document's clauses and predictions, as objects, dicts or DataFrames.

A report records its provenance (the document's SHA-256, its source, when it was analysed, by
which model) and every clause carries a stable ``clause_id`` (``clauseclf.provenance``), so saved
reports (``save_json`` / ``load_json``) can be compared later (``clauseclf.versions.diff``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf import _json, limits
from clauseclf.evidence import evidence_from_dict, evidence_texts
from clauseclf.predictions import ClausePrediction
from clauseclf.provenance import CLAUSE_ID_LENGTH, clause_id
from clauseclf.segmentation import Segment

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.index import ClauseIndex

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
    "evidence",
    "document_sha256",
    "clause_id",
)


@dataclass(frozen=True)
class AnalyzedClause:
    """One clause of a document: where it is (``segment``) and what it is (``prediction``)."""

    # Slots (a long document has tens of thousands of clauses); ``_clause_id`` caches the id
    # as the int of its hex digits (half the size of the str).
    __slots__ = ("_clause_id", "index", "prediction", "segment")

    index: int
    segment: Segment
    prediction: ClausePrediction

    def __getstate__(self) -> tuple[int, Segment, ClausePrediction]:
        return (self.index, self.segment, self.prediction)

    def __setstate__(self, state: tuple[int, Segment, ClausePrediction]) -> None:
        for name, value in zip(("index", "segment", "prediction"), state, strict=True):
            object.__setattr__(self, name, value)

    @property
    def text(self) -> str:
        """The clause's text."""
        return self.segment.text

    @property
    def clause_id(self) -> str:
        """Stable id of the clause's normalised text (``clauseclf.provenance.clause_id``)."""
        cached: int | None = getattr(self, "_clause_id", None)
        if cached is None:
            made = clause_id(self.segment.text)
            object.__setattr__(self, "_clause_id", int(made, 16))
            return made
        return f"{cached:0{CLAUSE_ID_LENGTH}x}"

    @property
    def label(self) -> str:
        """The predicted top label."""
        return self.prediction.label

    @property
    def severity(self) -> str:
        """The predicted severity."""
        return self.prediction.severity

    @property
    def confidence(self) -> float:
        """The confidence of the top label."""
        return self.prediction.confidence

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: offsets, heading and text, then the prediction."""
        return {
            "clause_index": self.index,
            "clause_id": self.clause_id,
            "start": self.segment.start,
            "end": self.segment.end,
            "heading": self.segment.heading,
            "text": self.segment.text,
            **self.prediction.to_dict(),
        }


@dataclass(frozen=True)
class DocumentReport:
    """An analysed policy. Clause offsets refer to ``text``, the text extracted from the input.

    Provenance: ``sha256`` of the input document, ``source`` (the path or URL it came from),
    ``analyzed_at`` (timezone-aware UTC), ``model_id`` and ``model_version`` of the model.
    """

    platform: str | None
    document: str | None
    source: str | None
    format: str
    sha256: str
    text: str
    clauses: tuple[AnalyzedClause, ...]
    model_version: str | None
    model_id: str | None = None
    analyzed_at: datetime | None = None

    def __len__(self) -> int:
        return len(self.clauses)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole report (the extracted text included);
        ``DocumentReport.from_dict`` reads it back."""
        return {
            "platform": self.platform,
            "document": self.document,
            "source": self.source,
            "format": self.format,
            "sha256": self.sha256,
            "analyzed_at": self.analyzed_at.isoformat() if self.analyzed_at else None,
            "model_id": self.model_id,
            "model_version": self.model_version,
            "text": self.text,
            "clauses": [clause.to_dict() for clause in self.clauses],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentReport:
        """The report ``to_dict`` gave; ``ValueError`` naming the missing or bad key otherwise.

        ``format``, ``sha256``, ``text`` and ``clauses`` are required; the other provenance keys
        default to None. A clause's ``clause_id`` is derived from its text, so it is recomputed.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a report must be a JSON object, not {type(data).__name__}")
        text = _required(data, "text", str)
        sha256 = _required(data, "sha256", str)
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"report key 'sha256' is not a SHA-256 hex digest: {sha256!r}")
        raw_clauses = _required(data, "clauses", list)
        return cls(
            platform=_optional(data, "platform", str),
            document=_optional(data, "document", str),
            source=_optional(data, "source", str),
            format=_required(data, "format", str),
            sha256=sha256,
            text=text,
            clauses=tuple(_clause_from_dict(c, i, text) for i, c in enumerate(raw_clauses)),
            model_version=_optional(data, "model_version", str),
            model_id=_optional(data, "model_id", str),
            analyzed_at=_timestamp(data.get("analyzed_at")),
        )

    def save_json(self, path: str | Path) -> Path:
        """Write ``to_dict()`` as UTF-8 JSON to ``path`` (atomically); returns the path."""
        target = Path(path)
        handle, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            os.chmod(staging, 0o644)  # mkstemp makes it private; a report is ordinary data
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(self.to_dict(), stream, ensure_ascii=False, indent=2, allow_nan=False)
                stream.write("\n")
            os.replace(staging, target)
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load_json(cls, path: str | Path) -> DocumentReport:
        """Read a report saved by ``save_json`` (or ``clauseclf analyze --format json``).

        ``ValueError`` naming the file for invalid JSON, a malformed report or a file larger
        than ``limits.MAX_JSON_BYTES`` (``TooLargeError``, read no further than the limit)."""
        source = Path(path)
        try:
            data = _json.loads(
                limits.read_capped_bytes(source, limits.MAX_JSON_BYTES).decode("utf-8")
            )
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}: not valid JSON ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ValueError(f"{source}: not UTF-8 ({exc.reason})") from None
        try:
            return cls.from_dict(data)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    def to_frame(self) -> pd.DataFrame:
        """One row per clause with the columns of ``FRAME_COLUMNS``.

        ``labels`` holds the list of predicted types, the top label first (empty for other);
        ``evidence`` the phrases that drove them (``clauseclf.evidence.evidence_texts``).
        """
        import pandas as pd

        frame = pd.DataFrame.from_records(self.frame_rows(), columns=list(FRAME_COLUMNS))
        return frame.astype(
            {
                "platform": "object",
                "document": "object",
                "clause_index": "int64",
                "start": "int64",
                "end": "int64",
                "heading": "object",
                "confidence": "float64",
                "evidence": "object",
                "clause_id": "object",
            }
        )

    def frame_rows(self) -> list[tuple[Any, ...]]:
        """The rows of ``to_frame()`` as tuples, values in the order of ``FRAME_COLUMNS``
        (``frame_row``: the one row layout, ``clauseclf.batch`` builds its tables with it too)."""
        return [frame_row(self.platform, self.document, self.sha256, c) for c in self.clauses]

    def to_html(self, *, index: ClauseIndex | None = None, similar_k: int = 3) -> str:
        """A self-contained HTML page of the report: provenance, summary, filters by type and
        severity, clauses coloured by severity with their evidence highlighted and, with an
        ``index`` (a ``clauseclf.index.ClauseIndex``), similar clauses of other platforms.
        See ``clauseclf.html_report.render_html``."""
        from clauseclf.html_report import render_html

        return render_html(self, index=index, similar_k=similar_k)


_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", int: "an integer"}


def frame_row(
    platform: str | None, document: str | None, sha256: str, clause: AnalyzedClause
) -> tuple[Any, ...]:
    """The row of ``clause`` in ``DocumentReport.to_frame()`` (values in the order of
    ``FRAME_COLUMNS``), given its report's platform, document and SHA-256."""
    return (
        platform,
        document,
        clause.index,
        clause.segment.start,
        clause.segment.end,
        clause.segment.heading,
        clause.segment.text,
        clause.prediction.label,
        list(clause.prediction.labels),
        clause.prediction.severity,
        clause.prediction.confidence,
        evidence_texts(clause.prediction.evidence),
        sha256,
        clause.clause_id,
    )


def _required(data: Mapping[str, Any], key: str, kind: type, where: str = "report") -> Any:
    if key not in data:
        raise ValueError(f"{where} is missing the key {key!r}")
    return _checked(data[key], key, kind, where)


def _optional(data: Mapping[str, Any], key: str, kind: type, where: str = "report") -> Any:
    value = data.get(key)
    return None if value is None else _checked(value, key, kind, where)


def _checked(value: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(
            f"{where} key {key!r} must be {_TYPE_NAMES.get(kind, kind.__name__)}, "
            f"not {type(value).__name__}"
        )
    return value


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"report key 'analyzed_at' must be an ISO-8601 string, not {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"report key 'analyzed_at' is not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"report key 'analyzed_at' has no timezone: {value!r}")
    return moment.astimezone(UTC)


def _number(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where} key {key!r} must be a finite number, not {value!r}")
    return float(value)


def _clause_from_dict(data: Any, position: int, document_text: str) -> AnalyzedClause:
    where = f"clauses[{position}]"
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be an object, not {type(data).__name__}")
    start = _required(data, "start", int, where)
    end = _required(data, "end", int, where)
    text = _required(data, "text", str, where)
    if not 0 <= start <= end <= len(document_text) or document_text[start:end] != text:
        raise ValueError(
            f"{where}: 'start'/'end' ({start}, {end}) do not give the clause 'text' in the "
            "report's text"
        )
    index = data.get("clause_index", position)
    if _checked(index, "clause_index", int, where) != position:
        raise ValueError(f"{where} key 'clause_index' is {index}, expected {position}")
    labels = _optional(data, "labels", dict, where) or {}
    severities = _optional(data, "severities", dict, where) or {}
    probabilities = _optional(data, "probabilities", dict, where) or {}
    for key, mapping, kind in (
        ("labels", labels, float),
        ("severities", severities, str),
        ("probabilities", probabilities, float),
    ):
        for name, value in mapping.items():
            if kind is str:
                _checked(value, f"{key}.{name}", str, where)
            else:
                _number(value, f"{key}.{name}", where)
    prediction = ClausePrediction(
        label=_required(data, "label", str, where),
        labels={str(k): float(v) for k, v in labels.items()},
        severity=_required(data, "severity", str, where),
        severities={str(k): str(v) for k, v in severities.items()},
        confidence=_number(_required(data, "confidence", object, where), "confidence", where),
        probabilities={str(k): float(v) for k, v in probabilities.items()},
        evidence=evidence_from_dict(data.get("evidence", {}), text, f"{where}.evidence"),
    )
    heading = _optional(data, "heading", str, where)
    segment = Segment(start=start, end=end, text=text, heading=heading)
    return AnalyzedClause(index=position, segment=segment, prediction=prediction)
