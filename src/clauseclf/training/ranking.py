"""``TypeRanker``: the multiclass LinearSVC that picks the top label among the predicted types
(``ClauseHead.rank_weights`` and ``rank_bias``)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from clauseclf.annotations import AnnotatedClause

#: The bias of a type a ranker never saw labelled: never preferred.
UNSEEN = -1e3


class TypeRanker(BaseEstimator):  # type: ignore[misc]
    """A class-balanced multiclass LinearSVC (``C``, seeded by ``random_state``) over the
    labelled clauses, a clause with two of ``types`` counting once for each.

    Fitted: ``coef_`` (F, T) float32, ``intercept_`` (T,) and ``oof_scores_`` (n, T), the
    scores of each training clause from a ranker fitted without its inner fold (the
    ``inner_folds`` platform-grouped folds of ``ClauseClassifier``; in-sample scores when the
    data is too small to split)."""

    def __init__(
        self,
        types: Sequence[str],
        *,
        C: float = 0.5,
        inner_folds: int = 3,
        random_state: int = 0,
    ) -> None:
        self.types = types
        self.C = C
        self.inner_folds = inner_folds
        self.random_state = random_state

    def applies(self, records: Sequence[AnnotatedClause]) -> bool:
        """Whether ``records`` label at least 2 of the types (the least a ranker can rank)."""
        return len(set(self._pairs(records)[1].tolist())) >= 2

    def fit(
        self, X: sp.csr_matrix, records: Sequence[AnnotatedClause], groups: Sequence[str]
    ) -> TypeRanker:
        """Fit on the feature rows ``X`` of ``records`` (``groups``: their platforms)."""
        from clauseclf.estimators import _inner_folds

        if not self.applies(records):
            raise ValueError("a type ranker needs clauses labelled with at least 2 types")
        rows, targets = self._pairs(records)
        weights, bias = self._fit_rows(X, rows, targets, np.arange(len(rows)))
        # the classifier's inner split (and, for data too small to split, its in-sample fallback)
        folds = _inner_folds(len(records), groups, self.inner_folds, self.random_state)
        oof = np.asarray(X @ weights) + bias
        for held_out in folds or []:
            train = np.flatnonzero(~np.isin(rows, held_out))
            fold_weights, fold_bias = self._fit_rows(X, rows, targets, train)
            oof[held_out] = np.asarray(X[held_out] @ fold_weights) + fold_bias
        self.coef_, self.intercept_, self.oof_scores_ = weights.astype(np.float32), bias, oof
        return self

    def _pairs(self, records: Sequence[AnnotatedClause]) -> tuple[np.ndarray, np.ndarray]:
        """(row, type column) of every labelled (clause, type) pair."""
        types = list(self.types)
        rows = np.array([i for i, r in enumerate(records) for t in r.labels if t in types], int)
        targets = np.array([types.index(t) for r in records for t in r.labels if t in types])
        return rows, targets

    def _fit_rows(
        self, x: sp.csr_matrix, rows: np.ndarray, targets: np.ndarray, train: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weights (F, T) and bias (T,) fitted on the pairs ``train``."""
        from sklearn.svm import LinearSVC

        weights = np.zeros((x.shape[1], len(self.types)))
        bias = np.full(len(self.types), UNSEEN)
        present = np.unique(targets[train])
        if len(present) < 2:
            bias[present] = 0.0
            return weights, bias
        model = LinearSVC(C=self.C, class_weight="balanced", random_state=self.random_state)
        with warnings.catch_warnings():  # a small annotation file has few clauses per type
            warnings.filterwarnings("ignore", "The number of unique classes", UserWarning)
            model.fit(x[rows[train]], targets[train])
        if len(model.classes_) == 2:
            coef, intercept = model.coef_[0] / 2, model.intercept_[0] / 2
            weights[:, model.classes_[1]], bias[model.classes_[1]] = coef, intercept
            weights[:, model.classes_[0]], bias[model.classes_[0]] = -coef, -intercept
        else:
            weights[:, model.classes_] = model.coef_.T
            bias[model.classes_] = model.intercept_
        return weights, bias
