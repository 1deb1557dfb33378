"""Segmentation of hostile inputs stays linear: runs of periods, one huge line, an element with
very many attributes (issue 23, item 7), setext-like lines (Markdown parsed a part at a time,
with the pieces of the whole), a block of very many sentences (no garbage-collector passes over
the segments, units never held for the whole block), a document over a clause limit refused
before the rest of it is extracted (blocks split as they are extracted, as in the whole
extracted text), documents of very many headings or empty blocks (few clauses, so no limit
applies) read in a small multiple of their size. Sizes are small; bounds are generous."""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clauseclf._html_attributes import MAX_HTML_ATTRIBUTES, _trim_attributes
from clauseclf.errors import DocumentError
from clauseclf.extraction import strip_span
from clauseclf.segmentation import segment_document
from clauseclf.segmentation.splitter import MAX_CLAUSE_CHARS

T = TypeVar("T")


def _seconds(make: Callable[[], object]) -> float:
    """Seconds ``make`` takes. The collector's passes over the objects it makes count; those
    over the objects the test process held before (frozen for the call) do not: in a full
    suite they made a 5x input take 11x longer."""
    gc.collect()
    gc.freeze()
    try:
        started = time.perf_counter()
        make()
        return time.perf_counter() - started
    finally:
        gc.unfreeze()


def _offsets_rebuild(text: str) -> None:
    document = segment_document(text)
    for s in document.segments:
        assert document.text[s.start : s.end] == s.text


def test_a_run_of_periods_without_whitespace_is_linear() -> None:
    small = _seconds(lambda: segment_document("." * 50_000))
    large = _seconds(lambda: segment_document("." * 200_000))
    # quadratic: 16x and minutes (10k periods took 6 s); linear: about 4x and well under a second
    assert large < 5
    assert large < 10 * max(small, 0.01)
    _offsets_rebuild("Fees apply." + "." * 20_000 + " Refunds! " + "?!" * 5000 + " End.")


def test_strip_span_costs_the_whitespace_it_removes_not_the_span() -> None:
    text = "  " + "x" * 5_000_000 + "  "
    assert strip_span(text, 0, len(text)) == (2, len(text) - 2)
    assert strip_span(" \n\t ", 0, 4) == (4, 4)
    assert strip_span("a  b", 1, 3) == (3, 3)
    assert strip_span("  ab  ", 1, 5) == (2, 4)
    # the old version copied the span: 2,000 calls copied 10 GB
    assert _seconds(lambda: [strip_span(text, 0, len(text)) for _ in range(2000)]) < 0.5


def test_one_long_line_is_cut_with_exact_offsets() -> None:
    line = ("word " * 400_000).strip()
    document = segment_document(line)
    assert len(document.segments) >= len(line) // MAX_CLAUSE_CHARS
    assert all(len(s.text) <= MAX_CLAUSE_CHARS for s in document.segments)
    _offsets_rebuild(line)
    _offsets_rebuild("x" * 60_000)


def _crowded(count: int, attribute: str = 'a{}="1"') -> str:
    attributes = " ".join(attribute.format(i) for i in range(count))
    return f"<html><body><p {attributes}>Fees apply.</p><p>Refunds are final.</p></body></html>"


def test_an_element_with_many_attributes_parses_in_linear_time() -> None:
    # libxml2 alone: 20k attributes 1.3 s, 40k 14 s
    elapsed = _seconds(lambda: segment_document(_crowded(100_000)))
    assert elapsed < 3
    for attribute in ('a{}=">"', "b{}='<p x=1>'", "c{}", "d{}=x/"):
        texts = [s.text for s in segment_document(_crowded(5000, attribute)).segments]
        assert texts == ["Fees apply.", "Refunds are final."]


def test_trimming_keeps_the_first_attributes_and_leaves_ordinary_html_alone() -> None:
    ordinary = (
        "<p class=\"a>b\" id=x data-y='q' disabled/>x<a href=foo>y</a>"
        '<img alt="<p>">z<p a="unterminated'
    )
    assert _trim_attributes(ordinary) == ordinary
    trimmed = _trim_attributes(_crowded(MAX_HTML_ATTRIBUTES + 50))
    assert trimmed.count("=") == MAX_HTML_ATTRIBUTES
    assert trimmed.endswith('a255="1">Fees apply.</p><p>Refunds are final.</p></body></html>')
    exact = _crowded(MAX_HTML_ATTRIBUTES)
    assert _trim_attributes(exact) == exact


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(['<p a="', "<p ", " b=1", "'", '"', ">", "x", " ", "/"])))
def test_trimming_never_changes_a_tag_within_the_limit(pieces: list[str]) -> None:
    text = "".join(pieces)
    if text.count(" ") + text.count("/") + text.count('"') + text.count("'") < MAX_HTML_ATTRIBUTES:
        assert _trim_attributes(text) == text


