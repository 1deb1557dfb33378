"""HTML (lxml) -> pieces: ``script``, ``style``, ``noscript``, ``template``, ``head``, comments
and processing instructions are dropped; headings (``h1``-``h6``), list items, paragraphs,
``div`` and other block elements, table cells and ``br`` line breaks each start a new block.
Whitespace inside a block is collapsed. Deeply nested or malformed HTML is handled without
recursion."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from clauseclf._html_attributes import _trim_attributes
from clauseclf.errors import DocumentError
from clauseclf.extraction.blocks import BlockKind, Collector, Piece

__all__ = ["html_pieces", "iter_html_pieces"]


_DROP_TAGS = ("script", "style", "noscript", "template", "head", "title", "svg", "iframe")
_HEADING_TAGS = {f"h{i}": i for i in range(1, 7)}
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "br",
        "option",
    ]
) | frozenset(_HEADING_TAGS)


# Flattening, for a document nested deeper than libxml2's depth limit: every tag but those
# below is removed (a block tag becomes a line break, any other vanishes), so the text stays and
# nesting carries no meaning for clauses anyway. The first pass keeps headings, paragraphs and
# list items (they close themselves, so they cannot nest deeply); the second flattens headings
# too. Dropped tags stay, so their content is still dropped.
_ANY_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:._-]*)(?=[\s/>])[^<>]*>")
_KEPT_TAGS = frozenset(["html", "body", "p", "li", "br", "hr", *_DROP_TAGS])
_FLATTENINGS = (_KEPT_TAGS | frozenset(_HEADING_TAGS), _KEPT_TAGS)


def _flattened(text: str, kept: frozenset[str]) -> str:
    """``text`` with every tag not in ``kept`` removed: block tags become ``<br>``."""

    def replace(match: re.Match[str]) -> str:
        tag = match.group(2).lower()
        if tag in kept:
            return match.group(0)
        return "<br>" if tag in _BLOCK_TAGS else ""

    return _ANY_TAG.sub(replace, text)


def _parse_html(text: str) -> Any:
    """Parse HTML with lxml; nesting beyond libxml2's limit (2048) is flattened first.

    Raises ``DocumentError`` if the document still cannot be parsed within the limit.
    """
    from lxml import etree

    text = _trim_attributes(text)
    for kept in (None, *_FLATTENINGS):
        if kept is not None:
            text = _flattened(text, kept)
        parser = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True, recover=True
        )
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
        if not any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
            return root
    raise DocumentError(
        "HTML is nested too deeply to parse (past libxml2's limit of 2048 levels, even with "
        "every tag but those of dropped content such as <script> and <svg> flattened)"
    )


# Control characters lxml parses but refuses to set as text (ValueError): text joined around a
# dropped element gets a space in their place (most of them are whitespace to ``str.split``).
_UNSETTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _settable(text: str) -> str:
    return _UNSETTABLE.sub(" ", text)


def html_pieces(text: str) -> list[Piece]:
    """The block pieces (kind, level, text) of an HTML document, in document order."""
    return list(iter_html_pieces(text))


def iter_html_pieces(text: str) -> Iterator[Piece]:
    """``html_pieces`` made as they are read (the document is parsed whole first)."""
    from lxml import etree

    if not text or text.isspace():  # (no stripped copy of a long document)
        return
    root = _parse_html(text)
    if root is None:
        return
    for element in list(root.iter(*_DROP_TAGS, etree.Comment, etree.ProcessingInstruction)):
        parent = element.getparent()
        if parent is not None:
            # keep the tail text, drop the element and its content
            previous = element.getprevious()
            if element.tail:
                if previous is not None:
                    previous.tail = _settable((previous.tail or "") + element.tail)
                else:
                    parent.text = _settable((parent.text or "") + element.tail)
            parent.remove(element)

    collector = Collector()
    # Stack of (kind, level) for open blocks; the innermost decides a flushed block's kind.
    context: list[tuple[BlockKind, int]] = [("paragraph", 0)]
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        tag = tag.lower()
        if event == "start":
            if tag in _BLOCK_TAGS:
                collector.flush(*context[-1])
                if tag in _HEADING_TAGS:
                    context.append(("heading", _HEADING_TAGS[tag]))
                elif tag == "li":
                    context.append(("list_item", 0))
                else:
                    context.append((context[-1][0], context[-1][1]))
            collector.add(element.text)
        else:
            if tag in _BLOCK_TAGS:
                collector.flush(*context[-1])
                if len(context) > 1:
                    context.pop()
            collector.add(element.tail)
        if collector.pieces:
            yield from collector.pieces
            collector.pieces.clear()
    collector.flush(*context[-1])
    yield from collector.pieces
