"""Markdown (markdown-it-py, CommonMark + tables) -> pieces: ATX and setext headings, list
items, paragraphs, table cells; emphasis and code marks are removed, links and images keep their
text, a one-item numbered list holding a heading-like line is a heading, and HTML blocks go
through the HTML reader. Blocks nested past markdown-it's limit are kept as plain paragraphs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clauseclf.extraction.blocks import BlockKind, Collector, Piece
from clauseclf.extraction.html import html_pieces
from clauseclf.extraction.plain import is_heading_line

__all__ = ["markdown_pieces"]


def _numbered_headings(tokens: Sequence[Any]) -> set[int]:
    """Positions of the ``list_item_open`` tokens that are numbered section headings: the one
    item of an ordered list holding a single heading-like line ("1. Disputes" followed by a
    paragraph parses as a one-item list), as ``is_heading_line`` judges "1. Disputes"."""
    found: set[int] = set()
    for start, token in enumerate(tokens):
        if token.type != "ordered_list_open":
            continue
        layout = [t.type for t in tokens[start + 1 : start + 7]]
        if layout != [
            "list_item_open",
            "paragraph_open",
            "inline",
            "paragraph_close",
            "list_item_close",
            "ordered_list_close",
        ]:
            continue
        item, inline = tokens[start + 1], tokens[start + 3]
        line = f"{item.info}{item.markup} {inline.content}"
        if "\n" not in inline.content and is_heading_line(line, strict=True):
            found.add(start + 1)
    return found


#: markdown-it skips the text of blocks nested deeper than its ``maxNesting`` (20 levels);
#: from ``_MARKDOWN_FLAT_DEPTH`` levels on, ``_flat_block`` takes the rest as plain paragraphs.
_MARKDOWN_MAX_NESTING = 20
_MARKDOWN_FLAT_DEPTH = _MARKDOWN_MAX_NESTING - 2
# Leading container markers of a line: blockquote ">", bullets and ordered-list numbers.
_CONTAINER_MARKERS = re.compile(r"^(?:[ \t]*(?:>|[-+*](?=\s)|[0-9]{1,9}[.)](?=\s)))*[ \t]*")


def _flat_block(state: Any, start_line: int, end_line: int, silent: bool) -> bool:
    """A markdown-it block rule: at ``_MARKDOWN_FLAT_DEPTH`` levels of nesting, the lines of
    the innermost open block become plain paragraphs (container markers stripped; a line left
    empty ends a paragraph), instead of being dropped past ``maxNesting``."""
    if state.level < _MARKDOWN_FLAT_DEPTH:
        return False
    if silent:
        return True
    stop = start_line
    while stop < end_line and (state.isEmpty(stop) or state.sCount[stop] >= state.blkIndent):
        stop += 1
    stop = max(stop, start_line + 1)
    lines = state.getLines(start_line, stop, state.blkIndent, False).splitlines()
    paragraph: list[str] = []
    for line in [*(_CONTAINER_MARKERS.sub("", raw) for raw in lines), ""]:
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            state.push("paragraph_open", "p", 1).map = [start_line, stop]
            inline = state.push("inline", "", 0)
            inline.content, inline.map, inline.children = (
                "\n".join(paragraph),
                [start_line, stop],
                [],
            )
            state.push("paragraph_close", "p", -1)
            paragraph = []
    state.line = stop
    return True


def markdown_pieces(text: str) -> list[Piece]:
    """The block pieces (kind, level, text) of a Markdown document, in document order."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    parser.block.ruler.before("table", "clauseclf_flat", _flat_block)
    collector = Collector()
    context: list[tuple[BlockKind, int]] = [("paragraph", 0)]
    tokens = parser.parse(text)
    numbered_headings = _numbered_headings(tokens)
    for position, token in enumerate(tokens):
        if token.type == "heading_open":
            context.append(("heading", int(token.tag[1:])))
        elif position in numbered_headings:
            context.append(("heading", 6))
            collector.add(f"{token.info}{token.markup} ")
        elif token.type == "list_item_open":
            context.append(("list_item", 0))
        elif token.type in ("heading_close", "list_item_close"):
            if len(context) > 1:
                context.pop()
        elif token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    collector.add(child.content)
                elif child.type == "softbreak":
                    collector.add(" ")
                elif child.type == "hardbreak":
                    collector.flush(*context[-1])
                elif child.type == "image":
                    collector.add(child.content)
            collector.flush(*context[-1])
        elif token.type in ("fence", "code_block"):
            for line in token.content.splitlines():
                collector.add(line)
                collector.flush("paragraph", 0)
        elif token.type == "html_block":
            collector.pieces.extend(html_pieces(token.content))
    return collector.pieces
