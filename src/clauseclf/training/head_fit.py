"""Fitting a head: ``HeadEstimator`` composes the learned parts (the per-type classifiers with
their calibration and thresholds, severity, the type ranker with its practice evidence, the
confidence curve) and ``to_head()`` turns them into the numpy ``ClauseHead`` that loads without
scikit-learn; ``fit_head`` does both in one call, ``fit_text_features`` fits the features."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from clauseclf.annotations import AnnotatedClause, platforms
from clauseclf.estimators import ClauseClassifier, fit_char_tfidf, fit_tfidf
from clauseclf.evaluation.cv_metrics import top_label_correct
from clauseclf.head.core import ClauseHead
from clauseclf.head.features import TextFeatures
from clauseclf.head.output import (
    cue_gate,
    most_probable_predicted,
    ranked_top,
    top_label_probability,
)
from clauseclf.taxonomy import Taxonomy, default_taxonomy
from clauseclf.training.confidence import ConfidenceCurve
from clauseclf.training.config import TrainingConfig
from clauseclf.training.labels import _calibration_mask, label_matrix, threshold_mask
from clauseclf.training.practices import PracticeEvidence
from clauseclf.training.ranking import TypeRanker
from clauseclf.training.severity import SeverityModel
from clauseclf.training.sources import select_sources

#: The confidence curve is fitted on the ``calibration_corpora`` clauses alone when at least
#: this many of them have a known top label.
MIN_PREFERRED_CONFIDENCE = 50


def fit_text_features(
    texts: Sequence[str], embedding_dim: int, config: TrainingConfig | None = None
) -> TextFeatures:
    """The head's features (``TextFeatures``): the word and (with a positive ``char_weight``)
    character TF-IDF vocabularies fitted on ``texts``, the weights of ``config``."""
    config = config or TrainingConfig()
    vocabulary, idf = fit_tfidf(texts, config.min_df, config.max_features)
    chars, char_idf = (
        fit_char_tfidf(texts, config.min_df, config.char_max_features)
        if config.char_weight > 0
        else ([], None)
    )
    return TextFeatures(
        vocabulary,
        idf,
        embedding_dim,
        config.embedding_weight,
        stance_weight=config.stance_weight,
        char_vocabulary=chars,
        char_idf=char_idf,
        char_weight=config.char_weight,
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
    """Fit a head on clause ``texts``, their ``embeddings`` and annotation ``records``:
    ``HeadEstimator(config, taxonomy, seed).fit(texts, embeddings, records).to_head()``."""
    estimator = HeadEstimator(config, taxonomy, seed)
    return estimator.fit(texts, embeddings, records).to_head()


class HeadEstimator(BaseEstimator):  # type: ignore[misc]
    """The head's learned parts, fitted together with the hyper-parameters of ``config``
    (default ``TrainingConfig()``) for the types of ``taxonomy`` (default: the package's),
    every random choice seeded by ``seed``.

    Fitted: ``features_`` (``TextFeatures``), ``classifier_`` (``ClauseClassifier``: per-type
    linear models, Platt calibration, thresholds), ``sources_`` (source selection's choice per
    type), ``required_cues_``, ``ranker_`` (``TypeRanker``, None without ``rank_types`` or with
    fewer than 2 types labelled), ``practices_`` (``PracticeEvidence``, None without a ranker,
    with ``practice_rank_weight`` 0 or too few practices), ``confidence_``
    (``ConfidenceCurve``, fitted on the out-of-fold top labels) and ``severity_``
    (``SeverityModel``); ``to_head()`` is the ``ClauseHead`` they make."""

    def __init__(
        self,
        config: TrainingConfig | None = None,
        taxonomy: Taxonomy | None = None,
        seed: int = 0,
    ) -> None:
        self.config = config
        self.taxonomy = taxonomy
        self.seed = seed

    def fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        records: Sequence[AnnotatedClause],
    ) -> HeadEstimator:
        """Fit on clause ``texts``, their ``embeddings`` and annotation ``records``.

        BLAS runs on one thread here: the fit is thousands of tiny solves (Platt scaling, the
        per-type linear models), for which starting and syncing a BLAS thread per core costs
        more than it saves, several times over on a busy machine; one thread also makes the
        result independent of the core count."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            self._fit(texts, embeddings, records)
        return self

    def to_head(self) -> ClauseHead:
        """The fitted head as a ``ClauseHead`` (numpy arrays only)."""
        check_is_fitted(self, "severity_")
        classifier = self.classifier_
        ranker, practices = self.ranker_, self.practices_
        return ClauseHead(
            types=self.types_,
            severity_scale=self.severity_scale_,
            features=self.features_,
            type_weights=classifier.coef_.T.copy(),
            type_bias=classifier.intercept_.copy(),
            platt=classifier.platt_.copy(),
            thresholds=classifier.thresholds_.copy(),
            severity_weights=self.severity_.weights_,
            severity_bias=self.severity_.bias_.copy(),
            confidence_curve=self.confidence_.curve_.copy(),
            rank_weights=None if ranker is None else ranker.coef_.copy(),
            rank_bias=None if ranker is None else ranker.intercept_.copy(),
            rank_practices=None if practices is None else practices.ranking_,
            required_cues=self.required_cues_,
            top_severity_gate=self.config_.top_severity_gate,
            settings={
                "config": asdict(self.config_),
                "seed": self.seed,
                "sources": dict(self.sources_),
            },
        )

    def _fit(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray,
        records: Sequence[AnnotatedClause],
    ) -> None:
        taxonomy = self.taxonomy or default_taxonomy()
        config = self.config or TrainingConfig()
        seed = self.seed
        if not (len(texts) == len(records) == embeddings.shape[0]):
            raise ValueError(
                f"texts ({len(texts)}), embeddings ({embeddings.shape[0]}) and records "
                f"({len(records)}) must have the same length"
            )
        types = taxonomy.type_ids
        betas, floors, limits = config.threshold_rules(types)
        self.config_, self.types_, self.severity_scale_ = config, types, taxonomy.severity_scale
        self.features_ = fit_text_features(texts, embeddings.shape[1], config)
        x = self.features_.transform(texts, embeddings)

        labels = label_matrix(records, types, config.weak_negative_weight)
        groups = platforms(records)
        preferred = np.array([r.corpus in config.calibration_corpora for r in records], dtype=bool)
        calibration = _calibration_mask(labels, config.calibrate_on_full_checks, preferred)
        label_weight, self.sources_ = labels.weight, dict[str, str]()
        if config.select_sources:
            label_weight, self.sources_ = select_sources(x, labels, groups, types, config, seed)
        self.classifier_ = ClauseClassifier(
            C=config.C,
            linear_model=config.linear_model,
            inner_folds=config.inner_folds,
            tune_thresholds=True,
            max_threshold=config.max_threshold,
            threshold_beta=betas,
            min_precision=floors,
            random_state=seed,
        ).fit(
            x,
            labels.y,
            label_weight=label_weight,
            calibration_mask=calibration,
            threshold_mask=threshold_mask(
                calibration,
                labels.y,
                [r.corpus for r in records],
                limits,
            ),
            groups=groups,
        )
        self.required_cues_ = {t: cue for t, cue in config.required_cues if t in types}
        oof_probabilities = self.classifier_.oof_probabilities_ * cue_gate(
            texts, types, self.required_cues_
        )
        oof_predicted = oof_probabilities >= self.classifier_.thresholds_

        self.ranker_: TypeRanker | None = None
        self.practices_: PracticeEvidence | None = None
        ranker = TypeRanker(types, C=config.C, inner_folds=config.inner_folds, random_state=seed)
        if config.rank_types and ranker.applies(records):
            self.ranker_ = ranker.fit(x, records, groups)
            evidence = PracticeEvidence(
                types,
                weight=config.practice_rank_weight,
                C=config.practice_C,
                scale=config.practice_scale,
                text_density=config.practice_text_density,
                min_examples=config.practice_min_examples,
                inner_folds=config.inner_folds,
                random_state=seed,
            )
            if config.practice_rank_weight > 0 and evidence.applies(records):
                tfidf = x[:, : len(self.features_.vocabulary)]  # the TF-IDF block leads
                self.practices_ = evidence.fit(embeddings, tfidf, records, groups)
        if self.ranker_ is None:
            oof_top = most_probable_predicted(oof_probabilities, oof_predicted)
        else:
            oof_scores = self.ranker_.oof_scores_
            if self.practices_ is not None:
                oof_scores = oof_scores + self.practices_.oof_scores_
            oof_top = ranked_top(oof_scores, oof_predicted)

        correct = top_label_correct(oof_probabilities, oof_predicted, records, types, oof_top)
        known = ~np.isnan(correct)
        if (known & preferred).sum() >= MIN_PREFERRED_CONFIDENCE:
            known &= preferred
        top = top_label_probability(oof_probabilities, oof_predicted, oof_top)[known]
        self.confidence_ = ConfidenceCurve().fit(top, correct[known])
        self.severity_ = SeverityModel(
            types,
            taxonomy.severity_scale,
            C=config.severity_C,
            class_weight=config.severity_class_weight,
            corpora=config.severity_corpora,
            min_examples=config.min_severity_examples,
        ).fit(x, records)
