"""Blends for the practice measure of ``ClauseIndex.similar``, chosen on training folds only:
precision@5 on the folds of ``benchmarks/similarity.py`` (same quotes, folds, purge of
near-identical wording, practice maps fitted on the other folds, seen and 40%-unseen cases).

    python benchmarks/similarity_blends.py [--data ../shared/data] [--folds 5]

Each query's score of an indexed clause is

    a * practice + b * wording + c * tfidf + d * same_type

with ``practice`` the dot product of the practice profiles, ``wording`` the static encoder cosine,
``tfidf`` the cosine of the head's TF-IDF rows, ``same_type`` 1 when the clause's predicted type is
the query's; ``gate``: a query whose profile's top practice has less than this probability is
ranked without the practice term (``b`` and ``c`` scaled to sum to one). Filters as ``similar``'s
defaults with ``same_type=False`` (other platforms, the query's stance), one clause per platform,
no cut-off. For each held-out fold the blend is the grid point with the best mean precision@5 over
the *other* folds (both regimes averaged); the table prints the grid's named points on every fold
and the nested (train-chosen) figure. Ranking is computed here from the index's arrays, as
``similar`` computes it; ``benchmarks/similarity.py`` measures the shipped path through the API.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from similarity import (
    REPO,
    fold_model,
    head_without_practices,
    near_duplicates,
    tosdr_quotes,
    unseen_cases,
)


def precision(
    scores: np.ndarray,
    allowed: np.ndarray,
    right: np.ndarray,
    platform_codes: np.ndarray,
    k: int,
) -> np.ndarray:
    """Precision@k per query with one row per platform: ``scores``, ``allowed`` and ``right``
    are (queries, rows); rows of a platform are grouped by ``platform_codes`` (sorted)."""
    order = np.argsort(platform_codes, kind="stable")
    codes = platform_codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    s = np.where(allowed, scores, -np.inf)[:, order]
    best = np.maximum.reduceat(s, starts, axis=1)
    counts = np.diff(np.r_[starts, len(codes)])
    at_best = (s == np.repeat(best, counts, axis=1)) & np.isfinite(s) & right[:, order]
    correct = np.logical_or.reduceat(at_best, starts, axis=1)
    top = np.argsort(-best, axis=1, kind="stable")[:, :k]
    found = np.take_along_axis(correct, top, axis=1) & np.isfinite(
        np.take_along_axis(best, top, axis=1)
    )
    result: np.ndarray = found.sum(axis=1) / k
    return result


def main() -> int:
    import clauseclf
    from clauseclf.annotations import platform_key
    from clauseclf.index import NEAR_IDENTICAL, ClauseIndex, clause_stance
    from clauseclf.training import group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    began = time.time()
    records, texts, cases, platforms = tosdr_quotes(args.data)
    shipped = clauseclf.load()
    head = head_without_practices(shipped.head)
    vectors = shipped.encoder.encode(texts).astype(np.float32)
    near = near_duplicates(vectors, texts, NEAR_IDENTICAL)
    unseen = unseen_cases(cases, 0.4)
    regimes = {"all cases": set(), f"{len(unseen)} cases unseen": unseen}

    # per fold and regime, the query x row arrays the blends read
    parts: list[dict[str, dict[str, np.ndarray]]] = []
    for fold, held in enumerate(group_folds(platforms, args.folds, seed=0)):
        train = np.setdiff1d(np.arange(len(records)), held)
        train = train[~near[np.ix_(train, held)].any(axis=1)]
        quotes = pd.DataFrame(
            {
                "text": [texts[i] for i in held],
                "platform": [records[i].platform for i in held],
                "id": [str(i) for i in held],
            }
        )
        per_regime = {}
        for regime, dropped in regimes.items():
            kept = train[~np.isin(cases[train], list(dropped))]
            model = fold_model(shipped, head, vectors, texts, cases, kept)
            index = ClauseIndex.from_frame(model.score(quotes, progress=False), model)
            row_case = cases[index.clauses["document_id"].astype(int).to_numpy()]
            row_platform = np.array(
                [platform_key(str(p)) for p in index.clauses["platform"]], dtype=object
            )
            queries = [
                i for i in held if (row_case[row_platform != platforms[i]] == cases[i]).any()
            ]
            q_texts = [texts[i] for i in queries]
            q_vectors = shipped.encoder.encode(q_texts).astype(np.float32)
            assert index.profiles is not None
            q_profiles = model.practice_profiles(q_texts, q_vectors)
            clause_texts = [str(t) for t in index.clauses["text"]]
            tf_rows = shipped.head.features.tfidf(clause_texts)
            tf_queries = shipped.head.features.tfidf(q_texts)
            q_labels = np.array([p.label for p in model.classify(q_texts)], dtype=object)
            q_stances = np.array([clause_stance(t) for t in q_texts], dtype=object)
            _, platform_codes = np.unique(row_platform, return_inverse=True)
            q_platforms = np.array([platforms[i] for i in queries], dtype=object)
            per_regime[regime] = {
                "practice": (q_profiles @ index.profiles.T).toarray(),
                "wording": q_vectors @ index.unit_vectors().T,
                "tfidf": (tf_queries @ tf_rows.T).toarray(),
                "same_type": (
                    q_labels[:, None] == index.clauses["label"].to_numpy()[None, :]
                ).astype(np.float32),
                "confidence": q_profiles.max(axis=1).toarray().ravel(),
                "allowed": (q_platforms[:, None] != row_platform[None, :])
                & (q_stances[:, None] == index.stances[None, :]),
                "right": cases[queries][:, None] == row_case[None, :],
                "codes": np.asarray(platform_codes),
            }
        parts.append(per_regime)
        print(f"fold {fold + 1}: {len(held)} quotes, {len(queries)} queries", flush=True)

    grid = []
    for a, b, c in itertools.product(np.arange(0, 1.01, 0.1), repeat=3):
        if abs(a + b + c - 1) < 1e-6:
            for d, gate in itertools.product((0.0, 0.05, 0.1, 0.2), (0.0, 0.3, 0.5, 0.7)):
                if a == 0 and gate > 0:
                    continue
                grid.append((round(a, 1), round(b, 1), round(c, 1), d, gate))
    # per grid point, fold and regime: the precision@k of every query
    table: dict[tuple[float, ...], list[dict[str, np.ndarray]]] = {}
    for point in grid:
        a, b, c, d, gate = point
        rows = []
        for per_regime in parts:
            out = {}
            for regime, x in per_regime.items():
                text_part = b * x["wording"] + c * x["tfidf"]
                gated = (x["confidence"] < gate)[:, None]
                rest = b + c
                fallback = text_part / rest if rest > 0 else x["practice"]
                scores = np.where(gated, fallback, a * x["practice"] + text_part)
                scores = scores + d * x["same_type"]
                out[regime] = precision(scores, x["allowed"], x["right"], x["codes"], args.k)
            rows.append(out)
        table[point] = rows

    def mean(point: tuple[float, ...], folds: list[int], regime: str | None = None) -> float:
        names = list(regimes) if regime is None else [regime]
        return float(
            np.mean([np.mean(np.concatenate([table[point][f][r] for f in folds])) for r in names])
        )

    folds = list(range(len(parts)))
    print(
        f"\nprecision@{args.k}, one per platform, no cut-off; a practice + b wording + c tfidf "
        "+ d same_type; gate: practice term only when the query's top practice >= gate"
    )
    header = "  ".join(f"{r:>20}" for r in regimes)
    print(f"  {'a':>4} {'b':>4} {'c':>4} {'d':>5} {'gate':>5}  {header}")
    named = [
        (0.5, 0.5, 0.0, 0.0, 0.0),  # the current default
        (1.0, 0.0, 0.0, 0.0, 0.0),
        (0.0, 1.0, 0.0, 0.0, 0.0),
        (0.0, 0.0, 1.0, 0.0, 0.0),
    ]
    best_all = sorted(grid, key=lambda p: -mean(p, folds))[:8]
    for point in named + [p for p in best_all if p not in named]:
        figures = "  ".join(f"{mean(point, folds, r):20.3f}" for r in regimes)
        print(
            f"  {point[0]:4.1f} {point[1]:4.1f} {point[2]:4.1f} {point[3]:5.2f} {point[4]:5.1f}  "
            f"{figures}"
        )
    print("\nnested: for each held-out fold, the grid point best on the other folds")
    nested: dict[str, list[np.ndarray]] = {r: [] for r in regimes}
    for f in folds:
        others = [g for g in folds if g != f]
        chosen = max(grid, key=lambda p: mean(p, others))
        print(f"  fold {f + 1}: chosen {chosen}")
        for r in regimes:
            nested[r].append(table[chosen][f][r])
    for r in regimes:
        current = mean(named[0], folds, r)
        print(f"  [{r}] nested {np.mean(np.concatenate(nested[r])):.3f}, current {current:.3f}")
    print(f"\n{time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
