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
