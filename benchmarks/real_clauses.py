"""Real clauses, scored as users see them: grouped cross-validation on data/annotations/real.

    python benchmarks/real_clauses.py [--data ../shared/data] [--folds 5] [--seed 0]
                                      [--variants shipped,real] [--out results.json]

The labelled clauses of policies-2023 (every type checked, ``data/annotations/real``) are split
into folds grouped by platform and by near-duplicate wording (platforms that share a clause,
after case, punctuation and the platform's own name are ignored, land in the same fold: templated
policies repeat across services). Per fold, each variant trains a head (``training.fit_head``)
with the shipped model's encoder on the shared corpora (CLAUDETTE, ToS;DR, ai_training, minus
every record of a test-fold platform), ``data/annotations/stance.jsonl`` and, for the variants
that use them, the real clauses of the training folds; then it classifies the test fold through
``ClauseModel.classify`` and ``clauseclf.scoring.score_predictions`` scores ``p.label``,
``p.labels``, ``p.severities`` and ``p.confidence`` exactly as returned. TF-IDF+SVM (one-vs-rest
LinearSVC, C=1, balanced, on the same training clauses) is scored on types in the same run.

Variants (``_variants``): ``shipped`` (no real clauses: the recipe before them), ``real`` (with
them, the shipped recipe), ``real-calibrated`` (the real clauses alone calibrate probabilities,
thresholds and confidence), ``real-x3`` (real clauses repeated three
times), ``real-nogate`` (without the ai_training cue gate), ``real-severity-all`` (severity
models fitted on every corpus' positives instead of the real clauses').
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _variants() -> dict[str, tuple[int, Any]]:
    from clauseclf.training import TrainingConfig

    return {
        "shipped": (0, TrainingConfig()),
        "real": (1, TrainingConfig()),
        "real-calibrated": (1, TrainingConfig(calibration_corpora=("real",))),
        "real-x3": (3, TrainingConfig()),
        "real-nogate": (1, TrainingConfig(required_cues=())),
        "real-severity-all": (1, TrainingConfig(severity_corpora=())),
    }


def near_duplicate_groups(records: list) -> list[str]:
    """A group per record: platforms joined when they share a clause's normalised wording."""
    from clauseclf.annotations import platform_key

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for record in records:
        platform = platform_key(record.platform)
        find(platform)
        words = re.sub(r"\W+", " ", record.text.casefold())
        for token in platform.split():
            words = re.sub(rf"\b{re.escape(token)}\b", " ", words)
        key = " ".join(words.split())
        if len(key) < 40:
            continue
        if key in owner:
            parent[find(platform)] = find(owner[key])
        else:
            owner[key] = platform
    return [find(platform_key(r.platform)) for r in records]


def load_benchmark_records(data: Path, labels: Path) -> tuple[Any, list, list, list, list[str]]:
    """The shipped model, the real clauses of ``labels`` (text read from ``data``'s
    policies-2023), the shared corpora, stance.jsonl, and each real clause's fold group
    (``near_duplicate_groups``)."""
    from clauseclf.annotations import load_annotations, load_corpora
    from clauseclf.inference.model import ClauseModel

    shipped = ClauseModel.load()
    real = list(load_annotations(labels, documents=data / "policies-2023", strict=True).records)
    shared = load_corpora(data, taxonomy=shipped.taxonomy)
    stance = list(load_annotations(REPO / "data/annotations/stance.jsonl", strict=True).records)
    return shipped, real, shared, stance, near_duplicate_groups(real)


