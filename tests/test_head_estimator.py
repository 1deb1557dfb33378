"""``HeadEstimator`` and its parts follow scikit-learn's estimator rules: ``__init__`` stores
the parameters only, ``fit`` sets the attributes ending in ``_``, and ``to_head()`` turns the
fitted parts into the head ``fit_head`` returns. (That ``fit_head`` gives the same numbers as
before it became ``HeadEstimator``: ``test_head_fit_golden.py``.)"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

from clauseclf.head import ClauseHead
from clauseclf.taxonomy import default_taxonomy
from clauseclf.training import (
    ConfidenceCurve,
    HeadEstimator,
    PracticeEvidence,
    SeverityModel,
    TrainingConfig,
    TypeRanker,
    fit_head,
)
from conftest import synthetic_records

TYPES = default_taxonomy().type_ids
SCALE = default_taxonomy().severity_scale
CONFIG = TrainingConfig(min_df=1)


@pytest.fixture(scope="module")
def data(fake_encoder):
    records = [  # practices named for the practice evidence
        replace(r, case=f"practice {k % 4}") if k < 40 else r
        for k, r in enumerate(synthetic_records())
    ]
    texts = [r.text for r in records]
    return texts, fake_encoder.encode(texts), records


@pytest.fixture(scope="module")
def fitted(data):
    return HeadEstimator(CONFIG, seed=1).fit(*data)


ESTIMATORS = [
    HeadEstimator(CONFIG, default_taxonomy(), 4),
    SeverityModel(TYPES, SCALE, C=2.0, corpora=("real",)),
    TypeRanker(TYPES, C=2.0, inner_folds=2, random_state=3),
    PracticeEvidence(TYPES, weight=1.0, scale=9.0),
    ConfidenceCurve(),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_init_stores_the_parameters_only(estimator):
    check_no_attributes_set_in_init(type(estimator).__name__, estimator)
    copy = clone(estimator)
    assert type(copy) is type(estimator)
    assert repr(copy) == repr(estimator)
    assert not [name for name in vars(copy) if name.endswith("_")]


def test_to_head_is_the_head_fit_head_returns(data, fitted):
    head = fitted.to_head()
    assert isinstance(head, ClauseHead)
    expected = fit_head(*data, seed=1, config=CONFIG)
    for name in ("type_weights", "platt", "thresholds", "severity_weights", "confidence_curve"):
        np.testing.assert_array_equal(getattr(head, name), getattr(expected, name))
    np.testing.assert_array_equal(head.rank_weights, expected.rank_weights)
    assert head.settings == expected.settings
    assert expected.rank_practices is not None and head.rank_practices is not None
    assert head.rank_practices.practices.names == expected.rank_practices.practices.names


def test_the_fitted_parts_are_the_head(data, fitted):
    head = fitted.to_head()
    np.testing.assert_array_equal(head.type_weights, fitted.classifier_.coef_.T.astype(np.float32))
    np.testing.assert_array_equal(head.rank_weights, fitted.ranker_.coef_)
    np.testing.assert_array_equal(head.severity_bias, fitted.severity_.bias_)
    np.testing.assert_array_equal(head.confidence_curve, fitted.confidence_.curve_)
    assert head.rank_practices is fitted.practices_.ranking_
    assert fitted.ranker_.oof_scores_.shape == (len(data[2]), len(TYPES))
    assert fitted.practices_.oof_scores_.shape == (len(data[2]), len(TYPES))
    # the head owns its arrays: changing it leaves the estimator as fitted
    head.rank_bias[:] = 0.0
    assert fitted.ranker_.intercept_.any()


def test_a_part_fits_on_its_own(data, fitted):
    texts, embeddings, records = data
    x = fitted.features_.transform(texts, embeddings)
    severity = SeverityModel(
        TYPES,
        SCALE,
        C=CONFIG.severity_C,
        class_weight=CONFIG.severity_class_weight,
        corpora=CONFIG.severity_corpora,
        min_examples=CONFIG.min_severity_examples,
    ).fit(x, records)
    np.testing.assert_array_equal(severity.weights_, fitted.severity_.weights_)
    assert severity.weights_.shape == (len(TYPES), x.shape[1], len(SCALE))


def test_to_head_needs_a_fit():
    with pytest.raises(NotFittedError):
        HeadEstimator().to_head()


def test_without_a_ranker_the_head_has_none(data):
    estimator = HeadEstimator(TrainingConfig(min_df=1, rank_types=False)).fit(*data)
    assert estimator.ranker_ is None and estimator.practices_ is None
    head = estimator.to_head()
    assert head.rank_weights is None and head.rank_practices is None


def test_parts_refuse_data_they_cannot_fit(data, fitted):
    texts, embeddings, records = data
    x = fitted.features_.transform(texts, embeddings)
    one_type = [replace(r, labels={"arbitration": "high"} if r.labels else {}) for r in records]
    ranker = TypeRanker(TYPES)
    assert not ranker.applies(one_type)
    with pytest.raises(ValueError, match="at least 2 types"):
        ranker.fit(x, one_type, [r.platform for r in records])
    evidence = PracticeEvidence(TYPES, min_examples=100)
    assert not evidence.applies(records)
    with pytest.raises(ValueError, match="2 practices with 100"):
        evidence.fit(embeddings, x[:, : len(fitted.features_.vocabulary)], records, [])
