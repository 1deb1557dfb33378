"""Careless input to ``model.analyze``: a path or a file name instead of the policy's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from clauseclf.errors import DocumentError, EncodingError

POLICY = (
    "<h2>Disputes</h2><p>Any dispute with Fernwick will be resolved by binding arbitration.</p>"
    "<p>Fernwick sells your personal data to data brokers, caf\u00e9 included.</p>"
)


def test_a_path_is_read_as_the_document(tiny_model, tmp_path):
    path = tmp_path / "fernwick.html"
    path.write_text(POLICY, encoding="utf-8")
    report = tiny_model.analyze(path)
    expected = tiny_model.analyze(POLICY, format="html")
    assert report.format == "html" and report.source == str(path)
    assert [c.text for c in report.clauses] == [c.text for c in expected.clauses]
    assert report.sha256 == expected.sha256


def test_a_path_takes_an_encoding(tiny_model, tmp_path):
    path = tmp_path / "fernwick.html"
    path.write_bytes((POLICY * 3).encode("cp1252"))
    with pytest.raises(EncodingError, match="pass encoding='cp1252'"):
        tiny_model.analyze(path)
    assert "caf\u00e9" in tiny_model.analyze(path, encoding="cp1252").text


def test_a_str_naming_an_existing_file_is_refused(tiny_model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("policy.txt").write_text("We sell your data.", encoding="utf-8")
    for name in ("policy.txt", str(tmp_path / "policy.txt")):
        with pytest.raises(DocumentError, match="the name of a file") as info:
            tiny_model.analyze(name)
        assert f"read_document({name!r})" in str(info.value)
        assert "pathlib.Path" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("terms_2024.pdf", "looks like a file name"),
        ("  Policies/privacy.HTML\n", "looks like a file name"),
        ("https://example.com/terms?lang=en", r"fetch it first: .*fetch_document"),
    ],
)
def test_a_str_that_is_only_a_name_or_an_address_is_refused(tiny_model, text, message):
    with pytest.raises(DocumentError, match=message):
        tiny_model.analyze(text)


def test_short_texts_are_still_policies(tiny_model):
    for text in ("We sell your data.", "Arbitration.", "See https://example.com for the terms."):
        report = tiny_model.analyze(text)
        assert len(report.clauses) == 1 and report.clauses[0].text == text
    with pytest.raises(ValueError, match="encoding is for a document read from a Path"):
        tiny_model.analyze("We sell your data.", encoding="cp1252")


# --------------------------------------------------------------------------- long documents


def _long_policy(clauses: int) -> str:
    return "\n\n".join(
        f"Clause {i}: any dispute with Fernwick will be resolved by binding arbitration."
        if i % 2
        else f"Clause {i}: Fernwick sells your personal data to data brokers."
        for i in range(clauses)
    )


def test_progress_classifies_in_blocks_with_the_same_result(tiny_model, monkeypatch, capsys):
    from clauseclf import pipeline

    monkeypatch.setattr(pipeline, "PROGRESS_BLOCK", 7)
    text = _long_policy(30)
    quiet = tiny_model.analyze(text)
    assert capsys.readouterr().err == ""
    shown = tiny_model.analyze(text, progress=True)
    assert "classifying" in capsys.readouterr().err
    assert [c.prediction for c in shown.clauses] == [c.prediction for c in quiet.clauses]
    tiny_model.analyze(_long_policy(5), progress=True)  # a short document: no bar
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("tty", [True, False])
def test_cli_analyze_shows_progress_only_on_a_terminal(
    tiny_model, tmp_path, monkeypatch, capsys, tty
):
    import sys

    from clauseclf import cli, pipeline

    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    monkeypatch.setattr(pipeline, "PROGRESS_BLOCK", 7)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)
    path = tmp_path / "long.txt"
    path.write_text(_long_policy(30), encoding="utf-8")
    assert cli.main(["analyze", str(path), "--format", "jsonl"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 30
    assert ("classifying" in captured.err) is tty
    assert ("30/30" in captured.err) is tty
