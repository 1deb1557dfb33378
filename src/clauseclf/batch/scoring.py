"""Scoring documents chunk by chunk: the clauses of a chunk are classified together, and each
document's rows are those of its ``DocumentReport`` (``pipeline.document_report``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.batch.inputs import DocumentInput, document_inputs
from clauseclf.documents import read_document
from clauseclf.errors import CacheError, DocumentError, ScoringError
from clauseclf.pipeline import (
    PROGRESS_BLOCK,
    feature_rows_for,
    model_id,
    model_version,
    segment_within_limit,
)
from clauseclf.provenance import document_sha256
from clauseclf.report import FRAME_COLUMNS, AnalyzedClause, frame_row
from clauseclf.segmentation import Segment, SegmentedDocument

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
#: Clauses of a long document classified at a time when it is scored: their predictions and
#: the head's arrays are let go once their rows are in the columns.
ROWS_AT_A_TIME = 256


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
    """Score one chunk of documents; the clauses of all of them go through the model together,
    ``pipeline.PROGRESS_BLOCK`` at a time.

    Each clause's row is its ``DocumentReport`` row (``report.frame_row``), the ``document_id``
    before it, the model's id and version and ``error`` (None) after; the rows go straight
    into typed columns, each prediction let go once in them. Of the model,
    ``predict_arrays``, ``predictions`` and ``metadata`` are used."""
    made_by = (model_id(model), model_version(model))
    prepared = _prepared(chunk, errors)
    columns = _Columns(sum(1 if d is None else len(d.segments) for _, d, _, _ in prepared))
    for group in _groups(prepared):
        _score_group(model, group, columns, made_by, batch_size=batch_size, errors=errors)
    return columns.frame()


def _groups(prepared: list[_Prepared]) -> Iterator[list[_Prepared]]:
    """``prepared`` in groups classified together, each let go once scored: consecutive
    documents of at most ``PROGRESS_BLOCK`` clauses in all, or one longer document, or one
    that could not be segmented."""
    group: list[_Prepared] = []
    clauses = 0
    prepared.reverse()  # popped from the end in input order
    while prepared:
        document = prepared.pop()
        count = len(document[1].segments) if document[1] is not None else 0
        if group and (not count or clauses + count > PROGRESS_BLOCK):
            yield group
            group, clauses = [], 0
        if not count:
            yield [document]
            continue
        group.append(document)
        clauses += count
    if group:
        yield group


def _score_group(
    model: ClauseModel,
    group: list[_Prepared],
    columns: _Columns,
    made_by: tuple[str | None, str | None],
    *,
    batch_size: int,
    errors: str,
) -> None:
    """Add the rows of ``group`` to ``columns``: its documents classified together (a long one
    ``ROWS_AT_A_TIME`` clauses at a time, each block's rows added before the next block is
    classified); if that fails, each document alone, so that one document the model cannot
    read (say its tokenizer panics, or memory runs out) becomes that document's error row."""
    entry, done, sha256, reason = group[0]
    if done is None or sha256 is None:
        columns.add(_error_row(entry, made_by, reason))
        return
    first_row = columns.row
    longest = max(len(document.segments) for _, document, _, _ in group if document is not None)
    feature_rows = feature_rows_for(longest)
    try:
        if len(group) == 1:
            step = min(PROGRESS_BLOCK, ROWS_AT_A_TIME)
            for start in range(0, len(done.segments), step):
                segments = done.segments[start : start + step]
                texts = [s.text for s in segments]
                predictions = _predicted(model, texts, batch_size, feature_rows)
                _add_rows(columns, group[0], made_by, start, segments, predictions)
                del predictions
        else:
            texts = [s.text for _, document, _, _ in group if document for s in document.segments]
            predictions = _predicted(model, texts, batch_size, feature_rows)
            predictions.reverse()
            for document in group:
                segments = document[1].segments if document[1] is not None else ()
                own = [predictions.pop() for _ in segments]
                _add_rows(columns, document, made_by, 0, segments, own)
    except CacheError:
        raise  # the run's embedding cache, not a document, failed: stop the run
    except Exception as exc:
        columns.row = first_row  # the group's rows are written again
        if len(group) > 1:
            for document in group:
                _score_group(
                    model, [document], columns, made_by, batch_size=batch_size, errors=errors
                )
            return
        if errors == "raise":
            raise ScoringError(f"document {entry.document_id!r}: {exc}") from exc
        columns.add(_error_row(entry, made_by, f"{type(exc).__name__}: {exc}"))


def _add_rows(
    columns: _Columns,
    document: _Prepared,
    made_by: tuple[str | None, str | None],
    first: int,
    segments: Sequence[Segment],
    predictions: list[ClausePrediction],
) -> None:
    """The rows of ``segments`` (the clauses of ``document`` from index ``first`` on) and their
    ``predictions``, each prediction let go once in the columns."""
    entry, _, sha256, _ = document
    assert sha256 is not None
    predictions.reverse()  # popped from the end in document order
    for index, segment in enumerate(segments, start=first):
        clause = AnalyzedClause(index=index, segment=segment, prediction=predictions.pop())
        row = frame_row(entry.platform, entry.document, sha256, clause)
        columns.add((entry.document_id, *row, *made_by, None))


