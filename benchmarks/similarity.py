"""Similar-clause quality on ToS;DR quotes: precision@5 of "a neighbour from another platform
has the same ToS;DR case", for TF-IDF cosine, frozen MiniLM cosine and the clauseclf index.

    python benchmarks/similarity.py [--data ../shared/data] [--folds 5] [-k 5]

The quotes are split into platform-grouped folds. For each fold, a practice map
(``clauseclf.training.fit_practice_map``, the model's recipe) is fitted on the other folds'
quotes and cases; the fold's quotes are then both the queries and the searched collection, so
neither the query nor its neighbours were seen by the map. Every method searches the same
per-fold collections; figures are averaged over all queries. The map reads the head's TF-IDF
rows, from a vocabulary fitted (as training does) on every annotated clause outside the fold.
clauseclf's search is
``ClauseIndex.similar``'s rule: the practice profiles' dot product, at most one clause per
platform; the baselines are scored with all neighbours and with one per platform, and the
margin is taken over the best of them. The "same type" rows add ``same_type=True``'s filter
with out-of-fold predicted types (platform-grouped cross-validation of the shipped head recipe
on the shipped encoder). Search speed and memory at scale: ``benchmarks/index_scale.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import cached_embeddings

REPO = Path(__file__).resolve().parents[1]


def precision_at_k(
    similarity: np.ndarray,
    cases: np.ndarray,
    platforms: np.ndarray,
    k: int,
    *,
    allowed: np.ndarray | None = None,
    one_per_platform: bool = False,
) -> float:
    """Mean over queries of the share of the top-k other-platform neighbours with the same case."""
    scores = []
    for row in range(len(cases)):
        candidates = np.flatnonzero(platforms != platforms[row])
        if allowed is not None:
            candidates = candidates[allowed[row, candidates]]
        order = candidates[np.argsort(-similarity[row, candidates], kind="stable")]
        chosen, seen = [], set()
        for column in order:
            if one_per_platform and platforms[column] in seen:
                continue
            seen.add(platforms[column])
            chosen.append(column)
            if len(chosen) == k:
                break
        scores.append(np.mean(cases[chosen] == cases[row]) if chosen else 0.0)
    return float(np.mean(scores))


def main() -> int:
    import clauseclf
    from clauseclf.annotations import load_corpora, platform_key
    from clauseclf.evaluation import out_of_fold_output
    from clauseclf.training import (
        cross_validate,
        fit_practice_map,
        fit_text_features,
        group_folds,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"data folder {args.data} is missing; pass --data", file=sys.stderr)
        return 2

    records = load_corpora(args.data)
    texts = [r.text for r in records]
    minilm = cached_embeddings(texts)
    model = clauseclf.load()
    ours = model.encoder.encode(texts).astype(np.float32)
    heads = cross_validate(texts, ours, records, n_folds=args.folds, seed=0)
    output = out_of_fold_output(heads, texts, ours)
    predicted_label = np.where(
        output.predicted.any(axis=1),
        np.argmax(np.where(output.predicted, output.probabilities, -1), axis=1),
        -1,
    )

    rows = np.array([i for i, r in enumerate(records) if r.corpus == "tosdr" and r.case])
    cases = np.array([records[i].case for i in rows])
    platforms = np.array([platform_key(records[i].platform) for i in rows])
    print(f"{len(rows)} ToS;DR quotes, {len(set(cases))} cases, {len(set(platforms))} platforms")

    k = args.k
    scores: dict[str, list[float]] = {}

    def record(name: str, similarity: np.ndarray, pool: np.ndarray, **rule: Any) -> None:
        value = precision_at_k(similarity, cases[pool], platforms[pool], k, **rule)
        scores.setdefault(name, []).extend([value] * len(pool))

    for pool in group_folds(list(platforms), args.folds, seed=0):
        train = np.setdiff1d(np.arange(len(rows)), pool)
        held_out = set(rows[pool].tolist())
        features = fit_text_features(
            [t for i, t in enumerate(texts) if i not in held_out], ours.shape[1]
        )
        practices = fit_practice_map(
            ours[rows[train]],
            list(cases[train]),
            tfidf=features.tfidf([texts[i] for i in rows[train]]),
        )
        x = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit_transform(
            [texts[i] for i in rows[pool]]
        )
        e = minilm[rows[pool]].astype(np.float32)
        for name, rule in (("", False), (", 1 per platform", True)):
            record(f"TF-IDF cosine{name}", (x @ x.T).toarray(), pool, one_per_platform=rule)
            record(f"frozen MiniLM cosine{name}", e @ e.T, pool, one_per_platform=rule)
        o = ours[rows[pool]]
        record(f"{model.encoder.name} cosine", o @ o.T, pool)
        profiles = practices.profiles(o, features.tfidf([texts[i] for i in rows[pool]]))
        by_practice = (profiles @ profiles.T).toarray()
        labels = predicted_label[rows[pool]]
        same_type = labels[:, None] == labels[None, :]
        record("clauseclf (practices, 1 per platform)", by_practice, pool, one_per_platform=True)
        record(
            "clauseclf (practices, same type, 1 per platform)",
            by_practice,
            pool,
            allowed=same_type,
            one_per_platform=True,
        )
        record(
            "our encoder, same type, 1 per platform",
            o @ o.T,
            pool,
            allowed=same_type,
            one_per_platform=True,
        )

    results = {name: float(np.mean(values)) for name, values in scores.items()}
    baselines = [v for name, v in results.items() if name.startswith(("TF-IDF", "frozen MiniLM"))]
    best_baseline = max(baselines)  # under either neighbour rule
    print(f"\nprecision@{k}, neighbours from other platforms of held-out folds")
    for name, value in results.items():
        print(f"  {name:<50} {value:.3f}")
    ours_score = results["clauseclf (practices, 1 per platform)"]
    print(f"  clauseclf - best baseline (TF-IDF, MiniLM): {ours_score - best_baseline:+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
