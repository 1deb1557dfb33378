"""``clauseclf compare`` (platforms side by side) and ``clauseclf atlas`` (a static site over
score output). The policies are fictional, written for these tests."""

from __future__ import annotations

import dataclasses
import re

import lxml.html
import pytest

from clauseclf import cli
from clauseclf.atlas import build_atlas, finding_page_name, platform_page_name, type_page_name
from clauseclf.cli import main
from clauseclf.compare import compare_reports, comparison_html, comparison_text
from clauseclf.verdict import findings_from_rows, report_verdict
from conftest import html_nodes, present

POLICIES = {
    "Alder": "Alder sells your personal data to data brokers. Any dispute with Alder will be "
    "resolved by binding arbitration. These terms are governed by the laws of Oregon.",
    "Birch": "Birch does not sell your personal information. You can reach Birch support by "
    "e-mail. Birch never uses your content to train AI models.",
    "Cedar": "Cedar uses your uploads to train its machine learning models. Cedar sells your "
    "personal data to data brokers. The courts of Ontario have exclusive jurisdiction over "
    "disputes with Cedar.",
}


@pytest.fixture(scope="module")
def reports(tiny_model):
    return [tiny_model.analyze(text, platform=name) for name, text in POLICIES.items()]


@pytest.fixture(scope="module")
def scored(tiny_model):
    return tiny_model.score(
        [{"id": n.lower(), "platform": n, "text": t} for n, t in POLICIES.items()], progress=False
    )


def test_comparison_cells_are_the_most_adverse_finding(reports):
    comparison = compare_reports(reports)
    assert comparison.names == ("Alder", "Birch", "Cedar")
    assert "data_sale" in comparison.types
    sale = [comparison.cell(i, "data_sale") for i in range(3)]
    assert [present(f).severity for f in sale] == ["high", "none", "high"]
    assert comparison.cell(1, "arbitration") is None  # absent, not protective
    with pytest.raises(ValueError, match="at least two"):
        compare_reports(reports[:1])
    with pytest.raises(ValueError, match="2 names for 3"):
        compare_reports(reports, ["a", "b"])


def test_comparison_text_and_html(reports):
    comparison = compare_reports(reports)
    text = comparison_text(comparison, 100)
    grades = [report_verdict(r).grade.label for r in reports]
    assert re.search(r"^grade\s+" + r"\s+".join(map(re.escape, grades)), text, re.MULTILINE)
    sale = next(line for line in text.splitlines() if line.strip().startswith("data_sale"))
    assert sale.split()[1] == "high" and sale.split()[3] == "none"
    arbitration = next(line for line in text.splitlines() if "arbitration" in line)
    assert arbitration.split()[3] == "-"
    page = lxml.html.document_fromstring(comparison_html(comparison))
    row = html_nodes(page, "//table[contains(@class,'comparison')]//tr[@data-type='data_sale']")[0]
    cells = html_nodes(row, "td")
    assert [c.get("data-severity") for c in cells] == ["high", "none", "high"]
    assert "not found" in html_nodes(page, "//tr[@data-type='arbitration']/td")[1].text_content()
    assert "Birch does not sell" in html_nodes(page, "/html")[0].text_content()


