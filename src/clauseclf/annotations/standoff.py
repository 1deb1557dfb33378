"""Standoff annotation records: labels that point into documents instead of holding their text.

A standoff record names a document of ``policies-2023`` (``doc_file``, ``<Service>_<Title>.txt``),
the clause's character offsets in the decoded file (``start``, ``end``) and the SHA-256 of the
clause text (``sha256``), beside ``labels`` (and optionally ``annotated_types``, ``batch``,
``part``). The corpus text stays outside the repository; :func:`resolve_standoff` reads the
documents (an unpacked folder of ``.txt`` files, or the ``corpus_text.tar.xz`` archive, read in
one pass: ``clauseclf.annotations.archive``) and fills in the text, refusing any record whose
text does not hash to ``sha256``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import cast

from clauseclf.annotations.archive import DEFAULT_DOCUMENTS, read_documents
from clauseclf.annotations.records import InvalidRow
from clauseclf.errors import StandoffError

#: Fields a standoff record has instead of ``text``.
STANDOFF_FIELDS = ("doc_file", "start", "end", "sha256")


def is_standoff(raw: object) -> bool:
    """Whether a parsed annotation line is a standoff record (has ``doc_file`` and no ``text``)."""
    return isinstance(raw, dict) and "doc_file" in raw and "text" not in raw


def text_sha256(text: str) -> str:
    """The SHA-256 (hex) of a clause text, UTF-8 encoded, as standoff records store it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def service_of(doc_file: str) -> str:
    """The service (platform) of a ``<Service>_<Title>.txt`` file (the part before the first
    ``_``)."""
    return Path(doc_file).name.split("_", 1)[0]


def title_of(doc_file: str) -> str:
    """The document title of a ``<Service>_<Title>.txt`` file."""
    stem = Path(doc_file).name.removesuffix(".txt")
    return stem.split("_", 1)[1] if "_" in stem else stem


def with_standoff(
    rows: Iterable[tuple[object, str]], documents: str | Path | None
) -> list[tuple[object, str]]:
    """The rows, with standoff records resolved against ``documents`` (one read for all); a
    record that cannot be resolved becomes an ``InvalidRow`` with the reason."""
    rows = list(rows)
    standoff = [(i, raw, where) for i, (raw, where) in enumerate(rows) if is_standoff(raw)]
    if not standoff:
        return rows
    resolved = resolve_standoff(
        [(cast(dict[str, object], raw), where) for _, raw, where in standoff], documents
    )
    for (index, _, _), (filled, where) in zip(standoff, resolved, strict=True):
        rows[index] = (
            InvalidRow(str(filled)) if isinstance(filled, StandoffError) else filled,
            where,
        )
    return rows


def resolve_standoff(
    rows: Sequence[tuple[dict[str, object], str]], documents: str | Path | None = None
) -> list[tuple[dict[str, object] | StandoffError, str]]:
    """The standoff ``(record, where)`` rows with ``text``, ``platform``, ``document`` and
    ``source`` filled in from the documents (see ``archive.read_documents``), in order. A row
    that cannot be resolved (bad fields or offsets, a missing document, a text whose SHA-256
    differs from the record's) comes back as a ``StandoffError`` naming its file and line."""
    checked: list[tuple[dict[str, object] | StandoffError, str]] = []
    for raw, where in rows:
        try:
            _check_fields(raw, where)
            checked.append((raw, where))
        except StandoffError as exc:
            checked.append((exc, where))
    names = sorted({str(raw["doc_file"]) for raw, _ in checked if isinstance(raw, dict)})
    texts = read_documents(names, documents) if names else {}
    return [
        (raw if isinstance(raw, StandoffError) else _resolved(raw, where, texts, documents), where)
        for raw, where in checked
    ]


def _resolved(
    raw: dict[str, object], where: str, texts: dict[str, str], documents: str | Path | None
) -> dict[str, object] | StandoffError:
    doc_file = str(raw["doc_file"])
    if doc_file not in texts:
        return StandoffError(
            f"{where}: document {doc_file!r} not found in {documents or DEFAULT_DOCUMENTS}"
        )
    start, end = int(str(raw["start"])), int(str(raw["end"]))
    text = texts[doc_file]
    if end > len(text):
        return StandoffError(
            f"{where}: offsets {start}-{end} lie beyond the end of {doc_file!r} "
            f"({len(text)} characters)"
        )
    clause = text[start:end]
    if text_sha256(clause) != raw["sha256"]:
        return StandoffError(
            f"{where}: the text at {doc_file!r} {start}-{end} does not match the record's "
            "sha256 (another version of the document, or wrong offsets)"
        )
    filled = dict(raw)
    filled.update(
        text=clause,
        platform=raw.get("platform") or service_of(doc_file),
        document=raw.get("document") or title_of(doc_file),
        source=f"policies-2023:{doc_file}:{start}-{end}",
    )
    return filled


def _check_fields(raw: dict[str, object], where: str) -> None:
    doc_file = raw.get("doc_file")
    if not isinstance(doc_file, str) or not doc_file.endswith(".txt") or "/" in doc_file:
        raise StandoffError(f"{where}: 'doc_file' must be a policies-2023 file name (*.txt)")
    start, end = raw.get("start"), raw.get("end")
    if (
        not isinstance(start, int)
        or not isinstance(end, int)
        or isinstance(start, bool)
        or isinstance(end, bool)
        or not 0 <= start < end
    ):
        raise StandoffError(f"{where}: 'start' and 'end' must be integers with 0 <= start < end")
    digest = raw.get("sha256")
    if not isinstance(digest, str) or len(digest) != 64:
        raise StandoffError(f"{where}: 'sha256' must be the 64-character hex digest of the text")
