"""The practice map (``fit_practice_map``) behind similar-clause search, and
``PracticeEvidence``: the type ranker's practice evidence, a practice map with each practice's
type shares (``ClauseHead.rank_practices``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from clauseclf.annotations import AnnotatedClause
from clauseclf.head.output import PracticeRanking
from clauseclf.head.practices import PracticeMap, practice_id


class PracticeEvidence(BaseEstimator):  # type: ignore[misc]
    """The practice map (``fit_practice_map`` with ``C``, ``scale``, ``text_density`` and
    ``min_examples``) on the clauses that name a practice (``AnnotatedClause.case``), and each
    practice's share of each of ``types`` among them; the ranker adds ``weight`` times the
    resulting P(type) to its scores.

    Fitted: ``ranking_`` (the ``PracticeRanking`` of the head) and ``oof_scores_`` (n, T), the
    evidence for each training clause from maps fitted without its inner fold (the
    ``inner_folds`` platform-grouped folds of ``ClauseClassifier``, 0 where a fold has too few
    practices; in-sample scores when the data is too small to split)."""

    def __init__(
        self,
        types: Sequence[str],
        *,
        weight: float = 2.0,
        C: float = 0.5,
        scale: float = 6.0,
        text_density: float = 0.05,
        min_examples: int = 2,
        inner_folds: int = 3,
        random_state: int = 0,
    ) -> None:
        self.types = types
        self.weight = weight
        self.C = C
        self.scale = scale
        self.text_density = text_density
        self.min_examples = min_examples
        self.inner_folds = inner_folds
        self.random_state = random_state

    def applies(self, records: Sequence[AnnotatedClause]) -> bool:
        """Whether ``records`` name at least 2 practices with ``min_examples`` clauses each."""
        return self._enough([practice_id(r.case) for r in records if r.case])

    def fit(
        self,
        embeddings: np.ndarray,
        tfidf: sp.csr_matrix,
        records: Sequence[AnnotatedClause],
        groups: Sequence[str],
    ) -> PracticeEvidence:
        """Fit on the ``embeddings`` and TF-IDF rows (``tfidf``) of ``records`` (``groups``:
        their platforms)."""
        from clauseclf.estimators import _inner_folds

        if not self.applies(records):
            raise ValueError(
                f"practice evidence needs 2 practices with {self.min_examples}+ clauses each"
            )
        rows = np.array([i for i, r in enumerate(records) if r.case], dtype=int)
        final = self._fit_rows(embeddings, tfidf, records, rows)
        assert final is not None  # applies() checked the practices
        # the classifier's inner split (and, for data too small to split, its in-sample fallback)
        oof = final.scores(embeddings, tfidf)
        folds = _inner_folds(len(records), groups, self.inner_folds, self.random_state)
        for held_out in folds or []:
            fold = self._fit_rows(embeddings, tfidf, records, np.setdiff1d(rows, held_out))
            oof[held_out] = (
                0.0 if fold is None else fold.scores(embeddings[held_out], tfidf[held_out])
            )
        self.ranking_, self.oof_scores_ = final, oof
        return self

    def _enough(self, cases: Sequence[str]) -> bool:
        counts = Counter(cases)
        return sum(1 for n in counts.values() if n >= self.min_examples) >= 2

    def _fit_rows(
        self,
        embeddings: np.ndarray,
        tfidf: sp.csr_matrix,
        records: Sequence[AnnotatedClause],
        train: np.ndarray,
    ) -> PracticeRanking | None:
        """The evidence fitted on the clauses ``train``; None with too few practices there."""
        cases = [practice_id(records[i].case or "") for i in train]
        if not self._enough(cases):
            return None
        practices = fit_practice_map(
            embeddings[train],
            cases,
            tfidf=tfidf[train],
            C=self.C,
            scale=self.scale,
            text_density=self.text_density,
            min_examples=self.min_examples,
        )
        column = {t: j for j, t in enumerate(self.types)}
        index = {name: k for k, name in enumerate(practices.names)}
        shares = np.zeros((len(practices.names), len(self.types)))
        for i, case in zip(train, cases, strict=True):
            for type_id in records[i].labels:
                if case in index and type_id in column:
                    shares[index[case], column[type_id]] += 1.0
        shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1.0)
        return PracticeRanking(practices, shares, self.weight)


def fit_practice_map(
    embeddings: np.ndarray,
    practices: list[str],
    *,
    tfidf: sp.spmatrix | None = None,
    C: float = 0.5,
    scale: float = 6.0,
    text_density: float = 0.05,
    min_examples: int = 2,
    top_k: int = 8,
) -> PracticeMap:
    """Fit a ``PracticeMap`` on clauses (embeddings and, optionally, their TF-IDF rows) and the
    practice each one expresses.

    A class-balanced one-vs-rest LinearSVC (``C``) over the TF-IDF rows next to the
    embeddings; its scores times ``scale`` are the softmax logits. Only the ``text_density``
    share of the largest n-gram weights is kept (a sparse matrix). Practices with fewer than
    ``min_examples`` clauses are left out. The defaults were chosen by platform-grouped folds
    (``benchmarks/similarity.py``): C 0.25 to 0.5 and scale 6 to 9 tie; keeping 5% of the
    n-gram weights costs nothing measurable."""
    from sklearn.svm import LinearSVC

    if len(practices) != len(embeddings):
        raise ValueError(f"{len(embeddings)} embeddings but {len(practices)} practices")
    if tfidf is not None and tfidf.shape[0] != len(embeddings):
        raise ValueError(f"{len(embeddings)} embeddings but {tfidf.shape[0]} TF-IDF rows")
    if not 0.0 < text_density <= 1.0:
        raise ValueError(f"text_density must be in (0, 1], got {text_density}")
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be positive, got {scale}")
    names, counts = np.unique(np.asarray(practices, dtype=object), return_counts=True)
    kept = {str(name) for name, count in zip(names, counts, strict=True) if count >= min_examples}
    rows = [i for i, practice in enumerate(practices) if practice in kept]
    if len(kept) < 2:
        raise ValueError(
            f"need at least 2 practices with {min_examples}+ clauses each, got {len(kept)}"
        )
    dense = sp.csr_matrix(np.asarray(embeddings, dtype=np.float64)[rows])
    x = dense if tfidf is None else sp.hstack([sp.csr_matrix(tfidf)[rows], dense], format="csr")
    # class-balanced (p@5 0.525 -> 0.530); liblinear shuffles: a fixed seed reproduces the map
    model = LinearSVC(C=C, class_weight="balanced", random_state=0)
    model.fit(x, [practices[i] for i in rows])
    coef, intercept = model.coef_ * scale, model.intercept_ * scale
    if len(model.classes_) == 2:  # one score for the second class: softmax of (0, score)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    n_text = 0 if tfidf is None else tfidf.shape[1]
    text_weights = None
    if tfidf is not None:
        text = coef[:, :n_text].T
        kept_count = int(np.ceil(text_density * text.size))
        if kept_count < text.size:
            threshold = np.partition(np.abs(text).ravel(), text.size - kept_count)[
                text.size - kept_count
            ]
            text = np.where(np.abs(text) >= threshold, text, 0.0)
        text_weights = sp.csr_matrix(text.astype(np.float32))
    return PracticeMap(
        names=tuple(str(c) for c in model.classes_),
        weights=coef[:, n_text:].T.astype(np.float32),
        bias=intercept.astype(np.float32),
        top_k=min(top_k, len(model.classes_)),
        text_weights=text_weights,
    )
