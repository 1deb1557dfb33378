"""Annotated clauses: reading the JSON Lines annotation format of the shared corpora.

One clause per line: ``text``, ``labels`` (type -> severity; ``{}`` = other), optional
``annotated_types`` (the types the annotator checked; absent = all), ``platform``, ``document``,
``source``. Other fields are ignored.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from clauseclf.errors import AnnotationError, StandoffError
from clauseclf.standoff import is_standoff, resolve_standoff
from clauseclf.taxonomy import Taxonomy, default_taxonomy

#: The shared corpora the default model is trained on, by folder name under the data folder.
DEFAULT_CORPORA: tuple[str, ...] = ("claudette", "tosdr", "ai_training")


@dataclass(frozen=True)
class AnnotatedClause:
    """One labelled clause. ``annotated_types`` None means every type was checked."""

    text: str
    labels: dict[str, str]
    annotated_types: frozenset[str] | None
    platform: str
    document: str
    source: str
    corpus: str
    #: The practice the clause expresses, e.g. its ToS;DR case ("" when not given); used to
    #: train the model's practice map (``clauseclf.inference.practices``).
    case: str = ""
    #: How the clause was sampled for labelling, where recorded (``data/annotations/real.jsonl``:
    #: "random" for clauses of whole random documents, "targeted:<type>", "uncertain").
    part: str = ""

    def is_annotated(self, type_id: str) -> bool:
        """Whether the annotator checked ``type_id`` for this clause (else it is unknown)."""
        return self.annotated_types is None or type_id in self.annotated_types


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
        _record(raw, where, taxonomy, corpus or path.parent.name)
        for raw, where in _with_standoff(_jsonl_lines(path), documents)
    ]


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise AnnotationError(f"{path}: no such file") from None
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot open: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AnnotationError(
            f"{path}: not valid UTF-8 (byte {exc.start}); convert the file to UTF-8"
        ) from None


def _record(raw: object, where: str, taxonomy: Taxonomy, corpus: str) -> AnnotatedClause:
    known_types = set(taxonomy.type_ids)
    scale = set(taxonomy.severity_scale)
    if isinstance(raw, _Invalid):
        raise AnnotationError(raw.message)
    if not isinstance(raw, dict):
        raise AnnotationError(f"{where}: expected a JSON object")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AnnotationError(f"{where}: 'text' must be a non-empty string")
    labels = raw.get("labels")
    if not isinstance(labels, dict):
        raise AnnotationError(f"{where}: 'labels' must be an object of type -> severity")
    for type_id, severity in labels.items():
        if type_id not in known_types:
            raise AnnotationError(f"{where}: unknown clause type {type_id!r}")
        if severity not in scale:
            raise AnnotationError(f"{where}: unknown severity {severity!r} for {type_id!r}")
    annotated = raw.get("annotated_types")
    annotated_types: frozenset[str] | None = None
    if annotated is not None:
        if not isinstance(annotated, list) or not all(isinstance(t, str) for t in annotated):
            raise AnnotationError(f"{where}: 'annotated_types' must be a list of type ids")
        annotated_types = frozenset(annotated) | frozenset(labels)
    case = raw.get("case")
    if case is not None and not isinstance(case, str):
        raise AnnotationError(f"{where}: 'case' must be a string")
    part = raw.get("part")
    if part is not None and not isinstance(part, str):
        raise AnnotationError(f"{where}: 'part' must be a string")
    return AnnotatedClause(
        text=text,
        labels=dict(labels),
        annotated_types=annotated_types,
        platform=str(raw.get("platform") or ""),
        document=str(raw.get("document") or ""),
        source=str(raw.get("source") or ""),
        corpus=corpus,
        case=" ".join((case or "").split()),
        part=part or "",
    )


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


def platform_key(name: str) -> str:
    """A platform name folded for grouping ("Electronic_Arts" == "electronic arts")."""
    return " ".join(name.replace("_", " ").casefold().split())


def platforms(records: Iterable[AnnotatedClause]) -> list[str]:
    """The folded platform key of each record, in order."""
    return [platform_key(r.platform) for r in records]


@dataclass(frozen=True)
class AnnotationSet:
    """Validated annotations: the usable ``records`` and one message per skipped row."""

    records: tuple[AnnotatedClause, ...]
    problems: tuple[str, ...]

    def summary(self) -> str:
        """One line: how many clauses were read and how many rows were skipped."""
        return f"{len(self.records)} annotated clauses read, {len(self.problems)} rows skipped"


ANNOTATION_FORMATS = ("auto", "jsonl", "csv", "label-studio", "doccano")


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
    ``clauseclf.annotation_tools`` for the label convention of the two tools.

    In CSV, ``label`` is a type id, ``other``, or several ids joined by ``;`` (``severity`` then
    holds one level per id, or one for all; empty = the type's default severity). Checked: bad
    JSON or CSV, wrong encoding, empty text, unknown type or severity, and the same clause
    annotated twice with different labels. JSON Lines files may hold standoff records
    (``doc_file``, ``start``, ``end``, ``sha256`` instead of ``text``; ``clauseclf.standoff``):
    their text is read from ``documents`` (the policies-2023 folder or its archive; default
    ``../shared/data/policies-2023``), and a record whose text does not hash to its
    ``sha256`` is a problem of its line. Every problem names the file and line. With
    ``strict`` the first problem raises ``AnnotationError``; otherwise bad rows are skipped and
    listed in ``problems`` (an unreadable file is one problem).
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
            from clauseclf.annotation_tools import read_doccano, read_label_studio

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
            for raw, where in _with_standoff(_rows(path, file_format, taxonomy), documents):
                try:
                    records.append(_record(raw, where, taxonomy, corpus=path.stem))
                    wheres.append(where)
                except AnnotationError as exc:
                    if strict:
                        raise
                    problems.append(str(exc))
        except AnnotationError as exc:  # unreadable file, bad encoding, bad JSON line
            if strict:
                raise
            problems.append(str(exc))
    kept, conflicts = _drop_conflicts(records, wheres)
    if conflicts and strict:
        raise AnnotationError(conflicts[0])
    return AnnotationSet(records=tuple(kept), problems=tuple(problems + conflicts))


def _file_format(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "label-studio"}.get(
        path.suffix.lower(), "unknown"
    )


def _with_standoff(
    rows: Iterable[tuple[object, str]], documents: str | Path | None
) -> list[tuple[object, str]]:
    """The rows, with standoff records resolved against ``documents`` (one read for all)."""
    rows = list(rows)
    standoff = [(i, raw, where) for i, (raw, where) in enumerate(rows) if is_standoff(raw)]
    if not standoff:
        return rows
    resolved = resolve_standoff(
        [(cast(dict[str, object], raw), where) for _, raw, where in standoff], documents
    )
    for (index, _, _), (filled, where) in zip(standoff, resolved, strict=True):
        rows[index] = (
            _Invalid(str(filled)) if isinstance(filled, StandoffError) else filled,
            where,
        )
    return rows


def _rows(path: Path, file_format: str, taxonomy: Taxonomy) -> Iterator[tuple[object, str]]:
    if file_format == "jsonl":
        yield from _jsonl_lines(path)
    elif file_format == "csv":
        yield from _csv_rows(path, taxonomy)
    else:
        raise AnnotationError(
            f"{path}: unknown annotation format (use .jsonl, .csv, a Label Studio .json export, "
            "or format='doccano')"
        )


def _jsonl_lines(path: Path) -> Iterator[tuple[object, str]]:
    """(parsed line, "file, line N") per non-blank line; bad JSON fails validation at its line."""
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            yield json.loads(line), where
        except json.JSONDecodeError as exc:
            yield _Invalid(f"{where}: invalid JSON: {exc.msg}"), where


@dataclass(frozen=True)
class _Invalid:
    message: str


def _csv_rows(path: Path, taxonomy: Taxonomy) -> Iterator[tuple[object, str]]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
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
                    _Invalid(f"{where}: {len(type_ids)} labels but {len(severities)} severities"),
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
            yield _Invalid(f"{where}: empty label (use 'other' for no type)"), where
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


def _drop_conflicts(
    records: list[AnnotatedClause], wheres: list[str]
) -> tuple[list[AnnotatedClause], list[str]]:
    """Drop every copy of a clause annotated with different labels; keep one of exact repeats."""
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
