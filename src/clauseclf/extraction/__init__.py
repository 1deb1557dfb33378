"""Turn plain text, HTML or Markdown into text plus structural blocks for segmentation.

* Plain text: the extracted text *is* the input (offsets are offsets into it). Blocks are its
  lines, with hard-wrapped lines re-joined and bullet / enumeration lines marked as list items
  (``iter_plain_blocks`` makes them one at a time, as segmentation reads them).
* HTML (lxml): ``script``, ``style``, ``noscript``, ``template``, ``head``, comments and
  processing instructions are dropped; headings (``h1``-``h6``), list items, paragraphs, ``div``
  and other block elements, table cells and ``br`` line breaks each start a new block. Whitespace
  inside a block is collapsed; blocks are separated by a blank line in the extracted text.
* Markdown (markdown-it-py, CommonMark + tables): ATX and setext headings, list items, paragraphs,
  table cells; emphasis and code marks are removed, links and images keep their text.

Deeply nested or malformed HTML is handled without recursion, and every step is linear.

Modules: ``blocks`` (``Block``, ``ExtractedDocument`` and the piece assembly shared by HTML and
Markdown), ``plain`` (plain-text blocks, ``iter_plain_blocks``, ``is_heading_line``,
``strip_span``), ``html`` (also ``more_blocks_than``), ``markdown``, ``core``
(``detect_format``, ``extract``, ``resolve_format``, ``iter_pieces``). Everything public is
re-exported here: import from ``clauseclf.extraction``.
"""

from __future__ import annotations

from clauseclf.extraction.blocks import (
    Block,
    BlockKind,
    ExtractedDocument,
    Piece,
    TextJoiner,
    placed_pieces,
)
from clauseclf.extraction.core import FORMATS, detect_format, extract, iter_pieces, resolve_format
from clauseclf.extraction.html import more_blocks_than
from clauseclf.extraction.plain import (
    is_heading_line,
    iter_plain_blocks,
    plain_blocks,
    strip_span,
)

__all__ = [
    "FORMATS",
    "Block",
    "BlockKind",
    "ExtractedDocument",
    "Piece",
    "TextJoiner",
    "detect_format",
    "extract",
    "is_heading_line",
    "iter_pieces",
    "iter_plain_blocks",
    "more_blocks_than",
    "placed_pieces",
    "plain_blocks",
    "resolve_format",
    "strip_span",
]
