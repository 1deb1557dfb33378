"""Similar-clause quality on ToS;DR quotes: precision@5 of "a neighbour from another platform
has the same ToS;DR case", for TF-IDF cosine, frozen MiniLM cosine and the clauseclf index.

    python benchmarks/similarity.py [--data ../shared/data] [--folds 5] [-k 5]

clauseclf's search is ``ClauseIndex.similar``'s rule: cosine of the shipped model's encoder among
clauses of the query's predicted type, at most one per platform. Predicted types are out-of-fold
(platform-grouped cross-validation of the shipped recipe on the shipped encoder), so no quote is
labelled by a model that saw it. Search speed and memory at scale: ``benchmarks/index_scale.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

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
    from sklearn.feature_extraction.text import TfidfVectorizer

    import clauseclf
    from clauseclf.corpora import load_corpora, platform_key
    from clauseclf.evaluation import out_of_fold_output
    from clauseclf.training import cross_validate

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
    types = heads[0][1].types
    predicted_label = np.where(
        output.predicted.any(axis=1),
        np.argmax(np.where(output.predicted, output.probabilities, -1), axis=1),
        -1,
    )

    case_of = {}
    with (args.data / "tosdr" / "annotations.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row.get("case"):
                case_of[(row["text"], row["platform"])] = row["case"]
    rows = [
        i for i, r in enumerate(records) if r.corpus == "tosdr" and (r.text, r.platform) in case_of
    ]
    cases = np.array([case_of[(records[i].text, records[i].platform)] for i in rows])
    platforms = np.array([platform_key(records[i].platform) for i in rows])
    print(f"{len(rows)} ToS;DR quotes, {len(set(cases))} cases, {len(set(platforms))} platforms")

    tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = tfidf.fit_transform([texts[i] for i in rows])
    similarity_tfidf = (x @ x.T).toarray()
    e = minilm[rows].astype(np.float32)
    similarity_minilm = e @ e.T
    o = ours[rows]
    similarity_ours = o @ o.T
    labels = predicted_label[rows]
    same_type = labels[:, None] == labels[None, :]
    k = args.k
    results = {
        "TF-IDF cosine": precision_at_k(similarity_tfidf, cases, platforms, k),
        "frozen MiniLM cosine": precision_at_k(similarity_minilm, cases, platforms, k),
        f"{model.encoder.name} cosine": precision_at_k(similarity_ours, cases, platforms, k),
        "MiniLM, same type, 1 per platform": precision_at_k(
            similarity_minilm, cases, platforms, k, allowed=same_type, one_per_platform=True
        ),
        "clauseclf (same type, 1 per platform)": precision_at_k(
            similarity_ours, cases, platforms, k, allowed=same_type, one_per_platform=True
        ),
    }
    best_baseline = max(results["TF-IDF cosine"], results["frozen MiniLM cosine"])
    print(f"\nprecision@{k}, neighbours from other platforms")
    for name, value in results.items():
        print(f"  {name:<40} {value:.3f}")
    ours = results["clauseclf (same type, 1 per platform)"]
    print(f"  clauseclf - best baseline: {ours - best_baseline:+.3f}")
    print(f"  (labels: {len(set(labels.tolist()))} predicted types among {len(types)})")

    return 0


if __name__ == "__main__":
    raise SystemExit(main())
