"""Loading annotations: one call for every format, with validation and conflict dropping.

``load_annotations`` dispatches each file to its reader (``jsonl``, ``tabular``, ``tools``),
resolves standoff records (``standoff``), validates every row (``records.validated_record``) and
drops clauses annotated twice with different labels. ``read_annotations`` and ``load_corpora``
read the JSON Lines files of the shared corpora, failing at the first problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from clauseclf.annotations.jsonl import jsonl_rows
from clauseclf.annotations.records import (
    DEFAULT_CORPORA,
    AnnotatedClause,
    AnnotationSet,
    validated_record,
)
from clauseclf.annotations.standoff import with_standoff
from clauseclf.annotations.tabular import csv_rows
from clauseclf.annotations.tools import read_doccano, read_label_studio
from clauseclf.errors import AnnotationError
from clauseclf.taxonomy import Taxonomy, default_taxonomy

ANNOTATION_FORMATS = ("auto", "jsonl", "csv", "label-studio", "doccano")


def read_annotations(
    path: str | Path,
    *,
    corpus: str | None = None,
    taxonomy: Taxonomy | None = None,
    documents: str | Path | None = None,
) -> list[AnnotatedClause]:
    """Read one JSON Lines annotation file (standoff records resolved against ``documents``, see
    ``load_annotations``); ``AnnotationError`` names file and line on bad data."""
    path = Path(path)
    taxonomy = taxonomy or default_taxonomy()
    return [
        validated_record(raw, where, taxonomy, corpus or path.parent.name)
        for raw, where in with_standoff(jsonl_rows(path), documents)
    ]


def load_corpora(
    data_dir: str | Path,
    names: Sequence[str] = DEFAULT_CORPORA,
    *,
    taxonomy: Taxonomy | None = None,
) -> list[AnnotatedClause]:
    """Read ``<data_dir>/<name>/annotations.jsonl`` for each corpus name."""
    data_dir = Path(data_dir)
    records: list[AnnotatedClause] = []
    for name in names:
        path = data_dir / name / "annotations.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"corpus {name!r} not found: {path} is missing")
        records.extend(read_annotations(path, corpus=name, taxonomy=taxonomy))
    return records


def load_annotations(
    paths: str | Path | Sequence[str | Path],
    *,
    strict: bool = False,
    taxonomy: Taxonomy | None = None,
    format: str = "auto",
    documents: str | Path | None = None,
) -> AnnotationSet:
    """Read and validate annotation files: JSON Lines (``.jsonl``), CSV (``.csv``, columns
    ``text,label,severity,platform`` and optionally ``document``), a Label Studio JSON export
    (``.json``) or a doccano text-classification export (``format="doccano"``); see
    ``clauseclf.annotations.tools`` for the label convention of the two tools.

    In CSV, ``label`` is a type id, ``other``, or several ids joined by ``;`` (``severity`` then
    holds one level per id, or one for all; empty = the type's default severity). Checked: bad
    JSON or CSV, wrong encoding, empty text, unknown type or severity, and the same clause
    annotated twice with different labels. JSON Lines files may hold standoff records
    (``doc_file``, ``start``, ``end``, ``sha256`` instead of ``text``;
    ``clauseclf.annotations.standoff``): their text is read from ``documents`` (the
    policies-2023 folder or its archive; default ``../shared/data/policies-2023``), and a record
    whose text does not hash to its ``sha256`` is a problem of its line. Every problem names the
    file and line. With ``strict`` the first problem raises ``AnnotationError``; otherwise bad
    rows are skipped and listed in ``problems`` (an unreadable file is one problem).
    """
    taxonomy = taxonomy or default_taxonomy()
    if isinstance(paths, (str, Path)):
        paths = [paths]
    records: list[AnnotatedClause] = []
    wheres: list[str] = []
    problems: list[str] = []
    if format not in ANNOTATION_FORMATS:
        raise ValueError(f"unknown annotation format {format!r}; use one of {ANNOTATION_FORMATS}")
    for path in map(Path, paths):
        file_format = _file_format(path, format)
        if file_format in ("label-studio", "doccano"):
            reader = read_label_studio if file_format == "label-studio" else read_doccano
            try:
                imported = reader(path, taxonomy=taxonomy, strict=strict)
            except AnnotationError as exc:
                if strict:
                    raise
                problems.append(str(exc))
                continue
            records.extend(imported.records)
            wheres.extend(r.source for r in imported.records)
            problems.extend(imported.problems)
            continue
        try:
            for raw, where in with_standoff(_rows(path, file_format, taxonomy), documents):
                try:
                    records.append(validated_record(raw, where, taxonomy, corpus=path.stem))
                    wheres.append(where)
                except AnnotationError as exc:
                    if strict:
                        raise
                    problems.append(str(exc))
        except AnnotationError as exc:  # unreadable file, bad encoding, bad JSON line
            if strict:
                raise
            problems.append(str(exc))
    kept, conflicts = drop_conflicts(records, wheres)
    if conflicts and strict:
        raise AnnotationError(conflicts[0])
    return AnnotationSet(records=tuple(kept), problems=tuple(problems + conflicts))


def _file_format(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "label-studio"}.get(
        path.suffix.lower(), "unknown"
    )


def _rows(path: Path, file_format: str, taxonomy: Taxonomy) -> Iterator[tuple[object, str]]:
    if file_format == "jsonl":
        yield from jsonl_rows(path)
    elif file_format == "csv":
        yield from csv_rows(path, taxonomy)
    else:
        raise AnnotationError(
            f"{path}: unknown annotation format (use .jsonl, .csv, a Label Studio .json export, "
            "or format='doccano')"
        )


def drop_conflicts(
    records: list[AnnotatedClause], wheres: list[str]
) -> tuple[list[AnnotatedClause], list[str]]:
    """Drop every copy of a clause annotated with different labels; keep one of exact repeats.

    ``wheres`` names each record's place (file and line) for the problem message."""
    by_text: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        by_text.setdefault(" ".join(record.text.casefold().split()), []).append(index)
    drop: set[int] = set()
    problems = []
    for indices in by_text.values():
        if len(indices) < 2:
            continue
        first = records[indices[0]]
        if any(records[i].labels != first.labels for i in indices[1:]):
            drop.update(indices)
            places = "; ".join(wheres[i] for i in indices)
            problems.append(f"{places}: the same clause has conflicting labels")
        else:
            drop.update(indices[1:])
    return [r for i, r in enumerate(records) if i not in drop], problems
