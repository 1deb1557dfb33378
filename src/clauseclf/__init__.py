"""clauseclf: read platform policies and tell what each clause does to the user.

Public API (imported lazily, so ``import clauseclf`` stays fast and has no side effects)::

    import clauseclf
    model = clauseclf.load()                      # the embedded default model
    report = model.analyze(policy_text)           # DocumentReport, .to_frame() for pandas
    clauseclf.segment(policy_text)                # list[Segment] with exact offsets
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "clauseclf.inference.model",
    "ClauseModel": "clauseclf.inference.model",
    "ClausePrediction": "clauseclf.predictions",
    "ClauseIndex": "clauseclf.index",
    "ModelFormatError": "clauseclf.errors",
    "IndexFormatError": "clauseclf.errors",
    "TaxonomyError": "clauseclf.errors",
    "ScoringError": "clauseclf.errors",
    "StandoffError": "clauseclf.errors",
    "segment": "clauseclf.segmentation",
    "segment_document": "clauseclf.segmentation",
    "Segment": "clauseclf.segmentation",
    "SegmentedDocument": "clauseclf.segmentation",
    "DocumentReport": "clauseclf.report",
    "AnalyzedClause": "clauseclf.report",
    "read_document": "clauseclf.documents",
    "fetch_document": "clauseclf.fetch",
    "DocumentError": "clauseclf.errors",
    "EncodingError": "clauseclf.errors",
    "FetchError": "clauseclf.errors",
    "load_taxonomy": "clauseclf.taxonomy",
    "Taxonomy": "clauseclf.taxonomy",
    "EncoderNotFoundError": "clauseclf.errors",
    "load_annotations": "clauseclf.annotations",
    "AnnotationSet": "clauseclf.annotations",
    "AnnotationError": "clauseclf.errors",
    "train": "clauseclf.training",
    "evaluate": "clauseclf.evaluation",
    "score_predictions": "clauseclf.scoring",
    "EvaluationReport": "clauseclf.evaluation",
    "ClauseClassifier": "clauseclf.estimators",
    "ClauseFeaturizer": "clauseclf.estimators",
    "diff": "clauseclf.versions",
    "PolicyDiff": "clauseclf.versions",
    "PolicyHistory": "clauseclf.versions",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from clauseclf.annotations import AnnotationSet as AnnotationSet
    from clauseclf.annotations import load_annotations as load_annotations
    from clauseclf.documents import read_document as read_document
    from clauseclf.errors import AnnotationError as AnnotationError
    from clauseclf.errors import DocumentError as DocumentError
    from clauseclf.errors import EncoderNotFoundError as EncoderNotFoundError
    from clauseclf.errors import EncodingError as EncodingError
    from clauseclf.errors import FetchError as FetchError
    from clauseclf.errors import IndexFormatError as IndexFormatError
    from clauseclf.errors import ModelFormatError as ModelFormatError
    from clauseclf.errors import ScoringError as ScoringError
    from clauseclf.errors import StandoffError as StandoffError
    from clauseclf.errors import TaxonomyError as TaxonomyError
    from clauseclf.estimators import ClauseClassifier as ClauseClassifier
    from clauseclf.estimators import ClauseFeaturizer as ClauseFeaturizer
    from clauseclf.evaluation import EvaluationReport as EvaluationReport
    from clauseclf.evaluation import evaluate as evaluate
    from clauseclf.fetch import fetch_document as fetch_document
    from clauseclf.index import ClauseIndex as ClauseIndex
    from clauseclf.inference.model import ClauseModel as ClauseModel
    from clauseclf.inference.model import load as load
    from clauseclf.predictions import ClausePrediction as ClausePrediction
    from clauseclf.report import AnalyzedClause as AnalyzedClause
    from clauseclf.report import DocumentReport as DocumentReport
    from clauseclf.scoring import score_predictions as score_predictions
    from clauseclf.segmentation import Segment as Segment
    from clauseclf.segmentation import SegmentedDocument as SegmentedDocument
    from clauseclf.segmentation import segment as segment
    from clauseclf.segmentation import segment_document as segment_document
    from clauseclf.taxonomy import Taxonomy as Taxonomy
    from clauseclf.taxonomy import load_taxonomy as load_taxonomy
    from clauseclf.training import train as train
    from clauseclf.versions import PolicyDiff as PolicyDiff
    from clauseclf.versions import PolicyHistory as PolicyHistory
    from clauseclf.versions import diff as diff


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'clauseclf' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
