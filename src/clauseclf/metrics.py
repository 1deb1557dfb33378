"""Plain metrics over boolean arrays: precision/recall/F1, multi-label scores, calibration error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


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
