"""Prevalence (how many platforms have a clause of a type) and uniqueness (how many other
platforms use a near-identical wording) over a ``ClauseIndex``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.annotations import platform_key
from clauseclf.index.search import _ann_rows, _exact_scores

if TYPE_CHECKING:
    from clauseclf.index.core import ClauseIndex

#: Cosine similarity at or above which two clauses count as near-identical wording (the same
#: sentence with small edits: a name, punctuation, a word). ``benchmarks/near_identical.py`` on the
#: default encoder: 73% of edited ToS;DR quotes reach it, 0 of 2,000 pairs of different quotes of
#: the same case do (at 0.93: 78% and 0.2%).
NEAR_IDENTICAL = 0.95


@dataclass(frozen=True)
class Prevalence:
    """How many platforms of the index have at least one clause of a type (``platforms``), and
    by stance (``clauseclf.index.stance``): ``does`` platforms have a clause of the type that
    does the practice, ``does_not`` one that promises not to (a platform may have both)."""

    label: str
    platforms: int
    total: int
    does: int
    does_not: int

    def __str__(self) -> str:
        return (
            f"{self.label}: {self.platforms} of {self.total} platforms "
            f"({self.does} do, {self.does_not} promise not to)"
        )


@dataclass(frozen=True)
class Uniqueness:
    """How many other platforms use a near-identical wording (cosine >= ``threshold``)."""

    platforms: int
    total: int
    threshold: float

    @property
    def unique(self) -> bool:
        """True when no other platform uses a near-identical wording."""
        return self.platforms == 0

    def __str__(self) -> str:
        word = "Unique" if self.unique else "Shared"
        return f"{word}: {self.platforms} of {self.total} platforms use near-identical wording"


def _prevalence(index: ClauseIndex, label: str) -> Prevalence:
    """``ClauseIndex.prevalence``: how many platforms have a clause labelled ``label``."""
    if label != "other" and label not in index.model.types:
        raise ValueError(f"unknown clause type {label!r}")
    rows = index._filter(label, None, None)
    platforms = {k for k in index._platform_keys[rows] if k}
    does_not = {k for k in index._platform_keys[rows & index._does_not] if k}
    does = {k for k in index._platform_keys[rows & ~index._does_not] if k}
    return Prevalence(
        label=label,
        platforms=len(platforms),
        total=index.platform_count,
        does=len(does),
        does_not=len(does_not),
    )


def _uniqueness(index: ClauseIndex, clause_or_text: Any, *, threshold: float) -> Uniqueness:
    """``ClauseIndex.uniqueness``: how many platforms other than the clause's own have a
    clause at cosine ``threshold`` or above."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    text, _, platform = index._query(clause_or_text, need_label=False)
    query = index._encode(text)
    limit = threshold - 1e-6
    rows: np.ndarray | None = None
    if index._ann is not None and len(index) > 256:
        rows = _ann_rows(index, query[None], 256)[0]
        scores = _exact_scores(index, query[None], rows)[:, 0]
        # All 256 above the threshold: there may be more, so scan everything.
        full = len(rows) == 256 and scores.min() >= limit
        rows = None if full else rows[scores >= limit]
    if rows is None:
        rows = np.flatnonzero(_exact_scores(index, query[None])[:, 0] >= limit)
    own = platform_key(platform) if platform else None
    close = {k for k in index._platform_keys[rows] if k and k != own}
    total = index.platform_count - (1 if own and own in set(index._platform_keys) else 0)
    return Uniqueness(platforms=len(close), total=total, threshold=threshold)
