"""Adapting a static encoder: it learns to match a teacher, and reads policies from the archive."""

from __future__ import annotations

import numpy as np
import pytest

from clauseclf.cli import main
from clauseclf.encoder import StaticEncoder
from clauseclf.encoder_training import adapt_static_encoder, policy_clauses
from conftest import VOCABULARY, write_policy_archive, write_static_encoder

pytest.importorskip("torch", reason="adapting an encoder needs torch")


def _teacher_texts(n: int, seed: int = 1) -> tuple[list[str], np.ndarray]:
    """Texts over the tiny vocabulary and a teacher whose clause vector is the mean of a hidden
    table's rows: a static student can match it exactly."""
    rng = np.random.default_rng(seed)
    words = VOCABULARY[1:8]
    hidden = rng.normal(size=(len(words), 6))
    texts, targets = [], []
    for _ in range(n):
        chosen = rng.integers(0, len(words), rng.integers(1, 4))
        texts.append(" ".join(words[i] for i in chosen))
        vector = hidden[chosen].mean(axis=0)
        targets.append(vector / np.linalg.norm(vector))
    return texts, np.array(targets, dtype=np.float32)


def test_adapting_brings_clause_vectors_closer_to_the_teacher(tmp_path):
    folder = write_static_encoder(tmp_path / "source")
    # Identical token vectors: the source cannot tell the words apart, so only training the
    # token vectors (not just the linear map) can match the teacher.
    table = np.ones((len(VOCABULARY), 8))
    np.savez(folder / "embeddings.npz", embeddings=table.astype(np.float16))
    source = StaticEncoder(folder)
    texts, targets = _teacher_texts(1200)
    texts.append("zebra")  # no known token: left out of training, not a crash
    targets = np.vstack([targets, targets[:1]])
    adapted = adapt_static_encoder(
        source,
        texts,
        targets,
        tmp_path / "adapted",
        dimensions=6,
        epochs=20,
        learning_rate=0.05,
        batch_size=64,
        validation=200,
        progress=False,
    )
    report = adapted.metadata["adapted"]
    assert report["clauses"] == 1200
    assert report["validation_cosine_before"] < 0.5
    assert report["validation_cosine_after"] > report["validation_cosine_before"] + 0.2
    assert adapted.dimension == 6
    assert adapted.name == "tiny-static-policies"
    again = StaticEncoder(tmp_path / "adapted")
    np.testing.assert_array_equal(again.encode(texts[:5]), adapted.encode(texts[:5]))


def test_adapting_refuses_mismatched_targets(tmp_path):
    source = StaticEncoder(write_static_encoder(tmp_path / "source"))
    with pytest.raises(ValueError, match="one row per text"):
        adapt_static_encoder(source, ["we sell"], np.zeros((2, 6)), tmp_path / "out")
    with pytest.raises(ValueError, match="too few"):
        adapt_static_encoder(
            source, ["we sell"] * 5, np.ones((5, 8)), tmp_path / "out", progress=False
        )


def test_policy_clauses_reads_the_archive_in_name_order(tmp_path):
    write_policy_archive(
        tmp_path,
        {
            "b_Terms.txt": "We may close your account. We sell your data.",
            "a_Privacy.txt": "We sell your data. You can opt out at any time.",
            "c_Empty.txt": "",
            "notes.md": "# not a policy text file",
        },
    )
    assert policy_clauses(tmp_path) == [
        "We sell your data.",
        "You can opt out at any time.",
        "We may close your account.",
    ]
    assert policy_clauses(tmp_path, documents=1) == [
        "We sell your data.",
        "You can opt out at any time.",
    ]
    with pytest.raises(FileNotFoundError, match=r"corpus_text\.tar\.xz is missing"):
        policy_clauses(tmp_path / "elsewhere")


def test_cli_adapt_encoder_reports_the_missing_archive(tmp_path, capsys):
    write_static_encoder(tmp_path / "source")
    code = main(["adapt-encoder", str(tmp_path / "source"), "--data", str(tmp_path), "--out", "x"])
    assert code == 1
    assert "corpus_text.tar.xz is missing" in capsys.readouterr().err


def test_cli_distill_encoder_needs_model2vec_or_writes_a_folder(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "model2vec", None)
    monkeypatch.setitem(sys.modules, "model2vec.distill", None)
    assert main(["distill-encoder", "--out", str(tmp_path / "enc")]) == 1
    assert "pip install 'clauseclf[distill]'" in capsys.readouterr().err
    assert not (tmp_path / "enc").exists()
