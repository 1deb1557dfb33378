"""Targets of the head: ``LabelMatrix`` (strong and weak labels per clause and type) and the
(clause, type) pairs that calibration and thresholds are fitted on; ``small_data_warning``
for a training set too small to learn from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from clauseclf.annotations import AnnotatedClause
from clauseclf.background import BACKGROUND_CORPUS

#: A type with fewer positive examples than this is too rare to learn (the shared corpora give
#: every type of the package taxonomy at least 27).
MIN_TYPE_EXAMPLES = 20
# Rare types named in the warning (the most frequent first), the rest counted.
_LISTED = 8


def small_data_warning(
    records: Sequence[AnnotatedClause],
    types: Sequence[str],
    *,
    min_examples: int = MIN_TYPE_EXAMPLES,
) -> str | None:
    """The warning for records that give some of ``types`` fewer than ``min_examples`` positive
    examples (naming them with their counts), or None when every type has enough."""
    counts = Counter(t for r in records for t in r.labels if t in set(types))
    rare = sorted((t for t in types if counts[t] < min_examples), key=lambda t: (-counts[t], t))
    if not rare:
        return None
    some = [f"{t} {counts[t]}" for t in rare if counts[t]]
    none = [t for t in rare if not counts[t]]
    listed = ", ".join(some[:_LISTED]) + (
        f", {len(some) - _LISTED} more" if len(some) > _LISTED else ""
    )
    if none:
        names = ", ".join(none[:_LISTED]) + (", ..." if len(none) > _LISTED else "")
        listed += ("; " if listed else "") + f"{len(none)} with none ({names})"
    n_platforms = len({r.platform for r in records if r.platform})
    return (
        f"the training data is too small to learn from: {len(records):,} clauses from "
        f"{n_platforms} platform(s), and {len(rare)} of {len(types)} types have fewer than "
        f"{min_examples} examples ({listed}); the model will miss those types. Add annotated "
        "clauses, or train with the shared corpora as well (data_dir= / --data ../shared/data)"
    )


@dataclass(frozen=True)
class LabelMatrix:
    """Targets per (clause, type): ``y`` 1/0, ``weight`` 1 for strong labels, less for weak."""

    y: np.ndarray
    weight: np.ndarray
    strong: np.ndarray
    informative: np.ndarray


def label_matrix(
    records: Sequence[AnnotatedClause], types: Sequence[str], weak_weight: float
) -> LabelMatrix:
    """Targets for each record and type; unchecked types become weak negatives."""
    n, t = len(records), len(types)
    y = np.zeros((n, t), dtype=np.int8)
    strong = np.zeros((n, t), dtype=bool)
    for row, record in enumerate(records):
        for column, type_id in enumerate(types):
            if type_id in record.labels:
                y[row, column] = 1
                strong[row, column] = True
            elif record.is_annotated(type_id):
                strong[row, column] = True
    weight = np.where(strong, 1.0, weak_weight)
    # Negatives are informative only where the annotator checked several types (a ToS;DR quote is
    # checked for its one case), or in background clauses (a random sample of real policies):
    # calibration and thresholds are fitted on those rows.
    several = np.array(
        [
            r.annotated_types is None or len(r.annotated_types) > 1 or r.corpus == BACKGROUND_CORPUS
            for r in records
        ]
    )
    return LabelMatrix(y=y, weight=weight, strong=strong, informative=strong & several[:, None])


def _calibration_mask(
    labels: LabelMatrix, full_checks: bool, preferred: np.ndarray | None = None
) -> np.ndarray:
    """Pairs calibration and thresholds use: the informative pairs of the ``preferred`` rows
    (a boolean row mask), else fully checked clauses, else strong labels, per type, whichever
    first has five positives."""
    if not full_checks:
        return labels.strong.copy()
    mask = labels.informative.copy()
    for column in range(labels.y.shape[1]):
        if preferred is not None and preferred.any():
            chosen = labels.informative[:, column] & preferred
            if labels.y[chosen, column].sum() >= 5:
                mask[:, column] = chosen
                continue
        if labels.y[mask[:, column], column].sum() < 5:
            mask[:, column] = labels.strong[:, column]
    return mask


def threshold_mask(
    calibration: np.ndarray,
    targets: np.ndarray,
    corpora: Sequence[str],
    limits: Mapping[int, Sequence[str]],
) -> np.ndarray:
    """The pairs each type's threshold is chosen on: its ``calibration`` pairs, limited for the
    columns of ``limits`` (column -> corpora) to the rows of those ``corpora`` (one per row)
    where the column has at least five positives there."""
    mask = calibration.copy()
    rows_corpus = np.asarray(corpora)
    for column, chosen in limits.items():
        limited = mask[:, column] & np.isin(rows_corpus, list(chosen))
        if targets[limited, column].sum() >= 5:
            mask[:, column] = limited
    return mask
