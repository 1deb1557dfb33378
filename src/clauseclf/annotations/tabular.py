"""The CSV annotation format: ``text,label,severity,platform`` and optionally ``document``.

``label`` is a type id, ``other``, or several ids joined by ``;``; ``severity`` then holds one
level per id, or one for all (empty = the type's default severity). A file larger than
``limits.MAX_CSV_BYTES`` is refused unread past the limit; a row with a field longer than
``limits.MAX_CSV_FIELD_CHARS`` characters is a problem of its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from clauseclf import limits
from clauseclf.annotations.records import InvalidRow, read_text
from clauseclf.errors import AnnotationError
from clauseclf.taxonomy import Taxonomy


def csv_rows(path: Path, taxonomy: Taxonomy) -> Iterator[tuple[object, str]]:
    """(row as an annotation object, "file, line N") per CSV row; a row that cannot be one is
    an ``InvalidRow`` (a malformed row, a field over the size limit, a quote that is never
    closed: named by the line where it opens). ``AnnotationError`` when the file is larger than
    ``limits.MAX_CSV_BYTES`` or the header lacks ``text`` or ``label``."""
    text = read_text(path, limits.MAX_CSV_BYTES)
    rows = _parsed_rows(path, text)
    header: object = next(rows, ([], 1))[0]
    if isinstance(header, InvalidRow):
        raise AnnotationError(header.message)
    fieldnames = list(header) if isinstance(header, list) else []
    missing = {"text", "label"} - set(fieldnames)
    if missing:
        raise AnnotationError(f"{path}, line 1: CSV header lacks column(s) {sorted(missing)}")
    for parsed, line_num in rows:
        where = f"{path}, line {line_num}"
        if isinstance(parsed, InvalidRow):
            yield parsed, where
            continue
        row = dict(zip(fieldnames, parsed, strict=False))
        label_field = (row.get("label") or "").strip()
        severity_field = (row.get("severity") or "").strip()
        labels: dict[str, object] = {}
        if label_field and label_field != "other":
            type_ids = [t.strip() for t in label_field.split(";")]
            severities = [v.strip() for v in severity_field.split(";")] if severity_field else []
            if len(severities) == 1:
                severities *= len(type_ids)
            if severities and len(severities) != len(type_ids):
                yield (
                    InvalidRow(f"{where}: {len(type_ids)} labels but {len(severities)} severities"),
                    where,
                )
                continue
            for k, type_id in enumerate(type_ids):
                if severities:
                    labels[type_id] = severities[k]
                elif type_id in taxonomy.type_ids:
                    labels[type_id] = taxonomy.get(type_id).default_severity
                else:
                    labels[type_id] = "medium"  # unknown type: reported by validation
        elif not label_field:
            yield InvalidRow(f"{where}: empty label (use 'other' for no type)"), where
            continue
        yield (
            {
                "text": row.get("text") or "",
                "labels": labels,
                "platform": row.get("platform") or "",
                "document": row.get("document") or "",
                "source": f"{path.name}:{line_num}",
            },
            where,
        )


def _parsed_rows(path: Path, text: str) -> Iterator[tuple[list[str] | InvalidRow, int]]:
    """(fields, line number where the row ends) per non-blank CSV row of ``text``; a row the
    csv module refuses, or with a field longer than ``limits.MAX_CSV_FIELD_CHARS``, is an
    ``InvalidRow`` naming its line, and reading goes on after it."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    field_limit = min(limits.MAX_CSV_FIELD_CHARS, csv.field_size_limit())
    too_long = f"a field longer than the limit of {field_limit:,} characters"
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                line = _unclosed_quote_line(text, start)
                yield (
                    InvalidRow(
                        f"{path}, line {line}: a quoted field opened on this line is never "
                        "closed (unterminated quote: the rest of the file would be its text)"
                    ),
                    line,
                )
                return
            if "field larger than field limit" in str(exc):
                yield InvalidRow(f"{path}, line {start}: {too_long}"), start
                continue
            yield InvalidRow(f"{path}, line {reader.line_num}: malformed CSV: {exc}"), start
            continue
        if any(len(field) > field_limit for field in row):
            yield InvalidRow(f"{path}, line {start}: {too_long}"), start
        elif row:
            yield row, reader.line_num


def _unclosed_quote_line(text: str, start: int) -> int:
    """The line of the quote that is never closed in the CSV record starting on line
    ``start``: quotes pair up from the record's start ("" inside a field is a pair too), so
    with an odd count the last one opens the unclosed field."""
    record = "".join(io.StringIO(text, newline="").readlines()[start - 1 :])
    quotes = [i for i, char in enumerate(record) if char == '"']
    if len(quotes) % 2 == 0:
        return start
    before = io.StringIO(record[: quotes[-1]], newline="").readlines()
    return start + sum(1 for line in before if line.endswith(("\n", "\r")))
