"""Measuring clause classification: cross-validation metrics, the evaluation of a trained model on
annotation files, the reliability diagram and the model card.

Modules: ``cv_metrics`` (out-of-fold outputs of cross-validated heads and their metrics per
corpus: ``evaluate_folds``, ``evaluate_output``, ``summarize``, ``format_metrics``,
``top_label_correct``), ``report`` (``evaluate``, ``evaluation_report``: an ``EvaluationReport``
per type, severity and calibration), ``plots`` (``reliability_bins``,
``save_reliability_diagram``), ``card`` (``model_card``: the ``MODEL_CARD.md`` text). The plain
metrics (P/R/F1, micro/macro, ECE) are in ``clauseclf.metrics``. Everything public is
re-exported here: import from ``clauseclf.evaluation``.
"""

from __future__ import annotations

from clauseclf.evaluation.card import MODEL_CARD_TEMPLATE, model_card
from clauseclf.evaluation.cv_metrics import (
    CLAUDETTE_TYPES,
    REAL_CORPUS,
    evaluate_folds,
    evaluate_output,
    format_metrics,
    out_of_fold_output,
    summarize,
    top_label_correct,
    top_label_correctness,
)
from clauseclf.evaluation.plots import ReliabilityBin, reliability_bins, save_reliability_diagram
from clauseclf.evaluation.report import (
    GROUP_KEYS,
    EvaluationReport,
    SeverityScore,
    TypeScore,
    evaluate,
    evaluation_report,
)

__all__ = [
    "CLAUDETTE_TYPES",
    "GROUP_KEYS",
    "MODEL_CARD_TEMPLATE",
    "REAL_CORPUS",
    "EvaluationReport",
    "ReliabilityBin",
    "SeverityScore",
    "TypeScore",
    "evaluate",
    "evaluate_folds",
    "evaluate_output",
    "evaluation_report",
    "format_metrics",
    "model_card",
    "out_of_fold_output",
    "reliability_bins",
    "save_reliability_diagram",
    "summarize",
    "top_label_correct",
    "top_label_correctness",
]