def _error_row(
    entry: DocumentInput, made_by: tuple[str | None, str | None], reason: str | None
) -> tuple[Any, ...]:
    """The one row of a document that could not be scored, with the reason in ``error``."""
    return (
        (entry.document_id, entry.platform, entry.document)
        + (None,) * (len(FRAME_COLUMNS) - 2)
        + (*made_by, reason)
    )


def _prepared(chunk: Sequence[DocumentInput], errors: str) -> list[_Prepared]:
    """Each document of ``chunk`` read and segmented, or the reason it could not be."""
    prepared: list[_Prepared] = []
    for entry in chunk:
        try:
            text = entry.text if entry.text is not None else _read(entry)
            segmented = segment_within_limit(text, entry.format, entry.document_id)
            if not segmented.segments:
                raise DocumentError(f"{entry.document_id}: no clauses found in the document")
            digest = document_sha256(text)
        except Exception as exc:  # any failure is this document's (MemoryError, RecursionError)
            if errors == "raise":
                raise ScoringError(f"document {entry.document_id!r}: {exc}") from exc
            prepared.append((entry, None, None, f"{type(exc).__name__}: {exc}"))
            continue
        prepared.append((entry, segmented, digest, None))
    return prepared


def _predicted(
    model: ClauseModel, texts: list[str], batch_size: int, feature_rows: int | None = None
) -> list[ClausePrediction]:
    """The predictions of ``texts``, ``pipeline.PROGRESS_BLOCK`` at a time: each block's
    arrays are its own, let go once its predictions are (``feature_rows``: see
    ``ClauseModel.predict_arrays``)."""
    predictions: list[ClausePrediction] = []
    for start in range(0, len(texts), PROGRESS_BLOCK):
        block = texts[start : start + PROGRESS_BLOCK]
        arrays = model.predict_arrays(block, batch_size=batch_size, feature_rows=feature_rows)
        predictions += model.predictions(arrays, block)
    return predictions


def _read(entry: DocumentInput) -> str:
    assert entry.path is not None
    return read_document(entry.path, encoding=entry.encoding)


def empty_frame() -> pd.DataFrame:
    """A DataFrame with ``SCORE_COLUMNS`` and no rows."""
    return _Columns(0).frame()


#: The dtype of each column of ``SCORE_COLUMNS`` that is not ``object``.
_DTYPES: dict[str, type[np.generic]] = {
    "clause_index": np.int64,
    "start": np.int64,
    "end": np.int64,
    "confidence": np.float64,
}


_EVIDENCE = SCORE_COLUMNS.index("evidence")


class _Columns:
    """The columns of ``SCORE_COLUMNS`` for a known number of rows, filled a row at a time and
    typed as they are filled (no table of rows, no typed copy). Missing values are what
    ``DataFrame.from_records`` gives: NaN in a column of strings, None in others."""

    def __init__(self, rows: int) -> None:
        """Room for ``rows`` rows (at most: rows written again are overwritten)."""
        self.cells = [np.empty(rows, dtype=_DTYPES.get(name, object)) for name in SCORE_COLUMNS]
        self.missing = [np.zeros(rows, dtype=bool) for _ in SCORE_COLUMNS]
        #: per column: 1 while it holds only str and None, 0 once it holds anything else
        self.strings = [1] * len(SCORE_COLUMNS)
        self.row = 0
        #: each evidence phrase of the rows, held once (phrases recur from clause to clause)
        self.phrases: dict[str, str] = {}

    def add(self, values: tuple[Any, ...]) -> None:
        """Set the next row to ``values`` (in the order of ``SCORE_COLUMNS``); the phrases of
        its evidence list are the equal ones of earlier rows where there are any."""
        row = self.row
        evidence = values[_EVIDENCE]
        if evidence:
            phrases = self.phrases
            values = (
                *values[:_EVIDENCE],
                [phrases.setdefault(phrase, phrase) for phrase in evidence],
                *values[_EVIDENCE + 1 :],
            )
        for column, value in enumerate(values):
            self.missing[column][row] = value is None
            if value is not None:
                self.cells[column][row] = value
                if type(value) is not str:
                    self.strings[column] = 0
        self.row += 1

    def frame(self) -> pd.DataFrame:
        """The DataFrame of the rows added."""
        import pandas as pd

        series: dict[str, pd.Series] = {}
        for name, all_cells, all_missing, strings in zip(
            SCORE_COLUMNS, self.cells, self.missing, self.strings, strict=True
        ):
            # fewer rows than announced when a document became one error row
            short = self.row < len(all_cells)
            cells = all_cells[: self.row].copy() if short else all_cells
            missing = all_missing[: self.row]
            if name in _DTYPES and _DTYPES[name] is np.int64:
                array: Any = pd.arrays.IntegerArray(np.where(missing, 0, cells), missing)
                series[name] = pd.Series(array, copy=False)
            elif name in _DTYPES:
                cells[missing] = np.nan
                series[name] = pd.Series(cells, copy=False)
            else:
                cells[missing] = np.nan if strings and not missing.all() else None
                series[name] = pd.Series(cells, dtype=object, copy=False)
        return pd.DataFrame(series, copy=False)
