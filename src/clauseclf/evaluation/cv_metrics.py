"""Cross-validation metrics: the out-of-fold predictions of cross-validated heads scored against
the records' labels per corpus (CLAUDETTE per type, ToS;DR top-1, ai_training, severity, the
real clauses as users see them, calibration), their headline numbers and a plain-text table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from clauseclf.annotations import AnnotatedClause
from clauseclf.head.core import ClauseHead
from clauseclf.head.output import HeadOutput, most_probable_predicted
from clauseclf.metrics import expected_calibration_error, multilabel_scores, prf

#: The corpus name of the real clauses (``data/annotations/real.jsonl``), every type checked.
REAL_CORPUS = "real"

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


def top_label_correct(
    probabilities: np.ndarray,
    predicted: np.ndarray,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    top: np.ndarray | None = None,
) -> np.ndarray:
    """1.0 where the top label is right, 0.0 where wrong, NaN where the annotation cannot tell:
    the top type was not checked for that clause, or the top label is ``other`` for a clause
    without labels that was not checked for every type (an untagged CLAUDETTE sentence may
    still be a warranty disclaimer or a content licence, which CLAUDETTE never tags)."""
    if top is None:
        top = most_probable_predicted(probabilities, predicted)
    correct = np.full(len(records), np.nan)
    for row, record in enumerate(records):
        if top[row] >= 0:
            type_id = types[int(top[row])]
            if record.is_annotated(type_id):
                correct[row] = float(type_id in record.labels)
        elif record.labels:
            correct[row] = 0.0
        elif record.annotated_types is None:
            correct[row] = 1.0
    return correct


def top_label_correctness(
    output: HeadOutput, records: Sequence[AnnotatedClause], types: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence and correctness of the top label, for clauses where correctness is known."""
    correct = top_label_correct(output.probabilities, output.predicted, records, types, output.top)
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
        # The quote has a type: right when the top label users see is one of its types (a
        # quote left as "other" is wrong, whatever type the model would rank first).
        top = output.top[tosdr]
        hits = [
            t >= 0 and types[int(t)] in records[i].labels for t, i in zip(top, tosdr, strict=True)
        ]
        metrics["tosdr_top1_accuracy"] = float(np.mean(hits))
    ai_rows = np.flatnonzero(corpus == "ai_training")
    if len(ai_rows) and "ai_training" in types:
        column = types.index("ai_training")
        gold = np.array(["ai_training" in records[int(i)].labels for i in ai_rows])
        p, r, f = prf(gold, output.predicted[ai_rows, column])
        metrics["ai_training"] = {"precision": p, "recall": r, "f1": f, "support": int(gold.sum())}
    # Severity as users see it: of the types the model predicts that the clause has.
    exact, adverse_gold, adverse_pred = [], [], []
    for row, record in enumerate(records):
        for type_id, severity in record.labels.items():
            if type_id in types and output.predicted[row, types.index(type_id)]:
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
    real = np.flatnonzero(corpus == REAL_CORPUS)
    if len(real):
        from clauseclf.predictions import predictions_from_output
        from clauseclf.scoring import score_predictions

        rows = [records[int(i)] for i in real]
        scores = score_predictions(
            predictions_from_output(_rows(output, real), types, severity_scale),
            rows,
            types,
            random_part=[r.part == "random" for r in rows],
        )
        metrics["real"] = scores.to_dict()
    confidence, correct = top_label_correctness(output, records, types)
    metrics["calibration"] = {
        "ece": expected_calibration_error(confidence, correct),
        "accuracy": float(correct.mean()) if len(correct) else 0.0,
        "mean_confidence": float(confidence.mean()) if len(confidence) else 0.0,
        "clauses": len(correct),
    }
    return metrics


def _rows(output: HeadOutput, rows: np.ndarray) -> HeadOutput:
    return HeadOutput(
        output.probabilities[rows],
        output.predicted[rows],
        output.severity[rows],
        output.confidence[rows],
        output.top[rows],
        output.ranked_first[rows],
    )


def out_of_fold_output(
    folds: Sequence[tuple[np.ndarray, ClauseHead]],
    texts: Sequence[str],
    embeddings: np.ndarray,
) -> HeadOutput:
    """Each cross-validated head's predictions on its own test rows, put back in row order."""
    head = folds[0][1]
    n, t = len(texts), len(head.types)
    probabilities, predicted = np.zeros((n, t)), np.zeros((n, t), dtype=bool)
    severity, confidence = np.zeros((n, t), dtype=np.int64), np.zeros(n)
    top, first = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    for rows, fold_head in folds:
        out = fold_head.predict([texts[i] for i in rows], embeddings[rows])
        probabilities[rows], predicted[rows] = out.probabilities, out.predicted
        severity[rows], confidence[rows], top[rows] = out.severity, out.confidence, out.top
        first[rows] = out.ranked_first
    return HeadOutput(probabilities, predicted, severity, confidence, top, first)


def evaluate_folds(
    folds: Sequence[tuple[np.ndarray, ClauseHead]],
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
) -> dict[str, Any]:
    """Out-of-fold metrics of cross-validated heads (each predicts its own test rows)."""
    head = folds[0][1]
    output = out_of_fold_output(folds, texts, embeddings)
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
    real = metrics.get("real")
    if real:
        for key in (
            "micro_f1",
            "macro_f1",
            "predicted_types_right",
            "other_left_empty",
            "severity_exact",
            "high_flags_right",
            "label_accuracy",
            "ece",
        ):
            if real[key] is not None:
                summary[f"real_{key}"] = round(float(real[key]), 4)
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
    real = metrics.get("real")
    if real:
        lines.append(
            f"Real clauses (every type checked), as users see them: {real['clauses']} clauses, "
            f"micro-F1 {real['micro_f1']:.3f}, macro-F1 {real['macro_f1']:.3f} "
            f"({real['macro_types']} types with 20+ positives)"
        )
        for type_id, s in real["per_type"].items():
            lines.append(
                f"  {type_id:<26} P {s['precision']:.3f}  R {s['recall']:.3f}  "
                f"F1 {s['f1']:.3f}  n={s['support']}"
            )
    for key, value in metrics.get("summary", summarize(metrics)).items():
        if not key.startswith("claudette"):
            lines.append(f"{key}: {value:.3f}")
    return "\n".join(lines)
