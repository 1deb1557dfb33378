import json
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

import clauseclf
from clauseclf.encoder import StaticEncoder
from clauseclf.errors import ModelFormatError
from clauseclf.head import HEAD_NPZ, ClauseHead
from clauseclf.inference.model import ClauseModel
from clauseclf.predictions import ClausePrediction
from clauseclf.report import FRAME_COLUMNS, DocumentReport
from conftest import EXAMPLE_POLICY, FakeEncoder, synthetic_records


def test_classify_learns_the_synthetic_types(tiny_model):
    texts = [
        "Any dispute with Zephyr will be resolved by binding arbitration.",
        "Zephyr sells your personal data to data brokers.",
        "You can reach Zephyr support by e-mail.",
    ]
    predictions = tiny_model.classify(texts)
    assert [p.label for p in predictions] == ["arbitration", "data_sale", "other"]
    assert predictions[2].labels == {}
    assert predictions[2].severity == "none"


def test_prediction_fields_are_consistent(tiny_model):
    records = synthetic_records()
    predictions = tiny_model.classify([r.text for r in records])
    assert len(predictions) == len(records)
    for prediction in predictions:
        assert isinstance(prediction, ClausePrediction)
        assert set(prediction.probabilities) == set(tiny_model.types)
        assert 0.0 <= prediction.confidence <= 1.0
        rest = list(prediction.labels.values())[1:]  # after the top label: most probable first
        assert rest == sorted(rest, reverse=True)
        assert set(prediction.severities) == set(prediction.labels)
        if prediction.labels:
            assert prediction.label == next(iter(prediction.labels))
        else:
            assert prediction.label == "other"
        assert prediction.severity in ("none", "low", "medium", "high")
    with pytest.raises(FrozenInstanceError):
        predictions[0].label = "x"


def test_multi_label_clause(tiny_model):
    text = (
        "These terms are governed by the laws of Texas and the courts of Texas decide "
        "disputes with Zephyr."
    )
    (prediction,) = tiny_model.classify([text])
    assert {"governing_law", "jurisdiction"} <= set(prediction.labels)
    assert prediction.severity == "medium"  # the most adverse of low and medium


def test_classify_is_deterministic_and_order_preserving(tiny_model):
    texts = [r.text for r in synthetic_records()][:12]
    first = tiny_model.classify(texts)
    second = tiny_model.classify(list(reversed(texts)))
    assert first == list(reversed(second))


def test_classify_bad_input(tiny_model):
    with pytest.raises(TypeError, match="not a single str"):
        tiny_model.classify("one clause")
    with pytest.raises(TypeError, match="text #1 is"):
        tiny_model.classify(["fine", None])
    assert tiny_model.classify([]) == []


def test_analyze_builds_a_report(tiny_model):
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    report = tiny_model.analyze(text, platform="Larkspur", document="Terms")
    assert isinstance(report, DocumentReport)
    assert report.text == text
    assert len(report.sha256) == 64
    assert len(report) > 20
    for clause in report.clauses:
        assert text[clause.segment.start : clause.segment.end] == clause.text
    headings = {c.segment.heading for c in report.clauses}
    assert "7. Disputes" in headings
    frame = report.to_frame()
    assert tuple(frame.columns) == FRAME_COLUMNS
    assert len(frame) == len(report)
    assert frame["clause_index"].tolist() == list(range(len(report)))
    assert (frame["platform"] == "Larkspur").all()
    json.dumps(report.to_dict())


def test_analyze_html_offsets_refer_to_extracted_text(tiny_model):
    html = (
        "<html><body><h2>Disputes</h2><p>Any dispute with Zephyr will be resolved by binding "
        "arbitration.</p><script>var x = 1;</script><ul><li>Zephyr sells your personal data "
        "to data brokers.</li></ul></body></html>"
    )
    report = tiny_model.analyze(html)
    assert report.format == "html"
    assert "var x" not in report.text
    assert [c.segment.heading for c in report.clauses] == ["Disputes", "Disputes"]
    for clause in report.clauses:
        assert report.text[clause.segment.start : clause.segment.end] == clause.text


def test_empty_document_gives_empty_report(tiny_model):
    report = tiny_model.analyze("   \n  ")
    assert report.clauses == ()
    assert tuple(report.to_frame().columns) == FRAME_COLUMNS


