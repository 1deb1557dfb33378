"""Source selection: per type, train on every clause or only on the fully checked ones
(``TrainingConfig.select_sources``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from clauseclf.estimators import ClauseClassifier
from clauseclf.metrics import prf
from clauseclf.training.config import TrainingConfig
from clauseclf.training.labels import LabelMatrix


def select_sources(
    x: sp.csr_matrix,
    labels: LabelMatrix,
    groups: Sequence[str],
    types: Sequence[str],
    config: TrainingConfig,
    seed: int,
) -> tuple[np.ndarray, dict[str, str]]:
    """Per type, keep every clause or only the fully checked ones, whichever has the higher
    out-of-fold F1 on the fully checked clauses; returns the label weights and the choices
    (type -> "all" or "checked", for the types with enough checked clauses)."""
    checked_only = np.where(labels.informative, labels.weight, 0.0)
    columns = [
        c
        for c in range(len(types))
        if labels.y[labels.informative[:, c], c].sum() >= config.min_checked_positives
        and labels.informative[:, c].sum() >= config.min_checked_clauses
        and checked_only[:, c].sum() < labels.weight[:, c].sum()
    ]
    weights = labels.weight.copy()
    choices: dict[str, str] = {}
    if not columns:
        return weights, choices
    scores = {}
    for name, candidate in (("all", labels.weight), ("checked", checked_only)):
        probe = ClauseClassifier(
            C=config.C,
            linear_model=config.linear_model,
            inner_folds=config.inner_folds,
            tune_thresholds=True,
            random_state=seed,
        )
        probe.fit(
            x,
            labels.y[:, columns],
            label_weight=candidate[:, columns],
            calibration_mask=labels.informative[:, columns],
            groups=groups,
        )
        predicted = probe.oof_probabilities_ >= probe.thresholds_
        scores[name] = [
            prf(
                labels.y[labels.informative[:, c], c].astype(bool),
                predicted[labels.informative[:, c], k],
            )[2]
            for k, c in enumerate(columns)
        ]
    for k, column in enumerate(columns):
        if scores["checked"][k] > scores["all"][k]:
            weights[:, column] = checked_only[:, column]
            choices[types[column]] = "checked"
        else:
            choices[types[column]] = "all"
    return weights, choices
