"""ClauseIndex: similar clauses across platforms, prevalence, uniqueness, save/load, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from clauseclf.cli import main
from clauseclf.index import SIMILAR_COLUMNS, ClauseIndex, IndexFormatError, Prevalence
from conftest import EXAMPLE_POLICY

PLATFORMS = {
    "Alpha": "Any dispute with Alpha will be resolved by binding arbitration. "
    "We collect your email address.",
    "Beta": "Any dispute with Beta will be resolved by binding arbitration. "
    "We may change these terms at any time.",
    "Gamma": "Claims against Gamma must be settled by individual arbitration, not in court. "
    "We collect your email address.",
    "Delta": "We may change these terms at any time. We collect your phone number.",
}


@pytest.fixture
def index(tiny_model):
    documents = [{"text": t, "platform": p, "id": p} for p, t in PLATFORMS.items()]
    return ClauseIndex.build(tiny_model, documents, progress=False)


def test_similar_returns_other_platforms_best_first(index):
    query = index.clauses[index.clauses["platform"] == "Alpha"].iloc[0]
    found = index.similar(query, k=5)
    assert tuple(found.columns) == SIMILAR_COLUMNS
    assert "Alpha" not in set(found["platform"])  # a scored row's own platform is left out
    assert found["platform"].is_unique  # one row per platform
    assert list(found["similarity"]) == sorted(found["similarity"], reverse=True)
    assert set(found["label"]) <= {query["label"]}
    assert found.iloc[0]["platform"] == "Beta"  # the near-identical arbitration clause


def test_similar_options(index):
    text = "Any dispute will be resolved by binding arbitration."
    everything = index.similar(text, k=50, same_type=False, one_per_platform=False)
    assert len(everything) == len(index)
    without_beta = index.similar(text, k=50, same_type=False, exclude_platform="beta")
    assert "Beta" not in set(without_beta["platform"])
    with pytest.raises(ValueError, match="k must be at least 1"):
        index.similar(text, k=0)
    with pytest.raises(TypeError, match="expected a clause text"):
        index.similar(42)
    with pytest.raises(ValueError, match="empty"):
        index.similar("   ")


def test_prevalence_and_uniqueness(index):
    label = index.clauses[index.clauses["platform"] == "Alpha"].iloc[0]["label"]
    prevalence = index.prevalence(label)
    counted = index.clauses[index.clauses["label"] == label]["platform"].nunique()
    assert prevalence == Prevalence(label=label, platforms=counted, total=4)
    assert str(prevalence) == f"{label}: {counted} of 4 platforms"
    with pytest.raises(ValueError, match="unknown clause type"):
        index.prevalence("not_a_type")
    alpha_email = {"text": "We collect your email address.", "platform": "Alpha"}
    shared = index.uniqueness(alpha_email)
    assert shared.platforms == 1 and shared.total == 3 and not shared.unique  # Gamma
    unique = index.uniqueness({"text": "We collect your phone number.", "platform": "Delta"})
    assert unique.unique and "Unique: 0 of 3" in str(unique)


def test_add_save_load_roundtrip(index, tiny_model, tmp_path):
    before = len(index)
    index.add(
        [{"text": "We sell your personal data.", "platform": "Epsilon", "id": "e"}], progress=False
    )
    assert len(index) > before and index.platform_count == 5
    folder = index.save(tmp_path / "index")
    assert {p.name for p in folder.iterdir()} == {"vectors.npy", "clauses.parquet", "index.json"}
    loaded = ClauseIndex.load(folder, tiny_model)
    pd.testing.assert_frame_equal(loaded.clauses, index.clauses)
    assert np.array_equal(loaded.vectors, index.vectors)
    text = "Disputes go to binding arbitration."
    pd.testing.assert_frame_equal(loaded.similar(text), index.similar(text))
    index.save(folder)  # replacing an index is allowed
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", "utf-8")
    with pytest.raises(FileExistsError, match="not a clause index"):
        index.save(tmp_path / "other")


def test_load_refuses_damaged_or_foreign_folders(index, tiny_model, tmp_path):
    with pytest.raises(IndexFormatError, match=r"no index\.json"):
        ClauseIndex.load(tmp_path, tiny_model)
    folder = index.save(tmp_path / "index")
    meta = json.loads((folder / "index.json").read_text("utf-8"))
    (folder / "index.json").write_text(json.dumps({**meta, "encoder": "other"}), "utf-8")
    with pytest.raises(IndexFormatError, match="built with encoder"):
        ClauseIndex.load(folder, tiny_model)
    (folder / "index.json").write_text(json.dumps(meta), "utf-8")
    (folder / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexFormatError, match="damaged"):
        ClauseIndex.load(folder, tiny_model)


def test_from_frame_needs_scored_columns(tiny_model):
    with pytest.raises(ValueError, match="lacks column"):
        ClauseIndex.from_frame(pd.DataFrame({"text": ["x"]}), tiny_model)


@pytest.mark.slow
def test_cli_index_build_and_similar(tmp_path, capsys):
    folder = tmp_path / "policies"
    folder.mkdir()
    text = EXAMPLE_POLICY.read_text("utf-8")
    (folder / "larkspur.txt").write_text(text, "utf-8")
    (folder / "copy.txt").write_text(text.replace("Larkspur", "Bramble"), "utf-8")
    results = tmp_path / "scores.parquet"
    assert main(["score", str(folder), "--out", str(results), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["index", "build", str(results), "--out", str(tmp_path / "idx")]) == 0
    assert "clauses of" in capsys.readouterr().out
    query = "All disputes will be resolved by binding arbitration."
    code = main(["similar", query, "--index", str(tmp_path / "idx"), "--format", "json"])
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {"platform", "text", "similarity"} <= set(rows[0])
    assert main(["similar", query, "--index", str(tmp_path / "missing")]) == 1
    assert "not a clause index" in capsys.readouterr().err
