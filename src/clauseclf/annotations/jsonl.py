"""The JSON Lines annotation format: one JSON object per line (see ``records``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from clauseclf import _json
from clauseclf.annotations.records import InvalidRow, read_text


def jsonl_rows(path: Path) -> Iterator[tuple[object, str]]:
    """(parsed line, "file, line N") per non-blank line; bad JSON fails validation at its line."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            yield _json.loads(line), where
        except json.JSONDecodeError as exc:
            yield InvalidRow(f"{where}: invalid JSON: {exc.msg}"), where
