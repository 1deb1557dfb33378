"""The CSV annotation format: ``text,label,severity,platform`` and optionally ``document``.

``label`` is a type id, ``other``, or several ids joined by ``;``; ``severity`` then holds one
level per id, or one for all (empty = the type's default severity).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from clauseclf.annotations.records import InvalidRow, read_text
from clauseclf.errors import AnnotationError
from clauseclf.taxonomy import Taxonomy


def csv_rows(path: Path, taxonomy: Taxonomy) -> Iterator[tuple[object, str]]:
    """(row as an annotation object, "file, line N") per CSV row; a row that cannot be one is
    an ``InvalidRow``. ``AnnotationError`` when the header lacks ``text`` or ``label``."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    missing = {"text", "label"} - set(reader.fieldnames or [])
    if missing:
        raise AnnotationError(f"{path}, line 1: CSV header lacks column(s) {sorted(missing)}")
    for row in reader:
        where = f"{path}, line {reader.line_num}"
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
                "source": f"{path.name}:{reader.line_num}",
            },
            where,
        )
