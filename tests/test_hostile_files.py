"""Crafted model, encoder and index files: refused at load time with a clear error instead of a
segfault, a panic or a memory bomb (issue 23, items 6, 9 and 10)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clauseclf.encoder import StaticEncoder
from clauseclf.errors import EncoderNotFoundError, IndexFormatError
from clauseclf.index import ClauseIndex
from clauseclf.inference.model import ClauseModel
from clauseclf.training import fit_practice_map
from conftest import write_static_encoder

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
    np.savez(folder / "profiles.npz", **arrays)  # type: ignore[arg-type]
    with pytest.raises(IndexFormatError, match="damaged index"):
        ClauseIndex.load(folder, model)