# Markdown that exercises every way a part could end inside something still open: fences and
# HTML blocks over blank lines, lists, quotes, tables, setext headings, reference definitions
# used above them, Windows line ends.
_MARKDOWN_BITS = [
    "Title\n", "=====\n", "-----\n", "\n", "We may share data. You agree.\n", "> quote\n",
    "- item\n", "  indented\n", "```\n", "~~~\n", "   ```\n", "> ```\n", "- ```\n", "<!--\n",
    "-->\n", "<div>\n", "</div>\n", "<pre>\n", "</pre>\n", "<?x\n", "?>\n", "<![CDATA[\n",
    "]]>\n", "# Head\n", "1. Disputes\n", "[a]: /url\n", "see [a] link\n", "[b]:\n/u\n",
    "    code\n", "| a | b |\n", "|---|---|\n", "Word\n", "x\n==\n", "A\r\n", "\r\n",
    "\tTabbed\n", "* * *\n", "\u00a0\n", "\f\n", " \t\n",
    # lines a long list, quote or paragraph is cut before, and what may make the cut wrong
    "- Fee.\n", "+ Fee.\n", " - Fee.\n", "   * Fee.\n", "2. Fee.\n", "1) Fee.\n", "- - -\n",
    "  - Fee.\n", "    - Fee.\n", "> Fee.\n", "> > Fee.\n", ">> Fee.\n", ">Fee.\n", "> - Fee.\n",
    "Fee.  \n", "Fee.\\\n", "Fee *a\n", "b* fee\n", "a `b\n", "c` d\n", "a [b\n", "c](/u) d\n",
    "a <b\n", "c> d\n", "a | b\n", "--|--\n", "===\n", "[c]: /u\n", "'t\n", "u'\n",
    "\\* x\n", "&lt; y\n", "2. Disputes\n", "1. Fees\n",
    # table rows a long table is cut before
    "| c |\n", "|\n", "| a | b | c |\n", "|c\\|d|\n", "| - |\n", "|:-:|--|\n", "| x |  \n",
]  # fmt: skip


def _parts_agree(text: str) -> None:
    from clauseclf.extraction.markdown import markdown_pieces

    whole = markdown_pieces(text, chunk_chars=len(text) + 1)
    for size in (1, 3, 7, 40, 300):
        assert markdown_pieces(text, chunk_chars=size) == whole, size


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_MARKDOWN_BITS), max_size=60))
def test_markdown_parsed_in_parts_gives_the_pieces_of_the_whole(bits: list[str]) -> None:
    _parts_agree("".join(bits))


@pytest.mark.parametrize(
    "text",
    [
        # a link reference definition whose destination or title is on the next line
        "[terms]:\nhttps://example.com/terms\n\nSee [terms].\n",
        "[terms]: https://example.com/t 'Terms\nof use'\n\nSee [terms].\n",
        "[a]:\nx",
        # alone, a list item's line followed by a delimiter row is a table
        "- a\n- b | c\n--|--\n",
        "1. Disputes\n2. b | c\n--|--\n",
        # paragraphs of blocks nested past markdown-it's limit (kept flat)
        ">" * 18 + " Fee\n" + ">" * 18 + "\n" + ">" * 18 + " Word\n",
        ">" * 18 + " Fee\x0c\n" + ">" * 18 + " Word\n",
        # a setext heading's text that is a definition's label in the whole
        "[a\n==\nb]: /u\n",
        # an inline link's title over two lines, its label also a definition
        "See [terms](/t 'Terms\nof use') now.\n\n[terms]: /t\n",
    ],
)
def test_markdown_parts_agree_with_the_whole_on(text: str) -> None:
    _parts_agree(text)


