"""Markdown (markdown-it-py, CommonMark + tables) -> pieces: ATX and setext headings, list
items, paragraphs, table cells; emphasis and code marks are removed, links and images keep their
text, a one-item numbered list holding a heading-like line is a heading, and HTML blocks go
through the HTML reader. Blocks nested past markdown-it's limit are kept as plain paragraphs.
A long document is parsed a part at a time (``CHUNK_CHARS``), with the pieces of the whole."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from clauseclf.errors import DocumentError
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
#: times the text they come from) are held for one part only. A part ends before a line that
#: nothing open takes in differently when parsed alone, as the part's tokens show (``_ending``):
#: after a blank line or a heading, where nothing is left open; before the next item of a list
#: or the next row ("|") of a table that runs to the part's end (the table's rows then parsed
#: after its header and delimiter rows); or inside a paragraph (top-level or quoted) that runs
#: to the part's end, before a line that continues it, the paragraph's text then joined across
#: the parts. A part that ends no such way is parsed again, twice as long, up to
#: ``MAX_PART_CHARS``. Link reference definitions hold across parts: a first pass collects them.
CHUNK_CHARS = 1 << 14
#: The longest part: Markdown that cannot be cut within it is refused (``DocumentError``).
MAX_PART_CHARS = 1 << 18
_NEWLINES = re.compile(r"\r\n?")  # markdown-it's first step, done here so that parts cut at "\n"
_CUT_BEFORE = r"(?=[A-Za-z]|#{1,6}[ \t\n]|(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})\n)"
_BLANK_CUT = re.compile(r"\n[ \t]*\n" + _CUT_BEFORE)
_MARKER = r" {0,3}(?:[-+*]|[0-9]{1,9}[.)])[ \t]+\S"
# The start of a line that continues a paragraph: a letter, or emphasis marks before a word
# (not a list item, a thematic break or a fence).
_CONTINUES = r"(?:[A-Za-z]|[*_]+[^\s*_])"
_LINE_CUT = re.compile(r"\n(?:" + _CUT_BEFORE + f"|(?={_MARKER}|(?:>[ ]?)*{_CONTINUES}|\\|))")
_MARKER_LINE = re.compile(r"( {0,3})(?:([-+*])|[0-9]{1,9}([.)]))[ \t]+\S")
_THEMATIC_BREAK = re.compile(r" {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_JOIN_LINE = re.compile(f"((?:>[ ]?)*){_CONTINUES}")
# A line that could make the one before it a table's header row (or a setext heading).
_DELIMITER_ROW = re.compile(r"[ \t>]*[-:|][-:| \t]*$")
# Inline marks that may open something a later line closes (emphasis, code, link, HTML).
_OPENERS = frozenset("*_`[<")
_LONGEST_ROW = 4096  # a longer line after a cut is taken for a table's delimiter row
_LIST_OPENS = ("bullet_list_open", "ordered_list_open")


def _parser() -> Any:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    parser.block.ruler.before("table", "clauseclf_flat", _flat_block)
    return parser


@dataclass(frozen=True, slots=True)
class _Ending:
    """How a part ends: ``held``, inside a paragraph the next part's first paragraph (or
    setext heading) continues; ``list_continues``, inside a list the next part's first list
    continues; ``table_head``, inside a table the next part's first rows continue (parsed
    after its header and delimiter rows)."""

    held: bool = False
    list_continues: bool = False
    table_head: str = ""  # a table's header and delimiter rows, if its rows go on
    table_cells: int = 0  # the cells its rows so far left out (``_table_rows``)


@dataclass(frozen=True, slots=True)
class _Part:
    """A part's tokens, with how it meets the parts before and after it."""

    tokens: list[Any]
    joined: bool  # its first paragraph continues the paragraph held at the part before's end
    list_before: bool  # its first list continues the last list of the part before
    table_head: str  # parsed before its text: its first table's rows continue the part before's
    ending: _Ending


