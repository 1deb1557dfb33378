"""Practice maps (ToS;DR cases): fitting, profiles, saving with the model, searching by them."""

from __future__ import annotations

import json
from typing import TypedDict

import numpy as np
import pytest
import scipy.sparse as sp

import clauseclf
from clauseclf.annotations import read_annotations
from clauseclf.errors import AnnotationError, IndexFormatError, ModelFormatError
from clauseclf.index import SIMILAR_COLUMNS, ClauseIndex
from clauseclf.inference.model import ClauseModel
from clauseclf.inference.practices import PracticeMap, practice_id
from clauseclf.training import TrainingConfig, fit_practice_map
from conftest import PRACTICE_CLAUSES, expected_blend, present

PRACTICES = PRACTICE_CLAUSES
PLATFORMS = {
    "Alpha": "We never sell your personal data. Disputes are resolved by binding arbitration.",
    "Beta": "We do not sell personal information. We sell your personal data to partners.",
    "Gamma": "Any claim goes to an arbitrator, not a court. Your data is not sold.",
}


class _Every(TypedDict):
    same_stance: bool
    min_similarity: float


#: ``similar`` options that keep every clause passing the other filters.
EVERY: _Every = {"same_stance": False, "min_similarity": -1.0}


@pytest.fixture(scope="module")
def practice_map(fake_encoder):
    texts = [t for ts in PRACTICES.values() for t in ts]
    cases = [c for c, ts in PRACTICES.items() for _ in ts]
    return fit_practice_map(fake_encoder.encode(texts), cases, top_k=2)


@pytest.fixture
def practice_model(tiny_model, practice_map):
    return ClauseModel(
        tiny_model.encoder,
        tiny_model.head,
        tiny_model.taxonomy,
        metadata={"model_version": "tiny-practices"},
        practices=practice_map,
    )


