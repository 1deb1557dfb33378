"""Extraction of text and blocks from plain text, HTML and Markdown (fictional texts)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clauseclf.extraction import (
    Block,
    detect_format,
    extract,
    is_heading_line,
    iter_plain_blocks,
    plain_blocks,
    strip_span,
)


def test_plain_text_is_identity_with_blocks() -> None:
    text = "Larkspur Terms\n\n- first item\nA paragraph.\n"
    document = extract(text, format="text")
    assert document.text == text and document.format == "text"
    assert [(text[b.start : b.end], b.kind) for b in document.blocks] == [
        ("Larkspur Terms", "paragraph"),
        ("- first item", "list_item"),
        ("A paragraph.", "paragraph"),
    ]


def test_html_blocks() -> None:
    html = (
        "<html><body><h3>Privacy</h3><p>We  collect\n data.<br/>Not more.</p>"
        "<ul><li>Email</li></ul><script>alert(1)</script><style>p{}</style>"
        "<template><p>hidden</p></template><p>Tail&nbsp;text &amp; more</p></body></html>"
    )
    document = extract(html)
    assert document.format == "html"
    got = [(document.text[b.start : b.end], b.kind, b.level) for b in document.blocks]
    assert got == [
        ("Privacy", "heading", 3),
        ("We collect data.", "paragraph", 0),
        ("Not more.", "paragraph", 0),
        ("Email", "list_item", 0),
        ("Tail text & more", "paragraph", 0),
    ]
    assert all(isinstance(b, Block) for b in document.blocks)


def test_markdown_blocks() -> None:
    md = "Title\n=====\n\n### Sub *one*\n\n1. `code` item\n2. [link](http://x.example) item\n"
    document = extract(md, format="markdown")
    got = [(document.text[b.start : b.end], b.kind, b.level) for b in document.blocks]
    assert got == [
        ("Title", "heading", 1),
        ("Sub one", "heading", 3),
        ("code item", "list_item", 0),
        ("link item", "list_item", 0),
    ]


def test_markdown_numbered_section_lines_are_headings() -> None:
    # "4. Arbitration" on its own line parses as a one-item ordered list: it is a heading.
    md = (
        "# Terms\n\n4. Arbitration\n\nDisputes go to arbitration.\n\n"
        "5) Your data\n\nWe keep it.\n\n"
        "6. We may end your account at any time.\n\n"
        "We collect:\n\n1. Account information\n2. Usage data\n"
    )
    document = extract(md, format="markdown")
    got = [(document.text[b.start : b.end], b.kind) for b in document.blocks]
    assert got == [
        ("Terms", "heading"),
        ("4. Arbitration", "heading"),
        ("Disputes go to arbitration.", "paragraph"),
        ("5) Your data", "heading"),
        ("We keep it.", "paragraph"),
        ("We may end your account at any time.", "list_item"),
        ("We collect:", "paragraph"),
        ("Account information", "list_item"),
        ("Usage data", "list_item"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>One.</p><p>Two.</p>", "html"),
        ("<!DOCTYPE html><title>x</title>", "html"),
        ("Contact <help@larkspur.example> today.", "text"),
        ("## Heading\n\nText.", "markdown"),
        ("See **this** now.", "markdown"),
        ("* bullet\n* bullet", "text"),
        ("Plain. Text.", "text"),
    ],
)
def test_detect_format(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_bad_input() -> None:
    with pytest.raises(TypeError):
        extract(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'docx'"):
        extract("x", format="docx")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("4.2 Termination", True),
        ("5. ARBITRATION", True),
        ("ARBITRATION.", True),
        ("Limitation of Liability", True),
        ("Last updated: May 1, 2024", False),
        ("You agree to these terms.", False),
        ("- Bullet Item", False),
        ("we may change things", False),
    ],
)
def test_heading_rule(line: str, expected: bool) -> None:
    assert is_heading_line(line) is expected


@pytest.mark.parametrize(
    "opening",
    [
        "<abbr>",
        "<q>",
        "<dl><dd>",
        "<dd>",
        "<table><tr><td>",
        "<h2>",
        "<x-note>",
        '<code class="c">',
    ],
)
def test_html_nested_past_the_parser_limit_in_any_tag_keeps_its_text(opening: str) -> None:
    """Past libxml2's 2,048 levels every tag is flattened, not only <div>-like containers;
    the content of dropped tags (<script>) stays dropped."""
    body = (opening + "Deep words ") * 3000 + "<p>We sell your data. Disputes go to arbitration."
    html = f"<html><body><script>{'<i>' * 3000}var x;</script>{body}</body></html>"
    text = extract(html, format="html").text
    assert text.count("Deep words") == 3000
    assert text.endswith("We sell your data. Disputes go to arbitration.")
    assert "var x" not in text


# -- plain text's blocks made as they are read (issue 23: a refusal in bounded memory) --------


def _plain_blocks_held(text: str) -> list[Block]:
    """The plain-text blocks as they were made before they were made lazily: every line's
    offsets held, then joined; the oracle ``iter_plain_blocks`` must match."""
    from clauseclf.extraction import plain

    lines = [
        (s, e)
        for m in plain._LINE.finditer(text)
        for s, e in [strip_span(text, m.start(), m.end())]
        if e > s
    ]
    if not lines:
        return []
    continuations = sum(
        1
        for a, b in itertools.pairwise(lines)
        if text[b[0]].islower() and not plain._WRAP_PUNCT.search(text[a[0] : a[1]])
    )
    wrapped = len(lines) >= 5 and continuations * 5 >= len(lines)
    blocks = []
    (start, end), rest = lines[0], lines[1:]
    for nxt in rest:
        if plain._continues(text, (start, end), nxt, wrapped):
            end = nxt[1]
            continue
        blocks.append(plain._plain_block(text, start, end))
        start, end = nxt
    blocks.append(plain._plain_block(text, start, end))
    return blocks


_WRAPPED = (
    "TERMS OF SERVICE\n\n1. Accounts\nyou must keep your password safe and\n"
    "tell us at once if someone else uses your\naccount, or we may close it\n\n"
    "- first item\n- second item, which runs on\nover two lines\n(a) an item\n\n"
    "   Indented line.   \r\nLast updated: May 1, 2024\n"
)
_UNWRAPPED = (
    "Larkspur Terms\n\nWe may share the data we collect about you with partners, affiliates,\n"
    "and advertisers. You agree to arbitration.\n\n\n  \nContact\n"
)


@pytest.mark.parametrize("text", ["", " \n\n\t", "One", _WRAPPED, _UNWRAPPED, "a\nb\nc\nd\ne\n"])
def test_plain_blocks_made_as_read_are_those_made_whole(text: str) -> None:
    document = extract(text, format="text")
    expected = _plain_blocks_held(text)
    assert list(iter_plain_blocks(text)) == plain_blocks(text) == expected
    assert document.blocks == tuple(expected) and type(document.blocks) is tuple


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["", " ", "We sell data.", "we keep it", "and more,", "TERMS", "1. Fees", "- item",
             "(b) an item", "Long line that goes on and on and on with many words in it", "\r"]
        ),
        max_size=30,
    ),
    st.sampled_from(["\n", "\r\n", "\n\n"]),
)  # fmt: skip
def test_plain_blocks_made_as_read_match_the_held_ones(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    assert list(iter_plain_blocks(text)) == _plain_blocks_held(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", " ", "\n", "\xa0", "", "  ", "x y", " z "]), max_size=30)
)
def test_a_long_block_joined_in_batches_is_the_block_with_single_spaces(texts: list[str]) -> None:
    from clauseclf.extraction.blocks import Collector

    class Small(Collector):
        _BATCH = 2  # joined every two texts

    collector = Small()
    for text in texts:
        collector.add(text)
    collector.flush("paragraph", 0)
    expected = " ".join("".join(texts).split())
    assert collector.pieces == ([("paragraph", 0, expected)] if expected else [])
