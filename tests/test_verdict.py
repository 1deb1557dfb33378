"""The verdict (findings, grade, citations), the explanations per type and severity, content-word
evidence, and the verdict-first report in Markdown, the terminal and HTML.

Policies are fictional (conftest's Fernwick, the example Larkspur) or read from ../shared/data.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tarfile
from datetime import UTC, datetime

import lxml.html
import pandas as pd
import pytest

import clauseclf
from clauseclf import cli
from clauseclf.cli import main
from clauseclf.errors import TaxonomyError
from clauseclf.evidence import STOP_WORDS, is_content, trim_trailing_stop_words
from clauseclf.explanations import (
    default_explanations,
    explain,
    explanations_from_dict,
)
from clauseclf.html_report import render_html
from clauseclf.index import ClauseIndex
from clauseclf.taxonomy import OTHER, SEVERITY_SCALE, default_taxonomy
from clauseclf.text_report import render_markdown
from clauseclf.verdict import (
    MIN_CONFIDENCE,
    NOT_GRADED,
    Citation,
    Finding,
    findings_from_report,
    findings_from_rows,
    grade_findings,
    rank_findings,
    report_verdict,
)
from conftest import EXAMPLE_POLICY, FERNWICK_POLICY, html_nodes, present, require_shared_data

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def finding(type_id, severity, confidence=0.9, index=0):
    citation = Citation("ab" * 32, f"{index:016x}", index, "v1", WHEN)
    return Finding(type_id, severity, confidence, index, None, f"clause {index}", (), citation)


@pytest.fixture(scope="module")
def report(tiny_model):
    return tiny_model.analyze(FERNWICK_POLICY, platform="Fernwick", format="text")


@pytest.fixture(scope="module")
def larkspur():
    return clauseclf.load().analyze(EXAMPLE_POLICY.read_text(encoding="utf-8"), platform="Larkspur")


# -- explanations ------------------------------------------------------------------------------


def test_every_type_has_both_texts_for_every_severity():
    table = default_explanations()
    types = default_taxonomy().type_ids
    assert len(types) == 28
    assert set(table) == {(t, s) for t in types for s in SEVERITY_SCALE}
    for (type_id, severity), explanation in table.items():
        assert explanation.type == type_id and explanation.severity == severity
        assert len(explanation.why_it_matters) > 30 and len(explanation.what_it_means) > 30
    # Written per type: no "what it means" text is shared by two types.
    meanings = [e.what_it_means for e in table.values()]
    assert len(set(meanings)) == len(meanings)
    assert explain(OTHER, "none") is None and explain("biometric_data", "high") is None


def test_protective_and_adverse_texts_differ():
    sale = present(explain("data_sale", "none")).what_it_means
    assert "does not sell" in sale
    assert "may sell" in present(explain("data_sale", "high")).what_it_means


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "'types' object"),
        ({"types": {"x": []}}, "object of severities"),
        ({"types": {"x": {"severe": {}}}}, "unknown severity 'severe'"),
        ({"types": {"x": {"high": {"why_it_matters": "a"}}}}, "exactly the keys"),
        (
            {"types": {"x": {"high": {"why_it_matters": " ", "what_it_means": "b"}}}},
            "non-empty string",
        ),
    ],
)
def test_bad_explanations_are_refused(data, message):
    with pytest.raises(TaxonomyError, match=message):
        explanations_from_dict(data)


def test_explanations_are_package_data_beside_the_taxonomy():
    from importlib import resources

    text = resources.files("clauseclf").joinpath("explanations.json").read_text("utf-8")
    assert set(json.loads(text)["types"]) == set(default_taxonomy().type_ids)
    # The taxonomy itself carries no explanation (it must keep matching the shared one).
    taxonomy = json.loads(resources.files("clauseclf").joinpath("taxonomy.json").read_text())
    assert all(
        set(t) <= {"id", "category", "default_severity", "description", "regulations"}
        for t in taxonomy["types"]
    )


# -- grade -------------------------------------------------------------------------------------


def test_too_little_found_is_not_graded():
    grade = grade_findings([finding("arbitration", "high"), finding("tracking", "medium")])
    assert grade.letter is None and grade.label == NOT_GRADED
    assert "too little found" in grade.reason


def test_low_confidence_is_not_graded():
    confident = [finding(t, "medium") for t in ("arbitration", "tracking", "data_sale")]
    unsure = [finding("children", "low", confidence=0.3, index=i) for i in range(4)]
    grade = grade_findings(confident + unsure)
    assert grade.letter is None and "confidence too low" in grade.reason


HIGH6 = ("arbitration", "class_action_waiver", "data_sale", "ai_training", "tracking", "children")


@pytest.mark.parametrize(
    ("findings", "letter", "score"),
    [
        ([("data_sale", "none"), ("ai_training", "none"), ("user_rights", "none")], "A", -3),
        ([("tracking", "medium"), ("data_sale", "none"), ("user_rights", "low")], "A", 0),
        ([("tracking", "medium"), ("jurisdiction", "medium"), ("children", "low")], "B", 2),
        # One high type rules out A and B, however low the score.
        ([("arbitration", "high"), ("data_sale", "none"), ("user_rights", "none")], "C", 1),
        (
            [(t, "medium") for t in ("tracking", "jurisdiction", "indemnification")]
            + [("arbitration", "high"), ("class_action_waiver", "high")],
            "D",
            9,
        ),
        ([(t, "high") for t in HIGH6[:5]] + [("jurisdiction", "medium")], "D", 16),
        ([(t, "high") for t in HIGH6], "E", 18),
    ],
)
def test_grade_formula(findings, letter, score):
    grade = grade_findings([finding(t, s, index=i) for i, (t, s) in enumerate(findings)])
    assert (grade.letter, grade.score) == (letter, score)
    assert str(score) in grade.reason


def test_a_type_counts_once_at_its_most_adverse_confident_severity():
    findings = [
        finding("data_sale", "none", index=0),
        finding("data_sale", "high", index=1),
        finding("data_sale", "high", index=2),
        finding("tracking", "high", confidence=MIN_CONFIDENCE - 0.01, index=3),
        finding("tracking", "low", index=4),
        finding("children", "low", index=5),
    ]
    grade = grade_findings(findings)
    assert (grade.high, grade.medium, grade.low, grade.protective) == (1, 0, 2, 0)
    assert grade.score == 3 and grade.letter == "C"


def test_findings_are_ranked_by_severity_then_confidence():
    found = rank_findings(
        [
            finding("tracking", "medium", 0.99, 0),
            finding("arbitration", "high", 0.6, 1),
            finding("data_sale", "high", 0.9, 2),
            finding("children", "none", 1.0, 3),
        ]
    )
    assert [f.type for f in found] == ["data_sale", "arbitration", "tracking", "children"]


def test_findings_of_a_report(report):
    found = findings_from_report(report)
    expected = {(c.index, t) for c in report.clauses for t in c.prediction.labels}
    assert {(f.clause_index, f.type) for f in found} == expected
    for f in found:
        clause = report.clauses[f.clause_index]
        assert f.severity == clause.prediction.severities[f.type]
        if f.type == clause.label:
            assert f.confidence == clause.confidence
        assert f.citation.document_sha256 == report.sha256
        assert f.citation.clause_id == clause.clause_id
        assert f.citation.model_version == "tiny"
        assert f.citation.analyzed_at == report.analyzed_at
        assert f.citation.record_id == f"{report.sha256[:12]}:{clause.clause_id}"
        assert f.to_dict()["citation"]["document_sha256"] == report.sha256
    verdict = report_verdict(report)
    assert list(verdict.findings) == list(found)
    assert sum(sum(c.values()) for c in verdict.category_counts().values()) == len(found)


def test_findings_from_scored_rows_match_the_report(tiny_model, tmp_path):
    frame = tiny_model.score([{"text": FERNWICK_POLICY, "platform": "Fernwick"}], progress=False)
    found = findings_from_rows(frame, model_version="tiny")
    labelled = frame[frame.label != OTHER]
    assert sorted((f.clause_index, f.type) for f in found) == sorted(
        zip(labelled.clause_index, labelled.label, strict=True)
    )
    # A CSV round trip keeps the evidence (stored there as JSON lists).
    path = tmp_path / "scores.csv"
    clauseclf.batch.write_scores(tiny_model, [{"text": FERNWICK_POLICY}], path, progress=False)
    again = findings_from_rows(pd.read_csv(path), model_version="tiny")
    assert [f.evidence for f in again] == [f.evidence for f in found]
    assert any(f.evidence for f in found)


# -- evidence ----------------------------------------------------------------------------------


def test_is_content_and_trimming():
    assert not is_content("of") and not is_content("We will") and not is_content("you or")
    assert is_content("sell") and is_content("do not") and is_content("30 days")
    text = "your account or"
    assert text[: trim_trailing_stop_words(text, 0, len(text))] == "your account"
    assert trim_trailing_stop_words("of the", 0, 6) == 6  # no content word: unchanged
    assert {"never", "not", "no"}.isdisjoint(STOP_WORDS)  # negations carry the stance


def _spans(report):
    return [s.text for c in report.clauses for g in c.prediction.evidence.values() for s in g]


def test_evidence_is_never_stop_words_alone(larkspur):
    spans = _spans(larkspur)
    assert len(spans) > 50
    assert all(is_content(span) for span in spans), [s for s in spans if not is_content(s)]
    assert all(s.split()[-1].lower().strip(".,;:") not in STOP_WORDS for s in spans)


def test_evidence_on_real_policies_is_content_words():
    archive = require_shared_data() / "policies-2023" / "corpus_text.tar.xz"
    model = clauseclf.load()
    spans = []
    with tarfile.open(archive) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        for member in members[:4]:
            text = present(tar.extractfile(member)).read().decode("utf-8", "replace")
            spans += _spans(model.analyze(text))
    assert len(spans) > 200
    assert [s for s in spans if not is_content(s)] == []


# -- Markdown, terminal, HTML ------------------------------------------------------------------


def test_markdown_puts_the_verdict_first(larkspur):
    text = render_markdown(larkspur)
    verdict = report_verdict(larkspur)
    assert text.startswith("# Clause report: Larkspur\n")
    assert f"**Grade: {verdict.grade.label}**" in text
    order = [text.index(h) for h in ("**Grade:", "## What matters most", "## Clauses")]
    assert order == sorted(order)
    top = verdict.adverse[0]
    assert f"### 1. {top.severity}" in text
    assert present(top.explanation).what_it_means in text
    assert f"record `{top.citation.record_id}`" in text
    # "other" clauses are folded away in <details>.
    assert re.search(r"<details><summary>\d+ clauses of type other</summary>", text)


def test_markdown_escapes_table_cells(report):
    hostile = dataclasses.replace(report, platform="A|B *bold*")
    text = render_markdown(hostile)
    assert "A\\|B \\*bold\\*" in text
    for line in text.splitlines():
        if line.startswith("| ") and "<script>" in line:
            assert "\\<script\\>" in line


@pytest.fixture()
def tiny_cli(monkeypatch, tiny_model):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)


@pytest.fixture()
def policy_file(tmp_path):
    path = tmp_path / "fernwick.txt"
    path.write_text(FERNWICK_POLICY, encoding="utf-8")
    return path


def test_cli_markdown(policy_file, tiny_cli, capsys, tmp_path):
    assert (
        main(["analyze", str(policy_file), "--platform", "Fernwick", "--format", "markdown"]) == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("# Clause report: Fernwick")
    out_file = tmp_path / "report.md"
    assert main(["analyze", str(policy_file), "--format", "markdown", "--out", str(out_file)]) == 0
    assert out_file.read_text(encoding="utf-8").startswith("# Clause report:")


#: The keys of ``clauseclf analyze --format json``'s ``verdict`` (documented in the README).
VERDICT_JSON_KEYS = {"grade", "category_counts", "findings"}
GRADE_JSON_KEYS = {
    "grade",
    "score",
    "high_types",
    "medium_types",
    "low_types",
    "protective_types",
    "reason",
}
FINDING_JSON_KEYS = {
    "type",
    "category",
    "severity",
    "stance",
    "confidence",
    "clause_index",
    "heading",
    "text",
    "evidence",
    "why_it_matters",
    "what_it_means",
    "citation",
}
CITATION_JSON_KEYS = {
    "record_id",
    "document_sha256",
    "clause_id",
    "clause_index",
    "model_version",
    "analyzed_at",
}


def test_cli_json_carries_the_verdict(policy_file, tiny_cli, capsys, tmp_path):
    assert main(["analyze", str(policy_file), "--platform", "Fernwick", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    verdict = data["verdict"]
    assert set(verdict) == VERDICT_JSON_KEYS
    assert set(verdict["grade"]) == GRADE_JSON_KEYS
    assert all(set(f) == FINDING_JSON_KEYS for f in verdict["findings"])
    assert all(set(f["citation"]) == CITATION_JSON_KEYS for f in verdict["findings"])
    # the verdict of the report the JSON holds, findings ranked
    report = clauseclf.DocumentReport.from_dict(data)
    assert verdict == json.loads(json.dumps(report_verdict(report).to_dict()))
    ranks = [
        (-SEVERITY_SCALE.index(f["severity"]), -f["confidence"], f["clause_index"])
        for f in verdict["findings"]
    ]
    assert ranks == sorted(ranks) and ranks
    assert {f["citation"]["document_sha256"] for f in verdict["findings"]} == {data["sha256"]}
    # a saved JSON report with its verdict is still a report for diff and compare
    saved = tmp_path / "fernwick.json"
    saved.write_text(json.dumps(data), encoding="utf-8")
    assert len(clauseclf.DocumentReport.load_json(saved).clauses) == len(data["clauses"])


def test_cli_table_starts_with_the_verdict_and_folds_other(policy_file, tiny_cli, capsys, report):
    assert main(["analyze", str(policy_file), "--platform", "Fernwick", "--color", "never"]) == 0
    out = capsys.readouterr().out
    grade = report_verdict(report).grade
    assert (
        out.index(f"Grade: {grade.label}") < out.index("What matters most") < out.index("Clauses:")
    )
    others = sum(not c.prediction.labels for c in report.clauses)
    assert f"{others} of type other not shown" in out
    assert "You can reach Fernwick support" not in out.split("Clauses:")[1]
    assert main(["analyze", str(policy_file), "--all", "--color", "never"]) == 0
    assert "You can reach Fernwick support" in capsys.readouterr().out.split("Clauses:")[1]


def test_cli_table_sorted_by_severity(policy_file, tiny_cli, capsys, report):
    assert main(["analyze", str(policy_file), "--sort", "severity", "--color", "never"]) == 0
    table = capsys.readouterr().out.split("Clauses:")[1]
    numbers = [int(m) for m in re.findall(r"^\s{0,3}(\d+)  ", table, flags=re.MULTILINE)]
    ranks = [SEVERITY_SCALE.index(report.clauses[n].severity) for n in numbers]
    assert ranks == sorted(ranks, reverse=True) and len(numbers) > 3


def test_html_verdict_comes_first(report):
    tree = lxml.html.document_fromstring(render_html(report))
    body = lxml.html.tostring(tree).decode()
    assert body.index('class="verdict"') < body.index('<main class="clauses"')
    verdict = report_verdict(report)
    grade = html_nodes(tree, "//section[@class='verdict']//span[contains(@class, 'grade')]")[0]
    assert grade.text_content() == (verdict.grade.letter or "not graded")
    cards = html_nodes(tree, "//section[@class='verdict']/div[contains(@class,'top')]/article")
    assert [c.get("data-type") for c in cards] == [f.type for f in verdict.adverse][: len(cards)]
    first = cards[0]
    assert present(verdict.adverse[0].explanation).why_it_matters in first.text_content()
    assert verdict.adverse[0].citation.record_id in first.text_content()
    assert tree.xpath("//select[@id='sort-order']") and tree.xpath("//label[@for='sort-order']")


def test_html_findings_show_prevalence_with_an_index(report, tiny_model):
    frame = pd.concat(
        [
            tiny_model.analyze(t, platform=p).to_frame()
            for p, t in {
                "Alpha": "Any dispute with Alpha will be resolved by binding arbitration.",
                "Beta": "Beta sells your personal data to data brokers.",
            }.items()
        ],
        ignore_index=True,
    )
    index = ClauseIndex.from_frame(frame, tiny_model)
    tree = lxml.html.document_fromstring(render_html(report, index=index))
    prevalence = html_nodes(tree, "//section[@class='verdict']//p[@class='prevalence']")
    assert prevalence and all("platforms" in p.text_content() for p in prevalence)
