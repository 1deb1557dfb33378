"""Dated versions in ``clauseclf atlas`` results: the stability of a finding's clause (first
seen, last seen, changes). The policies are fictional, written for these tests."""

from __future__ import annotations

from datetime import date

import lxml.html
import pytest

from clauseclf.atlas import build_atlas, finding_page_name, platform_page_name
from clauseclf.collection import collection_documents
from clauseclf.collection_versions import collection_versions, undated_title, version_date
from clauseclf.verdict import findings_from_rows

NEVER_SELL = "Fernwick does not sell your personal information."
ARBITRATION = "Any dispute with Fernwick will be resolved by binding arbitration."
LAW = "These terms are governed by the laws of Oregon."
LAW_REWORDED = "These terms are governed by the laws of the State of Oregon."
SELLS = "Fernwick sells your personal data to data brokers."
AI = "Fernwick uses your uploads to train its machine learning models."

#: (document id, title, clauses): three versions of Fernwick's privacy policy, dated by the
#: folder of the first two and by the title of the third, and an undated policy of Alder.
DOCUMENTS = [
    (
        "snapshots/2024-06-01/Fernwick_Privacy.txt",
        "Privacy",
        [NEVER_SELL, ARBITRATION, LAW_REWORDED],
    ),
    ("snapshots/2024-01-15/Fernwick_Privacy.txt", "Privacy", [NEVER_SELL, ARBITRATION, LAW]),
    ("fernwick-3", "Privacy 2025-03-01", [SELLS, ARBITRATION, LAW_REWORDED, AI]),
    ("alder.txt", "Terms", [SELLS.replace("Fernwick", "Alder"), LAW]),
]


@pytest.fixture(scope="module")
def scored(tiny_model):
    return tiny_model.score(
        [
            {
                "id": i,
                "platform": "Alder" if i == "alder.txt" else "Fernwick",
                "document": t,
                "text": "\n\n".join(c),
            }
            for i, t, c in DOCUMENTS
        ],
        progress=False,
    )


def test_version_dates_and_titles():
    assert version_date("snapshots/2024-01-15/Fernwick_Privacy.txt", "Privacy") == date(2024, 1, 15)
    assert version_date("x", "Privacy 2025-03-01") == date(2025, 3, 1)
    assert version_date("2023-01-01/b-2024-02-29.txt", None) == date(2024, 2, 29)  # the last
    assert version_date("policy-v20240115.txt", "Terms") is None  # no ISO date
    with pytest.raises(ValueError, match=r"'x/2024-02-30\.txt': 2024-02-30 is not a valid date"):
        version_date("x/2024-02-30.txt", None)
    assert undated_title("Privacy 2025-03-01") == undated_title("privacy") == "privacy"
    assert undated_title("privacy-2024-01-15_policy") == "privacy policy"


def test_collection_versions_follow_each_clause(scored):
    documents = collection_documents(scored)
    versions = collection_versions(scored, documents)
    ids = [i for i, _, _ in DOCUMENTS]
    assert set(versions) == set(ids[:3])  # Alder's single, undated policy has none
    fernwick = versions[ids[0]]
    assert fernwick.document_ids == (ids[1], ids[0], ids[2])  # oldest first
    assert fernwick.dates == (date(2024, 1, 15), date(2024, 6, 1), date(2025, 3, 1))
    law = fernwick.lineage(ids[2], 2)
    assert law.text == LAW_REWORDED and fernwick.lineage(ids[1], 2) is law
    assert (law.status, law.changes, law.versions) == ("changed", 1, 3)
    assert (law.first_seen, law.last_seen) == (date(2024, 1, 15), date(2025, 3, 1))
    never = fernwick.lineage(ids[1], 0)
    assert (never.status, never.last_seen, never.versions) == ("removed", date(2024, 6, 1), 2)
    assert fernwick.lineage(ids[2], 1).status == "stable"
    assert fernwick.lineage(ids[2], 3).status == "new"


