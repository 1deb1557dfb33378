"""Scores of predictions as returned: types in ``labels`` only, severities of those types."""

from __future__ import annotations

import pytest

from clauseclf.annotations import AnnotatedClause
from clauseclf.predictions import ClausePrediction
from clauseclf.scoring import score_predictions

TYPES = ["arbitration", "data_sale", "tracking"]


def _record(labels: dict[str, str], checked: frozenset[str] | None = None) -> AnnotatedClause:
    return AnnotatedClause("a clause", labels, checked, "Fernwick", "Terms", "", "real")


def _prediction(
    labels: dict[str, str], confidence: float = 0.9, probabilities: dict[str, float] | None = None
) -> ClausePrediction:
    label = next(iter(labels), "other")
    return ClausePrediction(
        label=label,
        labels={t: 0.9 for t in labels},
        severity=max(labels.values(), default="none"),
        severities=dict(labels),
        confidence=confidence,
        probabilities=probabilities or {t: 0.9 for t in labels},
        evidence={},
    )


def test_a_type_counts_only_when_returned_in_labels() -> None:
    # The model leaves the clause as "other" though arbitration is its most probable type:
    # users see "other", so it is a miss, not a hit.
    records = [_record({"arbitration": "high"}), _record({})]
    predictions = [
        _prediction({}, probabilities={"arbitration": 0.45}),
        _prediction({"data_sale": "high"}),
    ]
    scores = score_predictions(predictions, records, TYPES)
    assert scores.type("arbitration").recall == 0.0
    assert scores.type("data_sale").precision == 0.0
    assert scores.micro_f1 == 0.0
    assert scores.predicted_types_right == 0.0
    assert scores.other_left_empty == 0.0
    assert scores.label_accuracy == 0.0
    assert scores.high_flags == 1 and scores.high_flags_right == 0.0


def test_right_predictions_score_full_marks_and_severity_is_per_type() -> None:
    records = [
        _record({"arbitration": "high"}),
        _record({"data_sale": "none", "tracking": "medium"}),
        _record({}),
    ]
    predictions = [
        _prediction({"arbitration": "high"}),
        _prediction({"data_sale": "none", "tracking": "low"}),
        _prediction({}),
    ]
    scores = score_predictions(predictions, records, TYPES, min_macro_support=1)
    assert scores.micro_f1 == 1.0 and scores.macro_f1 == 1.0 and scores.macro_types == 3
    assert scores.predicted_types_right == 1.0
    assert scores.other_left_empty == 1.0
    assert scores.severity_pairs == 3 and scores.severity_exact == pytest.approx(2 / 3)
    assert scores.high_flags_right == 1.0
    assert scores.label_accuracy == 1.0


def test_random_part_and_partial_records() -> None:
    records = [
        _record({"arbitration": "high"}),
        _record({}),
        _record({}, checked=frozenset({"arbitration"})),  # not fully checked: left out
    ]
    predictions = [_prediction({"arbitration": "high"}), _prediction({"tracking": "low"})] * 1
    predictions.append(_prediction({"tracking": "low"}))
    scores = score_predictions(predictions, records, TYPES, random_part=[True, False, True])
    assert scores.clauses == 2
    assert scores.predicted_types_right == 1.0  # the wrong flag is outside the random part
    assert scores.other_left_empty is None  # no empty clause in the random part
    with pytest.raises(ValueError, match="predictions"):
        score_predictions(predictions[:1], records, TYPES)
