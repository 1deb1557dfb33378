"""The practice map, re-exported from ``clauseclf.head.practices`` (where it lives, next to the
head's type ranker that reads it) for existing imports."""

from __future__ import annotations

from clauseclf.head.practices import (
    PRACTICE_ARRAYS,
    PRACTICES_FORMAT_VERSION,
    PRACTICES_JSON,
    PRACTICES_NPZ,
    READABLE_FORMAT_VERSIONS,
    PracticeMap,
    practice_id,
)

__all__ = [
    "PRACTICES_FORMAT_VERSION",
    "PRACTICES_JSON",
    "PRACTICES_NPZ",
    "PRACTICE_ARRAYS",
    "READABLE_FORMAT_VERSIONS",
    "PracticeMap",
    "practice_id",
]
