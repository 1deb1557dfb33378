"""Turn plain text, HTML or Markdown into text plus structural blocks for segmentation.

* Plain text: the extracted text *is* the input (offsets are offsets into it). Blocks are its
  lines, with hard-wrapped lines re-joined and bullet / enumeration lines marked as list items.
* HTML (lxml): ``script``, ``style``, ``noscript``, ``template``, ``head``, comments and
  processing instructions are dropped; headings (``h1``-``h6``), list items, paragraphs, ``div``
  and other block elements, table cells and ``br`` line breaks each start a new block. Whitespace
  inside a block is collapsed; blocks are separated by a blank line in the extracted text.
* Markdown (markdown-it-py, CommonMark + tables): ATX and setext headings, list items, paragraphs,
  table cells; emphasis and code marks are removed, links and images keep their text.

Deeply nested or malformed HTML is handled without recursion, and every step is linear.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from clauseclf._html_attributes import _trim_attributes
from clauseclf.errors import DocumentError

__all__ = [
    "FORMATS",
    "Block",
    "BlockKind",
    "ExtractedDocument",
    "detect_format",
    "extract",
    "is_heading_line",
    "plain_blocks",
    "strip_span",
]

FORMATS = ("auto", "text", "html", "markdown")

BlockKind = Literal["heading", "paragraph", "list_item"]


@dataclass(frozen=True)
class Block:
    """A structural block ``text[start:end]`` (stripped); ``level`` is 1-6 for headings, else 0."""

    start: int
    end: int
    kind: BlockKind
    level: int = 0


@dataclass(frozen=True)
class ExtractedDocument:
    """Extracted text, the resolved format ("text", "html", "markdown") and its blocks in order."""

    text: str
    format: str
    blocks: tuple[Block, ...]


# --------------------------------------------------------------------------- format detection

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


def extract(text: str, *, format: str = "auto") -> ExtractedDocument:
    """Extract ``text`` as ``format`` ("auto", "text", "html", "markdown").

    Raises ``TypeError`` if ``text`` is not a str and ``ValueError`` for an unknown ``format``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if not isinstance(format, str) or format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    resolved = detect_format(text) if format == "auto" else format
    if resolved == "html":
        return _from_pieces(_html_pieces(text), "html")
    if resolved == "markdown":
        return _from_pieces(_markdown_pieces(text), "markdown")
    return ExtractedDocument(text, "text", tuple(plain_blocks(text)))


# --------------------------------------------------------------------------- plain text

_LINE = re.compile(r"[^\r\n]+")
_WRAP_PUNCT = re.compile(r"[.!?:;][\"'”\u2019)\]]*$")
_AND_OR_END = re.compile(r";\s*(?:and|or)$")
_BULLET = re.compile(
    r"[-*•·◦▪●○■□\u2013—>]\s|"  # symbol bullets
    r"\(?(?:[a-zA-Z]|[ivxIVX]{1,5}|\d{1,3})\)\s|"  # (a) a) (iv) 3)
    r"(?:\d{1,3}|[a-z])\.\s"  # 1. a.
)
_LIST_MARKER = re.compile(r"[-*•·◦▪●○■□\u2013—>]\s|\(?(?:[a-zA-Z]|[ivxIVX]{1,5})\)\s|[a-z]\.\s")
_SECTION_NUMBER = re.compile(
    r"(?:(?:section|article|part|chapter|clause|schedule|appendix|annex|§)\s*)?"
    r"(?:\d+(?:\.\d+)*\.?|[A-Z]\.|[IVXLC]+\.|\(?[a-zA-Z0-9]{1,4}\))(?=\s|$)",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(
    r"(?:last\s+(?:updated|modified|revised|amended)|effective|updated|revised|posted|version|"
    r"date)\b",
    re.IGNORECASE,
)
_HEADING_END = re.compile(r"[.!?;:,]$")
_MAX_HEADING_CHARS = 150
_TAIL = 256  # characters at the end of a block that decide whether the next line continues it
_WORD = re.compile(r"[^\W\d_][\w'\u2019&-]*")
_MINOR = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "if",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "per",
        "the",
        "to",
        "under",
        "upon",
        "via",
        "vs",
        "with",
        "your",
        "our",
        "their",
        "its",
        "my",
        "this",
        "that",
        "these",
        "those",
        "not",
    ]
)


