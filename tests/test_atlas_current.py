"""A platform's current stance in ``clauseclf atlas`` and the collection tables is its latest
version; finding pages have distinct names; dates given from Python. The policies are
fictional, written for these tests."""

from __future__ import annotations

from datetime import date, datetime

import lxml.html
import pytest

from clauseclf.atlas import build_atlas, finding_page_name, platform_page_name, type_page_name
from clauseclf.collection import (
    collection_documents,
    prevalence_table,
    severity_table,
    verdict_table,
)
from clauseclf.collection_versions import collection_versions, current_documents
from clauseclf.verdict import findings_from_rows

SELLS = "Fernwick sells your personal data to data brokers."
NEVER_SELLS = "Fernwick does not sell your personal information."
ARBITRATION = "Any dispute with Fernwick will be resolved by binding arbitration."
ALDER_SELLS = "Alder sells your personal data to data brokers."

#: Fernwick sold data in 2023 (and had an arbitration clause) and promises not to in 2024;
#: Alder's single, undated policy sells data.
DOCUMENTS = [
    ("fernwick/privacy-2024-03-01.txt", "Fernwick", "Privacy", [NEVER_SELLS]),
    ("fernwick/privacy-2023-05-01.txt", "Fernwick", "Privacy", [SELLS, ARBITRATION]),
    ("alder.txt", "Alder", "Terms", [ALDER_SELLS]),
]


def _score(model, documents):
    return model.score(
        [
            {"id": i, "platform": p, "document": t, "text": "\n\n".join(c)}
            for i, p, t, c in documents
        ],
        progress=False,
    )


@pytest.fixture(scope="module")
def scored(tiny_model):
    frame = _score(tiny_model, DOCUMENTS)
    pairs = zip(frame["label"], frame["severity"], strict=True)
    labels = dict(zip(frame["text"], pairs, strict=True))
    assert labels[SELLS] == labels[ALDER_SELLS] == ("data_sale", "high"), labels
    assert labels[NEVER_SELLS] == ("data_sale", "none"), labels
    assert labels[ARBITRATION][0] == "arbitration", labels
    return frame


def _finding(frame, document_id, text):
    rows = frame[frame["document_id"] == document_id]
    return next(f for f in findings_from_rows(rows) if f.text == text)


def _html(path):
    return lxml.html.parse(str(path)).getroot()


def test_current_documents_are_the_latest_versions(scored):
    documents = collection_documents(scored)
    assert [d.date for d in documents] == [date(2024, 3, 1), date(2023, 5, 1), None]
    assert [d.document_id for d in current_documents(documents)] == [
        "fernwick/privacy-2024-03-01.txt",
        "alder.txt",
    ]


def test_tables_count_a_platform_at_its_latest_version(scored):
    documents = collection_documents(scored)
    grid = severity_table(documents, min_confidence=0.0, types=["data_sale", "arbitration"])
    assert grid.loc["Fernwick", "data_sale"] == "none"  # promises not to, not "sells"
    assert grid.loc["Fernwick", "arbitration"] == "absent"  # only in the 2023 version
    assert grid.loc["Alder", "data_sale"] == "high"
    prevalence = prevalence_table(documents, min_confidence=0.0, types=["data_sale"])
    counts = prevalence.loc["data_sale"].to_dict()
    assert (counts["none"], counts["high"]) == (1, 1)
    assert len(verdict_table(documents)) == 3  # every version keeps its row


def test_atlas_counts_platforms_at_their_latest_version(scored, tmp_path):
    summary = build_atlas(scored, tmp_path)
    assert (summary.platforms, summary.documents) == (2, 3)
    sale = _html(tmp_path / type_page_name("data_sale"))
    prevalence = sale.xpath("//p[@class='prevalence']")[0].text_content()
    assert "Found on 2 of 2 platforms" in prevalence
    assert "high: 1 of 2" in prevalence and "none (protective): 1 of 2" in prevalence
    rows = {
        r.xpath("th")[0].text_content(): (r.get("data-severity"), r.xpath(".//td//a/@href")[0])
        for r in sale.xpath("//tr[@data-search]")
    }
    current = _finding(scored, DOCUMENTS[0][0], NEVER_SELLS)
    assert rows == {
        "Alder": (
            "high",
            finding_page_name("alder.txt", _finding(scored, "alder.txt", ALDER_SELLS)),
        ),
        "Fernwick": ("none", finding_page_name(DOCUMENTS[0][0], current)),
    }
    # A type found only in an earlier version counts no platform and says so.
    arbitration = _html(tmp_path / type_page_name("arbitration"))
    text = arbitration.xpath("//p[@class='prevalence']")[0].text_content()
    assert "Found on 0 of 2 platforms" in text and "only in earlier versions" in text
    # The index grades Fernwick by its current version only and counts the earlier one apart.
    index = _html(tmp_path / "index.html")
    (fernwick,) = [
        r for r in index.xpath("//tr[@data-search]") if "fernwick" in r.get("data-search")
    ]
    cells = fernwick.xpath("td")
    assert len(cells[0].xpath(".//*[contains(@class,'grade')]")) == 1
    assert (cells[1].text_content(), cells[2].text_content()) == ("0", "1")  # adverse, protective
    assert cells[3].text_content() == "1 (+1 earlier versions)"
    assert "data_sale" not in fernwick.get("data-search")  # no adverse type in 2024


