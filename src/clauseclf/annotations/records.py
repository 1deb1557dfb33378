"""Annotated clauses: the record types, platform keys, and the validation of one parsed row.

One clause per row: ``text``, ``labels`` (type -> severity; ``{}`` = other), optional
``annotated_types`` (the types the annotator checked; absent = all), ``platform``, ``document``,
``source``, ``case``, ``part``. Other fields are ignored. The readers (``jsonl``, ``tabular``,
``standoff``, ``tools``) turn files into such rows; ``validated_record`` checks one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from clauseclf.errors import AnnotationError, TooLargeError
from clauseclf.limits import read_capped_bytes
from clauseclf.taxonomy import Taxonomy

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


@dataclass(frozen=True)
class AnnotationSet:
    """Validated annotations: the usable ``records`` and one message per skipped row."""

    records: tuple[AnnotatedClause, ...]
    problems: tuple[str, ...]

    def summary(self) -> str:
        """One line: how many clauses were read and how many rows were skipped."""
        return f"{len(self.records)} annotated clauses read, {len(self.problems)} rows skipped"


def platform_key(name: str) -> str:
    """A platform name folded for grouping ("Electronic_Arts" == "electronic arts")."""
    return " ".join(name.replace("_", " ").casefold().split())


def platforms(records: Iterable[AnnotatedClause]) -> list[str]:
    """The folded platform key of each record, in order."""
    return [platform_key(r.platform) for r in records]


@dataclass(frozen=True)
class InvalidRow:
    """A row a reader could not parse (bad JSON, a bad CSV row, an unresolvable standoff
    record): ``validated_record`` raises its ``message``, which names the file and line."""

    message: str


def read_text(path: Path, limit: int | None = None) -> str:
    """An annotation file's text (UTF-8, a BOM allowed); ``AnnotationError`` naming the file,
    also for a file of more than ``limit`` bytes (read no further) when one is given."""
    try:
        data = path.read_bytes() if limit is None else read_capped_bytes(path, limit)
        return data.decode("utf-8-sig")
    except TooLargeError as exc:
        raise AnnotationError(str(exc)) from None
    except FileNotFoundError:
        raise AnnotationError(f"{path}: no such file") from None
    except OSError as exc:
        raise AnnotationError(f"{path}: cannot open: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AnnotationError(
            f"{path}: not valid UTF-8 (byte {exc.start}); convert the file to UTF-8"
        ) from None


def validated_record(raw: object, where: str, taxonomy: Taxonomy, corpus: str) -> AnnotatedClause:
    """The ``AnnotatedClause`` of a parsed row; ``AnnotationError`` naming ``where`` (file and
    line) for an ``InvalidRow``, a missing or empty text, an unknown type or severity, or a
    field of the wrong kind."""
    known_types = set(taxonomy.type_ids)
    scale = set(taxonomy.severity_scale)
    if isinstance(raw, InvalidRow):
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
