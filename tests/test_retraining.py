"""Retraining on our own annotation files: validation, taxonomy extension, round trips."""

import json

import numpy as np
import pytest

import clauseclf
from clauseclf.annotations import load_annotations
from clauseclf.cli import main
from clauseclf.errors import AnnotationError
from clauseclf.inference.model import ClauseModel
from clauseclf.taxonomy import default_taxonomy
from conftest import REPO_ROOT, write_biometric_taxonomy

ANNOTATIONS = REPO_ROOT / "data" / "annotations" / "clauses.jsonl"
STANCE = REPO_ROOT / "data" / "annotations" / "stance.jsonl"
CHECK = REPO_ROOT / "data" / "annotations" / "check.jsonl"


def test_our_annotations_cover_every_type_and_severity():
    records = load_annotations(ANNOTATIONS, strict=True).records
    types = {t for r in records for t in r.labels}
    assert types == set(default_taxonomy().type_ids)
    assert {s for r in records for s in r.labels.values()} == {"none", "low", "medium", "high"}
    assert any(not r.labels for r in records)


def test_stance_annotations_are_valid_and_kept_apart_from_the_check_set():
    stance = load_annotations(STANCE, strict=True).records
    check = load_annotations(ANNOTATIONS, strict=True).records
    assert {r.text for r in stance}.isdisjoint(r.text for r in check)
    assert not {r.platform for r in stance} & {r.platform for r in check}
    for record in stance:
        assert record.annotated_types and set(record.labels) <= set(record.annotated_types)
    graded = {(t, s) for r in stance for t, s in r.labels.items()}
    # graded as the guideline grades them: selling is high even with an opt-out; training on
    # de-identified data is medium
    assert {("data_sale", "none"), ("data_sale", "high")} <= graded
    assert ("data_sale", "medium") not in graded
    assert {("ai_training", level) for level in ("none", "medium", "high")} <= graded
    # hard negatives: sharing checked for data_sale, improvement checked for ai_training
    assert any(
        "data_sale" in (r.annotated_types or ()) and "data_sale" not in r.labels for r in stance
    )
    assert any("ai_training" in (r.annotated_types or ()) and not r.labels for r in stance)


def test_larger_check_set_is_fully_checked_and_apart_from_the_other_files():
    check = load_annotations(CHECK, strict=True).records
    others = [*load_annotations(STANCE).records, *load_annotations(ANNOTATIONS).records]
    assert len(check) >= 300
    assert all(r.annotated_types is None for r in check)  # every type was checked
    assert {r.text for r in check}.isdisjoint(r.text for r in others)
    assert not {r.platform for r in check} & {r.platform for r in others}
    per_type = {t: sum(t in r.labels for r in check) for t in default_taxonomy().type_ids}
    assert min(per_type.values()) >= 10


