"""Severity as users see it: class weights of the severity model and a gate on the highest
level, on the fold heads ``benchmarks/threshold_beta.py --keep FOLDER`` kept.

    python benchmarks/severity_gate.py --keep FOLDER [--folds 3] [--only-folds 0,1]
                                       [--class-weights balanced,none] [--gates 0,0.6,0.7,0.8]

Per fold: the kept head (its types, thresholds and ranker unchanged) with its own severity model
(``balanced``, as it was fitted) or one refitted on the fold's training records with another
class weight (``SeverityModel``, C=10, real and stance clauses first, as the recipe does). Each
type a head predicts for a test clause gets the argmax level; a gate holds the highest level back
(to the most probable lower one) where its value is below the cut-off: ``type`` P(type),
``level`` P(highest | type) (the softmax of the type's severity scores), ``joint`` their
product. Printed per class weight, rule and cut-off: severity exact on rightly typed pairs, the
number of high flags and the share of them right (the type is in the clause's labels at high),
as ``clauseclf.scoring`` counts them.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _pairs(head: Any, texts: list[str], embeddings: np.ndarray) -> list[tuple[int, float, Any]]:
    """(clause row, type column, P(type), P(level | type)) of every predicted type."""
    output = head.predict(texts, embeddings)
    features = head.features.transform(texts, embeddings)
    out = []
    for column in range(len(head.types)):
        rows = np.flatnonzero(output.predicted[:, column])
        if len(rows) == 0:
            continue
        weights = head.severity_weights[column].astype(np.float64)
        scores = np.asarray(features[rows] @ weights) + head.severity_bias[column]
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        levels = scores / scores.sum(axis=1, keepdims=True)
        for j, row in enumerate(rows):
            out.append((int(row), column, float(output.probabilities[row, column]), levels[j]))
    return out


def main() -> int:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from threshold_beta import fold_training_records, kept_folds, load_kept

    from clauseclf.training.severity import SeverityModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class-weights", default="balanced,none")
    parser.add_argument("--gates", default="0,0.5,0.6,0.7,0.8")
    kept = kept_folds(parser)
    args, shipped, real, folds, chosen = kept.args, kept.shipped, kept.real, kept.folds, kept.chosen
    shared, stance, digest = kept.shared, kept.stance, kept.digest
    types, scale = list(shipped.taxonomy.type_ids), list(shipped.taxonomy.severity_scale)
    top = len(scale) - 1
    weightings = args.class_weights.split(",")
    pairs: dict[str, list[tuple[str, float, Any, dict[str, str]]]] = {w: [] for w in weightings}
    for k in chosen:
        head = load_kept(args.keep, k, args.folds, digest)[0]
        test = folds[k]
        texts = [real[i].text for i in test]
        embeddings = shipped.encoder.encode(texts)
        records = fold_training_records(k, folds, real, shared, stance)
        x = None
        for weighting in weightings:
            started = time.time()
            variant = head
            if weighting != "balanced":
                if x is None:
                    train_texts = [r.text for r in records]
                    x = head.features.transform(train_texts, shipped.encoder.encode(train_texts))
                fitted = SeverityModel(
                    types, scale, C=10.0, class_weight=weighting, corpora=("real", "stance")
                ).fit(x, records)
                variant = copy.copy(head)
                variant.severity_weights = fitted.weights_.astype(np.float16).astype(np.float32)
                variant.severity_bias = fitted.bias_
            for row, column, p_type, levels in _pairs(variant, texts, embeddings):
                pairs[weighting].append((types[column], p_type, levels, real[test[row]].labels))
            print(f"fold {k} {weighting}: {time.time() - started:.0f} s", file=sys.stderr)
    print(
        f"{sum(len(folds[k]) for k in chosen)} real clauses of folds {chosen} of {args.folds} "
        "(grouped by platform and wording), the kept heads' types and thresholds"
    )
    print("| class weight | gate | cut-off | severity exact | high flags | high flags right |")
    print("|---|---|---|---|---|---|")
    for weighting, found in pairs.items():
        for rule in ("type", "level", "joint"):
            for cut in [float(g) for g in args.gates.split(",")]:
                if cut == 0 and rule != "type":
                    continue
                exact = typed = flags = right = 0
                for type_id, p_type, levels, gold in found:
                    level = int(np.argmax(levels))
                    value = {"type": p_type, "level": levels[top], "joint": p_type * levels[top]}
                    if level == top and value[rule] < cut:
                        level = int(np.argmax(levels[:top]))
                    if type_id in gold:
                        typed += 1
                        exact += scale[level] == gold[type_id]
                    if level == top:
                        flags += 1
                        right += gold.get(type_id) == scale[top]
                name = "none" if cut == 0 else rule
                print(
                    f"| {weighting} | {name} | {cut:g} | {exact / max(1, typed):.3f} | {flags} | "
                    f"{right / max(1, flags):.3f} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
