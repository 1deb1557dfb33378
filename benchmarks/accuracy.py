"""Grouped cross-validation: TF-IDF + LinearSVC baseline vs the clauseclf head, same folds.

    python benchmarks/accuracy.py [--data ../shared/data] [--folds 5] [--seed 0]

The baseline is the one of ../shared/notes/measurements.md: TF-IDF 1-2 grams (min_df 2,
sublinear) + LinearSVC(C=1, balanced), one-vs-rest, trained on the CLAUDETTE training platforms
only. Our head trains on all corpora of the training platforms. Both are scored on the CLAUDETTE
sentences of the held-out platforms, with positives at any level and at levels 2-3 (LexGLUE-style).
Embeddings are cached in .cache/embeddings-<sha1>.npz (the encoder is the slow part).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def cached_embeddings(texts: list[str]) -> np.ndarray:
    from clauseclf.encoder import load_encoder

    key = hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    path = REPO / ".cache" / f"embeddings-{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as archive:
            return np.asarray(archive["embeddings"])
    started = time.time()
    embeddings = load_encoder().encode(texts)
    print(f"encoded {len(texts)} clauses in {time.time() - started:.0f} s", file=sys.stderr)
    path.parent.mkdir(exist_ok=True)
    np.savez(path, embeddings=embeddings)
    return embeddings


def main() -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    from clauseclf.corpora import load_corpora, platforms
    from clauseclf.evaluation import CLAUDETTE_TYPES, evaluate_folds, multilabel_scores
    from clauseclf.training import cross_validate, group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"data folder {args.data} is missing; pass --data", file=sys.stderr)
        return 2

    records = load_corpora(args.data)
    texts = [r.text for r in records]
    embeddings = cached_embeddings(texts)
    claudette = np.array([r.corpus == "claudette" for r in records])
    gold = {
        "any level": np.array([[t in r.labels for t in CLAUDETTE_TYPES] for r in records]),
        "levels 2-3": np.array(
            [[r.labels.get(t) in ("medium", "high") for t in CLAUDETTE_TYPES] for r in records]
        ),
    }

    started = time.time()
    baseline = {name: np.zeros_like(g) for name, g in gold.items()}
    for test in group_folds(platforms(records), args.folds, args.seed):
        train = np.setdiff1d(np.arange(len(records)), test)
        train, test = train[claudette[train]], test[claudette[test]]
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        x_train = vectorizer.fit_transform([texts[i] for i in train])
        x_test = vectorizer.transform([texts[i] for i in test])
        for name, g in gold.items():
            for column in range(len(CLAUDETTE_TYPES)):
                svc = LinearSVC(C=1.0, class_weight="balanced").fit(x_train, g[train, column])
                baseline[name][test, column] = svc.predict(x_test) == 1
    baseline_seconds = time.time() - started

    started = time.time()
    folds = cross_validate(texts, embeddings, records, n_folds=args.folds, seed=args.seed)
    ours = evaluate_folds(folds, texts, embeddings, records)
    ours_seconds = time.time() - started

    print(f"{args.folds} folds grouped by platform, seed {args.seed}; CLAUDETTE 8 types")
    definitions = (("any level", "claudette_any_level"), ("levels 2-3", "claudette_unfair_levels"))
    for name, key in definitions:
        base = multilabel_scores(gold[name][claudette], baseline[name][claudette], CLAUDETTE_TYPES)
        mine = ours[key]
        print(f"\npositives: {name}")
        print(f"{'type':<26} {'TF-IDF+SVM':>10} {'clauseclf':>10}")
        for type_id in CLAUDETTE_TYPES:
            print(
                f"{type_id:<26} {base['per_type'][type_id]['f1']:>10.3f} "
                f"{mine['per_type'][type_id]['f1']:>10.3f}"
            )
        print(f"{'macro-F1':<26} {base['macro_f1']:>10.3f} {mine['macro_f1']:>10.3f}")
        print(f"{'micro-F1':<26} {base['micro_f1']:>10.3f} {mine['micro_f1']:>10.3f}")
    print("\nclauseclf, other corpora (same folds):")
    for key, value in ours["summary"].items():
        if not key.startswith("claudette"):
            print(f"  {key}: {value:.3f}")
    print(f"\ntime: baseline {baseline_seconds:.0f} s, clauseclf {ours_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