def test_markdown_paragraphs_after_definitions_or_with_forward_links_are_cut(monkeypatch) -> None:
    from clauseclf.extraction import markdown

    monkeypatch.setattr(markdown, "MAX_PART_CHARS", 4096)
    after_definition = "[a]: /u\n\n" + "Fee.\n" * 2000
    assert len(markdown.markdown_pieces(after_definition, chunk_chars=1000)) == 1
    # the first pass, which collects the definitions, cuts where "[data]" is not yet a link
    forward = "We may share [data].\n" * 400 + "\n[data]: /d\n"
    assert markdown.markdown_pieces(forward, chunk_chars=1000) == [
        ("paragraph", 0, " ".join(["We may share data."] * 400))
    ]


def test_markdown_documents_parsed_in_parts_are_segmented_as_a_whole() -> None:
    from conftest import EXAMPLE_POLICY

    policy = EXAMPLE_POLICY.read_text(encoding="utf-8")
    sections = [
        f"Part {i}\n======\n\nWe may share data {i}. See [terms].\n\n- one\n- two\n\n"
        f"```\ncode {i}\n\nstill code\n```\n\n<!-- note\n\nstill a comment -->\n\n1. Disputes\n\n"
        f"| a | b |\n|---|---|\n| c | d |\n\n> quoted\nlazy line\n\nText after.\n\n"
        for i in range(30)
    ]
    for text in (policy, "# Terms\n\n" + policy, "".join(sections) + "\n[terms]: /t\n"):
        _parts_agree(text)
    document = segment_document("".join(sections) + "\n[terms]: /t\n", format="markdown")
    texts = [s.text for s in document.segments]
    assert len(texts) == 30 * 12 and texts[:2] == ["We may share data 0.", "See terms."]
    assert texts[4:6] == ["code 0", "still code"]
    assert texts[10:12] == ["quoted lazy line", "Text after."]
    for s in document.segments:
        assert document.text[s.start : s.end] == s.text


def _record_parse_sizes(monkeypatch, *, of_text: bool = False) -> list[int]:
    """From now on, the number of tokens (or ``of_text``, characters) of each markdown-it
    parse, in a list (the parts a Markdown document is parsed in)."""
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    parse = MarkdownIt.parse
    sizes: list[int] = []

    def counted(
        self: MarkdownIt, src: str, env: MutableMapping[str, Any] | None = None
    ) -> list[Token]:
        tokens = parse(self, src, env)
        sizes.append(len(src) if of_text else len(tokens))
        return tokens

    monkeypatch.setattr(MarkdownIt, "parse", counted)
    return sizes


def test_setext_like_lines_are_parsed_a_bounded_part_at_a_time(monkeypatch) -> None:
    text = "a\n==\n" * 50_000  # 250 KB of one-letter setext headings, no blank line
    small = _seconds(lambda: segment_document("a\n==\n" * 10_000))
    sizes = _record_parse_sizes(monkeypatch)
    large = _seconds(lambda: segment_document(text))
    # markdown-it's tokens take some 300x the text: the whole document's were 310x its size
    # at once; a part at a time, the tokens held at once stay the same for any length
    assert len(sizes) > 10 and max(sizes) < 20_000 < sum(sizes)
    assert large < 10 * max(small, 0.01)  # linear: about 5x


@pytest.mark.parametrize(
    ("unit", "pieces"),
    [
        ("- Fee.\n", 20_000),  # one list, no blank line between its items
        ("12. Fee.\n", 20_000),
        ("   * Fee.\n", 20_000),
        ("Fee.\n", 1),  # one paragraph of 20,000 lines
        ("> Fee.\n", 1),  # one quoted paragraph
        ("> > *Fee.*\n", 1),
    ],
)
def test_one_long_list_quote_or_paragraph_is_parsed_a_bounded_part_at_a_time(
    monkeypatch, unit: str, pieces: int
) -> None:
    from clauseclf.extraction.markdown import CHUNK_CHARS, markdown_pieces

    sizes = _record_parse_sizes(monkeypatch, of_text=True)
    text = unit * 20_000
    found = markdown_pieces(text)
    # whole, markdown-it's tokens took 100-300x the text (100,000 items: 308x); in parts, the
    # text parsed at once (and its tokens) stays the same for any length, and the pieces are
    # those of the whole
    assert len(sizes) > 4 and max(sizes) <= 2 * CHUNK_CHARS and sum(sizes) >= len(text)
    assert len(found) == pieces
    assert {text for _, _, text in found} == {"Fee." if pieces > 1 else " ".join(["Fee."] * 20_000)}


