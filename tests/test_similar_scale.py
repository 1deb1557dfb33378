"""``ClauseIndex.similar`` on a generated index past the full-scan size: the practice shortlist
read through the profile columns gives what a scan of every row gives, and never multiplies the
query's profile with every stored row."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from clauseclf.index import SIMILAR_COLUMNS, ClauseIndex, similar
from clauseclf.index.stance import DOES, DOES_NOT
from clauseclf.inference.practices import PracticeMap
from conftest import expected_blend

ROWS, DIMENSION, PRACTICES, PLATFORMS = 6000, 24, 40, 300


class _Query:
    """A stand-in encoder whose next answer the test sets (the query's vector)."""

    dimension = DIMENSION
    name = "generated"

    def __init__(self) -> None:
        self.vector = np.zeros((1, DIMENSION), dtype=np.float32)

    def encode(self, texts: Any, **_: Any) -> np.ndarray:
        return np.repeat(self.vector, len(texts), axis=0)


class _Words:
    """A stand-in head vectoriser: each distinct word of a text is one term (L2-normalised)."""

    vocabulary = ("we", "do", "not", "sell", "your", "data")
    idf = np.ones(len(vocabulary))

    def tfidf(self, texts: Any) -> sp.csr_matrix:
        rows = np.zeros((len(texts), len(self.vocabulary)), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in set(text.lower().rstrip(".").split()):
                rows[i, self.vocabulary.index(word)] = 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return sp.csr_matrix(rows / np.where(norms > 0, norms, 1.0))


class _CountingProfiles(sp.csr_matrix):  # type: ignore[misc]
    """Row-major profiles that record how many rows each product with a vector had."""

    products: ClassVar[list[int]] = []

    def __matmul__(self, other: Any) -> Any:
        _CountingProfiles.products.append(self.shape[0])
        return super().__matmul__(other)


def _unit(rng: np.random.Generator, rows: int) -> np.ndarray:
    vectors = rng.standard_normal((rows, DIMENSION)).astype(np.float32)
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


@pytest.fixture(scope="module")
def generated() -> tuple[ClauseIndex, _Query, np.random.Generator]:
    rng = np.random.default_rng(7)
    practices = PracticeMap(
        names=tuple(f"practice {i}" for i in range(PRACTICES)),
        weights=rng.standard_normal((DIMENSION, PRACTICES)).astype(np.float32) * 3,
        bias=np.zeros(PRACTICES, dtype=np.float32),
    )
    encoder = _Query()
    model = SimpleNamespace(
        encoder=encoder,
        metadata={},
        types=(),
        practices=practices,
        practice_profiles=lambda texts, vectors: practices.profiles(vectors),
        head=SimpleNamespace(features=_Words()),
        classify=lambda texts: [SimpleNamespace(label="data_sale") for _ in texts],
    )
    vectors = _unit(rng, ROWS)
    texts = np.where(rng.random(ROWS) < 0.3, "We do not sell your data.", "We sell your data.")
    clauses = pd.DataFrame(
        {
            "platform": [f"p{i % PLATFORMS}" for i in range(ROWS)],
            "document": "Terms",
            "document_id": None,
            "clause_index": 0,
            "text": texts,
            "label": rng.choice(["data_sale", "other"], ROWS),
            "severity": None,
            "confidence": 1.0,
        }
    )
    index = ClauseIndex(model, clauses, vectors, profiles=practices.profiles(vectors))  # type: ignore[arg-type]
    return index, encoder, rng


def _scan_every_row(
    index: ClauseIndex, query: np.ndarray, text: str, options: dict[str, Any]
) -> tuple[list[int], np.ndarray]:
    """The practice measure's answer by the documented rule, from a scan of every row: the
    ``_SHORTLIST`` rows passing the filters with the largest positive practice product, scored
    by the blend (``expected_blend``), best first, one per platform."""
    assert index.profiles is not None
    profile = index.model.practice_profiles([text], query[None]).toarray()[0]
    practice = index.profiles.toarray() @ profile
    wording = index.unit_vectors() @ query
    stance = DOES_NOT if "not" in text else DOES
    keep = (index.stances == stance) & (practice > 0)
    if options.get("exclude_platform"):
        keep &= index.clauses["platform"].to_numpy() != options["exclude_platform"]
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(-practice[rows], kind="stable")[: similar._SHORTLIST]]
    score = expected_blend(index, text, range(len(index)), wording, practice)
    rows = rows[np.argsort(-score[rows], kind="stable")]
    chosen: list[int] = []
    for row in rows:
        platform = index.clauses["platform"].iloc[row]
        if options.get("one_per_platform", True) and platform in {
            index.clauses["platform"].iloc[c] for c in chosen
        }:
            continue
        chosen.append(int(row))
    return chosen[: options["k"]], score[chosen[: options["k"]]]


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("We sell your data.", {"k": 5}),
        ("We do not sell your data.", {"k": 10, "exclude_platform": "p3"}),
        ("We sell your data.", {"k": 40, "one_per_platform": False}),
    ],
)
def test_practice_shortlist_matches_a_scan_of_every_row(generated, monkeypatch, text, options):
    index, encoder, rng = generated
    monkeypatch.setattr(similar, "_FULL_SCAN", 500)
    monkeypatch.setattr(similar, "_SHORTLIST", 64)
    for _ in range(8):
        encoder.vector = _unit(rng, 1)
        found = index.similar(text, same_type=False, min_similarity=-1.0, **options)
        rows, scores = _scan_every_row(index, encoder.vector[0], text, options)
        assert tuple(found.clauses.columns) == SIMILAR_COLUMNS
        assert list(found.clauses.index) == rows
        np.testing.assert_allclose(found.clauses["similarity"], scores, rtol=1e-4, atol=1e-5)
        assert set(found.clauses["stance"]) == {found.stance}


def test_large_index_never_multiplies_every_profile_row(generated, monkeypatch):
    index, encoder, rng = generated
    monkeypatch.setattr(similar, "_FULL_SCAN", 500)
    monkeypatch.setattr(similar, "_SHORTLIST", 64)
    monkeypatch.setattr(index, "profiles", _CountingProfiles(index.profiles))
    _CountingProfiles.products.clear()
    encoder.vector = _unit(rng, 1)
    found = index.similar("We sell your data.", k=5, same_type=False, min_similarity=-1.0)
    assert len(found) == 5
    # only shortlisted rows (and the re-scored rows near its cut) are multiplied
    assert _CountingProfiles.products and max(_CountingProfiles.products) < ROWS // 4
