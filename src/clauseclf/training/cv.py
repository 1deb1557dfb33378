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
    n_jobs: int = 1,
) -> list[tuple[np.ndarray, ClauseHead]]:
    """Fit one head per platform-grouped fold (``n_jobs`` at a time, see ``fit_heads``);
    returns (test rows, head) pairs."""
    folds = group_folds(platforms(records), n_folds, seed)
    train_rows = [np.setdiff1d(np.arange(len(texts)), test_rows) for test_rows in folds]
    heads = fit_heads(
        texts,
        embeddings,
        records,
        train_rows,
        taxonomy=taxonomy,
        seed=seed,
        config=config,
        progress=progress,
        n_jobs=n_jobs,
    )
    return list(zip(folds, heads, strict=True))


def fit_heads(
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    row_sets: Sequence[np.ndarray],
    *,
    taxonomy: Taxonomy | None = None,
    seed: int = 0,
    config: TrainingConfig | None = None,
    progress: bool = False,
    n_jobs: int = 1,
) -> list[ClauseHead]:
    """One head fitted on each of ``row_sets`` (row indices), in order. ``n_jobs`` > 1 fits
    that many at a time in worker processes (each fit is single-threaded; the heads are the
    same as with ``n_jobs=1``)."""
    from clauseclf._progress import progress_bar

    if n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs!r}")

    def task(rows: np.ndarray) -> tuple[list[str], np.ndarray, list[AnnotatedClause]]:
        return [texts[i] for i in rows], embeddings[rows], [records[i] for i in rows]

    if n_jobs == 1 or len(row_sets) < 2:
        return [
            fit_head(*task(rows), taxonomy=taxonomy, seed=seed, config=config)
            for rows in progress_bar(
                list(row_sets), desc="fitting heads", unit="head", disable=not progress
            )
        ]
    from joblib import Parallel, delayed

    jobs = (
        delayed(fit_head)(*task(rows), taxonomy=taxonomy, seed=seed, config=config)
        for rows in row_sets
    )
    heads: list[ClauseHead] = Parallel(n_jobs=min(n_jobs, len(row_sets)))(jobs)
    return heads
