"""Property tests (hypothesis) and bounded fuzzing of everything that reads untrusted input.

* Segmenter: offsets rebuild the text; segments are ordered, non-overlapping and stripped; the
  splitter's units (clauses, headings, section-number labels) cover every non-whitespace
  character of the extracted text.
* Classification is deterministic: same input, same output, whatever the batch around it.
* Fuzz targets: HTML / Markdown extraction, document decoding and the annotation loader get
  random (often malformed) input and must either succeed or raise their documented error.
  ``CLAUSECLF_FUZZ_EXAMPLES`` raises the example budget for a longer run by hand.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clauseclf.annotations import load_annotations
from clauseclf.documents import decode_document
from clauseclf.errors import AnnotationError, DocumentError, ModelFormatError
from clauseclf.extraction import extract
from clauseclf.inference.model import ClauseModel
from clauseclf.segmentation import segment_document
from clauseclf.segmentation.splitter import ClauseSplitter

FUZZ_EXAMPLES = int(os.environ.get("CLAUSECLF_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_WORDS = st.sampled_from(
    [
        "We",
        "may",
        "share",
        "your",
        "data",
        "e.g.",
        "U.S.",
        "No.",
        "1.",
        "4.2",
        "(a)",
        "ARBITRATION",
        "Terms",
        "of",
        "Use",
        "arbitration.",
        "opt-out;",
        "Inc.",
        "\u201cquoted.\u201d",
        "caf\u00e9",
        "\u00a7",
        "**",
        "#",
        "-",
        "*",
        "|",
        "<",
        ">",
        "&amp;",
    ]
)
_SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n", "\t", ". ", "! ", "? ", "\r\n", "  "])
_PROSE = st.lists(st.tuples(_WORDS, _SEPARATORS), max_size=60).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)


def _check_segments(text: str, fmt: str) -> None:
    document = segment_document(text, format=fmt)
    previous_end = 0
    for segment in document.segments:
        assert document.text[segment.start : segment.end] == segment.text
        assert segment.text and segment.text == segment.text.strip()
        assert segment.start >= previous_end  # ordered and non-overlapping
        previous_end = segment.end
    extracted = extract(text, format=fmt)
    units = ClauseSplitter().split_blocks(extracted.text, extracted.blocks)
    covered = bytearray(len(extracted.text))
    for unit in units:
        covered[unit.start : unit.end] = b"\x01" * (unit.end - unit.start)
    missed = [(i, ch) for i, ch in enumerate(extracted.text) if not ch.isspace() and not covered[i]]
    assert not missed, f"characters in no unit: {missed[:5]}"


@settings(max_examples=300, deadline=None)
@given(_PROSE, st.sampled_from(["auto", "text", "markdown"]))
def test_segments_rebuild_order_and_cover_prose(text: str, fmt: str) -> None:
    _check_segments(text, fmt)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["auto", "text", "html", "markdown"]))
def test_segments_rebuild_order_and_cover_any_text(text: str, fmt: str) -> None:
    _check_segments(text, fmt)


# --------------------------------------------------------------------------- HTML fuzzing

_TAGS = [
    "p",
    "div",
    "h1",
    "h3",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "td",
    "br",
    "span",
    "a",
    "b",
    "script",
    "style",
    "noscript",
    "template",
    "head",
    "section",
    "pre",
    "code",
]


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, body, close, attrs: f"<{tag}{attrs}>{body}" + (f"</{tag}>" if close else ""),
        st.sampled_from(_TAGS),
        children,
        st.booleans(),  # unclosed tags: malformed HTML
        st.sampled_from(["", ' class="x"', " id=a", ' style="display:none"', " <", ' a="']),
    )


_HTML = st.recursive(
    st.one_of(_PROSE, st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "&#0;", "&nbsp;", "</"])),
    lambda children: st.one_of(_element(children), st.lists(children, max_size=4).map("".join)),
    max_leaves=40,
)


@FUZZ
@given(_HTML)
def test_fuzz_html_extraction(html: str) -> None:
    _check_segments(html, "html")
    extracted = extract(html, format="html")
    assert "<script" not in extracted.text.lower() or "<script" in html.lower()


_MARKDOWN_LINES = st.lists(
    st.one_of(
        _PROSE,
        st.sampled_from(
            [
                "# ",
                "## Heading",
                "===",
                "---",
                "- item",
                "1. item",
                "> quote",
                "```",
                "    code",
                "| a | b |",
                "|---|---|",
                "[link](http://x)",
                "![img](y)",
                "<div>",
                "***",
                "\\",
                ">" * 25 + " deep quote",  # past markdown-it's 20 levels
                "> - " * 12 + "deep item",
            ]
        ),
    ),
    max_size=30,
).map("\n".join)


@FUZZ
@given(_MARKDOWN_LINES)
def test_fuzz_markdown_extraction(markdown: str) -> None:
    _check_segments(markdown, "markdown")


_PLAIN_WORDS = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8), min_size=1, max_size=8
).map(" ".join)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(0, 60), st.sampled_from(["> ", ">", "- ", "1. ", "> - "]), _PLAIN_WORDS
        ),
        min_size=1,
        max_size=8,
    )
)
def test_fuzz_deeply_nested_markdown_keeps_every_word(lines: list[tuple[int, str, str]]) -> None:
    markdown = "\n\n".join(marker * depth + words for depth, marker, words in lines)
    extracted = extract(markdown, format="markdown").text.split()
    for _, _, words in lines:
        for word in words.split():
            assert word in extracted
    _check_segments(markdown, "markdown")


# --------------------------------------------------------------------------- decoding fuzzing


@FUZZ
@given(st.binary(max_size=400))
def test_fuzz_decoding_bytes(data: bytes) -> None:
    try:
        text = decode_document(data, name="fuzz.bin")
    except DocumentError as exc:
        assert str(exc).startswith("fuzz.bin")
    else:
        assert isinstance(text, str) and text.strip() and "\x00" not in text


@FUZZ
@given(st.text(max_size=200), st.sampled_from(["utf-8", "utf-16", "utf-32", "cp1252", "latin-1"]))
def test_fuzz_decoding_encoded_text(text: str, codec: str) -> None:
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        return
    try:
        decoded = decode_document(data, name="doc")
    except DocumentError:
        return
    if codec in ("utf-8", "utf-16", "utf-32"):
        assert decoded == text  # a BOM (utf-16/32) or plain UTF-8 decodes exactly


_LATIN_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_categories=["Cc"]),
    min_size=2,
    max_size=200,
).filter(str.strip)


@FUZZ
@given(_LATIN_TEXT, st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_fuzz_utf16_without_bom_decodes_exactly(text: str, codec: str) -> None:
    assert decode_document(text.encode(codec), name="doc") == text


# --------------------------------------------------------------------------- annotation fuzzing

_JSON_VALUES = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.text(max_size=40), _JSON_VALUES),
        "labels": st.one_of(
            st.dictionaries(
                st.sampled_from(["arbitration", "data_sale", "nonsense", ""]),
                st.sampled_from(["high", "none", "medium", "extreme", ""]),
                max_size=3,
            ),
            _JSON_VALUES,
        ),
        "annotated_types": st.one_of(st.lists(st.sampled_from(["arbitration", "x"])), _JSON_VALUES),
        "platform": _JSON_VALUES,
    },
)
#: Lines that escaped json.loads as RecursionError or ValueError.
_CRAFTED_JSON = st.sampled_from(
    ["[" * 5000, '{"a": ' * 3000, '{"text": "x", "labels": {}, "n": ' + "9" * 5000 + "}"]
)
_JSONL_LINES = st.lists(
    st.one_of(
        _RECORDS.map(json.dumps),
        st.text(max_size=40),
        _JSON_VALUES.map(json.dumps),
        _CRAFTED_JSON,
    ),
    max_size=8,
)


@FUZZ
@given(lines=_JSONL_LINES)
def test_fuzz_annotation_loader_jsonl(lines: list[str], tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "notes.jsonl"
    path.write_text("\n".join(lines), "utf-8")
    result = load_annotations(path)  # never raises without strict: problems are listed
    assert len(result.records) + len(result.problems) >= 0
    for problem in result.problems:
        assert "notes.jsonl" in problem
    try:
        strict = load_annotations(path, strict=True)
    except AnnotationError as exc:
        assert "notes.jsonl" in str(exc)
    else:
        assert strict.records == result.records and not result.problems


@FUZZ
@given(
    header=st.sampled_from(["text,label,severity,platform", "text,label", "a,b,c", ""]),
    rows=st.lists(
        st.one_of(
            st.text(max_size=50),
            # csv.Error: an unterminated quote, a field over the csv module's limit
            st.sampled_from(['"unterminated,other', '"' + "x" * 140_000 + '",other', 'a"b,"c"d']),
        ),
        max_size=6,
    ),
    raw=st.binary(max_size=50),
)
def test_fuzz_annotation_loader_csv(
    header: str, rows: list[str], raw: bytes, tmp_path_factory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "notes.csv"
    path.write_bytes((header + "\n" + "\n".join(rows)).encode("utf-8") + raw)
    result = load_annotations(path)
    for problem in result.problems:
        assert "notes.csv" in problem


_LABEL_STUDIO_TASKS = st.lists(
    st.one_of(
        _JSON_VALUES,
        st.fixed_dictionaries(
            {
                "data": st.one_of(
                    st.fixed_dictionaries({"text": st.text(max_size=20)}), _JSON_VALUES
                ),
                "annotations": st.one_of(
                    _JSON_VALUES,
                    st.lists(
                        st.fixed_dictionaries(
                            {"result": st.one_of(_JSON_VALUES, st.lists(_JSON_VALUES, max_size=3))}
                        ),
                        max_size=2,
                    ),
                ),
            }
        ),
    ),
    max_size=5,
)


@FUZZ
@given(tasks=_LABEL_STUDIO_TASKS)
def test_fuzz_label_studio_import(tasks: list[object], tmp_path_factory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "export.json"
    path.write_text(json.dumps(tasks), "utf-8")
    result = load_annotations(path)  # never raises without strict: problems are listed
    for problem in result.problems:
        assert problem.startswith(f"{path}, task #")
    try:
        load_annotations(path, strict=True)
    except AnnotationError as exc:
        assert str(exc).startswith(f"{path}, task #")


_MODEL_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "true", '"0.5"']),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(["embedding_weight", "stance_weight", "embedding_dim"]),
    value=_MODEL_NUMBERS,
)
def test_fuzz_head_json_numbers_load_finite_or_are_refused(
    tiny_model, fake_encoder, tmp_path_factory, key: str, value: object
) -> None:
    folder = tiny_model.save(tmp_path_factory.mktemp("fuzz") / "model")
    path = folder / "head.json"
    text = value if isinstance(value, str) else json.dumps(value)
    meta = path.read_text("utf-8")
    original = json.loads(meta)[key]
    path.write_text(meta.replace(f'"{key}": {json.dumps(original)}', f'"{key}": {text}'), "utf-8")
    try:
        model = ClauseModel.load(folder, encoder=fake_encoder)
    except ModelFormatError as exc:
        assert str(folder) in str(exc)
        return
    (prediction,) = model.classify(["Any dispute goes to binding arbitration."])
    assert math.isfinite(prediction.confidence)


# --------------------------------------------------------------------------- determinism


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_PROSE.filter(str.strip), min_size=1, max_size=6), st.randoms())
def test_classify_is_deterministic(tiny_model, texts: list[str], random) -> None:
    first = tiny_model.classify(texts)
    shuffled = list(range(len(texts)))
    random.shuffle(shuffled)
    again = tiny_model.classify([texts[i] for i in shuffled], batch_size=2)
    assert [again[shuffled.index(i)] for i in range(len(texts))] == first
    assert tiny_model.classify(texts) == first


def test_analyze_is_deterministic(tiny_model) -> None:
    text = (
        Path(__file__)
        .resolve()
        .parents[1]
        .joinpath("data/examples/larkspur_terms.txt")
        .read_text("utf-8")
    )
    first = tiny_model.analyze(text).to_dict()
    again = tiny_model.analyze(text).to_dict()
    # Everything but the time of analysis (provenance) is deterministic.
    assert first.pop("analyzed_at") <= again.pop("analyzed_at")
    assert again == first


@pytest.mark.parametrize("size", [200_000])
def test_single_huge_sentence_is_cut_into_bounded_clauses(tiny_model, size: int) -> None:
    from clauseclf.segmentation.splitter import MAX_CLAUSE_CHARS

    text = ("lorem ipsum dolor sit amet " * (size // 27 + 1))[:size]
    report = tiny_model.analyze(text)
    assert len(report) == -(-size // MAX_CLAUSE_CHARS) or len(report) > size // MAX_CLAUSE_CHARS
    assert all(len(c.text) <= MAX_CLAUSE_CHARS for c in report.clauses)
    assert all(report.text[c.segment.start : c.segment.end] == c.text for c in report.clauses)
    no_spaces = tiny_model.analyze("x" * size)
    assert [len(c.text) for c in no_spaces.clauses] == [MAX_CLAUSE_CHARS] * (
        size // MAX_CLAUSE_CHARS
    )


def test_nul_characters_in_a_str_are_analysed(tiny_model) -> None:
    report = tiny_model.analyze("We sell your data. \x00\x00 Any dispute goes to arbitration.")
    assert [c.text for c in report.clauses] == [
        "We sell your data.",
        "\x00\x00 Any dispute goes to arbitration.",
    ]
    assert all(report.text[c.segment.start : c.segment.end] == c.text for c in report.clauses)


@pytest.mark.slow
def test_twenty_megabyte_document_segments_completely() -> None:
    policy = Path(__file__).resolve().parents[1] / "data/examples/larkspur_terms.txt"
    unit = policy.read_text("utf-8") + "\n\n"
    copies = 20_000_000 // len(unit) + 1
    document = segment_document(unit * copies, format="text")
    assert len(document.text) >= 20_000_000
    single = segment_document(unit, format="text").segments
    assert len(document.segments) == copies * len(single)
    for segment in document.segments[:: max(1, len(document.segments) // 1000)]:
        assert document.text[segment.start : segment.end] == segment.text
