"""``clauseclf diff OLD NEW``: saved JSON reports or policy files, text/json/html output.

The two versions are a short fictional policy written for these tests ("Fernwick Notes").
"""

from __future__ import annotations

import json

import pytest

from clauseclf import cli
from clauseclf.cli import main
from clauseclf.report import DocumentReport
from clauseclf.versions import diff

OLD_POLICY = (
    "Fernwick never uses your content to train AI models. "
    "These terms are governed by the laws of Oregon. "
    "You can reach Fernwick support by e-mail.\n"
)
NEW_POLICY = (
    "These terms are governed by the laws of Oregon. "
    "Fernwick uses your uploads to train its machine learning models. "
    "You can reach Fernwick support by e-mail or by phone. "
    'Fernwick staff <b>may</b> read your notes & "drafts".\n'
)


@pytest.fixture()
def versions(tmp_path, tiny_model):
    """The two versions as policy files and as saved reports."""
    paths = {}
    for name, text in (("old", OLD_POLICY), ("new", NEW_POLICY)):
        policy = tmp_path / f"{name}.txt"
        policy.write_text(text, encoding="utf-8")
        report = tiny_model.analyze(text, platform="Fernwick", source=str(policy))
        paths[name] = policy
        paths[f"{name}_json"] = report.save_json(tmp_path / f"{name}.json")
    return paths


@pytest.fixture()
def no_model(monkeypatch):
    def refuse(path):
        raise AssertionError("saved reports must not load a model")

    monkeypatch.setattr(cli, "_load_model", refuse)


@pytest.fixture()
def counted_model(monkeypatch, tiny_model):
    loads = []

    def load(path):
        loads.append(path)
        return tiny_model

    monkeypatch.setattr(cli, "_load_model", load)
    return loads


