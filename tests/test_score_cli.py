"""``clauseclf score`` with careless input: platforms from file names, failed documents, legacy
encodings, Excel output."""

from __future__ import annotations

import builtins
from pathlib import Path

import pandas as pd
import pytest

from clauseclf import cli
from clauseclf.batch import names_from_path

POLICY = (
    "1. Disputes\nAny dispute will be resolved by binding arbitration.\n"
    "2. Data\nWe sell your personal data to data brokers. Caf\u00e9 visitors too.\n"
)


@pytest.fixture
def model(tiny_model, monkeypatch):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    return tiny_model


def _corpus(root: Path) -> Path:
    """Two files named <Service>_<Title>.txt and one in a folder named for its platform."""
    root.mkdir()
    (root / "Fernwick_Privacy Policy.txt").write_text(POLICY, encoding="utf-8")
    (root / "Canary Mail_Terms_of_Use.txt").write_text(POLICY, encoding="utf-8")
    (root / "acme").mkdir()
    (root / "acme" / "terms.txt").write_text(POLICY, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("corpus/Fernwick_Privacy Policy.txt", "auto", ("Fernwick", "Privacy Policy")),
        ("corpus/Canary Mail_Terms_of_Use.txt", "auto", ("Canary Mail", "Terms of Use")),
        ("acme/terms.txt", "auto", ("acme", "terms")),
        ("acme/_draft.txt", "auto", ("acme", "_draft")),
        ("acme/Fernwick_Privacy.txt", "folder", ("acme", "Fernwick_Privacy")),
        ("acme/terms.txt", "file-name", (None, "terms")),
    ],
)
def test_names_from_path(name, source, expected):
    assert names_from_path(Path(name), platform_from=source) == expected


def test_score_fills_platforms_that_the_index_sees(model, tmp_path, capsys):
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "scores.parquet"
    assert cli.main(["score", str(corpus), "--out", str(out), "--quiet"]) == 0
    frame = pd.read_parquet(out)
    names = set(zip(frame["platform"], frame["document"], strict=True))
    assert names == {
        ("Fernwick", "Privacy Policy"),
        ("Canary Mail", "Terms of Use"),
        ("acme", "terms"),
    }
    capsys.readouterr()
    assert cli.main(["index", "build", str(out), "--out", str(tmp_path / "index")]) == 0
    assert " of 3 platforms indexed" in capsys.readouterr().out
    # Python: a Path's platform and title come from its name too
    python = model.score([corpus / "Fernwick_Privacy Policy.txt"], progress=False)
    assert set(python["platform"]) == {"Fernwick"} and set(python["document"]) == {"Privacy Policy"}


def test_platform_and_document_flags(model, tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "scores.jsonl"
    argv = ["score", str(corpus), "--out", str(out), "--quiet", "--platform-from", "folder"]
    assert cli.main(argv) == 0
    assert set(pd.read_json(out, lines=True)["platform"]) == {"corpus", "acme"}
    out2 = tmp_path / "scores2.jsonl"
    argv = ["score", str(corpus), "--out", str(out2), "--quiet", "--platform", "Acme Inc"]
    assert cli.main([*argv, "--document", "Terms"]) == 0
    frame = pd.read_json(out2, lines=True)
    assert set(frame["platform"]) == {"Acme Inc"} and set(frame["document"]) == {"Terms"}


def test_failed_documents_exit_1_unless_allowed(model, tmp_path, capsys):
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "logo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    out = tmp_path / "scores.csv"
    assert cli.main(["score", str(corpus), "--out", str(out), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "4 documents scored" in captured.out
    assert "failed: " in captured.err and "logo.txt: looks like binary data" in captured.err
    assert "clauseclf: error: 1 of 4 documents failed" in captured.err
    assert "--allow-errors" in captured.err
    frame = pd.read_csv(out)
    assert frame["error"].notna().sum() == 1 and frame["error"].isna().sum() >= 3
    out2 = tmp_path / "scores2.csv"
    assert cli.main(["score", str(corpus), "--out", str(out2), "--quiet", "--allow-errors"]) == 0


def test_score_takes_an_encoding(model, tmp_path, capsys):
    legacy = tmp_path / "Fernwick_Terms.txt"
    legacy.write_bytes((POLICY * 5).encode("cp1252"))
    assert cli.main(["score", str(legacy), "--out", str(tmp_path / "a.csv"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "pass --encoding cp1252" in err and "encoding='" not in err
    argv = ["score", str(legacy), "--out", str(tmp_path / "b.csv"), "--quiet"]
    assert cli.main([*argv, "--encoding", "cp1252"]) == 0
    frame = pd.read_csv(tmp_path / "b.csv")
    assert frame["error"].isna().all() and frame["text"].str.contains("Caf\u00e9").any()


def test_excel_output_and_resume(model, tmp_path, capsys):
    pytest.importorskip("openpyxl", reason="Excel output needs the xlsx extra (openpyxl)")
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "scores.xlsx"
    first = corpus / "Fernwick_Privacy Policy.txt"
    assert cli.main(["score", str(first), "--out", str(out), "--quiet"]) == 0
    assert not (tmp_path / "scores.xlsx.parts").exists()
    assert cli.main(["score", str(corpus), "--out", str(out), "--quiet", "--resume"]) == 0
    assert "2 documents scored (6 clauses, 0 failed, 1 already done)" in capsys.readouterr().out
    frame = pd.read_excel(out, engine="openpyxl")
    assert frame["document_id"].nunique() == 3
    assert set(frame["platform"]) == {"Fernwick", "Canary Mail", "acme"}
    assert frame["labels"].map(lambda v: isinstance(v, str) or pd.isna(v)).all()
    parquet = tmp_path / "scores.parquet"
    assert cli.main(["score", str(corpus), "--out", str(parquet), "--quiet"]) == 0
    expected = pd.read_parquet(parquet)
    assert sorted(frame["text"]) == sorted(expected["text"])
    capsys.readouterr()
    assert cli.main(["index", "build", str(out), "--out", str(tmp_path / "index")]) == 0
    assert " of 3 platforms indexed" in capsys.readouterr().out


def test_excel_output_without_the_extra_names_it(model, tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "openpyxl" or name.startswith("openpyxl."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    corpus = _corpus(tmp_path / "corpus")
    out = tmp_path / "scores.xlsx"
    assert cli.main(["score", str(corpus), "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Excel output needs clauseclf[xlsx]" in err and "pip install 'clauseclf[xlsx]'" in err
    assert not out.exists() and not (tmp_path / "scores.xlsx.parts").exists()