def _ends_closed(tokens: Sequence[Any], part: str) -> bool:
    """Whether nothing is open at the end of ``part`` (which ends with a line break), as its
    tokens show: its last top-level block is a heading ending there (not a setext heading
    starting with "["), or it ends with a blank line and its last top-level block is not an
    unclosed fence or HTML block."""
    lines = part.count("\n")
    blank = not part[part.rfind("\n", 0, len(part) - 1) + 1 :].strip(" \t\n")  # markdown's
    for position in range(len(tokens) - 1, -1, -1):
        token = tokens[position]
        if token.level == 0 and token.map is not None:
            if token.type == "heading_open" and token.map[1] == lines:
                # (a setext heading's "[" may start a link reference definition's label)
                return token.markup[0] == "#" or not tokens[position + 1].content.startswith("[")
            return blank and not (token.type in ("fence", "html_block") and token.map[1] >= lines)
    return blank


def _heads_table(text: str, line_end: int) -> bool:
    """Whether the line ending at ``line_end`` may be a table's header row: the next line may be
    its delimiter row (so markdown-it's table rule, tried first, takes the line alone)."""
    if line_end >= len(text):
        return False
    after_end = text.find("\n", line_end + 1, line_end + 1 + _LONGEST_ROW)
    if after_end < 0 and len(text) - line_end > _LONGEST_ROW:
        return True
    return bool(_DELIMITER_ROW.match(text, line_end + 1, len(text) if after_end < 0 else after_end))


def _list_ending(
    tokens: Sequence[Any], lines: list[str], last: Any, marker: re.Match[str]
) -> _Ending | None:
    """The ending before ``marker``'s line (a list item's) if the part's last top-level block,
    ``last``, is a list running to its end, the line is not indented into its last item and
    cannot head a table."""
    if last.map[1] != len(lines):
        return None
    item = next(t for t in reversed(tokens) if t.type == "list_item_open" and t.level == 1)
    marker_line = lines[item.map[0]]
    if len(marker.group(1)) > len(marker_line) - len(marker_line.lstrip(" ")):
        return None
    same = marker.group(2) if last.type == "bullet_list_open" else marker.group(3)
    text, start = marker.string, marker.start()
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    if _heads_table(text, line_end):
        return None  # alone, the item's line would be a table's header row
    hr = _THEMATIC_BREAK.match(text, start, line_end)
    return _Ending(list_continues=same == item.markup and hr is None)


def _join_ending(
    tokens: Sequence[Any], lines: list[str], quotes: int, openers: bool
) -> _Ending | None:
    """The ending inside the part's last paragraph, before a line that continues it, if the
    paragraph runs to the part's end inside ``quotes`` block quotes (and nothing else, not
    flattened: ``_flat_block``), holds no hard break, does not start as a link reference
    definition would (which may take in the lines after it), nor follows a line that may be
    one, and (if ``openers``) holds no mark that may open something a later line closes:
    ``_OPENERS``, or "(" right after a link (an inline link's title may go on)."""
    found = len(tokens) - 3 - quotes  # paragraph_open, inline, paragraph_close, quotes' closes
    if found < 0 or tokens[found].type != "paragraph_open":
        return None
    paragraph, inline = tokens[found], tokens[found + 1]
    if paragraph.map[1] != len(lines) or paragraph.level != quotes:
        return None
    if quotes >= _MARKDOWN_FLAT_DEPTH or inline.content.startswith("["):
        return None
    if any(t.type != "blockquote_close" for t in tokens[found + 3 :]):
        return None
    first = paragraph.map[0]
    around = [
        t for t in tokens[:found] if t.nesting == 1 and t.map and t.map[0] <= first < t.map[1]
    ]
    if len(around) != quotes or any(t.type != "blockquote_open" for t in around):
        return None
    last = lines[-1]
    if not last.strip() or last.endswith("  ") or last.rstrip(" \t").endswith("\\"):
        return None  # a hard break (or one markdown-it's strip may hide)
    children = inline.children or []
    if any(child.type == "hardbreak" for child in children):
        return None
    if openers:
        for child, after in zip(children, [*children[1:], None], strict=True):
            marks = child.content if child.type == "text" else ""
            titled = child.type in ("link_close", "image") and after is not None
            if not _OPENERS.isdisjoint(marks) or (
                titled and after.type == "text" and after.content.startswith("(")
            ):
                return None
    before = [t.map[1] for t in tokens[:found] if t.map is not None and t.map[1] <= first]
    since = max([*before, *(t.map[0] for t in around), 0])
    if first > since and lines[first - 1].strip(" \t>"):
        return None  # a line with no token (a link reference definition) just before
    return _Ending(held=True)


