"""Crafted inputs that gave silent wrong answers or tracebacks: model files with numbers out of
range, JSON nested too deeply or with too long numbers in every reader, damaged archives and
index files, tool exports of the wrong shape, CSV that the csv module refuses, deep Markdown and
HTML, UTF-16 without a byte-order mark, and what the command line prints for them and for
exhausted memory or disk: one line ``clauseclf: error: ...`` and exit 1."""

from __future__ import annotations

import errno
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from clauseclf import cli
from clauseclf.annotations import load_annotations
from clauseclf.cli import main
from clauseclf.documents import decode_document
from clauseclf.encoder import StaticEncoder
from clauseclf.errors import (
    AnnotationError,
    DocumentError,
    EncoderNotFoundError,
    IndexFormatError,
    ModelFormatError,
    TaxonomyError,
)
from clauseclf.extraction import extract
from clauseclf.head import HEAD_NPZ, read_model_json, read_npz
from clauseclf.head.io import HEAD_ARRAYS
from clauseclf.index import ClauseIndex
from clauseclf.inference.model import ClauseModel
from clauseclf.report import DocumentReport
from clauseclf.segmentation import segment_document
from clauseclf.taxonomy import load_taxonomy
from conftest import write_static_encoder

DEEP_JSON = "[" * 100_000
LONG_INTEGER = "9" * 5_000
POLICY = "We may sell your data to advertisers. Any dispute goes to binding arbitration."


@pytest.fixture
def saved_model(tiny_model: ClauseModel, tmp_path: Path) -> Path:
    return tiny_model.save(tmp_path / "model")


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text("utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), "utf-8")


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("clauseclf: error: ")
    return line


# --------------------------------------------------------------------------- model numbers


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_number_in_head_json_is_refused_naming_file_and_key(
    saved_model, fake_encoder, value
):
    path = saved_model / "head.json"
    path.write_text(
        path.read_text("utf-8").replace('"embedding_weight": 0.5', f'"embedding_weight": {value}'),
        "utf-8",
    )
    with pytest.raises(ModelFormatError, match=r"head\.json: 'embedding_weight' is .*finite"):
        ClauseModel.load(saved_model, encoder=fake_encoder)


def test_non_finite_number_deep_in_model_json_is_named_by_its_path(saved_model, fake_encoder):
    path = saved_model / "head.json"
    data = json.loads(path.read_text("utf-8"))
    data["settings"]["config"]["C"] = float("nan")
    path.write_text(json.dumps(data), "utf-8")  # json.dumps writes NaN
    with pytest.raises(ModelFormatError, match=r"'settings\.config\.C' is nan"):
        ClauseModel.load(saved_model, encoder=fake_encoder)
    config = saved_model / "config.json"
    config.write_text(config.read_text("utf-8").replace('"dimension": 32', '"dimension": NaN'))
    with pytest.raises(ModelFormatError, match=r"config\.json: 'encoder\.dimension' is nan"):
        read_model_json(config)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("embedding_weight", -1.0, "'embedding_weight' must be a number >= 0"),
        ("embedding_weight", "0.5", "'embedding_weight' must be a number"),
        ("stance_weight", -2, "'stance_weight' must be a number >= 0"),
        ("embedding_dim", 32.5, "'embedding_dim' must be an integer >= 1"),
        ("embedding_dim", 1e308, "'embedding_dim' must be an integer >= 1"),
        ("embedding_dim", True, "'embedding_dim' must be an integer >= 1"),
        ("embedding_dim", 0, "'embedding_dim' must be an integer >= 1"),
    ],
)
def test_out_of_range_numbers_in_head_json_are_refused(
    saved_model, fake_encoder, key, value, message
):
    _edit_json(saved_model / "head.json", **{key: value})
    with pytest.raises(ModelFormatError, match=message):
        ClauseModel.load(saved_model, encoder=fake_encoder)


