"""Metrics: per-type P/R/F1, micro/macro, ECE, top-label correctness, the corpus metrics."""

import numpy as np
import pytest

from clauseclf.annotations import AnnotatedClause
from clauseclf.evaluation import CLAUDETTE_TYPES, evaluate_output, top_label_correct
from clauseclf.head import HeadOutput
from clauseclf.metrics import expected_calibration_error, multilabel_scores, prf
from clauseclf.taxonomy import default_taxonomy


def _record(labels, corpus="claudette", annotated=None):
    return AnnotatedClause(
        text="t",
        labels=labels,
        annotated_types=None if annotated is None else frozenset(annotated) | frozenset(labels),
        platform="P",
        document="D",
        source="s",
        corpus=corpus,
    )


def test_prf_on_known_values_and_empty_cases():
    gold = np.array([1, 1, 0, 0], dtype=bool)
    assert prf(gold, np.array([1, 0, 1, 0], dtype=bool)) == (0.5, 0.5, 0.5)
    assert prf(gold, np.zeros(4, dtype=bool)) == (0.0, 0.0, 0.0)
    assert prf(np.zeros(4, dtype=bool), np.zeros(4, dtype=bool)) == (0.0, 0.0, 0.0)


def test_multilabel_scores_on_known_values():
    gold = np.array([[1, 0], [1, 1], [0, 0]], dtype=bool)
    predicted = np.array([[1, 0], [0, 1], [1, 0]], dtype=bool)
    scores = multilabel_scores(gold, predicted, ["a", "b"])
    assert scores["per_type"]["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert scores["per_type"]["b"]["f1"] == 1.0
    assert scores["macro_f1"] == pytest.approx(0.75)
    assert scores["micro_f1"] == pytest.approx(2 / 3)


def test_ece_on_known_values():
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([1.0, 0.0])) == (
        pytest.approx(0.4)
    )
    assert expected_calibration_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0
    assert expected_calibration_error(np.array([]), np.array([])) == 0.0
    # two bins: 0.25 (right 0 of 2) and 0.75 (right 2 of 2) -> |0-0.25|/2 + |1-0.75|/2
    confidence = np.array([0.25, 0.25, 0.75, 0.75])
    assert expected_calibration_error(confidence, np.array([0, 0, 1, 1.0])) == pytest.approx(0.25)


def test_top_label_correct_respects_unchecked_types():
    types = ["tracking", "data_sale"]
    probabilities = np.array([[0.9, 0.2], [0.9, 0.2], [0.1, 0.2], [0.1, 0.2]])
    predicted = probabilities >= 0.5
    records = [
        _record({"tracking": "low"}, annotated=["tracking"]),  # right
        _record({"data_sale": "high"}, annotated=["data_sale"]),  # tracking unchecked: unknown
        _record({}),  # other, and nothing predicted: right
        _record({"data_sale": "high"}),  # nothing predicted but a type applies: wrong
        _record({}, annotated=["data_sale"]),  # other, but tracking was never checked: unknown
        _record({"data_sale": "low"}, annotated=["data_sale"]),  # other, but a type applies
    ]
    probabilities = np.vstack([probabilities, [[0.1, 0.2], [0.1, 0.2]]])
    predicted = probabilities >= 0.5
    correct = top_label_correct(probabilities, predicted, records, types)
    assert correct[0] == 1.0 and np.isnan(correct[1]) and correct[2] == 1.0 and correct[3] == 0.0
    assert np.isnan(correct[4]) and correct[5] == 0.0


def test_evaluate_output_reports_every_corpus_metric():
    taxonomy = default_taxonomy()
    types = list(taxonomy.type_ids)
    scale = list(taxonomy.severity_scale)
    records = [
        _record({"arbitration": "high"}, annotated=CLAUDETTE_TYPES),
        _record({"jurisdiction": "low"}, annotated=CLAUDETTE_TYPES),
        _record({}, annotated=CLAUDETTE_TYPES),
        _record({"tracking": "medium"}, corpus="tosdr", annotated=["tracking"]),
        _record({"ai_training": "high"}, corpus="ai_training"),
    ]
    n, t = len(records), len(types)
    probabilities = np.full((n, t), 0.01)
    severity = np.zeros((n, t), dtype=np.int64)
    for row, record in enumerate(records):
        for type_id, level in record.labels.items():
            probabilities[row, types.index(type_id)] = 0.9
            severity[row, types.index(type_id)] = scale.index(level)
    output = HeadOutput(probabilities, probabilities >= 0.5, severity, np.full(n, 0.9))
    metrics = evaluate_output(output, records, types, scale)
    assert metrics["claudette_any_level"]["per_type"]["arbitration"]["f1"] == 1.0
    assert metrics["claudette_any_level"]["per_type"]["jurisdiction"]["f1"] == 1.0
    # jurisdiction "low" is not a positive at levels 2-3, and it is not predicted as such
    assert metrics["claudette_unfair_levels"]["per_type"]["jurisdiction"]["support"] == 0
    assert metrics["claudette_unfair_levels"]["per_type"]["arbitration"]["f1"] == 1.0
    assert metrics["tosdr_top1_accuracy"] == 1.0
    assert metrics["ai_training"]["f1"] == 1.0
    assert metrics["severity"]["exact_accuracy"] == 1.0
    assert metrics["calibration"]["accuracy"] == 1.0
    assert metrics["calibration"]["ece"] == pytest.approx(0.1)


