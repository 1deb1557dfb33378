"""Background clauses: clauses of real, unlabelled policies, used as negatives in training.

The annotated corpora are curated. ToS;DR quotes and the ai_training set were picked for what
they say, so their types are far more common there than in a whole policy, and a head that
learns only from them flags such types in ordinary clauses of real documents more often than
the curated data shows. Background clauses are the real-document negatives the corpora lack.
They are off by default (``TrainingConfig.background_clauses``): measured on platform folds
(``benchmarks/background.py``) they cost ai_training F1 on the ai_training set, whose hard
negatives all use AI wording.

``background_clauses`` samples clauses from the plain-text policies of the shared data
(``policies-2023/corpus_text.tar.xz``), from platforms that no annotation names, and returns
them as ``AnnotatedClause`` records of corpus ``"background"`` with no labels. Training treats
every type of such a clause as unchecked, so a weak negative (``TrainingConfig.
weak_negative_weight``). ``ai_training`` is the one checked type, a strong negative, when a
clause has none of the AI wording (``head.cues.AI_WORDING``) with which the ai_training
set was collected (keyword recall over the same corpus; see its SOURCE.md): such a clause
cannot say that user data trains AI models. Background clauses are negatives for calibration
and thresholds as well (``training.label_matrix``); the evaluation never scores them.
"""

from __future__ import annotations

import tarfile
from collections.abc import Collection
from pathlib import Path

import numpy as np

from clauseclf.annotations import AnnotatedClause, platform_key, service_of
from clauseclf.head.cues import has_ai_wording

BACKGROUND_CORPUS = "background"

#: The type a background clause without ``AI_WORDING`` is checked for (a strong negative).
CHECKED_TYPE = "ai_training"
#: Clauses shorter or longer than these (characters) are not sampled: headings, list stubs and
#: run-together walls of text say little about a clause type.
MIN_CHARS, MAX_CHARS = 30, 1500


def background_clauses(
    data_dir: str | Path,
    *,
    clauses: int,
    documents: int,
    exclude_platforms: Collection[str] = (),
    checked_types: Collection[str] = (CHECKED_TYPE,),
    seed: int = 0,
) -> list[AnnotatedClause]:
    """``clauses`` distinct clauses sampled (seeded) from ``documents`` policies of the shared
    data's ``policies-2023/corpus_text.tar.xz``, leaving out every platform in
    ``exclude_platforms`` (compared by ``platform_key``), as unlabelled records of corpus
    ``"background"``; each clause without ``AI_WORDING`` is checked for the types in
    ``checked_types``."""
    from clauseclf.annotations import POLICY_ARCHIVE, archive_texts
    from clauseclf.segmentation import segment_document

    if clauses < 1 or documents < 1:
        raise ValueError(f"clauses and documents must be at least 1, got {clauses}, {documents}")
    archive = Path(data_dir) / POLICY_ARCHIVE
    if not archive.is_file():
        raise FileNotFoundError(
            f"{archive} is missing: background clauses are sampled from it (pass the shared "
            "data folder, or train with TrainingConfig(background_clauses=0))"
        )
    excluded = {platform_key(p) for p in exclude_platforms}
    with tarfile.open(archive, "r|xz") as tar:
        names = sorted(
            m.name
            for m in tar
            if m.isfile()
            and m.name.endswith(".txt")
            and platform_key(service_of(m.name)) not in excluded
        )
    if not names:
        raise ValueError(f"{archive} has no policy of a platform outside the annotations")
    rng = np.random.default_rng(seed)
    wanted = sorted(rng.choice(names, size=min(documents, len(names)), replace=False).tolist())
    found: dict[str, tuple[str, str]] = {}
    for name, text in archive_texts(archive, set(wanted)):
        for segment in segment_document(text).segments:
            if MIN_CHARS <= len(segment.text) <= MAX_CHARS:
                found.setdefault(segment.text, (name, segment.text))
    pool = sorted(found.values())  # by document, then text: independent of the stream order
    if not pool:
        raise ValueError(f"the sampled policies of {archive} have no clause to use")
    picked = rng.choice(len(pool), size=min(clauses, len(pool)), replace=False)
    checked = frozenset(checked_types)
    records = []
    for index in sorted(picked.tolist()):
        name, text = pool[index]
        records.append(
            AnnotatedClause(
                text=text,
                labels={},
                annotated_types=frozenset() if has_ai_wording(text) else checked,
                platform=service_of(name),
                document=Path(name).stem.split("_", 1)[-1],
                source=f"policies-2023:{Path(name).name}",
                corpus=BACKGROUND_CORPUS,
            )
        )
    return records