def test_atlas_earlier_versions_stay_reachable(scored, tmp_path):
    build_atlas(scored, tmp_path)
    platform = _html(tmp_path / platform_page_name("Fernwick"))
    old = finding_page_name(DOCUMENTS[1][0], _finding(scored, DOCUMENTS[1][0], SELLS))
    earlier = platform.xpath("//section[@class='earlier']")[0]
    assert old in earlier.xpath(".//a/@href")
    page = _html(tmp_path / old)
    note = page.xpath("//p[@class='earlier-version']")[0].text_content()
    assert "earlier version, of 2023-05-01" in note and "current version is of 2024-03-01" in note
    assert page.xpath("//section[@class='stability']")  # the stability section stays
    among = page.xpath("//p[@class='prevalence']")[0].text_content()
    assert "appears on 2 of 2 platforms; 1 of 2 have it as adverse" in among
    arbitration = _html(
        tmp_path
        / finding_page_name(DOCUMENTS[1][0], _finding(scored, DOCUMENTS[1][0], ARBITRATION))
    )
    text = arbitration.xpath("//p[@class='prevalence']")[0].text_content()
    assert "appears on 0 of 2 platforms" in text and "only in earlier versions" in text
    new = _html(
        tmp_path
        / finding_page_name(DOCUMENTS[0][0], _finding(scored, DOCUMENTS[0][0], NEVER_SELLS))
    )
    assert not new.xpath("//p[@class='earlier-version']")


def test_identical_documents_get_distinct_finding_pages(tiny_model, tmp_path):
    same = [SELLS, ARBITRATION]
    frame = _score(
        tiny_model,
        [
            ("f/privacy-2023-01-01.txt", "Fernwick", "Privacy", same),
            ("f/privacy-2024-01-01.txt", "Fernwick", "Privacy", same),  # unchanged version
            ("copy.txt", "Copycat", "Privacy", same),  # another platform, the same text
        ],
    )
    assert frame["document_sha256"].nunique() == 1
    summary = build_atlas(frame, tmp_path)
    pages = sorted(p.name for p in tmp_path.glob("finding-*.html"))
    assert summary.findings == len(pages) == 6
    for document_id in frame["document_id"].unique():
        rows = frame[frame["document_id"] == document_id]
        for finding in findings_from_rows(rows):
            page = _html(tmp_path / finding_page_name(str(document_id), finding))
            assert str(rows["platform"].iloc[0]) in page.xpath("//h1")[0].text_content()
    first = _html(
        tmp_path
        / finding_page_name(
            "f/privacy-2023-01-01.txt", _finding(frame, "f/privacy-2023-01-01.txt", SELLS)
        )
    )
    assert "earlier version, of 2023-01-01" in first.text_content()


def test_dates_given_from_python(tiny_model, scored, tmp_path):
    # Undated ids and titles: only the dates given make them versions.
    frame = _score(
        tiny_model,
        [
            ("a.txt", "Fernwick", "Privacy", [NEVER_SELLS]),
            ("b.txt", "Fernwick", "Privacy", [SELLS]),
        ],
    )
    assert collection_versions(frame, collection_documents(frame)) == {}
    dates = {"a.txt": "2023-01-01", "b.txt": date(2024, 1, 1)}
    documents = collection_documents(frame, dates=dates)
    assert [d.date for d in documents] == [date(2023, 1, 1), date(2024, 1, 1)]
    assert [d.document_id for d in current_documents(documents)] == ["b.txt"]
    build_atlas(frame, tmp_path / "given", dates=dates)
    sale = _html(tmp_path / "given" / type_page_name("data_sale"))
    assert "high: 1 of 1" in sale.xpath("//p[@class='prevalence']")[0].text_content()
    # Given dates win over those in ids: the 2024 id is dated 2022 and is no longer current.
    build_atlas(scored, tmp_path / "won", dates={DOCUMENTS[0][0]: datetime(2022, 1, 1, 12)})
    sale = _html(tmp_path / "won" / type_page_name("data_sale"))
    assert "high: 2 of 2" in sale.xpath("//p[@class='prevalence']")[0].text_content()


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"missing.txt": "2024-01-01"}, r"dates: 'missing\.txt' is not a document of the results"),
        ({"alder.txt": "yesterday"}, r"dates: document 'alder\.txt': 'yesterday' is not a date"),
        ({"alder.txt": "2024-02-30"}, r"'2024-02-30' is not a date"),
        ({"alder.txt": 20240101}, r"20240101 is not a date"),
        ({"alder.txt": None}, r"None is not a date"),
    ],
)
def test_bad_dates_are_named(scored, tmp_path, dates, message):
    with pytest.raises(ValueError, match=message):
        build_atlas(scored, tmp_path / "site", dates=dates)
    assert not (tmp_path / "site").exists()  # nothing written
