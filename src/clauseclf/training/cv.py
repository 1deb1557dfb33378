"""Cross-validation grouped by platform: the folds (``group_folds``) and one head per fold
(``cross_validate``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clauseclf.annotations import AnnotatedClause, platforms
from clauseclf.head.core import ClauseHead
from clauseclf.taxonomy import Taxonomy
from clauseclf.training.config import TrainingConfig
from clauseclf.training.head_fit import fit_head


def group_folds(groups: Sequence[str], n_folds: int, seed: int) -> list[np.ndarray]:
    """Fold index arrays (test rows) with every platform in exactly one fold, seeded."""
    unique = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[i]: rank % n_folds for rank, i in enumerate(order)}
    assignment = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(assignment == k) for k in range(n_folds)]


def cross_validate(
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    *,
    taxonomy: Taxonomy | None = None,
    n_folds: int = 5,
    seed: int = 0,
    config: TrainingConfig | None = None,
    progress: bool = False,
) -> list[tuple[np.ndarray, ClauseHead]]:
    """Fit one head per platform-grouped fold; returns (test rows, head) pairs."""
    from clauseclf._progress import progress_bar

    groups = platforms(records)
    results = []
    folds = group_folds(groups, n_folds, seed)
    for test_rows in progress_bar(
        folds, desc="cross-validation", unit="fold", disable=not progress
    ):
        train_rows = np.setdiff1d(np.arange(len(texts)), test_rows)
        head = fit_head(
            [texts[i] for i in train_rows],
            embeddings[train_rows],
            [records[i] for i in train_rows],
            taxonomy=taxonomy,
            seed=seed,
            config=config,
        )
        results.append((test_rows, head))
    return results
