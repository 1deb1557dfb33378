"""Does labelling more real clauses help? Same grouped folds, training on an earlier labelled
set or on all of it, scored on the earlier set's clauses and on the new ones.

    python benchmarks/real_more_data.py --earlier EARLIER.jsonl [--data ../shared/data]

``EARLIER.jsonl``: an earlier version of ``data/annotations/real.jsonl`` (e.g.
``git show db4d2ed:data/annotations/real.jsonl > /tmp/earlier.jsonl``). The model is the quick
probe of the head's features (TF-IDF word 1-2 grams plus the shipped encoder's embedding at weight
0.5, a LinearSVC per type, decision > 0), trained on the real clauses only, so that the effect of
the data is seen without the shared corpora; micro-F1 over the 28 types.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    parser.add_argument("--earlier", type=Path, required=True)
    parser.add_argument("--labels", type=Path, default=REPO / "data/annotations/real.jsonl")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    model = ClauseModel.load()
    types = list(model.taxonomy.type_ids)
    records = list(
        load_annotations(args.labels, documents=args.data / "policies-2023", strict=True).records
    )
    earlier_hashes = {
        json.loads(line)["sha256"]
        for line in args.earlier.read_text(encoding="utf-8").split("\n")
        if line.strip()
    }
    import hashlib

    earlier = np.array(
        [hashlib.sha256(r.text.encode("utf-8")).hexdigest() in earlier_hashes for r in records]
    )
    texts = [r.text for r in records]
    y = np.array([[t in r.labels for t in types] for r in records])
    folds = group_folds(near_duplicate_groups(records), args.folds, args.seed)
    with threadpool_limits(1, "blas"):
        x = probe_features(texts, model.encoder)
        predicted = {name: np.zeros_like(y) for name in ("earlier", "all")}
        for test in folds:
            train = np.setdiff1d(np.arange(len(records)), test)
            for name, rows in (("earlier", train[earlier[train]]), ("all", train)):
                predicted[name][test] = probe_predict(x, y, rows, test)
    print(
        f"{len(records)} distinct real clauses: {int(earlier.sum())} of the earlier set, "
        f"{int((~earlier).sum())} new; {args.folds} folds grouped by platform and wording"
    )
    print("| trained on | scored on the earlier clauses | on the new ones | on all |")
    print("|---|---|---|---|")
    everything = np.ones(len(records), dtype=bool)
    for name, found in predicted.items():
        cells = [micro_f1(found[m], y[m]) for m in (earlier, ~earlier, everything)]
        print(f"| {name} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
