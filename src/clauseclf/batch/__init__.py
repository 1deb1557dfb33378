"""Batch scoring: many documents -> one pandas DataFrame with a row per clause.

Documents are read and segmented one by one, and the clauses of a chunk of documents are
classified together (one encoder call, identical clauses embedded once, batches sorted by length).
A document that cannot be scored (missing, binary, empty, no clauses) becomes one row whose
``error`` column says why; ``errors="raise"`` stops at the first one instead.

Parallel work goes through joblib, so the same call runs on a Dask cluster::

    import joblib
    from dask.distributed import Client
    client = Client("tcp://scheduler:8786")
    with joblib.parallel_config(backend="dask"):
        frame = model.score(paths, n_jobs=-1)

Modules: ``inputs`` (``document_inputs``: paths, texts, dicts, DataFrames), ``scoring``
(``score``, chunk by chunk; each document's rows are those of its ``DocumentReport``),
``output`` (``write_scores``: into .parquet, .csv, .jsonl or .xlsx, resumable; ``excel`` writes
the workbook), ``checkpoint`` (what is safely on disk, checked on resume), ``rows`` (a chunk's
bytes, a file's rows read back), ``lock`` (one run per output).
Everything public is re-exported here: import from ``clauseclf.batch``.
"""

from __future__ import annotations

from clauseclf.batch.inputs import (
    INPUT_COLUMNS,
    PLATFORM_SOURCES,
    DocumentInput,
    document_inputs,
    names_from_path,
)
from clauseclf.batch.output import OUTPUT_FORMATS, ScoreSummary, output_format, write_scores
from clauseclf.batch.scoring import (
    ERROR_MODES,
    SCORE_COLUMNS,
    empty_frame,
    iter_scored_chunks,
    score,
    score_chunk,
)

__all__ = [
    "ERROR_MODES",
    "INPUT_COLUMNS",
    "OUTPUT_FORMATS",
    "PLATFORM_SOURCES",
    "SCORE_COLUMNS",
    "DocumentInput",
    "ScoreSummary",
    "document_inputs",
    "empty_frame",
    "iter_scored_chunks",
    "names_from_path",
    "output_format",
    "score",
    "score_chunk",
    "write_scores",
]