def tfidf_svm_labels(
    train_texts: list[str], y: np.ndarray, weight: np.ndarray, test_texts: list[str]
) -> np.ndarray:
    """Predicted type matrix of one-vs-rest TF-IDF + LinearSVC (strong labels only)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectorizer.fit_transform(train_texts)
    x_test = vectorizer.transform(test_texts)
    out = np.zeros((len(test_texts), y.shape[1]), dtype=bool)
    for column in range(y.shape[1]):
        rows = weight[:, column] >= 1.0
        if len(set(y[rows, column])) < 2:
            continue
        model = LinearSVC(C=1.0, class_weight="balanced").fit(x_train[rows], y[rows, column])
        out[:, column] = model.decision_function(x_test) > 0
    return out


def main() -> int:
    from clauseclf.annotations import platform_key
    from clauseclf.inference.model import ClauseModel
    from clauseclf.predictions import ClausePrediction
    from clauseclf.scoring import score_predictions
    from clauseclf.training import fit_head, group_folds, label_matrix

    table = _variants()

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--labels", type=Path, default=REPO / "data/annotations/real.jsonl")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default="shipped,real")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    shipped, real, shared, stance, groups = load_benchmark_records(args.data, args.labels)
    taxonomy, encoder = shipped.taxonomy, shipped.encoder
    types = list(taxonomy.type_ids)
    folds = group_folds(groups, args.folds, args.seed)
    print(
        f"{len(real)} real clauses, {len(set(groups))} platform groups, {args.folds} folds; "
        f"{len(shared)} shared-corpus clauses",
        file=sys.stderr,
    )
    all_texts = sorted({r.text for r in real + shared + stance})
    index = {t: i for i, t in enumerate(all_texts)}
    started = time.time()
    embeddings = encoder.encode(all_texts)
    print(f"encoded {len(all_texts)} clauses in {time.time() - started:.0f} s", file=sys.stderr)
    variants = args.variants.split(",")
    predictions: dict[str, list[ClausePrediction | None]] = {
        v: [None] * len(real) for v in [*variants, "tfidf-svm"]
    }
    for k, test_rows in enumerate(folds):
        test_platforms = {platform_key(real[i].platform) for i in test_rows}
        train_real = [real[i] for i in np.setdiff1d(np.arange(len(real)), test_rows)]
        base = [r for r in shared if platform_key(r.platform) not in test_platforms] + stance
        test_texts = [real[i].text for i in test_rows]
        for variant in variants:
            repeat, config = table[variant]
            records = base + train_real * repeat
            texts = [r.text for r in records]
            started = time.time()
            head = fit_head(
                texts,
                embeddings[[index[t] for t in texts]],
                records,
                taxonomy=taxonomy,
                seed=args.seed,
                config=config,
            )
            model = ClauseModel(encoder, head, taxonomy)
            for row, p in zip(test_rows, model.classify(test_texts), strict=True):
                predictions[variant][row] = p
            print(f"fold {k} {variant}: {time.time() - started:.0f} s", file=sys.stderr)
        records = base + train_real
        labels = label_matrix(records, types, 0.0)
        guessed = tfidf_svm_labels([r.text for r in records], labels.y, labels.weight, test_texts)
        for row, flags in zip(test_rows, guessed, strict=True):
            chosen = {t: 1.0 for t, f in zip(types, flags, strict=True) if f}
            predictions["tfidf-svm"][row] = ClausePrediction(
                label=next(iter(chosen), "other"),
                labels=chosen,
                severity="none",
                severities={t: "none" for t in chosen},
                confidence=1.0,
                probabilities=chosen,
                evidence={},
            )
    results = {}
    random_part = [r.part == "random" for r in real]
    for name, found in predictions.items():
        scores = score_predictions(
            [p for p in found if p is not None], real, types, random_part=random_part
        )
        results[name] = scores.to_dict()
    _print(results, types)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def _fmt(value: object) -> str:
    return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _print(results: dict[str, dict], types: list[str]) -> None:
    names = list(results)
    rows = [
        "micro_f1",
        "macro_f1",
        "predicted_types_right",
        "other_left_empty",
        "severity_exact",
        "high_flags",
        "high_flags_right",
        "label_accuracy",
        "ece",
    ]
    print("| figure | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for row in rows:
        print(f"| {row} | " + " | ".join(_fmt(results[n][row]) for n in names) + " |")
    for n in names:
        q = results[n]["confidence_quantiles"]
        print(f"confidence quantiles (5/25/50/75/95%) {n}: " + " ".join(f"{v:.2f}" for v in q))
    print("\n| type | support | " + " | ".join(f"{n} P / R / F1" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for t in types:
        cells = []
        for n in names:
            f = results[n]["per_type"][t]
            cells.append(f"{f['precision']:.2f} / {f['recall']:.2f} / {f['f1']:.2f}")
        support = results[names[0]]["per_type"][t]["support"]
        print(f"| {t} | {support} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
