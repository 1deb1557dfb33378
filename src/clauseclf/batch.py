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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf.documents import format_from_path, read_document
from clauseclf.errors import DocumentError, ScoringError
from clauseclf.evidence import evidence_texts
from clauseclf.provenance import clause_id
from clauseclf.report import FRAME_COLUMNS
from clauseclf.segmentation import segment_document

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel

#: Columns of ``score``'s DataFrame: the document id, ``DocumentReport.to_frame``'s columns, and
#: ``error`` (None for a scored clause; the reason on a document's single row when it failed).
SCORE_COLUMNS: tuple[str, ...] = ("document_id", *FRAME_COLUMNS, "error")
ERROR_MODES = ("record", "raise")
INPUT_COLUMNS = ("text", "path", "platform", "document", "id", "format", "encoding")


@dataclass(frozen=True)
class DocumentInput:
    """One document to score: its text, or the path to read it from."""

    document_id: str
    text: str | None = None
    path: Path | None = None
    platform: str | None = None
    document: str | None = None
    format: str = "auto"
    encoding: str | None = None


def document_inputs(documents: Any) -> Iterator[DocumentInput]:
    """Normalise ``documents``: paths (``pathlib.Path``), texts (``str``), dicts with ``text`` or
    ``path`` and optional ``platform``, ``document``, ``id``, ``format``, ``encoding`` (of the
    file at ``path``; by default it is found as ``read_document`` does), or a DataFrame with
    those columns. A ``str`` is always a document's text; pass paths as ``Path``."""
    if isinstance(documents, (str, Path, Mapping)):
        documents = [documents]
    if _is_frame(documents):
        unknown = [c for c in documents.columns if c not in INPUT_COLUMNS]
        if "text" not in documents.columns and "path" not in documents.columns:
            raise ValueError("the DataFrame needs a 'text' or a 'path' column")
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; expected some of {INPUT_COLUMNS}")
        documents = documents.to_dict("records")
    seen: set[str] = set()
    for position, item in enumerate(documents):
        entry = _document_input(item, position)
        if entry.document_id in seen:
            raise ValueError(f"document id {entry.document_id!r} is used twice")
        seen.add(entry.document_id)
        yield entry


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "to_dict")


def _document_input(item: Any, position: int) -> DocumentInput:
    if isinstance(item, Path):
        return DocumentInput(
            document_id=str(item), path=item, document=item.stem, format=format_from_path(item)
        )
    if isinstance(item, str):
        return DocumentInput(document_id=f"doc-{position}", text=item)
    if isinstance(item, Mapping):
        text, path = _clean(item.get("text")), _clean(item.get("path"))
        if (text is None) == (path is None):
            raise ValueError(f"document {position}: give exactly one of 'text' and 'path'")
        if text is not None and not isinstance(text, str):
            raise TypeError(f"document {position}: 'text' is {type(text).__name__}, not str")
        path = Path(path) if path is not None else None
        identifier = _clean(item.get("id"))
        document = _clean(item.get("document"))
        fmt = _clean(item.get("format")) or (format_from_path(path) if path else "auto")
        return DocumentInput(
            document_id=str(identifier)
            if identifier is not None
            else (str(path) if path else f"doc-{position}"),
            text=text,
            path=path,
            platform=_optional_str(item.get("platform")),
            document=_optional_str(document) or (path.stem if path else None),
            format=str(fmt),
            encoding=_optional_str(item.get("encoding")),
        )
    raise TypeError(
        f"document {position} is {type(item).__name__}; expected a Path, a str, a dict or a "
        "DataFrame row"
    )


