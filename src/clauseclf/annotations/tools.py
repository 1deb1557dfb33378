"""Annotation tools: import Label Studio and doccano exports (``export`` writes their tasks).

Label convention (both tools): a choice/label is a type id (its severity is the taxonomy's
default severity), ``"type_id:severity"`` (e.g. ``"ai_training:none"``), or ``"other"``. In
Label Studio, choices of a control named ``severity`` set the severity of every type chosen for
that task. The annotator chose from the whole taxonomy, so every type counts as checked
(``annotated_types`` is None).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clauseclf import _json, limits
from clauseclf.annotations.jsonl import jsonl_lines
from clauseclf.annotations.records import AnnotatedClause, read_text
from clauseclf.errors import AnnotationError
from clauseclf.taxonomy import OTHER, Taxonomy, default_taxonomy


@dataclass(frozen=True)
class ImportResult:
    """Clauses imported from an annotation tool, and one message per skipped task."""

    records: tuple[AnnotatedClause, ...]
    problems: tuple[str, ...]


def label_studio_config(taxonomy: Taxonomy | None = None) -> str:
    """A Label Studio labeling config: multi-choice ``type`` and single-choice ``severity``."""
    taxonomy = taxonomy or default_taxonomy()
    types = "\n".join(f'    <Choice value="{t.id}"/>' for t in taxonomy.types)
    levels = "\n".join(f'    <Choice value="{s}"/>' for s in taxonomy.severity_scale)
    return (
        "<View>\n"
        '  <Text name="text" value="$text"/>\n'
        '  <Choices name="type" toName="text" choice="multiple">\n'
        f"{types}\n  </Choices>\n"
        '  <Choices name="severity" toName="text" choice="single">\n'
        f"{levels}\n  </Choices>\n"
        "</View>\n"
    )


def _labels(
    choices: Iterable[str], severity: str | None, taxonomy: Taxonomy, where: str
) -> dict[str, str]:
    labels: dict[str, str] = {}
    for choice in choices:
        type_id, _, level = str(choice).partition(":")
        type_id, level = type_id.strip(), level.strip()
        if type_id == OTHER:
            continue
        if type_id not in taxonomy.type_ids:
            raise AnnotationError(f"{where}: unknown clause type {type_id!r}")
        level = level or severity or taxonomy.get(type_id).default_severity
        if level not in taxonomy.severity_scale:
            raise AnnotationError(f"{where}: unknown severity {level!r} for {type_id!r}")
        labels[type_id] = level
    return labels


def _record(
    text: object, labels: dict[str, str], task: dict[str, Any], source: str, corpus: str, where: str
) -> AnnotatedClause:
    if not isinstance(text, str) or not text.strip():
        raise AnnotationError(f"{where}: empty or missing text")
    return AnnotatedClause(
        text=text,
        labels=labels,
        annotated_types=None,
        platform=str(task.get("platform") or ""),
        document=str(task.get("document") or ""),
        source=source,
        corpus=corpus,
    )


def read_label_studio(
    path: str | Path,
    *,
    taxonomy: Taxonomy | None = None,
    strict: bool = False,
    text_field: str = "text",
) -> ImportResult:
    """Import a Label Studio JSON export (a list of tasks with ``annotations``).

    The latest annotation that was not cancelled counts; tasks without one are skipped.
    """
    path, taxonomy = Path(path), taxonomy or default_taxonomy()
    try:
        tasks = _json.loads(read_text(path, limits.MAX_JSON_BYTES))
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(tasks, list):
        raise AnnotationError(f"{path}: expected a JSON list of tasks (Label Studio JSON export)")
    records, problems = [], []
    for index, task in enumerate(tasks):
        where = f"{path}, task #{index}"
        try:
            if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
                raise AnnotationError(f"{where}: not a Label Studio task (no 'data')")
            where = f"{path}, task #{index} (id {task.get('id')})"
            annotations = task.get("annotations") or []
            if not isinstance(annotations, list):
                raise AnnotationError(f"{where}: 'annotations' must be a list")
            done = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
            if not done:
                raise AnnotationError(f"{where}: no (non-cancelled) annotation")
            choices: list[str] = []
            severity: str | None = None
            for result in _results(done[-1], where):
                values = result["choices"]
                if result["from_name"] == "severity":
                    severity = str(values[0]) if values else None
                else:
                    choices.extend(str(v) for v in values)
            labels = _labels(choices, severity, taxonomy, where)
            source = f"label-studio:{path.name}:{task.get('id', index)}"
            data = task["data"]
            records.append(
                _record(data.get(text_field), labels, data, source, "label-studio", where)
            )
        except AnnotationError as exc:
            if strict:
                raise
            problems.append(str(exc))
    return ImportResult(tuple(records), tuple(problems))


def _results(annotation: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The ``from_name`` and ``choices`` of each result of a Label Studio annotation;
    ``AnnotationError`` naming ``where`` (file and task) for a result of another shape."""
    results = annotation.get("result") or []
    if not isinstance(results, list):
        raise AnnotationError(f"{where}: the annotation's 'result' must be a list")
    found = []
    for result in results:
        value = result.get("value", {}) if isinstance(result, dict) else None
        choices = value.get("choices", []) if isinstance(value, dict) else None
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise AnnotationError(
                f"{where}: each annotation result must be an object whose 'value' holds a list "
                f"of 'choices' (Label Studio JSON export), got {str(result)[:80]}"
            )
        found.append({"from_name": result.get("from_name"), "choices": choices})
    return found


def read_doccano(
    path: str | Path, *, taxonomy: Taxonomy | None = None, strict: bool = False
) -> ImportResult:
    """Import a doccano text-classification export (JSONL: ``text`` and ``label`` list)."""
    path, taxonomy = Path(path), taxonomy or default_taxonomy()
    records, problems = [], []
    for number, line in jsonl_lines(path):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            try:
                task = _json.loads(line)
            except json.JSONDecodeError as exc:
                raise AnnotationError(f"{where}: invalid JSON: {exc.msg}") from None
            if not isinstance(task, dict):
                raise AnnotationError(f"{where}: expected a JSON object")
            choices = task.get("label", task.get("labels"))
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                raise AnnotationError(
                    f"{where}: 'label' must be a list of label names (text classification)"
                )
            if not choices:
                raise AnnotationError(f"{where}: no label (use 'other' for no type)")
            labels = _labels(choices, None, taxonomy, where)
            source = f"doccano:{path.name}:{task.get('id', number)}"
            records.append(_record(task.get("text"), labels, task, source, "doccano", where))
        except AnnotationError as exc:
            if strict:
                raise
            problems.append(str(exc))
    return ImportResult(tuple(records), tuple(problems))
