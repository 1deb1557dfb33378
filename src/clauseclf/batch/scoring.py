"""Scoring documents chunk by chunk: the clauses of a chunk are classified together, and each
document's rows are those of its ``DocumentReport`` (``pipeline.document_report``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from clauseclf.batch.inputs import DocumentInput, document_inputs
from clauseclf.documents import read_document
from clauseclf.errors import CacheError, DocumentError, ScoringError
from clauseclf.pipeline import check_clause_count, document_report, model_id, model_version
from clauseclf.provenance import document_sha256
from clauseclf.report import FRAME_COLUMNS
from clauseclf.segmentation import SegmentedDocument, segment_document

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel
    from clauseclf.predictions import ClausePrediction

#: Columns of ``score``'s DataFrame: the document id, ``DocumentReport.to_frame``'s columns, the
#: id and version of the model that scored it (``pipeline.model_id``, ``model_version``), and
#: ``error`` (None for a scored clause; the reason on a document's single row when it failed).
SCORE_COLUMNS: tuple[str, ...] = (
    "document_id",
    *FRAME_COLUMNS,
    "model_id",
    "model_version",
    "error",
)
ERROR_MODES = ("record", "raise")


def score(
    model: ClauseModel,
    documents: Any,
    *,
    n_jobs: int = 1,
    batch_size: int = 64,
    chunk_size: int = 32,
    progress: bool = True,
    errors: str = "record",
) -> pd.DataFrame:
    """Score ``documents`` (see ``document_inputs``) with ``model``: a DataFrame with the columns
    of ``SCORE_COLUMNS``, one row per clause, documents in input order."""
    import pandas as pd

    frames = list(
        iter_scored_chunks(
            model,
            documents,
            n_jobs=n_jobs,
            batch_size=batch_size,
            chunk_size=chunk_size,
            progress=progress,
            errors=errors,
        )
    )
    if not frames:
        return empty_frame()
    return pd.concat(frames, ignore_index=True)


def iter_scored_chunks(
    model: ClauseModel,
    documents: Any,
    *,
    n_jobs: int = 1,
    batch_size: int = 64,
    chunk_size: int = 32,
    progress: bool = True,
    errors: str = "record",
    skip: Iterable[str] = (),
) -> Iterator[pd.DataFrame]:
    """Like ``score``, one DataFrame per chunk of documents as soon as it is done (in input
    order); documents whose id is in ``skip`` are left out (for resuming)."""
    from clauseclf._progress import progress_bar

    if errors not in ERROR_MODES:
        raise ValueError(f"errors must be one of {ERROR_MODES}, got {errors!r}")
    if chunk_size < 1 or batch_size < 1:
        raise ValueError("chunk_size and batch_size must be at least 1")
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (1 = in this process, -1 = all workers)")
    skipped = set(skip)
    inputs = [d for d in document_inputs(documents) if d.document_id not in skipped]
    chunks = [inputs[i : i + chunk_size] for i in range(0, len(inputs), chunk_size)]
    bar = progress_bar(total=len(inputs), desc="scoring", unit="doc", disable=not progress)
    try:
        if n_jobs == 1:
            for chunk in chunks:
                frame = score_chunk(model, chunk, batch_size=batch_size, errors=errors)
                bar.update(len(chunk))
                yield frame
        else:
            from joblib import Parallel, delayed

            parallel = Parallel(n_jobs=n_jobs, return_as="generator")
            tasks = (
                delayed(score_chunk)(model, chunk, batch_size=batch_size, errors=errors)
                for chunk in chunks
            )
            for chunk, frame in zip(chunks, parallel(tasks), strict=True):
                bar.update(len(chunk))
                yield frame
    finally:
        bar.close()


_Prepared = tuple[DocumentInput, SegmentedDocument | None, str | None, str | None]


def score_chunk(
    model: ClauseModel, chunk: Sequence[DocumentInput], *, batch_size: int, errors: str
) -> pd.DataFrame:
    """Score one chunk of documents; the clauses of all of them go through the model at once.

    Each scored document becomes a ``DocumentReport`` (``pipeline.document_report``) whose
    ``frame_rows`` are its rows, the ``document_id`` before them, the model's id and version
    and ``error`` (None) after. Of the model, ``predict_arrays``, ``predictions`` and
    ``metadata`` are used."""
    import pandas as pd

    made_by = (model_id(model), model_version(model))
    prepared: list[_Prepared] = []
    for entry in chunk:
        try:
            text = entry.text if entry.text is not None else _read(entry)
            segmented = segment_document(text, format=entry.format)
            if not segmented.segments:
                raise DocumentError(f"{entry.document_id}: no clauses found in the document")
            check_clause_count(segmented, entry.document_id)
            digest = document_sha256(text)
        except Exception as exc:  # any failure is this document's (MemoryError, RecursionError)
            if errors == "raise":
                raise ScoringError(f"document {entry.document_id!r}: {exc}") from exc
            prepared.append((entry, None, None, f"{type(exc).__name__}: {exc}"))
            continue
        prepared.append((entry, segmented, digest, None))
    predictions = _classify(model, prepared, batch_size=batch_size, errors=errors)
    rows: list[tuple[Any, ...]] = []
    for entry, done, sha256, reason in prepared:
        found = predictions.get(entry.document_id)
        if done is None or sha256 is None or isinstance(found, str):
            reason = found if isinstance(found, str) else reason
            rows.append(
                (entry.document_id, entry.platform, entry.document)
                + (None,) * (len(FRAME_COLUMNS) - 2)
                + (*made_by, reason)
            )
            continue
        assert found is not None
        report = document_report(
            done,
            found,
            sha256=sha256,
            platform=entry.platform,
            document=entry.document,
            source=str(entry.path) if entry.path is not None else None,
        )
        rows.extend((entry.document_id, *row, *made_by, None) for row in report.frame_rows())
    frame = pd.DataFrame.from_records(rows, columns=list(SCORE_COLUMNS))
    return _typed(frame)


def _classify(
    model: ClauseModel, prepared: Sequence[_Prepared], *, batch_size: int, errors: str
) -> dict[str, list[ClausePrediction] | str]:
    """Each segmented document's predictions by document id, the clauses of all classified
    together; if that fails, each document alone, so that one document the model cannot read
    (say its tokenizer panics, or memory runs out) becomes that document's error (a str)."""
    documents = [(entry, done) for entry, done, _, _ in prepared if done is not None]
    texts = [s.text for _, done in documents for s in done.segments]
    found: dict[str, list[ClausePrediction] | str] = {}
    try:
        predictions = model.predictions(model.predict_arrays(texts, batch_size=batch_size), texts)
    except CacheError:
        raise  # the run's embedding cache, not a document, failed: stop the run
    except Exception:
        for entry, done in documents:
            own = [s.text for s in done.segments]
            try:
                found[entry.document_id] = model.predictions(
                    model.predict_arrays(own, batch_size=batch_size), own
                )
            except CacheError:
                raise
            except Exception as exc:
                if errors == "raise":
                    raise ScoringError(f"document {entry.document_id!r}: {exc}") from exc
                found[entry.document_id] = f"{type(exc).__name__}: {exc}"
        return found
    cursor = 0
    for entry, done in documents:
        count = len(done.segments)
        found[entry.document_id] = predictions[cursor : cursor + count]
        cursor += count
    return found


def _read(entry: DocumentInput) -> str:
    assert entry.path is not None
    return read_document(entry.path, encoding=entry.encoding)


def empty_frame() -> pd.DataFrame:
    """A DataFrame with ``SCORE_COLUMNS`` and no rows."""
    import pandas as pd

    return _typed(pd.DataFrame({column: [] for column in SCORE_COLUMNS}))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(
        {
            "document_id": "object",
            "platform": "object",
            "document": "object",
            "clause_index": "Int64",
            "start": "Int64",
            "end": "Int64",
            "heading": "object",
            "text": "object",
            "label": "object",
            "labels": "object",
            "severity": "object",
            "confidence": "float64",
            "evidence": "object",
            "document_sha256": "object",
            "clause_id": "object",
            "model_id": "object",
            "model_version": "object",
            "error": "object",
        }
    )
