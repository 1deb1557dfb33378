"""The JSON Lines annotation format: one JSON object per line (see ``records``).

Files are read line by line: a line longer than ``limits.MAX_LINE_BYTES`` is refused (naming
the file and line) before it is held whole, so a huge line cannot exhaust memory.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path

from clauseclf import _json
from clauseclf.annotations.records import InvalidRow
from clauseclf.errors import AnnotationError, TooLargeError
from clauseclf.limits import capped_lines


def jsonl_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for each line of a UTF-8 file (a BOM allowed), read one line at a
    time; ``AnnotationError`` naming the file (and line) when it cannot be opened, a line is not
    UTF-8 or is longer than ``limits.MAX_LINE_BYTES``."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise AnnotationError(f"{path}: no such file") from None
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot open: {exc.strerror}") from None
    with handle:
        offset = 0
        try:
            for number, raw in capped_lines(handle, str(path)):
                skip = 3 if number == 1 and raw.startswith(codecs.BOM_UTF8) else 0
                try:
                    line = raw[skip:].decode("utf-8")
                except UnicodeDecodeError as exc:
                    at = offset + skip + exc.start
                    raise AnnotationError(
                        f"{path}: not valid UTF-8 (line {number}, byte {at}); "
                        "convert the file to UTF-8"
                    ) from None
                offset += len(raw)
                yield number, line
        except TooLargeError as exc:
            raise AnnotationError(str(exc)) from None
        except OSError as exc:
            raise AnnotationError(f"{path}: cannot read: {exc.strerror}") from None


def jsonl_rows(path: Path) -> Iterator[tuple[object, str]]:
    """(parsed line, "file, line N") per non-blank line; bad JSON fails validation at its line."""
    for number, line in jsonl_lines(path):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            yield _json.loads(line), where
        except json.JSONDecodeError as exc:
            yield InvalidRow(f"{where}: invalid JSON: {exc.msg}"), where