def test_static_encoder_numbers_out_of_range_are_refused(tmp_path):
    folder = write_static_encoder(tmp_path / "static")
    _edit_json(folder / "encoder.json", max_tokens=10**30)  # tokenizers: OverflowError
    with pytest.raises(EncoderNotFoundError, match="max_tokens in 1"):
        StaticEncoder(folder)
    _edit_json(folder / "encoder.json", max_tokens=4, dimension=float("nan"))
    with pytest.raises(EncoderNotFoundError, match="'dimension' must be a int"):
        StaticEncoder(folder)


# ------------------------------------------------------------------- deep JSON, long numbers


def test_deep_and_long_number_json_in_model_files(saved_model, fake_encoder):
    (saved_model / "head.json").write_text(DEEP_JSON, "utf-8")
    with pytest.raises(ModelFormatError, match=r"head\.json: nested too deeply"):
        ClauseModel.load(saved_model, encoder=fake_encoder)
    (saved_model / "config.json").write_text('{"format":\n' + LONG_INTEGER + "}", "utf-8")
    with pytest.raises(ModelFormatError, match=r"config\.json: number too large.*line 2"):
        ClauseModel.load(saved_model, encoder=fake_encoder)


def test_deep_json_in_every_other_reader(tmp_path, tiny_model, capsys, monkeypatch):
    path = tmp_path / "deep.json"
    path.write_text(DEEP_JSON, "utf-8")
    with pytest.raises(TaxonomyError, match="nested too deeply"):
        load_taxonomy(path)
    with pytest.raises(ValueError, match=r"deep\.json: not valid JSON.*nested too deeply"):
        DocumentReport.load_json(path)
    for fmt in ("label-studio", "doccano", "jsonl"):
        (problem,) = load_annotations(path, format=fmt).problems
        assert "deep.json" in problem and "nested too deeply" in problem
    folder = write_static_encoder(tmp_path / "static")
    (folder / "encoder.json").write_text(DEEP_JSON, "utf-8")
    with pytest.raises(EncoderNotFoundError, match="nested too deeply"):
        StaticEncoder(folder)
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    lines = tmp_path / "clauses.jsonl"
    lines.write_text('{"text": "We sell data."}\n' + DEEP_JSON + "\n", "utf-8")
    assert main(["classify", str(lines)]) == 1
    assert "clauses.jsonl, line 2: invalid JSON: nested too deeply" in _one_error_line(capsys)
    policy = tmp_path / "policy.txt"
    policy.write_text(POLICY, "utf-8")
    assert main(["diff", str(path), str(policy)]) == 1
    assert "deep.json: not valid JSON (nested too deeply" in _one_error_line(capsys)


