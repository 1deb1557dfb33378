"""Scoring into a file (.parquet, .csv, .jsonl or .xlsx) chunk by chunk, checkpointed, with
resume."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf.batch.inputs import clean
from clauseclf.batch.scoring import SCORE_COLUMNS, empty_frame, iter_scored_chunks
from clauseclf.errors import ScoringError

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel

OUTPUT_FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".xlsx": "xlsx"}
# Formats checkpointed as Parquet parts beside the output, merged into it at the end.
_PART_FORMATS = ("parquet", "xlsx")


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

    Progress is checkpointed beside the output (``<out>.progress`` for CSV/JSONL,
    ``<out>.parts/`` for Parquet and Excel, merged into ``out`` at the end). Without ``resume``
    an existing output is never overwritten.
    """
    out = Path(out)
    fmt = output_format(out)
    checkpoint = _Checkpoint.for_output(out, fmt)
    if not resume and (out.exists() or checkpoint.exists()):
        raise FileExistsError(
            f"{out} (or its checkpoint) already exists: pass resume=True (--resume) to continue "
            "that run, or remove it"
        )
    done = checkpoint.restore() if resume else set()
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
        ids = frame["document_id"].unique()
        scored += len(ids)
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


class _Checkpoint:
    """Appends chunks to the output and records what is safely on disk."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.progress = out.with_name(out.name + ".progress")
        self.parts = out.with_name(out.name + ".parts")

    @classmethod
    def for_output(cls, out: Path, fmt: str) -> _Checkpoint:
        return cls(out, fmt)

    def exists(self) -> bool:
        return self.progress.exists() or self.parts.exists()

    def restore(self) -> set[str]:
        """The ids already written; cuts off anything written after the last checkpoint.

        ``ScoringError`` when the output on disk has other columns than ``SCORE_COLUMNS``
        (written by another version of clauseclf): appending to it would mix two layouts."""
        import json

        self._check_columns()

        if self.fmt in _PART_FORMATS:
            import pandas as pd

            done: set[str] = set()
            if self.out.exists():
                done.update(self._ids_in_finished_output())
            for part in sorted(self.parts.glob("part-*.parquet")):
                done.update(pd.read_parquet(part, columns=["document_id"])["document_id"])
            return done
        if not self.progress.exists():
            return self._ids_in_finished_output()
        done, size = set(), 0
        for line in self.progress.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break  # a line cut by the interruption: that chunk is redone
            done.update(entry["done"])
            size = int(entry["bytes"])
        if self.out.exists():
            with self.out.open("r+b") as handle:
                handle.truncate(size)
        return done

    def _check_columns(self) -> None:
        import json

        import pyarrow.parquet as pq

        if self.fmt == "parquet":
            parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
            files = ([self.out] if self.out.exists() else []) + parts
            found = list(pq.read_schema(files[0]).names) if files else None
        elif self.fmt == "xlsx":
            from clauseclf.batch.excel import read_workbook

            parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
            if parts:
                found = list(pq.read_schema(parts[0]).names)
            else:
                found = list(read_workbook(self.out).columns) if self.out.exists() else None
        elif not self.out.exists() or self.out.stat().st_size == 0:
            found = None
        else:
            with self.out.open(encoding="utf-8", newline="") as handle:
                first = handle.readline()
            if self.fmt == "csv":
                import csv

                found = next(csv.reader([first]), [])
            else:
                try:
                    found = list(json.loads(first))
                except (json.JSONDecodeError, TypeError):
                    found = None  # a first line cut by an interruption: truncated below
        if found is not None and found != list(SCORE_COLUMNS):
            raise ScoringError(
                f"{self.out} has the columns {found}, not those this version writes "
                f"{list(SCORE_COLUMNS)}; resume it with the clauseclf version that started it, "
                "or score into a new output"
            )

    def _ids_in_finished_output(self) -> set[str]:
        import pandas as pd

        if not self.out.exists() or self.out.stat().st_size == 0:
            return set()
        if self.fmt == "parquet":
            ids = pd.read_parquet(self.out, columns=["document_id"])["document_id"]
        elif self.fmt == "xlsx":
            from clauseclf.batch.excel import read_workbook

            ids = read_workbook(self.out)["document_id"]
        elif self.fmt == "csv":
            ids = pd.read_csv(self.out, usecols=["document_id"], dtype=str)["document_id"]
        else:
            ids = pd.read_json(self.out, lines=True, dtype={"document_id": str})["document_id"]
        return {str(i) for i in ids}

    def write(self, frame: pd.DataFrame) -> None:
        import json
        import os

        if self.fmt in _PART_FORMATS:
            self.parts.mkdir(exist_ok=True)
            number = len(list(self.parts.glob("part-*.parquet")))
            target = self.parts / f"part-{number:06d}.parquet"
            staging = target.with_suffix(".tmp")
            frame.to_parquet(staging, index=False)
            os.replace(staging, target)
            return
        new_file = not self.out.exists() or self.out.stat().st_size == 0
        with self.out.open("a", encoding="utf-8", newline="") as handle:
            if self.fmt == "csv":
                flat = frame.assign(
                    labels=frame["labels"].map(_join_labels),
                    evidence=frame["evidence"].map(_json_list),
                )
                flat.to_csv(handle, header=new_file, index=False)
            else:
                for record in frame.to_dict("records"):
                    handle.write(json.dumps(_json_ready(record), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
        entry = {"done": [str(i) for i in frame["document_id"].unique()], "bytes": size}
        with self.progress.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def finish(self) -> None:
        """Merge Parquet parts into the output; drop the checkpoint."""
        import os
        import shutil

        if self.fmt == "parquet":
            import pandas as pd

            parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
            frames = [pd.read_parquet(p) for p in parts]
            if self.out.exists():
                # A run killed after the merge but before the parts were removed: the output
                # already holds some parts; a document's rows are all in one place, so drop
                # the parts' rows of documents the output has.
                finished = pd.read_parquet(self.out)
                merged_ids = set(finished["document_id"])
                frames = [f[~f["document_id"].isin(merged_ids)] for f in frames]
                frames.insert(0, finished)
            merged = pd.concat(frames, ignore_index=True) if frames else empty_frame()
            staging = self.out.with_name(self.out.name + ".tmp")
            merged.to_parquet(staging, index=False)
            os.replace(staging, self.out)
            shutil.rmtree(self.parts, ignore_errors=True)
        elif self.fmt == "xlsx":
            self._finish_workbook()
            shutil.rmtree(self.parts, ignore_errors=True)
        elif not self.out.exists():
            self.out.touch()
        self.progress.unlink(missing_ok=True)

    def _finish_workbook(self) -> None:
        """Write the parts (and the rows of an earlier finished workbook that the parts do not
        hold again) into the workbook, lists flattened as in CSV."""
        import pandas as pd

        from clauseclf.batch.excel import read_workbook, write_workbook

        parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
        if not parts and self.out.exists():
            return
        frames = [pd.read_parquet(p) for p in parts] or [empty_frame()]
        merged = pd.concat(frames, ignore_index=True)
        merged = merged.assign(
            labels=merged["labels"].map(_join_labels),
            evidence=merged["evidence"].map(_json_list),
        )
        if self.out.exists():
            finished = read_workbook(self.out)
            finished = finished[~finished["document_id"].isin(set(merged["document_id"]))]
            merged = pd.concat([finished, merged], ignore_index=True)
        write_workbook(merged, self.out)


def _join_labels(labels: Any) -> Any:
    return ";".join(labels) if isinstance(labels, list) else labels


def _json_list(values: Any) -> Any:
    """A CSV cell for a list of phrases (which may hold any separator): its JSON array."""
    import json

    return json.dumps(values, ensure_ascii=False) if isinstance(values, list) else values


def _json_ready(record: Mapping[Any, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        value = clean(value)
        if hasattr(value, "item"):
            value = value.item()
        out[str(key)] = value
    return out
