"""The HTML report of one analysed policy (``clauseclf.html_report``), ``analyze --format html``
and the evidence highlighting of ``analyze``'s table view.

The policy is fictional ("Fernwick"), written for these tests; the tiny model of conftest keeps
them fast. The real headless-browser check is ``test_html_browser.py``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import lxml.html
import pandas as pd
import pytest

from clauseclf import cli, html_verdict
from clauseclf.cli import main
from clauseclf.cli.analyze import _wrap_ansi
from clauseclf.evidence import ANSI_OFF, ANSI_ON
from clauseclf.html_report import REGULATION_NOTE, render_html
from clauseclf.index import ClauseIndex
from clauseclf.rendering import wrap
from clauseclf.taxonomy import RegulationRef
from conftest import EXAMPLE_POLICY, FERNWICK_POLICY, present

POLICY = FERNWICK_POLICY

HOSTILE = """Fernwick <script>window.pwned = 1</script> staff <img src=x onerror="window.pwned=2"> \
read "drafts" & 'notes'."""

#: Small policies of other platforms (and one of Fernwick itself) for the clause index.
INDEXED = {
    "Alpha": "Any dispute with Alpha will be resolved by binding arbitration. "
    "The law of Ontario applies to this agreement with Alpha.",
    "Beta": "Claims against Beta must be settled by individual arbitration, not in court. "
    "Beta sells your personal data to data brokers.",
    "Gamma": "Any dispute with Gamma will be resolved by binding arbitration. "
    "You can reach Gamma support by e-mail.",
    "Fernwick": "Any dispute with Fernwick will be resolved by binding arbitration.",
}


@pytest.fixture(scope="module")
def report(tiny_model):
    return tiny_model.analyze(
        POLICY, platform="Fernwick", document='Terms "2026"', format="text", source="fern.txt"
    )


@pytest.fixture(scope="module")
def index(tiny_model):
    reports = [
        tiny_model.analyze(text, platform=platform, document="Terms")
        for platform, text in INDEXED.items()
    ]
    frame = pd.concat([r.to_frame() for r in reports], ignore_index=True)
    return ClauseIndex.from_frame(frame, tiny_model)


def parse(page):
    return lxml.html.document_fromstring(page)


def articles(page):
    return parse(page).xpath("//article[contains(@class, 'clause')]")


def types_of(clause):
    return " ".join(clause.prediction.labels) or "other"


def test_one_element_per_clause_with_data_attributes(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    found = articles(page)
    assert len(found) == len(report.clauses) == 7
    severities = set()
    for element, clause in zip(found, report.clauses, strict=True):
        assert element.get("data-types") == types_of(clause)
        assert element.get("data-severity") == clause.severity
        assert element.get("data-clause-id") == clause.clause_id
        assert f"sev-{clause.severity}" in element.get("class").split()
        badge = element.xpath(".//span[contains(@class, 'badge')]")[0]
        assert badge.text_content() == f"severity: {clause.severity}"  # not colour alone
        assert element.xpath(".//p[@class='text']")[0].text_content() == clause.text
        severities.add(clause.severity)
    assert severities == {"none", "low", "medium", "high"}
    # The clause with two types lists both, with their probabilities.
    two = next(e for e in found if len(e.get("data-types").split()) == 2)
    labels = [li.get("data-type") for li in two.xpath(".//ul[@class='labels']/li")]
    assert labels == two.get("data-types").split()
    assert re.search(r"p=\d\.\d\d", two.xpath(".//ul[@class='labels']")[0].text_content())
    assert "confidence" in two.text_content()


def test_filter_bar_and_summary(report):
    tree = parse(render_html(report))
    type_boxes = tree.xpath("//input[@data-filter='type']")
    present = list(dict.fromkeys(t for c in report.clauses for t in types_of(c).split()))
    assert sorted(b.get("value") for b in type_boxes) == sorted(present)
    assert type_boxes[-1].get("value") == "other"
    # "other" is folded away by default: its box is unticked and its clauses hidden.
    assert [b.get("checked") is not None for b in type_boxes] == [
        b.get("value") != "other" for b in type_boxes
    ]
    severity_boxes = tree.xpath("//input[@data-filter='severity']")
    assert [b.get("value") for b in severity_boxes] == ["none", "low", "medium", "high"]
    arbitration = tree.xpath("//table[@class='counts-type']/tr[@data-type='arbitration']")[0]
    assert arbitration.xpath("td")[1].text == "1"
    high = tree.xpath("//table[@class='counts-severity']/tr[@data-severity='high']")[0]
    assert high.xpath("td")[1].text == str(sum(c.severity == "high" for c in report.clauses))
    labelled = sum(bool(c.prediction.labels) for c in report.clauses)
    assert 0 < labelled < len(report.clauses)
    assert tree.get_element_by_id("shown-count").text == str(labelled)
    hidden = [e.get("hidden") is not None for e in articles(lxml.html.tostring(tree).decode())]
    assert hidden == [not c.prediction.labels for c in report.clauses]


def test_select_all_and_none_buttons_have_distinct_names(report):
    """Each "all" / "none" button is named for its group (the visible word stays in the name)."""
    buttons = parse(render_html(report)).xpath("//nav[@class='filters']//button")
    names = {(b.get("data-group"), b.text_content()): b.get("aria-label") for b in buttons}
    assert names == {
        ("type", "all"): "all clause types",
        ("type", "none"): "none of the clause types",
        ("severity", "all"): "all severities",
        ("severity", "none"): "none of the severities",
    }


def test_provenance_is_shown(report):
    tree = parse(render_html(report))
    fields = {
        td.get("data-field"): td.text_content()
        for td in tree.xpath("//table[@class='provenance']//td")
    }
    assert fields["platform"] == "Fernwick"
    assert fields["document"] == 'Terms "2026"'
    assert fields["source"] == "fern.txt"
    assert fields["sha256"] == report.sha256
    assert fields["analysed"] == report.analyzed_at.isoformat(timespec="seconds")
    assert fields["model_version"] == "tiny"
    assert fields["model_id"] == "unknown"  # the tiny model has no id
    assert tree.findtext(".//title") == 'Clause report: Fernwick - Terms "2026"'


def test_evidence_is_highlighted(report):
    found = articles(render_html(report))
    for element, clause in zip(found, report.clauses, strict=True):
        marks = [m.text_content() for m in element.xpath(".//p[@class='text']/mark")]
        spans = [s.text for group in clause.prediction.evidence.values() for s in group]
        if clause.label == "arbitration":
            assert marks
        assert bool(marks) == bool(spans)
        assert all(mark in clause.text for mark in marks)


def test_hostile_text_is_escaped(report):
    page = render_html(report)
    assert "<script>window" not in page
    assert "<img" not in page
    tree = parse(page)
    assert len(tree.xpath("//script")) == 1  # the page's own filter script only
    assert not tree.xpath("//*[@onerror]")
    hostile = next(e for e in articles(page) if "pwned" in e.text_content())
    assert hostile.xpath(".//p[@class='text']")[0].text_content() == HOSTILE
    heading = articles(page)[0].xpath(".//span[@class='section']")[0]
    assert heading.text_content() == '1. Disputes & "law" <b>'
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert "onerror=&quot;window.pwned=2&quot;" in page


def test_hostile_labels_and_provenance_are_escaped(report):
    evil = 'x" onclick="alert(1)'
    first = report.clauses[0]
    prediction = dataclasses.replace(
        first.prediction,
        label=evil,
        labels={evil: 0.9},
        severities={evil: "<high>"},
        severity="<high>",
        evidence={},
    )
    clause = dataclasses.replace(first, prediction=prediction)
    hostile = dataclasses.replace(
        report,
        clauses=(clause,),
        platform="<b>Fern</b>",
        source='"><script>alert(1)</script>',
        model_id="<i>model</i>",
    )
    page = render_html(hostile)
    tree = parse(page)
    assert not tree.xpath("//*[@onclick]")
    assert len(tree.xpath("//script")) == 1
    assert not tree.xpath("//b") and not tree.xpath("//i")
    element = articles(page)[0]
    assert element.get("data-types") == 'x"_onclick="alert(1)'  # one token: spaces -> _
    assert element.get("data-severity") == "<high>"
    assert "sev-unknown" in element.get("class").split()
    assert tree.xpath("//td[@data-field='source']")[0].text_content() == hostile.source


def test_content_security_policy_allows_only_the_page_itself(report):
    page = render_html(report)
    tree = parse(page)
    policy = tree.xpath("//meta[@http-equiv='Content-Security-Policy']")[0].get("content")
    assert "default-src 'none'" in policy
    for tag in ("script", "style"):
        body = present(re.search(rf"<{tag}>(.*?)</{tag}>", page, flags=re.DOTALL)).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in policy
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # no external resource


def test_similar_clauses_from_an_index(report, index):
    page = render_html(report, index=index, similar_k=2)
    assert "an index of" in page
    for element, clause in zip(articles(page), report.clauses, strict=True):
        similar = element.xpath(".//*[contains(@class, 'similar')]")
        if clause.label == "other":
            assert not similar
            continue
        assert len(similar) == 1
        items = similar[0].xpath(".//li")
        assert len(items) <= 2
        assert all("Fernwick" not in item.text_content() for item in items)  # own platform
    arbitration = next(e for e in articles(page) if e.get("data-types") == "arbitration")
    texts = [q.text_content() for q in arbitration.xpath(".//details[@class='similar']//q")]
    assert len(texts) == 2
    assert all("arbitration" in t for t in texts)


def test_no_similar_section_without_index(report):
    page = render_html(report)
    assert not parse(page).xpath("//*[contains(@class, 'similar')]")


def test_regulation_pointers_when_present(report, monkeypatch):
    assert REGULATION_NOTE == "Pointers for review, not legal advice."
    refs = {"arbitration": (RegulationRef("FAA", "9 U.S.C. § 2", "arbitration <agreements>"),)}

    def regulations_for(type_name):
        return refs.get(type_name, ())

    monkeypatch.setattr(html_verdict, "regulations_for", regulations_for)
    page = render_html(report)
    for element, clause in zip(articles(page), report.clauses, strict=True):
        block = element.xpath(".//details[@class='regulations']")
        if clause.label == "arbitration":
            text = block[0].text_content()
            assert "FAA 9 U.S.C. § 2: arbitration <agreements>" in text
            assert REGULATION_NOTE in text
        else:
            assert not block


def test_unknown_type_has_no_regulation_pointers(report):
    first = report.clauses[0]
    prediction = dataclasses.replace(first.prediction, label="biometric_data", evidence={})
    prediction = dataclasses.replace(prediction, labels={"biometric_data": 0.8})
    custom = dataclasses.replace(
        report, clauses=(dataclasses.replace(first, prediction=prediction),)
    )
    element = articles(render_html(custom))[0]
    assert element.get("data-types") == "biometric_data"
    assert not element.xpath(".//details[@class='regulations']")


def test_bad_arguments(report, index):
    with pytest.raises(ValueError, match="similar_k must be at least 1"):
        render_html(report, index=index, similar_k=0)
    with pytest.raises(TypeError, match="similar_k must be an int"):
        render_html(report, similar_k="3")  # type: ignore[arg-type]  # the wrong type on purpose
    with pytest.raises(TypeError, match="report must be a DocumentReport"):
        render_html(report.to_dict())
    with pytest.raises(TypeError, match="index must be a ClauseIndex"):
        render_html(report, index="index-folder")  # type: ignore[arg-type]  # the wrong type on purpose


def test_document_report_to_html_delegates(report, index):
    assert report.to_html() == render_html(report)
    assert report.to_html(index=index, similar_k=1) == render_html(report, index=index, similar_k=1)


def test_empty_report(report):
    page = render_html(dataclasses.replace(report, clauses=()))
    assert not articles(page)
    assert "No clauses were found" in page


# -- the command line -------------------------------------------------------------------------


@pytest.fixture()
def policy_file(tmp_path):
    path = tmp_path / "fernwick.txt"
    path.write_text(POLICY, encoding="utf-8")
    return path


@pytest.fixture()
def tiny_cli(monkeypatch, tiny_model):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)


def test_cli_format_html(policy_file, tiny_cli, capsys):
    assert main(["analyze", str(policy_file), "--platform", "Fernwick", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert len(articles(page)) == 7
    assert "<mark>" in page
    assert not parse(page).xpath("//*[contains(@class, 'similar')]")


def test_cli_html_with_index_and_out(policy_file, tiny_cli, index, tmp_path, capsys):
    folder = index.save(tmp_path / "index")
    out = tmp_path / "report.html"
    argv = ["analyze", str(policy_file), "--platform", "Fernwick", "--format", "html"]
    assert main([*argv, "--index", str(folder), "--out", str(out)]) == 0
    assert f"7 clauses (html) written to {out}" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert parse(page).xpath("//details[@class='similar']")


def test_cli_bad_index_folder(policy_file, tiny_cli, tmp_path, capsys):
    argv = ["analyze", str(policy_file), "--format", "html", "--index", str(tmp_path)]
    assert main(argv) == 1
    assert "not a clause index" in capsys.readouterr().err


def test_cli_index_needs_html(policy_file, tiny_cli, tmp_path, capsys):
    assert main(["analyze", str(policy_file), "--index", str(tmp_path)]) == 1
    assert "--index is only used with --format html" in capsys.readouterr().err


def test_cli_out_errors(policy_file, tiny_cli, tmp_path, capsys):
    assert main(["analyze", str(policy_file), "--out", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    missing = tmp_path / "no" / "such" / "report.json"
    assert main(["analyze", str(policy_file), "--format", "json", "--out", str(missing)]) == 1
    assert "cannot write" in capsys.readouterr().err


def strip_ansi(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_table_highlights_evidence_with_color_always(policy_file, tiny_cli, capsys):
    assert main(["analyze", str(policy_file), "--color", "never"]) == 0
    plain = capsys.readouterr().out
    assert "\x1b[" not in plain
    assert main(["analyze", str(policy_file), "--color", "always"]) == 0
    colored = capsys.readouterr().out
    assert f"{ANSI_ON}sells your personal data to data brokers{ANSI_OFF}" in colored
    assert strip_ansi(colored) == plain  # the same table, the same line breaks


def test_table_color_auto_follows_the_terminal(policy_file, tiny_cli, capsys, monkeypatch):
    import sys

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["analyze", str(policy_file)]) == 0
    assert "\x1b[" not in capsys.readouterr().out  # captured stdout is not a terminal
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["analyze", str(policy_file)]) == 0
    assert ANSI_ON in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["analyze", str(policy_file)]) == 0
    assert "\x1b[" not in capsys.readouterr().out


def test_wrap_ansi_counts_visible_width_and_reopens_highlights():
    plain = "one two three four five six seven"
    text = f"one two {ANSI_ON}three four five six{ANSI_OFF} seven"
    lines = _wrap_ansi(">> ", text, 16).split("\n")
    assert [strip_ansi(line) for line in lines] == wrap(">> ", plain, 16).split("\n")
    assert [strip_ansi(line) for line in lines] == [
        ">> one two three",
        "   four five six",
        "   seven",
    ]
    assert lines[0] == f">> one two {ANSI_ON}three{ANSI_OFF}"  # closed at the line end
    assert lines[1] == f"   {ANSI_ON}four five six{ANSI_OFF}"  # reopened after the indent
    assert lines[2] == "   seven"


@pytest.mark.slow
def test_cli_html_with_shipped_model(tmp_path, capsys):
    out = tmp_path / "larkspur.html"
    argv = ["analyze", str(EXAMPLE_POLICY), "--platform", "Larkspur", "--format", "html"]
    assert main([*argv, "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    tree = parse(page)
    arbitration = [e for e in articles(page) if "arbitration" in e.get("data-types").split()]
    assert arbitration
    assert arbitration[0].xpath(".//p[@class='text']/mark")
    assert tree.xpath("//td[@data-field='model_id']")[0].text_content() == "default"


def test_table_lists_regulation_pointers_for_adverse_types(policy_file, tiny_cli, capsys):
    from clauseclf.taxonomy import regulations_for

    assert main(["analyze", str(policy_file), "--color", "never"]) == 0
    out = capsys.readouterr().out
    _table, _, pointers = out.partition("Regulations to check for the adverse types")
    assert "pointers for review, not legal advice" in pointers
    assert "data_sale: " in pointers  # the tiny model grades the data sale clause high
    flat = " ".join(pointers.split())
    assert all(ref.regulation in flat for ref in regulations_for("data_sale"))
    assert "other:" not in pointers
