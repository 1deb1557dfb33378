"""Reading policy documents from disk: decoding, binary detection, format from the file name."""

from __future__ import annotations

from pathlib import Path

_FORMAT_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}
# Control characters other than tab, newline, vertical tab, form feed and carriage return.
_BINARY_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))


class DocumentError(ValueError):
    """A document cannot be read as text."""


def format_from_path(path: str | Path) -> str:
    """The input format a file name suggests: ``html``, ``markdown``, ``text`` or ``auto``."""
    return _FORMAT_BY_SUFFIX.get(Path(path).suffix.lower(), "auto")


def decode_document(data: bytes, *, name: str = "<bytes>") -> str:
    """Decode a document's bytes as UTF-8 (a BOM is dropped); binary data is refused.

    Raises ``DocumentError`` naming the document for empty, binary or non-UTF-8 input.
    """
    if not data.strip():
        raise DocumentError(f"{name}: document is empty")
    head = data[:8192]
    if b"\x00" in head or sum(head.count(bytes([b])) for b in _BINARY_BYTES) > len(head) // 100:
        raise DocumentError(f"{name}: looks like binary data, not a text document")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{name}: not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first"
        ) from None


def read_document(path: str | Path) -> str:
    """Read a policy file as text (see ``decode_document``); ``FileNotFoundError`` if absent."""
    path = Path(path)
    if path.is_dir():
        raise DocumentError(f"{path}: is a directory, not a document")
    return decode_document(path.read_bytes(), name=str(path))
