"""ClauseIndex at scale: exact numpy search against the approximate HNSW backend (usearch).

    python benchmarks/index_scale.py [--n 1000000] [--queries 200] [--dim 384]

Synthetic, seeded data: ``--n`` unit vectors from a Gaussian mixture (2,000 clusters of uneven
spread, so neighbourhoods are not uniform), and ``--queries`` held-out vectors from the same
mixture, slightly perturbed. Prints for each backend the build time, memory (RSS delta and array
bytes), mean and p95 latency of a top-10 query (the vector search itself, one query at a time,
no encoder) and recall@10 against exact search; also the float16 block scan that
``ClauseIndex`` used before (a few queries) and recall of the int8 exact search against float32.
The approximate backend needs ``pip install 'clauseclf[ann]'``.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from clauseclf.index import ClauseIndex

CLUSTERS = 2000
K = 10


def rss_mb() -> float:
    """Resident set size of this process, MB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * 4096 / 2**20


def mixture(
    rng: np.random.Generator, centers: np.ndarray, spread: np.ndarray, n: int
) -> np.ndarray:
    which = rng.integers(0, len(centers), n)
    noise = rng.standard_normal((n, centers.shape[1]), dtype=np.float32)
    out = centers[which] + noise * spread[which, None]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def latency(search: Any, queries: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Mean and p95 ms of one-query top-K searches, and the rows found."""
    search(queries[:1])  # warm up
    times, found = [], []
    for query in queries:
        started = time.perf_counter()
        rows = search(query[None])
        times.append(time.perf_counter() - started)
        found.append(rows[0])
    ms = np.array(times) * 1000
    return float(ms.mean()), float(np.percentile(ms, 95)), np.array(found)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found, truth, strict=True)])
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--old-queries", type=int, default=5, help="queries for the old scan")
    parser.add_argument(
        "--ef",
        type=lambda text: [int(v) for v in text.split(",") if v],
        default=[64, 128, 256, 512, 1024],
        help="expansion_search values to time after the default one (comma-separated)",
    )
    args = parser.parse_args()
    n, dim = args.n, args.dim
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((CLUSTERS, dim), dtype=np.float32) / np.sqrt(dim)
    spread = rng.uniform(0.6, 1.4, CLUSTERS).astype(np.float32) / np.sqrt(dim)
    held_out = mixture(rng, centers, spread, args.queries)
    queries = held_out + 0.05 / np.sqrt(dim) * rng.standard_normal(held_out.shape, dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    started = time.perf_counter()
    base = rss_mb()
    vectors = np.empty((n, dim), dtype=np.float16)  # the old storage, for the old scan
    truth_scores = np.full((len(queries), K), -np.inf, dtype=np.float32)
    truth_rows = np.zeros((len(queries), K), dtype=np.int64)
    for start in range(0, n, 100_000):
        part = mixture(rng, centers, spread, min(100_000, n - start))
        vectors[start : start + len(part)] = part
        scores = np.concatenate([truth_scores, queries @ part.T], axis=1)
        rows = np.concatenate(
            [truth_rows, np.broadcast_to(np.arange(start, start + len(part)), scores[:, K:].shape)],
            axis=1,
        )
        best = np.argpartition(-scores, K - 1, axis=1)[:, :K]
        truth_scores = np.take_along_axis(scores, best, axis=1)
        truth_rows = np.take_along_axis(rows, best, axis=1)
    print(
        f"{n:,} x {dim} vectors, {CLUSTERS} clusters, {len(queries)} queries "
        f"(data made in {time.perf_counter() - started:.1f} s)"
    )

    old_ms = []
    for query in queries[: args.old_queries]:
        began = time.perf_counter()
        old = np.empty(n, dtype=np.float32)
        for start in range(0, n, 65536):
            old[start : start + 65536] = vectors[start : start + 65536].astype(np.float32) @ query
        np.argpartition(-old, K)[:K]
        old_ms.append((time.perf_counter() - began) * 1000)

    model = SimpleNamespace(
        encoder=SimpleNamespace(dimension=dim, name="synthetic"), metadata={}, types=()
    )
    clauses = pd.DataFrame(
        {
            "platform": [f"p{i % 5000}" for i in range(n)],
            "document": "Terms",
            "document_id": None,
            "clause_index": 0,
            "text": "",
            "label": "other",
            "severity": None,
            "confidence": 1.0,
        }
    )
    before = rss_mb()
    started = time.perf_counter()
    index = ClauseIndex(model, clauses, vectors)  # type: ignore[arg-type]
    exact_build = time.perf_counter() - started
    exact_rss = rss_mb() - before  # the float16 source is still held: this is the index's
    del vectors, clauses
    exact_bytes = index.vectors.nbytes + index.scales.nbytes

    def search(q: np.ndarray) -> np.ndarray:
        return index._search_vectors(q, K)[0]

    exact_mean, exact_p95, exact_found = latency(search, queries)

    before = rss_mb()
    started = time.perf_counter()
    index.use_backend("hnsw")
    ann_build = time.perf_counter() - started
    ann_rss = rss_mb() - before
    ann_bytes = int(index._ann.memory_usage)
    ann_mean, ann_p95, ann_found = latency(search, queries)
    ann_recall = recall(ann_found, exact_found)
    sweep = []
    for ef in args.ef:  # expansion_search is a query-time setting: no rebuild
        index._ann.expansion_search = ef
        mean, p95, found = latency(search, queries)
        sweep.append((f"hnsw ef={ef}", mean, p95, recall(found, exact_found)))
    index._ann.expansion_search = index._ann_options["expansion_search"]

    print(f"\nold float16 scan (65,536-row blocks): mean {np.mean(old_ms):,.0f} ms per query")
    print(
        f"int8 exact vs float32 truth: recall@{K} {recall(exact_found, truth_rows):.3f} "
        f"(process RSS over start: {rss_mb() - base:,.0f} MB)"
    )
    header = f"{'backend':<8} {'build s':>8} {'RSS +MB':>8} {'bytes MB':>9} {'mean ms':>8} "
    print("\n" + header + f"{'p95 ms':>8} {'recall@10':>10}")
    rows = [
        ("exact", exact_build, exact_rss, exact_bytes, exact_mean, exact_p95, 1.0),
        ("hnsw", ann_build, ann_rss, ann_bytes, ann_mean, ann_p95, ann_recall),
    ]
    for name, build, rss, nbytes, mean, p95, rec in rows:
        print(
            f"{name:<8} {build:>8.1f} {rss:>8,.0f} {nbytes / 2**20:>9,.0f} {mean:>8.2f} "
            f"{p95:>8.2f} {rec:>10.3f}"
        )
    for name, mean, p95, rec in sweep:
        print(f"{name:<17} {'':>8} {'':>9} {mean:>8.2f} {p95:>8.2f} {rec:>10.3f}")
    print(
        f"\nhnsw / exact: build {ann_build / exact_build:.0f}x, query mean "
        f"{ann_mean / exact_mean:.3f}x ({exact_mean / ann_mean:.0f}x faster), p95 "
        f"{ann_p95 / exact_p95:.3f}x; exact int8 / old float16 scan: "
        f"{exact_mean / np.mean(old_ms):.3f}x; both backends together "
        f"{(exact_bytes + ann_bytes) / 2**20:,.0f} MB of arrays"
    )
    print(f"hnsw parameters: {index._ann_options}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
