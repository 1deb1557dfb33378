"""ClauseIndex: similar clauses across platforms, prevalence, uniqueness, save/load, CLI."""

from __future__ import annotations

import json
import sys
from typing import TypedDict

import numpy as np
import pandas as pd
import pytest

from clauseclf.cli import main
from clauseclf.errors import IndexFormatError
from clauseclf.index import (
    DOES,
    DOES_NOT,
    MIN_SIMILARITY,
    SIMILAR_COLUMNS,
    ClauseIndex,
    Prevalence,
    clause_stance,
)
from clauseclf.inference.model import ClauseModel
from conftest import EXAMPLE_POLICY


class _Every(TypedDict):
    same_stance: bool
    min_similarity: float


#: ``similar`` options that keep every clause passing the other filters.
EVERY: _Every = {"same_stance": False, "min_similarity": -1.0}

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
    found = index.similar(query, k=5).clauses
    assert tuple(found.columns) == SIMILAR_COLUMNS
    assert "Alpha" not in set(found["platform"])  # a scored row's own platform is left out
    assert found["platform"].is_unique  # one row per platform
    assert list(found["similarity"]) == sorted(found["similarity"], reverse=True)
    assert set(found["label"]) <= {query["label"]}
    assert found.iloc[0]["platform"] == "Beta"  # the near-identical arbitration clause


def test_similar_options(index):
    text = "Any dispute will be resolved by binding arbitration."
    everything = index.similar(text, k=50, same_type=False, one_per_platform=False, **EVERY)
    assert len(everything) == len(index)
    without_beta = index.similar(text, k=50, same_type=False, exclude_platform="beta", **EVERY)
    assert "Beta" not in set(without_beta.clauses["platform"])
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
    assert prevalence == Prevalence(
        label=label, platforms=counted, total=4, does=counted, does_not=0
    )
    assert str(prevalence) == f"{label}: {counted} of 4 platforms ({counted} do, 0 promise not to)"
    with pytest.raises(ValueError, match="unknown clause type"):
        index.prevalence("not_a_type")
    alpha_email = {"text": "We collect your email address.", "platform": "Alpha"}
    shared = index.uniqueness(alpha_email)
    assert shared.platforms == 1 and shared.total == 3 and not shared.unique  # Gamma
    unique = index.uniqueness({"text": "We collect your phone number.", "platform": "Delta"})
    assert unique.unique and "Unique: 0 of 3" in str(unique)


STANCE_PLATFORMS = {
    "Sells": "We may sell your personal data to our partners.",
    "Brokers": "We sell information about you to data brokers.",
    "NoSale": "We do not sell your personal data.",
    "Never": "We never sell or rent your personal information.",
    "Both": "We sell your usage data to advertisers. We don't sell your contact details.",
}


@pytest.fixture
def stance_index(tiny_model):
    documents = [{"text": t, "platform": p, "id": p} for p, t in STANCE_PLATFORMS.items()]
    return ClauseIndex.build(tiny_model, documents, progress=False)


def test_clause_stance_of_clauses_we_wrote():
    assert clause_stance("We may sell your data.") == DOES
    assert clause_stance("We do not sell your personal data.") == DOES_NOT
    assert clause_stance("We don\u2019t share or rent it.") == DOES_NOT
    assert clause_stance("We never train AI models on your content.") == DOES_NOT
    assert clause_stance("Your personal data is never sold.") == DOES_NOT
    assert clause_stance("We may sell your data unless you opt out.") == DOES
    # a condition put to the user is no promise
    assert clause_stance("If you do not want us to share your data, opt out.") == DOES


