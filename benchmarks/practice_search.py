"""``ClauseIndex.similar`` at scale when it ranks by practice profiles, against the exact
wording search of the same index in the same run.

    python benchmarks/practice_search.py [--n 1000000] [--queries 100] [--dim 256]

Synthetic, seeded data: ``--n`` random unit vectors, a random practice map of 209 practices (as
many as the ToS;DR cases the default model knows) giving each row a top-8 profile, 5,000
platforms, and per row a random TF-IDF row of ``--terms`` terms (52: the shipped head's mean on
ToS;DR quotes) over a 20,000-term vocabulary (the shipped head's). Times
``similar(text, k=10, same_type=False, min_similarity=-1)`` (one row per platform, the stance
filter on; the practice measure takes the shortlist of rows by practice profile, then scores it
exactly with the blend of practice, encoder cosine, TF-IDF cosine and same type,
``clauseclf.index.similar``) one query at a time, with a stand-in encoder, vectoriser and type
classifier that return a random unit vector, a random TF-IDF row and one type, so the figures
are the search alone; prints the memory of the profiles (row-major, and the column-major copy
the first query makes) and TF-IDF rows next to the vectors', and the first query's time apart
(it makes that copy).
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clauseclf.index import ClauseIndex
from clauseclf.inference.practices import PracticeMap

PRACTICES = 209
VOCABULARY = 20_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--terms", type=int, default=52)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    practices = PracticeMap(
        names=tuple(f"practice {i}" for i in range(PRACTICES)),
        weights=rng.standard_normal((args.dim, PRACTICES)).astype(np.float32) * 3,
        bias=np.zeros(PRACTICES, dtype=np.float32),
    )

    def unit(rows: int) -> np.ndarray:
        v = rng.standard_normal((rows, args.dim)).astype(np.float32)
        normalised: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
        return normalised

    def tfidf_rows(rows: int) -> sp.csr_matrix:
        data = rng.random(rows * args.terms, dtype=np.float32)
        columns = rng.integers(0, VOCABULARY, rows * args.terms, dtype=np.int32)
        indptr = np.arange(0, rows * args.terms + 1, args.terms, dtype=np.int64)
        matrix = sp.csr_matrix((data, columns, indptr), shape=(rows, VOCABULARY))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        normalised: sp.csr_matrix = sp.csr_matrix(sp.diags(1 / norms) @ matrix)
        return normalised

    encoder = SimpleNamespace(
        dimension=args.dim, name="synthetic", encode=lambda texts, **_: unit(len(texts))
    )
    head = SimpleNamespace(
        features=SimpleNamespace(
            vocabulary=range(VOCABULARY), tfidf=lambda texts: tfidf_rows(len(texts))
        )
    )
    models = {
        measure: SimpleNamespace(
            encoder=encoder,
            head=head,
            metadata={},
            types=(),
            practices=practices if with_map else None,
            practice_profiles=lambda texts, vectors: practices.profiles(vectors),
            classify=lambda texts: [SimpleNamespace(label="other") for _ in texts],
        )
        for measure, with_map in (("practices", True), ("wording", False))
    }
    vectors = unit(args.n)
    profiles = practices.profiles(vectors)
    clauses = pd.DataFrame(
        {
            "platform": [f"p{i % 5000}" for i in range(args.n)],
            "document": "Terms",
            "document_id": None,
            "clause_index": 0,
            "text": "",
            "label": "other",
            "severity": None,
            "confidence": 1.0,
        }
    )
    tfidf = tfidf_rows(args.n)
    by_practice = ClauseIndex(models["practices"], clauses, vectors, profiles=profiles, tfidf=tfidf)  # type: ignore[arg-type]
    by_wording = ClauseIndex(models["wording"], clauses, vectors)  # type: ignore[arg-type]
    del vectors
    profile_mb = (profiles.data.nbytes + profiles.indices.nbytes + profiles.indptr.nbytes) / 2**20
    vector_mb = (by_wording.vectors.nbytes + by_wording.scales.nbytes) / 2**20
    stored = by_practice.tfidf
    assert stored is not None
    tfidf_mb = (stored.data.nbytes + stored.indices.nbytes + stored.indptr.nbytes) / 2**20
    del tfidf
    print(
        f"{args.n:,} clauses: vectors {vector_mb:,.0f} MB, practice profiles {profile_mb:,.0f} MB, "
        f"TF-IDF rows {tfidf_mb:,.0f} MB"
    )
    began = time.perf_counter()
    by_practice.similar("query", k=10, same_type=False, min_similarity=-1.0)
    first_ms = (time.perf_counter() - began) * 1000
    columns = by_practice._profile_columns()
    column_mb = (columns.data.nbytes + columns.indices.nbytes + columns.indptr.nbytes) / 2**20
    print(f"first query by practices (makes a {column_mb:,.0f} MB column copy): {first_ms:.0f} ms")
    times: dict[str, list[float]] = {}
    for _ in range(args.queries):
        for measure, index in (("practices", by_practice), ("wording", by_wording)):
            began = time.perf_counter()
            found = index.similar("query", k=10, same_type=False, min_similarity=-1.0)
            times.setdefault(measure, []).append((time.perf_counter() - began) * 1000)
            assert len(found) == 10
    for measure, ms in times.items():
        print(
            f"similar by {measure:<9}: mean {np.mean(ms):6.1f} ms, "
            f"p95 {np.percentile(ms, 95):6.1f} ms"
        )
    print(f"practices / wording: {np.mean(times['practices']) / np.mean(times['wording']):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
