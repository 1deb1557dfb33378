"""Reliability of the confidence: equal-width bins of confidence with their accuracy
(``reliability_bins``) and the reliability diagram of an ``EvaluationReport`` as a PNG
(``save_reliability_diagram``, needs matplotlib)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from clauseclf.errors import require_extra

if TYPE_CHECKING:
    from clauseclf.evaluation.report import EvaluationReport


@dataclass(frozen=True)
class ReliabilityBin:
    """One equal-width confidence bin of the reliability diagram."""

    lower: float
    upper: float
    count: int
    mean_confidence: float | None  # None for an empty bin
    accuracy: float | None


def reliability_bins(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> tuple[ReliabilityBin, ...]:
    """Equal-width bins of confidence with their accuracy (empty bins have count 0)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    out = []
    for b in range(bins):
        mask = which == b
        count = int(mask.sum())
        out.append(
            ReliabilityBin(
                float(edges[b]),
                float(edges[b + 1]),
                count,
                float(confidence[mask].mean()) if count else None,
                float(correct[mask].mean()) if count else None,
            )
        )
    return tuple(out)


def save_reliability_diagram(
    report: EvaluationReport, path: str | Path, *, title: str = "clauseclf confidence"
) -> Path:
    """Write the reliability diagram of ``report`` as a PNG (needs matplotlib: ``[plot]``)."""
    matplotlib = require_extra("matplotlib", "plot", "the reliability diagram")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    path = Path(path)
    used = [b for b in report.reliability if b.accuracy is not None]
    accuracy = [float(b.accuracy or 0.0) for b in used]
    mean_confidence = [float(b.mean_confidence or 0.0) for b in used]
    figure, axis = plt.subplots(figsize=(4.5, 4.5), dpi=120)
    try:
        axis.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
        axis.bar(
            [(b.lower + b.upper) / 2 for b in used],
            accuracy,
            width=[(b.upper - b.lower) * 0.9 for b in used],
            alpha=0.6,
            label="accuracy per bin",
        )
        axis.plot(
            mean_confidence,
            accuracy,
            marker="o",
            color="black",
            linewidth=1,
        )
        for b, height in zip(used, accuracy, strict=True):
            axis.annotate(
                str(b.count),
                ((b.lower + b.upper) / 2, height),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1.05)
        axis.set_xlabel("confidence of the top label")
        axis.set_ylabel("fraction correct")
        axis.set_title(f"{title}\nECE {report.ece:.3f}, {sum(b.count for b in used)} clauses")
        axis.legend(loc="upper left")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path
