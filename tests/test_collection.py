"""The collection's tables: verdicts per document, a platform x type severity grid in which a
missing type ("absent") differs from a protective clause ("none"), prevalence by severity, and
the findings ranked with their evidence."""

from __future__ import annotations

import pandas as pd
import pytest

from clauseclf.collection import (
    ABSENT,
    FINDING_COLUMNS,
    LEVELS,
    VERDICT_COLUMNS,
    collection_documents,
    findings_table,
    prevalence_table,
    severity_table,
    verdict_table,
)
from clauseclf.taxonomy import OTHER, default_taxonomy

# (document, platform, label, severity, confidence, text, evidence, error) of fictional platforms
ROWS = [
    ("alder-terms", "Alder", "data_sale", "high", 0.90, "Alder sells your data.", ["sells"], None),
    ("alder-terms", "Alder", "data_sale", "none", 0.80, "Alder won't sell health data.", [], None),
    (
        "alder-terms",
        "Alder",
        "arbitration",
        "medium",
        0.40,
        "Disputes: arbitration.",
        [],
        None,
    ),
    ("alder-terms", "Alder", "other", "none", 0.99, "Welcome to Alder.", [], None),
    ("birch-privacy", "Birch", "data_sale", "none", 0.95, "Birch never sells data.", [], None),
    ("birch-privacy", "Birch", "tracking", "low", 0.70, "Birch uses cookies.", ["cookies"], None),
    ("cedar-terms", "Cedar", None, None, None, None, [], "could not read the file"),
]


@pytest.fixture()
def frame() -> pd.DataFrame:
    records = []
    for number, (doc, platform, label, severity, conf, text, evidence, error) in enumerate(ROWS):
        records.append(
            {
                "document_id": doc,
                "platform": platform,
                "document": doc.split("-")[1],
                "clause_index": number,
                "heading": None,
                "text": text,
                "label": label,
                "severity": severity,
                "confidence": conf,
                "evidence": evidence,
                "document_sha256": "ab" * 32,
                "clause_id": f"{number:016x}",
                "error": error,
            }
        )
    return pd.DataFrame.from_records(records)


def test_documents_with_errors_are_left_out(frame):
    documents = collection_documents(frame)
    assert [(d.document_id, d.platform) for d in documents] == [
        ("alder-terms", "Alder"),
        ("birch-privacy", "Birch"),
    ]


def test_missing_columns_are_named(frame):
    with pytest.raises(ValueError, match=r"\['severity'\]"):
        collection_documents(frame.drop(columns=["severity"]))


def test_severity_table_tells_absent_from_protective(frame):
    table = severity_table(collection_documents(frame))
    assert list(table.index) == ["Alder", "Birch"]
    assert list(table.columns) == [t for t in default_taxonomy().type_ids if t != OTHER]
    assert table.loc["Alder", "data_sale"] == "high"  # the most adverse of high and none
    assert table.loc["Birch", "data_sale"] == "none"  # protective
    assert table.loc["Alder", "tracking"] == ABSENT
    assert table.loc["Alder", "arbitration"] == ABSENT  # confidence 0.40 < the grade's 0.5
    assert list(table["data_sale"].cat.categories) == list(LEVELS)
    assert table["data_sale"].cat.ordered


def test_min_confidence_zero_keeps_every_finding(frame):
    table = severity_table(collection_documents(frame), min_confidence=0.0, types=["arbitration"])
    assert table["arbitration"].tolist() == ["medium", ABSENT]


def test_prevalence_counts_platforms_by_most_adverse_severity(frame):
    prevalence = prevalence_table(collection_documents(frame))
    assert list(prevalence.columns) == list(LEVELS)
    assert prevalence.loc["data_sale"].to_dict() == {
        "absent": 0,
        "none": 1,
        "low": 0,
        "medium": 0,
        "high": 1,
    }
    assert prevalence.loc["tracking", "low"] == 1
    assert prevalence.loc["arbitration", ABSENT] == 2
    assert (prevalence.sum(axis=1) == 2).all()


def test_findings_table_ranks_confident_findings_with_evidence(frame):
    findings = findings_table(collection_documents(frame))
    assert list(findings.columns) == list(FINDING_COLUMNS)
    assert findings[["platform", "type", "severity"]].values.tolist() == [
        ["Alder", "data_sale", "high"],
        ["Birch", "tracking", "low"],
        ["Birch", "data_sale", "none"],
        ["Alder", "data_sale", "none"],
    ]
    top = findings.iloc[0]
    assert top["stance"] == "adverse" and top["evidence"] == "sells"
    assert top["why_it_matters"] and top["record_id"] == "abababababab:0000000000000000"
    adverse = findings_table(collection_documents(frame), stances=("adverse",))
    assert adverse["type"].tolist() == ["data_sale"]


def test_verdict_table_has_one_row_per_document(frame):
    documents = collection_documents(frame)
    table = verdict_table(documents)
    assert list(table.columns) == list(VERDICT_COLUMNS)
    assert table["document_id"].tolist() == ["alder-terms", "birch-privacy"]
    assert table["grade"].tolist() == [d.verdict.grade.label for d in documents]
    # every finding of the verdict, the unconfident arbitration too
    assert table.loc[0, "adverse_findings"] == 2 and table.loc[1, "protective_findings"] == 1


def test_the_severity_grid_colours_absent_protective_and_adverse_apart(frame):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from clauseclf.collection_plots import LEVEL_COLORS, plot_severity_grid

    table = severity_table(collection_documents(frame), types=["data_sale", "tracking"])
    ax = plot_severity_grid(table, title="grid")
    try:
        image = ax.get_images()[0]
        colours = [[to_hex(image.cmap(image.norm(v))) for v in row] for row in image.get_array()]
        # rows: types; columns: Alder, Birch
        assert colours == [
            [LEVEL_COLORS["high"], LEVEL_COLORS["none"]],
            [LEVEL_COLORS[ABSENT], LEVEL_COLORS["low"]],
        ]
        assert len(set(LEVEL_COLORS.values())) == len(LEVELS)
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[:2] == ["absent (not found)", "protective (none)"]
    finally:
        plt.close("all")
    with pytest.raises(ValueError, match="sometimes"):
        plot_severity_grid(table.astype(str).replace("high", "sometimes"))


def test_prevalence_bars_stack_to_the_number_of_platforms(frame):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from clauseclf.collection_plots import plot_prevalence

    prevalence = prevalence_table(collection_documents(frame), types=["data_sale", "tracking"])
    ax = plot_prevalence(prevalence)
    try:
        ends: dict[int, float] = {}
        for bar in ax.patches:
            row = round(bar.get_y() + bar.get_height() / 2)
            ends[row] = max(ends.get(row, 0.0), bar.get_x() + bar.get_width())
        assert ends == {0: 2.0, 1: 2.0}
        assert [t.get_text() for t in ax.get_yticklabels()] == ["data_sale", "tracking"]
    finally:
        plt.close("all")
