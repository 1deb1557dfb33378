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
from clauseclf.extraction import FORMATS, extract
from clauseclf.segmentation.splitter import ClauseSplitter, Unit

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
    text: str, blocks: Iterable[Iterable[Unit]], max_clauses: int | None = None
) -> tuple[Segment, ...]:
    """The clauses of the units of each block in turn (units are dropped once read: only the
    segments stay); ``ClauseLimitError`` as soon as there are more than ``max_clauses``. Runs
    with the garbage collector paused: no object made here refers back to another."""
    heading: str | None = None
    out: list[Segment] = []
    with _collector_paused():
        for units in blocks:
            for unit in units:
                piece = text[unit.start : unit.end]
                if unit.kind == "heading":
                    heading = " ".join(piece.split())
                elif unit.kind == "clause":
                    if max_clauses is not None and len(out) >= max_clauses:
                        raise ClauseLimitError(max_clauses)
                    out.append(Segment(unit.start, unit.end, piece, heading))
        return tuple(out)


def segment_document(
    text: str, *, format: str = "auto", max_clauses: int | None = None
) -> SegmentedDocument:
    """Extract ``text`` (``format``: "auto", "text", "html" or "markdown") and split it.

    Headings are not clauses: they are left out of ``segments`` and given as the ``heading`` of
    the clauses under them. Empty or blank text gives no segments. Raises ``TypeError`` for a
    non-str ``text`` and ``ValueError`` for an unknown ``format``; ``ClauseLimitError`` as soon as
    it finds more than ``max_clauses`` clauses (None: no limit), without splitting the rest (nor,
    for plain text, making the rest's blocks).
    """
    extracted = extract(text, format=format)
    units = _SPLITTER.block_units(extracted.text, extracted.iter_blocks())
    segments = _segments(extracted.text, units, max_clauses)
    return SegmentedDocument(extracted.text, extracted.format, segments)


def segment(text: str, *, format: str = "auto") -> list[Segment]:
    """The clauses of ``text``; see :func:`segment_document` (offsets refer to its ``text``)."""
    return list(segment_document(text, format=format).segments)
