"""Fitting a head: the features (``fit_text_features``), the per-type classifiers with their
calibration and thresholds, severity per type and the confidence curve (``fit_head``); the type
ranker and its practice evidence come from ``clauseclf.training.ranking``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
import scipy.sparse as sp

from clauseclf.annotations import AnnotatedClause, platforms
from clauseclf.evaluation.cv_metrics import top_label_correct
from clauseclf.head.core import ClauseHead
from clauseclf.head.features import TextFeatures
from clauseclf.head.output import (
    cue_gate,
    most_probable_predicted,
    ranked_top,
    top_label_probability,
)
from clauseclf.metrics import prf
from clauseclf.taxonomy import Taxonomy, default_taxonomy
from clauseclf.training.config import TrainingConfig
from clauseclf.training.labels import LabelMatrix, _calibration_mask, label_matrix
from clauseclf.training.ranking import _fit_practice_ranking, _fit_ranker


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
