"""Rule-based clause splitting of policy text: the one segmentation algorithm of clauseclf.

The algorithm works on character offsets only (no tokenizer), so it runs at several million
characters per second:

1. *Blocks* come from :mod:`clauseclf.extraction`: for plain text its lines, hard-wrapped lines
   re-joined (:func:`~clauseclf.extraction.plain_blocks`), bullet / enumeration lines as list
   items; for HTML and Markdown the document's own block structure.
2. *Headings.* A block is a heading if the extractor says so (``<h1>``-``<h6>``, Markdown
   headings) or, for paragraph blocks, if it is a short line without sentence punctuation that is
   numbered, ALL CAPS or Title Case and is followed by more content
   (:func:`~clauseclf.extraction.is_heading_line`).
   Headings are not clauses; they become the ``heading`` of the clauses below them.
3. *Sentences.* Every other block is split at ``.``, ``!``, ``?`` (plus closing quotes/brackets)
   followed by whitespace, with cheap checks on the candidates: abbreviations ("e.g.", "No.",
   "Sec.", "U.S.", initials), a leading list number ("1. Introduction"), and a lower-case or
   punctuation continuation veto the split. Semicolons never split: inline enumerations
   "(a) ...; (b) ..." stay one clause (as in the CLAUDETTE gold sentences), while enumerations
   laid out one item per line are separate clauses (also as in the gold).
4. *Run-ons.* A clause longer than ``MAX_CLAUSE_CHARS`` (5,000 characters, far beyond any real
   sentence; the encoder reads only its first ~1,000 anyway) is cut at the last whitespace
   before the limit (or at the limit when there is none), so that one unpunctuated wall of text
   cannot become a single unreadable, mostly unclassified clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

from clauseclf.extraction import Block, is_heading_line, iter_plain_blocks, strip_span

__all__ = ["MAX_CLAUSE_CHARS", "ClauseSplitter", "Unit", "with_last"]

MAX_CLAUSE_CHARS = 5000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Unit:
    """A raw splitter unit: a clause, a heading, or a section-number label such as ``1.1.``.

    Only clauses become segments; headings become their ``heading``; labels are dropped.
    """

    start: int
    end: int
    kind: Literal["clause", "heading", "label"]


_WORD = re.compile(r"[^\W\d_][\w'\u2019&-]*")
# A sentence-final candidate: terminal punctuation, optional closers, then whitespace. It
# starts only at the first mark of a run and never backtracks (possessive), so a long run of
# marks without whitespace costs one pass, not one pass per mark.
_CANDIDATE = re.compile(r"(?<![.!?])[.!?]++[\"'”\u2019)\]]*+(?=\s)")
# A section number with a final period opening a block ("1.1. The Service ...").
_LABEL = re.compile(r"\d{1,3}(?:\.\d{1,3})*\.(?=\s+[^\W\d_(\"“])")
_NEXT = re.compile(r"\s+(\S)")
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "i.e",
        "etc.al",
        "cf",
        "vs",
        "v",
        "no",
        "nos",
        "sec",
        "secs",
        "art",
        "arts",
        "para",
        "paras",
        "p",
        "pp",
        "ch",
        "chap",
        "cl",
        "fig",
        "figs",
        "approx",
        "est",
        "incl",
        "excl",
        "ref",
        "refs",
        "vol",
        "vols",
        "ed",
        "eds",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ave",
        "blvd",
        "rd",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "tel",
        "ph",
        "fax",
        "ext",
        "dept",
        "div",
        "govt",
        "assn",
        "u.s",
        "u.k",
        "u.s.a",
        "e.u",
        "n.a",
        "a.k.a",
        "p.o",
        "viz",
        "resp",
        "corp",
        "co",
    ]
)
# Company suffixes and the like: a split only if an ordinary sentence start follows.
_WEAK_ABBREVIATIONS = frozenset(
    [
        "inc",
        "ltd",
        "llc",
        "plc",
        "gmbh",
        "s.a",
        "s.r.l",
        "b.v",
        "n.v",
        "ag",
        "pte",
        "pty",
        "l.p",
        "lp",
    ]
)
_SENTENCE_STARTERS = frozenset(
    [
        "a",
        "all",
        "also",
        "an",
        "and",
        "any",
        "as",
        "at",
        "before",
        "by",
        "each",
        "every",
        "for",
        "from",
        "however",
        "if",
        "in",
        "it",
        "its",
        "no",
        "nothing",
        "our",
        "please",
        "some",
        "such",
        "that",
        "the",
        "their",
        "there",
        "these",
        "this",
        "those",
        "to",
        "under",
        "unless",
        "we",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "you",
        "your",
    ]
)
_MAX_WORD_CHARS = 64  # longer "words" are neither abbreviations nor section numbers
_INITIALS = re.compile(r"(?:[A-Za-z]\.){2,}$|[A-Z]\.$")
_LEADING_NUMBER = re.compile(r"(?:\d+(?:\.\d+)*|[A-Za-z]|[IVXivx]+)\.$")


def _is_boundary(text: str, block_start: int, punct_start: int, after: int) -> bool:
    """Whether the candidate ending at ``after`` (punctuation from ``punct_start``) splits."""
    nxt = _NEXT.match(text, after)
    if nxt is None:
        return False
    follower = nxt.group(1)
    if follower.islower() or follower in ",;:%)]}":
        return False
    if text[punct_start] != ".":
        return True
    # The word before the period; look back a bounded window so splitting stays linear.
    window = max(block_start, punct_start - _MAX_WORD_CHARS)
    word_start = 1 + max(
        text.rfind(" ", window, punct_start),
        text.rfind("\n", window, punct_start),
        text.rfind("\t", window, punct_start),
        window - 1,
    )
    word = text[word_start : punct_start + 1].lstrip("(\"'“\u2018[")
    if word_start == block_start and _LEADING_NUMBER.match(word):
        return False  # "1. Introduction", "a. the first item"
    bare = word.rstrip(".").lower()
    if bare in _ABBREVIATIONS:
        return False
    if bare in _WEAK_ABBREVIATIONS or _INITIALS.search(word):
        following = _WORD.match(text, nxt.start(1))
        return following is not None and following.group().lower() in _SENTENCE_STARTERS
    return not (follower.isdigit() and bare in {"section", "clause", "article", "para"})


def _clause_units(text: str, start: int, end: int) -> list[Unit]:
    """``text[start:end]`` stripped as one clause, or as several if it exceeds the limit."""
    units: list[Unit] = []
    s, e = strip_span(text, start, end)
    while e - s > MAX_CLAUSE_CHARS:
        limit = s + MAX_CLAUSE_CHARS
        cut = max(text.rfind(" ", s, limit), text.rfind("\n", s, limit), text.rfind("\t", s, limit))
        cut = cut if cut > s + MAX_CLAUSE_CHARS // 2 else limit
        piece_start, piece_end = strip_span(text, s, cut)
        units.append(Unit(piece_start, piece_end, "clause"))
        s, e = strip_span(text, cut, e)
    if e > s:
        units.append(Unit(s, e, "clause"))
    return units


def _sentence_units(text: str, start: int, end: int) -> Iterator[Unit]:
    """``ClauseSplitter.split_sentences``, one unit at a time."""
    cursor = start
    label = _LABEL.match(text, start, end)
    if label is not None:
        yield Unit(start, label.end(), "label")
        cursor = label.end()
    for m in _CANDIDATE.finditer(text, start, end):
        if m.end() >= end or not _is_boundary(text, start, m.start(), m.end()):
            continue
        yield from _clause_units(text, cursor, m.end())
        cursor = m.end()
    yield from _clause_units(text, cursor, end)


def with_last(items: Iterable[T]) -> Iterator[tuple[T, bool]]:
    """Each of ``items`` with whether it is the last, reading one item ahead."""
    ahead = iter(items)
    for item in ahead:
        for following in ahead:
            yield item, False
            item = following
        yield item, True


class ClauseSplitter:
    """Split text into clause and heading units by the rules in this module's docstring.

    Stateless and cheap to build; ``split`` is the text-level method shared by
    :func:`clauseclf.segmentation.segment` and the spaCy component.
    """

    def split_blocks(self, text: str, blocks: Iterable[Block]) -> list[Unit]:
        """Units of ``text`` given its blocks (headings first decided per block)."""
        return [unit for units in self.block_units(text, blocks) for unit in units]

    def block_units(self, text: str, blocks: Iterable[Block]) -> Iterator[Iterable[Unit]]:
        """The units of each block of ``text`` in turn: ``split_blocks`` a block at a time, each
        block's units made as they are read (a block of a million sentences is never held as a
        million units). ``blocks`` is read one block ahead of the units given (a paragraph is a
        heading only if a block follows), so an iterator of blocks is never held whole."""
        for block, last in with_last(blocks):
            yield self.units(text, block, last=last)

    def units(self, text: str, block: Block, *, last: bool) -> Iterable[Unit]:
        """The units of ``block`` of ``text``, made as they are read; ``last``: no block
        follows it (a heading-like paragraph is then a clause)."""
        if block.kind == "heading" or (
            block.kind == "paragraph"
            and not last
            and is_heading_line(text[block.start : block.end])
        ):
            return [Unit(block.start, block.end, "heading")]
        return _sentence_units(text, block.start, block.end)

    def split_sentences(self, text: str, start: int, end: int) -> list[Unit]:
        """Clause units inside one block ``text[start:end]``."""
        return list(_sentence_units(text, start, end))

    def split(self, text: str) -> list[Unit]:
        """Units of plain ``text`` (offsets into ``text``)."""
        return self.split_blocks(text, iter_plain_blocks(text))
