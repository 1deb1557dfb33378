"""Rows of a scores file (.csv, .jsonl, .parquet): encoding a chunk's DataFrame to the bytes
appended to the file, and reading back what a file holds (its columns, its rows per document,
the models that scored them) to check it against its checkpoint."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clauseclf import _json
from clauseclf.batch.inputs import clean
from clauseclf.limits import capped_lines

if TYPE_CHECKING:
    import pandas as pd

#: The columns read back to check a file: which document a row is of, which model scored it.
CHECK_COLUMNS = ("document_id", "model_id", "model_version")


def encode_rows(frame: pd.DataFrame, fmt: str, *, header: bool) -> bytes:
    """The rows of ``frame`` as CSV (with the header line if ``header``) or JSON Lines."""
    if fmt == "csv":
        flat = flat_cells(frame)
        return flat.to_csv(header=header, index=False, lineterminator="\n").encode("utf-8")
    lines = (
        json.dumps(_json_ready(record), ensure_ascii=False) + "\n"
        for record in frame.to_dict("records")
    )
    return "".join(lines).encode("utf-8")


def flat_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its list columns as one cell each: labels joined by ";", evidence as a
    JSON array (as CSV and Excel hold them)."""
    return frame.assign(
        labels=frame["labels"].map(_join_labels),
        evidence=frame["evidence"].map(_json_list),
    )


def rows_per_document(frame: pd.DataFrame) -> dict[str, int]:
    """Rows of each document in ``frame``, in the order they appear."""
    return {str(k): int(v) for k, v in Counter(frame["document_id"].astype(str)).items()}


def file_columns(path: Path, fmt: str) -> list[str] | None:
    """The columns of the scores file at ``path`` (None when it is missing, empty, or its first
    line is cut)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names) if path.exists() else None
    if fmt == "xlsx":
        from clauseclf.batch.excel import read_workbook

        return list(read_workbook(path).columns) if path.exists() else None
    if not path.exists() or path.stat().st_size == 0:
        return None
    with path.open("rb") as handle:
        first = next(capped_lines(handle, str(path)), (1, b""))[1].decode("utf-8", "replace")
    if fmt == "csv":
        import csv

        return next(csv.reader([first]), []) if first.endswith("\n") else None
    try:
        return list(_json.loads(first))
    except (json.JSONDecodeError, TypeError):
        return None


def jsonl_records(path: Path, columns: Collection[str] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of the JSON Lines file at ``path`` (only ``columns``, if given, None for a
    missing one), read one line at a time; ``ValueError`` naming the file and line for a line
    that is not a JSON object, ``TooLargeError`` for one longer than ``MAX_LINE_BYTES``."""
    with path.open("rb") as handle:
        for number, raw in capped_lines(handle, str(path)):
            if not raw.strip():
                continue
            try:
                row = _json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
                raise ValueError(f"{path}, line {number}: invalid JSON ({reason})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}, line {number}: not a JSON object")
            yield row if columns is None else {c: row.get(c) for c in columns}


def read_check_columns(path: Path, fmt: str) -> pd.DataFrame:
    """The ``CHECK_COLUMNS`` of every row of the scores file at ``path`` as strings (None for a
    missing value)."""
    import pandas as pd

    if not path.exists() or path.stat().st_size == 0:
        frame = pd.DataFrame({c: [] for c in CHECK_COLUMNS}, dtype=object)
    elif fmt == "parquet":
        frame = pd.read_parquet(path, columns=list(CHECK_COLUMNS))
    elif fmt == "xlsx":
        from clauseclf.batch.excel import read_workbook

        frame = read_workbook(path)[list(CHECK_COLUMNS)]
        frame = frame.apply(lambda column: column.map(lambda v: None if pd.isna(v) else str(v)))
    elif fmt == "csv":
        frame = pd.read_csv(
            path, usecols=list(CHECK_COLUMNS), dtype=str, keep_default_na=False, na_filter=False
        ).replace({"": None})
    else:
        records = list(jsonl_records(path, CHECK_COLUMNS))
        frame = pd.DataFrame.from_records(records, columns=list(CHECK_COLUMNS))
    return frame.astype(object).where(frame.notna(), None)


def _join_labels(labels: Any) -> Any:
    return ";".join(labels) if isinstance(labels, list) else labels


def _json_list(values: Any) -> Any:
    """A CSV cell for a list of phrases (which may hold any separator): its JSON array."""
    return json.dumps(values, ensure_ascii=False) if isinstance(values, list) else values


def _json_ready(record: Mapping[Any, Any]) -> dict[str, Any]:
    out = {}
    for key, value in record.items():
        value = clean(value)
        if hasattr(value, "item"):
            value = value.item()
        out[str(key)] = value
    return out
