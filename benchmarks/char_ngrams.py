"""Does the head's character n-gram block help on real clauses? The quick probe
(``real_probe``: TF-IDF word 1-2 grams plus the shipped encoder's embedding at weight 0.5, a
LinearSVC per type, decision > 0) with and without the character block, on the labelled real
clauses, 5 folds grouped by platform and near-duplicate wording; as users see types: micro-F1,
micro-F1 on the random part, the share of predicted types that are right on the random part and
the share of its clauses of no type left empty.

    python benchmarks/char_ngrams.py [--data ../shared/data] [--weights 0 0.5 0.7 1.0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    from threadpoolctl import threadpool_limits

    sys.path.insert(0, str(REPO / "benchmarks"))
    from real_clauses import near_duplicate_groups
    from real_probe import micro_f1, probe_features, probe_predict

    from clauseclf.annotations import load_annotations
    from clauseclf.inference.model import ClauseModel
    from clauseclf.training import group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=REPO / "data/annotations/real.jsonl")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.5, 0.7, 1.0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = ClauseModel.load()
    types = list(model.taxonomy.type_ids)
    records = list(
        load_annotations(args.labels, documents=args.data / "policies-2023", strict=True).records
    )
    texts = [r.text for r in records]
    random_part = np.array([r.part == "random" for r in records])
    y = np.array([[t in r.labels for t in types] for r in records])
    folds = group_folds(near_duplicate_groups(records), args.folds, args.seed)
    print(
        f"{len(records)} distinct real clauses ({int(random_part.sum())} of the random part); "
        f"{args.folds} folds grouped by platform and wording"
    )
    print(
        "| character weight | micro-F1 | random part micro-F1 | predicted types right | "
        "other left empty | seconds |"
    )
    print("|---|---|---|---|---|---|")
    with threadpool_limits(1, "blas"):
        for weight in args.weights:
            started = time.perf_counter()
            x = probe_features(texts, model.encoder, char_weight=weight)
            predicted = np.zeros_like(y)
            for test in folds:
                train = np.setdiff1d(np.arange(len(records)), test)
                predicted[test] = probe_predict(x, y, train, test)
            found, truth = predicted[random_part], y[random_part]
            right = (found & truth).sum() / max(1, found.sum())
            empty = float((~found[~truth.any(axis=1)].any(axis=1)).mean())
            print(
                f"| {weight:g} | {micro_f1(predicted, y):.3f} | {micro_f1(found, truth):.3f} | "
                f"{right:.3f} | {empty:.3f} | {time.perf_counter() - started:.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
