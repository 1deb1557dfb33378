"""The types extraction produces (``Block``, ``ExtractedDocument``) and the assembly shared by
the HTML and Markdown readers: a ``Collector`` gathers inline text into ``Piece``s, and
``from_pieces`` joins them into one text with a ``Block`` per piece (``placed_pieces``: the
blocks one at a time with their texts)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Block",
    "BlockKind",
    "Collector",
    "ExtractedDocument",
    "Piece",
    "TextJoiner",
    "from_pieces",
    "placed_pieces",
]

BlockKind = Literal["heading", "paragraph", "list_item"]


@dataclass(frozen=True, slots=True)
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


#: A piece is (kind, level, words-text); consecutive pieces become blocks separated by "\n\n".
Piece = tuple[BlockKind, int, str]


def placed_pieces(pieces: Iterable[Piece]) -> Iterator[tuple[Block, str]]:
    """Each non-empty piece as its ``Block`` in the text ``from_pieces`` joins (the pieces
    separated by blank lines) and its text, made as they are read."""
    offset = 0
    for kind, level, content in pieces:
        if not content:
            continue
        if offset:
            offset += 2  # the "\n\n" before every piece but the first
        yield Block(offset, offset + len(content), kind, level), content
        offset += len(content)


def from_pieces(pieces: Iterable[Piece], format: str) -> ExtractedDocument:
    """Join the non-empty pieces with blank lines into one text, a ``Block`` for each."""
    parts: list[str] = []
    blocks: list[Block] = []
    for block, content in placed_pieces(pieces):
        parts.append(content)
        blocks.append(block)
    return ExtractedDocument("\n\n".join(parts), format, tuple(blocks))


class TextJoiner:
    """Texts written one after another, joined into one str at the end: a few thousand at a
    time are joined as written, so that a million small texts are never all held as objects
    (``io.StringIO`` holds up to 100,000 of them, 5x the text for short ones)."""

    _BATCH = 4096

    def __init__(self) -> None:
        self._joined: list[str] = []
        self._batch: list[str] = []

    def write(self, text: str) -> None:
        """Add ``text`` after those written so far."""
        self._batch.append(text)
        if len(self._batch) >= self._BATCH:
            self._joined.append("".join(self._batch))
            self._batch.clear()

    def getvalue(self) -> str:
        """Every text written, in order, as one str."""
        self._joined.append("".join(self._batch))
        self._batch.clear()
        return "".join(self._joined)


class Collector:
    """Accumulates inline text into the current block; ``flush`` closes the block. The texts
    of a long block are joined (their whitespace made single spaces) a few thousand at a
    time, so that neither they nor the block's words are ever all held as objects."""

    _BATCH = 4096

    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self._buffer: list[str] = []
        self._joined: list[str] = []  # the block's words so far, their spaces made single
        self._space = False  # whether whitespace followed the words joined so far

    def add(self, text: str | None) -> None:
        """Append ``text`` (nothing for None or empty) to the current block."""
        if text:
            self._buffer.append(text)
            if len(self._buffer) >= self._BATCH:
                self._join()

    def _join(self) -> None:
        raw = "".join(self._buffer)
        self._buffer.clear()
        words = " ".join(raw.split())
        if words:
            if self._joined and (self._space or raw[0].isspace()):
                self._joined.append(" ")
            self._joined.append(words)
        self._space = (self._space and not words) or (bool(raw) and raw[-1].isspace())

    def flush(self, kind: BlockKind, level: int) -> None:
        """Close the current block as a ``kind`` piece of ``level`` (its runs of whitespace
        made one space; dropped if only spaces)."""
        if self._buffer:
            self._join()
        content = "".join(self._joined)
        self._joined.clear()
        self._space = False
        if content:
            self.pieces.append((kind, level, content))
