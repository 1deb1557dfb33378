"""The types extraction produces (``Block``, ``ExtractedDocument``) and the assembly shared by
the HTML and Markdown readers: a ``Collector`` gathers inline text into ``Piece``s, and
``from_pieces`` joins them into one text with a ``Block`` per piece (``placed_pieces``: the
blocks one at a time with their texts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Block",
    "BlockKind",
    "Collector",
    "ExtractedDocument",
    "Piece",
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


class ExtractedDocument:
    """Extracted text, the resolved format ("text", "html", "markdown") and its blocks in order.

    ``blocks`` is given as the blocks or as a function that makes them one at a time (plain
    text's, so that segmentation can stop at a limit without making them all):
    ``iter_blocks()`` yields them without keeping them, the ``blocks`` attribute is their tuple,
    made on first read and kept. Immutable; equal when the text, format and blocks are.
    """

    __slots__ = ("_blocks", "format", "text")

    text: str
    format: str
    _blocks: tuple[Block, ...] | Callable[[], Iterator[Block]]

    def __init__(
        self, text: str, format: str, blocks: Iterable[Block] | Callable[[], Iterator[Block]]
    ) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "format", format)
        object.__setattr__(self, "_blocks", blocks if callable(blocks) else tuple(blocks))

    @property
    def blocks(self) -> tuple[Block, ...]:
        """The blocks in order (made on first read when they come from a function)."""
        if callable(self._blocks):
            object.__setattr__(self, "_blocks", tuple(self._blocks()))
        return self._blocks  # type: ignore[return-value]

    def iter_blocks(self) -> Iterator[Block]:
        """The blocks in order; made as they are read if they come from a function and
        ``blocks`` was not read yet (then none is kept)."""
        return self._blocks() if callable(self._blocks) else iter(self._blocks)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ExtractedDocument is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ExtractedDocument is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[type[ExtractedDocument], tuple[str, str, tuple[Block, ...]]]:
        return (ExtractedDocument, (self.text, self.format, self.blocks))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExtractedDocument):
            return NotImplemented
        return (self.text, self.format, self.blocks) == (other.text, other.format, other.blocks)

    def __hash__(self) -> int:
        return hash((self.text, self.format, self.blocks))

    def __repr__(self) -> str:
        return (
            f"ExtractedDocument(text={self.text!r}, format={self.format!r}, blocks={self.blocks!r})"
        )


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


class Collector:
    """Accumulates inline text into the current block; ``flush`` closes the block."""

    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self._buffer: list[str] = []

    def add(self, text: str | None) -> None:
        """Append ``text`` (nothing for None or empty) to the current block."""
        if text:
            self._buffer.append(text)

    def flush(self, kind: BlockKind, level: int) -> None:
        """Close the current block as a ``kind`` piece of ``level`` (dropped if only spaces)."""
        if self._buffer:
            content = " ".join("".join(self._buffer).split())
            self._buffer.clear()
            if content:
                self.pieces.append((kind, level, content))
