"""HTML (lxml) -> pieces: ``script``, ``style``, ``noscript``, ``template``, ``head``, comments
and processing instructions are dropped; headings (``h1``-``h6``), list items, paragraphs,
``div`` and other block elements, table cells and ``br`` line breaks each start a new block.
Whitespace inside a block is collapsed. Deeply nested or malformed HTML is handled without
recursion. Markup dense enough for lxml's tree to take over 10x the document (a million
headings or empty elements: 25x or more) is read from lxml's parser events instead, its pieces
kept compact (``_event_pieces``)."""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from clauseclf._html_attributes import _trim_attributes
from clauseclf.errors import DocumentError
from clauseclf.extraction.blocks import BlockKind, Collector, Piece, TextJoiner
from clauseclf.extraction.plain import is_heading_line

__all__ = ["html_pieces", "iter_html_pieces", "more_blocks_than"]


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
    """``text`` with every tag not in ``kept`` removed: block tags become ``<br>``. Its parts
    are joined a batch at a time (``TextJoiner``), never all held as objects at once."""
    flat, end = TextJoiner(), 0
    for match in _ANY_TAG.finditer(text):
        tag = match.group(2).lower()
        if tag not in kept:
            flat.write(text[end : match.start()])
            if tag in _BLOCK_TAGS:
                flat.write("<br>")
            end = match.end()
    flat.write(text[end:])
    return flat.getvalue()


def _flattenings(text: str) -> Iterator[str]:
    """``text`` with its attributes trimmed, then flattened by each of ``_FLATTENINGS`` in
    turn: the texts parsed until one is within libxml2's depth limit."""
    text = _trim_attributes(text)
    yield text
    for kept in _FLATTENINGS:
        text = _flattened(text, kept)
        yield text


#: libxml2's depth limit (``huge_tree``): lxml's tree stops at an element nested deeper
#: (ERR_RESOURCE_LIMIT); its parser events go on, so a parser target counts the depth.
_MAX_DEPTH = 2048
_TOO_DEEP = (
    "HTML is nested too deeply to parse (past libxml2's limit of 2048 levels, even with every "
    "tag but those of dropped content such as <script> and <svg> flattened)"
)


def _resource_limit(parser: Any) -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def _parse_html(text: str) -> Any:
    """Parse HTML with lxml; nesting beyond libxml2's limit is flattened first.

    Raises ``DocumentError`` if the document still cannot be parsed within the limit.
    """
    from lxml import etree

    for flat in _flattenings(text):
        parser = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True, recover=True
        )
        root = etree.fromstring(flat.encode("utf-8", "surrogatepass"), parser)
        if not _resource_limit(parser):
            return root
    raise DocumentError(_TOO_DEEP)


# Control characters lxml parses but refuses to set as text (ValueError): text joined around a
# dropped element gets a space in their place (most of them are whitespace to ``str.split``).
_UNSETTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _settable(text: str) -> str:
    return _UNSETTABLE.sub(" ", text)


# A start tag of a block element (or one libxml2 may drop a text's run into): counted first, so
# that only a document with enough of them for a limit is read twice (``more_blocks_than``).
_BLOCK_START = re.compile(
    "<(?:" + "|".join(sorted(_BLOCK_TAGS, key=len, reverse=True)) + r")(?=[\s/>])", re.IGNORECASE
)


class _EventTarget:
    """An lxml parser target making the pieces ``html_pieces`` makes from the tree, from the
    parser's events, without a tree: the same flushes and text (dropped elements' content
    skipped, text joined around a dropped element made ``_settable``). Each flush hands its
    pieces to ``_take``."""

    def __init__(self) -> None:
        self.collector = Collector()
        self.context: list[tuple[BlockKind, int]] = [("paragraph", 0)]
        self.dropped = 0  # depth inside a dropped element
        self.depth = 0  # elements open
        # The text since the last start or end of an element not dropped: in the tree, one text
        # or tail, joined with the tails of the dropped elements in it (``_settable`` once one
        # of those tails is not empty: ``joined``; ``tail``: a dropped element just ended).
        self.text: list[str] = []
        self.joined = self.tail = False

    def _take(self, pieces: list[Piece]) -> None:
        raise NotImplementedError

    def _flush(self) -> None:
        self.collector.flush(*self.context[-1])
        self._take(self.collector.pieces)
        self.collector.pieces.clear()

    def _end_text(self) -> None:
        if self.text:
            for text in self.text:
                self.collector.add(_settable(text) if self.joined else text)
            self.text.clear()
            self.joined = False
        self.tail = False

    def start(self, tag: str, attrib: object) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:  # where lxml's tree stops: the parse stops too
            raise DocumentError(_TOO_DEEP)
        tag = tag.lower()
        self.tail = False
        if self.dropped or tag in _DROP_TAGS:
            self.dropped += 1
            return
        self._end_text()
        if tag in _BLOCK_TAGS:
            self._flush()
            if tag in _HEADING_TAGS:
                self.context.append(("heading", _HEADING_TAGS[tag]))
            elif tag == "li":
                self.context.append(("list_item", 0))
            else:
                self.context.append(self.context[-1])

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.dropped:
            self.dropped -= 1
            self.tail = not self.dropped
            return
        self._end_text()
        if tag.lower() in _BLOCK_TAGS:
            self._flush()
            if len(self.context) > 1:
                self.context.pop()

    def data(self, text: str) -> None:
        if not self.dropped and text:
            self.text.append(text)
            self.joined = self.joined or self.tail

    def close(self) -> None:
        self._end_text()
        self._flush()