def test_one_long_table_is_parsed_a_bounded_part_at_a_time(monkeypatch) -> None:
    from clauseclf.extraction.markdown import CHUNK_CHARS, markdown_pieces

    text = "| Cookie | Purpose |\n|---|---|\n" + "| _ga | Fee. |\n" * 10_000 + "After.\n"
    whole = markdown_pieces(text, chunk_chars=len(text) + 1)
    sizes = _record_parse_sizes(monkeypatch, of_text=True)
    # each part after the first is parsed after the table's head (its pieces left out)
    assert markdown_pieces(text) == whole
    assert len(sizes) > 4 and max(sizes) <= 2 * CHUNK_CHARS + 40
    assert len(whole) == 2 + 2 * 10_000 + 1 and whole[-3:] == [
        ("paragraph", 0, "_ga"),
        ("paragraph", 0, "Fee."),
        ("paragraph", 0, "After."),
    ]


def test_a_table_cut_in_parts_ends_where_markdown_it_ends_it() -> None:
    from clauseclf.extraction.markdown import markdown_pieces

    # markdown-it ends a table once its rows leave out more than 65,536 cells: here at the
    # 626th row of "|" (100 cells left out each, after 30 rows leaving out 99); the rows after
    # it are one paragraph
    head = "|" + " h |" * 100 + "\n|" + "---|" * 100 + "\n"
    text = head + "| a |\n" * 30 + "|\n" * 700 + "| b |\n" * 30
    whole = markdown_pieces(text, chunk_chars=len(text) + 1)
    assert whole[-1] == ("paragraph", 0, " ".join(["|"] * 75 + ["| b |"] * 30))
    for size in (50, 300, 2_000):
        assert markdown_pieces(text, chunk_chars=size) == whole, size


def test_markdown_that_cannot_be_cut_within_the_longest_part_is_refused(monkeypatch) -> None:
    from clauseclf.extraction import markdown

    monkeypatch.setattr(markdown, "MAX_PART_CHARS", 4096)
    text = "# Fees\n\nOne.\n\n" + "Fee *\n" * 2000  # a "*" that might open emphasis: no cut
    with pytest.raises(
        DocumentError,
        match=r"from line 1 on runs over 4,096 characters.*format 'text'.*--input-format text",
    ):
        markdown.markdown_pieces(text, chunk_chars=1000)
    assert len(markdown.markdown_pieces("Fee.\n" * 2000, chunk_chars=1000)) == 1  # cut, joined


def test_control_characters_after_a_dropped_element_are_kept_as_spaces() -> None:
    # lxml parses a form feed after a <script> but raised ValueError when the text around the
    # dropped element was joined
    document = segment_document("<p>Fees<script>x()</script> apply\x0cnow.</p><p>Refunds\x01.</p>")
    assert [s.text for s in document.segments] == ["Fees apply now.", "Refunds\x01."]
    markdown = "Intro text.\n\n<pre>\n\x0b\n</pre>\n<div>a<style>b</style>\x0cc</div>\n"
    assert [s.text for s in segment_document(markdown).segments] == ["Intro text.", "a c"]


def test_a_million_sentences_set_off_no_full_collection() -> None:
    text = ". " * 300_000  # 300,000 one-character sentences
    generations: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            generations.append(info["generation"])

    gc.collect()  # what the process holds counts as long-lived: new objects decide
    gc.callbacks.append(record)
    try:
        segments = segment_document(text).segments
    finally:
        gc.callbacks.remove(record)
    assert len(segments) == 300_000
    # each full collection scanned every segment made so far: superlinear (13.6x for 10x)
    assert 2 not in generations
    assert gc.isenabled()


def test_the_collector_is_restored_after_segmenting(monkeypatch) -> None:
    import clauseclf.segmentation as segmentation

    class Failing:
        def __init__(self, *args: object) -> None:
            assert not gc.isenabled()  # paused while segments are made
            raise RuntimeError("made to fail")

    assert [s.text for s in segment_document("Fees apply. Refunds too.").segments] == [
        "Fees apply.",
        "Refunds too.",
    ]
    assert gc.isenabled()
    monkeypatch.setattr(segmentation, "Segment", Failing)
    try:
        segment_document("Fees apply.")
    except RuntimeError as exc:
        assert str(exc) == "made to fail"
    assert gc.isenabled()  # also after an error
    gc.disable()
    try:
        monkeypatch.undo()
        assert len(segment_document("Fees apply. Refunds too.").segments) == 2
        assert not gc.isenabled()  # left off when it was off
    finally:
        gc.enable()


