"""Segmentation: golden cases (fictional "Larkspur Labs" texts), offset invariants, CLAUDETTE F1."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clauseclf.segmentation import Segment, SegmentedDocument, segment, segment_document
from conftest import require_shared_data


def texts(text: str, **kwargs: str) -> list[str]:
    return [s.text for s in segment(text, **kwargs)]


def test_numbered_sections_and_headings() -> None:
    text = (
        "LARKSPUR LABS TERMS OF SERVICE\n\n"
        "1. Accounts\n\n"
        "You must be 16 to register. We may close accounts at any time.\n\n"
        "4.2 Termination\n"
        "Either party may end this agreement with notice.\n\n"
        "5. ARBITRATION\n"
        "ALL DISPUTES WILL BE RESOLVED BY BINDING ARBITRATION. YOU WAIVE ANY CLASS ACTION.\n"
    )
    segments = segment(text)
    assert [s.text for s in segments] == [
        "You must be 16 to register.",
        "We may close accounts at any time.",
        "Either party may end this agreement with notice.",
        "ALL DISPUTES WILL BE RESOLVED BY BINDING ARBITRATION.",
        "YOU WAIVE ANY CLASS ACTION.",
    ]
    assert [s.heading for s in segments] == [
        "1. Accounts",
        "1. Accounts",
        "4.2 Termination",
        "5. ARBITRATION",
        "5. ARBITRATION",
    ]


def test_abbreviations_do_not_split() -> None:
    text = (
        "Larkspur Labs Inc. is based in the U.S. and serves users, e.g. students, i.e. anyone "
        "enrolled. See Sec. 5 and No. 7 of the schedule. Larkspur Ltd. handles billing."
    )
    assert texts(text) == [
        "Larkspur Labs Inc. is based in the U.S. and serves users, e.g. students, i.e. anyone "
        "enrolled.",
        "See Sec. 5 and No. 7 of the schedule.",
        "Larkspur Ltd. handles billing.",
    ]


def test_inline_enumeration_is_one_clause() -> None:
    text = (
        "We may suspend your account if: (a) you breach these Terms; (b) you fail to pay; "
        "or (c) the law requires it. You can appeal."
    )
    assert texts(text) == [
        "We may suspend your account if: (a) you breach these Terms; (b) you fail to pay; "
        "or (c) the law requires it.",
        "You can appeal.",
    ]


def test_bullets_and_line_enumerations_are_separate_clauses() -> None:
    text = (
        "We collect:\n"
        "- your name and email address;\n"
        "- your device identifiers; and\n"
        "• payment details.\n"
        "(a) Usage logs are kept for 30 days.\n"
    )
    assert texts(text) == [
        "We collect:",
        "- your name and email address;",
        "- your device identifiers; and",
        "• payment details.",
        "(a) Usage logs are kept for 30 days.",
    ]


def test_section_number_label_is_dropped_from_clause() -> None:
    text = "2. Fees\n\n2.1. Fees are due monthly. Late fees apply.\n2.2 Refunds are not offered."
    assert texts(text) == [
        "Fees are due monthly.",
        "Late fees apply.",
        "2.2 Refunds are not offered.",
    ]


def test_hard_wrapped_text_is_rejoined() -> None:
    line = "Larkspur Labs may change these terms from time to time and will tell you about it "
    text = (
        "Changes to These Terms\n"
        f"{line}\nby email before the change takes effect, unless the law\n"
        "requires otherwise. If you keep using the service, you accept the change.\n"
        "Continued use of the service\nmeans acceptance of the new terms.\n"
    )
    segments = segment(text)
    assert [" ".join(s.text.split()) for s in segments] == [
        line.strip() + " by email before the change takes effect, unless the law requires "
        "otherwise.",
        "If you keep using the service, you accept the change.",
        "Continued use of the service means acceptance of the new terms.",
    ]
    assert all(s.heading == "Changes to These Terms" for s in segments)


def test_markdown() -> None:
    text = (
        "# Larkspur Privacy Notice\n\n"
        "## 3. Sharing\n\n"
        "We **never** sell your data. We share it with [our processors](https://example.com) "
        "only.\n\n"
        "* Hosting providers\n"
        "* Payment processors, e.g. card networks\n\n"
        "Retention\n=========\n\nWe keep logs for\n30 days.\n"
    )
    document = segment_document(text)
    assert document.format == "markdown"
    assert [(s.text, s.heading) for s in document.segments] == [
        ("We never sell your data.", "3. Sharing"),
        ("We share it with our processors only.", "3. Sharing"),
        ("Hosting providers", "3. Sharing"),
        ("Payment processors, e.g. card networks", "3. Sharing"),
        ("We keep logs for 30 days.", "Retention"),
    ]


def test_html_with_nested_lists_scripts_and_tables() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>var x = 'Do not. Split me.';</script><!-- a comment. Here. -->"
        "<h2>7. Liability</h2><p>Larkspur is not liable for outages.<br>This is a cap.</p>"
        "<ul><li>Lost profits; or<ul><li>data loss.</li></ul></li><li>Delays.</li></ul>"
        "<table><tr><td>Fees are monthly.</td><td>Refunds are not available.</td></tr></table>"
        "<noscript>Enable JS.</noscript><p>Contact us at help@larkspur.example.</p>"
        "</body></html>"
    )
    document = segment_document(html)
    assert document.format == "html"
    got = [(s.text, s.heading) for s in document.segments]
    assert got == [
        ("Larkspur is not liable for outages.", "7. Liability"),
        ("This is a cap.", "7. Liability"),
        ("Lost profits; or", "7. Liability"),
        ("data loss.", "7. Liability"),
        ("Delays.", "7. Liability"),
        ("Fees are monthly.", "7. Liability"),
        ("Refunds are not available.", "7. Liability"),
        ("Contact us at help@larkspur.example.", "7. Liability"),
    ]
    for s in document.segments:
        assert document.text[s.start : s.end] == s.text
    assert "Split me" not in document.text and "comment" not in document.text


def test_deeply_nested_and_malformed_html_is_linear() -> None:
    deep = "<div>" * 5000 + "<p>Deep clause one. Deep clause two." + "</div>" * 10
    assert texts(deep, format="html") == ["Deep clause one.", "Deep clause two."]
    broken = "<p>Unclosed <b>bold <i>text. Next sentence here.<li>item<p>" * 2000
    t0 = time.perf_counter()
    segments = segment(broken, format="html")
    assert time.perf_counter() - t0 < 5
    assert segments


def test_formats_and_errors() -> None:
    assert segment("") == [] and segment("   \n\t ") == []
    assert segment("<p>  </p>", format="html") == []
    assert segment_document("Plain text. Two.").format == "text"
    assert segment_document("- a list\n- in text").format == "text"
    with pytest.raises(TypeError):
        segment(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'pdf'"):
        segment("text", format="pdf")


def test_plain_text_offsets_refer_to_input() -> None:
    text = "  Larkspur Terms\n\nYou agree.  We agree! Do they?\n"
    document = segment_document(text)
    assert document.text == text
    assert isinstance(document, SegmentedDocument)
    assert all(isinstance(s, Segment) for s in document.segments)
    assert [text[s.start : s.end] for s in document.segments] == [
        "You agree.",
        "We agree!",
        "Do they?",
    ]


def _check_invariants(text: str, fmt: str) -> None:
    document = segment_document(text, format=fmt)
    previous_end = 0
    for s in document.segments:
        assert document.text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert s.start >= previous_end
        previous_end = s.end


_ALPHABET = st.sampled_from(
    [*"abcXYZ019 .;:!?()-*•#<>/\"'\n\t", "e.g.", "U.S. ", "1. ", "<p>", "</li>", "**"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join), st.sampled_from(["auto", "text"]))
def test_offset_invariants(text: str, fmt: str) -> None:
    _check_invariants(text, fmt)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join), st.sampled_from(["html", "markdown"]))
def test_offset_invariants_markup(text: str, fmt: str) -> None:
    _check_invariants(text, fmt)


@pytest.mark.shared_data
def test_claudette_boundary_f1() -> None:
    from clauseclf.segmentation.evaluation import BoundaryScore, load_claudette, score

    data = require_shared_data()
    docs = load_claudette(data, ["Electronic_Arts", "Dropbox", "Groupon", "Garmin", "Zoom"])
    assert sum(d.unaligned for d in docs) == 0
    fair = strict = BoundaryScore(0, 0, 0)
    for doc in docs:
        spans = [(s.start, s.end) for s in segment(doc.text, format="text")]
        fair += score(doc, spans, fair=True)
        strict += score(doc, spans, fair=False)
    assert fair.f1 >= 0.90
    assert strict.f1 >= 0.90
