"""Head format 2: a model folder stores its practice map once (practices.json/.npz, which the
head's type ranker reads too); a format-1 head is refused naming the command that converts it;
``scripts/convert_model_format.py`` converts a format-1 folder in place without changing a
prediction; a model has one practice map."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import clauseclf
from clauseclf.errors import ModelFormatError, TrainingDataWarning
from clauseclf.head import ClauseHead
from clauseclf.head.io import HEAD_FORMAT_VERSION, RANK_PRACTICE_PREFIX
from clauseclf.head.practices import PRACTICE_ARRAYS, PracticeMap
from clauseclf.inference.model import ClauseModel
from conftest import PRACTICE_CLAUSES, REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "convert_model_format.py"
#: Clauses naming their practice (so training fits practice evidence for the type ranker).
CASES = {case: PRACTICE_CLAUSES[case] for case in ("no sale", "sale")}
ARBITRATION = PRACTICE_CLAUSES["arbitration"]
TEXTS = [
    *(text for texts in CASES.values() for text in texts),
    *ARBITRATION,
    "We sell your data to brokers unless you opt out.",
    "Claims go to arbitration in Delaware.",
    "Hello.",
    "We keep your data for 30 days and never sell it.",
]


@pytest.fixture(scope="module")
def convert_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("convert_model_format", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ranked_model(fake_encoder, tmp_path_factory) -> ClauseModel:
    """A model whose head's type ranker reads a practice map."""
    lines: list[dict[str, object]] = [
        {"text": t, "labels": {"data_sale": "none" if c == "no sale" else "high"}, "case": c}
        for c, texts in CASES.items()
        for t in texts
    ]
    lines += [{"text": t, "labels": {"arbitration": "high"}} for t in ARBITRATION]
    for n, line in enumerate(lines):
        line["platform"] = f"P{n % 3}"
    path = tmp_path_factory.mktemp("cases") / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.warns(TrainingDataWarning):
        model = clauseclf.train(path, encoder=fake_encoder, seed=0, progress=False)
    assert model.head.rank_practices is not None
    return model


def _npz_names(path: Path) -> set[str]:
    with np.load(path, allow_pickle=False) as saved:
        return set(saved.files)


def _predictions(model: ClauseModel) -> list[dict[str, object]]:
    """Every field of every prediction of ``TEXTS`` (and the practice profiles)."""
    found = [dataclasses.asdict(p) for p in model.classify(TEXTS)]
    profiles = model.practice_profiles(TEXTS, model.encoder.encode(TEXTS)).toarray()
    return [p | {"profile": row.tolist()} for p, row in zip(found, profiles, strict=True)]


