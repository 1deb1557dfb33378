"""The practice measure's blend in ``ClauseIndex.similar`` (practice profiles, encoder cosine,
head TF-IDF cosine, same predicted type) on clauses we write, and the TF-IDF rows the index keeps
for it: saved, loaded, refused when malformed, made from the clause texts of a version 3 index."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import clauseclf
from clauseclf import limits
from clauseclf.errors import IndexFormatError
from clauseclf.index import (
    INDEX_FORMAT_VERSION,
    MIN_SIMILARITY,
    TFIDF_FILE,
    ClauseIndex,
    similar,
)
from clauseclf.inference.model import ClauseModel
from clauseclf.training import fit_practice_map
from conftest import PRACTICE_CLAUSES, expected_blend, present

QUERY = "We may sell your personal data."
#: The query's practice (sale of personal data) in other words.
SAME_PRACTICE = "Information about our users is sold to advertisers and data brokers."
#: The query's wording, other practices.
SAME_WORDING = ("We may store your personal data.", "We may use your personal data.")
#: The query's practice and wording, the other stance.
OTHER_STANCE = "We never sell your personal data."


@pytest.fixture(scope="module")
def shipped() -> ClauseModel:
    return clauseclf.load()


@pytest.fixture(scope="module")
def written(shipped: ClauseModel) -> ClauseIndex:
    texts = (SAME_PRACTICE, *SAME_WORDING, OTHER_STANCE)
    documents = [{"text": t, "platform": f"P{i}", "id": str(i)} for i, t in enumerate(texts)]
    index = ClauseIndex.build(shipped, documents, progress=False)
    assert index.measure == "practices" and len(index) == len(texts)
    return index


def test_the_same_practice_in_other_words_outranks_the_same_wording(written):
    found = written.similar(QUERY, k=5, same_type=False, min_similarity=-1.0)
    texts = list(found.clauses["text"])
    assert texts[0] == SAME_PRACTICE and set(texts[1:]) == set(SAME_WORDING)  # stance kept
    # the same-wording clauses are closer by wording, farther by the blend
    wording = found.clauses.set_index("text")["wording_similarity"]
    assert wording[SAME_PRACTICE] < min(wording[t] for t in SAME_WORDING)
    expected = expected_blend(
        written, QUERY, list(found.clauses.index), found.clauses["wording_similarity"]
    )
    np.testing.assert_allclose(found.clauses["similarity"], expected, rtol=1e-5, atol=1e-6)

    either = written.similar(QUERY, k=5, same_type=False, same_stance=False, min_similarity=-1.0)
    assert OTHER_STANCE in set(either.clauses["text"])
    assert set(either.clauses["stance"]) == {"does", "does not"}


def test_the_query_type_is_a_boost_without_the_type_filter(shipped):
    frame = shipped.score(
        [{"text": SAME_PRACTICE, "platform": p, "id": p} for p in ("A", "B")], progress=False
    )
    assert (frame["label"] == "data_sale").all()
    frame.loc[frame["platform"] == "A", "label"] = "other"  # the same clause, another type
    index = ClauseIndex.from_frame(frame, shipped)
    found = index.similar(QUERY, k=2, same_type=False, min_similarity=-1.0).clauses
    assert list(found["platform"]) == ["B", "A"]
    total = (
        similar.PRACTICE_WEIGHT
        + similar.WORDING_WEIGHT
        + similar.TFIDF_WEIGHT
        + similar.SAME_TYPE_BOOST
    )
    gap = found["similarity"].iloc[0] - found["similarity"].iloc[1]
    assert gap == pytest.approx(similar.SAME_TYPE_BOOST / total, abs=1e-6)
    # same_type=True keeps the query's type only
    assert list(index.similar(QUERY, k=2, min_similarity=-1.0).clauses["platform"]) == ["B"]


def test_the_default_minimum_similarity_is_on_the_blend_scale(written):
    identical = written.similar(OTHER_STANCE, k=1, same_type=False)
    assert identical.clauses["text"].iloc[0] == OTHER_STANCE
    assert identical.clauses["similarity"].iloc[0] == pytest.approx(1.0, abs=0.02)
    assert identical.min_similarity == MIN_SIMILARITY["practices"]


# -- the stored TF-IDF rows --------------------------------------------------------------------


@pytest.fixture
def practice_model(tiny_model, fake_encoder) -> ClauseModel:
    texts = [t for ts in PRACTICE_CLAUSES.values() for t in ts]
    cases = [c for c, ts in PRACTICE_CLAUSES.items() for _ in ts]
    practices = fit_practice_map(fake_encoder.encode(texts), cases, top_k=2)
    return ClauseModel(
        tiny_model.encoder, tiny_model.head, tiny_model.taxonomy, practices=practices
    )


@pytest.fixture
def saved(practice_model, tmp_path: Path) -> tuple[Path, ClauseIndex]:
    documents = [
        {"text": " ".join(ts), "platform": case, "id": case}
        for case, ts in PRACTICE_CLAUSES.items()
    ]
    index = ClauseIndex.build(practice_model, documents, progress=False)
    return index.save(tmp_path / "index"), index


def test_the_tfidf_rows_are_the_head_vectoriser_rows_and_survive_a_round_trip(
    saved, practice_model
):
    folder, index = saved
    texts = [str(t) for t in index.clauses["text"]]
    made = practice_model.head.features.tfidf(texts)
    rows = present(index.tfidf)
    assert rows.shape == (len(index), len(practice_model.head.features.vocabulary))
    np.testing.assert_allclose(rows.toarray(), made.toarray(), rtol=1e-6)
    meta = json.loads((folder / "index.json").read_text("utf-8"))
    assert meta["format_version"] == INDEX_FORMAT_VERSION == 4
    assert isinstance(meta["tfidf"], str) and (folder / TFIDF_FILE).is_file()

    loaded = ClauseIndex.load(folder, practice_model)
    assert (present(loaded.tfidf) != rows).nnz == 0 and present(loaded.tfidf).dtype == np.float32
    query = PRACTICE_CLAUSES["sale"][0]
    assert loaded.similar(query, k=3, same_type=False).clauses.equals(
        index.similar(query, k=3, same_type=False).clauses
    )
    index.add([{"text": "We sell your data.", "platform": "Delta", "id": "d"}], progress=False)
    assert present(index.tfidf).shape[0] == len(index)
    np.testing.assert_allclose(
        present(index.tfidf)[-1].toarray(),
        practice_model.head.features.tfidf(["We sell your data."]).toarray(),
        rtol=1e-6,
    )


def test_a_version_3_index_gets_its_tfidf_rows_from_its_clause_texts(saved, practice_model):
    folder, index = saved
    meta = json.loads((folder / "index.json").read_text("utf-8"))
    del meta["tfidf"]
    (folder / "index.json").write_text(json.dumps(meta | {"format_version": 3}), "utf-8")
    (folder / TFIDF_FILE).unlink()
    loaded = ClauseIndex.load(folder, practice_model)
    assert (present(loaded.tfidf) != present(index.tfidf)).nnz == 0
    query = PRACTICE_CLAUSES["no sale"][0]
    assert loaded.similar(query, k=3).clauses.equals(index.similar(query, k=3).clauses)
    again = loaded.save(folder)
    assert json.loads((again / "index.json").read_text("utf-8"))["format_version"] == 4


def _rewrite(folder: Path, change: Callable[[dict[str, np.ndarray]], None]) -> None:
    with np.load(folder / TFIDF_FILE) as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    np.savez(folder / TFIDF_FILE, **arrays)


def _set(
    name: str, value: Callable[[np.ndarray], np.ndarray]
) -> Callable[[dict[str, np.ndarray]], None]:
    def change(arrays: dict[str, np.ndarray]) -> None:
        arrays[name] = value(arrays[name])

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            _set("indices", lambda a: np.where(np.arange(len(a)) == 1, 10**7, a)),
            "indices must be < ",
        ),
        (
            _set("indices", lambda a: np.where(np.arange(len(a)) == 1, -5, a)),
            "indices must be >= 0",
        ),
        (_set("indices", lambda a: a + 0.5), "indices are float64"),
        (_set("indptr", lambda a: a[:-1]), "row pointers"),
        (_set("shape", lambda a: a[:1]), "not two row/column counts"),
        (_set("shape", lambda a: a + np.array([1, 0])), "row pointers do not make a"),
        (_set("shape", lambda a: a + np.array([0, 1])), "shape"),
        (_set("data", lambda a: np.full_like(a, np.nan)), "not finite"),
        (_set("data", lambda a: a.astype(np.int64)), "values are int64"),
        (lambda arrays: arrays.pop("indptr"), "no indptr array"),
    ],
)
def test_a_malformed_tfidf_block_is_refused_naming_the_file(saved, practice_model, change, message):
    folder, _ = saved
    _rewrite(folder, change)
    with pytest.raises(IndexFormatError, match=rf"damaged index \({TFIDF_FILE}: .*{message}"):
        ClauseIndex.load(folder, practice_model)


def test_a_missing_damaged_or_oversized_tfidf_file_is_refused(saved, practice_model, monkeypatch):
    folder, _ = saved
    (folder / TFIDF_FILE).write_bytes(b"not a zip")
    with pytest.raises(IndexFormatError, match="damaged index"):
        ClauseIndex.load(folder, practice_model)
    (folder / TFIDF_FILE).unlink()
    with pytest.raises(IndexFormatError, match=rf"damaged index .*{TFIDF_FILE}"):
        ClauseIndex.load(folder, practice_model)
    folder, index = saved
    index.save(folder)
    monkeypatch.setattr(limits, "MAX_ARRAY_BYTES", 128)  # the profiles' arrays are smaller
    with pytest.raises(IndexFormatError, match=rf"{TFIDF_FILE}: member 'data' .*limit 128"):
        ClauseIndex.load(folder, practice_model)


def test_tfidf_rows_of_another_vectoriser_are_refused(saved, practice_model):
    folder, _ = saved
    head = copy.deepcopy(practice_model.head)
    head.features.idf = head.features.idf * 2  # another vectoriser's weights
    changed = ClauseModel(
        practice_model.encoder, head, practice_model.taxonomy, practices=practice_model.practices
    )
    with pytest.raises(IndexFormatError, match="TF-IDF rows made by another vectoriser"):
        ClauseIndex.load(folder, changed)


def test_the_index_checks_tfidf_rows_it_is_given(practice_model):
    index = ClauseIndex.build(
        practice_model, [{"text": "We sell your data.", "platform": "A"}], progress=False
    )
    rows = present(index.tfidf)
    arguments = (practice_model, index.clauses, index.unit_vectors())
    with pytest.raises(ValueError, match="TF-IDF rows go with practice profiles"):
        ClauseIndex(*arguments, tfidf=rows)
    with pytest.raises(ValueError, match=r"TF-IDF rows have shape \(1, 3\)"):
        ClauseIndex(*arguments, profiles=index.profiles, tfidf=sp.csr_matrix((1, 3)))
    broken = rows.copy()
    broken.data[:] = np.inf
    with pytest.raises(ValueError, match="TF-IDF rows contain NaN or infinity"):
        ClauseIndex(*arguments, profiles=index.profiles, tfidf=broken)