def test_cli_compare(tiny_model, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    paths = []
    for name, text in POLICIES.items():
        path = tmp_path / f"{name.lower()}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    assert main(["compare", *paths]) == 0
    out = capsys.readouterr().out
    assert "alder" in out and "data_sale" in out
    assert main(["compare", *paths, "--format", "html", "--out", str(tmp_path / "c.html")]) == 0
    assert "3 documents compared" in capsys.readouterr().out
    assert (tmp_path / "c.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["compare", paths[0]]) == 1
    assert "at least two" in capsys.readouterr().err
    assert main(["compare", *paths, "--name", "x"]) == 1
    assert "1 --name for 3 documents" in capsys.readouterr().err


def test_atlas_pages(scored, tmp_path):
    summary = build_atlas(scored, tmp_path / "site", model_version="tiny")
    site = tmp_path / "site"
    assert (summary.platforms, summary.documents) == (3, 3)
    names = {p.name for p in site.iterdir()}
    assert summary.pages == len(names)
    assert {"index.html", platform_page_name("Alder"), type_page_name("data_sale")} <= names
    index = lxml.html.parse(str(site / "index.html")).getroot()
    assert index.xpath("//input[@id='search']") and index.xpath("//label[@for='search']")
    assert len(index.xpath("//tr[@data-search]")) == 3
    # Every link points at a page of the site; nothing is loaded from the network.
    for name in names:
        text = (site / name).read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text)
        for href in re.findall(r'href="([^"#]+)', text):
            assert href in names, (name, href)
    sale = lxml.html.parse(str(site / type_page_name("data_sale"))).getroot()
    prevalence = sale.xpath("//p[@class='prevalence']")[0].text_content()
    assert "high: 2 of 3" in prevalence and "none (protective): 1 of 3" in prevalence
    assert [r.get("data-severity") for r in sale.xpath("//tr[@data-search]")] == [
        "high",
        "high",
        "none",
    ]


def test_atlas_finding_page(scored, tmp_path, tiny_model):
    from clauseclf.verdict import findings_from_rows

    build_atlas(scored, tmp_path, model_version="tiny")
    rows = scored[scored.platform == "Alder"]
    finding = next(
        f for f in findings_from_rows(rows, model_version="tiny") if f.type == "data_sale"
    )
    page = lxml.html.parse(str(tmp_path / finding_page_name("alder", finding))).getroot()
    text = page.text_content()
    assert present(finding.explanation).why_it_matters in text
    assert finding.citation.record_id in text and "model tiny" in text
    assert "This type appears on 3 of 3 platforms; 2 of 3 have it as adverse" in text
    assert "Unique: 0 other platform(s) use the same wording" in text


def test_cli_atlas(scored, tmp_path, capsys):
    results = tmp_path / "scores.parquet"
    scored.to_parquet(results)
    assert main(["atlas", str(results), "--out", str(tmp_path / "site")]) == 0
    assert "3 platforms" in capsys.readouterr().out
    assert (tmp_path / "site" / "index.html").is_file()
    (tmp_path / "file").write_text("x")
    assert main(["atlas", str(results), "--out", str(tmp_path / "file")]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert main(["atlas", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "s")]) == 1


def test_atlas_with_an_index_lists_similar_clauses(scored, tmp_path, tiny_model):
    from clauseclf.context import context_of
    from clauseclf.index import ClauseIndex
    from clauseclf.verdict import findings_from_rows

    index = ClauseIndex.from_frame(scored, tiny_model)
    build_atlas(
        scored, tmp_path, context=lambda f, platform: context_of(index, f.text, f.type, platform)
    )
    finding = next(
        f for f in findings_from_rows(scored[scored.platform == "Alder"]) if f.type == "data_sale"
    )
    page = lxml.html.parse(str(tmp_path / finding_page_name("alder", finding))).getroot()
    similar = page.xpath("//*[contains(@class,'similar')]")[0].text_content()
    assert "Cedar" in similar and "Alder" not in similar  # other platforms only
    assert "data_sale:" in page.xpath("//div[@class='context']/p")[0].text_content()


#: data_sale on four platforms: Cedar's wording is Alder's, Dogwood's is another (its similarity
#: to Alder's clause is below the index's minimum).
SALE = {
    "Alder": "Alder sells your personal data to data brokers.",
    "Cedar": "Cedar sells your personal data to data brokers.",
    "Dogwood": "We rent your contact details to marketing firms, says Dogwood.",
}


def test_atlas_similar_clauses_keep_the_minimum_similarity(tiny_model, tmp_path, monkeypatch):
    """``clauseclf atlas --index`` lists only similar clauses at or above the index's
    documented minimum similarity (``MIN_SIMILARITY``), and says so when none passes it."""
    from clauseclf.index import MIN_SIMILARITY, ClauseIndex

    frame = tiny_model.score(
        [{"id": p, "platform": p, "text": t} for p, t in SALE.items()], progress=False
    )
    assert list(frame["label"]) == ["data_sale"] * 3
    index = ClauseIndex.from_frame(frame, tiny_model)
    minimum = MIN_SIMILARITY[index.measure]
    query = {"text": SALE["Alder"], "label": "data_sale", "platform": "Alder"}
    everything = index.similar(query, k=5, min_similarity=-1).clauses
    scores = dict(zip(everything["platform"], everything["similarity"], strict=True))
    assert scores["Cedar"] >= minimum > scores["Dogwood"]  # one on each side of the cut-off
    results = tmp_path / "scores.parquet"
    frame.to_parquet(results)
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    site = tmp_path / "site"
    arguments = ["atlas", str(results), "--out", str(site), "--index"]
    assert main([*arguments, str(index.save(tmp_path / "index"))]) == 0
    pages = {}
    for platform in SALE:
        rows = frame[frame["platform"] == platform]
        (finding,) = findings_from_rows(rows)
        pages[platform] = lxml.html.parse(
            str(site / finding_page_name(platform, finding))
        ).getroot()
    alder = pages["Alder"].xpath("//*[contains(@class,'similar')]")[0].text_content()
    assert "Cedar" in alder and "Dogwood" not in alder
    shown = [
        float(s)
        for page in pages.values()
        for s in re.findall(r"similarity (\d\.\d\d)", page.text_content())
    ]
    assert shown and min(shown) >= round(minimum, 2)
    dogwood = pages["Dogwood"].xpath("//*[contains(@class,'similar')]")[0].text_content()
    assert "No similar clause" in dogwood and f"{minimum:.2f}" in dogwood


#: Fernwick sold data in 2023 and promises not to in 2024 (dated by the source path).
FERNWICK = {
    "fernwick/privacy-2024-03-01.txt": "Fernwick does not sell your personal information.",
    "fernwick/privacy-2023-05-01.txt": "Fernwick sells your personal data to data brokers. Any "
    "dispute with Fernwick will be resolved by binding arbitration.",
}


def test_compare_uses_each_platforms_latest_version(tiny_model, reports):
    versions = [
        tiny_model.analyze(text, platform="Fernwick", source=source)
        for source, text in FERNWICK.items()
    ]
    comparison = compare_reports([versions[1], reports[0], versions[0]])
    assert comparison.names == ("Alder", "Fernwick")
    assert comparison.left_out == ("Fernwick (2023-05-01)",)
    sale = present(comparison.cell(1, "data_sale"))
    assert sale.severity == "none"  # promises not to, as in 2024
    assert comparison.cell(1, "arbitration") is None  # only in the 2023 version
    assert "Earlier versions left out (latest compared): Fernwick (2023-05-01)." in (
        comparison_text(comparison, 100)
    )
    page = lxml.html.document_fromstring(comparison_html(comparison))
    assert "Fernwick (2023-05-01)" in html_nodes(page, "//p[@class='left-out']")[0].text_content()
    # Undated, or of another platform: every document is a column.
    undated = tiny_model.analyze(FERNWICK["fernwick/privacy-2023-05-01.txt"], platform="Fernwick")
    assert compare_reports([undated, versions[0]]).left_out == ()
    with pytest.raises(
        ValueError, match=r"versions of 'Fernwick' \(compare versions with clauseclf diff\)"
    ):
        compare_reports(versions)
    same_day = dataclasses.replace(versions[1], source="fernwick/privacy-2024-03-01.txt")
    with pytest.raises(ValueError, match="versions of one document dated 2024-03-01"):
        compare_reports([versions[0], same_day, reports[0]])


def test_cli_compare_leaves_out_earlier_versions(tiny_model, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    paths = []
    for folder, text in zip(
        ["2024-03-01", "2023-05-01", "2024-03-01"],
        [*FERNWICK.values(), POLICIES["Alder"]],
        strict=True,
    ):
        path = tmp_path / folder / ("alder.txt" if text == POLICIES["Alder"] else "fernwick.txt")
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    assert main(["compare", *paths, "--out", str(tmp_path / "c.txt")]) == 0
    assert "3 documents compared (table, 1 earlier version(s) left out)" in capsys.readouterr().out
    table = (tmp_path / "c.txt").read_text(encoding="utf-8")
    assert table.splitlines()[0].split() == ["fernwick", "alder"]
    assert "left out (latest compared): fernwick (2023-05-01)." in table