class _BlockCounter(_EventTarget):
    """Counts the pieces that are not headings."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def _take(self, pieces: list[Piece]) -> None:
        for kind, _, content in pieces:
            if kind == "list_item" or (kind == "paragraph" and not is_heading_line(content)):
                self.count += 1


def more_blocks_than(text: str, limit: int) -> bool:
    """Whether the HTML ``text`` certainly has more than ``limit`` blocks that are not headings
    (each of which ``segment_document`` splits into one clause or more), read without a tree.

    A document with at most ``limit // 2`` block start tags is not read (its answer is almost
    always False). Raises ``DocumentError`` as ``html_pieces`` does (nested too deeply).
    """
    if text.count("<") <= limit // 2 or sum(1 for _ in _BLOCK_START.finditer(text)) <= limit // 2:
        return False
    counter = _parse_events(text, _BlockCounter)
    return counter is not None and counter.count > limit


_Target = TypeVar("_Target", bound=_EventTarget)


def _parse_events(text: str, make: Callable[[], _Target]) -> _Target | None:
    """A target from ``make`` fed the HTML ``text``'s parser events, without a tree, the text
    flattened as ``_parse_html`` flattens it when nested deeper than ``_MAX_DEPTH`` (the target
    stops the parse there); None if the parser reports a resource limit (the tree's pieces may
    then differ).

    Raises ``DocumentError`` as ``_parse_html`` does.
    """
    from lxml import etree

    for flat in _flattenings(text):
        target = make()
        parser = etree.HTMLParser(
            target=cast(Any, target),  # lxml's stubs want str | bytes arguments: HTML's are str
            encoding="utf-8",
            remove_comments=True,
            remove_pis=True,
            huge_tree=True,
            recover=True,
        )
        try:
            etree.fromstring(flat.encode("utf-8", "surrogatepass"), parser)
        except DocumentError:  # nested deeper than _MAX_DEPTH
            continue
        return None if _resource_limit(parser) else target
    raise DocumentError(_TOO_DEEP)


_KINDS: tuple[BlockKind, ...] = ("heading", "paragraph", "list_item")
_KIND_CODES = {kind: code for code, kind in enumerate(_KINDS)}


class _PieceTarget(_EventTarget):
    """Keeps the pieces compact (their texts in one buffer, a length and a kind each), so a
    million ``<h2>Fee</h2>`` cost a few bytes a heading instead of lxml's tree."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = TextJoiner()
        self.lengths = array("q")
        self.kinds = bytearray()  # _KINDS index * 8 + level

    def _take(self, pieces: list[Piece]) -> None:
        for kind, level, content in pieces:
            self.texts.write(content)
            self.lengths.append(len(content))
            self.kinds.append(_KIND_CODES[kind] * 8 + level)

    def pieces(self) -> Iterator[Piece]:
        """The pieces gathered, in document order, each text made as it is asked for."""
        texts, offset = self.texts.getvalue(), 0
        for length, code in zip(self.lengths, self.kinds, strict=True):
            yield _KINDS[code >> 3], code & 7, texts[offset : offset + length]
            offset += length


#: HTML with fewer characters than this per "<" is read from the parser's events: lxml's tree
#: takes some 65-175 bytes per tag, over 10x such a document (a few percent of real policies).
#: Others are read from the tree, which is faster (the pieces are the same).
_DENSE_CHARS_PER_TAG = 24


def _event_pieces(text: str) -> _PieceTarget | None:
    """The pieces of ``text`` read from lxml's parser events (``_PieceTarget``; ``None``: see
    ``_parse_events``). Raises ``DocumentError`` as ``_parse_html`` does."""
    return _parse_events(text, _PieceTarget)


def html_pieces(text: str) -> list[Piece]:
    """The block pieces (kind, level, text) of an HTML document, in document order."""
    return list(iter_html_pieces(text))


def iter_html_pieces(text: str) -> Iterator[Piece]:
    """``html_pieces`` made as they are read (the document is parsed whole first, from the
    parser's events where they give the tree's pieces: ``_event_pieces``)."""
    from lxml import etree

    if not text or text.isspace():  # (no stripped copy of a long document)
        return
    events = _event_pieces(text) if text.count("<") * _DENSE_CHARS_PER_TAG > len(text) else None
    if events is not None:
        yield from events.pieces()
        return
    root = _parse_html(text)
    if root is None:
        return
    # libxml2 puts what follows "</html>" in another root element, a sibling of the first
    roots = [root, *root.itersiblings()]
    dropped = (*_DROP_TAGS, etree.Comment, etree.ProcessingInstruction)
    for element in [e for top in roots for e in top.iter(*dropped)]:
        parent = element.getparent()
        if parent is not None:
            # keep the tail text, drop the element and its content
            previous = element.getprevious()
            if element.tail:
                if previous is not None:
                    previous.tail = _settable((previous.tail or "") + element.tail)
                else:
                    parent.text = _settable((parent.text or "") + element.tail)
            parent.remove(element)

    collector = Collector()
    # Stack of (kind, level) for open blocks; the innermost decides a flushed block's kind.
    context: list[tuple[BlockKind, int]] = [("paragraph", 0)]
    walks = (etree.iterwalk(top, events=("start", "end")) for top in roots)
    for event, element in itertools.chain.from_iterable(walks):
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
        if collector.pieces:
            yield from collector.pieces
            collector.pieces.clear()
    collector.flush(*context[-1])
    yield from collector.pieces
