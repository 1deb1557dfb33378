"""Plain text: the extracted text *is* the input (offsets are offsets into it). Blocks are its
lines, with hard-wrapped lines re-joined and bullet / enumeration lines marked as list items;
``is_heading_line`` judges whether a line looks like a section heading."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from clauseclf.extraction.blocks import Block, BlockKind

__all__ = ["is_heading_line", "iter_plain_blocks", "plain_blocks", "strip_span"]


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


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) of each line of ``text`` that is not blank, stripped, in order."""
    for m in _LINE.finditer(text):
        start, end = strip_span(text, m.start(), m.end())
        if end > start:
            yield start, end


def _is_wrapped(text: str) -> bool:
    """Whether ``text`` counts as hard-wrapped (see ``plain_blocks``); one pass over its lines,
    nothing kept."""
    lines = continuations = 0
    previous: tuple[int, int] | None = None
    for line in _lines(text):
        lines += 1
        if (
            previous is not None
            and text[line[0]].islower()
            and not _WRAP_PUNCT.search(text, previous[0], previous[1])
        ):
            continuations += 1
        previous = line
    return lines >= 5 and continuations * 5 >= lines


def iter_plain_blocks(text: str) -> Iterator[Block]:
    """``plain_blocks(text)`` made one block at a time as they are read: a first pass over the
    lines decides whether the text is hard-wrapped, a second yields the blocks; neither keeps
    the lines, so a million one-word lines cost no more memory than one."""
    wrapped = _is_wrapped(text)
    lines = _lines(text)
    first = next(lines, None)
    if first is None:
        return
    start, end = first
    for nxt in lines:
        if _continues(text, (start, end), nxt, wrapped):
            end = nxt[1]
            continue
        yield _plain_block(text, start, end)
        start, end = nxt
    yield _plain_block(text, start, end)


def plain_blocks(text: str) -> list[Block]:
    """Blocks of plain text: lines, hard-wrapped lines re-joined, bullet lines as list items.

    A document counts as hard-wrapped when at least a fifth of its lines are followed by a line
    that continues them (no punctuation at the end, lower case at the start of the next); then
    any unpunctuated line that is not a heading is joined with the next. Otherwise only lines of
    40+ characters ending in a lower-case word or comma and followed by a lower-case line are.
    ``iter_plain_blocks`` gives the same blocks one at a time.
    """
    return list(iter_plain_blocks(text))
