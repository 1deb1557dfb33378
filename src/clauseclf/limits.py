"""Size limits on the files clauseclf reads, checked before reading: a small file that declares
or holds more (a zip member that inflates to gigabytes, a JSON file that is a device) is refused
with a ``TooLargeError`` naming the file and the limit. Callers turn it into their own error."""

from __future__ import annotations

import zipfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from clauseclf.errors import TooLargeError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MAX_ARRAY_BYTES",
    "MAX_CARD_BYTES",
    "MAX_CSV_BYTES",
    "MAX_CSV_FIELD_CHARS",
    "MAX_DOCUMENT_BYTES",
    "MAX_JSON_BYTES",
    "MAX_LINE_BYTES",
    "capped_lines",
    "read_capped_bytes",
    "read_npz_members",
    "read_parquet_shared",
]

#: Largest JSON file read (model, encoder, index and practice metadata, tokenizers, saved
#: reports read by ``DocumentReport.load_json`` and ``clauseclf diff``, Label Studio exports,
#: taxonomy files).
MAX_JSON_BYTES = 256 * 1024 * 1024
#: Largest model card (``MODEL_CARD.md`` of a model folder) read.
MAX_CARD_BYTES = 16 * 1024 * 1024
#: Largest array read from one ``.npz`` member, as its header declares it.
MAX_ARRAY_BYTES = 2 * 1024 * 1024 * 1024
#: Longest line of a JSON Lines file (annotations, ``classify`` input, scores, checkpoints),
#: its end of line not counted.
MAX_LINE_BYTES = 16 * 1024 * 1024
#: Largest policy document read (a file, or standard input on the command line): far above any
#: policy (the 50,000-clause limit per document binds first), low enough that a device or a
#: pipe that never ends is refused instead of filling memory.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: Largest CSV annotation file read.
MAX_CSV_BYTES = 256 * 1024 * 1024
#: Longest field of a CSV annotation file, in characters (the csv module's default limit; a
#: lower limit set with ``csv.field_size_limit`` applies too).
MAX_CSV_FIELD_CHARS = 131_072


def read_capped_bytes(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them: reads ``limit + 1`` at most, so a
    device or a growing file cannot exhaust memory. ``TooLargeError`` past the limit."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise TooLargeError(f"{path}: larger than the limit of {limit:,} bytes")
    return data


def capped_lines(
    handle: IO[bytes], name: str, limit: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """(line number, line with its end of line) for each line of the binary stream ``handle``,
    read one at a time: never more than ``limit`` (default ``MAX_LINE_BYTES``) bytes are held.
    A longer line raises ``TooLargeError`` naming ``name``, the line and the limit."""
    limit = MAX_LINE_BYTES if limit is None else limit
    number = 0
    while True:
        line = handle.readline(limit + 2)  # the line, "\r\n" and nothing more
        if not line:
            return
        number += 1
        if len(line.rstrip(b"\r\n") if line.endswith(b"\n") else line) > limit:
            raise TooLargeError(
                f"{name}, line {number}: longer than the limit of {limit:,} bytes per line"
            )
        yield number, line


def read_npz_members(
    path: Path, names: Collection[str], limit: int | None = None
) -> dict[str, np.ndarray]:
    """The arrays ``names`` of the ``.npz`` at ``path`` that it holds, read without pickle; no
    other member is decompressed. Each member's declared size (zip header and array header) is
    checked against ``limit`` (default ``MAX_ARRAY_BYTES``) before it is read: ``TooLargeError``
    names the member and the limit. Other errors are zipfile's and numpy's."""
    limit = MAX_ARRAY_BYTES if limit is None else limit
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: info for info in archive.infolist()}
        for name in names:
            info = members.get(f"{name}.npy")
            if info is None:
                continue
            if info.file_size > limit + 4096:  # the .npy header is at most a few KB
                raise TooLargeError(
                    f"{path}: member {name!r} inflates to {info.file_size:,} bytes, more than the "
                    f"limit of {limit:,}"
                )
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                else:
                    shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
                if declared > limit or declared > info.file_size:
                    raise TooLargeError(
                        f"{path}: member {name!r} declares {declared:,} bytes of data "
                        f"({info.file_size:,} stored, limit {limit:,})"
                    )
            with archive.open(info) as member:
                arrays[name] = np.lib.format.read_array(member, allow_pickle=False)
    return arrays


def read_parquet_shared(path: Path, columns: Collection[str] | None = None) -> pd.DataFrame:
    """A Parquet file as a DataFrame whose string columns share one Python object per distinct
    value: a dictionary-encoded column is never expanded (a small file that repeats a long
    string a million times stays small in memory). String columns come back as ``object``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    strings = [
        field.name
        for field in schema
        if (pa.types.is_string(field.type) or pa.types.is_large_string(field.type))
        and (columns is None or field.name in columns)
    ]
    table = pq.read_table(
        path, columns=None if columns is None else list(columns), read_dictionary=strings
    )
    frame: pd.DataFrame = table.to_pandas()
    for name in strings:
        # categories -> object: each row refers to its category's one str, nothing is copied
        column = frame[name].astype(object)
        frame[name] = column.where(column.notna(), None)
    return frame
