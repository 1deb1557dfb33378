"""The type ranker (a multiclass LinearSVC that picks the top label among the predicted types),
its practice evidence, and the practice map (``fit_practice_map``) behind both it and
similar-clause search."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from clauseclf.annotations import AnnotatedClause
from clauseclf.head.output import PracticeRanking
from clauseclf.inference.practices import PracticeMap, practice_id
from clauseclf.training.config import TrainingConfig


def _fit_ranker(
    x: sp.csr_matrix,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    groups: Sequence[str],
    config: TrainingConfig,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The type ranker: a class-balanced multiclass LinearSVC over the labelled clauses (a
    clause with two types counts once for each), as (weights (F, T), bias (T,), out-of-fold
    scores (n, T) from platform-grouped inner folds); None with fewer than 2 types labelled."""
    rows = np.array([i for i, r in enumerate(records) for t in r.labels if t in types], dtype=int)
    targets = np.array([types.index(t) for r in records for t in r.labels if t in types])
    if len(set(targets.tolist())) < 2:
        return None

    def fit(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.svm import LinearSVC

        weights = np.zeros((x.shape[1], len(types)))
        bias = np.full(len(types), -1e3)  # a type never labelled here is never preferred
        present = np.unique(targets[train])
        if len(present) < 2:
            bias[present] = 0.0
            return weights, bias
        model = LinearSVC(C=config.C, class_weight="balanced", random_state=seed)
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

    from clauseclf.estimators import _inner_folds

    weights, bias = fit(np.arange(len(rows)))
    # the classifier's inner split (and, for data too small to split, its in-sample fallback)
    folds = _inner_folds(len(records), groups, config.inner_folds, seed)
    oof = np.asarray(x @ weights) + bias
    for held_out in folds or []:
        fold_weights, fold_bias = fit(np.flatnonzero(~np.isin(rows, held_out)))
        oof[held_out] = np.asarray(x[held_out] @ fold_weights) + fold_bias
    return weights.astype(np.float32), bias, oof


def _fit_practice_ranking(
    embeddings: np.ndarray,
    tfidf: sp.csr_matrix,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    groups: Sequence[str],
    config: TrainingConfig,
    seed: int,
) -> tuple[PracticeRanking, np.ndarray] | None:
    """The ranker's practice evidence: the practice map (``fit_practice_map`` on the clauses that
    name a practice) and each practice's type shares, with its out-of-fold scores (n, T) from
    the classifier's inner split; None when off or with too few practices."""
    from clauseclf.estimators import _inner_folds

    rows = np.array([i for i, r in enumerate(records) if r.case], dtype=int)
    if config.practice_rank_weight <= 0 or not len(rows):
        return None
    column = {t: j for j, t in enumerate(types)}

    def fit(train: np.ndarray) -> PracticeRanking | None:
        cases = [practice_id(records[i].case or "") for i in train]
        counts = Counter(cases)
        if sum(1 for n in counts.values() if n >= config.practice_min_examples) < 2:
            return None
        practices = fit_practice_map(
            embeddings[train],
            cases,
            tfidf=tfidf[train],
            C=config.practice_C,
            scale=config.practice_scale,
            text_density=config.practice_text_density,
            min_examples=config.practice_min_examples,
        )
        index = {name: k for k, name in enumerate(practices.names)}
        shares = np.zeros((len(practices.names), len(types)))
        for i, case in zip(train, cases, strict=True):
            for type_id in records[i].labels:
                if case in index and type_id in column:
                    shares[index[case], column[type_id]] += 1.0
        shares /= np.maximum(shares.sum(axis=1, keepdims=True), 1.0)
        return PracticeRanking(practices, shares, config.practice_rank_weight)

    final = fit(rows)
    if final is None:
        return None
    # the classifier's inner split (and, for data too small to split, its in-sample fallback)
    oof = final.scores(embeddings, tfidf)
    for held_out in _inner_folds(len(records), groups, config.inner_folds, seed) or []:
        fold = fit(np.setdiff1d(rows, held_out))
        oof[held_out] = 0.0 if fold is None else fold.scores(embeddings[held_out], tfidf[held_out])
    return final, oof


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
