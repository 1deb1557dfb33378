"""The checkpoint of a run scoring into a file: what is safely on disk, so that a run stopped
in any way (Ctrl-C, kill -9, a full disk) resumes with no row lost, cut or written twice.

``<out>.progress`` is written (and synced) before the first row: a header line naming the
format, the columns and the model (id, version, ``ClauseModel.fingerprint``), then one line per
chunk once its rows are synced: the rows of each document and, for CSV and JSON Lines, the size
of the output after them. Parquet chunks are whole files in ``<out>.parts/``, merged into ``out``
at the end. On resume the output is cut back to the end of the last chunk the checkpoint
records, so a row cut by the interruption is never glued to the next, and the rows of each
document in the output are counted and checked against the checkpoint.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf import _json
from clauseclf.batch.rows import (
    encode_rows,
    file_columns,
    flat_cells,
    read_check_columns,
    rows_per_document,
)
from clauseclf.batch.scoring import SCORE_COLUMNS, empty_frame
from clauseclf.errors import ScoringError
from clauseclf.limits import capped_lines

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel

PROGRESS_FORMAT = "clauseclf-score-progress"
PROGRESS_VERSION = 1
_PART = re.compile(r"part-(\d{6})\.parquet")
#: Output formats checkpointed as Parquet parts beside the output, merged into it at the end
#: (a workbook cannot be appended to safely).
PART_FORMATS = ("parquet", "xlsx")
_START_OVER = "remove the output and its checkpoint to start over, or score into a new output"


@dataclass(frozen=True)
class ModelStamp:
    """Which model scores a run: its id and version (as the rows record them) and fingerprint."""

    id: str | None
    version: str | None
    sha256: str | None

    @classmethod
    def of(cls, model: ClauseModel) -> ModelStamp:
        """The stamp of ``model``: its id, version and fingerprint."""
        from clauseclf.pipeline import model_id, model_version

        return cls(model_id(model), model_version(model), model.fingerprint())

    def describe(self) -> str:
        """The model in words, for messages: id, version and the start of its SHA-256."""
        digest = f", sha256 {self.sha256[:12]}" if self.sha256 else ""
        return f"{self.id or 'an unnamed model'} (version {self.version}{digest})"


class Checkpoint:
    """The checkpoint of the output ``out`` (format ``fmt``) scored by the model ``stamp``."""

    def __init__(self, out: Path, fmt: str, stamp: ModelStamp) -> None:
        self.out, self.fmt, self.stamp = out, fmt, stamp
        self.progress = out.with_name(out.name + ".progress")
        self.parts = out.with_name(out.name + ".parts")
        self.size = 0  # CSV/JSONL: bytes of ``out`` the checkpoint covers
        self.next_part = 0  # Parquet: number of the next part file

    def exists(self) -> bool:
        """Whether a progress file or a parts folder of this output is on disk."""
        return self.progress.exists() or self.parts.exists()

    def start(self) -> None:
        """Begin a new checkpoint: its header, on disk before the first row is written."""
        header = {
            "format": PROGRESS_FORMAT,
            "version": PROGRESS_VERSION,
            "output": self.fmt,
            "columns": list(SCORE_COLUMNS),
            "model": {"id": self.stamp.id, "version": self.stamp.version},
            "model_sha256": self.stamp.sha256,
        }
        self._append(header, mode="wb")

    def restore(self) -> set[str]:
        """The documents already scored; cuts the output back to what the checkpoint records.

        ``ScoringError`` when the output was started with another model, written by another
        version of clauseclf, or does not hold the rows its checkpoint records."""
        self._check_columns()
        if not self.progress.exists():
            if self.parts.exists():
                raise ScoringError(f"{self.parts} has no checkpoint {self.progress}: {_START_OVER}")
            return self._adopt_finished_output()
        header, entries = self._read_progress()
        if header is None:  # cut while its header was written: no row was written yet
            if self._holds_rows():
                raise ScoringError(f"{self.progress} is damaged: {_START_OVER}")
            self.start()
            return set()
        recorded = header.get("model") or {}
        started = ModelStamp(
            recorded.get("id"), recorded.get("version"), header.get("model_sha256")
        )
        if started.sha256 != self.stamp.sha256:
            raise _other_model(self.out, started, self.stamp)
        if self.fmt in PART_FORMATS:
            return self._restore_parts(entries)
        return self._restore_rows(entries)

    def write(self, frame: pd.DataFrame) -> None:
        """Append a chunk's rows to the output, then record them in the checkpoint; a write
        that fails (a full disk) is cut back and raised as ``ScoringError``."""
        counts = rows_per_document(frame)
        if self.fmt in PART_FORMATS:
            self.parts.mkdir(exist_ok=True)
            name = f"part-{self.next_part:06d}.parquet"
            staging = self.parts / f"{name}.tmp"
            try:
                frame.to_parquet(staging, index=False)
                os.replace(staging, self.parts / name)
            except OSError as exc:
                staging.unlink(missing_ok=True)
                raise self._write_failed(exc) from exc
            self._append({"part": name, "rows": counts})
            self.next_part += 1
            return
        data = encode_rows(frame, self.fmt, header=self.size == 0)
        try:
            with self.out.open("ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                size = handle.tell()
        except OSError as exc:
            if self.out.exists():
                os.truncate(self.out, self.size)  # the cut rows go; the chunk is redone
            raise self._write_failed(exc) from exc
        self._append({"rows": counts, "bytes": size})
        self.size = size

    def finish(self) -> None:
        """Merge the Parquet parts into the output; drop the checkpoint (last)."""
        if self.fmt == "xlsx":
            self._merge_parts_into_workbook()
        elif self.fmt == "parquet":
            self._merge_parts()
        elif not self.out.exists():
            self.out.touch()
        self.progress.unlink(missing_ok=True)

    # --- restoring -------------------------------------------------------------------------

    def _check_columns(self) -> None:
        found = file_columns(self.out, self.fmt)
        if found is not None and found != list(SCORE_COLUMNS):
            raise ScoringError(
                f"{self.out} has the columns {found}, not those this version writes "
                f"{list(SCORE_COLUMNS)}; resume it with the clauseclf version that started it, "
                "or score into a new output"
            )

    def _holds_rows(self) -> bool:
        if self.fmt in PART_FORMATS:
            return self.parts.exists() and any(self.parts.glob("part-*.parquet"))
        return self.out.exists() and self.out.stat().st_size > 0

    def _read_progress(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The header and the complete entries of the checkpoint, which is cut back to them
        (a line cut by the interruption would otherwise be glued to the next one)."""
        header: dict[str, Any] | None = None
        entries: list[dict[str, Any]] = []
        good = 0
        with self.progress.open("rb") as handle:
            for _, line in capped_lines(handle, str(self.progress)):
                if not line.endswith(b"\n"):  # the last piece has no newline: cut
                    break
                try:
                    value = _json.loads(line.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    break
                if header is None:
                    header = self._check_header(value)
                elif _entry_ok(value, self.fmt):
                    entries.append(value)
                else:
                    break
                good += len(line)
        if good < self.progress.stat().st_size:
            os.truncate(self.progress, good)
        return header, entries

    def _check_header(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or value.get("format") != PROGRESS_FORMAT:
            raise ScoringError(
                f"{self.progress} was written by an older clauseclf (no model recorded): "
                f"resume it with that version, or {_START_OVER}"
            )
        if (
            value.get("version") != PROGRESS_VERSION
            or value.get("output") != self.fmt
            or value.get("columns") != list(SCORE_COLUMNS)
        ):
            raise ScoringError(
                f"{self.progress} records another format or columns than this clauseclf "
                f"writes: resume it with the version that started it, or {_START_OVER}"
            )
        return value

    def _restore_rows(self, entries: list[dict[str, Any]]) -> set[str]:
        """CSV/JSONL: cut the output back to the last chunk it holds whole; check its rows."""
        size = self.out.stat().st_size if self.out.exists() else 0
        kept = list(itertools.takewhile(lambda e: e["bytes"] <= size, entries))
        if len(kept) < len(entries):  # the output lost recorded rows: those chunks are redone
            self._rewrite(kept)
        self.size = kept[-1]["bytes"] if kept else 0
        if self.out.exists() and size > self.size:
            os.truncate(self.out, self.size)
        expected: dict[str, int] = {}
        for entry in kept:
            expected.update(entry["rows"])
        self._verify(read_check_columns(self.out, self.fmt), expected, self.out)
        return set(expected)

    def _restore_parts(self, entries: list[dict[str, Any]]) -> set[str]:
        """Parquet: drop parts the checkpoint does not record (written as it was stopped); check
        each recorded part, or the output for parts merged into it by a run stopped after."""
        recorded = {e["part"] for e in entries}
        if self.parts.exists():
            for path in self.parts.iterdir():
                if path.name not in recorded:
                    path.unlink()
        merged = read_check_columns(self.out, self.fmt)
        merged_rows = rows_per_document(merged)
        done = set(merged_rows)
        for entry in entries:
            path = self.parts / entry["part"]
            if path.exists():
                self._verify(read_check_columns(path, "parquet"), entry["rows"], path)
            elif any(merged_rows.get(doc) != n for doc, n in entry["rows"].items()):
                raise ScoringError(
                    f"{path}, recorded in {self.progress}, is missing and its rows are not in "
                    f"{self.out}: {_START_OVER}"
                )
            done.update(entry["rows"])
            self.next_part = max(self.next_part, int(entry["part"][5:11]) + 1)
        return done

    def _adopt_finished_output(self) -> set[str]:
        """Resume a finished output (no checkpoint): its documents are done if the same model
        scored them; a new checkpoint covers them."""
        rows = read_check_columns(self.out, self.fmt)
        made_by = {(i, v) for i, v in zip(rows["model_id"], rows["model_version"], strict=True)}
        mine = (self.stamp.id, self.stamp.version)
        for other in made_by - {mine}:
            raise _other_model(self.out, ModelStamp(*other, None), self.stamp)
        counts = rows_per_document(rows)
        self.start()
        if self.fmt not in PART_FORMATS and counts:
            self.size = self.out.stat().st_size
            self._append({"rows": counts, "bytes": self.size})
        return set(counts)

    def _verify(self, rows: pd.DataFrame, expected: dict[str, int], where: Path) -> None:
        found = rows_per_document(rows)
        if found == expected:
            return
        differing = sorted(d for d in {*found, *expected} if found.get(d) != expected.get(d))
        doc = differing[0]
        raise ScoringError(
            f"{where} does not match its checkpoint {self.progress}: document {doc!r} has "
            f"{found.get(doc, 0)} rows there, the checkpoint records {expected.get(doc, 0)} "
            f"({len(differing)} documents differ; was it changed by another program?): "
            f"{_START_OVER}"
        )

    # --- writing ---------------------------------------------------------------------------

    def _append(self, entry: dict[str, Any], *, mode: str = "ab") -> None:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            with self.progress.open(mode) as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise self._write_failed(exc) from exc

    def _rewrite(self, entries: list[dict[str, Any]]) -> None:
        """Keep only the header and ``entries`` in the checkpoint (atomically)."""
        header = self.progress.read_bytes().split(b"\n", 1)[0] + b"\n"
        staging = self.progress.with_name(self.progress.name + ".tmp")
        body = b"".join((json.dumps(e, ensure_ascii=False) + "\n").encode() for e in entries)
        staging.write_bytes(header + body)
        os.replace(staging, self.progress)

    def _merge_parts(self) -> None:
        import pandas as pd

        frames = []
        if self.parts.exists():
            frames = [pd.read_parquet(p) for p in sorted(self.parts.glob("part-*.parquet"))]
        if self.out.exists():
            # A run stopped after the merge but before the parts were removed: the output
            # already holds them; a document's rows are all in one place, so drop the parts'
            # rows of documents the output has.
            finished = pd.read_parquet(self.out)
            merged_ids = set(finished["document_id"])
            frames = [f[~f["document_id"].isin(merged_ids)] for f in frames]
            frames.insert(0, finished)
        merged = pd.concat(frames, ignore_index=True) if frames else empty_frame()
        staging = self.out.with_name(self.out.name + ".tmp")
        try:
            merged.to_parquet(staging, index=False)
            os.replace(staging, self.out)
        except OSError as exc:
            staging.unlink(missing_ok=True)
            raise self._write_failed(exc) from exc
        shutil.rmtree(self.parts, ignore_errors=True)

    def _merge_parts_into_workbook(self) -> None:
        """Write the parts (and the rows of an earlier finished workbook that the parts do not
        hold again) into the workbook, lists flattened as in CSV."""
        import pandas as pd

        from clauseclf.batch.excel import read_workbook, write_workbook

        parts = sorted(self.parts.glob("part-*.parquet")) if self.parts.exists() else []
        if parts or not self.out.exists():
            frames = [pd.read_parquet(p) for p in parts] or [empty_frame()]
            merged = flat_cells(pd.concat(frames, ignore_index=True))
            if self.out.exists():
                finished = read_workbook(self.out)
                finished = finished[~finished["document_id"].isin(set(merged["document_id"]))]
                merged = pd.concat([finished, merged], ignore_index=True)
            try:
                write_workbook(merged, self.out)
            except OSError as exc:
                raise self._write_failed(exc) from exc
        shutil.rmtree(self.parts, ignore_errors=True)

    def _write_failed(self, exc: OSError) -> ScoringError:
        return ScoringError(
            f"writing {self.out} failed ({exc.strerror or exc}): what was scored before is "
            "kept; fix the cause (e.g. free disk space) and run the same command with --resume"
        )


def _entry_ok(value: Any, fmt: str) -> bool:
    """Whether ``value`` is a well-formed checkpoint entry for ``fmt``."""
    if not isinstance(value, dict) or not isinstance(value.get("rows"), dict):
        return False
    if not all(isinstance(n, int) and n > 0 for n in value["rows"].values()):
        return False
    if fmt in PART_FORMATS:
        return isinstance(value.get("part"), str) and _PART.fullmatch(value["part"]) is not None
    return isinstance(value.get("bytes"), int) and value["bytes"] >= 0


def _other_model(out: Path, started: ModelStamp, current: ModelStamp) -> ScoringError:
    return ScoringError(
        f"{out} was scored with the model {started.describe()}; this run uses "
        f"{current.describe()}: resume it with the model that started it (--model), or score "
        "into a new output"
    )
