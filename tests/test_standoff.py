"""Standoff annotation records: resolved against documents by offsets and a text hash."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from clauseclf.annotations import load_annotations, read_annotations, resolve_standoff, text_sha256
from clauseclf.errors import AnnotationError

# A fictional policy we wrote: no corpus text.
POLICY = (
    "Fernwick Privacy Notice\n\n"
    "We never sell your personal data to anyone.\n"
    "Disputes are settled by binding arbitration in Fernwick County.\n"
)
NAME = "Fernwick_Privacy Notice.txt"


def _span(sentence: str) -> tuple[int, int]:
    start = POLICY.index(sentence)
    return start, start + len(sentence)


def _record(sentence: str, labels: dict[str, str], **extra: object) -> dict[str, object]:
    start, end = _span(sentence)
    return {
        "doc_file": NAME,
        "start": start,
        "end": end,
        "sha256": text_sha256(sentence),
        "labels": labels,
        **extra,
    }


SALE = "We never sell your personal data to anyone."
ARBITRATION = "Disputes are settled by binding arbitration in Fernwick County."


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    documents = tmp_path / "policies"
    documents.mkdir()
    (documents / NAME).write_text(POLICY, encoding="utf-8")
    return documents


def test_records_resolve_to_the_text_at_their_offsets(folder: Path, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "real.jsonl",
        [_record(SALE, {"data_sale": "none"}), _record(ARBITRATION, {"arbitration": "high"})],
    )
    loaded = load_annotations(path, documents=folder, strict=True)
    assert [r.text for r in loaded.records] == [SALE, ARBITRATION]
    first = loaded.records[0]
    assert first.labels == {"data_sale": "none"}
    assert first.annotated_types is None  # every type checked
    assert (first.platform, first.document) == ("Fernwick", "Privacy Notice")
    start, end = _span(SALE)
    assert first.source == f"policies-2023:{NAME}:{start}-{end}"


def test_the_archive_is_read_like_the_folder(folder: Path, tmp_path: Path) -> None:
    archive = tmp_path / "corpus_text.tar.xz"
    data = POLICY.encode("utf-8")
    with tarfile.open(archive, "w:xz") as tar:
        member = tarfile.TarInfo(f"corpus/text/{NAME}")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    path = _write(tmp_path / "real.jsonl", [_record(SALE, {"data_sale": "none"})])
    for documents in (archive, tmp_path):  # the archive, or the folder that holds it
        records = read_annotations(path, documents=documents)
        assert [r.text for r in records] == [SALE]


def test_a_changed_text_is_refused_naming_file_and_line(folder: Path, tmp_path: Path) -> None:
    wrong = _record(SALE, {"data_sale": "none"})
    wrong["sha256"] = text_sha256("We sell your personal data.")
    path = _write(tmp_path / "real.jsonl", [_record(ARBITRATION, {"arbitration": "high"}), wrong])
    with pytest.raises(AnnotationError, match=r"real\.jsonl, line 2: .*does not match"):
        load_annotations(path, documents=folder, strict=True)
    loaded = load_annotations(path, documents=folder)
    assert [r.text for r in loaded.records] == [ARBITRATION]
    assert len(loaded.problems) == 1 and "line 2" in loaded.problems[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"doc_file": "Nobody_Terms.txt"}, "not found"),
        ({"start": 10, "end": 10_000}, "beyond the end"),
        ({"start": -1}, "start"),
        ({"end": "12"}, "integers"),
        ({"doc_file": "../secret.txt"}, "doc_file"),
        ({"sha256": "abc"}, "sha256"),
    ],
)
def test_bad_records_name_the_problem(
    folder: Path, tmp_path: Path, change: dict[str, object], message: str
) -> None:
    row = {**_record(SALE, {"data_sale": "none"}), **change}
    path = _write(tmp_path / "real.jsonl", [row])
    with pytest.raises(AnnotationError, match=message):
        load_annotations(path, documents=folder, strict=True)


def test_a_missing_document_source_says_where_to_point(tmp_path: Path) -> None:
    rows = [(_record(SALE, {"data_sale": "none"}), "x.jsonl, line 1")]
    with pytest.raises(FileNotFoundError, match=r"corpus_text\.tar\.xz"):
        resolve_standoff(rows, tmp_path / "absent")
