"""scikit-learn estimators: the trainable clause-type head and the text featurizer.

``ClauseClassifier`` is the type head of clauseclf as a scikit-learn classifier: one linear model
per type (one-vs-rest), a Platt calibration per type fitted on out-of-fold scores and, for
multi-label targets, a decision threshold per type chosen on the same out-of-fold probabilities.
It takes any numeric feature matrix; ``ClauseFeaturizer`` turns clause texts into the features the
shipped model uses (TF-IDF word 1-2 grams next to weighted sentence embeddings)::

    from sklearn.pipeline import make_pipeline
    pipeline = make_pipeline(ClauseFeaturizer(), ClauseClassifier())
    pipeline.fit(texts, indicator_matrix)

Partial labels (a type the annotator never checked) are passed as ``label_weight`` to ``fit``:
weight 0 leaves a (clause, type) pair out, a small weight makes it a weak negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from clauseclf._texts import text_list
from clauseclf.errors import require_extra
from clauseclf.thresholds import choose_thresholds, per_output

require_extra("sklearn", "train", "the scikit-learn estimators")

from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin  # noqa: E402
from sklearn.utils.multiclass import type_of_target  # noqa: E402
from sklearn.utils.validation import check_is_fitted, validate_data  # noqa: E402

__all__ = ["ClauseClassifier", "ClauseFeaturizer"]

LINEAR_MODELS = ("svc", "logistic")

# scikit-learn's own LinearSVC expects the same two failures: its dual solver is stochastic, so a
# weight of 2 differs slightly from a repeated sample (see ``expected_failed_checks``).
_SVC_REASON = "sample_weight is not equivalent to removing/repeating samples (stochastic solver)"
_SVC_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _SVC_REASON,
    "check_sample_weight_equivalence_on_sparse_data": _SVC_REASON,
}


def expected_failed_checks(estimator: ClauseClassifier) -> dict[str, str]:
    """The scikit-learn checks ``estimator`` is known to fail, with the reason."""
    return dict(_SVC_FAILED_CHECKS) if estimator.linear_model == "svc" else {}


class ClauseClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """One-vs-rest linear classifier with per-type Platt calibration and decision thresholds.

    ``y`` is a 1-D array of class labels (binary or multiclass: prediction is the most probable
    class) or a 2-D 0/1 indicator matrix (multi-label: a type is predicted when its calibrated
    probability reaches ``thresholds_``: 0.5, or with ``tune_thresholds`` the value in
    [min_threshold, max_threshold] that maximises the type's out-of-fold F-beta with
    ``threshold_beta``: 1 weighs precision and recall alike, below 1 favours precision; with a
    positive ``min_precision`` only among the values whose out-of-fold precision reaches it;
    both are one value or one per output).
    ``linear_model`` is ``"svc"`` (LinearSVC) or ``"logistic"`` (liblinear logistic regression);
    both are class-balanced.
    """

    def __init__(
        self,
        C: float = 0.5,
        linear_model: str = "svc",
        inner_folds: int = 3,
        tune_thresholds: bool = False,
        min_threshold: float = 0.2,
        max_threshold: float = 0.8,
        threshold_beta: float | Sequence[float] | np.ndarray = 1.0,
        min_precision: float | Sequence[float] | np.ndarray = 0.0,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.linear_model = linear_model
        self.inner_folds = inner_folds
        self.tune_thresholds = tune_thresholds
        self.min_threshold = min_threshold
        self.max_threshold = max_threshold
        self.threshold_beta = threshold_beta
        self.min_precision = min_precision
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.classifier_tags.multi_label = True
        return tags

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        label_weight: Any = None,
        calibration_mask: Any = None,
        threshold_mask: Any = None,
        groups: Sequence[Any] | None = None,
    ) -> ClauseClassifier:
        """Fit the linear models, then calibration and thresholds on out-of-fold scores.

        ``label_weight`` (n_samples, n_outputs) weighs each (sample, type) pair, 0 = unknown;
        ``calibration_mask`` marks the pairs calibration and thresholds may use (default: the
        pairs with weight 1); ``threshold_mask`` the pairs the thresholds are chosen on
        (default: ``calibration_mask``); ``groups`` keeps each group in one inner fold (e.g.
        platforms).
        ``oof_probabilities_`` holds the calibrated out-of-fold probabilities of the training
        samples (in-sample ones when the data is too small for ``inner_folds`` folds) and
        ``calibration_mask_`` the pairs calibration and thresholds were fitted on.
        """
        self._check_params()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            multi_output=True,
            dtype=np.float64,
            y_numeric=False,
        )
        target_type = type_of_target(y)
        if target_type == "continuous" or target_type == "continuous-multioutput":
            raise ValueError(f"Unknown label type: {target_type}; y must hold class labels")
        if target_type == "multiclass-multioutput":
            raise ValueError("multi-label y must be a 0/1 indicator matrix")
        self.multilabel_ = bool(np.ndim(y) == 2 and y.shape[1] > 1) or (
            np.ndim(y) == 2 and target_type == "multilabel-indicator"
        )
        if np.ndim(y) == 2 and not self.multilabel_:
            y = np.ravel(y)
        if self.multilabel_:
            self.classes_ = np.arange(y.shape[1])
            targets = np.asarray(y, dtype=np.int8)
        else:
            self.classes_, encoded = np.unique(y, return_inverse=True)
            if len(self.classes_) < 2:
                raise ValueError(
                    f"ClauseClassifier needs samples of at least 2 classes in the data, "
                    f"got 1 class: {self.classes_[0]!r}"
                )
            if len(self.classes_) == 2:
                targets = encoded.reshape(-1, 1).astype(np.int8)
            else:
                targets = np.eye(len(self.classes_), dtype=np.int8)[encoded]
        n_samples, n_outputs = targets.shape
        weights = self._pair_weights(label_weight, sample_weight, n_samples, n_outputs)
        if calibration_mask is None:
            calibrate = weights >= 1.0
        else:
            calibrate = np.asarray(calibration_mask, dtype=bool)
            if calibrate.shape != targets.shape:
                raise ValueError(
                    f"calibration_mask has shape {calibrate.shape}, expected {targets.shape}"
                )
        choose_on = calibrate
        if threshold_mask is not None:
            choose_on = np.asarray(threshold_mask, dtype=bool)
            if choose_on.shape != targets.shape:
                raise ValueError(
                    f"threshold_mask has shape {choose_on.shape}, expected {targets.shape}"
                )
        if groups is not None and len(groups) != n_samples:
            raise ValueError(f"groups has {len(groups)} entries for {n_samples} samples")
        tune = self.multilabel_ and self.tune_thresholds
        if tune:  # one rule per output: checked before the fitting, not after it
            betas = per_output(self.threshold_beta, n_outputs, "threshold_beta")
            floors = per_output(self.min_precision, n_outputs, "min_precision")

        oof_scores = self._out_of_fold_scores(X, targets, weights, groups)
        self.coef_, self.intercept_ = self._fit_linear(X, targets, weights)
        if oof_scores is None:
            oof_scores = self._raw_scores(X)
        self.platt_ = _fit_platt(oof_scores, targets, weights, calibrate)
        probabilities = _sigmoid(oof_scores * self.platt_[:, 0] + self.platt_[:, 1])
        self.oof_probabilities_ = probabilities
        self.calibration_mask_ = calibrate
        if tune:
            self.thresholds_ = choose_thresholds(
                probabilities,
                targets,
                choose_on,
                self.min_threshold,
                self.max_threshold,
                betas,
                floors,
            )
        else:
            self.thresholds_ = np.full(n_outputs, 0.5)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated log-odds minus the threshold's log-odds: positive means predicted."""
        logits = self._calibrated_logits(X) - _logit(self.thresholds_)
        return np.asarray(logits[:, 0] if logits.shape[1] == 1 else logits)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Per-type probabilities (multi-label) or class probabilities summing to 1."""
        probabilities = _sigmoid(self._calibrated_logits(X))
        if self.multilabel_:
            return probabilities
        if probabilities.shape[1] == 1:
            return np.hstack([1.0 - probabilities, probabilities])
        total = probabilities.sum(axis=1, keepdims=True)
        return probabilities / np.where(total > 0, total, 1.0)

    def predict(self, X: Any) -> np.ndarray:
        """Indicator matrix (multi-label) or the most probable class of each sample."""
        probabilities = self.predict_proba(X)
        if self.multilabel_:
            return (probabilities >= self.thresholds_).astype(np.int64)
        return np.asarray(self.classes_[np.argmax(probabilities, axis=1)])

    # -- internals -------------------------------------------------------------------------

    def _check_params(self) -> None:
        if self.linear_model not in LINEAR_MODELS:
            raise ValueError(
                f"linear_model must be one of {LINEAR_MODELS}, got {self.linear_model!r}"
            )
        if not self.C > 0:
            raise ValueError(f"C must be positive, got {self.C!r}")
        if not 0.0 < self.min_threshold <= self.max_threshold < 1.0:
            raise ValueError(
                "thresholds must satisfy 0 < min_threshold <= max_threshold < 1, got "
                f"{self.min_threshold!r} and {self.max_threshold!r}"
            )
        betas = np.asarray(self.threshold_beta, dtype=np.float64)
        if betas.ndim > 1 or not np.all(betas > 0):
            raise ValueError(
                f"threshold_beta must be positive (one value or one per output), "
                f"got {self.threshold_beta!r}"
            )
        floors = np.asarray(self.min_precision, dtype=np.float64)
        if floors.ndim > 1 or not np.all((floors >= 0.0) & (floors < 1.0)):
            raise ValueError(
                f"min_precision must lie in [0, 1) (one value or one per output), "
                f"got {self.min_precision!r}"
            )

    @staticmethod
    def _pair_weights(
        label_weight: Any, sample_weight: Any, n_samples: int, n_outputs: int
    ) -> np.ndarray:
        weights = np.ones((n_samples, n_outputs))
        if label_weight is not None:
            label_weight = np.asarray(label_weight, dtype=np.float64)
            if label_weight.ndim == 1:
                label_weight = label_weight.reshape(-1, 1)
            if label_weight.shape != (n_samples, n_outputs):
                raise ValueError(
                    f"label_weight has shape {label_weight.shape}, expected "
                    f"{(n_samples, n_outputs)}"
                )
            weights = weights * label_weight
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64)
            if sample_weight.shape != (n_samples,):
                raise ValueError(
                    f"sample_weight has shape {sample_weight.shape}, expected ({n_samples},)"
                )
            weights = weights * sample_weight[:, None]
        if not np.all(np.isfinite(weights)) or np.any(weights < 0):
            raise ValueError("weights must be finite and non-negative")
        if not np.any(weights > 0):
            raise ValueError("all sample weights are zero: nothing to fit")
        return weights

    def _fit_linear(
        self, x: Any, targets: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC

        n_outputs = targets.shape[1]
        coef = np.zeros((n_outputs, x.shape[1]))
        intercept = np.full(n_outputs, -10.0)
        for column in range(n_outputs):
            rows = weights[:, column] > 0
            y = targets[rows, column]
            if y.size == 0 or y.min() == y.max():
                # never (or, if every known pair is positive, always) predicted
                intercept[column] = 10.0 if y.size and y.max() == 1 else -10.0
                continue
            model: Any
            if self.linear_model == "svc":
                model = LinearSVC(
                    C=self.C,
                    class_weight="balanced",
                    random_state=self.random_state,
                    max_iter=5000,
                )
            else:
                model = LogisticRegression(
                    C=self.C,
                    class_weight="balanced",
                    solver="liblinear",
                    max_iter=3000,
                    random_state=self.random_state,
                )
            model.fit(x[rows], y, sample_weight=weights[rows, column])
            coef[column] = model.coef_[0]
            intercept[column] = model.intercept_[0]
        return coef, intercept

    def _out_of_fold_scores(
        self, x: Any, targets: np.ndarray, weights: np.ndarray, groups: Sequence[Any] | None
    ) -> np.ndarray | None:
        folds = _inner_folds(targets.shape[0], groups, self.inner_folds, self.random_state)
        if folds is None:
            return None
        scores = np.zeros(targets.shape)
        for test_rows in folds:
            train_rows = np.setdiff1d(np.arange(targets.shape[0]), test_rows)
            coef, intercept = self._fit_linear(
                x[train_rows], targets[train_rows], weights[train_rows]
            )
            scores[test_rows] = np.asarray(x[test_rows] @ coef.T) + intercept
        return scores

    def _raw_scores(self, x: Any) -> np.ndarray:
        return np.asarray(x @ self.coef_.T + self.intercept_)

    def _calibrated_logits(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "platt_")
        x = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return np.asarray(self._raw_scores(x) * self.platt_[:, 0] + self.platt_[:, 1])


def _inner_folds(
    n_samples: int, groups: Sequence[Any] | None, n_folds: int, seed: int
) -> list[np.ndarray] | None:
    """Test rows of the inner split (grouped if ``groups`` is given); None if data is too small."""
    if groups is not None:
        unique = sorted(set(groups), key=str)
        if n_folds < 2 or len(unique) < n_folds:
            return None
        order = np.random.default_rng(seed).permutation(len(unique))
        fold_of = {unique[i]: rank % n_folds for rank, i in enumerate(order)}
        assignment = np.array([fold_of[g] for g in groups])
    else:
        if n_folds < 2 or n_samples < 10 * n_folds:
            return None
        assignment = np.random.default_rng(seed).permutation(n_samples) % n_folds
    return [np.flatnonzero(assignment == k) for k in range(n_folds)]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64))))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-9, 1 - 1e-9)
    return np.asarray(np.log(p / (1.0 - p)))


def _fit_platt(
    scores: np.ndarray, targets: np.ndarray, weights: np.ndarray, calibrate: np.ndarray
) -> np.ndarray:
    """(a, b) per output from scores, on the calibration pairs (all known pairs if too few)."""
    from sklearn.linear_model import LogisticRegression

    platt = np.tile([1.0, 0.0], (scores.shape[1], 1))
    for column in range(scores.shape[1]):
        rows = calibrate[:, column] & (weights[:, column] > 0)
        y = targets[rows, column]
        if y.sum() < 5 or (y == 0).sum() < 5:
            rows = weights[:, column] > 0
            y = targets[rows, column]
        if y.size == 0 or y.min() == y.max():
            platt[column] = [1.0, 10.0 if y.size and y.max() == 1 else -10.0]
            continue
        model = LogisticRegression(C=100.0)
        model.fit(scores[rows, column : column + 1], y, sample_weight=weights[rows, column])
        platt[column] = [model.coef_[0, 0], model.intercept_[0]]
    return platt


class ClauseFeaturizer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Clause texts -> [sublinear TF-IDF word 1-2 grams | embedding_weight * sentence embedding
    | stance_weight * stance flags | char_weight * sublinear TF-IDF character 2-5 grams (none
    when ``char_weight`` is 0)], the features of the shipped model's head (its defaults).

    ``encoder`` is any object with ``encode(texts) -> ndarray`` (default: the default model's
    encoder, loaded on first use).
    """

    def __init__(
        self,
        encoder: Any = None,
        embedding_weight: float = 0.5,
        min_df: int = 3,
        max_features: int | None = 20000,
        stance_weight: float = 1.0,
        char_weight: float = 0.7,
        char_max_features: int | None = 20000,
    ) -> None:
        self.encoder = encoder
        self.embedding_weight = embedding_weight
        self.min_df = min_df
        self.max_features = max_features
        self.stance_weight = stance_weight
        self.char_weight = char_weight
        self.char_max_features = char_max_features

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    def fit(self, X: Sequence[str], y: Any = None) -> ClauseFeaturizer:
        """Learn the n-gram vocabulary and idf from the clause texts."""
        from .head.features import TextFeatures

        texts = _texts(X)
        vocabulary, idf = fit_tfidf(texts, self.min_df, self.max_features)
        chars, char_idf = (
            fit_char_tfidf(texts, self.min_df, self.char_max_features)
            if self.char_weight > 0
            else ([], None)
        )
        if self.encoder is None:
            from .inference.default_model import default_model_dir
            from .inference.folder import load_model_encoder

            self.encoder_ = load_model_encoder(default_model_dir())
        else:
            self.encoder_ = self.encoder
        embeddings = self._embed(texts[:1])
        self.features_ = TextFeatures(
            vocabulary,
            idf,
            embeddings.shape[1],
            self.embedding_weight,
            stance_weight=self.stance_weight,
            char_vocabulary=chars,
            char_idf=char_idf,
            char_weight=self.char_weight,
        )
        self.n_features_out_ = self.features_.size
        return self

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """The feature matrix of the clause texts (sparse, one row per text)."""
        check_is_fitted(self, "features_")
        texts = _texts(X)
        return self.features_.transform(texts, self._embed(texts))

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.encoder_.encode(texts))