def _traced_peak(run: Callable[[], T]) -> tuple[T, int]:
    """What ``run()`` returns, and the peak of the memory traced while it ran."""
    import tracemalloc

    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _refusal_peak(run: Callable[[], object]) -> int:
    """The peak of the memory traced while ``run()`` raised ``ClauseLimitError``."""
    from clauseclf.errors import ClauseLimitError

    def refused() -> None:
        with pytest.raises(ClauseLimitError):
            run()

    return _traced_peak(refused)[1]


def test_a_block_of_many_sentences_is_not_held_as_units() -> None:
    text = ". " * 100_000
    segments, peak = _traced_peak(lambda: segment_document(text).segments)
    assert len(segments) == 100_000
    # the segments take about 68 bytes per character here; with the block's units held too
    # the peak was 102
    assert peak < 85 * len(text)


def test_plain_blocks_past_a_clause_limit_are_never_made(monkeypatch) -> None:
    from clauseclf.errors import ClauseLimitError
    from clauseclf.extraction import plain

    made: list[int] = []
    block = plain._plain_block

    def counted(*args: Any) -> Any:
        made.append(1)
        return block(*args)

    monkeypatch.setattr(plain, "_plain_block", counted)
    text = "Fee.\n\n" * 10_000
    with pytest.raises(ClauseLimitError, match="more than 100 clauses"):
        segment_document(text, format="text", max_clauses=100)
    # the 101st clause's block, and the one read ahead of it (is it the last block?)
    assert len(made) == 102  # not 10,000: the blocks were made as segmentation read them
    made.clear()
    assert len(segment_document(text, format="text", max_clauses=10_000).segments) == 10_000
    assert len(made) == 10_000


def test_a_plain_document_over_a_clause_limit_is_refused_in_bounded_memory() -> None:

    text = "Fee.\n\n" * 200_000  # 1.2 MB
    peak = _refusal_peak(lambda: segment_document(text, format="text", max_clauses=1_000))
    # every line's offsets and block held took 25x the text (tuples of Block: 150 MB for a
    # million lines); now the blocks are made as read and the pass deciding the wrap holds none
    assert peak < 0.5 * len(text), f"{peak / len(text):.1f}x the text"


def _segments_of_the_extracted_text(text: str, format: str) -> list[tuple[int, int, str, Any]]:
    """The segments as they were made before blocks were split as they were extracted: the
    whole document extracted, then its blocks split in the joined text."""
    from clauseclf.extraction import extract
    from clauseclf.segmentation.splitter import ClauseSplitter

    extracted = extract(text, format=format)
    heading, out = None, []
    for unit in ClauseSplitter().split_blocks(extracted.text, extracted.blocks):
        piece = extracted.text[unit.start : unit.end]
        if unit.kind == "heading":
            heading = " ".join(piece.split())
        elif unit.kind == "clause":
            out.append((unit.start, unit.end, piece, heading))
    return out


def _split_as_extracted(text: str, format: str) -> None:
    from clauseclf.extraction import extract

    document = segment_document(text, format=format)
    assert document.text == extract(text, format=format).text
    got = [(s.start, s.end, s.text, s.heading) for s in document.segments]
    assert got == _segments_of_the_extracted_text(text, format)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_MARKDOWN_BITS), max_size=40))
def test_markdown_split_block_by_block_is_split_as_its_extracted_text(bits: list[str]) -> None:
    _split_as_extracted("".join(bits), "markdown")


_HTML_BITS = [
    "<h2>Fees</h2>", "<p>We sell data. You agree.</p>", "<p>LAST HEADING</p>", "<li>Item one",
    "<br>", "Tail text. ", "<script>x()</script>", "<div>", "</div>", "<td>Cell. Two.</td>",
    "<h1>", "</h1>", "1. Disputes", "e.g. this. ", "<pre>a\n\nb</pre>", "\x0c", "<!-- c -->",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_HTML_BITS), max_size=40))
def test_html_split_block_by_block_is_split_as_its_extracted_text(bits: list[str]) -> None:
    _split_as_extracted("".join(bits), "html")