def test_two_versions_with_one_date_are_an_error(scored):
    frame = scored.copy()
    frame.loc[frame["document_id"] == "fernwick-3", "document"] = "Privacy 2024-06-01"
    with pytest.raises(ValueError, match="both versions of Fernwick's 'Privacy' dated 2024-06-01"):
        collection_versions(frame, collection_documents(frame))


def _page(site, scored, document_id, text):
    rows = scored[scored["document_id"] == document_id]
    finding = next(f for f in findings_from_rows(rows) if f.text == text)
    return lxml.html.parse(str(site / finding_page_name(document_id, finding))).getroot()


def _facts(page):
    section = page.xpath("//section[@class='stability']")
    assert section, "no stability section"
    return dict(
        zip(
            [dt.text_content() for dt in section[0].xpath(".//dt")],
            [dd.text_content() for dd in section[0].xpath(".//dd")],
            strict=True,
        )
    )


def test_atlas_finding_pages_show_stability(scored, tmp_path):
    labels = dict(zip(scored["text"], scored["label"], strict=True))
    needed = [LAW_REWORDED, ARBITRATION, NEVER_SELL, LAW]
    assert all(labels[t] != "other" for t in needed), labels  # findings to look at
    build_atlas(scored, tmp_path)
    law = _facts(_page(tmp_path, scored, "fernwick-3", LAW_REWORDED))
    assert law == {
        "First seen": "2024-01-15",
        "Last seen": "2025-03-01",
        "In versions": "3 of 3",
        "Changes": "1",
        "Status": "changed: reworded or restored since first seen",
    }
    arbitration = _facts(_page(tmp_path, scored, "fernwick-3", ARBITRATION))
    assert (arbitration["Changes"], arbitration["Status"].split(":")[0]) == ("0", "stable")
    never = _page(tmp_path, scored, "snapshots/2024-01-15/Fernwick_Privacy.txt", NEVER_SELL)
    assert _facts(never)["Last seen"] == "2024-06-01"
    assert "this page: the version of 2024-01-15" in never.text_content()
    # One version of a document: no stability section.
    alder = _page(tmp_path, scored, "alder.txt", LAW)
    assert not alder.xpath("//section[@class='stability']")
    platform = lxml.html.parse(str(tmp_path / platform_page_name("Fernwick"))).getroot()
    # The current version first, then the earlier ones, newest first.
    assert [p.text_content() for p in platform.xpath("//p[@class='version']")] == [
        "Version of 2025-03-01 (3 of 3)",
        "Version of 2024-06-01 (2 of 3)",
        "Version of 2024-01-15 (1 of 3)",
    ]
    earlier = platform.xpath("//section[@class='earlier']//p[@class='version']")
    assert [p.text_content()[11:21] for p in earlier] == ["2024-06-01", "2024-01-15"]


def test_cli_atlas_names_versions_with_one_date(scored, tmp_path, capsys):
    from clauseclf.cli import main

    results = tmp_path / "scores.jsonl"
    scored.to_json(results, orient="records", lines=True)
    assert main(["atlas", str(results), "--out", str(tmp_path / "site")]) == 0
    fernwick = scored[(scored["platform"] == "Fernwick") & (scored["label"] != "other")]
    stable = [
        p.name
        for p in (tmp_path / "site").glob("finding-*.html")
        if '<section class="stability">' in p.read_text(encoding="utf-8")
    ]
    assert len(stable) == len(fernwick) > 0  # every finding of a versioned document
    frame = scored.copy()
    frame.loc[frame["document_id"] == "fernwick-3", "document"] = "Privacy 2024-01-15"
    frame.to_json(results, orient="records", lines=True)
    capsys.readouterr()
    assert main(["atlas", str(results), "--out", str(tmp_path / "other")]) == 1
    assert "clauseclf: error: documents " in capsys.readouterr().err
