"""Policy versions: clause ids, report round trips, diffs and histories.

The policies are short fictional texts written for these tests ("Fernwick Notes"); most reports
are built by hand with fixed predictions, so the diff logic is tested fast and deterministically.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

import clauseclf
from clauseclf.inference.model import ClauseModel
from clauseclf.predictions import ClausePrediction
from clauseclf.provenance import CLAUSE_ID_LENGTH, clause_id, normalize_clause_text
from clauseclf.report import FRAME_COLUMNS, AnalyzedClause, DocumentReport
from clauseclf.segmentation import Segment
from clauseclf.taxonomy import SEVERITY_SCALE
from clauseclf.versions import (
    DIFF_COLUMNS,
    HISTORY_COLUMNS,
    SIMILARITY_THRESHOLD,
    ClauseChange,
    PolicyDiff,
    PolicyHistory,
    diff,
    similarity,
    word_diff,
)

SHA = "0" * 64

#: A clause of a made-up report: its text and its types with their severities.
Clause = tuple[str, dict[str, str]]

# Clause texts of the fictional policy, with their types and severities.
COLLECT = ("We collect your e-mail address when you sign up.", {"data_collection": "low"})
OPT_OUT = ("You can opt out of marketing e-mails at any time.", {"opt_out": "none"})
ARBITRATION = (
    "Any dispute with Fernwick may be resolved by arbitration.",
    {"arbitration": "low"},
)
ARBITRATION_BINDING = (
    "Any dispute with Fernwick must be resolved by binding arbitration.",
    {"arbitration": "high"},
)
LAW = ("These terms are governed by the laws of Oregon.", {"governing_law": "low"})
CONTACT: Clause = ("You can write to Fernwick support at any time.", {})
AI = ("We use your notes to train our machine learning models.", {"ai_training": "high"})


def prediction(types: dict[str, str]) -> ClausePrediction:
    """A fixed prediction: every type at probability 0.9, in the given order."""
    labels = {t: 0.9 - 0.01 * k for k, t in enumerate(types)}
    severity = max(types.values(), key=SEVERITY_SCALE.index) if types else "none"
    return ClausePrediction(
        label=next(iter(types), "other"),
        labels=labels,
        severity=severity,
        severities=dict(types),
        confidence=0.8,
        probabilities={**labels, "children": 0.01},
    )


def make_report(
    clauses: list[tuple[str, dict[str, str]]],
    *,
    model_version: str = "m1",
    source: str | None = "fernwick.txt",
) -> DocumentReport:
    """A report whose text is the clauses, one per line (offsets exact)."""
    pieces, analyzed, cursor = [], [], 0
    for index, (text, types) in enumerate(clauses):
        segment = Segment(start=cursor, end=cursor + len(text), text=text, heading="Terms")
        analyzed.append(AnalyzedClause(index, segment, prediction(types)))
        pieces.append(text)
        cursor += len(text) + 1
    return DocumentReport(
        platform="Fernwick",
        document="Terms",
        source=source,
        format="text",
        sha256=SHA,
        text="\n".join(pieces),
        clauses=tuple(analyzed),
        model_version=model_version,
        model_id="test-model",
        analyzed_at=datetime(2024, 5, 1, 12, 30, tzinfo=UTC),
    )


def by_text(result: PolicyDiff) -> dict[str, ClauseChange]:
    return {change.text: change for change in result.clauses}


def old_clause(change: ClauseChange) -> AnalyzedClause:
    """``change.old``, asserting that the change has one."""
    assert change.old is not None
    return change.old


# -- clause ids --------------------------------------------------------------------------------


def test_clause_id_ignores_whitespace_quotes_and_case():
    base = clause_id('We don\'t sell your "personal" data.')
    assert len(base) == CLAUSE_ID_LENGTH
    assert all(c in "0123456789abcdef" for c in base)
    for variant in [
        "We don\u2019t sell your \u201cpersonal\u201d data.",
        '  WE DON\'T   SELL your\n"Personal"\tdata.  ',
        'We\u00a0don\'t sell your "personal" data.',
        '\uff37e don\'t sell your "personal" data.',  # fullwidth W (NFKC)
    ]:
        assert clause_id(variant) == base, variant
    assert clause_id('We do sell your "personal" data.') != base
    assert clause_id("We don't sell your personal data.") != base  # quotes are kept


def test_normalize_clause_text():
    assert normalize_clause_text("  The  \ufb01le\u2019s   NAME \u00ab x \u00bb ") == (
        'the file\'s name " x "'
    )
    text = "Stra\u00dfe \u2018A\u2019 \u2460"
    once = normalize_clause_text(text)
    assert normalize_clause_text(once) == once


def test_reports_carry_clause_ids():
    report = make_report([COLLECT, OPT_OUT])
    ids = [c.clause_id for c in report.clauses]
    assert ids == [clause_id(COLLECT[0]), clause_id(OPT_OUT[0])]
    assert [c["clause_id"] for c in report.to_dict()["clauses"]] == ids
    frame = report.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert FRAME_COLUMNS[-1] == "clause_id"
    assert frame["clause_id"].tolist() == ids


# -- report round trip -------------------------------------------------------------------------


def test_from_dict_round_trip_through_json():
    report = make_report([COLLECT, ARBITRATION, CONTACT])
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["analyzed_at"] == "2024-05-01T12:30:00+00:00"
    assert data["model_id"] == "test-model"
    again = DocumentReport.from_dict(data)
    assert again == report
    assert again.analyzed_at is not None and again.analyzed_at.tzinfo is not None
    assert [c.clause_id for c in again.clauses] == [c.clause_id for c in report.clauses]


def test_from_dict_accepts_reports_without_provenance():
    data = make_report([COLLECT]).to_dict()
    for key in ("analyzed_at", "model_id", "source", "platform", "document", "model_version"):
        del data[key]
    report = DocumentReport.from_dict(data)
    assert report.analyzed_at is None and report.model_id is None
    assert report.clauses[0].text == COLLECT[0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("text"), "missing the key 'text'"),
        (lambda d: d.pop("clauses"), "missing the key 'clauses'"),
        (lambda d: d.update(sha256="abc"), "'sha256'"),
        (lambda d: d.update(clauses="none"), "'clauses' must be a list"),
        (lambda d: d.update(analyzed_at="yesterday"), "'analyzed_at'"),
        (lambda d: d.update(analyzed_at="2024-05-01T12:30:00"), "no timezone"),
        (lambda d: d["clauses"][1].pop("severity"), r"clauses\[1\] is missing the key 'severity'"),
        (lambda d: d["clauses"][0].update(start="0"), r"clauses\[0\] key 'start' must be"),
        (lambda d: d["clauses"][0].update(end=3), r"clauses\[0\]: 'start'/'end'"),
        (lambda d: d["clauses"][0].update(confidence="high"), "'confidence'"),
        (lambda d: d["clauses"][0].update(labels=["opt_out"]), "'labels' must be an object"),
        (lambda d: d["clauses"][1].update(clause_index=7), "'clause_index' is 7"),
    ],
)
def test_from_dict_names_the_bad_key(mutate, message):
    data = make_report([COLLECT, OPT_OUT]).to_dict()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        DocumentReport.from_dict(data)


def test_from_dict_rejects_non_objects():
    with pytest.raises(ValueError, match="JSON object"):
        DocumentReport.from_dict([])  # type: ignore[arg-type]


def test_save_and_load_json(tmp_path):
    report = make_report([COLLECT, OPT_OUT, AI])
    path = report.save_json(tmp_path / "fernwick.json")
    assert path.read_text(encoding="utf-8").startswith("{")
    assert DocumentReport.load_json(path) == report
    assert [p.name for p in tmp_path.iterdir()] == ["fernwick.json"]  # no staging file left
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON"):
        DocumentReport.load_json(tmp_path / "broken.json")
    (tmp_path / "other.json").write_text('{"rows": []}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"other\.json: report is missing the key"):
        DocumentReport.load_json(tmp_path / "other.json")


def test_analyze_records_provenance(tiny_model):
    model = ClauseModel(
        tiny_model.encoder,
        tiny_model.head,
        tiny_model.taxonomy,
        metadata={"model_version": "tiny-2", "path": "/models/fernwick-v2"},
    )
    before = datetime.now(UTC)
    report = model.analyze(
        "Any dispute with Fernwick will be resolved by binding arbitration.\n\n"
        "Fernwick sells your personal data to data brokers.",
        source="https://fernwick.example/terms",
    )
    assert report.source == "https://fernwick.example/terms"
    assert report.model_id == "fernwick-v2" and report.model_version == "tiny-2"
    assert report.analyzed_at is not None
    assert report.analyzed_at.utcoffset() == timedelta(0)
    assert before <= report.analyzed_at <= datetime.now(UTC)
    assert report.to_dict()["analyzed_at"].endswith("+00:00")
    assert DocumentReport.from_dict(report.to_dict()) == report
    named = ClauseModel(
        tiny_model.encoder, tiny_model.head, tiny_model.taxonomy, metadata={"model_id": "mine"}
    )
    assert named.analyze("We sell your data.").model_id == "mine"
    assert tiny_model.analyze("We sell your data.").model_id is None


# -- diff ------------------------------------------------------------------------------------


def test_diff_of_a_reworded_reordered_policy():
    old = make_report([COLLECT, OPT_OUT, ARBITRATION, LAW, CONTACT])
    collect_variant = "We  collect your E-mail address when you sign up."  # same clause id
    new = make_report(
        [LAW, (collect_variant, COLLECT[1]), ARBITRATION_BINDING, CONTACT, AI],
        model_version="m1",
    )
    result = diff(old, new)
    changes = by_text(result)
    assert [c.status for c in result.clauses] == [
        "unchanged",  # LAW, moved to the top
        "unchanged",  # COLLECT, whitespace and case only
        "removed",  # OPT_OUT, shown where it was
        "reworded",  # ARBITRATION
        "unchanged",  # CONTACT
        "added",  # AI
    ]
    assert changes[LAW[0]].moved
    assert [c.text for c in result.moved] == [LAW[0]]
    assert changes[collect_variant].similarity == 1.0
    collect_old = changes[collect_variant].old
    assert collect_old is not None and collect_old.text == COLLECT[0]
    reworded = result.reworded[0]
    assert reworded.old and reworded.new and reworded.similarity is not None
    assert reworded.old.text == ARBITRATION[0] and reworded.new.text == ARBITRATION_BINDING[0]
    assert (reworded.old_severity, reworded.new_severity) == ("low", "high")
    assert reworded.severity_change == 2
    assert SIMILARITY_THRESHOLD <= reworded.similarity < 1.0
    assert [(op.op, op.words) for op in reworded.word_diff] == [
        ("equal", ("Any", "dispute", "with", "Fernwick")),
        ("delete", ("may",)),
        ("insert", ("must",)),
        ("equal", ("be", "resolved", "by")),
        ("insert", ("binding",)),
        ("equal", ("arbitration.",)),
    ]
    assert reworded.word_diff_text() == (
        "Any dispute with Fernwick [-may-] {+must+} be resolved by {+binding+} arbitration."
    )
    assert [c.text for c in result.added] == [AI[0]]
    assert [c.text for c in result.removed] == [OPT_OUT[0]]
    assert result.counts() == {
        "added": 1,
        "removed": 1,
        "reworded": 1,
        "unchanged": 3,
        "moved": 1,
        "worse": 3,
    }
    assert not result.identical and result.same_model


def test_what_got_worse():
    old = make_report([COLLECT, OPT_OUT, ARBITRATION, LAW, CONTACT])
    new = make_report([LAW, COLLECT, ARBITRATION_BINDING, CONTACT, AI])
    result = diff(old, new)
    assert [c.describe() for c in result.worse()] == [
        "severity raised: arbitration low -> high",
        "new: ai_training, high; new to the policy",
        "removed: opt_out, none; gone from the policy",  # a protective clause is gone
    ]
    assert all(c.adverse for c in result.worse()) and len(result.changes) == 3
    kinds = {c.kind: c for c in result.changes}
    assert kinds["severity_raised"].clause_id == clause_id(ARBITRATION_BINDING[0])
    assert kinds["removed_clause"].text == OPT_OUT[0]
    assert str(kinds["new_clause"]) == "new: ai_training, high; new to the policy"


def test_harmless_changes_are_not_worse():
    old = make_report([ARBITRATION_BINDING, LAW, AI])
    new = make_report([ARBITRATION, LAW, CONTACT, ("Fernwick is a note app.", {})])
    result = diff(old, new)
    assert [c.status for c in result.clauses] == [
        "reworded",
        "unchanged",
        "removed",
        "added",
        "added",
    ]
    described = {c.describe(): c.adverse for c in result.changes}
    assert described == {
        "severity lowered: arbitration high -> low": False,
        "removed: ai_training, high; gone from the policy": False,
    }
    assert result.worse() == ()
    assert "Nothing got worse." in result.format()


def test_new_low_clause_and_type_gain_on_a_reworded_clause():
    sharing = ("We share your notes with our partners.", {"third_party_sharing": "medium"})
    sharing_ai = (
        "We share your notes with our partners to train AI.",
        {"third_party_sharing": "medium", "ai_training": "medium"},
    )
    old = make_report([sharing, LAW])
    new = make_report([sharing_ai, LAW, COLLECT])
    result = diff(old, new)
    assert [c.status for c in result.clauses] == ["reworded", "unchanged", "added"]
    described = {c.describe(): c.adverse for c in result.changes}
    assert described == {
        "type added to a reworded clause: ai_training, medium; new to the policy": True,
        "new: data_collection, low; new to the policy": False,  # low: informational
    }
    assert [c.new_to_policy for c in result.changes] == [("ai_training",), ("data_collection",)]


def test_severity_raise_names_the_type_that_raised_it():
    sharing = ("We share your notes with our partners.", {"third_party_sharing": "low"})
    selling = (
        "We share and sell your notes to our partners.",
        {"third_party_sharing": "low", "data_sale": "high"},
    )
    keep = ("We never sell your e-mail address.", {"data_sale": "none"})
    result = diff(make_report([sharing, keep]), make_report([selling, keep]))
    (change,) = result.changes  # the raise says it all: no separate "type added"
    assert change.describe() == "severity raised: data_sale low -> high"
    assert change.new_to_policy == () and change.adverse


def test_type_changes_without_a_clause_change():
    # The same wording, analysed by two different models: only the policy-level types change.
    old = make_report([COLLECT, (LAW[0], {})], model_version="m1")
    new = make_report([COLLECT, LAW], model_version="m2")
    result = diff(old, new)
    assert [c.status for c in result.clauses] == ["unchanged", "unchanged"]
    assert [c.describe() for c in result.changes] == ["type newly present: governing_law, low"]
    assert not result.same_model and result.worse() == ()
    back = diff(new, old)
    assert [c.describe() for c in back.changes] == ["type no longer present: governing_law, low"]


def test_reordering_only():
    clauses = [COLLECT, OPT_OUT, ARBITRATION, LAW, CONTACT]
    old = make_report(clauses)
    new = make_report([clauses[i] for i in (0, 3, 1, 2, 4)])
    result = diff(old, new)
    assert all(c.status == "unchanged" for c in result.clauses)
    assert [c.text for c in result.moved] == [LAW[0]]
    assert result.changes == () and result.worse() == ()
    assert not result.identical
    assert diff(old, make_report(clauses)).identical


def test_insertions_and_deletions_only():
    old = make_report([COLLECT, LAW])
    grown = make_report([COLLECT, OPT_OUT, LAW, AI])
    result = diff(old, grown)
    assert [(c.status, c.moved) for c in result.clauses] == [
        ("unchanged", False),
        ("added", False),
        ("unchanged", False),
        ("added", False),
    ]
    assert result.added[0].similarity is None and result.added[0].old is None
    back = diff(grown, old)
    assert [c.status for c in back.clauses] == ["unchanged", "removed", "unchanged", "removed"]
    assert [c.text for c in back.removed] == [OPT_OUT[0], AI[0]]


def test_removed_clause_at_the_start_is_listed_first():
    result = diff(make_report([OPT_OUT, COLLECT]), make_report([COLLECT]))
    assert [c.status for c in result.clauses] == ["removed", "unchanged"]


def test_repeated_wording_is_matched_one_to_one():
    repeated: Clause = ("Learn more in our help centre.", {})
    old = make_report([repeated, COLLECT, repeated])
    new = make_report([COLLECT, repeated])
    result = diff(old, new)
    assert sorted(c.status for c in result.clauses) == ["removed", "unchanged", "unchanged"]
    assert [old_clause(c).index for c in result.unchanged] == [1, 2]


def test_dissimilar_clauses_are_not_paired():
    old = make_report([OPT_OUT])
    new = make_report([CONTACT])
    assert 0.5 < similarity(OPT_OUT[0], CONTACT[0]) < SIMILARITY_THRESHOLD
    assert [c.status for c in diff(old, new).clauses] == ["removed", "added"]
    # With a lower threshold the same clauses are taken as one reworded clause.
    assert [c.status for c in diff(old, new, threshold=0.5).clauses] == ["reworded"]
    assert [c.status for c in diff(old, make_report([AI]), threshold=0.01).clauses] == [
        "removed",
        "added",
    ]


def test_greedy_pairing_takes_the_most_similar_first():
    a: Clause = ("Fernwick may suspend your account if you break these terms.", {})
    b: Clause = ("Fernwick may suspend or delete your account if you break these terms.", {})
    a2: Clause = ("Fernwick may suspend your account if you break these terms twice.", {})
    assert similarity(b[0], a2[0]) >= SIMILARITY_THRESHOLD  # b could be paired with a2 too
    result = diff(make_report([b, a]), make_report([a2]))
    assert [c.status for c in result.clauses] == ["removed", "reworded"]
    assert old_clause(result.reworded[0]).text == a[0]  # a2 is closer to a than to b
    result = diff(make_report([a]), make_report([b, a2]))
    assert [c.status for c in result.clauses] == ["added", "reworded"]  # one-to-one


def test_word_diff_and_similarity():
    # Words compare normalised and without the punctuation around them.
    ops = word_diff("You may leave at any time.", "You MAY leave at any time, for free.")
    assert [op.op for op in ops] == ["equal", "insert"]
    assert ops[0].words == ("You", "MAY", "leave", "at", "any", "time,")
    assert ops[1].words == ("for", "free.")
    ops = word_diff("You may leave.", "You can't leave.")
    assert [(op.op, op.words) for op in ops] == [
        ("equal", ("You",)),
        ("delete", ("may",)),
        ("insert", ("can't",)),
        ("equal", ("leave.",)),
    ]
    assert similarity("We sell your data.", "we SELL your data") == 1.0
    assert similarity("We sell your data.", "We never sell your data.") == pytest.approx(8 / 9)


def test_diff_validates_input():
    report = make_report([COLLECT])
    with pytest.raises(TypeError, match="DocumentReport"):
        diff(report, report.to_dict())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold"):
        diff(report, report, threshold=0)
    base = make_report([COLLECT])
    clause = base.clauses[0]
    odd_prediction = dataclasses.replace(clause.prediction, severity="severe")
    odd = dataclasses.replace(
        base, clauses=(dataclasses.replace(clause, prediction=odd_prediction),)
    )
    with pytest.raises(ValueError, match="'severe' is not on the scale"):
        diff(report, odd)


def test_diff_outputs():
    old = make_report([COLLECT, OPT_OUT, ARBITRATION, LAW])
    script: Clause = ('Our <script>alert(1)</script> & "friends" may read your notes.', {})
    new = make_report([LAW, COLLECT, ARBITRATION_BINDING, AI, script], model_version="m2")
    result = diff(old, new)
    assert not result.same_model
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["counts"]["reworded"] == 1
    assert data["old"]["model_version"] == "m1" and data["new"]["model_version"] == "m2"
    assert data["worse"][0]["description"] == "severity raised: arbitration low -> high"
    statuses = [c["status"] for c in data["clauses"]]
    assert statuses.count("added") == 2
    reworded = data["clauses"][statuses.index("reworded")]
    assert {"op": "insert", "words": ["binding"]} in reworded["word_diff"]
    assert reworded["old"]["severity"] == "low" and reworded["new"]["severity"] == "high"

    frame = result.to_frame()
    assert tuple(frame.columns) == DIFF_COLUMNS
    assert len(frame) == len(result.clauses)
    row = frame[frame.status == "reworded"].iloc[0]
    assert row.severity_change == 2 and bool(row.worse)
    assert "{+binding+}" in row.word_diff
    assert frame.loc[frame.status == "removed", "new_index"].isna().all()

    text = result.format(width=80)
    assert text.index("What got worse (") < text.index("Clauses:")
    assert "! severity raised: arbitration low -> high" in text
    assert "[-may-] {+must+}" in text
    assert "+ [ai_training, high] We use your notes" in text
    assert "- [opt_out, none] You can opt out" in text
    assert "different models" in text
    assert "= [governing_law, low] (moved)" in text
    assert "\x1b[" not in text and "\x1b[31m" in result.format(color=True)
    assert COLLECT[0] not in text.split("Clauses:")[1]
    assert COLLECT[0] in result.format(unchanged=True).split("Clauses:")[1]

    page = result.to_html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;" in page
    assert "<del>may</del> <ins>must</ins>" in page


# -- history -----------------------------------------------------------------------------------

OPT_OUT_REWORDED = (
    "You can opt out of marketing e-mails at any time in your settings.",
    {"opt_out": "none"},
)


def history_reports():
    v1 = make_report([COLLECT, OPT_OUT, ARBITRATION, LAW])
    v2 = make_report([COLLECT, OPT_OUT_REWORDED, ARBITRATION, LAW, CONTACT])
    v3 = make_report([COLLECT, OPT_OUT_REWORDED, LAW, CONTACT, AI])
    return v1, v2, v3


def test_history_labels_three_versions():
    v1, v2, v3 = history_reports()
    history = PolicyHistory([("2024-01-01", v3), (date(2023, 1, 15), v1)])
    history.add(datetime(2023, 6, 1, 9, 0, tzinfo=timezone(timedelta(hours=2))), v2)
    assert [v.report for v in history.versions] == [v1, v2, v3]
    assert len(history) == 3 and len(history.diffs()) == 2
    lineages = {c.lineage_id: c for c in history.clauses()}
    assert set(lineages) == {
        clause_id(t) for t, _ in (COLLECT, OPT_OUT, ARBITRATION, LAW, CONTACT, AI)
    }
    expected = {
        COLLECT[0]: ("stable", 0, date(2023, 1, 15), date(2024, 1, 1), 3),
        OPT_OUT[0]: ("changed", 1, date(2023, 1, 15), date(2024, 1, 1), 3),
        ARBITRATION[0]: ("removed", 0, date(2023, 1, 15), v2_date(history), 2),
        LAW[0]: ("stable", 0, date(2023, 1, 15), date(2024, 1, 1), 3),
        CONTACT[0]: ("new", 0, v2_date(history), date(2024, 1, 1), 2),
        AI[0]: ("new", 0, date(2024, 1, 1), date(2024, 1, 1), 1),
    }
    for text, (status, changes, first, last, versions) in expected.items():
        lineage = lineages[clause_id(text)]
        assert (lineage.status, lineage.changes) == (status, changes), text
        assert (lineage.first_seen, lineage.last_seen, lineage.versions) == (first, last, versions)
    opt_out = lineages[clause_id(OPT_OUT[0])]
    assert opt_out.clause_ids == (clause_id(OPT_OUT[0]), clause_id(OPT_OUT_REWORDED[0]))
    assert opt_out.clause_id == clause_id(OPT_OUT_REWORDED[0])
    assert opt_out.text == OPT_OUT_REWORDED[0]
    frame = history.to_frame()
    assert tuple(frame.columns) == HISTORY_COLUMNS
    assert frame.set_index("text")["status"].to_dict()[AI[0]] == "new"
    assert sorted(frame["status"].value_counts().items()) == [
        ("changed", 1),
        ("new", 2),
        ("removed", 1),
        ("stable", 2),
    ]
    json.dumps([c.to_dict() for c in history.clauses()])


def v2_date(history: PolicyHistory) -> date:
    return history.versions[1].date


def test_history_clause_that_comes_back():
    history = PolicyHistory(
        [
            ("2023-01-01", make_report([COLLECT, LAW])),
            ("2023-02-01", make_report([COLLECT])),
            ("2023-03-01", make_report([COLLECT, LAW])),
        ]
    )
    lineages = {c.lineage_id: c for c in history.clauses()}
    assert len(lineages) == 2
    law = lineages[clause_id(LAW[0])]
    assert (law.status, law.changes, law.versions) == ("changed", 1, 2)


def test_history_repeated_wording_gets_distinct_lineages():
    repeated: Clause = ("Learn more in our help centre.", {})
    history = PolicyHistory([("2023-01-01", make_report([repeated, COLLECT, repeated]))])
    ids = [c.lineage_id for c in history.clauses()]
    assert ids == [clause_id(repeated[0]), clause_id(COLLECT[0]), clause_id(repeated[0]) + "-2"]
    assert {c.status for c in history.clauses()} == {"stable"}


def test_history_dates():
    v1, v2, _ = history_reports()
    history = PolicyHistory([("2023-01-15", v1)])
    with pytest.raises(ValueError, match="already a version dated 2023-01-15"):
        history.add(date(2023, 1, 15), v2)
    history.add("2023-01-15", v2, replace=True)
    assert [v.report for v in history.versions] == [v2]
    with pytest.raises(ValueError, match="not an ISO-8601 date"):
        history.add("15/01/2023", v1)
    with pytest.raises(TypeError, match="ISO-8601 string"):
        history.add(20230115, v1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DocumentReport"):
        history.add("2023-02-01", v1.to_dict())
    history.add("2023-01-15T08:00:00Z", v1)  # a different instant of the same day is allowed
    assert [v.date for v in history.versions] == [
        date(2023, 1, 15),
        datetime(2023, 1, 15, 8, tzinfo=UTC),
    ]
    assert PolicyHistory().clauses() == ()


# -- top level ---------------------------------------------------------------------------------


def test_top_level_exports_are_lazy():
    assert clauseclf.diff is diff
    assert clauseclf.PolicyHistory is PolicyHistory and clauseclf.PolicyDiff is PolicyDiff
    assert {"diff", "PolicyDiff", "PolicyHistory"} <= set(dir(clauseclf))
    code = (
        "import sys, clauseclf\n"
        "heavy = [m for m in ('pandas', 'torch', 'sklearn', 'clauseclf.versions') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_clause_lineages_of_clause_sequences_match_the_history():
    """Versions given as bare clause sequences (as a scored table's rows are) get the lineages
    of ``PolicyHistory``, and each version's clauses map to their lineage."""
    from clauseclf.versions import clause_lineages

    v1, v2, v3 = history_reports()
    dated = [("2023-01-15", v1), ("2023-06-01", v2), ("2024-01-01", v3)]
    history = PolicyHistory(dated)
    lineages, per_version = clause_lineages(
        [("2024-01-01", list(v3.clauses)), ("2023-01-15", v1.clauses), ("2023-06-01", v2.clauses)]
    )
    assert lineages == history.clauses()
    assert per_version == history.version_lineages()[1]
    assert [len(clauses) for clauses in per_version] == [len(v.clauses) for _, v in dated]
    reworded = per_version[2][1]  # the reworded opt-out in the latest version
    assert reworded.text == OPT_OUT_REWORDED[0] and reworded.changes == 1
    assert per_version[0][1] is reworded  # the same lineage in the first version
    arbitration = per_version[1][2]
    assert (arbitration.status, arbitration.last_seen) == ("removed", date(2023, 6, 1))
    assert clause_lineages([]) == ((), ())
    with pytest.raises(ValueError, match="two versions are dated 2023-01-15"):
        clause_lineages([("2023-01-15", v1.clauses), (date(2023, 1, 15), v2.clauses)])