def write_format_1(folder: Path) -> None:
    """Turn the saved model ``folder`` into head format 1: the practice map the type ranker
    reads copied into head.json (names, top_k, text_features, weight) and head.npz (the
    ``rank_practice_*`` arrays), as clauseclf wrote models before format 2."""
    meta = json.loads((folder / "head.json").read_text())
    practices = json.loads((folder / "practices.json").read_text())
    meta["format_version"] = 1
    meta["rank_practices"] = {
        "names": practices["names"],
        "top_k": practices["top_k"],
        "text_features": practices["text_features"],
        "weight": meta["rank_practices"]["weight"],
    }
    with np.load(folder / "head.npz", allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    with np.load(folder / "practices.npz", allow_pickle=False) as saved:
        arrays |= {RANK_PRACTICE_PREFIX + name: saved[name] for name in saved.files}
    (folder / "head.json").write_text(json.dumps(meta) + "\n")
    np.savez_compressed(folder / "head.npz", **arrays)


def test_a_saved_model_holds_the_practice_map_once(ranked_model, fake_encoder, tmp_path):
    folder = ranked_model.save(tmp_path / "model")
    head_arrays = _npz_names(folder / "head.npz")
    assert RANK_PRACTICE_PREFIX + "types" in head_arrays
    assert not head_arrays & {RANK_PRACTICE_PREFIX + name for name in PRACTICE_ARRAYS}
    assert {"weights", "bias"} <= _npz_names(folder / "practices.npz")
    meta = json.loads((folder / "head.json").read_text())
    ranking = ranked_model.head.rank_practices
    assert ranking is not None
    assert meta["format_version"] == HEAD_FORMAT_VERSION == 2
    assert meta["rank_practices"] == {
        "weight": ranking.weight,
        "practices": len(ranking.practices.names),
        "practices_sha256": ranking.practices.content_digest(),
    }
    loaded = ClauseModel.load(folder, encoder=fake_encoder)
    assert loaded.head.rank_practices is not None
    assert loaded.practices is loaded.head.rank_practices.practices  # read once, one map
    assert loaded.fingerprint() == ranked_model.fingerprint()
    assert _predictions(loaded) == _predictions(ranked_model)
    # a head saved on its own writes the map it reads: the folder is complete
    (tmp_path / "head").mkdir()
    ranked_model.head.save(tmp_path / "head")
    assert sorted(p.name for p in (tmp_path / "head").iterdir()) == [
        "head.json",
        "head.npz",
        "practices.json",
        "practices.npz",
    ]
    head = ClauseHead.load(tmp_path / "head")
    assert head.rank_practices is not None
    assert head.rank_practices.practices.content_digest() == ranking.practices.content_digest()


def test_the_content_digest_tells_maps_apart(ranked_model):
    ranking = ranked_model.head.rank_practices
    practices = ranking.practices
    same = PracticeMap.from_arrays(
        practices.names, practices.top_k, practices.text_features, practices.arrays()
    )
    assert same.content_digest() == practices.content_digest()
    for other in (
        dataclasses.replace(practices, bias=practices.bias + 1.0),  # digest() ignores the bias
        dataclasses.replace(practices, top_k=practices.top_k + 1),
        dataclasses.replace(practices, weights=practices.weights * 2),
    ):
        assert other.content_digest() != practices.content_digest()


def test_a_model_has_one_practice_map(ranked_model):
    head, ranking = ranked_model.head, ranked_model.head.rank_practices
    other = dataclasses.replace(ranking.practices, bias=ranking.practices.bias + 1.0)
    with pytest.raises(ModelFormatError, match="a model has one practice map") as refused:
        ClauseModel(ranked_model.encoder, head, ranked_model.taxonomy, practices=other)
    assert "practices= must be that map (or None)" in str(refused.value)
    # None, or an equal map, is the head's map
    for given in (None, dataclasses.replace(ranking.practices)):
        model = ClauseModel(ranked_model.encoder, head, ranked_model.taxonomy, practices=given)
        assert model.practices is ranking.practices
    assert ranked_model.with_cache().practices is ranking.practices


def test_a_format_1_head_is_refused_naming_the_conversion(ranked_model, fake_encoder, tmp_path):
    folder = ranked_model.save(tmp_path / "model")
    write_format_1(folder)
    with pytest.raises(ModelFormatError) as refused:
        ClauseModel.load(folder, encoder=fake_encoder)
    message = str(refused.value)
    assert "head format version 1" in message and "reads version 2" in message
    assert f"python scripts/convert_model_format.py {folder}" in message
    meta = json.loads((folder / "head.json").read_text())
    (folder / "head.json").write_text(json.dumps(meta | {"format_version": 7}))
    with pytest.raises(ModelFormatError, match=r"head format version 7; .* reads version 2$"):
        ClauseHead.load(folder)


def test_the_convert_script_round_trip(ranked_model, fake_encoder, tmp_path, convert_script):
    folder = ranked_model.save(tmp_path / "model")
    expected = _predictions(ClauseModel.load(folder, encoder=fake_encoder))
    write_format_1(folder)
    v1_arrays = _npz_names(folder / "head.npz")
    assert RANK_PRACTICE_PREFIX + "weights" in v1_arrays
    assert convert_script.main([str(folder)]) == 0
    converted = ClauseModel.load(folder, encoder=fake_encoder)
    assert _predictions(converted) == expected == _predictions(ranked_model)
    assert converted.fingerprint() == ranked_model.fingerprint()
    assert _npz_names(folder / "head.npz") == v1_arrays - {
        RANK_PRACTICE_PREFIX + name for name in PRACTICE_ARRAYS
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no staging left behind
    assert convert_script.convert(folder) is False  # already format 2: left alone


def test_the_convert_script_refuses_what_it_cannot_convert(
    ranked_model, tmp_path, convert_script, capsys
):
    folder = ranked_model.save(tmp_path / "model")
    write_format_1(folder)
    # the head's copy differs from practices.npz: nothing is dropped, nothing changes
    with np.load(folder / "head.npz", allow_pickle=False) as saved:
        arrays = {name: saved[name] for name in saved.files}
    arrays[RANK_PRACTICE_PREFIX + "bias"] = arrays[RANK_PRACTICE_PREFIX + "bias"] + 1
    np.savez_compressed(folder / "head.npz", **arrays)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert convert_script.main([str(folder)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("convert_model_format: error: ") and error.count("\n") == 1
    assert "differs from practices.json/practices.npz in array bias" in error
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    # not a model folder
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    for target in (tmp_path / "notes", tmp_path / "missing"):
        with pytest.raises(convert_script.ConversionError):
            convert_script.convert(target)
    assert (tmp_path / "notes" / "todo.txt").read_text() == "keep me"
    # a model folder holding something else too (a swap would delete it)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(convert_script.ConversionError, match="also holds"):
        convert_script.convert(folder)