def _texts(X: Any) -> list[str]:
    texts = text_list(X, caller="ClauseFeaturizer")
    if not texts:
        raise ValueError("no clause texts given")
    return texts


def fit_tfidf(
    texts: Sequence[str], min_df: int, max_features: int | None
) -> tuple[list[str], np.ndarray]:
    """The n-gram vocabulary (in column order) and idf of the head's TF-IDF block, fitted on
    ``texts``: word 1-2 grams of ``TOKEN_PATTERN``, sublinear tf, in at least ``min_df`` texts
    (at most a tenth of them), the ``max_features`` most frequent."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .head.features import TOKEN_PATTERN

    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2),
        min_df=min(min_df, max(1, len(texts) // 10)),
        max_features=max_features,
        sublinear_tf=True,
        token_pattern=TOKEN_PATTERN,
    )
    vectorizer.fit(texts)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return vocabulary, np.asarray(vectorizer.idf_)


def fit_char_tfidf(
    texts: Sequence[str], min_df: int, max_features: int | None
) -> tuple[list[str], np.ndarray]:
    """The character n-gram vocabulary (in column order) and idf of the head's character TF-IDF
    block, fitted on ``texts``: ``char_wb`` n-grams of ``CHAR_NGRAM_RANGE``, sublinear tf, in at
    least ``min_df`` texts (at most a tenth of them), the ``max_features`` most frequent."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .head.features import CHAR_NGRAM_RANGE

    vectorizer = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=CHAR_NGRAM_RANGE,
        min_df=min(min_df, max(1, len(texts) // 10)),
        max_features=max_features,
        sublinear_tf=True,
    )
    vectorizer.fit(texts)
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return vocabulary, np.asarray(vectorizer.idf_)
