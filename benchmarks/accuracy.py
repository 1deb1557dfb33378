"""Grouped cross-validation: two baselines and the clauseclf head on the same folds.

    python benchmarks/accuracy.py [--data ../shared/data] [--folds 5] [--seed 0]
                                  [--plot reliability.png] [--annotations FILE...]

Folds are grouped by platform (no platform in both train and test). The systems:
- TF-IDF+SVM: TF-IDF 1-2 grams (min_df 2, sublinear) + LinearSVC(C=1, balanced), as in
  ../shared/notes/measurements.md; one-vs-rest on CLAUDETTE, primary case on ToS;DR, binary on
  the ai_training set, each trained on that corpus' training platforms only;
- MiniLM+LR: the frozen all-MiniLM-L6-v2 embedding + LogisticRegression (C=10 balanced on
  CLAUDETTE and ai_training, C=20 on ToS;DR), same set-up;
- clauseclf: ``training.cross_validate`` (the recipe of the shipped model) on all corpora and our
  annotation files (default: stance.jsonl and the real clauses, which join the same platform
  folds), with the shipped model's encoder (the static one of models/default); scored as users
  see it (a ToS;DR quote left as "other" is wrong).
Scored on the held-out platforms: CLAUDETTE 8 types (positives at any level, and levels 2-3 as
in LexGLUE), ToS;DR top-1 type, ai_training F1; then clauseclf's severity per type and
calibration. The MiniLM embeddings of the baselines' corpora are cached in
.cache/embeddings-<sha1>.npz (the encoder is the slow part).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


#: The corpora the baselines train and test on (our annotation files join clauseclf's folds only).
BASELINE_CORPORA = ("claudette", "tosdr", "ai_training")


def baseline_embeddings(texts: list[str], corpus: np.ndarray) -> np.ndarray:
    """MiniLM embeddings of the rows of ``BASELINE_CORPORA``, one row per text; the other rows
    are NaN (the baselines never read them, and a model fitted on one would raise)."""
    rows = np.flatnonzero(np.isin(corpus, BASELINE_CORPORA))
    used = cached_embeddings([texts[i] for i in rows])
    embeddings = np.full((len(texts), used.shape[1]), np.nan, dtype=np.float32)
    embeddings[rows] = used
    return embeddings


def tfidf_svm(train_texts: list[str], test_texts: list[str], y: np.ndarray) -> np.ndarray:
    """Decision scores (n_test,) of the TF-IDF + LinearSVC baseline for one binary target."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectorizer.fit_transform(train_texts)
    model = LinearSVC(C=1.0, class_weight="balanced").fit(x_train, y)
    return np.asarray(model.decision_function(vectorizer.transform(test_texts)))


