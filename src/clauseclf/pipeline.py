"""The pipeline: the one place that composes the stages.

text -> segments (``segmentation``) -> predictions (``ClauseModel.classify``: embeddings, head)
-> ``DocumentReport``. ``document_report`` assembles a report from a segmented document and its
clauses' predictions: ``analyze_text`` uses it for one document, ``clauseclf.batch`` for each
document of a chunk whose clauses were classified together.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from clauseclf.documents import format_from_path, read_document
from clauseclf.errors import ClauseLimitError, DocumentError
from clauseclf.extraction import strip_span
from clauseclf.fetch import is_url
from clauseclf.provenance import document_sha256
from clauseclf.report import AnalyzedClause, DocumentReport
from clauseclf.segmentation import SegmentedDocument, segment_document

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel
    from clauseclf.predictions import ClausePrediction


#: Clauses one document may have (real policies have a few thousand): a document of more, such
#: as a million one-word paragraphs, is refused while it is segmented (``segment_within_limit``).
MAX_DOCUMENT_CLAUSES = 50_000


def segment_within_limit(text: str, format: str, name: str) -> SegmentedDocument:
    """``segment_document(text, format=format)``; ``DocumentError`` naming ``name`` and the
    limit as soon as segmentation finds more than ``MAX_DOCUMENT_CLAUSES`` clauses (the rest of
    the document is not split: a million one-word paragraphs are refused in bounded memory)."""
    try:
        return segment_document(text, format=format, max_clauses=MAX_DOCUMENT_CLAUSES)
    except ClauseLimitError as exc:
        # A plain DocumentError: score's error rows name the kind, and this one stays the kind
        # an over-long document always had.
        raise DocumentError(str(ClauseLimitError(exc.limit, name))) from None


#: A document of more clauses than this is long: its features are built
#: ``LONG_DOCUMENT_FEATURE_ROWS`` clauses at a time, so that the peak memory of a document of
#: megabytes stays near 10x its size (shorter ones use the head's ``FEATURE_ROWS``, faster).
LONG_DOCUMENT_CLAUSES = 1024
LONG_DOCUMENT_FEATURE_ROWS = 128
#: Clauses of a long document classified at a time: each block's arrays are its predictions'
#: own, made before the next block is classified (no arrays of ``PROGRESS_BLOCK`` clauses).
LONG_DOCUMENT_ROWS = 256


def feature_rows_for(clauses: int) -> int | None:
    """The ``feature_rows`` to classify a document of ``clauses`` clauses with (None: the
    head's default)."""
    return LONG_DOCUMENT_FEATURE_ROWS if clauses > LONG_DOCUMENT_CLAUSES else None


#: Clauses classified at a time (a long document's progress bar moves after each block).
PROGRESS_BLOCK = 4096
# A text this short, on one line, is checked for being a file name or an address by mistake.
_NAME_LENGTH = 1024
# Suffixes that make a one-word text a file name rather than a policy.
_DOCUMENT_SUFFIXES = frozenset(
    {".txt", ".html", ".htm", ".xhtml", ".md", ".markdown", ".pdf", ".docx", ".doc", ".odt"}
    | {".rtf", ".pages", ".xml", ".json", ".jsonl", ".csv"}
)


def analyze_text(
    model: ClauseModel,
    text: str | PurePath,
    *,
    platform: str | None = None,
    document: str | None = None,
    format: str = "auto",
    source: str | None = None,
    encoding: str | None = None,
    progress: bool = False,
) -> DocumentReport:
    """Segment ``text`` (plain, HTML or Markdown) and classify every clause with ``model``.

    A ``pathlib.Path`` is read as a document (``read_document`` with ``encoding``; the format
    from its name unless given; ``source`` defaults to the path). A ``str`` is the policy's text:
    one that is only a file name or a web address is refused with ``DocumentError`` (pass the
    text, a ``Path``, or ``fetch_document(url).text``) rather than analysed as a one-clause
    policy. ``progress``: a progress bar on stderr while the clauses of a long document (more
    than ``PROGRESS_BLOCK``) are classified. The report records its provenance: the SHA-256 of
    the text, ``source``, the time (UTC) and the model's id and version."""
    if isinstance(text, PurePath):
        path = Path(text)
        text = read_document(path, encoding=encoding)
        format = format_from_path(path) if format == "auto" else format
        source = str(path) if source is None else source
    elif not isinstance(text, str):
        raise TypeError(f"analyze() takes the document as str or Path, not {type(text).__name__}")
    else:
        if encoding is not None:
            raise ValueError("encoding is for a document read from a Path; this text is a str")
        refuse_names(text)
    segmented = segment_within_limit(text, format, source or document or "document")
    predictions = _classify(model, [s.text for s in segmented.segments], progress=progress)
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


def _classify(model: ClauseModel, texts: list[str], *, progress: bool) -> list[ClausePrediction]:
    """``model.classify(texts)`` in blocks of ``PROGRESS_BLOCK`` clauses (the predictions are
    the same), with a progress bar on stderr when ``progress`` and there is more than one;
    a long document's clauses classified ``LONG_DOCUMENT_ROWS`` at a time, their features
    built fewer at a time (``feature_rows_for``)."""
    feature_rows = feature_rows_for(len(texts))
    if feature_rows is None and len(texts) <= PROGRESS_BLOCK:
        return model.classify(texts)
    import sys

    from clauseclf._progress import progress_bar

    step = PROGRESS_BLOCK if feature_rows is None else LONG_DOCUMENT_ROWS
    predictions: list[ClausePrediction] = []
    with progress_bar(
        total=len(texts),
        desc="classifying",
        unit=" clauses",
        file=sys.stderr,
        disable=not progress or len(texts) <= PROGRESS_BLOCK,
    ) as bar:
        for start in range(0, len(texts), step):
            block = texts[start : start + step]
            arrays = model.predict_arrays(block, feature_rows=feature_rows)
            predictions.extend(model.predictions(arrays, block))
            del arrays
            bar.update(len(block))
    return predictions


def refuse_names(text: str) -> None:
    """``DocumentError`` if ``text`` is only a web address, the name of an existing file, or a
    word with a document's suffix (``policy.txt``): a policy passed by name by mistake."""
    start, end = strip_span(text, 0, len(text))  # no stripped copy of a long document
    if end - start > _NAME_LENGTH:
        return
    candidate = text[start:end]
    if "\n" in candidate:
        return
    if is_url(candidate) and " " not in candidate:
        raise DocumentError(
            f"analyze() got the address {candidate!r} as the policy's text; fetch it first: "
            f"analyze(clauseclf.fetch_document({candidate!r}).text)"
        )
    try:
        exists = Path(candidate).is_file()
    except (OSError, ValueError):
        exists = False
    if exists:
        raise DocumentError(
            f"analyze() got {candidate!r}, the name of a file, as the policy's text; pass the "
            f"file as a Path (analyze(pathlib.Path({candidate!r}))) or its text "
            f"(clauseclf.read_document({candidate!r}))"
        )
    if " " not in candidate and PurePath(candidate).suffix.lower() in _DOCUMENT_SUFFIXES:
        raise DocumentError(
            f"analyze() got {candidate!r}, which looks like a file name, as the policy's text, "
            "and there is no such file here; pass the policy's text, or a pathlib.Path"
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
