r"""Training the head and the default model, with cross-validation grouped by platform.

Partial labels: a type the annotator checked is a strong label (positive or negative); a type
not checked for a clause (``annotated_types``) is taken as a *weak* negative, with a small sample
weight, so the 20 types CLAUDETTE never checked still see CLAUDETTE sentences as (mostly right)
negatives. Rebuild the default model with::

    python -m clauseclf.training --data ../shared/data \
        --annotations data/annotations/stance.jsonl data/annotations/real.jsonl \
        --out models/default --seed 0

(``clauseclf train`` trains a model from annotation files; both commands are in
``clauseclf.cli.train``.)

Modules: ``config`` (``TrainingConfig``, every hyper-parameter with its reason), ``labels``
(``LabelMatrix``: strong and weak labels; the pairs calibration uses), ``head_fit``
(``HeadEstimator``: the head's learned parts fitted together, ``to_head()`` the numpy
``ClauseHead``; ``fit_head`` does both, ``fit_text_features``), its parts: ``sources`` (source
selection), ``severity`` (``SeverityModel``), ``ranking`` (``TypeRanker``), ``practices``
(``PracticeEvidence``, ``fit_practice_map``), ``confidence`` (``ConfidenceCurve``); the per-type
classifiers are ``clauseclf.estimators.ClauseClassifier``; ``cv`` (``group_folds``,
``cross_validate``), ``orchestration`` (``train``, ``train_default_model``).
Everything public is re-exported here: import from ``clauseclf.training``.
"""

from __future__ import annotations

from clauseclf.errors import require_extra

require_extra("sklearn", "train", "training")

from clauseclf.training.confidence import ConfidenceCurve  # noqa: E402
from clauseclf.training.config import TrainingConfig  # noqa: E402
from clauseclf.training.cv import cross_validate, group_folds  # noqa: E402
from clauseclf.training.head_fit import HeadEstimator, fit_head, fit_text_features  # noqa: E402
from clauseclf.training.labels import LabelMatrix, label_matrix  # noqa: E402
from clauseclf.training.orchestration import train, train_default_model  # noqa: E402
from clauseclf.training.practices import PracticeEvidence, fit_practice_map  # noqa: E402
from clauseclf.training.ranking import TypeRanker  # noqa: E402
from clauseclf.training.severity import SeverityModel  # noqa: E402

__all__ = [
    "ConfidenceCurve",
    "HeadEstimator",
    "LabelMatrix",
    "PracticeEvidence",
    "SeverityModel",
    "TrainingConfig",
    "TypeRanker",
    "cross_validate",
    "fit_head",
    "fit_practice_map",
    "fit_text_features",
    "group_folds",
    "label_matrix",
    "train",
    "train_default_model",
]