def test_diff_saved_reports_as_text(versions, no_model, capsys):
    assert main(["diff", str(versions["old_json"]), str(versions["new_json"])]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    assert "Fernwick  ->  Fernwick" in out
    assert "1 added, 0 removed, 2 reworded, 1 unchanged (1 moved)" in out
    # The tiny model reads "never uses your content to train AI" as protective (none) and its
    # rewording "uses your uploads to train its machine learning models" as high.
    assert "What got worse (1):\n  ! severity raised: ai_training none -> high" in out
    assert "Fernwick [-never-] uses your [-content-] {+uploads+} to train" in out
    assert "e-mail {+or by phone.+}" in out
    assert '+ [other, none] Fernwick staff <b>may</b> read your notes & "drafts".' in out
    assert "governed by the laws of Oregon" not in out.split("Clauses:")[1]
    main(["diff", str(versions["old_json"]), str(versions["new_json"]), "--all"])
    assert "governed by the laws of Oregon" in capsys.readouterr().out.split("Clauses:")[1]


def test_diff_saved_reports_as_json(versions, no_model, capsys):
    assert (
        main(["diff", str(versions["old_json"]), str(versions["new_json"]), "--format", "json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    expected = diff(
        DocumentReport.load_json(versions["old_json"]),
        DocumentReport.load_json(versions["new_json"]),
    ).to_dict()
    assert data == json.loads(json.dumps(expected))
    assert data["counts"] == {
        "added": 1,
        "removed": 0,
        "reworded": 2,
        "unchanged": 1,
        "moved": 1,
        "worse": 1,
    }
    assert data["worse"][0]["kind"] == "severity_raised"
    assert data["worse"][0]["description"] == "severity raised: ai_training none -> high"
    assert data["old"]["source"] == str(versions["old"])
    assert data["new"]["sha256"] == DocumentReport.load_json(versions["new_json"]).sha256
    reworded = [c for c in data["clauses"] if c["status"] == "reworded"][1]
    assert reworded["old"]["text"] == "You can reach Fernwick support by e-mail."
    assert {"op": "insert", "words": ["or", "by", "phone."]} in reworded["word_diff"]


def test_diff_as_html_escapes_text(versions, no_model, capsys):
    assert (
        main(["diff", str(versions["old_json"]), str(versions["new_json"]), "--format", "html"])
        == 0
    )
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<b>may</b>" not in page
    assert "Fernwick staff &lt;b&gt;may&lt;/b&gt; read your notes &amp; &quot;drafts&quot;." in page
    assert "<ins>or by phone.</ins>" in page
    assert "<script" not in page and "http" not in page  # self-contained


def test_diff_policy_files_loads_the_model_once(versions, counted_model, capsys):
    assert main(["diff", str(versions["old"]), str(versions["new"]), "--format", "json"]) == 0
    assert len(counted_model) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["new"]["source"] == str(versions["new"])
    assert data["counts"]["reworded"] == 2 and data["counts"]["added"] == 1
    # A saved report against a policy file.
    assert main(["diff", str(versions["old_json"]), str(versions["new"]), "--format", "json"]) == 0
    assert len(counted_model) == 2
    mixed = json.loads(capsys.readouterr().out)
    assert mixed["counts"] == data["counts"]


def test_diff_threshold_option(versions, no_model, capsys):
    args = ["diff", str(versions["old_json"]), str(versions["new_json"]), "--format", "json"]
    assert main([*args, "--threshold", "0.95"]) == 0
    counts = json.loads(capsys.readouterr().out)["counts"]
    assert counts["reworded"] == 0 and counts["added"] == 3 and counts["removed"] == 2
    assert main([*args, "--threshold", "1.5"]) == 1
    assert "--threshold" in capsys.readouterr().err


def test_diff_errors(versions, tmp_path, no_model, capsys):
    assert main(["diff", str(tmp_path / "absent.json"), str(versions["new_json"])]) == 1
    assert "absent.json: no such file" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"clauses": [', encoding="utf-8")
    assert main(["diff", str(broken), str(versions["new_json"])]) == 1
    assert "broken.json: not valid JSON" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text('{"rows": []}', encoding="utf-8")
    assert main(["diff", str(other), str(versions["new_json"])]) == 1
    err = capsys.readouterr().err
    assert "other.json: not a saved clauseclf report" in err and "'text'" in err
    assert main(["diff", "-", "-"]) == 1
    assert "only one of OLD and NEW" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["diff", str(versions["old_json"])])
    assert exit_info.value.code == 2


def test_diff_document_without_clauses(versions, tmp_path, counted_model, capsys):
    empty = tmp_path / "empty.md"
    empty.write_text("# Terms\n", encoding="utf-8")
    assert main(["diff", str(versions["old_json"]), str(empty)]) == 1
    assert "no clauses found" in capsys.readouterr().err


@pytest.mark.slow
def test_diff_with_shipped_model(tmp_path, capsys):
    old = tmp_path / "fernwick-2023.txt"
    new = tmp_path / "fernwick-2024.txt"
    old.write_text(
        "1. Disputes\nYou may bring any dispute with Fernwick before the courts of Oregon.\n"
        "2. Your data\nWe never sell your personal data.\n",
        encoding="utf-8",
    )
    new.write_text(
        "1. Disputes\nAny dispute with Fernwick will be resolved by binding individual "
        "arbitration, and you waive any right to a class action.\n"
        "2. Your data\nWe never sell your personal data.\n"
        "3. AI\nWe use the notes you write to train our generative AI models.\n",
        encoding="utf-8",
    )
    assert main(["analyze", str(old), "--format", "json"]) == 0
    saved = tmp_path / "fernwick-2023.json"
    saved.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["diff", str(saved), str(new), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["new"]["model_id"] == "default" and data["same_model"]
    assert data["old"]["analyzed_at"].endswith("+00:00")
    assert data["counts"]["unchanged"] == 1
    added = [c["new"] for c in data["clauses"] if c["status"] == "added"]
    assert any("ai_training" in clause["labels"] for clause in added)
    worse = {tuple(change["types"]) for change in data["worse"]}
    assert ("ai_training",) in worse
    assert main(["diff", str(saved), str(new)]) == 0
    assert "What got worse" in capsys.readouterr().out


def test_a_saved_report_larger_than_the_json_limit_is_refused_unread(
    versions, no_model, monkeypatch, capsys
):
    from clauseclf import limits

    size = versions["old_json"].stat().st_size
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", size - 1)
    assert main(["diff", str(versions["old_json"]), str(versions["new_json"])]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("clauseclf: error: ")
    assert f"old.json: larger than the limit of {size - 1:,} bytes" in err
    with pytest.raises(ValueError, match=f"old.json: larger than the limit of {size - 1:,}"):
        DocumentReport.load_json(versions["old_json"])
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", size)  # exactly at the limit: read
    assert len(DocumentReport.load_json(versions["old_json"]).clauses) == 3
