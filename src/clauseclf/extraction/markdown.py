"""Markdown (markdown-it-py, CommonMark + tables) -> pieces: ATX and setext headings, list
items, paragraphs, table cells; emphasis and code marks are removed, links and images keep their
text, a one-item numbered list holding a heading-like line is a heading, and HTML blocks go
through the HTML reader. Blocks nested past markdown-it's limit are kept as plain paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from clauseclf.extraction.blocks import BlockKind, Collector, Piece
from clauseclf.extraction.html import html_pieces
from clauseclf.extraction.plain import is_heading_line

__all__ = ["iter_markdown_pieces", "markdown_pieces"]


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


#: Markdown longer than this is parsed a part at a time, so that markdown-it's tokens (some 300
#: times the text they come from) are held for one part only. A part ends before an unindented
#: line that starts with a letter or is an ATX heading ("## Fee") or a thematic break ("---"),
#: which nothing open before it at the top level takes in, where the parser is back there,
#: as the part's tokens show: after a blank line (unless the last block is a fence or an HTML
#: block running to the end: unclosed) or right after a top-level heading. Then the parts give
#: the tokens of the whole; a part that does not end so is parsed again, twice as long. Link
#: reference definitions hold across parts: a first pass collects them.
CHUNK_CHARS = 1 << 14
_NEWLINES = re.compile(r"\r\n?")  # markdown-it's first step, done here so that parts cut at "\n"
_CUT_BEFORE = r"(?=[A-Za-z]|#{1,6}[ \t\n]|(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})\n)"
_BLANK_CUT = re.compile(r"\n[ \t]*\n" + _CUT_BEFORE)
_LINE_CUT = re.compile(r"\n" + _CUT_BEFORE)


def _parser() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    parser.block.ruler.before("table", "clauseclf_flat", _flat_block)
    return parser


def _ends_closed(tokens: Sequence[Any], part: str) -> bool:
    """Whether nothing is open at the end of ``part`` (which ends with a line break), as its
    tokens show: its last top-level block is a heading ending there, or it ends with a blank
    line and its last top-level block is not an unclosed fence or HTML block."""
    lines = part.count("\n")
    blank = not part[part.rfind("\n", 0, len(part) - 1) + 1 :].strip(" \t\n")  # markdown's
    for token in reversed(tokens):
        if token.level == 0 and token.map is not None:
            if token.type == "heading_open" and token.map[1] == lines:
                return True
            return blank and not (token.type in ("fence", "html_block") and token.map[1] >= lines)
    return blank


def _parts_tokens(parser: Any, text: str, size: int, env: dict[str, Any]) -> Iterator[Any]:
    """The tokens of ``text`` a part at a time (see ``CHUNK_CHARS``): each part's are freed
    when the next is asked for, if the reader dropped them; ``env`` is shared by the parts."""
    start = 0
    while start < len(text):
        length = size
        while True:
            cut = None
            if start + length < len(text):
                cut = _BLANK_CUT.search(text, start + length, start + 2 * length) or (
                    _LINE_CUT.search(text, start + length)
                )
            end = len(text) if cut is None else cut.end()
            part = text[start:end]
            tokens = parser.parse(part, env)
            if cut is None or _ends_closed(tokens, part):
                break
            del tokens  # freed before the longer part is parsed
            length *= 2
        yield tokens
        del tokens  # freed before the next part is parsed
        start = end


def iter_markdown_pieces(text: str, *, chunk_chars: int = CHUNK_CHARS) -> Iterator[Piece]:
    """``markdown_pieces`` made a part at a time as they are read: the pieces of a part are
    made when the first of them is asked for."""
    parser = _parser()
    text = _NEWLINES.sub("\n", text)
    env: dict[str, Any] = {}
    if len(text) > chunk_chars and "]:" in text:
        # a link may use a definition made further down: collect them all first
        for _ in _parts_tokens(parser, text, chunk_chars, env):
            pass
    collector = Collector()
    for tokens in _parts_tokens(parser, text, chunk_chars, env):
        _collect(tokens, collector)
        del tokens  # freed before the next part is parsed
        yield from collector.pieces
        collector.pieces.clear()


def markdown_pieces(text: str, *, chunk_chars: int = CHUNK_CHARS) -> list[Piece]:
    """The block pieces (kind, level, text) of a Markdown document, in document order; a long
    one is parsed ``chunk_chars`` characters at a time (the pieces are the same)."""
    return list(iter_markdown_pieces(text, chunk_chars=chunk_chars))


def _collect(tokens: Sequence[Any], collector: Collector) -> None:
    """Add the pieces of markdown-it ``tokens`` to ``collector``."""
    context: list[tuple[BlockKind, int]] = [("paragraph", 0)]
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
