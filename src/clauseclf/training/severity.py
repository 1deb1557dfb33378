"""``SeverityModel``: the severity level of each type, learned from the levels its positives
carry; ``ClauseHead`` keeps its ``weights_`` and ``bias_``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from clauseclf.annotations import AnnotatedClause
from clauseclf.head.output import NEVER_LEVEL_BIAS

#: The bias of a level a type never takes: far below any score.
NEVER = NEVER_LEVEL_BIAS


class SeverityModel(BaseEstimator):  # type: ignore[misc]
    """One multinomial logistic regression per type (``C``, levels weighted by
    ``class_weight``: ``"balanced"``, ``"sqrt"`` or ``"none"``) on its positives: those of
    ``corpora`` where a type has at least ``min_examples`` of them, else all its positives.
    A type with one level (or a second level seen under 3 times) always gets its most common
    level; a type with no positives the first level of ``scale``.

    Fitted: ``weights_`` (T, F, L) and ``bias_`` (T, L), for ``types`` and the levels of
    ``scale``; the predicted level is the argmax of ``features @ weights_[t] + bias_[t]``."""

    def __init__(
        self,
        types: Sequence[str],
        scale: Sequence[str],
        *,
        C: float = 10.0,
        class_weight: str = "balanced",
        corpora: Sequence[str] = (),
        min_examples: int = 30,
    ) -> None:
        self.types = types
        self.scale = scale
        self.C = C
        self.class_weight = class_weight
        self.corpora = corpora
        self.min_examples = min_examples

    def fit(self, X: sp.csr_matrix, records: Sequence[AnnotatedClause]) -> SeverityModel:
        """Fit on the feature rows ``X`` of ``records`` (their labels carry the levels)."""
        from sklearn.linear_model import LogisticRegression

        scale = list(self.scale)
        n_levels = len(scale)
        weights = np.zeros((len(self.types), X.shape[1], n_levels), dtype=np.float64)
        bias = np.full((len(self.types), n_levels), NEVER)
        for column, type_id in enumerate(self.types):
            rows = [i for i, r in enumerate(records) if type_id in r.labels]
            preferred = [i for i in rows if records[i].corpus in self.corpora]
            if len(preferred) >= self.min_examples:
                rows = preferred
            levels = np.array([scale.index(records[i].labels[type_id]) for i in rows], dtype=int)
            if len(levels) == 0:
                bias[column, 0] = 0.0
                continue
            present, counts = np.unique(levels, return_counts=True)
            if len(present) < 2 or np.sort(counts)[-2] < 3:
                bias[column, present[np.argmax(counts)]] = 0.0
                continue
            model = LogisticRegression(
                C=self.C,
                class_weight=_class_weight(levels, self.class_weight),
                max_iter=2000,
            )
            model.fit(X[rows], levels)
            classes = model.classes_
            if len(classes) == 2:
                weights[column][:, classes[1]] = model.coef_[0]
                bias[column, classes[0]] = 0.0
                bias[column, classes[1]] = model.intercept_[0]
            else:
                for k, level in enumerate(classes):
                    weights[column][:, level] = model.coef_[k]
                    bias[column, level] = model.intercept_[k]
        self.weights_, self.bias_ = weights, bias
        return self


def _class_weight(levels: np.ndarray, mode: str) -> dict[int, float] | None:
    present, counts = np.unique(levels, return_counts=True)
    if mode == "none":
        return None
    if mode not in ("balanced", "sqrt"):
        raise ValueError(f"severity_class_weight must be balanced, sqrt or none, got {mode!r}")
    power = 1.0 if mode == "balanced" else 0.5
    weights = (len(levels) / (len(present) * counts)) ** power
    return {int(level): float(w) for level, w in zip(present, weights, strict=True)}
