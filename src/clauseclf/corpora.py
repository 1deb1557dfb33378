"""Annotated clauses: reading the JSON Lines annotation format of the shared corpora.

One clause per line: ``text``, ``labels`` (type -> severity; ``{}`` = other), optional
``annotated_types`` (the types the annotator checked; absent = all), ``platform``, ``document``,
``source``. Other fields are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clauseclf.taxonomy import Taxonomy, default_taxonomy

#: The shared corpora the default model is trained on, by folder name under the data folder.
DEFAULT_CORPORA: tuple[str, ...] = ("claudette", "tosdr", "ai_training")


class AnnotationError(ValueError):
    """An annotation file has a bad record; the message names the file and line."""


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

    def is_annotated(self, type_id: str) -> bool:
        """Whether the annotator checked ``type_id`` for this clause (else it is unknown)."""
        return self.annotated_types is None or type_id in self.annotated_types


def read_annotations(
    path: str | Path, *, corpus: str | None = None, taxonomy: Taxonomy | None = None
) -> list[AnnotatedClause]:
    """Read one JSON Lines annotation file; ``AnnotationError`` names file and line on bad data."""
    path = Path(path)
    taxonomy = taxonomy or default_taxonomy()
    known_types = set(taxonomy.type_ids)
    scale = set(taxonomy.severity_scale)
    corpus = corpus or path.parent.name
    records = []
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot open: {exc.strerror}") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}, line {number}"
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise AnnotationError(f"{where}: invalid JSON: {exc.msg}") from None
                records.append(_record(raw, where, known_types, scale, corpus))
        except UnicodeDecodeError:
            raise AnnotationError(f"{path}: not valid UTF-8") from None
    return records


def _record(
    raw: object, where: str, known_types: set[str], scale: set[str], corpus: str
) -> AnnotatedClause:
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
    return AnnotatedClause(
        text=text,
        labels=dict(labels),
        annotated_types=annotated_types,
        platform=str(raw.get("platform") or ""),
        document=str(raw.get("document") or ""),
        source=str(raw.get("source") or ""),
        corpus=corpus,
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
