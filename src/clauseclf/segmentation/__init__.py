"""Split platform policies (plain text, HTML, Markdown) into clauses with exact offsets.

``segment`` / ``segment_document`` run the rule-based :class:`ClauseSplitter` directly on the
characters, without spaCy: going through spaCy's tokenizer would cost far more than the splitting
itself (the plain path runs at several million characters per second). The spaCy component
(:mod:`clauseclf.segmentation.spacy_component`, factory ``"clauseclf_segmenter"``) calls the same
:func:`segment_document` and only maps the resulting offsets onto tokens.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from clauseclf.errors import ClauseLimitError
from clauseclf.extraction import (
    FORMATS,
    Block,
    Piece,
    TextJoiner,
    iter_pieces,
    iter_plain_blocks,
    more_blocks_than,
    placed_pieces,
    resolve_format,
)
from clauseclf.segmentation.splitter import ClauseSplitter, Unit, with_last

__all__ = ["FORMATS", "Segment", "SegmentedDocument", "segment", "segment_document"]

_SPLITTER = ClauseSplitter()


@dataclass(frozen=True, slots=True)
class Segment:
    """One clause: ``text == document_text[start:end]``, stripped, with its section heading."""

    start: int
    end: int
    text: str
    heading: str | None


@dataclass(frozen=True)
class SegmentedDocument:
    """The text the offsets refer to (extracted text for HTML/Markdown), its format, its clauses."""

    text: str
    format: str
    segments: tuple[Segment, ...]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block, as it was after (also on an
    error). For loops that make many objects and no reference cycles: each object they keep
    would otherwise be scanned again by every full collection they set off, which made
    segmenting a million one-character sentences superlinear. Memory freed by reference
    counting is freed as before."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _segments(
    blocks: Iterable[tuple[str, int, Iterable[Unit]]], max_clauses: int | None = None
) -> tuple[Segment, ...]:
    """The clauses of each block's units in turn: ``(text, shift, units)``, units of ``text``
    whose offsets are shifted by ``shift`` in the document (units are dropped once read: only
    the segments stay); ``ClauseLimitError`` as soon as there are more than ``max_clauses``.
    Runs with the garbage collector paused: no object made here refers back to another."""
    heading: str | None = None
    out: list[Segment] = []
    with _collector_paused():
        for text, shift, units in blocks:
            for unit in units:
                piece = text[unit.start : unit.end]
                if unit.kind == "heading":
                    heading = " ".join(piece.split())
                elif unit.kind == "clause":
                    if max_clauses is not None and len(out) >= max_clauses:
                        raise ClauseLimitError(max_clauses)
                    out.append(Segment(unit.start + shift, unit.end + shift, piece, heading))
        return tuple(out)


def _piece_units(
    pieces: Iterable[Piece], joined: TextJoiner
) -> Iterator[tuple[str, int, Iterable[Unit]]]:
    """The units of each piece (HTML, Markdown) split on its own text, with the offset of that
    text in the joined document (``placed_pieces``); each text is written to ``joined``, after
    a blank line but for the first (no list of a million small texts to join at the end)."""
    for (block, content), last in with_last(placed_pieces(pieces)):
        if block.start:
            joined.write("\n\n")
        joined.write(content)
        own = Block(0, len(content), block.kind, block.level)
        yield content, block.start, _SPLITTER.units(content, own, last=last)


def segment_document(
    text: str, *, format: str = "auto", max_clauses: int | None = None
) -> SegmentedDocument:
    """Extract ``text`` (``format``: "auto", "text", "html" or "markdown") and split it.

    Headings are not clauses: they are left out of ``segments`` and given as the ``heading`` of
    the clauses under them. Empty or blank text gives no segments. Raises ``TypeError`` for a
    non-str ``text`` and ``ValueError`` for an unknown ``format``; ``ClauseLimitError`` as soon as
    it finds more than ``max_clauses`` clauses (None: no limit), without extracting or splitting
    the rest (an HTML document read through lxml's tree is parsed whole first; one that
    certainly has more blocks that are not headings than that is refused without a tree:
    ``extraction.more_blocks_than``); ``DocumentError`` for HTML nested too deeply even when
    flattened, and for Markdown with no place to cut within ``markdown.MAX_PART_CHARS``.
    """
    resolved = resolve_format(text, format)
    if resolved == "text":
        blocks = iter_plain_blocks(text)  # made as read: a refusal stops making them
        units = ((text, 0, units) for units in _SPLITTER.block_units(text, blocks))
        return SegmentedDocument(text, "text", _segments(units, max_clauses))
    if resolved == "html" and max_clauses is not None and more_blocks_than(text, max_clauses):
        raise ClauseLimitError(max_clauses)  # known without lxml's tree of the document
    # Each block split on its own text is split as in the joined text: a block is stripped,
    # has no line break, and the splitter looks no further than its block's ends.
    joined = TextJoiner()
    segments = _segments(_piece_units(iter_pieces(text, resolved), joined), max_clauses)
    return SegmentedDocument(joined.getvalue(), resolved, segments)


def segment(text: str, *, format: str = "auto") -> list[Segment]:
    """The clauses of ``text``; see :func:`segment_document` (offsets refer to its ``text``)."""
    return list(segment_document(text, format=format).segments)