def test_fit_gives_probabilities_and_top_k_profiles(practice_map, fake_encoder):
    assert set(practice_map.names) == set(PRACTICES)
    embeddings = fake_encoder.encode(PRACTICES["sale"] + ["Unrelated words entirely."])
    probabilities = practice_map.probabilities(embeddings)
    assert probabilities.shape == (4, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    # fitted on them: each training clause's most probable practice is its own
    assert {practice_map.names[i] for i in probabilities[:3].argmax(axis=1)} == {"sale"}
    profiles = practice_map.profiles(embeddings)
    assert profiles.shape == (4, 3) and profiles.getnnz(axis=1).tolist() == [2, 2, 2, 2]
    np.testing.assert_allclose(profiles.sum(axis=1).A.ravel(), 1.0, rtol=1e-5)
    assert practice_map.profiles(np.zeros((0, fake_encoder.dimension))).shape == (0, 3)
    with pytest.raises(ValueError, match="expected \\(n, 32\\)"):
        practice_map.probabilities(np.zeros((2, 5)))


def test_fit_drops_rare_practices_and_needs_two(fake_encoder):
    texts = ["a b", "c d", "e f", "g h", "i j"]
    embeddings = fake_encoder.encode(texts)
    fitted = fit_practice_map(embeddings, ["x", "x", "y", "y", "rare"])
    assert fitted.names == ("x", "y")  # two practices: softmax of (0, logit)
    assert fitted.weights.shape == (32, 2) and fitted.top_k == 2
    with pytest.raises(ValueError, match="at least 2 practices"):
        fit_practice_map(embeddings, ["x", "x", "y", "z", "w"])
    with pytest.raises(ValueError, match="5 embeddings but 2 practices"):
        fit_practice_map(embeddings, ["x", "y"])


def test_practice_map_checks_its_arrays():
    with pytest.raises(ModelFormatError, match="at least 2 distinct names"):
        PracticeMap(("a", "a"), np.zeros((4, 2)), np.zeros(2))
    with pytest.raises(ModelFormatError, match="expected \\(dimension, 2\\)"):
        PracticeMap(("a", "b"), np.zeros((4, 3)), np.zeros(2))
    with pytest.raises(ModelFormatError, match="finite"):
        PracticeMap(("a", "b"), np.full((4, 2), np.nan), np.zeros(2))
    with pytest.raises(ModelFormatError, match="top_k"):
        PracticeMap(("a", "b"), np.zeros((4, 2)), np.zeros(2), top_k=0)


def test_model_saves_and_loads_its_practice_map(practice_model, fake_encoder, tmp_path):
    folder = practice_model.save(tmp_path / "model")
    assert json.loads((folder / "config.json").read_text())["practices"] == {
        "count": 3,
        "top_k": 2,
    }
    loaded = ClauseModel.load(folder, encoder=fake_encoder)
    assert loaded.practices is not None and loaded.practices.names == practice_model.practices.names
    np.testing.assert_array_equal(loaded.practices.weights, practice_model.practices.weights)
    (folder / "practices.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFormatError, match=r"practices\.npz: "):
        ClauseModel.load(folder, encoder=fake_encoder)
    (folder / "practices.json").unlink()
    with pytest.raises(ModelFormatError, match=r"practices\.json"):
        ClauseModel.load(folder, encoder=fake_encoder)


def test_model_refuses_a_map_of_another_dimension(tiny_model):
    wrong = PracticeMap(("a", "b"), np.zeros((5, 2)), np.zeros(2))
    with pytest.raises(ModelFormatError, match="practice map expects 5-d"):
        ClauseModel(tiny_model.encoder, tiny_model.head, tiny_model.taxonomy, practices=wrong)


def test_index_ranks_by_practice_profiles(practice_model, fake_encoder, tmp_path):
    documents = [{"text": t, "platform": p, "id": p} for p, t in PLATFORMS.items()]
    index = ClauseIndex.build(practice_model, documents, progress=False)
    assert index.measure == "practices" and "by practices" in repr(index)
    query = "We never sell your personal data."
    found = index.similar(query, k=10, same_type=False, one_per_platform=False, **EVERY).clauses
    assert tuple(found.columns) == SIMILAR_COLUMNS and len(found) == len(index)
    # similarity: the blend of practice profiles, encoder cosine (wording_similarity), head
    # TF-IDF cosine and same predicted type (clauseclf.index.similar.PRACTICE_WEIGHT)
    rows = list(found.index)  # the frame's index: rows of index.clauses
    assert list(index.clauses.loc[rows, "text"]) == list(found["text"])
    expected = expected_blend(index, query, rows, found["wording_similarity"])
    np.testing.assert_allclose(found["similarity"], expected, rtol=1e-5, atol=1e-6)
    assert list(found["similarity"]) == sorted(found["similarity"], reverse=True)
    cosine = fake_encoder.encode(list(found["text"])) @ fake_encoder.encode([query])[0]
    np.testing.assert_allclose(found["wording_similarity"], cosine, atol=0.02)

    index.add([{"text": "We sell your data.", "platform": "Delta", "id": "d"}], progress=False)
    assert present(index.profiles).shape == (len(index), 3)
    folder = index.save(tmp_path / "index")
    assert json.loads((folder / "index.json").read_text())["measure"] == "practices"
    again = ClauseIndex.load(folder, practice_model)
    assert again.measure == "practices"
    assert again.similar(query, k=3).clauses.equals(index.similar(query, k=3).clauses)
    (folder / "profiles.npz").write_bytes(b"damaged")
    with pytest.raises(IndexFormatError, match=r"damaged index \("):
        ClauseIndex.load(folder, practice_model)
    with pytest.raises(IndexFormatError, match=r"^[^(]*ranks by practice profiles made by another"):
        ClauseIndex.load(
            folder, ClauseModel(fake_encoder, practice_model.head, index.model.taxonomy)
        )


def test_large_index_blends_a_practice_shortlist(practice_model, monkeypatch):
    from clauseclf.index import similar

    documents = [{"text": t, "platform": p, "id": p} for p, t in PLATFORMS.items()]
    index = ClauseIndex.build(practice_model, documents, progress=False)
    query = "We never sell your personal data."
    full = index.similar(query, k=3, same_type=False, **EVERY).clauses
    # past _FULL_SCAN candidates only the best by practice are blended with the wording
    monkeypatch.setattr(similar, "_FULL_SCAN", 2)
    monkeypatch.setattr(similar, "_SHORTLIST", 3)
    short = index.similar(query, k=3, same_type=False, one_per_platform=False, **EVERY).clauses
    profile = practice_model.practice_profiles([query], index.model.encoder.encode([query]))
    practice = (index.profiles @ profile.T).toarray().ravel()
    assert set(short.index) == set(np.argsort(-practice, kind="stable")[:3].tolist())
    np.testing.assert_allclose(
        sorted(short["similarity"], reverse=True), list(short["similarity"]), rtol=1e-6
    )
    assert full.iloc[0]["text"] == short.iloc[0]["text"]


def test_index_without_a_practice_map_ranks_by_wording(tiny_model):
    documents = [{"text": t, "platform": p, "id": p} for p, t in PLATFORMS.items()]
    index = ClauseIndex.build(tiny_model, documents, progress=False)
    assert index.measure == "wording" and index.profiles is None
    found = index.similar(
        "We never sell your personal data.", k=3, same_type=False, min_similarity=-1
    ).clauses
    np.testing.assert_allclose(found["similarity"], found["wording_similarity"], rtol=1e-6)


def test_annotation_case_is_read_and_checked(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"text": "We never sell data.", "labels": {}, "case": " No  sale "}) + "\n"
    )
    assert read_annotations(path)[0].case == "No sale"
    path.write_text(
        json.dumps({"text": "x", "labels": {}}) + "\n" + '{"text": "y", "labels": {}, "case": 3}\n'
    )
    with pytest.raises(AnnotationError, match=r"a\.jsonl, line 2: 'case' must be a string"):
        read_annotations(path)