_NON_SPACE = re.compile(r"\S")


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` to exclude surrounding whitespace, in time proportional to the
    whitespace removed (not to the span: cutting a long line piece by piece stays linear)."""
    first = _NON_SPACE.search(text, start, end)
    if first is None:
        return end, end
    left = first.start()
    # Look back from ``end`` in doubling windows until one holds a non-space character.
    window = 16
    while True:
        low = max(left, end - window)
        stripped = len(text[low:end].rstrip())
        if stripped or low == left:
            return left, low + stripped
        window *= 2


def _is_title_case(words: Sequence[str]) -> bool:
    significant = [w for w in words if w.lower() not in _MINOR]
    if not significant:
        return False
    capitalised = sum(1 for w in significant if w[0].isupper())
    return capitalised * 3 >= len(significant) * 2


def is_heading_line(line: str, *, strict: bool = False) -> bool:
    """Whether a stripped single line looks like a section heading.

    Short (<= 14 words, <= 150 characters), no sentence punctuation at the end (a bare number
    "4." or an ALL CAPS "ARBITRATION." may end with a period), not a bullet, starting with a capital
    or digit, and numbered ("4.2", "Section 5", "(a)"), ALL CAPS or Title Case; with
    ``strict=False`` any such line of up to 6 words also counts. Date lines ("Last updated ...")
    are never headings.
    """
    if not line or len(line) > _MAX_HEADING_CHARS:
        return False
    number = _SECTION_NUMBER.match(line)
    rest = line[number.end() :].strip() if number else line
    if not rest:
        return number is not None  # a bare section number
    if number is None and _BULLET.match(line):
        return False
    words = _WORD.findall(rest)
    if not words or len(words) > 14 or _DATE_LINE.match(rest):
        return False
    all_caps = "".join(words).isupper()
    if _HEADING_END.search(rest) and not (rest.endswith(".") and all_caps and len(words) <= 8):
        return False
    first = rest[0]
    if not (first.isupper() or first.isdigit() or first in "\"'“\u2018("):
        return False
    if number is not None or all_caps or _is_title_case(words):
        return True
    return not strict and len(words) <= 6


def _continues(text: str, a: tuple[int, int], b: tuple[int, int], wrapped: bool) -> bool:
    """Whether line ``b`` continues line ``a`` (a hard wrap), given the document's wrap mode."""
    gap = text[a[1] : b[0]]
    if gap.count("\n") > 1 or gap.count("\r") > 1:
        return False  # a blank line separates them
    # ``a`` may be a block of many joined lines: look only at its end (its tail), so that joining
    # stays linear in the length of the block.
    length = a[1] - a[0]
    tail = text[max(a[0], a[1] - _TAIL) : a[1]]
    if _WRAP_PUNCT.search(tail) or _BULLET.match(text, b[0]):
        return False
    if wrapped:
        return length > _MAX_HEADING_CHARS or not is_heading_line(tail, strict=True)
    if not text[b[0]].islower() or length < 40:
        return False
    last = tail[-1]
    return (last.islower() or last == ",") and not _AND_OR_END.search(tail)


def _plain_block(text: str, start: int, end: int) -> Block:
    # Numbered lines ("1. ...", "4.2 ...") stay paragraphs: they are often section headings.
    kind: BlockKind = "list_item" if _LIST_MARKER.match(text, start) else "paragraph"
    return Block(start, end, kind)


def plain_blocks(text: str) -> list[Block]:
    """Blocks of plain text: lines, hard-wrapped lines re-joined, bullet lines as list items.

    A document counts as hard-wrapped when at least a fifth of its lines are followed by a line
    that continues them (no punctuation at the end, lower case at the start of the next); then
    any unpunctuated line that is not a heading is joined with the next. Otherwise only lines of
    40+ characters ending in a lower-case word or comma and followed by a lower-case line are.
    """
    lines = []
    for m in _LINE.finditer(text):
        start, end = strip_span(text, m.start(), m.end())
        if end > start:
            lines.append((start, end))
    if not lines:
        return []
    continuations = sum(
        1
        for a, b in itertools.pairwise(lines)
        if text[b[0]].islower() and not _WRAP_PUNCT.search(text[a[0] : a[1]])
    )
    wrapped = len(lines) >= 5 and continuations * 5 >= len(lines)
    blocks: list[Block] = []
    start, end = lines[0]
    for nxt in lines[1:]:
        if _continues(text, (start, end), nxt, wrapped):
            end = nxt[1]
            continue
        blocks.append(_plain_block(text, start, end))
        start, end = nxt
    blocks.append(_plain_block(text, start, end))
    return blocks


# --------------------------------------------------------------------------- shared assembly

# A piece is (kind, level, words-text); consecutive pieces become blocks separated by "\n\n".
_Piece = tuple[BlockKind, int, str]


def _from_pieces(pieces: list[_Piece], format: str) -> ExtractedDocument:
    parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    for kind, level, content in pieces:
        if not content:
            continue
        if parts:
            parts.append("\n\n")
            offset += 2
        parts.append(content)
        blocks.append(Block(offset, offset + len(content), kind, level))
        offset += len(content)
    return ExtractedDocument("".join(parts), format, tuple(blocks))


class _Collector:
    """Accumulates inline text into the current block; ``flush`` closes the block."""

    def __init__(self) -> None:
        self.pieces: list[_Piece] = []
        self._buffer: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self._buffer.append(text)

    def flush(self, kind: BlockKind, level: int) -> None:
        if self._buffer:
            content = " ".join("".join(self._buffer).split())
            self._buffer.clear()
            if content:
                self.pieces.append((kind, level, content))


# --------------------------------------------------------------------------- HTML

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


def _html_pieces(text: str) -> list[_Piece]:
    from lxml import etree

    if not text.strip():
        return []
    root = _parse_html(text)
    if root is None:
        return []
    for element in list(root.iter(*_DROP_TAGS, etree.Comment, etree.ProcessingInstruction)):
        parent = element.getparent()
        if parent is not None:
            # keep the tail text, drop the element and its content
            previous = element.getprevious()
            if element.tail:
                if previous is not None:
                    previous.tail = (previous.tail or "") + element.tail
                else:
                    parent.text = (parent.text or "") + element.tail
            parent.remove(element)

    collector = _Collector()
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
    collector.flush(*context[-1])
    return collector.pieces


# --------------------------------------------------------------------------- Markdown


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


def _markdown_pieces(text: str) -> list[_Piece]:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"maxNesting": _MARKDOWN_MAX_NESTING}).enable("table")
    parser.block.ruler.before("table", "clauseclf_flat", _flat_block)
    collector = _Collector()
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
            collector.pieces.extend(_html_pieces(token.content))
    return collector.pieces