def test_documents_split_block_by_block_are_split_as_their_extracted_texts() -> None:
    from conftest import EXAMPLE_POLICY

    policy = EXAMPLE_POLICY.read_text(encoding="utf-8")
    for format in ("markdown", "html", "text"):
        _split_as_extracted(policy, format)
    paragraphs = "".join(
        f"<h3>Part {i}</h3><p>{line}</p>" for i, line in enumerate(policy.split("\n"))
    )
    _split_as_extracted(f"<html><body>{paragraphs}<p>CLOSING WORDS</p></body></html>", "html")


@pytest.mark.parametrize(
    ("format", "unit", "bound"), [("markdown", "Fee.\n\n", 6), ("html", "<p>Fee.</p>", 4)]
)
def test_a_document_over_a_clause_limit_is_refused_before_its_rest_is_extracted(
    format: str, unit: str, bound: float
) -> None:

    text = unit * 200_000  # 1.2 MB of Markdown, 2.2 MB of HTML
    segment_document(unit * 3, format=format)  # imports and caches are not the document's
    peak = _refusal_peak(lambda: segment_document(text, format=format, max_clauses=1_000))
    # Markdown: one part's tokens (every piece of the document was made first: 48x its size);
    # HTML: lxml's tree (not traced here) is whole, but the pieces and blocks not (26x before)
    assert peak < bound * len(text), f"{peak / len(text):.1f}x the document"


def _blocks_counted(text: str) -> int:
    """The blocks ``more_blocks_than`` counts (not headings, read without a tree)."""
    from clauseclf.extraction import more_blocks_than

    low, high = -1, 2 * len(text) + 2  # more_blocks_than(text, high) is False
    while high - low > 1:  # the least limit it is False for is the count
        middle = (low + high) // 2
        low, high = (middle, high) if more_blocks_than(text, middle) else (low, middle)
    return high


def _blocks_not_headings(text: str) -> int:
    from clauseclf.extraction import is_heading_line
    from clauseclf.extraction.html import html_pieces

    return sum(
        1
        for kind, _, content in html_pieces(text)
        if kind == "list_item" or (kind == "paragraph" and not is_heading_line(content))
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_HTML_BITS), max_size=40), st.sampled_from(["", "\x01", "\x0b"]))
def test_html_blocks_counted_without_a_tree_are_those_of_the_tree(
    bits: list[str], control: str
) -> None:
    text = "<p>x</p>" * 40 + control.join(bits)  # enough block tags to be counted
    # a piece holding a control character too (it was left out)
    assert _blocks_counted(text) == (held := _blocks_not_headings(text))
    # each such block is a clause or more
    assert held <= len(segment_document(text, format="html").segments)


def test_html_certainly_over_a_clause_limit_is_refused_without_a_tree(monkeypatch) -> None:
    from clauseclf.errors import ClauseLimitError

    parsed = _record_tree_parses(monkeypatch)
    text = "<h1>Fees</h1>" + "<p>Fee.</p>" * 1_000
    with pytest.raises(ClauseLimitError, match="more than 999 clauses"):
        segment_document(text, format="html", max_clauses=999)
    assert not parsed
    # exactly the limit, or more blocks than it that are headings: parsed and accepted
    assert len(segment_document(text, format="html", max_clauses=1_000).segments) == 1_000
    headings = "<h2>Fees</h2><p>Refunds</p>" * 1_000 + "<p>Fee.</p>"
    assert len(segment_document(headings, format="html", max_clauses=1).segments) == 1
    assert not parsed  # read from the parser's events: no tree either
    # nested past libxml2's limit: counted flattened, as the tree reads it (it was parsed)
    deep = "<div>" * 3_000 + "<p>Fee.</p>" * 2_000
    with pytest.raises(ClauseLimitError):
        segment_document(deep, format="html", max_clauses=1_000)
    assert not parsed


def _tree_pieces(text: str) -> list[Any]:
    """The pieces of HTML ``text`` read from lxml's tree (not from the parser's events)."""
    from clauseclf.extraction import html

    saved = html._event_pieces
    html._event_pieces = lambda text: None
    try:
        return html.html_pieces(text)
    finally:
        html._event_pieces = saved


_MORE_HTML_BITS = [
    *_HTML_BITS, "<style>p {}</style>", "<svg><text>s</text></svg>", "<script>", "</script>",
    "<noscript>n</noscript>", "<b>bold</b>", " ", "\n", "&amp; &nbsp;", "<li>", "</li>", "<ul>",
    "<table><tr><td>", "</td><td>", "</table>", "<html><body>", "<head><title>T</title></head>",
    "<?pi x?>", "<", "</", "<p", "'", "<br/>", "<a href='x'>link</a>", "\x01", "\x0b",
    "\x00", "\x02", "\x1f", "\r", "\t", "&#1;", "<script>s</script>", "<style>", "</style>",
    "<title>t</title>", "<template>t</template>", "<iframe>i</iframe>", "<textarea>t</textarea>",
    "<p>", "</p>", "<span>", "</span>", "</body>", "</html>", "<x-y>", "</x-y>", "<h2>", "</h2>",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_MORE_HTML_BITS), max_size=50))
