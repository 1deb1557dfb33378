"""The documents to score: paths, texts, dicts or a DataFrame, normalised to ``DocumentInput``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clauseclf.documents import format_from_path

INPUT_COLUMNS = ("text", "path", "platform", "document", "id", "format", "encoding")
#: Where ``names_from_path`` takes a document's platform from.
PLATFORM_SOURCES = ("auto", "file-name", "folder")


@dataclass(frozen=True)
class DocumentInput:
    """One document to score: its text, or the path to read it from."""

    document_id: str
    text: str | None = None
    path: Path | None = None
    platform: str | None = None
    document: str | None = None
    format: str = "auto"
    encoding: str | None = None


def document_inputs(documents: Any) -> Iterator[DocumentInput]:
    """Normalise ``documents``: paths (``pathlib.Path``), texts (``str``), dicts with ``text`` or
    ``path`` and optional ``platform``, ``document``, ``id``, ``format``, ``encoding`` (of the
    file at ``path``; by default it is found as ``read_document`` does), or a DataFrame with
    those columns. A ``str`` is always a document's text; pass paths as ``Path``. A ``Path``'s
    platform and document title come from its name (``names_from_path``)."""
    if isinstance(documents, (str, Path, Mapping)):
        documents = [documents]
    if _is_frame(documents):
        unknown = [c for c in documents.columns if c not in INPUT_COLUMNS]
        if "text" not in documents.columns and "path" not in documents.columns:
            raise ValueError("the DataFrame needs a 'text' or a 'path' column")
        if unknown:
            raise ValueError(f"unknown column(s) {unknown}; expected some of {INPUT_COLUMNS}")
        documents = documents.to_dict("records")
    seen: set[str] = set()
    for position, item in enumerate(documents):
        entry = _document_input(item, position)
        if entry.document_id in seen:
            raise ValueError(f"document id {entry.document_id!r} is used twice")
        seen.add(entry.document_id)
        yield entry


def _is_frame(value: Any) -> bool:
    return hasattr(value, "columns") and hasattr(value, "to_dict")


def _document_input(item: Any, position: int) -> DocumentInput:
    if isinstance(item, Path):
        platform, title = names_from_path(item)
        return DocumentInput(
            document_id=str(item),
            path=item,
            platform=platform,
            document=title,
            format=format_from_path(item),
        )
    if isinstance(item, str):
        return DocumentInput(document_id=f"doc-{position}", text=item)
    if isinstance(item, Mapping):
        text, path = clean(item.get("text")), clean(item.get("path"))
        if (text is None) == (path is None):
            raise ValueError(f"document {position}: give exactly one of 'text' and 'path'")
        if text is not None and not isinstance(text, str):
            raise TypeError(f"document {position}: 'text' is {type(text).__name__}, not str")
        path = Path(path) if path is not None else None
        identifier = clean(item.get("id"))
        document = clean(item.get("document"))
        fmt = clean(item.get("format")) or (format_from_path(path) if path else "auto")
        return DocumentInput(
            document_id=str(identifier)
            if identifier is not None
            else (str(path) if path else f"doc-{position}"),
            text=text,
            path=path,
            platform=_optional_str(item.get("platform")),
            document=_optional_str(document) or (path.stem if path else None),
            format=str(fmt),
            encoding=_optional_str(item.get("encoding")),
        )
    raise TypeError(
        f"document {position} is {type(item).__name__}; expected a Path, a str, a dict or a "
        "DataFrame row"
    )


def names_from_path(path: Path, *, platform_from: str = "auto") -> tuple[str | None, str]:
    """A document's platform and title from its file name.

    ``<Service>_<Title>.txt`` (as in policies-2023) gives the service and the title (its
    underscores as spaces) with ``platform_from`` ``auto`` or ``file-name``; otherwise the title
    is the file name without its suffix and the platform is the name of the folder holding the
    file (``auto`` or ``folder``; ``file-name`` gives None)."""
    if platform_from not in PLATFORM_SOURCES:
        raise ValueError(f"platform_from must be one of {PLATFORM_SOURCES}, got {platform_from!r}")
    service, underscore, title = path.stem.partition("_")
    title = title.replace("_", " ").strip()
    if platform_from != "folder" and underscore and service.strip() and title:
        return service.strip(), title
    if platform_from == "file-name":
        return None, path.stem
    return path.absolute().parent.name or None, path.stem


def clean(value: Any) -> Any:
    """None for missing values (None, NaN, pandas NA)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN
            return None
    except (TypeError, ValueError):
        return value
    return value


def _optional_str(value: Any) -> str | None:
    value = clean(value)
    return None if value is None else str(value)
