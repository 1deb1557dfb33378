import json

import pytest

from clauseclf.cli import main
from conftest import EXAMPLE_POLICY


@pytest.mark.parametrize("command", ["analyze", "segment"])
def test_missing_file_exits_nonzero_with_message(command, tmp_path, capsys):
    assert main([command, str(tmp_path / "absent.txt")]) == 1
    assert "absent.txt: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"\x00\x01\x02binary\x00", "binary"), (b"ok \xfa\xfb bad", "UTF-8")],
)
@pytest.mark.parametrize("command", ["analyze", "segment", "classify"])
def test_unusable_input_exits_nonzero(command, content, message, tmp_path, capsys):
    path = tmp_path / "input.txt"
    path.write_bytes(content)
    assert main([command, str(path)]) == 1
    assert message in capsys.readouterr().err


def test_directory_is_refused(tmp_path, capsys):
    assert main(["segment", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze"])
    assert exit_info.value.code == 2


def test_bad_jsonl_line_is_named(tmp_path, capsys):
    path = tmp_path / "clauses.jsonl"
    path.write_text('{"text": "We sell your data."}\n{"text": \n', encoding="utf-8")
    assert main(["classify", str(path)]) == 1
    assert "line 2: invalid JSON" in capsys.readouterr().err


def test_missing_model_folder(tmp_path, capsys):
    assert main(["analyze", str(EXAMPLE_POLICY), "--model", str(tmp_path / "nomodel")]) == 1
    assert "no model folder" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_segment_outputs(fmt, capsys):
    assert main(["segment", str(EXAMPLE_POLICY), "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert "binding arbitration" in out
    if fmt == "json":
        data = json.loads(out)
        assert data["format"] == "text"
        text = EXAMPLE_POLICY.read_text(encoding="utf-8")
        assert all(text[c["start"] : c["end"]] == c["text"] for c in data["clauses"])
    if fmt == "table":
        assert "== 7. Disputes ==" in out


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_analyze_with_shipped_model(fmt, capsys):
    assert main(["analyze", str(EXAMPLE_POLICY), "--platform", "Larkspur", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        report = json.loads(out)
        assert report["platform"] == "Larkspur"
        assert len(report["sha256"]) == 64
        labels = {c["label"] for c in report["clauses"]}
        assert "arbitration" in labels
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.splitlines()]
        assert {"label", "labels", "severity", "confidence", "start", "end"} <= set(rows[0])
    else:
        assert "arbitration" in out


@pytest.mark.slow
def test_classify_lines_with_shipped_model(tmp_path, capsys):
    path = tmp_path / "clauses.txt"
    path.write_text(
        "We sell your personal data to advertisers.\n\nYou can contact us.\n", encoding="utf-8"
    )
    assert main(["classify", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["index"] for r in rows] == [0, 1]
    assert rows[0]["text"].startswith("We sell")