def test_similar_keeps_the_query_stance(stance_index):
    query = "We may sell your data."
    found = stance_index.similar(query, k=5, same_type=False, min_similarity=-1)
    assert found.stance == DOES and len(found) == 3
    assert set(found.clauses["stance"]) == {DOES}
    assert set(found.clauses["platform"]) == {"Sells", "Brokers", "Both"}
    assert not found.clauses["text"].str.contains("not|never|n't").any()
    promise = stance_index.similar(
        "We will not sell your data.", k=5, same_type=False, min_similarity=-1
    )
    assert promise.stance == DOES_NOT
    assert set(promise.clauses["platform"]) == {"NoSale", "Never", "Both"}
    assert set(promise.clauses["stance"]) == {DOES_NOT}
    either = stance_index.similar(query, k=5, same_type=False, same_stance=False, min_similarity=-1)
    assert len(either) == 5 and set(either.clauses["stance"]) == {DOES, DOES_NOT}
    rows = stance_index.clauses.loc[either.clauses.index]  # the frame's index: index rows
    assert list(rows["text"]) == list(either.clauses["text"])


def test_prevalence_counts_platforms_by_stance(stance_index):
    label = stance_index.clauses["label"].iloc[0]
    stance_index.clauses["label"] = label  # one type for all: the stance split is under test
    stance_index.__init__(
        stance_index.model, stance_index.clauses, stance_index.vectors, stance_index.scales
    )
    prevalence = stance_index.prevalence(label)
    assert (prevalence.platforms, prevalence.does, prevalence.does_not) == (5, 3, 3)
    assert "(3 do, 3 promise not to)" in str(prevalence)


def test_similar_below_the_minimum_returns_nothing_and_says_why(stance_index):
    query = "We may sell your data."
    found = stance_index.similar(query, k=5, same_type=False, min_similarity=-1)
    best = float(found.clauses["similarity"].iloc[0])
    strict = stance_index.similar(query, k=5, same_type=False, min_similarity=min(best + 0.01, 1))
    assert strict.empty and len(strict) == 0 and tuple(strict.clauses.columns) == SIMILAR_COLUMNS
    assert strict.best_similarity == pytest.approx(best)
    assert "minimum similarity" in strict.reason and f"best {best:.2f}" in strict.reason
    assert str(strict).startswith("No similar clauses: ")
    middle = float(found.clauses["similarity"].iloc[1])
    some = stance_index.similar(query, k=5, same_type=False, min_similarity=middle)
    assert list(some.clauses["similarity"]) == list(found.clauses["similarity"].iloc[:2])
    assert some.reason == "" and some.min_similarity == middle
    default = stance_index.similar(query, k=5, same_type=False)
    assert default.min_similarity == MIN_SIMILARITY[stance_index.measure]
    assert (default.clauses["similarity"] >= default.min_similarity - 1e-6).all()
    nothing = stance_index.similar(query, k=5, exclude_platform=None, same_type=True)
    if nothing.empty:  # no clause of the query's predicted type may pass the filters
        assert nothing.reason
    with pytest.raises(ValueError, match="min_similarity"):
        stance_index.similar(query, min_similarity=2.0)


