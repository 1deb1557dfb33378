"""What the commands share: the error type, option values, reading input, loading the model,
writing output, the terminal width.

Standard library only at import time; what a helper needs from clauseclf is imported inside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel

OUTPUT_FORMATS = ("table", "json", "jsonl", "csv")
ANALYZE_FORMATS = (*OUTPUT_FORMATS, "html", "markdown")
SORT_ORDERS = ("document", "severity", "confidence")
COLOR_CHOICES = ("auto", "always", "never")
INPUT_FORMATS = ("auto", "text", "html", "markdown")
ANNOTATION_FORMATS = ("auto", "jsonl", "csv", "label-studio", "doccano")
ENCODING_HELP = (
    "encoding of the file, e.g. cp1252 (default: its BOM or declared charset, else UTF-8)"
)
SOURCE_HELP = "policy file (.txt, .html, .md, .pdf, .docx), an http(s) address, or '-' for stdin"
MODEL_HELP = "model folder (default: the embedded model)"


class CLIError(Exception):
    """An error to report to the user as one line, with a non-zero exit code."""


def read_input(
    path: Path, encoding: str | None = None, *, limit: int | None = None
) -> tuple[str, str]:
    """The document's text and a name for messages; ``CLIError`` for unusable input, and for
    input of more than ``limit`` bytes (default ``limits.MAX_DOCUMENT_BYTES``; read no further
    than the limit)."""
    from clauseclf.documents import decode_document
    from clauseclf.errors import DocumentError, EncodingError, TooLargeError
    from clauseclf.limits import MAX_DOCUMENT_BYTES, read_capped_bytes

    limit = MAX_DOCUMENT_BYTES if limit is None else limit
    if str(path) == "-":
        data, name = sys.stdin.buffer.read(limit + 1), "<stdin>"
        if len(data) > limit:
            raise CLIError(f"<stdin>: larger than the limit of {limit:,} bytes")
    else:
        if not path.exists():
            raise CLIError(f"{path}: no such file")
        if path.is_dir():
            raise CLIError(f"{path}: is a directory, not a document")
        try:
            data = read_capped_bytes(path, limit)
            name = str(path)
        except TooLargeError as exc:
            raise CLIError(str(exc)) from None
        except OSError as exc:
            raise CLIError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return decode_document(data, name=name, encoding=encoding), name
    except DocumentError as exc:
        raise CLIError(EncodingError.for_command_line(str(exc))) from None


def read_source(args: argparse.Namespace) -> tuple[str, str, str]:
    """The text, name and input format of ``args.file``: a file, ``-`` (stdin) or an http(s)
    address (fetched; its name is the address it was served from); ``CLIError`` if unusable.
    The format is ``--input-format``, else what the file name or the served type implies."""
    from clauseclf.documents import format_from_path
    from clauseclf.errors import DocumentError, EncodingError
    from clauseclf.fetch import fetch_document, is_url

    value, encoding = str(args.file), getattr(args, "encoding", None)
    if is_url(value):
        try:
            fetched = fetch_document(value, encoding=encoding)
        except DocumentError as exc:
            raise CLIError(EncodingError.for_command_line(str(exc))) from None
        return fetched.text, fetched.final_url, args.input_format or fetched.format
    text, name = read_input(Path(value), encoding)
    fmt = args.input_format or ("auto" if value == "-" else format_from_path(value))
    return text, name, str(fmt)


def load_model(path: Path | None) -> ClauseModel:
    """The model for a command: ``clauseclf.cli._load_model(path)``, looked up at call time so
    that tests can give every command a stand-in model by replacing that one attribute."""
    from clauseclf import cli

    return cli._load_model(path)


def read_model(path: Path | None) -> ClauseModel:
    """The model folder at ``path`` (None: the embedded model); ``CLIError`` if unusable."""
    from clauseclf.errors import EncoderNotFoundError, ModelFormatError
    from clauseclf.inference.model import ClauseModel

    try:
        return ClauseModel.load(path)
    except (FileNotFoundError, ModelFormatError, EncoderNotFoundError) as exc:
        raise CLIError(str(exc)) from None


def terminal_width() -> int:
    """The width to wrap tables to: the terminal's (100 if unknown), within 60..160."""
    return max(60, min(160, shutil.get_terminal_size((100, 24)).columns))


def write_json(data: Any) -> None:
    """``data`` as indented JSON (non-ASCII kept) on stdout."""
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def write_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    """``rows`` on stdout as JSON Lines (``fmt`` ``jsonl``) or CSV (any other ``fmt``)."""
    if fmt == "jsonl":
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        write_csv(rows, sys.stdout)


def write_csv(rows: Iterable[dict[str, Any]], stream: TextIO) -> None:
    """``rows`` as CSV with the first row's columns, ``probabilities`` left out and dict
    values as JSON; nothing at all for no rows."""
    rows = list(rows)
    if not rows:
        return
    columns = [c for c in rows[0] if c != "probabilities"]
    writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                c: json.dumps(row[c], ensure_ascii=False) if isinstance(row[c], dict) else row[c]
                for c in columns
            }
        )


def write_text_file(path: Path, content: str) -> None:
    """Write ``content`` to ``path`` as UTF-8, atomically; ``CLIError`` if it cannot be written."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        staging.write_text(content, encoding="utf-8")
        os.replace(staging, path)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise CLIError(f"{path}: cannot write: {exc.strerror or exc}") from None
