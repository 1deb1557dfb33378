"""Per-type decision thresholds chosen on out-of-fold probabilities (F-beta, precision floors)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["choose_thresholds", "per_output"]


def choose_thresholds(
    probabilities: np.ndarray,
    targets: np.ndarray,
    calibrate: np.ndarray,
    low: float,
    high: float,
    beta: float | Sequence[float] | np.ndarray = 1.0,
    min_precision: float | Sequence[float] | np.ndarray = 0.0,
) -> np.ndarray:
    """Per-output threshold on a grid of 25 in [low, high] maximising F-beta on the calibration
    pairs (``calibrate``) among the grid values whose precision there reaches ``min_precision``
    (when none does, the F-0.5-best value: precision weighs more than recall); 0.5 (clipped to
    the range) for outputs with fewer than 5 positives. ``beta`` and ``min_precision`` are one
    value for every output or one per output."""
    n_outputs = probabilities.shape[1]
    betas = per_output(beta, n_outputs, "beta")
    floors = per_output(min_precision, n_outputs, "min_precision")
    grid = np.linspace(low, high, 25)
    thresholds = np.full(n_outputs, float(np.clip(0.5, low, high)))
    for column in range(n_outputs):
        rows = calibrate[:, column]
        gold = targets[rows, column].astype(bool)
        if gold.sum() < 5:
            continue
        p = probabilities[rows, column]
        scores = np.array([_f_beta(gold, p >= g, betas[column]) for g in grid])
        if floors[column] > 0:
            precision = np.array([_precision(gold, p >= g) for g in grid])
            reached = precision >= floors[column]
            if reached.any():
                scores = np.where(reached, scores, -1.0)
            else:
                scores = np.array([_f_beta(gold, p >= g, 0.5) for g in grid])
        thresholds[column] = grid[int(np.argmax(scores))]
    return thresholds


def per_output(
    value: float | Sequence[float] | np.ndarray, n_outputs: int, name: str
) -> np.ndarray:
    """``value`` as one float per output: a scalar repeated, or a sequence of ``n_outputs``."""
    values = np.asarray(value, dtype=np.float64)
    if values.ndim == 0:
        return np.full(n_outputs, float(values))
    if values.shape != (n_outputs,):
        raise ValueError(f"{name} has {values.size} values for {n_outputs} outputs")
    return values


def _precision(gold: np.ndarray, predicted: np.ndarray) -> float:
    count = float(predicted.sum())
    return float(np.sum(gold & predicted)) / count if count else 0.0


def _f_beta(gold: np.ndarray, predicted: np.ndarray, beta: float) -> float:
    tp = float(np.sum(gold & predicted))
    b2 = beta * beta
    denominator = b2 * float(gold.sum()) + float(predicted.sum())
    return (1 + b2) * tp / denominator if denominator else 0.0
