"""JSON Lines files are read one line at a time, and a line longer than ``MAX_LINE_BYTES`` is
refused naming the file, the line and the limit (issue 23, item 9: a 1 GB line needed 9.6 GB).
The limit is lowered to 64 bytes here, so the files stay small."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from clauseclf import cli, limits
from clauseclf.annotations import load_annotations
from clauseclf.annotations.tools import read_doccano
from clauseclf.batch import write_scores
from clauseclf.batch.rows import read_check_columns
from clauseclf.errors import AnnotationError, TooLargeError

LIMIT = 64
SHORT = {"text": "We sell data.", "labels": {}}
LONG = {"text": "We sell data. " * 20, "labels": {}}  # about 300 bytes on one line


@pytest.fixture(autouse=True)
def small_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", LIMIT, raising=False)


def _jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("clauseclf: error: ")
    return line


def test_reading_takes_at_most_the_limit_from_an_endless_line():
    class Endless(io.RawIOBase):
        """A stream of "a" that never ends a line; records the largest read asked for."""

        largest = 0

        def readable(self) -> bool:
            return True

        def readline(self, size: int | None = -1) -> bytes:
            assert size is not None and size > 0, "an unbounded readline would never return"
            Endless.largest = max(Endless.largest, size)
            return b"a" * size

    lines = limits.capped_lines(Endless(), "endless.jsonl")  # type: ignore[arg-type]  # raw bytes
    with pytest.raises(TooLargeError, match=r"endless\.jsonl, line 1: longer than the limit of 64"):
        next(lines)
    assert Endless.largest <= LIMIT + 2


def test_a_line_of_exactly_the_limit_is_read(tmp_path):
    path = tmp_path / "edge.jsonl"
    path.write_bytes(b"x" * LIMIT + b"\r\n" + b"y" * LIMIT)
    with path.open("rb") as handle:
        lines = list(limits.capped_lines(handle, str(path)))
    assert lines == [(1, b"x" * LIMIT + b"\r\n"), (2, b"y" * LIMIT)]
    path.write_bytes(b"x" * LIMIT + b"\n" + b"y" * (LIMIT + 1))
    with path.open("rb") as handle, pytest.raises(TooLargeError, match=r"edge\.jsonl, line 2"):
        list(limits.capped_lines(handle, str(path)))


def test_annotation_jsonl_refuses_a_long_line(tmp_path):
    path = _jsonl(tmp_path / "notes.jsonl", [SHORT, SHORT, LONG])
    (problem,) = load_annotations(path).problems
    assert "notes.jsonl, line 3: longer than the limit of 64 bytes per line" in problem
    with pytest.raises(AnnotationError, match=r"notes\.jsonl, line 3: longer than the limit"):
        load_annotations(path, strict=True)


def test_doccano_refuses_a_long_line(tmp_path):
    path = _jsonl(tmp_path / "doccano.jsonl", [{"text": "x " * 60, "label": ["other"]}])
    with pytest.raises(AnnotationError, match=r"doccano\.jsonl, line 1: longer than the limit"):
        read_doccano(path)


def test_classify_refuses_a_long_line(tiny_model, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    path = _jsonl(tmp_path / "clauses.jsonl", [{"text": "We sell data."}, LONG])
    assert cli.main(["classify", str(path)]) == 1
    assert "clauses.jsonl, line 2: longer than the limit of 64 bytes" in _one_error_line(capsys)
    _jsonl(path, [{"text": "We sell data."}, {"text": "Disputes go to arbitration."}])
    assert cli.main(["classify", str(path), "--format", "json"]) == 0
    assert [r["index"] for r in json.loads(capsys.readouterr().out)] == [0, 1]


def test_index_build_refuses_a_long_line(tiny_model, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    results = _jsonl(tmp_path / "results.jsonl", [{"document_id": "a"}, LONG])
    assert cli.main(["index", "build", str(results), "--out", str(tmp_path / "idx")]) == 1
    assert "results.jsonl, line 2: longer than the limit of 64" in _one_error_line(capsys)


def test_score_resume_refuses_a_long_line_in_its_files(tiny_model, monkeypatch, tmp_path):
    out = tmp_path / "scores.jsonl"
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 1 << 20)
    write_scores(tiny_model, ["We sell your data. Disputes go to arbitration."], out)
    assert len(read_check_columns(out, "jsonl")) > 0
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", LIMIT, raising=False)
    with pytest.raises(TooLargeError, match=r"scores\.jsonl, line 1: longer than the limit"):
        read_check_columns(out, "jsonl")