def test_cli_similar_says_when_nothing_passes(
    stance_index, tiny_model, tmp_path, capsys, monkeypatch
):
    from clauseclf import cli

    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    folder = stance_index.save(tmp_path / "idx")
    args = ["similar", "We may sell your data.", "--index", str(folder)]
    assert main([*args, "--any-type", "--min-similarity", "1.0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No similar clauses: no clause reaches the minimum similarity 1.00")
    assert main([*args, "--any-type", "--min-similarity", "-1", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["stance"] == DOES and answer["reason"] == "" and len(answer["clauses"]) == 3
    assert main([*args, "--any-type", "--any-stance", "--min-similarity", "-1"]) == 0
    assert "does not]" in capsys.readouterr().out


def test_add_save_load_roundtrip(index, tiny_model, tmp_path):
    before = len(index)
    index.add(
        [{"text": "We sell your personal data.", "platform": "Epsilon", "id": "e"}], progress=False
    )
    assert len(index) > before and index.platform_count == 5
    folder = index.save(tmp_path / "index")
    names = {p.name for p in folder.iterdir()}
    assert names == {"vectors.npy", "scales.npy", "clauses.parquet", "index.json"}
    loaded = ClauseIndex.load(folder, tiny_model)
    pd.testing.assert_frame_equal(loaded.clauses, index.clauses)
    assert np.array_equal(loaded.vectors, index.vectors)
    text = "Disputes go to binding arbitration."
    pd.testing.assert_frame_equal(loaded.similar(text).clauses, index.similar(text).clauses)
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
    answer = json.loads(capsys.readouterr().out)
    rows = answer["clauses"]
    assert rows and set(SIMILAR_COLUMNS) <= set(rows[0]) and answer["reason"] == ""
    assert rows[0]["practice"] == "Disputes go to binding arbitration"
    assert main(["similar", query, "--index", str(tmp_path / "idx")]) == 0
    table = capsys.readouterr().out
    assert table.startswith("ranked by practices (minimum ") and "[arbitration," in table
    assert "practice: Disputes go to binding arbitration" in table
    assert main(["similar", query, "--index", str(tmp_path / "missing")]) == 1
    assert "not a clause index" in capsys.readouterr().err


# -- approximate backend (usearch HNSW) ----------------------------------------------------


def _clustered_index(tiny_model, n=600, clusters=12, seed=0):
    """An index of ``n`` clustered unit vectors of the tiny model's dimension (no encoder)."""
    rng = np.random.default_rng(seed)
    dimension = tiny_model.encoder.dimension
    centers = rng.standard_normal((clusters, dimension))
    which = rng.integers(0, clusters, n)
    vectors = centers[which] + 0.5 * rng.standard_normal((n, dimension))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    clauses = pd.DataFrame(
        {
            "platform": [f"P{i % 40}" for i in range(n)],
            "document": "Terms",
            "document_id": None,
            "clause_index": 0,
            "text": [f"clause {i}" for i in range(n)],
            "label": ["arbitration" if i % 2 else "data_sale" for i in range(n)],
            "severity": None,
            "confidence": 1.0,
        }
    )
    return ClauseIndex(tiny_model, clauses, vectors.astype(np.float32)), vectors, rng


def test_int8_storage_keeps_cosine_close(tiny_model):
    index, vectors, _ = _clustered_index(tiny_model, n=200)
    assert index.vectors.dtype == np.int8 and index.scales.dtype == np.float32
    assert np.abs(index.unit_vectors() - vectors).max() < 0.01
    queries = vectors[:5].astype(np.float32)
    rows, scores = index._search_vectors(queries, 3)
    assert list(rows[:, 0]) == [0, 1, 2, 3, 4]  # each vector is its own nearest neighbour
    assert np.allclose(scores[:, 0], 1.0, atol=0.01)
    exact = vectors @ queries.T
    assert np.abs(index._exact_scores(queries) - exact).max() < 0.01


def test_hnsw_matches_exact_top_results(tiny_model):
    pytest.importorskip("usearch")
    index, _, rng = _clustered_index(tiny_model)
    queries = index.unit_vectors(np.arange(0, 600, 15))
    queries += 0.05 * rng.standard_normal(queries.shape).astype(np.float32)
    exact_rows, exact_scores = index._search_vectors(queries, 10)
    assert index.use_backend("hnsw", connectivity=8) is index and index.backend == "hnsw"
    ann_rows, ann_scores = index._search_vectors(queries, 10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(ann_rows, exact_rows, strict=True)])
    assert recall >= 0.9
    # candidates are re-scored exactly: where both find the same best row, the same score (HNSW
    # insertion is multithreaded, so which rows a small graph misses varies from run to run)
    same = ann_rows[:, 0] == exact_rows[:, 0]
    assert same.mean() >= 0.9
    assert np.allclose(ann_scores[same, 0], exact_scores[same, 0])
    assert "hnsw" in repr(index) and index.use_backend("exact").backend == "exact"
    with pytest.raises(ValueError, match="unknown backend"):
        index.use_backend("annoy")


def test_hnsw_similar_filters_still_give_k_rows(index, tiny_model):
    pytest.importorskip("usearch")
    text = "Any dispute will be resolved by binding arbitration."
    exact = index.similar(text, k=3).clauses
    everything = index.similar(text, k=50, same_type=False, one_per_platform=False, **EVERY)
    index.use_backend("hnsw")
    pd.testing.assert_frame_equal(index.similar(text, k=3).clauses, exact)
    approx_all = index.similar(text, k=50, same_type=False, one_per_platform=False, **EVERY)
    assert len(approx_all) == len(everything) == len(index)
    # A larger index where filters leave few rows: the over-fetch, then the exact fallback.
    big, _, _ = _clustered_index(tiny_model, n=2000)
    clauses = big.clauses.copy()
    clauses.loc[1999, "label"] = "ai_training"  # a single clause of its type
    big = ClauseIndex(big.model, clauses, big.vectors, big.scales)
    big.use_backend("hnsw", connectivity=8)
    # 20 platforms have it
    rows = big.similar({"text": "x", "label": "arbitration"}, k=40, **EVERY).clauses
    assert len(rows) == 20 and rows["platform"].is_unique
    assert set(rows["label"]) == {"arbitration"}
    lone = big.similar({"text": "x", "label": "ai_training"}, k=5, **EVERY).clauses
    assert list(lone["text"]) == ["clause 1999"]
    assert big.uniqueness({"text": "x", "platform": "P0"}).total == 39
    approximate = big.similar({"text": "x", "label": "arbitration"}, k=40, **EVERY).clauses
    exact_rows = (
        big.use_backend("exact")
        .similar({"text": "x", "label": "arbitration"}, k=40, **EVERY)
        .clauses
    )
    pd.testing.assert_frame_equal(approximate, exact_rows)  # the exact fallback answered


def test_hnsw_save_load_and_add_keep_the_graph(index, tiny_model, tmp_path):
    pytest.importorskip("usearch")
    index.use_backend("hnsw", expansion_search=32)
    folder = index.save(tmp_path / "index")
    assert (folder / "ann.usearch").is_file()
    meta = json.loads((folder / "index.json").read_text("utf-8"))
    assert meta["backend"]["name"] == "hnsw" and meta["backend"]["expansion_search"] == 32
    loaded = ClauseIndex.load(folder, tiny_model)
    assert loaded.backend == "hnsw" and len(loaded._ann) == len(loaded)
    assert loaded._ann.expansion_search == 32
    text = "Disputes go to binding arbitration."
    pd.testing.assert_frame_equal(loaded.similar(text).clauses, index.similar(text).clauses)
    assert ClauseIndex.load(folder, tiny_model, backend="exact").backend == "exact"
    loaded.add(
        [{"text": "We sell your personal data.", "platform": "Epsilon", "id": "e"}], progress=False
    )
    assert loaded.backend == "hnsw" and len(loaded._ann) == len(loaded)
    found = loaded.similar("We sell your personal data.", k=1, same_type=False).clauses
    assert found.iloc[0]["platform"] == "Epsilon"
    exact_folder = ClauseIndex.from_frame(index.clauses, tiny_model).save(tmp_path / "exact")
    assert ClauseIndex.load(exact_folder, tiny_model, backend="hnsw").backend == "hnsw"


def test_corrupt_ann_file_is_a_format_error(index, tiny_model, tmp_path):
    pytest.importorskip("usearch")
    folder = index.use_backend("hnsw").save(tmp_path / "index")
    graph = folder / "ann.usearch"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match=r"ann\.usearch: damaged"):
        ClauseIndex.load(folder, tiny_model)
    graph.write_bytes(b"garbage")
    with pytest.raises(IndexFormatError, match=r"ann\.usearch"):
        ClauseIndex.load(folder, tiny_model)
    graph.unlink()
    with pytest.raises(IndexFormatError, match=r"ann\.usearch: missing"):
        ClauseIndex.load(folder, tiny_model)


def test_damaged_usearch_file_with_matching_checksum(index, tiny_model, tmp_path):
    pytest.importorskip("usearch")
    import hashlib

    folder = index.use_backend("hnsw").save(tmp_path / "index")
    graph = folder / "ann.usearch"
    graph.write_bytes(b"not a usearch index")
    meta = json.loads((folder / "index.json").read_text("utf-8"))
    meta["backend"].update(
        bytes=graph.stat().st_size, sha256=hashlib.sha256(b"not a usearch index").hexdigest()
    )
    (folder / "index.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(IndexFormatError, match=r"ann\.usearch: damaged approximate index"):
        ClauseIndex.load(folder, tiny_model)


def test_missing_usearch_gives_a_clear_error(index, tiny_model, tmp_path, monkeypatch):
    pytest.importorskip("usearch")
    saved = index.use_backend("hnsw").save(tmp_path / "index")
    index.use_backend("exact")
    monkeypatch.setitem(sys.modules, "usearch", None)
    monkeypatch.setitem(sys.modules, "usearch.index", None)
    with pytest.raises(ImportError, match=r"pip install 'clauseclf\[ann\]'"):
        index.use_backend("hnsw")
    with pytest.raises(ImportError, match=r"clauseclf\[ann\]"):
        ClauseIndex.from_frame(index.clauses, tiny_model, backend="hnsw")
    with pytest.warns(UserWarning, match="searching exactly"):
        loaded = ClauseIndex.load(saved, tiny_model)
    assert loaded.backend == "exact" and len(loaded.similar("arbitration", k=2, **EVERY)) == 2
    with pytest.raises(ImportError, match=r"clauseclf\[ann\]"):
        ClauseIndex.load(saved, tiny_model, backend="hnsw")


def test_load_reads_format_1_float16_folders(index, tiny_model, tmp_path):
    folder = index.save(tmp_path / "index")
    meta = json.loads((folder / "index.json").read_text("utf-8"))
    del meta["backend"]
    (folder / "index.json").write_text(json.dumps({**meta, "format_version": 1}), "utf-8")
    np.save(folder / "vectors.npy", index.unit_vectors().astype(np.float16))
    (folder / "scales.npy").unlink()
    loaded = ClauseIndex.load(folder, tiny_model)
    assert loaded.backend == "exact" and loaded.vectors.dtype == np.int8
    assert np.abs(loaded.unit_vectors() - index.unit_vectors()).max() < 0.01
    text = "Disputes go to binding arbitration."
    assert list(loaded.similar(text).clauses["text"]) == list(index.similar(text).clauses["text"])


def test_cli_index_build_with_the_approximate_backend(tmp_path, capsys):
    pytest.importorskip("usearch", reason="the approximate backend needs clauseclf[ann]")
    from conftest import static_model, write_static_encoder

    model_dir = static_model(write_static_encoder(tmp_path / "encoder")).save(tmp_path / "model")
    folder = tmp_path / "policies"
    folder.mkdir()
    for platform in ("Larkspur", "Bramble", "Quill"):
        text = EXAMPLE_POLICY.read_text("utf-8").replace("Larkspur", platform)
        (folder / f"{platform}.txt").write_text(text, "utf-8")
    results = tmp_path / "scores.jsonl"
    model = ["--model", str(model_dir)]
    assert main(["score", str(folder), "--out", str(results), "--quiet", *model]) == 0
    capsys.readouterr()
    build = ["index", "build", str(results), "--out", str(tmp_path / "idx"), *model]
    assert main([*build, "--backend", "hnsw"]) == 0
    assert "(hnsw)" in capsys.readouterr().out
    assert ClauseIndex.load(tmp_path / "idx", ClauseModel.load(model_dir)).backend == "hnsw"
    assert main([*build, "--backend", "exact"]) == 0
    assert ClauseIndex.load(tmp_path / "idx", ClauseModel.load(model_dir)).backend == "exact"
    with pytest.raises(SystemExit):
        main([*build, "--backend", "faiss"])