def test_train_save_load_gives_the_same_predictions(tmp_path, fake_encoder):
    model = clauseclf.train(ANNOTATIONS, encoder=fake_encoder, seed=0, progress=False)
    texts = ["We sell the profiles we build about you to data brokers.", "Support answers mail."]
    model.save(tmp_path / "model")
    loaded = ClauseModel.load(tmp_path / "model", encoder=fake_encoder)
    assert loaded.classify(texts) == model.classify(texts)
    card = (tmp_path / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| clauses | 53 |" in card
    training = json.loads((tmp_path / "model" / "config.json").read_text())["training"]
    assert training["data"] == {"clauses": 53}
    assert training["cv_folds"] == 5 and "ece" in training["cv_metrics"]


def test_training_is_reproducible_with_a_seed(fake_encoder):
    # 2 folds instead of the default 5: the folds only produce the metrics, which must repeat
    # too; the default fold count is checked by test_train_save_load_gives_the_same_predictions.
    first = clauseclf.train(ANNOTATIONS, encoder=fake_encoder, seed=7, progress=False, n_folds=2)
    second = clauseclf.train(ANNOTATIONS, encoder=fake_encoder, seed=7, progress=False, n_folds=2)
    texts = [r.text for r in load_annotations(ANNOTATIONS).records]
    assert first.classify(texts) == second.classify(texts)
    assert first.metadata["training"]["cv_folds"] == 2
    assert first.metadata["training"]["cv_metrics"] == second.metadata["training"]["cv_metrics"]


def test_heads_fitted_two_at_a_time_are_the_same(fake_encoder):
    one = clauseclf.train(ANNOTATIONS, encoder=fake_encoder, seed=7, progress=False, n_folds=2)
    two = clauseclf.train(
        ANNOTATIONS, encoder=fake_encoder, seed=7, progress=False, n_folds=2, n_jobs=2
    )
    texts = [r.text for r in load_annotations(ANNOTATIONS).records]
    assert one.classify(texts) == two.classify(texts)
    np.testing.assert_array_equal(one.head.type_weights, two.head.type_weights)
    assert one.metadata["training"]["cv_metrics"] == two.metadata["training"]["cv_metrics"]
    with pytest.raises(ValueError, match="n_jobs must be at least 1"):
        clauseclf.train(ANNOTATIONS, encoder=fake_encoder, progress=False, n_folds=2, n_jobs=0)


def test_an_added_type_becomes_predictable(tmp_path, fake_encoder):
    taxonomy_path = write_biometric_taxonomy(tmp_path)
    extra = tmp_path / "biometric.jsonl"
    companies = ["Larkspur", "Quillmoor", "Brightfen", "Otterly", "Pinecall", "Mossgate"]
    with extra.open("w", encoding="utf-8") as handle:
        for company in companies:
            for text in (
                f"{company} scans your face geometry to build a faceprint for login.",
                f"{company} stores voiceprints and fingerprint templates of every user.",
            ):
                record = {"text": text, "labels": {"biometric_data": "high"}, "platform": company}
                handle.write(json.dumps(record) + "\n")
    # 2 platform folds (not 5): cross-validation still runs with the added type.
    model = clauseclf.train(
        [ANNOTATIONS, extra],
        taxonomy=taxonomy_path,
        encoder=fake_encoder,
        progress=False,
        n_folds=2,
    )
    assert "biometric_data" in model.types
    (prediction,) = model.classify(["Zephyr scans your face geometry to build a faceprint."])
    assert prediction.label == "biometric_data"
    model.save(tmp_path / "model")
    loaded = ClauseModel.load(tmp_path / "model", encoder=fake_encoder)
    assert loaded.taxonomy.get("biometric_data").default_severity == "high"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_rows_are_skipped_with_reasons_or_fail_in_strict_mode(tmp_path):
    good = '{"text": "We sell your data.", "labels": {"data_sale": "high"}}'
    path = _write(
        tmp_path / "a.jsonl",
        "\n".join(
            [
                good,
                '{"text": "x", "labels": {"biometrics": "high"}}',
                '{"text": "y", "labels": {"data_sale": "severe"}}',
                '{"text": "   ", "labels": {}}',
                "{not json",
                '{"text": "we sell your data.", "labels": {"data_sale": "medium"}}',
            ]
        )
        + "\n",
    )
    loaded = load_annotations(path)
    assert loaded.records == ()
    problems = "\n".join(loaded.problems)
    assert "a.jsonl, line 2: unknown clause type 'biometrics'" in problems
    assert "line 3: unknown severity 'severe'" in problems
    assert "line 4: 'text' must be a non-empty string" in problems
    assert "line 5: invalid JSON" in problems
    assert "line 1; " in problems and "line 6: the same clause has conflicting labels" in problems
    assert loaded.summary() == "0 annotated clauses read, 5 rows skipped"
    with pytest.raises(AnnotationError, match=r"a\.jsonl, line 2: unknown clause type"):
        load_annotations(path, strict=True)


def test_exact_duplicates_are_kept_once(tmp_path):
    line = '{"text": "We sell your data.", "labels": {"data_sale": "high"}}\n'
    loaded = load_annotations(_write(tmp_path / "a.jsonl", line * 3))
    assert len(loaded.records) == 1 and loaded.problems == ()


def test_wrong_encoding_and_unknown_format(tmp_path):
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"text": "Caf\u00e9 terms", "labels": {}}\n'.encode("latin-1"))
    loaded = load_annotations([latin, _write(tmp_path / "notes.txt", "hello")])
    assert "latin.jsonl: not valid UTF-8" in loaded.problems[0]
    assert "notes.txt: unknown annotation format" in loaded.problems[1]
    with pytest.raises(AnnotationError, match="not valid UTF-8"):
        load_annotations(latin, strict=True)


def test_csv_annotations(tmp_path):
    path = _write(
        tmp_path / "a.csv",
        "\n".join(
            [
                "text,label,severity,platform",
                "We sell your data.,data_sale,high,Larkspur",
                '"Irish law, Dublin courts.",governing_law;jurisdiction,low;medium,Otterly',
                "Support answers mail.,other,,Larkspur",
                "We track you.,tracking,,Mossgate",
                "Bad row.,tracking;data_sale,low;low;low,Mossgate",
                "Empty label.,,,Mossgate",
            ]
        )
        + "\n",
    )
    loaded = load_annotations(path)
    labels = [r.labels for r in loaded.records]
    assert labels == [
        {"data_sale": "high"},
        {"governing_law": "low", "jurisdiction": "medium"},
        {},
        {"tracking": "medium"},  # the type's default severity
    ]
    assert loaded.records[1].platform == "Otterly"
    assert "a.csv, line 6: 2 labels but 3 severities" in loaded.problems[0]
    assert "a.csv, line 7: empty label" in loaded.problems[1]
    missing = _write(tmp_path / "b.csv", "text,severity\nx,low\n")
    with pytest.raises(AnnotationError, match=r"b\.csv, line 1: CSV header lacks"):
        load_annotations(missing, strict=True)


def test_cli_train_errors(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path / "m")]) == 1
    assert "give annotation files" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "m")]) == 1
    assert "no such file" in capsys.readouterr().err
    bad = _write(tmp_path / "bad.jsonl", '{"text": "x", "labels": {"nope": "low"}}\n')
    assert main(["train", str(bad), "--strict", "--out", str(tmp_path / "m")]) == 1
    assert "unknown clause type 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


@pytest.mark.slow
def test_cli_train_with_the_real_encoder(tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["train", str(ANNOTATIONS), "--out", str(out), "--quiet"]) == 0
    model = clauseclf.load(out)
    (prediction,) = model.classify(["We do not sell or rent your personal information."])
    assert prediction.label == "data_sale"
    assert "53 annotated clauses read" in capsys.readouterr().err
