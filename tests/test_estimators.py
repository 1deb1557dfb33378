"""ClauseClassifier follows scikit-learn's estimator rules; ClauseFeaturizer feeds it texts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from clauseclf.estimators import ClauseClassifier, ClauseFeaturizer, expected_failed_checks
from clauseclf.thresholds import choose_thresholds


@parametrize_with_checks(
    [ClauseClassifier(), ClauseClassifier(linear_model="logistic", C=4.0)],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _multilabel_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 6))
    y = np.column_stack([x[:, 0] > 0.5, x[:, 1] + x[:, 2] > 1.0, x[:, 3] < -0.8]).astype(int)
    return x, y


def test_multilabel_fit_predicts_each_type() -> None:
    x, y = _multilabel_problem()
    model = ClauseClassifier(tune_thresholds=True).fit(x, y)
    predicted = model.predict(x)
    assert predicted.shape == y.shape
    for column in range(y.shape[1]):
        agreement = np.mean(predicted[:, column] == y[:, column])
        assert agreement > 0.85, (column, agreement)
    assert np.all((model.thresholds_ >= 0.2) & (model.thresholds_ <= 0.8))
    assert np.array_equal(predicted, (model.decision_function(x) > 0).astype(int))


def test_min_precision_picks_the_best_threshold_that_keeps_precision() -> None:
    # One type: positives score 0.3-0.9; negatives crowd 0.2-0.6, so low thresholds are imprecise.
    gold = np.array([1] * 40 + [0] * 60)
    p = np.concatenate([np.linspace(0.3, 0.9, 40), np.linspace(0.2, 0.6, 60)])
    probabilities, targets = p.reshape(-1, 1), gold.reshape(-1, 1)
    calibrate = np.ones_like(targets, dtype=bool)
    free = choose_thresholds(probabilities, targets, calibrate, 0.2, 0.9, beta=1.0)
    floored = choose_thresholds(
        probabilities, targets, calibrate, 0.2, 0.9, beta=1.0, min_precision=0.95
    )

    def precision(threshold: float) -> float:
        return float(gold[p >= threshold].mean())

    assert precision(free[0]) < 0.95 <= precision(floored[0])
    grid = np.linspace(0.2, 0.9, 25)
    reaching = [g for g in grid if (p >= g).any() and precision(g) >= 0.95]
    assert floored[0] == pytest.approx(min(reaching))  # the floor binds: the most recall left
    # Out of reach: the F-0.5-best value, as without a floor and beta 0.5.
    hopeless = choose_thresholds(
        probabilities, targets, calibrate, 0.2, 0.9, beta=1.0, min_precision=1.01
    )
    precise = choose_thresholds(probabilities, targets, calibrate, 0.2, 0.9, beta=0.5)
    assert hopeless[0] == precise[0]


def test_rules_per_output_apply_to_their_own_output_only() -> None:
    gold = np.array([1] * 40 + [0] * 60)
    p = np.concatenate([np.linspace(0.3, 0.9, 40), np.linspace(0.2, 0.6, 60)])
    probabilities = np.column_stack([p, p])
    targets = np.column_stack([gold, gold])
    calibrate = np.ones_like(targets, dtype=bool)
    free = choose_thresholds(probabilities, targets, calibrate, 0.2, 0.9, beta=1.0)
    floored = choose_thresholds(
        probabilities, targets, calibrate, 0.2, 0.9, beta=1.0, min_precision=0.95
    )
    mixed = choose_thresholds(
        probabilities, targets, calibrate, 0.2, 0.9, beta=[1.0, 1.0], min_precision=[0.0, 0.95]
    )
    assert mixed[0] == free[0] and mixed[1] == floored[1]
    with pytest.raises(ValueError, match="min_precision has 3 values for 2 outputs"):
        choose_thresholds(probabilities, targets, calibrate, 0.2, 0.9, min_precision=[0, 0, 0])


def test_classifier_takes_one_rule_per_output() -> None:
    x, y = _multilabel_problem()
    n = y.shape[1]
    floors = [0.0] * (n - 1) + [0.99]
    model = ClauseClassifier(tune_thresholds=True, min_precision=floors).fit(x, y)
    alone = ClauseClassifier(tune_thresholds=True).fit(x, y)
    assert np.array_equal(model.thresholds_[:-1], alone.thresholds_[:-1])
    expected = choose_thresholds(
        model.oof_probabilities_,
        y,
        model.calibration_mask_,
        model.min_threshold,
        model.max_threshold,
        beta=1.0,
        min_precision=floors,
    )
    assert model.thresholds_[-1] == expected[-1] != alone.thresholds_[-1]
    with pytest.raises(ValueError, match="threshold_beta has 2 values"):
        ClauseClassifier(tune_thresholds=True, threshold_beta=[1.0, 1.0]).fit(x, y)
    with pytest.raises(ValueError, match="min_precision must lie in"):
        ClauseClassifier(tune_thresholds=True, min_precision=[0.5] * (n - 1) + [1.0]).fit(x, y)


def test_a_rule_list_of_the_wrong_length_is_refused_before_fitting(monkeypatch) -> None:
    x, y = _multilabel_problem()

    def fitting(*args: object, **kwargs: object) -> None:
        raise AssertionError("fitted before the rules were checked")

    monkeypatch.setattr(ClauseClassifier, "_out_of_fold_scores", fitting)
    monkeypatch.setattr(ClauseClassifier, "_fit_linear", fitting)
    with pytest.raises(ValueError, match="min_precision has 2 values for 3 outputs"):
        ClauseClassifier(tune_thresholds=True, min_precision=[0.5, 0.5]).fit(x, y)


def test_min_precision_out_of_range_is_refused() -> None:
    x, y = _multilabel_problem()
    with pytest.raises(ValueError, match="min_precision must lie in"):
        ClauseClassifier(min_precision=1.0).fit(x, y)


def test_label_weight_zero_leaves_pairs_out() -> None:
    x, y = _multilabel_problem()
    weights = np.ones(y.shape)
    # Flip the labels of type 0 on half the rows but mark them unknown: the fit must ignore them.
    noisy = y.copy()
    noisy[:150, 0] = 1 - noisy[:150, 0]
    weights[:150, 0] = 0.0
    clean = ClauseClassifier().fit(x[150:], y[150:])
    masked = ClauseClassifier().fit(x, noisy, label_weight=weights)
    assert np.allclose(masked.coef_[0], clean.coef_[0], atol=1e-6)


def test_groups_keep_platforms_together_in_calibration() -> None:
    x, y = _multilabel_problem()
    groups = [f"platform-{i % 7}" for i in range(len(x))]
    model = ClauseClassifier(inner_folds=3).fit(x, y, groups=groups)
    assert model.platt_.shape == (3, 2)
    with pytest.raises(ValueError, match="groups has 2 entries"):
        ClauseClassifier().fit(x, y, groups=["a", "b"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"linear_model": "forest"}, "linear_model must be one of"),
        ({"C": 0.0}, "C must be positive"),
        ({"min_threshold": 0.9, "max_threshold": 0.1}, "min_threshold <= max_threshold"),
    ],
)
def test_bad_parameters_are_named(params: dict[str, object], message: str) -> None:
    x, y = _multilabel_problem()
    with pytest.raises(ValueError, match=message):
        ClauseClassifier(**params).fit(x, y)  # type: ignore[arg-type]


def test_bad_label_weight_shape_is_named() -> None:
    x, y = _multilabel_problem()
    with pytest.raises(ValueError, match="label_weight has shape"):
        ClauseClassifier().fit(x, y, label_weight=np.ones((3, 3)))


def test_featurizer_pipeline_on_texts(fake_encoder) -> None:
    from conftest import synthetic_records

    records = synthetic_records()
    texts = [r.text for r in records]
    types = sorted({t for r in records for t in r.labels})
    y = np.array([[t in r.labels for t in types] for r in records], dtype=int)
    pipeline = make_pipeline(ClauseFeaturizer(encoder=fake_encoder), ClauseClassifier())
    pipeline.fit(texts, y)
    featurizer = pipeline[0]
    assert featurizer.encoder is fake_encoder  # parameters are not replaced by fit
    features = featurizer.transform(texts[:3])
    assert features.shape == (3, featurizer.n_features_out_)
    predicted = pipeline.predict(texts)
    assert predicted.shape == y.shape
    assert np.mean(predicted == y) > 0.9


def test_featurizer_refuses_a_single_string(fake_encoder) -> None:
    with pytest.raises(TypeError, match="single string"):
        ClauseFeaturizer(encoder=fake_encoder).fit("We may change these terms.")
    with pytest.raises(TypeError, match="text #1 is int"):
        ClauseFeaturizer(encoder=fake_encoder).fit(["a clause", 3])  # type: ignore[list-item]  # the wrong type on purpose
