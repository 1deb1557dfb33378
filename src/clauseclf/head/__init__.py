"""The trained head: clause features (TF-IDF n-grams + sentence embedding + stance flags) ->
types, severity, calibrated probabilities and confidence, and the evidence spans behind each
predicted type. Stored as ``head.json`` + ``head.npz`` (no pickle), with the practice map its
type ranker reads, when it has one, in ``practices.json`` + ``practices.npz``.

Modules: ``cues`` (``CUES``: every cue's name, pattern and description; ``stance_flags``,
``has_ai_wording``), ``features`` (``TextFeatures``, ``TOKEN_PATTERN``), ``output``
(``HeadOutput``, ``PracticeRanking``, Platt probabilities, the cue gate, the top label),
``evidence`` (``lexical_evidence``: the spans behind a prediction; the span type is in
``clauseclf.evidence``), ``practices`` (``PracticeMap``, ``practice_id``: which known practice
a clause expresses), ``core`` (``ClauseHead``: predict, rank scores, evidence), ``files`` (the
model-file readers), ``io`` (``head.json``/``head.npz``, the format checks). Everything public is
re-exported here: import from ``clauseclf.head``.
"""

from __future__ import annotations

from clauseclf.head.core import ClauseHead
from clauseclf.head.cues import (
    AI_WORDING,
    ALL_STANCE_CUES,
    CUE_NAMES,
    CUES,
    LEGACY_STANCE_CUES,
    STANCE_PATTERNS,
    TOPIC_PATTERNS,
    Cue,
    cue_description,
    has_ai_wording,
    stance_flags,
)
from clauseclf.head.evidence import (
    EVIDENCE_MIN_SHARE,
    MAX_EVIDENCE_SPANS,
    lexical_evidence,
    stance_spans,
)
from clauseclf.head.features import TOKEN_PATTERN, TextFeatures
from clauseclf.head.files import read_model_json, read_npz
from clauseclf.head.io import HEAD_FORMAT_VERSION, HEAD_JSON, HEAD_NPZ, RANK_PRACTICE_PREFIX
from clauseclf.head.output import (
    HeadOutput,
    PracticeRanking,
    cue_gate,
    most_probable_predicted,
    platt_probabilities,
    ranked_top,
    top_label_probability,
)
from clauseclf.head.practices import PracticeMap, practice_id

__all__ = [
    "AI_WORDING",
    "ALL_STANCE_CUES",
    "CUES",
    "CUE_NAMES",
    "EVIDENCE_MIN_SHARE",
    "HEAD_FORMAT_VERSION",
    "HEAD_JSON",
    "HEAD_NPZ",
    "LEGACY_STANCE_CUES",
    "MAX_EVIDENCE_SPANS",
    "RANK_PRACTICE_PREFIX",
    "STANCE_PATTERNS",
    "TOKEN_PATTERN",
    "TOPIC_PATTERNS",
    "ClauseHead",
    "Cue",
    "HeadOutput",
    "PracticeMap",
    "PracticeRanking",
    "TextFeatures",
    "cue_description",
    "cue_gate",
    "has_ai_wording",
    "lexical_evidence",
    "most_probable_predicted",
    "platt_probabilities",
    "practice_id",
    "ranked_top",
    "read_model_json",
    "read_npz",
    "stance_flags",
    "stance_spans",
    "top_label_probability",
]