def _row_cells(line: str) -> int:
    """The cells of a table row, as markdown-it's table rule counts them."""
    from markdown_it.common.utils import mdTrim
    from markdown_it.rules_block.table import escapedSplit

    cells = escapedSplit(mdTrim(line))
    return len(cells) - (len(cells) > 0 and cells[0] == "") - (len(cells) > 1 and cells[-1] == "")


def _table_rows(tokens: Sequence[Any], lines: list[str], table: int, cells: int) -> tuple[int, int]:
    """The line where the table opened at ``tokens[table]`` would end in the whole document,
    its rows' left-out cells counted from ``cells`` (markdown-it ends a table once they pass
    ``MAX_AUTOCOMPLETED_CELLS``), and the count there."""
    from markdown_it.rules_block.table import MAX_AUTOCOMPLETED_CELLS

    start, end = tokens[table].map
    columns = 0
    for token in tokens[table + 1 :]:
        if token.type == "thead_close":
            break
        columns += token.type == "th_open"
    for row in range(start + 2, end):
        cells += columns - _row_cells(lines[row])
        if cells > MAX_AUTOCOMPLETED_CELLS:
            return row, cells
    return end, cells


def _table_ending(
    tokens: Sequence[Any], lines: list[str], last: int, counted: int | None
) -> _Ending:
    """The ending before a line that starts with "|" when the part's last top-level block,
    ``tokens[last]``, is a table running to its end (``counted``: the left-out cells of the
    part's first table, if it goes on from the part before, counted to the part's end)."""
    table = tokens[last]
    if last == 0 and counted is not None:
        cells = counted
    else:
        _, cells = _table_rows(tokens, lines, last, 0)
    head = lines[table.map[0]] + "\n" + lines[table.map[0] + 1] + "\n"
    return _Ending(table_head=head, table_cells=cells)


def _last_top_level(tokens: Sequence[Any]) -> int:
    """The position of the last top-level token that opens a block (or is one), or -1."""
    return next(
        (i for i in range(len(tokens) - 1, -1, -1) if tokens[i].level == 0 and tokens[i].map),
        -1,
    )


def _ending(
    tokens: Sequence[Any], part: str, text: str, end: int, counted: int | None, openers: bool
) -> _Ending | None:
    """How ``part`` (``text``'s part before ``end``, ending with a line break, after a table's
    head if it goes on from the part before, ``counted`` of its rows left out) may end before
    the line at ``end``, or None if that line may belong to something open (``CHUNK_CHARS``;
    ``openers``: see ``_join_ending``)."""
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    lines = part.removesuffix("\n").split("\n")
    marker = _MARKER_LINE.match(text, end, line_end)
    last = _last_top_level(tokens)
    if marker is not None and last >= 0 and tokens[last].type in _LIST_OPENS:
        return _list_ending(tokens, lines, tokens[last], marker)
    table = last >= 0 and tokens[last].type == "table_open"
    if table and text.startswith("|", end) and tokens[last].map[1] == len(lines):
        return _table_ending(tokens, lines, last, counted)
    if _ends_closed(tokens, part):
        return _Ending()
    join = _JOIN_LINE.match(text, end, line_end)
    if join is None or marker is not None:
        return None
    if _heads_table(text, line_end):
        return None  # the line may head a table, which ends a paragraph
    return _join_ending(tokens, lines, join.group(1).count(">"), openers)


