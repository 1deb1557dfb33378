"""The entry points: ``detect_format`` guesses a text's format and ``extract`` turns it into
text plus blocks with the plain-text, HTML or Markdown reader (``resolve_format`` and
``iter_pieces``: the steps of ``extract`` for a reader that stops early)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from clauseclf.extraction.blocks import ExtractedDocument, Piece, from_pieces
from clauseclf.extraction.html import iter_html_pieces
from clauseclf.extraction.markdown import iter_markdown_pieces
from clauseclf.extraction.plain import iter_plain_blocks

__all__ = ["FORMATS", "detect_format", "extract", "iter_pieces", "resolve_format"]

FORMATS = ("auto", "text", "html", "markdown")

_HTML_TAG = re.compile(
    r"<(?:!doctype\s+html|html|body|head|p|div|h[1-6]|ul|ol|li|table|tr|td|br|span|a|section|"
    r"article|strong|em|b|i|dl|dt|dd|meta|script|style)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_MARKDOWN_SIGNAL = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S"  # ATX heading
    r"|^[^\S\n]*\S[^\n]*\n {0,3}(?:=+|-{2,})[ \t]*$"  # setext heading (no backtracking)
    r"|\[[^\[\]\n]+\]\([^()\s]+\)"  # [link](url); no nesting, so it stays linear
    r"|(?<![\w*])\*\*[^*\n]+\*\*(?![\w*])|(?<!\w)__[^_\n]+__(?!\w)",  # **strong** / __strong__
    re.MULTILINE,
)


def detect_format(text: str) -> str:
    """Guess "html", "markdown" or "text".

    HTML: at least two common tags (or a doctype/``<html>``). Markdown: an ATX or setext heading,
    a ``[link](url)`` or ``**bold**``; bullet lists alone are not enough, because plain-text
    policies use "- " and "* " bullets too. Anything else is plain text.
    """
    tags = _HTML_TAG.finditer(text)
    first = next(tags, None)
    if first is not None and (
        first.group().lower().startswith(("<!doctype", "<html")) or next(tags, None) is not None
    ):
        return "html"
    return "markdown" if _MARKDOWN_SIGNAL.search(text) else "text"


def resolve_format(text: str, format: str) -> str:
    """The format ``text`` is read as: ``format``, or ``detect_format(text)`` for "auto".

    Raises ``TypeError`` if ``text`` is not a str and ``ValueError`` for an unknown ``format``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if not isinstance(format, str) or format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    return detect_format(text) if format == "auto" else format


def iter_pieces(text: str, format: str) -> Iterator[Piece]:
    """The pieces of an HTML or Markdown (``format``) document, made as they are read (HTML
    is parsed whole first, Markdown a part at a time); ``from_pieces`` joins them."""
    if format == "html":
        return iter_html_pieces(text)
    if format == "markdown":
        return iter_markdown_pieces(text)
    raise ValueError(f"pieces are made of HTML or Markdown, not {format!r}")


def extract(text: str, *, format: str = "auto") -> ExtractedDocument:
    """Extract ``text`` as ``format`` ("auto", "text", "html", "markdown").

    Raises ``TypeError`` if ``text`` is not a str and ``ValueError`` for an unknown ``format``.
    """
    resolved = resolve_format(text, format)
    if resolved == "text":
        return ExtractedDocument(text, "text", tuple(iter_plain_blocks(text)))
    return from_pieces(iter_pieces(text, resolved), resolved)