def test_html_pieces_from_the_parsers_events_are_those_of_the_tree(bits: list[str]) -> None:
    from clauseclf.extraction.html import _event_pieces, html_pieces

    text = "".join(bits)
    events = _event_pieces(text)
    assert events is not None  # control characters too (they made the tree read it)
    assert list(events.pieces()) == _tree_pieces(text)
    assert html_pieces(text) == _tree_pieces(text)


@pytest.mark.parametrize(
    "text",
    [
        # the text before a dropped element and its tail are joined: a control character in
        # them is a space, elsewhere it stays
        "<p>Fee\x01<script>x</script>s\x02 apply</p><p>Refunds\x03.</p>",
        "<p>A\x01<b>b</b>c\x02<style>s</style><script>x</script>d\x03</p>",
        "<div>\x04<script>x</script><style>y</style>\x05<b>\x06</b></div>",
        "<p>\x07<script>x</script></p><p><noscript>n</noscript>\x08</p>",
        # what follows the root element (in another root element)
        "<p>Fee.</p></html><div>Kept.</div>",
        "<p>Fee.</p></html><div>Kept\x01.</div>",
    ],
)
def test_html_pieces_from_the_parsers_events_are_those_of_the_tree_for(text: str) -> None:
    from clauseclf.extraction.html import _event_pieces

    events = _event_pieces(text)
    assert events is not None
    assert list(events.pieces()) == _tree_pieces(text)


@pytest.mark.parametrize("dense", [False, True])
def test_text_after_the_end_of_the_html_element_is_kept(dense: bool) -> None:
    # libxml2 puts it in a second root element, which the tree path did not read: it was lost
    text = "<html><body><p>Fees apply.</p></body></html>" + "<i></i>" * (200 if dense else 0)
    text += "<p>We sell your data.</p>Tail text."
    assert [s.text for s in segment_document(text, format="html").segments] == [
        "Fees apply.",
        "We sell your data.",
        "Tail text.",
    ]


_DEEP_HTML = {
    "div": "<div>Deep {i}. ",
    "span": "<span>{i} ",
    "unknown": "<x-note>{i} ",
    "heading": "<h2>Deep {i}",
    "list": "<ul><li>Item {i}",
    "cell": "<table><tr><td>Cell {i}",
    "dropped": "<div>\x01<script>s</script>\x02{i}<style>p {{}}</style>",
}


@pytest.mark.parametrize("depth", [1_500, 2_046, 2_047, 3_000])
@pytest.mark.parametrize("shape", sorted(_DEEP_HTML))
def test_deep_html_pieces_from_the_parsers_events_are_those_of_the_tree(shape, depth) -> None:
    """Past libxml2's depth limit (2048 elements, html and body included) lxml's tree stops and
    the document is parsed flattened: the parser's events are read flattened then too."""
    from clauseclf.extraction.html import _event_pieces

    text = "".join(_DEEP_HTML[shape].format(i=i) for i in range(depth)) + "<p>Fee.</p>" * 20
    events = _event_pieces(text)
    assert events is not None
    pieces = list(events.pieces())
    assert pieces == _tree_pieces(text)
    assert pieces[-1][2] == "Fee." and len(pieces) >= 20


def test_deep_dense_html_is_read_flattened_in_a_small_multiple_of_its_size(monkeypatch) -> None:
    from clauseclf.extraction import html

    text = "<div>" * 3_000 + "<p>Fee.</p>" * 100_000
    segment_document("<p>Fee.</p>" * 3, format="html")  # imports and caches
    parsed: list[int] = []
    monkeypatch.setattr(html, "_parse_html", lambda text: parsed.append(1))
    refused = _refusal_peak(lambda: segment_document(text, format="html", max_clauses=1_000))
    events, read = _traced_peak(lambda: html._event_pieces(text))
    # the flattened text's parts were all held at once (17x the text), then lxml's tree (not
    # traced: 25x or more); now the text, a flattened copy, its UTF-8 copy and the pieces
    assert not parsed and events is not None
    assert refused < 4 * len(text) and read < 5 * len(text), (refused, read, len(text))