def test_training_fits_a_practice_map_when_clauses_name_one(fake_encoder, tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in _case_lines()))
    model = clauseclf.train(path, encoder=fake_encoder, seed=0, progress=False)
    # named by digests of the case texts: the model folder holds no annotation text
    assert model.practices is not None
    assert set(model.practices.names) == {practice_id("no sale"), practice_id("sale  ")}
    assert practice_id("no sale").startswith("practice-") and len(practice_id("x")) == 21
    assert model.metadata["training"]["practices"] == 2
    # the map reads the head's TF-IDF rows next to the embeddings
    assert model.practices.text_features == len(model.head.features.vocabulary)
    assert "to 2 practices" in " ".join(model.metadata["model_card"].split())
    without = clauseclf.train(
        tmp_path / "cases.jsonl",
        encoder=fake_encoder,
        seed=0,
        progress=False,
        config=TrainingConfig(practice_min_examples=4),
    )
    assert without.practices is None
    assert "Practice map" not in without.metadata["model_card"]


@pytest.fixture
def text_practice_model(tiny_model, fake_encoder):
    """A model whose practice map also reads the head's TF-IDF rows (as training fits it)."""
    texts = [t for ts in PRACTICES.values() for t in ts]
    cases = [c for c, ts in PRACTICES.items() for _ in ts]
    practices = fit_practice_map(
        fake_encoder.encode(texts),
        cases,
        tfidf=tiny_model.head.features.tfidf(texts),
        text_density=0.5,
        top_k=2,
    )
    return ClauseModel(
        tiny_model.encoder, tiny_model.head, tiny_model.taxonomy, practices=practices
    )


def test_a_map_with_text_weights_needs_the_tfidf_rows(text_practice_model, fake_encoder):
    practices = text_practice_model.practices
    vocabulary = len(text_practice_model.head.features.vocabulary)
    assert practices.text_features == vocabulary
    assert practices.text_weights.shape == (vocabulary, 3)
    # at most half of the n-gram weights kept (ties at the threshold may keep a few more)
    assert 0 < practices.text_weights.nnz <= 0.5 * vocabulary * 3 + 3
    texts = PRACTICES["sale"]
    embeddings = fake_encoder.encode(texts)
    with pytest.raises(ValueError, match="also reads the clauses' TF-IDF rows"):
        practices.probabilities(embeddings)
    with pytest.raises(ValueError, match=r"tfidf has shape \(1, "):
        practices.probabilities(embeddings, text_practice_model.head.features.tfidf(texts[:1]))
    profiles = text_practice_model.practice_profiles(texts, embeddings)
    tfidf = text_practice_model.head.features.tfidf(texts)
    np.testing.assert_allclose(profiles.toarray(), practices.profiles(embeddings, tfidf).toarray())
    assert {practices.names[i] for i in profiles.toarray().argmax(axis=1)} == {"sale"}
    with pytest.raises(ValueError, match="reads embeddings only"):
        fit_practice_map(embeddings, ["a", "a", "b"], min_examples=1).probabilities(
            embeddings, tfidf
        )
    with pytest.raises(ValueError, match="3 embeddings but 1 TF-IDF rows"):
        fit_practice_map(embeddings, ["a", "a", "b"], tfidf=tfidf[:1], min_examples=1)
    with pytest.raises(ValueError, match="text_density"):
        fit_practice_map(embeddings, ["a", "a", "b"], tfidf=tfidf, text_density=0)


def test_model_without_a_map_has_no_practice_profiles(tiny_model):
    with pytest.raises(ValueError, match="no practice map"):
        tiny_model.practice_profiles(["We sell data."], tiny_model.encoder.encode(["x"]))


