"""clauseclf.evaluate / 'clauseclf evaluate': per-type metrics, severity, calibration, groups."""

from __future__ import annotations

import json

import numpy as np
import pytest

from clauseclf.annotations import AnnotatedClause
from clauseclf.cli import main
from clauseclf.evaluation import evaluate, evaluation_report, save_reliability_diagram
from clauseclf.head import HeadOutput
from conftest import REPO_ROOT, synthetic_records

SCALE = ("none", "low", "medium", "high")
OUR_ANNOTATIONS = REPO_ROOT / "data" / "annotations" / "clauses.jsonl"


def _record(text, labels, annotated=None, platform="Acme"):
    return AnnotatedClause(
        text=text,
        labels=labels,
        annotated_types=None if annotated is None else frozenset(annotated),
        platform=platform,
        document="Terms",
        source="test",
        corpus="test",
    )


def test_hand_computed_metrics():
    types = ("arbitration", "jurisdiction")
    records = [
        _record("a", {"arbitration": "high"}),
        _record("b", {"arbitration": "medium", "jurisdiction": "low"}),
        _record("c", {}),
        # jurisdiction unknown here: its (wrong) prediction must not count
        _record("d", {}, annotated=["arbitration"], platform="Other"),
    ]
    predicted = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], dtype=bool)
    probabilities = np.where(predicted, 0.9, 0.1)
    severity = np.array([[3, 0], [1, 1], [2, 0], [0, 2]])
    output = HeadOutput(probabilities, predicted, severity, np.array([0.9, 0.9, 0.9, 0.9]))
    report = evaluation_report(output, records, types, SCALE, group_by="platform")
    arbitration, jurisdiction = report.per_type
    assert (arbitration.precision, arbitration.recall) == (0.5, 0.5)
    assert arbitration.checked == 4 and arbitration.support == 2
    assert (jurisdiction.precision, jurisdiction.recall, jurisdiction.checked) == (1.0, 1.0, 3)
    assert report.macro_f1 == pytest.approx((0.5 + 1.0) / 2)
    # severity pairs, of types both predicted and labelled (what users see): arbitration of "a"
    # high->high ok, jurisdiction of "b" low->low ok; arbitration of "b" is not predicted, so
    # its severity (low, against medium) is not shown to anyone and not scored
    assert report.severity_pairs == 2
    assert report.severity_exact_accuracy == 1.0
    by_type = {s.type_id: s for s in report.severity_per_type}
    assert by_type["arbitration"].exact_accuracy == 1.0 and by_type["arbitration"].pairs == 1
    assert [name for name, _ in report.groups] == ["acme", "other"]
    # the top label of "d" (jurisdiction) was not checked, so its correctness is unknown
    assert sum(b.count for b in report.reliability) == 3


def test_evaluate_tiny_model_on_its_training_data(tiny_model):
    records = synthetic_records()
    report = evaluate(records, tiny_model, group_by="corpus")
    assert report.clauses == len(records)
    assert report.macro_f1 > 0.8
    assert 0.0 <= report.ece <= 1.0
    assert json.loads(json.dumps(report.to_dict(), allow_nan=False))["clauses"] == len(records)
    frame = report.to_frame()
    assert "arbitration" in frame.index
    assert {"precision", "recall", "f1", "severity_exact_accuracy"} <= set(frame.columns)
    assert len(report.groups) == 1


def test_evaluate_rejects_bad_input(tiny_model):
    with pytest.raises(ValueError, match="group_by must be one of"):
        evaluate(synthetic_records(), tiny_model, group_by="country")
    with pytest.raises(ValueError, match="no annotated clauses"):
        evaluate([], tiny_model)
    with pytest.raises(TypeError, match="annotation 0 is int"):
        evaluate([42], tiny_model)
    with pytest.raises(ValueError, match=r"absent\.jsonl"):
        evaluate(["absent.jsonl"], tiny_model)


def test_reliability_diagram_is_a_png(tiny_model, tmp_path):
    report = evaluate(synthetic_records(), tiny_model)
    path = save_reliability_diagram(report, tmp_path / "plots" / "reliability.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_cli_evaluate_shipped_model_on_our_annotations(tmp_path, capsys):
    plot = tmp_path / "reliability.png"
    code = main(
        [
            "evaluate",
            str(OUR_ANNOTATIONS),
            "--json",
            "--group-by",
            "platform",
            "--reliability-plot",
            str(plot),
        ]
    )
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["clauses"] > 40
    assert {s["type_id"] for s in metrics["per_type"]} >= {"arbitration", "ai_training"}
    assert metrics["groups"]
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert main(["evaluate", str(OUR_ANNOTATIONS)]) == 0
    assert "macro-F1" in capsys.readouterr().out


def test_cli_evaluate_missing_file(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "absent.jsonl")]) == 1
    assert "absent.jsonl: no such file" in capsys.readouterr().err
