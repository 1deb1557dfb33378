"""Scoring into a file (.parquet, .csv, .jsonl or .xlsx) chunk by chunk, checkpointed
(``clauseclf.batch.checkpoint``), locked against a second run on the same output, with resume."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf.batch.checkpoint import Checkpoint, ModelStamp
from clauseclf.batch.lock import OutputLock
from clauseclf.batch.scoring import iter_scored_chunks

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel

OUTPUT_FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".xlsx": "xlsx"}


@dataclass(frozen=True)
class ScoreSummary:
    """What ``write_scores`` did: documents scored now, skipped as already done, failed."""

    path: Path
    scored: int
    skipped: int
    failed: int
    clauses: int
    #: ``(document_id, error)`` of each document that failed in this run.
    failures: tuple[tuple[str, str], ...] = ()


def output_format(path: Path) -> str:
    """``parquet``, ``csv``, ``jsonl`` or ``xlsx`` from the file name; ValueError otherwise
    (``ScoringError`` naming the extra for ``.xlsx`` without openpyxl)."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: the output must end in .parquet, .csv, .jsonl or .xlsx")
    if fmt == "xlsx":
        from clauseclf.batch.excel import require_openpyxl

        require_openpyxl(path)
    return fmt


def write_scores(
    model: ClauseModel,
    documents: Any,
    out: str | Path,
    *,
    resume: bool = False,
    n_jobs: int = 1,
    batch_size: int = 64,
    chunk_size: int = 32,
    progress: bool = True,
    errors: str = "record",
) -> ScoreSummary:
    """Score ``documents`` into ``out`` (.parquet, .csv, .jsonl or .xlsx) chunk by chunk, so an
    interrupted run loses at most the chunk in flight; ``resume=True`` continues it.

    Progress is checkpointed in ``<out>.progress`` (Parquet and Excel chunks in
    ``<out>.parts/``, merged into ``out`` at the end); ``<out>.lock`` keeps a second run off the
    output while this one writes (``ScoringError`` naming its pid). Without ``resume`` an
    existing output is never overwritten; with it, the output must have been started by the
    same model (its id and version are in every row, its fingerprint in the checkpoint).
    """
    out = Path(out)
    fmt = output_format(out)
    with OutputLock(out):
        checkpoint = Checkpoint(out, fmt, ModelStamp.of(model))
        if not resume and (out.exists() or checkpoint.exists()):
            raise FileExistsError(
                f"{out} (or its checkpoint) already exists: pass resume=True (--resume) to "
                "continue that run, or remove it"
            )
        if resume:
            done = checkpoint.restore()
        else:
            done = set()
            checkpoint.start()
        scored = failed = clauses = 0
        failures: list[tuple[str, str]] = []
        for frame in iter_scored_chunks(
            model,
            documents,
            n_jobs=n_jobs,
            batch_size=batch_size,
            chunk_size=chunk_size,
            progress=progress,
            errors=errors,
            skip=done,
        ):
            checkpoint.write(frame)
            scored += frame["document_id"].nunique()
            errors_column = frame["error"].notna()
            failed += int(errors_column.sum())
            clauses += int((~errors_column).sum())
            failed_rows = frame.loc[errors_column, ["document_id", "error"]]
            failures.extend((str(i), str(e)) for i, e in failed_rows.itertuples(index=False))
        checkpoint.finish()
    return ScoreSummary(
        out,
        scored=scored,
        skipped=len(done),
        failed=failed,
        clauses=clauses,
        failures=tuple(failures),
    )