def test_tosdr_top1_and_severity_score_what_users_see():
    # Users see "other" where no type is predicted: the quote counts as wrong whatever type the
    # model would rank first, and a severity of a type the model does not predict is not scored.
    types = list(default_taxonomy().type_ids)
    scale = list(default_taxonomy().severity_scale)
    records = [
        _record({"tracking": "medium"}, corpus="tosdr", annotated=["tracking"]),
        _record({"data_sale": "high"}, corpus="tosdr", annotated=["data_sale"]),
    ]
    probabilities = np.full((2, len(types)), 0.01)
    probabilities[:, types.index("tracking")] = 0.3
    severity = np.zeros((2, len(types)), dtype=np.int64)
    severity[0, types.index("tracking")] = scale.index("medium")
    predicted = np.zeros((2, len(types)), dtype=bool)
    ranked = np.array([types.index("tracking"), types.index("data_sale")])
    output = HeadOutput(probabilities, predicted, severity, np.full(2, 0.5), ranked_first=ranked)
    metrics = evaluate_output(output, records, types, scale)
    assert metrics["tosdr_top1_accuracy"] == 0.0
    assert "severity" not in metrics  # no predicted type that the clause has
    predicted[0, types.index("tracking")] = True
    shown = HeadOutput(probabilities, predicted, severity, np.full(2, 0.5), ranked_first=ranked)
    metrics = evaluate_output(shown, records, types, scale)
    assert metrics["tosdr_top1_accuracy"] == 0.5
    assert metrics["severity"]["pairs"] == 1 and metrics["severity"]["exact_accuracy"] == 1.0


def test_the_model_card_says_how_thresholds_were_chosen():
    from clauseclf.evaluation import model_card

    f1 = model_card({}, {"real": 10}, seed=0, seconds=1.0)
    assert "max F1 on a 0.2-0.8 grid" in f1
    precise = model_card(
        {}, {"real": 10}, seed=0, seconds=1.0, threshold_beta=0.5, max_threshold=0.9
    )
    assert "max F-beta with beta 0.5, which weighs precision above recall" in precise
    assert "on a 0.2-0.9 grid" in precise
    floor = model_card(
        {},
        {"real": 10},
        seed=0,
        seconds=1.0,
        threshold_beta=1.0,
        max_threshold=0.9,
        min_precision=0.85,
    )
    assert "max F1 on a 0.2-0.9 grid, among the thresholds whose out-of-fold precision " in floor
    assert "reaches 0.85" in floor
    special = model_card(
        {},
        {"real": 10},
        seed=0,
        seconds=1.0,
        threshold_beta=0.5,
        max_threshold=0.9,
        type_thresholds=[("arbitration", 1.0, 0.85), ("data_sale", 2.0, 0.0)],
        threshold_corpora=[("arbitration", ("real",))],
    )
    flat = " ".join(special.split())
    assert "; for arbitration: beta 1, among the thresholds whose out-of-fold precision" in flat
    assert "; for data_sale: beta 2; arbitration's threshold chosen on the real pairs only" in flat
    # training falls back to all its pairs below 5 positives there (training.labels.threshold_mask)
    assert "on the real pairs only (if they hold at least 5 of its positives))" in flat
    assert "a class-balanced multinomial logistic regression per type for severity" in flat
    gated = " ".join(
        model_card(
            {},
            {"real": 10},
            seed=0,
            seconds=1.0,
            severity_class_weight="none",
            top_severity_gate=0.7,
        ).split()
    )
    assert "a multinomial logistic regression per type for severity" in gated
    assert "the highest level only where P(type) x P(highest level) reaches 0.7" in gated