def test_text_weights_are_saved_and_checked(text_practice_model, fake_encoder, tmp_path):
    folder = text_practice_model.save(tmp_path / "model")
    assert json.loads((folder / "practices.json").read_text())["format_version"] == 2
    loaded = ClauseModel.load(folder, encoder=fake_encoder)
    texts = PRACTICES["no sale"] + PRACTICES["arbitration"]
    embeddings = fake_encoder.encode(texts)
    np.testing.assert_allclose(
        loaded.practice_profiles(texts, embeddings).toarray(),
        text_practice_model.practice_profiles(texts, embeddings).toarray(),
        rtol=1e-6,
    )
    # a map made for another vocabulary is refused when the model is put together
    meta = json.loads((folder / "practices.json").read_text())
    (folder / "practices.json").write_text(json.dumps(meta | {"text_features": 3}))
    with pytest.raises(ModelFormatError, match="damaged practice text weights"):
        ClauseModel.load(folder, encoder=fake_encoder)
    other = PracticeMap(
        ("a", "b"),
        np.zeros((fake_encoder.dimension, 2)),
        np.zeros(2),
        text_weights=sp.csr_matrix((7, 2)),
    )
    with pytest.raises(ModelFormatError, match="reads a 7-term TF-IDF vocabulary"):
        ClauseModel(fake_encoder, loaded.head, loaded.taxonomy, practices=other)
    with pytest.raises(ModelFormatError, match="sparse \\(vocabulary, 2\\)"):
        PracticeMap(("a", "b"), np.zeros((4, 2)), np.zeros(2), text_weights=np.zeros((7, 2)))


def test_a_version_1_practice_map_still_loads(practice_model, fake_encoder, tmp_path):
    folder = practice_model.save(tmp_path / "model")
    meta = json.loads((folder / "practices.json").read_text())
    del meta["text_features"]
    (folder / "practices.json").write_text(json.dumps(meta | {"format_version": 1}))
    loaded = ClauseModel.load(folder, encoder=fake_encoder)
    assert loaded.practices is not None and loaded.practices.text_features == 0
    np.testing.assert_array_equal(loaded.practices.weights, practice_model.practices.weights)


def test_index_ranks_by_a_map_that_reads_text(text_practice_model, tmp_path):
    documents = [{"text": t, "platform": p, "id": p} for p, t in PLATFORMS.items()]
    index = ClauseIndex.build(text_practice_model, documents, progress=False)
    assert index.measure == "practices"
    query = "We do not sell personal information to anyone."
    found = index.similar(query, k=10, same_type=False, one_per_platform=False, **EVERY).clauses
    expected = expected_blend(index, query, list(found.index), found["wording_similarity"])
    np.testing.assert_allclose(found["similarity"], expected, rtol=1e-5, atol=1e-6)
    folder = index.save(tmp_path / "index")
    assert (
        ClauseIndex.load(folder, text_practice_model)
        .similar(query, k=3)
        .clauses.equals(index.similar(query, k=3).clauses)
    )
    # the digest covers the n-gram weights: the same map with other text weights is refused
    practices = text_practice_model.practices
    changed = PracticeMap(
        practices.names,
        practices.weights,
        practices.bias,
        practices.top_k,
        practices.text_weights * 2,
    )
    other_model = ClauseModel(
        text_practice_model.encoder,
        text_practice_model.head,
        text_practice_model.taxonomy,
        practices=changed,
    )
    with pytest.raises(IndexFormatError, match="another practice map"):
        ClauseIndex.load(folder, other_model)


def _case_lines() -> list[dict[str, object]]:
    """Annotation lines: two practices of data_sale (with their case) and arbitration without."""
    lines: list[dict[str, object]] = [
        {"text": t, "labels": {"data_sale": "none" if c == "no sale" else "high"}, "case": c}
        for c in ("no sale", "sale")
        for t in PRACTICES[c]
    ]
    lines += [{"text": t, "labels": {"arbitration": "high"}} for t in PRACTICES["arbitration"]]
    for n, line in enumerate(lines):
        line["platform"] = f"P{n % 3}"
    return lines