def main() -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    from clauseclf.annotations import load_annotations, load_corpora, platforms
    from clauseclf.evaluation import (
        CLAUDETTE_TYPES,
        evaluate_output,
        evaluation_report,
        out_of_fold_output,
        save_reliability_diagram,
    )
    from clauseclf.metrics import multilabel_scores, prf
    from clauseclf.training import cross_validate, group_folds

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", type=Path, default=None, help="reliability diagram PNG")
    parser.add_argument("--jobs", type=int, default=1, help="clauseclf heads fitted at a time")
    parser.add_argument(
        "--baselines-only",
        action="store_true",
        help="score the two baselines only (the folds are those of the model card when the "
        "records are the ones the default model was trained on)",
    )
    parser.add_argument(
        "--annotations",
        type=Path,
        nargs="*",
        default=[REPO / "data/annotations/stance.jsonl", REPO / "data/annotations/real.jsonl"],
        help="our annotation files clauseclf also trains on (the shipped recipe's); they join "
        "the platform folds, the baselines train on each corpus alone as before",
    )
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"data folder {args.data} is missing; pass --data", file=sys.stderr)
        return 2

    records = load_corpora(args.data)
    if args.annotations:
        records += load_annotations(
            args.annotations, documents=args.data / "policies-2023", strict=True
        ).records
    texts = [r.text for r in records]
    corpus = np.array([r.corpus for r in records])
    embeddings = baseline_embeddings(texts, corpus)
    folds = group_folds(platforms(records), args.folds, args.seed)
    n = len(records)
    gold = {
        "any level": np.array([[t in r.labels for t in CLAUDETTE_TYPES] for r in records]),
        "levels 2-3": np.array(
            [[r.labels.get(t) in ("medium", "high") for t in CLAUDETTE_TYPES] for r in records]
        ),
    }
    tosdr_rows = np.flatnonzero((corpus == "tosdr") & np.array([bool(r.labels) for r in records]))
    primary = {i: next(iter(records[i].labels)) for i in tosdr_rows}
    ai_rows = np.flatnonzero(corpus == "ai_training")
    ai_gold = np.array(["ai_training" in r.labels for r in records])

    # --- baselines: per corpus, trained on that corpus' training platforms ---------------
    def linear_svm(tr: np.ndarray, te: np.ndarray, y: np.ndarray) -> np.ndarray:
        return tfidf_svm([texts[i] for i in tr], [texts[i] for i in te], y)

    def minilm_lr(c: float) -> Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
        def fit(tr: np.ndarray, te: np.ndarray, y: np.ndarray) -> np.ndarray:
            model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
            return np.asarray(model.fit(embeddings[tr], y).decision_function(embeddings[te]))

        return fit

    baselines: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    for name, binary, tosdr_c in (
        ("TF-IDF+SVM", linear_svm, None),
        ("MiniLM+LR", minilm_lr(10.0), 20.0),
    ):
        started = time.time()
        predicted = {level: np.zeros_like(g) for level, g in gold.items()}
        tosdr_top1 = np.zeros(n, dtype=bool)
        ai_predicted = np.zeros(n, dtype=bool)
        for test in folds:
            train = np.setdiff1d(np.arange(n), test)
            tr, te = train[corpus[train] == "claudette"], test[corpus[test] == "claudette"]
            for level, g in gold.items():
                for column in range(len(CLAUDETTE_TYPES)):
                    predicted[level][te, column] = binary(tr, te, g[tr, column]) > 0
            tr, te = np.intersect1d(train, tosdr_rows), np.intersect1d(test, tosdr_rows)
            y = np.array([primary[i] for i in tr])
            if tosdr_c is None:
                vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
                x_train = vectorizer.fit_transform([texts[i] for i in tr])
                model: Any = LinearSVC(C=1.0, class_weight="balanced").fit(x_train, y)
                guess = model.predict(vectorizer.transform([texts[i] for i in te]))
            else:
                model = LogisticRegression(C=tosdr_c, max_iter=3000).fit(embeddings[tr], y)
                guess = model.predict(embeddings[te])
            tosdr_top1[te] = [g in records[i].labels for g, i in zip(guess, te, strict=True)]
            tr, te = np.intersect1d(train, ai_rows), np.intersect1d(test, ai_rows)
            ai_predicted[te] = binary(tr, te, ai_gold[tr]) > 0
        claudette = corpus == "claudette"
        baselines[name] = {
            level: multilabel_scores(gold[level][claudette], p[claudette], CLAUDETTE_TYPES)
            for level, p in predicted.items()
        }
        baselines[name]["tosdr_top1"] = float(tosdr_top1[tosdr_rows].mean())
        baselines[name]["ai_training_f1"] = prf(ai_gold[ai_rows], ai_predicted[ai_rows])[2]
        seconds[name] = time.time() - started

    if args.baselines_only:
        _print_systems(baselines, seconds, list(gold), args.folds, args.seed)
        print(f"clauseclf: not run (--baselines-only); {n} records")
        return 0

    # --- clauseclf -----------------------------------------------------------------------
    started = time.time()
    import clauseclf

    encoded = clauseclf.load().encoder.encode(texts).astype(np.float32)
    heads = cross_validate(
        texts, encoded, records, n_folds=args.folds, seed=args.seed, n_jobs=args.jobs
    )
    seconds["clauseclf"] = time.time() - started
    head = heads[0][1]
    output = out_of_fold_output(heads, texts, encoded)
    ours = evaluate_output(output, records, head.types, head.severity_scale)
    systems = {**baselines}
    systems["clauseclf"] = {
        "any level": ours["claudette_any_level"],
        "levels 2-3": ours["claudette_unfair_levels"],
        "tosdr_top1": ours["tosdr_top1_accuracy"],
        "ai_training_f1": ours["ai_training"]["f1"],
    }

    _print_systems(systems, seconds, list(gold), args.folds, args.seed)

    report = evaluation_report(output, records, head.types, head.severity_scale)
    print("\nclauseclf severity per type (gold pairs):")
    print(f"{'type':<26} {'exact':>7} {'adverse F1':>10} {'pairs':>6}")
    for score in report.severity_per_type:
        print(
            f"{score.type_id:<26} {score.exact_accuracy:>7.3f} {score.adverse_f1:>10.3f} "
            f"{score.pairs:>6}"
        )
    print(
        f"{'all':<26} {report.severity_exact_accuracy:>7.3f} "
        f"{report.severity_adverse_f1:>10.3f} {report.severity_pairs:>6}"
    )
    ai_column = head.types.index("ai_training")
    pairs = [(i, records[i].labels["ai_training"]) for i in ai_rows if ai_gold[i]]
    if pairs:
        scale = head.severity_scale
        hits = [scale[int(output.severity[i, ai_column])] == level for i, level in pairs]
        print(f"ai_training severity exact (ai_training set): {np.mean(hits):.3f} of {len(hits)}")
    print(
        f"\ncalibration: ECE {report.ece:.4f}, top-label accuracy "
        f"{report.top_label_accuracy:.3f}, mean confidence {report.mean_confidence:.3f} "
        f"({sum(b.count for b in report.reliability)} clauses)"
    )
    if args.plot is not None:
        save_reliability_diagram(report, args.plot, title="clauseclf, out-of-fold")
        print(f"reliability diagram written to {args.plot}")
    return 0


def _print_systems(
    systems: dict[str, dict[str, Any]],
    seconds: dict[str, float],
    levels: list[str],
    folds: int,
    seed: int,
) -> None:
    from clauseclf.evaluation import CLAUDETTE_TYPES

    names = list(systems)
    print(f"{folds} folds grouped by platform, seed {seed}")
    for level in levels:
        print(f"\nCLAUDETTE 8 types, positives: {level} (F1)")
        print(f"{'type':<26}" + "".join(f"{name:>12}" for name in names))
        for type_id in CLAUDETTE_TYPES:
            cells = "".join(f"{systems[s][level]['per_type'][type_id]['f1']:>12.3f}" for s in names)
            print(f"{type_id:<26}{cells}")
        for key in ("macro_f1", "micro_f1"):
            print(f"{key:<26}" + "".join(f"{systems[s][level][key]:>12.3f}" for s in names))
    print()
    for key, title in (
        ("tosdr_top1", "ToS;DR top-1 accuracy"),
        ("ai_training_f1", "ai_training F1"),
    ):
        print(f"{title:<26}" + "".join(f"{systems[s][key]:>12.3f}" for s in names))
    print(f"{'seconds (all folds)':<26}" + "".join(f"{seconds[s]:>12.0f}" for s in names))


if __name__ == "__main__":
    raise SystemExit(main())