def test_analyze_rejects_bytes(tiny_model):
    with pytest.raises(TypeError, match="bytes"):
        tiny_model.analyze(b"We sell data.")


def test_save_load_round_trip(tiny_model, tmp_path, fake_encoder):
    texts = [r.text for r in synthetic_records()]
    target = tiny_model.save(tmp_path / "model", model_card="# card\n")
    assert sorted(p.name for p in target.iterdir()) == [
        "MODEL_CARD.md",
        "config.json",
        "head.json",
        "head.npz",
        "taxonomy.json",
    ]
    loaded = ClauseModel.load(target, encoder=fake_encoder)
    assert loaded.classify(texts) == tiny_model.classify(texts)
    config = json.loads((target / "config.json").read_text())
    assert config["format_version"] == 1 and config["types"] == list(tiny_model.types)


def test_save_replaces_an_existing_model_atomically(tiny_model, tmp_path, monkeypatch):
    target = tiny_model.save(tmp_path / "model")
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def crash(directory):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tiny_model.head, "save", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        tiny_model.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_corrupt_or_incompatible_models_are_refused(tiny_model, tmp_path, fake_encoder):
    target = tiny_model.save(tmp_path / "model")
    (target / HEAD_NPZ).write_bytes(b"not a zip file")
    with pytest.raises(ModelFormatError, match="corrupt"):
        ClauseModel.load(target, encoder=fake_encoder)

    target = tiny_model.save(tmp_path / "model2")
    config = json.loads((target / "config.json").read_text())
    config["format_version"] = 99
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelFormatError, match="format version 99"):
        ClauseModel.load(target, encoder=fake_encoder)

    target = tiny_model.save(tmp_path / "model3")
    with pytest.raises(ModelFormatError, match="expects 32-d embeddings"):
        ClauseModel.load(target, encoder=FakeEncoder(dimension=16))

    target = tiny_model.save(tmp_path / "model4")
    (target / "head.json").unlink()
    with pytest.raises(ModelFormatError, match="missing"):
        ClauseModel.load(target, encoder=fake_encoder)


def test_pickled_arrays_are_refused(tiny_model, tmp_path, fake_encoder):
    target = tiny_model.save(tmp_path / "model")
    with np.load(target / HEAD_NPZ) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["platt"] = np.array([object()] * 3, dtype=object)
    np.savez(target / HEAD_NPZ, **arrays)
    with pytest.raises(ModelFormatError, match="pickle"):
        ClauseHead.load(target)


def test_wrong_shapes_are_refused(tiny_model, tmp_path):
    target = tiny_model.save(tmp_path / "model")
    with np.load(target / HEAD_NPZ) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["thresholds"] = arrays["thresholds"][:-1]
    np.savez(target / HEAD_NPZ, **arrays)
    with pytest.raises(ModelFormatError, match="thresholds"):
        ClauseHead.load(target)


def test_public_api_is_lazy_and_complete():
    from clauseclf.inference.model import load

    assert clauseclf.load is load
    assert "segment" in dir(clauseclf)
    with pytest.raises(AttributeError):
        clauseclf.no_such_name  # noqa: B018


@pytest.mark.slow
def test_shipped_model_end_to_end():
    model = clauseclf.load()
    assert isinstance(model.encoder, StaticEncoder)  # ships in models/default/encoder
    assert model.config()["encoder"]["dimension"] == model.encoder.dimension
    texts = [
        "Any dispute arising from these terms shall be resolved by final and binding arbitration.",
        "These Terms are governed by English law and the courts of England have exclusive "
        "jurisdiction.",
        "We use the content you upload to train our machine learning and AI models.",
        "Our office is open from nine to five.",
    ]
    predictions = model.classify(texts)
    assert predictions[0].label == "arbitration"
    assert {"governing_law", "jurisdiction"} <= set(predictions[1].labels)
    assert predictions[2].label == "ai_training"
    assert predictions[2].severity in ("medium", "high")
    assert predictions[3].label == "other"
    report = model.analyze(EXAMPLE_POLICY.read_text(encoding="utf-8"), platform="Larkspur")
    labels = report.to_frame()["label"].tolist()
    assert "arbitration" in labels and "limitation_of_liability" in labels
