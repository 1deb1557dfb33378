"""Crafted model, encoder and index files: refused at load time with a clear error instead of a
segfault, a panic or a memory bomb (issue 23, items 6, 9 and 10)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clauseclf import limits, pipeline
from clauseclf.batch import score, write_scores
from clauseclf.encoder import StaticEncoder
from clauseclf.errors import (
    DocumentError,
    EncoderNotFoundError,
    IndexFormatError,
    ModelFormatError,
    ScoringError,
    TokenizerError,
    TooLargeError,
)
from clauseclf.index import ClauseIndex
from clauseclf.inference import model as model_module
from clauseclf.inference.model import ClauseModel
from clauseclf.training import fit_practice_map
from conftest import static_model, write_static_encoder

PRACTICE_TEXTS = {
    "sale": ["We sell your personal data.", "Your profile may be sold to advertisers."],
    "arbitration": ["Disputes go to binding arbitration.", "Any claim goes to an arbitrator."],
}


# -- item 6: ids and indices beyond their arrays ---------------------------------------------


def test_a_tokenizer_id_beyond_the_embedding_rows_is_refused(tmp_path: Path) -> None:
    folder = write_static_encoder(tmp_path / "encoder")
    tokenizer = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    vocabulary = tokenizer["model"]["vocab"]
    vocabulary["sell"] = 1_000_000  # as many tokens as rows, but one id far beyond them
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer), "utf-8")
    with pytest.raises(EncoderNotFoundError, match="largest token id is 1000000"):
        StaticEncoder(folder)


@pytest.fixture
def practice_index(tiny_model, fake_encoder, tmp_path: Path) -> tuple[Path, ClauseModel]:
    texts = [t for ts in PRACTICE_TEXTS.values() for t in ts]
    cases = [c for c, ts in PRACTICE_TEXTS.items() for _ in ts]
    practices = fit_practice_map(fake_encoder.encode(texts), cases, top_k=2)
    model = ClauseModel(
        tiny_model.encoder, tiny_model.head, tiny_model.taxonomy, practices=practices
    )
    documents = [{"text": " ".join(ts), "platform": c, "id": c} for c, ts in PRACTICE_TEXTS.items()]
    index = ClauseIndex.build(model, documents, progress=False)
    assert index.measure == "practices"
    return index.save(tmp_path / "index"), model


def _out_of_range(arrays: dict[str, np.ndarray]) -> None:
    arrays["indices"][1] = 10_000_000


def _negative(arrays: dict[str, np.ndarray]) -> None:
    arrays["indices"][1] = -5


def _unordered_rows(arrays: dict[str, np.ndarray]) -> None:
    arrays["indptr"][1] = arrays["indptr"][-1] + 3


def _one_dimension(arrays: dict[str, np.ndarray]) -> None:
    arrays["shape"] = arrays["shape"][:1]


def _negative_shape(arrays: dict[str, np.ndarray]) -> None:
    arrays["shape"] = np.array([-1, 2], dtype=np.int64)


def _float_indices(arrays: dict[str, np.ndarray]) -> None:
    arrays["indices"] = arrays["indices"] + 0.5


@pytest.mark.parametrize(
    "change",
    [_out_of_range, _negative, _unordered_rows, _one_dimension, _negative_shape, _float_indices],
)
def test_index_profiles_with_indices_outside_their_shape_are_refused(
    practice_index: tuple[Path, ClauseModel], change: Callable[[dict[str, np.ndarray]], None]
) -> None:
    folder, model = practice_index
    ClauseIndex.load(folder, model)  # intact
    with np.load(folder / "profiles.npz") as saved:
        arrays = {name: saved[name] for name in saved.files}
    change(arrays)
    np.savez(folder / "profiles.npz", **arrays)
    with pytest.raises(IndexFormatError, match="damaged index"):
        ClauseIndex.load(folder, model)


# -- item 10: a tokenizer that panics -------------------------------------------------------


def _panicking_tokenizer(folder: Path, pattern: str) -> None:
    """Give the static encoder at ``folder`` a pre-tokenizer regex that makes Oniguruma give
    up (a Rust panic in tokenizers) on some inputs."""
    tokenizer = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    tokenizer["pre_tokenizer"] = {
        "type": "Split",
        "pattern": {"Regex": pattern},
        "behavior": "Isolated",
        "invert": False,
    }
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer), "utf-8")


def test_a_tokenizer_that_panics_on_ordinary_text_is_refused_at_load(tmp_path: Path) -> None:
    folder = write_static_encoder(tmp_path / "encoder")
    _panicking_tokenizer(folder, "(a+)+$")
    with pytest.raises(EncoderNotFoundError, match=r"fails on ordinary text.*PanicException"):
        StaticEncoder(folder)


@pytest.fixture
def panicking_model(tmp_path: Path) -> ClauseModel:
    """A model whose tokenizer panics on a run of "q" not followed by the end (and only then)."""
    folder = write_static_encoder(tmp_path / "encoder")
    trained = static_model(folder)
    _panicking_tokenizer(folder, "(q+)+$")
    return ClauseModel(StaticEncoder(folder), trained.head, trained.taxonomy)


POISON = "We sell your data. " + "q" * 40 + "x"


def test_a_document_the_tokenizer_panics_on_is_an_error_row(panicking_model) -> None:
    with pytest.raises(TokenizerError, match="tokenizer failed"):
        panicking_model.classify([POISON])
    documents = [
        {"id": "good", "text": "We sell your data. We may close accounts."},
        {"id": "bad", "text": POISON},
        {"id": "also good", "text": "We close your account."},
    ]
    frame = score(panicking_model, documents, progress=False)
    errors = frame.set_index("document_id")["error"]
    assert "tokenizer failed" in errors["bad"] and errors["bad"].startswith("TokenizerError")
    assert errors.drop("bad").isna().all()
    assert list(frame["document_id"].unique()) == ["good", "bad", "also good"]
    with pytest.raises(ScoringError, match="'bad'"):
        score(panicking_model, documents, progress=False, errors="raise")


def test_a_run_resumes_past_a_document_the_tokenizer_panics_on(panicking_model, tmp_path) -> None:
    documents = [{"id": f"doc{i}", "text": "We sell your data."} for i in range(3)]
    documents.insert(1, {"id": "bad", "text": POISON})
    out = tmp_path / "scores.csv"
    write_scores(panicking_model, documents, out, chunk_size=2, progress=False)
    write_scores(panicking_model, documents, out, chunk_size=2, progress=False, resume=True)
    frame = pd.read_csv(out)
    assert sorted(frame["document_id"].unique()) == ["bad", "doc0", "doc1", "doc2"]
    assert frame.loc[frame["document_id"] == "bad", "error"].str.contains("tokenizer").all()


# -- item 9: documents of very many clauses --------------------------------------------------


def test_classification_runs_in_bounded_batches(tiny_model, monkeypatch) -> None:
    texts = [f"We sell your data to partner {i}." for i in range(23)] + ["We close accounts."]
    whole = tiny_model.classify(texts)
    sizes: list[int] = []
    predict = tiny_model.head.predict

    def counting(batch, embeddings, **options):
        sizes.append(len(batch))
        return predict(batch, embeddings, **options)

    monkeypatch.setattr(model_module, "CLASSIFY_ROWS", 5)
    monkeypatch.setattr(tiny_model.head, "predict", counting)
    assert tiny_model.classify(texts) == whole
    assert sizes == [5, 5, 5, 5, 4]


def test_a_document_of_too_many_clauses_is_refused_naming_the_limit(
    tiny_model, monkeypatch
) -> None:
    monkeypatch.setattr(pipeline, "MAX_DOCUMENT_CLAUSES", 40)
    many = "\n\n".join(f"Rule {i} applies." for i in range(41))
    with pytest.raises(DocumentError, match="document: more than 40 clauses, the limit"):
        tiny_model.analyze(many)
    assert len(tiny_model.analyze("\n\n".join(many.split("\n\n")[:40])).clauses) == 40
    frame = score(tiny_model, [{"id": "many", "text": many}, "We sell data."], progress=False)
    error = frame["error"].iloc[0]
    assert error.startswith("DocumentError: many: more than 40 clauses, the limit"), error
    assert frame["error"].iloc[1:].isna().all() and len(frame) == 2


# -- item 9: files that declare or expand to more than they hold -----------------------------


def test_only_the_arrays_a_format_names_are_read_and_each_is_capped(
    tiny_model, monkeypatch, tmp_path: Path
) -> None:
    folder = tiny_model.save(tmp_path / "model")
    with np.load(folder / "head.npz") as saved:
        arrays = {name: saved[name] for name in saved.files}
    largest = max(a.nbytes for a in arrays.values())
    monkeypatch.setattr(limits, "MAX_ARRAY_BYTES", largest)
    unused = np.zeros(4 * largest + 1_000_000, dtype=np.uint8)  # inflates past the cap
    np.savez_compressed(folder / "head.npz", **arrays, unused=unused)
    assert ClauseModel.load(folder, encoder=tiny_model.encoder).types == tiny_model.types
    np.savez_compressed(folder / "head.npz", **{**arrays, "idf": unused})
    with pytest.raises(ModelFormatError, match=r"member 'idf' inflates to .* more than the limit"):
        ClauseModel.load(folder, encoder=tiny_model.encoder)


def test_an_array_header_declaring_more_than_its_member_holds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "arrays.npz"
    np.savez(path, big=np.zeros(10, dtype=np.float32))
    with zipfile.ZipFile(path) as archive:
        member = archive.read("big.npy")
    forged = member.replace(b"(10,), }    ", b"(99999999,)}")  # header length unchanged
    assert forged != member
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("big.npy", forged)
    with pytest.raises(TooLargeError, match="member 'big' declares"):
        limits.read_npz_members(path, ("big",))


def test_a_json_file_without_end_is_read_up_to_the_limit() -> None:
    with pytest.raises(TooLargeError, match="limit of 1,000 bytes"):
        limits.read_capped_bytes(Path("/dev/zero"), 1000)


def test_a_dictionary_encoded_parquet_is_read_without_expanding(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    long = "x" * 100_000
    table = pa.table({"text": [long] * 1000 + [None], "n": list(range(1001))})
    pq.write_table(table, tmp_path / "t.parquet", use_dictionary=True)
    assert (tmp_path / "t.parquet").stat().st_size < 1_000_000  # 100 MB of text once decoded
    frame = limits.read_parquet_shared(tmp_path / "t.parquet")
    assert frame["text"].dtype == object and frame["text"].iloc[-1] is None
    assert frame["text"].iloc[0] == long and frame["text"].iloc[0] is frame["text"].iloc[999]
    assert frame["n"].tolist() == list(range(1001))