def _clean(value: Any) -> Any:
    """None for missing values (None, NaN, pandas NA)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        return value
    return value


def _optional_str(value: Any) -> str | None:
    value = _clean(value)
    return None if value is None else str(value)


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
    from tqdm.auto import tqdm

    if errors not in ERROR_MODES:
        raise ValueError(f"errors must be one of {ERROR_MODES}, got {errors!r}")
    if chunk_size < 1 or batch_size < 1:
        raise ValueError("chunk_size and batch_size must be at least 1")
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (1 = in this process, -1 = all workers)")
    skipped = set(skip)
    inputs = [d for d in document_inputs(documents) if d.document_id not in skipped]
    chunks = [inputs[i : i + chunk_size] for i in range(0, len(inputs), chunk_size)]
    bar = tqdm(total=len(inputs), desc="scoring", unit="doc", disable=not progress)
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


def score_chunk(
    model: ClauseModel, chunk: Sequence[DocumentInput], *, batch_size: int, errors: str
) -> pd.DataFrame:
    """Score one chunk of documents; the clauses of all of them go through the model at once."""
    import pandas as pd

    prepared: list[tuple[DocumentInput, Any, str | None, str | None]] = []
    texts: list[str] = []
    for entry in chunk:
        try:
            text = entry.text if entry.text is not None else _read(entry)
            segmented = segment_document(text, format=entry.format)
            if not segmented.segments:
                raise DocumentError(f"{entry.document_id}: no clauses found in the document")
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        except (DocumentError, OSError, UnicodeError, ValueError) as exc:
            if errors == "raise":
                raise ScoringError(f"document {entry.document_id!r}: {exc}") from exc
            prepared.append((entry, None, None, f"{type(exc).__name__}: {exc}"))
            continue
        prepared.append((entry, segmented, digest, None))
        texts.extend(s.text for s in segmented.segments)
    predictions = model.predictions(model.predict_arrays(texts, batch_size=batch_size), texts)
    rows: list[tuple[Any, ...]] = []
    cursor = 0
    for entry, done, sha256, reason in prepared:
        if done is None:
            rows.append(
                (entry.document_id, entry.platform, entry.document)
                + (None,) * (len(FRAME_COLUMNS) - 2)
                + (reason,)
            )
            continue
        for index, segment in enumerate(done.segments):
            prediction = predictions[cursor]
            cursor += 1
            rows.append(
                (
                    entry.document_id,
                    entry.platform,
                    entry.document,
                    index,
                    segment.start,
                    segment.end,
                    segment.heading,
                    segment.text,
                    prediction.label,
                    list(prediction.labels),
                    prediction.severity,
                    prediction.confidence,
                    evidence_texts(prediction.evidence),
                    sha256,
                    clause_id(segment.text),
                    None,
                )
            )
    frame = pd.DataFrame.from_records(rows, columns=list(SCORE_COLUMNS))
    return _typed(frame)


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
            "error": "object",
        }
    )


# -- streaming to disk, with resume ------------------------------------------------------------

OUTPUT_FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}


@dataclass(frozen=True)
class ScoreSummary:
    """What ``write_scores`` did: documents scored now, skipped as already done, failed."""

    path: Path
    scored: int
    skipped: int
    failed: int
    clauses: int


def output_format(path: Path) -> str:
    """``parquet``, ``csv`` or ``jsonl`` from the file name; ValueError otherwise."""
    fmt = OUTPUT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: the output must end in .parquet, .csv or .jsonl")
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
    """Score ``documents`` into ``out`` (.parquet, .csv or .jsonl) chunk by chunk, so an
    interrupted run loses at most the chunk in flight; ``resume=True`` continues it.

    Progress is checkpointed beside the output (``<out>.progress`` for CSV/JSONL,
    ``<out>.parts/`` for Parquet, merged into ``out`` at the end). Without ``resume`` an existing
    output is never overwritten.
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
        failed += int(frame["error"].notna().sum())
        clauses += int(frame["error"].isna().sum())
    checkpoint.finish()
    return ScoreSummary(out, scored=scored, skipped=len(done), failed=failed, clauses=clauses)


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

        if self.fmt == "parquet":
            import pandas as pd

            done: set[str] = set()
            finished = [self.out] if self.out.exists() else []
            for part in [*finished, *sorted(self.parts.glob("part-*.parquet"))]:
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
        if self.fmt == "csv":
            ids = pd.read_csv(self.out, usecols=["document_id"], dtype=str)["document_id"]
        else:
            ids = pd.read_json(self.out, lines=True, dtype={"document_id": str})["document_id"]
        return {str(i) for i in ids}

    def write(self, frame: pd.DataFrame) -> None:
        import json
        import os

        if self.fmt == "parquet":
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
        elif not self.out.exists():
            self.out.touch()
        self.progress.unlink(missing_ok=True)


def _join_labels(labels: Any) -> Any:
    return ";".join(labels) if isinstance(labels, list) else labels


def _json_list(values: Any) -> Any:
    """A CSV cell for a list of phrases (which may hold any separator): its JSON array."""
    import json

    return json.dumps(values, ensure_ascii=False) if isinstance(values, list) else values


def _json_ready(record: Mapping[Any, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        value = _clean(value)
        if hasattr(value, "item"):
            value = value.item()
        out[str(key)] = value
    return out