def test_html_nested_too_deeply_even_flattened_is_refused_from_the_parsers_events() -> None:
    from clauseclf.errors import DocumentError
    from clauseclf.extraction.html import _event_pieces, more_blocks_than

    text = "<svg>" * 5_000 + "<p>Fee.</p>" * 3_000  # dropped tags stay nested
    with pytest.raises(DocumentError, match="nested too deeply"):
        _tree_pieces(text)
    with pytest.raises(DocumentError, match="nested too deeply"):
        _event_pieces(text)
    with pytest.raises(DocumentError, match="nested too deeply"):
        more_blocks_than(text, 1_000)


def _record_tree_parses(monkeypatch) -> list[int]:
    """From now on, a 1 in a list for each lxml tree the HTML reader builds."""
    from clauseclf.extraction import html

    parsed: list[int] = []
    parse = html._parse_html

    def counted(text: str) -> Any:
        parsed.append(1)
        return parse(text)

    monkeypatch.setattr(html, "_parse_html", counted)
    return parsed


def test_dense_html_holding_a_control_character_is_read_without_a_tree(monkeypatch) -> None:
    from clauseclf.errors import ClauseLimitError
    from clauseclf.extraction import html

    text = "<p>Fee.</p>" * 2_000 + "<p>Refunds\x01<script>x</script>\x02.</p>" + "<h2>Fee</h2>"
    expected = _tree_pieces(text)
    parsed = _record_tree_parses(monkeypatch)
    assert html.html_pieces(text) == expected
    assert expected[-2:] == [("paragraph", 0, "Refunds ."), ("heading", 2, "Fee")]
    # the block counter counts the piece holding control characters too
    assert html.more_blocks_than(text, 2_000)
    assert not html.more_blocks_than(text, 2_001)
    with pytest.raises(ClauseLimitError):
        segment_document(text.replace("Fee.", "Fee\x01."), format="html", max_clauses=2_000)
    assert not parsed


@pytest.mark.parametrize("unit", ["<h2>Fee</h2>", "<div></div>", "<h2>Fee</h2><div> </div>"])
def test_html_of_many_headings_or_empty_blocks_is_read_without_a_tree(monkeypatch, unit) -> None:
    text = "<html><body>" + unit * 40_000 + "<p>We sell data.</p></body></html>"
    expected = _tree_pieces(text)
    segment_document(unit * 3, format="html")  # imports and caches are not the document's
    parsed = _record_tree_parses(monkeypatch)
    document, peak = _traced_peak(lambda: segment_document(text, format="html", max_clauses=1_000))
    # lxml's tree of the document took 25x its size or more (not traced: not built now), and a
    # list of every heading's text was joined at the end; now: the text and its UTF-8 copy
    # for the parser, the headings' texts joined (about 3x)
    assert not parsed
    assert peak < 4 * len(text), f"{peak / len(text):.1f}x the document"
    assert [(s.text, s.heading) for s in document.segments] == [
        ("We sell data.", "Fee" if "h2" in unit else None)
    ]
    assert document.text == "\n\n".join(content for _, _, content in expected)


def test_markdown_of_many_headings_or_breaks_is_read_a_part_at_a_time(monkeypatch) -> None:
    for unit in ("## Fee\n\n", "## Fee\n", "---\n\n", "# A\n***\n\n"):
        text = unit * 16_000 + "We sell data.\n"
        segment_document(unit * 3, format="markdown")  # imports and caches
        sizes = _record_parse_sizes(monkeypatch)
        try:
            run = functools.partial(segment_document, text, format="markdown", max_clauses=1_000)
            # (tracemalloc slows markdown-it several times: one unit is traced)
            document, peak = _traced_peak(run) if unit == "## Fee\n\n" else (run(), 0)
        finally:
            monkeypatch.undo()
        # the whole document's tokens were held at once (some 100x its size, here 10-16 MB);
        # now one part's (16 K characters: about 4 MB for any length)
        assert len(sizes) > 3 and max(sizes) < 20_000, unit
        assert peak < 6_000_000, f"{unit!r}: {peak / 1e6:.1f} MB"
        assert [s.text for s in document.segments] == ["We sell data."]
        _parts_agree(unit * 100 + "We sell data.\n")