def test_annotation_number_too_large_names_file_and_line(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text(
        '{"text": "We sell data.", "labels": {}}\n'
        f'{{"text": "We keep data.", "labels": {{}}, "platform": {LONG_INTEGER}}}\n',
        "utf-8",
    )
    result = load_annotations(path)
    assert len(result.records) == 1
    assert result.problems == (
        f"{path}, line 2: invalid JSON: number too large (more than 4300 digits)",
    )
    with pytest.raises(AnnotationError, match=r"notes\.jsonl, line 2: invalid JSON: number"):
        load_annotations(path, strict=True)


# --------------------------------------------------------------------------- archives, indexes


def _truncated_member_npz(source: Path, target: Path) -> None:
    """``source``'s arrays in a valid zip whose ``idf.npy`` member is cut short."""
    with np.load(source) as archive:
        arrays = {name: archive[name] for name in archive.files}
    with zipfile.ZipFile(target, "w") as out:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            data = buffer.getvalue()
            out.writestr(f"{name}.npy", data[: len(data) // 2] if name == "idf" else data)


def test_truncated_npz_is_corrupt_not_pickle(saved_model, fake_encoder):
    _truncated_member_npz(saved_model / HEAD_NPZ, saved_model / "cut.npz")
    with pytest.raises(ModelFormatError, match=r"corrupt weights file|declares") as caught:
        read_npz(saved_model / "cut.npz", HEAD_ARRAYS)
    assert "pickle" not in str(caught.value)
    data = (saved_model / HEAD_NPZ).read_bytes()
    (saved_model / HEAD_NPZ).write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match="corrupt weights file"):
        ClauseModel.load(saved_model, encoder=fake_encoder)


def test_static_encoder_with_a_bad_zip_is_refused(tmp_path):
    folder = write_static_encoder(tmp_path / "static")
    (folder / "embeddings.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(EncoderNotFoundError, match=r"cannot read .*embeddings\.npz"):
        StaticEncoder(folder)


def _declare_huge_npy(path: Path) -> None:
    """A 100-byte ``.npy`` whose header declares a 1 TB int8 array."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "|i1", "fortran_order": False, "shape": (1_000_000, 1_000_000)}
    )
    path.write_bytes(buffer.getvalue() + bytes(100))


@pytest.fixture
def saved_index(tiny_model, tmp_path) -> Path:
    documents = [
        {"text": POLICY, "platform": "a", "id": "a"},
        {"text": "We share your data with partners. Disputes go to court.", "platform": "b"},
    ]
    return ClauseIndex.build(tiny_model, documents, progress=False).save(tmp_path / "index")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: np.save(d / "vectors.npy", np.int8(3)), "damaged index"),
        (lambda d: (d / "vectors.npy").write_bytes(b"PK\x03\x04 no zip"), "damaged index"),
        (lambda d: _declare_huge_npy(d / "vectors.npy"), r"declares shape \(1000000, 1000000\)"),
        (lambda d: (d / "index.json").write_text(DEEP_JSON), "nested too deeply"),
        (lambda d: _edit_json(d / "index.json", dimension=float("inf")), "'dimension' is inf"),
    ],
)
def test_malformed_index_files_are_refused(saved_index, tiny_model, damage, message):
    damage(saved_index)
    with pytest.raises(IndexFormatError, match=message):
        ClauseIndex.load(saved_index, tiny_model)


# --------------------------------------------------------------------------- annotation files


@pytest.mark.parametrize(
    "annotations",
    [
        {"a": 1},
        [{"result": "abc"}],
        [{"result": [5]}],
        [{"result": [{"value": []}]}],
        [{"result": [{"value": {"choices": "arbitration"}}]}],
    ],
)
def test_label_studio_export_of_the_wrong_shape_names_file_and_task(tmp_path, annotations):
    path = tmp_path / "export.json"
    tasks = [
        {"id": 7, "data": {"text": "We sell data."}, "annotations": annotations},
        {
            "id": 8,
            "data": {"text": "Any dispute goes to arbitration."},
            "annotations": [
                {"result": [{"from_name": "type", "value": {"choices": ["arbitration"]}}]}
            ],
        },
    ]
    path.write_text(json.dumps(tasks), "utf-8")
    result = load_annotations(path)
    assert [r.text for r in result.records] == ["Any dispute goes to arbitration."]
    (problem,) = result.problems
    assert problem.startswith(f"{path}, task #0 (id 7): ") and " must be " in problem
    with pytest.raises(AnnotationError, match=r"export\.json, task #0 \(id 7\)"):
        load_annotations(path, strict=True)


def test_csv_field_over_the_csv_limit_is_a_problem_of_its_line(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text('text,label\n"' + "a" * 200_000 + '",other\nWe sell data.,data_sale\n', "utf-8")
    result = load_annotations(path)
    assert [r.text for r in result.records] == ["We sell data."]
    (problem,) = result.problems
    assert problem == f"{path}, line 2: a field longer than the limit of 131,072 characters"


def test_csv_field_limit_holds_when_the_csv_module_allows_any_size(tmp_path):
    import csv
    import sys

    path = tmp_path / "notes.csv"
    path.write_text(
        'text,label\nWe sell data.,data_sale\n"'
        + "a" * 140_000
        + '\nb",other\nWe keep it.,other\n',
        "utf-8",
    )
    previous = csv.field_size_limit(sys.maxsize)  # as some programs set it
    try:
        result = load_annotations(path)
    finally:
        csv.field_size_limit(previous)
    assert [r.text for r in result.records] == ["We sell data.", "We keep it."]
    assert result.problems == (
        f"{path}, line 3: a field longer than the limit of 131,072 characters",
    )


def test_csv_field_limit_comes_from_limits(tmp_path, monkeypatch):
    from clauseclf import limits

    path = tmp_path / "notes.csv"
    path.write_text("text,label\nFees apply.,other\nWe keep all data.,other\n", "utf-8")
    monkeypatch.setattr(limits, "MAX_CSV_FIELD_CHARS", 17)
    assert [r.text for r in load_annotations(path).records] == ["Fees apply.", "We keep all data."]
    monkeypatch.setattr(limits, "MAX_CSV_FIELD_CHARS", 16)
    result = load_annotations(path)
    assert [r.text for r in result.records] == ["Fees apply."]
    assert result.problems == (f"{path}, line 3: a field longer than the limit of 16 characters",)
    with pytest.raises(AnnotationError, match=r"notes\.csv, line 3: a field longer than the lim"):
        load_annotations(path, strict=True)


def test_a_csv_file_larger_than_its_limit_is_refused_unread(tmp_path, monkeypatch):
    from clauseclf import limits

    path = tmp_path / "notes.csv"
    path.write_text("text,label\nWe sell data.,data_sale\n", "utf-8")
    size = path.stat().st_size
    monkeypatch.setattr(limits, "MAX_CSV_BYTES", size - 1)
    refused = f"{path}: larger than the limit of {size - 1:,} bytes"
    assert load_annotations(path).problems == (refused,)
    with pytest.raises(AnnotationError, match=r"notes\.csv: larger than the limit of"):
        load_annotations(path, strict=True)
    read: list[int] = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):  # how much of the file is read
        handle = real_open(self, *args, **kwargs)
        real_read = handle.read

        def counted_read(n: int = -1) -> bytes:
            read.append(n)
            data: bytes = real_read(n)
            return data

        handle.read = counted_read
        return handle

    monkeypatch.setattr(Path, "open", counting_open)
    load_annotations(path)
    assert read == [size]  # limit + 1 bytes asked for, never the whole file
    monkeypatch.setattr(limits, "MAX_CSV_BYTES", size)  # exactly at the limit: read
    assert [r.text for r in load_annotations(path).records] == ["We sell data."]


def test_unterminated_csv_quote_names_the_line_where_it_opens(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(
        'text,label\nWe sell data.,data_sale\n"Two\nlines",other\n'
        'x,"other\nWe keep data.,other\nMore text.,other\n',
        "utf-8",
    )
    result = load_annotations(path)
    assert [r.text for r in result.records] == ["We sell data.", "Two\nlines"]
    assert result.problems == (
        f"{path}, line 5: a quoted field opened on this line is never closed (unterminated "
        "quote: the rest of the file would be its text)",
    )


# --------------------------------------------------------------------------- documents


def test_markdown_nested_past_twenty_levels_keeps_its_text():
    quoted = ">" * 25 + " We may sell your data to advertisers.\n"
    assert [s.text for s in segment_document(quoted, format="markdown").segments] == [
        "We may sell your data to advertisers."
    ]
    ladder = "\n\n".join(">" * depth + f" Clause number {depth} applies." for depth in range(1, 40))
    text = extract(ladder, format="markdown").text
    assert all(f"Clause number {depth} applies." in text for depth in range(1, 40))
    lists = "\n".join("  " * depth + f"- item {depth} text." for depth in range(30))
    text = extract(lists, format="markdown").text
    assert all(f"item {depth} text." in text for depth in range(30))
    mixed = "> - " * 15 + "Deep one.\n" + "> " * 30 + "\n" + "> " * 30 + "Deep two.\n\nOutside."
    blocks = extract(mixed, format="markdown")
    assert [blocks.text[b.start : b.end] for b in blocks.blocks] == [
        "Deep one.",
        "Deep two.",
        "Outside.",
    ]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_decoded_not_called_binary(codec):
    text = "Wir d\u00fcrfen Ihre Daten verkaufen.\nAny dispute goes to arbitration.\n" * 3
    assert decode_document(text.encode(codec), name="doc") == text


def test_binary_with_zero_bytes_is_still_refused():
    data = bytes(range(256)) * 4
    with pytest.raises(DocumentError, match="binary"):
        decode_document(data, name="blob")
    with pytest.raises(DocumentError, match="binary"):
        decode_document("\x01\x02\x03\x04 data".encode("utf-16-le") * 20, name="blob")


# --------------------------------------------------------------------------- the command line


@pytest.fixture
def stand_in_model(tiny_model, monkeypatch):
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    return tiny_model


def test_html_nested_too_deeply_is_one_line_naming_the_file(tmp_path, capsys):
    path = tmp_path / "deep.html"
    path.write_text("<svg>" * 5000 + "We sell data.", "utf-8")  # dropped tags stay nested
    with pytest.raises(DocumentError, match="nested too deeply"):
        extract(path.read_text("utf-8"), format="html")
    assert main(["segment", str(path)]) == 1
    assert f"{path}: HTML is nested too deeply" in _one_error_line(capsys)


@pytest.mark.parametrize("command", ["score", "export-uncertain"])
def test_output_path_that_is_a_folder(stand_in_model, tmp_path, capsys, command):
    policy, out = tmp_path / "policy.txt", tmp_path / "results.csv"
    policy.write_text(POLICY, "utf-8")
    out.mkdir()
    assert main([command, str(policy), "--out", str(out), *(["--quiet"] * (command == "score"))])
    assert f"{out}: is a directory" in _one_error_line(capsys)
    assert list(out.iterdir()) == []


def test_full_disk_in_score_is_one_line(stand_in_model, tmp_path, capsys, monkeypatch):
    import clauseclf.batch

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(clauseclf.batch, "write_scores", full_disk)
    policy = tmp_path / "policy.txt"
    policy.write_text(POLICY, "utf-8")
    out = tmp_path / "results.csv"
    assert main(["score", str(policy), "--out", str(out), "--quiet"]) == 1
    line = _one_error_line(capsys)
    assert f"{out}: cannot write: No space left on device" in line and "--resume" in line


def test_full_disk_in_train_is_one_line(tiny_model, tmp_path, capsys, monkeypatch):
    import clauseclf.training

    def full_disk(self, directory):
        raise OSError(errno.ENOSPC, "No space left on device", str(directory))

    monkeypatch.setattr(clauseclf.training, "train", lambda *args, **kwargs: tiny_model)
    monkeypatch.setattr(ClauseModel, "save", full_disk)
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"text": "We sell data.", "labels": {"data_sale": "high"}}\n', "utf-8")
    assert main(["train", str(notes), "--out", str(tmp_path / "model"), "--quiet"]) == 1
    assert "model: no space left on the disk" in _one_error_line(capsys)


def test_out_of_memory_is_one_line(tmp_path, capsys, monkeypatch):
    def no_memory(path):
        raise MemoryError

    monkeypatch.setattr(cli, "_load_model", no_memory)
    policy = tmp_path / "policy.txt"
    policy.write_text(POLICY, "utf-8")
    assert main(["analyze", str(policy)]) == 1
    assert "out of memory" in _one_error_line(capsys)


def test_a_bug_still_shows_its_traceback(tmp_path, monkeypatch):
    def bug(path):
        raise KeyError("a bug, not a user error")

    monkeypatch.setattr(cli, "_load_model", bug)
    policy = tmp_path / "policy.txt"
    policy.write_text(POLICY, "utf-8")
    with pytest.raises(KeyError):
        main(["analyze", str(policy)])


def test_a_document_larger_than_its_limit_is_refused_unread(tmp_path, monkeypatch, capsys):
    from clauseclf import limits
    from clauseclf.documents import read_document
    from clauseclf.errors import DocumentError

    path = tmp_path / "policy.txt"
    path.write_text("We sell your data. " * 10, "utf-8")
    size = path.stat().st_size
    assert read_document(path).startswith("We sell your data.")
    monkeypatch.setattr(limits, "MAX_DOCUMENT_BYTES", size - 1)
    with pytest.raises(DocumentError, match=rf"policy\.txt: larger than the limit of {size - 1:,}"):
        read_document(path)
    # A device that never ends is read no further than the limit.
    with pytest.raises(DocumentError, match="/dev/zero: larger than the limit"):
        read_document("/dev/zero")
    assert main(["analyze", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"clauseclf: error: {path}: larger than the limit of {size - 1:,} bytes"
