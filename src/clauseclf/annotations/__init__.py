"""Annotations: reading labelled clauses in every format the project uses, and writing tasks to
label next.

Modules: ``records`` (``AnnotatedClause``, ``AnnotationSet``, ``platform_key``, the validation of
one row), ``jsonl`` and ``tabular`` (the JSON Lines and CSV readers), ``standoff`` (records that
point into the policies-2023 documents by offsets and a text hash), ``archive`` (reading those
documents: ``archive_texts``, ``POLICY_ARCHIVE``), ``tools`` (Label Studio and doccano imports),
``export`` (active learning: ``least_certain``, tasks for the two tools), ``load``
(``load_annotations``, ``read_annotations``, ``load_corpora``: every format, validated, conflicts
dropped). Everything public is re-exported here: import from ``clauseclf.annotations``.
"""

from __future__ import annotations

from clauseclf.annotations.archive import (
    DEFAULT_DOCUMENTS,
    POLICY_ARCHIVE,
    archive_texts,
    read_documents,
)
from clauseclf.annotations.export import (
    least_certain,
    prediction_margins,
    write_doccano_tasks,
    write_label_studio_tasks,
)
from clauseclf.annotations.load import (
    ANNOTATION_FORMATS,
    drop_conflicts,
    load_annotations,
    load_corpora,
    read_annotations,
)
from clauseclf.annotations.records import (
    DEFAULT_CORPORA,
    AnnotatedClause,
    AnnotationSet,
    platform_key,
    platforms,
)
from clauseclf.annotations.standoff import (
    STANDOFF_FIELDS,
    is_standoff,
    resolve_standoff,
    service_of,
    text_sha256,
    title_of,
)
from clauseclf.annotations.tools import (
    ImportResult,
    label_studio_config,
    read_doccano,
    read_label_studio,
)

__all__ = [
    "ANNOTATION_FORMATS",
    "DEFAULT_CORPORA",
    "DEFAULT_DOCUMENTS",
    "POLICY_ARCHIVE",
    "STANDOFF_FIELDS",
    "AnnotatedClause",
    "AnnotationSet",
    "ImportResult",
    "archive_texts",
    "drop_conflicts",
    "is_standoff",
    "label_studio_config",
    "least_certain",
    "load_annotations",
    "load_corpora",
    "platform_key",
    "platforms",
    "prediction_margins",
    "read_annotations",
    "read_doccano",
    "read_documents",
    "read_label_studio",
    "resolve_standoff",
    "service_of",
    "text_sha256",
    "title_of",
    "write_doccano_tasks",
    "write_label_studio_tasks",
]