def test_the_type_ranker_adds_practice_evidence(fake_encoder, tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in _case_lines()))
    model = clauseclf.train(path, encoder=fake_encoder, seed=0, progress=False)
    head = model.head
    ranking = head.rank_practices
    assert ranking is not None and ranking.weight == TrainingConfig().practice_rank_weight
    # one map: the model's similar-clause search uses the ranker's
    assert model.practices is ranking.practices
    assert "each type's probability through the practice map" in " ".join(
        model.metadata["model_card"].split()
    )
    sale = head.types.index("data_sale")
    for name in (practice_id("no sale"), practice_id("sale")):
        shares = ranking.types[ranking.practices.names.index(name)]
        assert shares[sale] == 1.0 and shares.sum() == 1.0
    texts = ["We sell your data to brokers.", "Disputes go to arbitration.", "Hello."]
    embeddings = fake_encoder.encode(texts)
    features = head.features.transform(texts, embeddings)
    probabilities = head.predict(texts, embeddings).probabilities
    expected = (
        np.asarray(features @ present(head.rank_weights).astype(np.float64))
        + head.rank_bias
        + ranking.weight
        * (ranking.practices.probabilities(embeddings, head.features.tfidf(texts)) @ ranking.types)
    )
    np.testing.assert_allclose(
        head.rank_scores(features, embeddings, probabilities), expected, rtol=1e-6
    )
    out = head.predict(texts, embeddings)
    assert out.ranked_first.tolist() == np.argmax(expected, axis=1).tolist()
    # saved with the head (the practice files) and read back: the same ranking
    model.save(tmp_path / "model")
    loaded = ClauseModel.load(tmp_path / "model", encoder=fake_encoder)
    assert loaded.head.rank_practices is not None
    again = loaded.head.predict(texts, embeddings)
    assert again.top.tolist() == out.top.tolist()
    np.testing.assert_allclose(again.confidence, out.confidence)
    assert loaded.practices is not None and loaded.practices.digest() == model.practices.digest()
    # weight 0 turns it off; the similar-clause map stays
    off = clauseclf.train(
        path,
        encoder=fake_encoder,
        seed=0,
        progress=False,
        config=TrainingConfig(practice_rank_weight=0.0),
    )
    assert off.head.rank_practices is None and off.practices is not None
    assert off.practices.digest() == model.practices.digest()


def test_a_head_checks_its_practice_evidence(text_practice_model):
    from clauseclf.head import ClauseHead, PracticeRanking

    head = text_practice_model.head
    practices = text_practice_model.practices
    arrays = {
        name: getattr(head, name)
        for name in (
            "types",
            "severity_scale",
            "features",
            "type_weights",
            "type_bias",
            "platt",
            "thresholds",
            "severity_weights",
            "severity_bias",
            "confidence_curve",
        )
    }
    good = np.zeros((len(practices.names), len(head.types)))
    with pytest.raises(ModelFormatError, match="needs the type ranker"):
        ClauseHead(**arrays, rank_practices=PracticeRanking(practices, good, 2.0))
    ranked = {**arrays, "rank_weights": head.type_weights, "rank_bias": head.type_bias}
    with pytest.raises(ModelFormatError, match="types have shape"):
        ClauseHead(**ranked, rank_practices=PracticeRanking(practices, good[:, :2], 2.0))
    with pytest.raises(ModelFormatError, match="must be finite"):
        ClauseHead(**ranked, rank_practices=PracticeRanking(practices, good, float("nan")))
    ClauseHead(**ranked, rank_practices=PracticeRanking(practices, good, 2.0))


def test_a_head_with_broken_practice_evidence_is_refused(fake_encoder, tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in _case_lines()))
    model = clauseclf.train(path, encoder=fake_encoder, seed=0, progress=False)
    model.save(tmp_path / "model")
    head_json = tmp_path / "model" / "head.json"
    meta = json.loads(head_json.read_text())
    for broken, match in (
        ({"practices_sha256": 3}, "must be an object with 'practices_sha256'"),
        ({"practices": 1}, r"'rank_practices' 'practices' must be an integer >= 2"),
        ({"weight": -1.0}, r"'rank_practices' 'weight' must be a number >= 0"),
        ({"practices_sha256": "0" * 64}, "was fitted with a practice map of 2 practices"),
    ):
        head_json.write_text(json.dumps(meta | {"rank_practices": meta["rank_practices"] | broken}))
        with pytest.raises(ModelFormatError, match=match):
            ClauseModel.load(tmp_path / "model", encoder=fake_encoder)
    head_json.write_text(json.dumps(meta))
    (tmp_path / "model" / "practices.npz").unlink()
    with pytest.raises(ModelFormatError, match=r"model file missing: .*practices\.npz"):
        ClauseModel.load(tmp_path / "model", encoder=fake_encoder)


def test_report_pages_show_the_shared_practice(practice_model):
    from clauseclf.html_report import render_html

    documents = [{"text": t, "platform": p, "id": p} for p, t in PLATFORMS.items()]
    index = ClauseIndex.build(practice_model, documents, progress=False)
    report = practice_model.analyze(
        "Any dispute with us will be resolved by binding arbitration.", platform="Own"
    )
    page = render_html(report, index=index, similar_k=2)
    found = index.similar(report.clauses[0], k=2)
    assert not found.empty and found.practice
    for name in found.clauses["practice"]:
        assert f'<span class="muted">({name})</span>' in page
