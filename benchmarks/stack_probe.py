"""Does a second stage over all types' probabilities help? Fold heads kept by threshold_beta.py,
their out-of-fold probabilities as training data for a per-type stacker.

    python benchmarks/stack_probe.py --keep FOLDER [--folds 3] [--only-folds 0,1] [--C 1.0]
                                   [--balanced]

Reads the fold heads and out-of-fold probabilities ``benchmarks/threshold_beta.py --keep FOLDER``
kept (same data, folds and seed; it refuses other data). Per type, a logistic regression
(class-balanced with ``--balanced``) on the logits of all types' out-of-fold probabilities (the
pairs the head calibrated that type on), its own out-of-fold probabilities from 3 folds
grouped by platform; both the head and the stacker get thresholds by the shipped rule
(F-0.5-best of 25 values in [min_threshold, 0.9], ``thresholds.choose_thresholds``). Scored
on the real clauses of the test folds: the type sets (not the top label), micro/macro-F1,
predicted types right, clauses of no type left empty, and the four key types' precision /
recall.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
KEY_TYPES = ("arbitration", "class_action_waiver", "data_sale", "ai_training")


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(p / (1 - p)))


def _stack(
    features: np.ndarray,
    targets: np.ndarray,
    mask: np.ndarray,
    groups: np.ndarray,
    test: np.ndarray,
    C: float,
    seed: int,
    balanced: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold and test probabilities of the per-type stackers."""
    weight = "balanced" if balanced else None
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    oof = np.zeros(targets.shape)
    out = np.zeros((len(test), targets.shape[1]))
    for column in range(targets.shape[1]):
        rows = np.flatnonzero(mask[:, column])
        y = targets[rows, column]
        if y.sum() < 5 or y.sum() == len(y):
            oof[:, column] = 1 / (1 + np.exp(-features[:, column]))
            out[:, column] = 1 / (1 + np.exp(-test[:, column]))
            continue
        splitter = GroupKFold(n_splits=3, shuffle=True, random_state=seed)
        for train, held in splitter.split(rows, y, groups[rows]):
            model = LogisticRegression(C=C, class_weight=weight, max_iter=500)
            model.fit(features[rows[train]], y[train])
            oof[rows[held], column] = model.predict_proba(features[rows[held]])[:, 1]
        model = LogisticRegression(C=C, class_weight=weight, max_iter=500)
        model.fit(features[rows], y)
        out[:, column] = model.predict_proba(test)[:, 1]
    return oof, out


def _scores(predicted: np.ndarray, truth: np.ndarray, types: list[str]) -> dict[str, Any]:
    tp = (predicted & truth).sum(axis=0)
    fp = (predicted & ~truth).sum(axis=0)
    fn = (~predicted & truth).sum(axis=0)
    f1 = 2 * tp / np.maximum(1, 2 * tp + fp + fn)
    present = truth.sum(axis=0) >= 20
    none = ~truth.any(axis=1)
    out: dict[str, Any] = {
        "micro_f1": 2 * tp.sum() / max(1, 2 * tp.sum() + fp.sum() + fn.sum()),
        "macro_f1": float(f1[present].mean()),
        "predicted_right": tp.sum() / max(1, tp.sum() + fp.sum()),
        "other_left_empty": float((~predicted[none].any(axis=1)).mean()),
    }
    for name in KEY_TYPES:
        c = types.index(name)
        out[name] = f"{tp[c] / max(1, tp[c] + fp[c]):.2f} / {tp[c] / max(1, tp[c] + fn[c]):.2f}"
    return out


def main() -> int:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from threshold_beta import fold_training_records, kept_folds, load_kept

    from clauseclf.annotations import platforms
    from clauseclf.head.output import cue_gate
    from clauseclf.thresholds import choose_thresholds
    from clauseclf.training import label_matrix

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--balanced", action="store_true", help="class-balanced stackers")
    kept = kept_folds(parser)
    args, shipped, real, folds, chosen = kept.args, kept.shipped, kept.real, kept.folds, kept.chosen
    shared, stance, digest = kept.shared, kept.stance, kept.digest
    taxonomy, encoder = shipped.taxonomy, shipped.encoder
    types = list(taxonomy.type_ids)
    truth_rows, base_rows, stacked_rows = [], [], []
    for k in chosen:
        head, oof, mask, min_threshold = load_kept(args.keep, k, args.folds, digest)
        started = time.time()
        test_rows = folds[k]
        records = fold_training_records(k, folds, real, shared, stance)
        texts = [r.text for r in records]
        targets = label_matrix(records, types, 0.1).y
        oof = oof * cue_gate(texts, types, head.required_cues)
        test_texts = [real[i].text for i in test_rows]
        test_p = head.predict(test_texts, encoder.encode(test_texts)).probabilities
        base_thresholds = choose_thresholds(oof, targets, mask, min_threshold, 0.9, 0.5)
        stacked_oof, stacked_test = _stack(
            _logit(oof),
            targets,
            mask,
            np.array(platforms(records)),
            _logit(test_p),
            args.C,
            args.seed,
            args.balanced,
        )
        stacked_thresholds = choose_thresholds(stacked_oof, targets, mask, min_threshold, 0.9, 0.5)
        truth_rows.append(label_matrix([real[i] for i in test_rows], types, 0.1).y.astype(bool))
        base_rows.append(test_p >= base_thresholds)
        stacked_rows.append(stacked_test >= stacked_thresholds)
        print(f"fold {k}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    truth = np.vstack(truth_rows)
    results = {
        "head (shipped rule)": _scores(np.vstack(base_rows), truth, types),
        "stacked (same rule)": _scores(np.vstack(stacked_rows), truth, types),
    }
    print(
        f"{len(truth)} real clauses of folds {chosen} of {args.folds} (grouped by platform and "
        f"wording); stacker C {args.C:g}{', balanced' if args.balanced else ''}; type sets "
        "as users see them, top label not scored"
    )
    names = list(next(iter(results.values())))
    print("| figure | " + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = [
            f"{v[name]:.3f}" if isinstance(v[name], float) else str(v[name])
            for v in results.values()
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