def _parts(
    parser: Any, text: str, size: int, env: dict[str, Any], *, openers: bool = True
) -> Iterator[_Part]:
    """The tokens of ``text`` a part at a time (see ``CHUNK_CHARS``): each part's are freed
    when the next is asked for, if the reader dropped them; ``env`` is shared by the parts.
    Without ``openers`` a paragraph is also cut where an inline mark may still be open: the
    parts then give the link reference definitions of the whole, not its pieces.

    Raises ``DocumentError`` for a part that would be longer than ``MAX_PART_CHARS``.
    """
    start, before = 0, _Ending()
    while start < len(text):
        length, head = size, before.table_head
        while True:
            cut = None
            if start + length < len(text):
                cut = _BLANK_CUT.search(text, start + length, start + 2 * length) or (
                    _LINE_CUT.search(text, start + length, start + MAX_PART_CHARS + 1)
                )
            end = len(text) if cut is None else cut.end()
            if end - start > MAX_PART_CHARS:
                line = text.count("\n", 0, start) + 1
                raise DocumentError(
                    f"Markdown from line {line} on runs over {MAX_PART_CHARS:,} characters with "
                    "no line where it can be read in parts (one block the reader cannot split); "
                    "read the document as plain text (format 'text'; on the command line, "
                    "--input-format text)"
                )
            part = head + text[start:end]
            tokens = parser.parse(part, env)
            counted = None
            if head:
                lines = part.removesuffix("\n").split("\n")
                stop, counted = _table_rows(tokens, lines, 0, before.table_cells)
                if stop < tokens[0].map[1]:  # the whole's table ends there: so does the part
                    end = start + sum(len(line) + 1 for line in lines[:stop]) - len(head)
                    part = head + text[start:end]
                    tokens = parser.parse(part, env)
                    ending = _Ending()
                    break
            found = _Ending() if cut is None else _ending(tokens, part, text, end, counted, openers)
            if found is not None:
                ending = found
                break
            del tokens  # freed before the longer part is parsed
            length *= 2
        yield _Part(tokens, before.held, before.list_continues, head, ending)
        del tokens  # freed before the next part is parsed
        start, before = end, ending


def iter_markdown_pieces(text: str, *, chunk_chars: int = CHUNK_CHARS) -> Iterator[Piece]:
    """``markdown_pieces`` made a part at a time as they are read: the pieces of a part are
    made when the first of them is asked for."""
    parser = _parser()
    text = _NEWLINES.sub("\n", text)
    env: dict[str, Any] = {}
    if len(text) > chunk_chars and "]:" in text:
        # a link may use a definition made further down: collect them all first
        for _ in _parts(parser, text, chunk_chars, env, openers=False):
            pass
    collector = Collector()
    for part in _parts(parser, text, chunk_chars, env):
        _collect(part, collector)
        del part  # freed before the next part is parsed
        yield from collector.pieces
        collector.pieces.clear()


def markdown_pieces(text: str, *, chunk_chars: int = CHUNK_CHARS) -> list[Piece]:
    """The block pieces (kind, level, text) of a Markdown document, in document order; a long
    one is parsed ``chunk_chars`` characters at a time (the pieces are the same)."""
    return list(iter_markdown_pieces(text, chunk_chars=chunk_chars))


def _collect(part: _Part, collector: Collector) -> None:
    """Add the pieces of a part's markdown-it tokens to ``collector``; the text of a paragraph
    held at its end stays in the collector for the next part's first paragraph or heading."""
    tokens = part.tokens
    if not tokens:  # (only reference definitions)
        return
    context: list[tuple[BlockKind, int]] = [("paragraph", 0)]
    numbered_headings = _numbered_headings(tokens)
    if part.list_before and tokens[0].type == "ordered_list_open":
        numbered_headings.discard(1)  # the list goes on from the part before
    last = _last_top_level(tokens)
    if part.ending.list_continues and tokens[last].type == "ordered_list_open":
        numbered_headings.discard(last + 1)  # the list goes on in the next part
    joined = part.joined
    first = next(t for t in tokens if t.type != "blockquote_open")
    if joined and first.type not in ("paragraph_open", "heading_open"):
        # (the cut line did not go on with the paragraph: it ends there, as in the whole)
        collector.flush("paragraph", 0)
        joined = False
    held = len(tokens) - 1 if part.ending.held else -1  # the held paragraph's inline token
    while held >= 0 and tokens[held].type != "inline":
        held -= 1
    head = 0  # past the table head parsed before the part's text: its rows go on
    if part.table_head:
        head = next(i for i, t in enumerate(tokens) if t.type == "thead_close") + 1
    for position, token in enumerate(tokens[head:], head):
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
            if joined:
                collector.add(" ")  # the line break the cut fell on
                joined = False
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    collector.add(child.content)
                elif child.type == "softbreak":
                    collector.add(" ")
                elif child.type == "hardbreak":
                    collector.flush(*context[-1])
                elif child.type == "image":
                    collector.add(child.content)
            if position != held:
                collector.flush(*context[-1])
        elif token.type in ("fence", "code_block"):
            for line in token.content.splitlines():
                collector.add(line)
                collector.flush("paragraph", 0)
        elif token.type == "html_block":
            collector.pieces.extend(html_pieces(token.content))
