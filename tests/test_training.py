import numpy as np
import pytest

from clauseclf.annotations import AnnotatedClause, read_annotations
from clauseclf.errors import AnnotationError
from clauseclf.evaluation import evaluate_folds
from clauseclf.training import TrainingConfig, cross_validate, fit_head, label_matrix
from conftest import synthetic_records


def test_partial_labels_become_weak_negatives():
    record = AnnotatedClause(
        text="x",
        labels={"tracking": "medium"},
        annotated_types=frozenset({"tracking"}),
        platform="P",
        document="D",
        source="s",
        corpus="tosdr",
    )
    labels = label_matrix([record], ["tracking", "data_sale"], weak_weight=0.3)
    assert labels.y.tolist() == [[1, 0]]
    assert labels.strong.tolist() == [[True, False]]
    assert labels.weight.tolist() == [[1.0, 0.3]]
    assert labels.informative.tolist() == [[False, False]]


def test_fit_is_reproducible_with_a_seed(fake_encoder):
    records = synthetic_records()
    texts = [r.text for r in records]
    embeddings = fake_encoder.encode(texts)
    config = TrainingConfig(min_df=1)
    first = fit_head(texts, embeddings, records, seed=3, config=config)
    second = fit_head(texts, embeddings, records, seed=3, config=config)
    np.testing.assert_array_equal(first.type_weights, second.type_weights)
    np.testing.assert_array_equal(first.thresholds, second.thresholds)
    np.testing.assert_array_equal(first.confidence_curve, second.confidence_curve)


def test_fit_rejects_mismatched_inputs(fake_encoder):
    records = synthetic_records()
    texts = [r.text for r in records]
    with pytest.raises(ValueError, match="same length"):
        fit_head(texts[:-1], fake_encoder.encode(texts), records)


def test_cross_validation_holds_out_platforms(fake_encoder):
    records = synthetic_records()
    texts = [r.text for r in records]
    embeddings = fake_encoder.encode(texts)
    folds = cross_validate(texts, embeddings, records, n_folds=3, config=TrainingConfig(min_df=1))
    seen = np.concatenate([rows for rows, _ in folds])
    assert sorted(seen.tolist()) == list(range(len(records)))
    for rows, _ in folds:
        test_platforms = {records[i].platform for i in rows}
        train_platforms = {r.platform for i, r in enumerate(records) if i not in set(rows)}
        assert not test_platforms & train_platforms
    metrics = evaluate_folds(folds, texts, embeddings, records)
    assert 0.0 <= metrics["calibration"]["ece"] <= 1.0
    assert metrics["severity"]["pairs"] > 0


def test_annotation_errors_name_file_and_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "ok", "labels": {}}\n{"text": "x", "labels": {"nope": "low"}}\n')
    with pytest.raises(AnnotationError, match=r"a\.jsonl, line 2: unknown clause type 'nope'"):
        read_annotations(path)
    path.write_text('{"text": "ok", "labels": {"tracking": "severe"}}\n')
    with pytest.raises(AnnotationError, match="line 1: unknown severity 'severe'"):
        read_annotations(path)
    path.write_text('{"text": "", "labels": {}}\n')
    with pytest.raises(AnnotationError, match="non-empty"):
        read_annotations(path)
    path.write_text("{broken\n")
    with pytest.raises(AnnotationError, match="invalid JSON"):
        read_annotations(path)
    path.write_bytes(b'{"text": "caf\xe9", "labels": {}}\n')
    with pytest.raises(AnnotationError, match="UTF-8"):
        read_annotations(path)
