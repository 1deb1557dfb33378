"""Reading policy documents: decoding, encodings, PDF and Word text, binary detection, format
from name.

Decoding never guesses silently. In order: an explicit ``encoding``; a byte-order mark (UTF-8,
UTF-16, UTF-32); a PDF (``%PDF-``, text extracted with pypdf, the ``pdf`` extra); an office file
(``clauseclf.office``: a .docx is read with the ``docx`` extra, other formats are refused naming
them); UTF-16 without a mark, told by its zero bytes; the charset an HTML or XML document
declares (an unknown one is ignored: UTF-8 must then fit); otherwise strict UTF-8. When UTF-8
fails, ``EncodingError`` names the byte and the likely encoding to pass instead
(``clauseclf.charsets``: a guess that decodes the whole document).
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

from clauseclf.charsets import guess_encoding
from clauseclf.errors import (
    DocumentError,
    EncodingError,
    MissingExtraError,
    TooLargeError,
    require_extra,
)
from clauseclf.office import is_office_file, office_text

_FORMAT_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".pdf": "text",
    ".docx": "text",
}
# Control characters other than tab, newline, vertical tab, form feed and carriage return.
_BINARY_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))
# Longest BOM first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})"""
    rb"""|<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""",
    re.IGNORECASE,
)
PDF_MAGIC = b"%PDF-"


def format_from_path(path: str | Path) -> str:
    """The input format a file name suggests: ``html``, ``markdown``, ``text`` or ``auto``."""
    return _FORMAT_BY_SUFFIX.get(Path(path).suffix.lower(), "auto")


def decode_document(data: bytes, *, name: str = "<bytes>", encoding: str | None = None) -> str:
    """A document's text from its bytes (see the module docstring for the order of the rules).

    Raises ``DocumentError`` naming the document for empty, binary, undecodable, encrypted or
    image-only (PDF) input, and for an unknown ``encoding``.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{name}: expected bytes, not {type(data).__name__}")
    data = bytes(data)
    if encoding is not None:
        return _checked(_decode_strict(data, encoding, name, "the given encoding"), name)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _checked(
                _decode_strict(data[len(bom) :], codec, name, "its byte-order mark"), name
            )
    if not data.strip():
        raise DocumentError(f"{name}: document is empty")
    if data.lstrip()[:5] == PDF_MAGIC:
        return pdf_text(data, name=name)
    if is_office_file(data):
        return _checked(office_text(data, name=name), name)
    unmarked = _utf16_without_bom(data)
    if unmarked is not None:
        return _checked(
            _decode_strict(data, unmarked, name, "its zero bytes (UTF-16 without a BOM)"), name
        )
    head = data[:8192]
    if b"\x00" in head or sum(head.count(bytes([b])) for b in _BINARY_BYTES) > len(head) // 100:
        raise DocumentError(f"{name}: looks like binary data, not a text document")
    declared = _DECLARED_CHARSET.search(head[:4096])
    charset = (declared.group(1) or declared.group(2)).decode("ascii") if declared else None
    if charset is not None and _codec_name(charset) not in {"utf-8", None}:
        return _checked(_decode_strict(data, charset, name, "the charset it declares"), name)
    try:
        return _checked(data.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        declared_note = (
            f" (it declares charset {charset!r}, which is unknown)"
            if charset is not None and _codec_name(charset) is None
            else ""
        )
        raise EncodingError(
            f"{name}: not valid UTF-8 (byte {exc.start}){declared_note}",
            guess=guess_encoding(data),
        ) from None


def read_document(path: str | Path, *, encoding: str | None = None) -> str:
    """Read a policy file as text (see ``decode_document``); ``FileNotFoundError`` if absent,
    ``DocumentError`` for a file larger than ``limits.MAX_DOCUMENT_BYTES`` (read no further)."""
    from clauseclf.limits import MAX_DOCUMENT_BYTES, read_capped_bytes

    path = Path(path)
    if path.is_dir():
        raise DocumentError(f"{path}: is a directory, not a document")
    try:
        data = read_capped_bytes(path, MAX_DOCUMENT_BYTES)
    except TooLargeError as exc:
        raise DocumentError(str(exc)) from None
    return decode_document(data, name=str(path), encoding=encoding)


def pdf_text(data: bytes, *, name: str = "<pdf>") -> str:
    """The text of a PDF's pages (pypdf), pages separated by a blank line.

    Needs the ``pdf`` extra (``pip install 'clauseclf[pdf]'``). An encrypted PDF is opened only
    when its user password is empty; an image-only PDF (no text layer) is refused: run OCR first.
    """
    try:
        require_extra("pypdf", "pdf", f"{name}: is a PDF; reading PDFs")
    except MissingExtraError as error:
        raise DocumentError(str(error)) from None
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{name}: the PDF is encrypted with a password; decrypt it first")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (FileNotDecryptedError, DependencyError) as exc:
        raise DocumentError(f"{name}: the PDF is encrypted and cannot be opened: {exc}") from None
    except Exception as exc:  # pypdf raises many kinds on damaged files: all mean "unreadable"
        raise DocumentError(f"{name}: cannot read the PDF: {type(exc).__name__}: {exc}") from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise DocumentError(
            f"{name}: the PDF has no text layer ({len(pages)} page(s), image-only or scanned?); "
            "run OCR on it first"
        )
    return _checked(text, name)


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when ``data`` is UTF-16 text without a byte-order mark:
    an even length, and in its first 8 KB a zero in at least 3 of 4 high bytes (text in Latin
    scripts), none in the low bytes and control characters in at most 1% of them; else None."""
    head = data[:8192]
    if len(data) % 2 or len(head) < 4:
        return None
    for codec, low, high in (
        ("utf-16-le", head[0::2], head[1::2]),
        ("utf-16-be", head[1::2], head[0::2]),
    ):
        controls = sum(low.count(bytes([b])) for b in _BINARY_BYTES)
        if (
            b"\x00" not in low
            and high.count(0) * 4 >= len(high) * 3
            and controls <= len(low) // 100
        ):
            return codec
    return None


def _decode_strict(data: bytes, encoding: str, name: str, origin: str) -> str:
    if _codec_name(encoding) is None:
        raise DocumentError(f"{name}: unknown encoding {encoding!r} ({origin})")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        guess = guess_encoding(data)
        raise EncodingError(
            f"{name}: not valid {encoding} (byte {exc.start}), the encoding named by {origin}",
            guess=guess if guess != _codec_name(encoding) else None,
        ) from None


def _checked(text: str, name: str) -> str:
    """Refuse decoded text that is empty or holds NUL characters (binary in a text encoding)."""
    if not text.strip():
        raise DocumentError(f"{name}: document is empty")
    if "\x00" in text:
        raise DocumentError(f"{name}: holds NUL characters; it looks like binary data")
    return text


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None
