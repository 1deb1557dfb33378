"""Evidence: the spans of a clause that drove each predicted type, their JSON form and display."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clauseclf.batch import score, write_scores
from clauseclf.errors import ScoringError
from clauseclf.evidence import (
    ANSI_OFF,
    ANSI_ON,
    EvidenceSpan,
    evidence_from_dict,
    evidence_texts,
    evidence_to_dict,
    highlight,
)
from clauseclf.head import MAX_EVIDENCE_SPANS, ClauseHead
from clauseclf.pipeline import analyze_text
from clauseclf.predictions import ClausePrediction
from clauseclf.report import DocumentReport

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default"

ARBITRATION = "Any dispute with Fernwick will be resolved by binding arbitration."
DATA_SALE = "Fernwick sells your personal data to data brokers."
SMALL_TALK = "The Fernwick app is available on phones and tablets."


def assert_valid(text: str, spans: tuple[EvidenceSpan, ...]) -> None:
    assert len(spans) <= MAX_EVIDENCE_SPANS
    weights = [span.weight for span in spans]
    assert weights == sorted(weights, reverse=True)
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.weight > 0
        assert span.text == span.text.strip()


def test_classify_gives_evidence_for_each_predicted_type(tiny_model):
    predictions = tiny_model.classify([ARBITRATION, DATA_SALE, SMALL_TALK])
    for text, prediction in zip([ARBITRATION, DATA_SALE], predictions, strict=False):
        assert list(prediction.evidence) == list(prediction.labels)
        for spans in prediction.evidence.values():
            assert_valid(text, spans)
    assert any("arbitration" in s.text for s in predictions[0].evidence["arbitration"])
    assert any("sell" in s.text for s in predictions[1].evidence["data_sale"])
    assert predictions[2].label == "other" and predictions[2].evidence == {}


def test_predictions_need_the_texts_of_the_rows(tiny_model):
    output = tiny_model.predict_arrays([ARBITRATION, SMALL_TALK])
    with pytest.raises(ValueError, match="2 clause texts"):
        tiny_model.predictions(output, [ARBITRATION])
    with pytest.raises(ValueError, match="clause texts"):
        tiny_model.predictions(output, ARBITRATION)


def test_head_evidence_rejects_bad_arguments(tiny_model):
    head = tiny_model.head
    predicted = np.zeros((1, len(head.types)), dtype=bool)
    with pytest.raises(TypeError, match="sequence of str"):
        head.evidence(ARBITRATION, predicted)
    with pytest.raises(ValueError, match="bool array of shape"):
        head.evidence([ARBITRATION], predicted.astype(int))
    with pytest.raises(ValueError, match="bool array of shape"):
        head.evidence([ARBITRATION, SMALL_TALK], predicted)
    with pytest.raises(ValueError, match="max_spans"):
        head.evidence([ARBITRATION], predicted, max_spans=0)
    assert head.evidence([ARBITRATION], predicted) == [{}]


def test_offsets_survive_case_folding_that_changes_length(tiny_model):
    # "İ".lower() is two characters: offsets must still point into the original text.
    text = "İİ İstanbul: any dispute with İlkay will be resolved by binding ARBITRATION."
    head = tiny_model.head
    predicted = np.zeros((1, len(head.types)), dtype=bool)
    predicted[0, head.types.index("arbitration")] = True
    spans = head.evidence([text], predicted)[0]["arbitration"]
    assert_valid(text, spans)
    assert any("ARBITRATION" in span.text for span in spans)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=300))
def test_evidence_spans_always_point_into_the_text(tiny_model, text):
    head = tiny_model.head
    predicted = np.ones((1, len(head.types)), dtype=bool)
    evidence = head.evidence([text], predicted)[0]
    assert list(evidence) == list(head.types)
    for spans in evidence.values():
        assert_valid(text, spans)


@pytest.fixture(scope="module")
def shipped_head() -> ClauseHead:
    if not (DEFAULT_MODEL / "head.json").is_file():
        pytest.skip("models/default is missing")
    return ClauseHead.load(DEFAULT_MODEL)


@pytest.mark.parametrize(
    ("text", "label", "words"),
    [
        (
            "Any dispute arising from these terms shall be resolved by final and binding "
            "arbitration.",
            "arbitration",
            ("arbitration", "binding"),
        ),
        ("We use the content you upload to train our AI models.", "ai_training", ("train",)),
        (
            "You waive any right to participate in a class action lawsuit.",
            "class_action_waiver",
            ("class action",),
        ),
    ],
)
def test_shipped_head_points_at_the_telling_words(shipped_head, text, label, words):
    predicted = np.zeros((1, len(shipped_head.types)), dtype=bool)
    predicted[0, shipped_head.types.index(label)] = True
    spans = shipped_head.evidence([text], predicted)[0][label]
    assert_valid(text, spans)
    found = " ".join(span.text.lower() for span in spans)
    assert any(word in found for word in words), found


def test_stance_cue_is_evidence_when_it_raises_the_type(shipped_head):
    # A negation lowers adverse types but is the reason for a "we do not" promise: wherever
    # it raises a type's score, its span may be chosen; it is never a partial word.
    text = "We do not sell your personal information to anyone."
    predicted = np.ones((1, len(shipped_head.types)), dtype=bool)
    for spans in shipped_head.evidence([text], predicted)[0].values():
        assert_valid(text, spans)
        for span in spans:
            before = text[span.start - 1] if span.start else " "
            after = text[span.end] if span.end < len(text) else " "
            assert not before.isalnum() and not after.isalnum()


def test_prediction_round_trips_through_json(tiny_model):
    prediction = tiny_model.classify([ARBITRATION])[0]
    data = json.loads(json.dumps(prediction.to_dict()))
    assert ClausePrediction.from_dict(data) == prediction
    del data["evidence"]  # output of older versions
    assert ClausePrediction.from_dict(data).evidence == {}


def test_report_restores_evidence_and_checks_it(tiny_model):
    report = analyze_text(tiny_model, f"{ARBITRATION}\n\n{DATA_SALE}\n\n{SMALL_TALK}")
    data = json.loads(json.dumps(report.to_dict()))
    restored = DocumentReport.from_dict(data)
    assert [c.prediction.evidence for c in restored.clauses] == [
        c.prediction.evidence for c in report.clauses
    ]
    spans = data["clauses"][0]["evidence"]["arbitration"]
    spans[0]["start"] += 1
    spans[0]["end"] += 1
    with pytest.raises(ValueError, match=r"clauses\[0\]\.evidence\.arbitration\[0\]"):
        DocumentReport.from_dict(data)


def test_frame_and_batch_carry_the_evidence_phrases(tiny_model, tmp_path):
    report = analyze_text(tiny_model, f"{ARBITRATION}\n\n{SMALL_TALK}")
    frame = report.to_frame()
    first = report.clauses[0].prediction
    assert frame.loc[0, "evidence"] == evidence_texts(first.evidence)
    assert frame.loc[0, "evidence"] and frame.loc[1, "evidence"] == []
    scored = score(tiny_model, [{"text": f"{ARBITRATION}\n\n{SMALL_TALK}", "id": "a"}])
    assert scored["evidence"].tolist() == frame["evidence"].tolist()

    out = tmp_path / "scores.csv"
    write_scores(tiny_model, [{"text": ARBITRATION, "id": "a"}], out, progress=False)
    import pandas as pd

    cell = pd.read_csv(out)["evidence"][0]
    assert json.loads(cell) == frame.loc[0, "evidence"]


def test_resume_refuses_an_output_with_other_columns(tiny_model, tmp_path):
    out = tmp_path / "old.csv"
    out.write_text("document_id,platform,text,error\nx,,hello,\n", encoding="utf-8")
    with pytest.raises(ScoringError, match="has the columns"):
        write_scores(
            tiny_model, [{"text": ARBITRATION, "id": "a"}], out, resume=True, progress=False
        )
    assert out.read_text(encoding="utf-8").startswith("document_id,platform,text,error")


def test_evidence_texts_are_unique_and_in_label_order():
    text = "binding arbitration in Delaware"
    first = EvidenceSpan(0, 19, "binding arbitration", 2.0)
    second = EvidenceSpan(23, 31, "Delaware", 1.0)
    assert text[23:31] == "Delaware"
    evidence = {"arbitration": (first,), "jurisdiction": (second, first)}
    assert evidence_texts(evidence) == ["binding arbitration", "Delaware"]


def test_span_validation_and_json():
    span = EvidenceSpan(3, 8, "hello", 0.5)
    assert EvidenceSpan.from_dict(span.to_dict()) == span
    with pytest.raises(ValueError, match="start < end"):
        EvidenceSpan(5, 5, "", 1.0)
    with pytest.raises(ValueError, match="length"):
        EvidenceSpan(0, 3, "toolong", 1.0)
    with pytest.raises(ValueError, match="finite"):
        EvidenceSpan(0, 2, "ab", float("nan"))
    with pytest.raises(ValueError, match="missing the key 'weight'"):
        EvidenceSpan.from_dict({"start": 0, "end": 2, "text": "ab"})
    with pytest.raises(ValueError, match="'start' must be an integer"):
        EvidenceSpan.from_dict({"start": True, "end": 2, "text": "ab", "weight": 1})
    with pytest.raises(ValueError, match=r"evidence\.x must be a list"):
        evidence_from_dict({"x": "nope"})
    with pytest.raises(ValueError, match="does not give"):
        evidence_from_dict(evidence_to_dict({"x": (span,)}), clause_text="abc")


def test_highlight_marks_and_escapes():
    text = 'We <b>sell</b> "data" & more'
    sell = EvidenceSpan(6, 10, "sell", 1.0)
    data = EvidenceSpan(15, 21, '"data"', 0.5)
    overlapping = EvidenceSpan(8, 10, "ll", 0.2)
    assert highlight(text, [sell], style="ansi") == (
        f'We <b>{ANSI_ON}sell{ANSI_OFF}</b> "data" & more'
    )
    marked = highlight(text, {"data_sale": (sell, data), "other": (overlapping,)}, style="html")
    assert marked == (
        "We &lt;b&gt;<mark>sell</mark>&lt;/b&gt; <mark>&quot;data&quot;</mark> &amp; more"
    )
    assert highlight(text, [], style="html") == (
        "We &lt;b&gt;sell&lt;/b&gt; &quot;data&quot; &amp; more"
    )
    with pytest.raises(ValueError, match="not in the text"):
        highlight("short", [sell])
    with pytest.raises(ValueError, match="unknown highlight style"):
        highlight(text, [sell], style="latex")
