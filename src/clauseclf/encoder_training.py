"""Adapting a static encoder to policy language (training for the encoder stage).

A distilled static encoder (``clauseclf distill-encoder``) knows each word piece out of context.
``adapt_static_encoder`` trains its token vectors, and a linear map, so that the mean of a
clause's token vectors points where the transformer's embedding of the whole clause points
(cosine loss, as in model2vec's tokenlearn), on clauses of real policies; the result is then
reduced by PCA and written as a new ``StaticEncoder`` folder. Needs torch (installed with
sentence-transformers); nothing here runs at inference time. ``distill_static_encoder`` makes
the first static encoder (model2vec). ``write_static_encoder`` writes an encoder folder: only
a missing or empty folder, or a static encoder folder holding nothing else, is replaced.
"""

from __future__ import annotations

import json
import os
import tarfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clauseclf._files import write_replacing
from clauseclf.annotations import POLICY_ARCHIVE, archive_texts
from clauseclf.encoder import (
    STATIC_CONFIG_FILE,
    STATIC_EMBEDDINGS_FILE,
    STATIC_ENCODER_FORMAT,
    STATIC_TOKENIZER_FILE,
    Encoder,
    StaticEncoder,
    check_encoder_target,
    default_encoder_spec,
    load_encoder,
    package_version,
)
from clauseclf.encoder_cache import CachedEncoder
from clauseclf.errors import require_extra


def policy_clauses(data_dir: str | Path, *, documents: int | None = None) -> list[str]:
    """The distinct clause texts of the plain-text policies in ``data_dir``'s
    ``policies-2023/corpus_text.tar.xz`` (read from the archive, in file-name order; the first
    ``documents`` files only, if given), in order of first appearance."""
    from clauseclf.segmentation import segment_document

    archive = Path(data_dir) / POLICY_ARCHIVE
    if not archive.is_file():
        raise FileNotFoundError(f"{archive} is missing: pass the shared data folder")
    if documents is not None and documents < 1:
        raise ValueError(f"documents must be at least 1, got {documents}")
    # An xz archive can only be read forwards: going back for each member in name order would
    # decompress it again from the start every time (quadratic). Read it once in stream order,
    # keep each wanted document's clauses, and merge them in name order.
    with tarfile.open(archive, "r|xz") as tar:
        members = [m for m in tar if m.isfile() and m.name.endswith(".txt")]
    wanted = set(sorted(m.name for m in members)[:documents])
    by_name = {
        name: [s.text for s in segment_document(text).segments]
        for name, text in archive_texts(archive, wanted)
    }
    clauses: dict[str, None] = {}
    for name in sorted(by_name):
        clauses.update(dict.fromkeys(by_name[name]))
    return list(clauses)


def transformer_targets(
    texts: Sequence[str],
    *,
    teacher: Encoder | None = None,
    cache: str | Path | None = None,
    chunk: int = 2048,
    progress: bool = True,
) -> np.ndarray:
    """The teacher's embeddings of ``texts`` (default teacher: the packaged all-MiniLM-L6-v2),
    through an embedding cache kept in the SQLite file ``cache`` if given (resumable: texts
    embedded before are not embedded again)."""
    from clauseclf._progress import progress_bar

    encoder = CachedEncoder(teacher or load_encoder(), path=cache, max_items=0)
    parts = []
    try:
        for start in progress_bar(
            range(0, len(texts), chunk), desc="teacher embeddings", disable=not progress
        ):
            parts.append(encoder.encode(texts[start : start + chunk]))
    finally:
        encoder.close()
    return np.vstack(parts) if parts else np.zeros((0, encoder.dimension), dtype=np.float32)


def adapt_static_encoder(
    source: StaticEncoder,
    texts: Sequence[str],
    targets: np.ndarray,
    out: str | Path,
    *,
    dimensions: int | None = None,
    epochs: int = 3,
    learning_rate: float = 3e-3,
    batch_size: int = 512,
    validation: int = 10_000,
    seed: int = 0,
    progress: bool = True,
    corpus: Mapping[str, Any] | None = None,
) -> StaticEncoder:
    """Train ``source``'s token vectors so that clause means match ``targets`` (the teacher's
    embeddings of ``texts``), and write the adapted encoder to ``out``.

    ``validation`` clauses are held out to report the mean cosine to the teacher before and
    after training (recorded in ``encoder.json``). ``dimensions`` defaults to the source's.
    ``corpus`` describes where ``texts`` came from (e.g. ``{"documents": 5600}``) for the record.
    """
    require_extra("torch", "minilm", "adapting a static encoder")
    check_encoder_target(out)  # before the training: refuse a folder it would not replace
    import torch

    from clauseclf._progress import progress_bar

    targets = np.asarray(targets, dtype=np.float32)
    if targets.ndim != 2 or targets.shape[0] != len(texts):
        raise ValueError(
            f"targets must be a ({len(texts)}, d) array, one row per text; got {targets.shape}"
        )
    if epochs < 1 or batch_size < 1 or learning_rate <= 0:
        raise ValueError("epochs and batch_size must be at least 1 and learning_rate positive")
    dimensions = dimensions or source.dimension
    if not 1 <= dimensions <= targets.shape[1]:
        raise ValueError(f"dimensions must be between 1 and {targets.shape[1]}")
    started = time.time()
    flat, offsets, kept = _token_ids(source, texts)
    targets = targets[kept]
    if len(kept) <= validation:
        raise ValueError(
            f"{len(kept)} clauses with known tokens: too few to train on and hold out "
            f"{validation} for validation"
        )
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    order = rng.permutation(len(kept))
    held_out, train_rows = order[:validation], order[validation:]
    table = source._vectors
    initial = _mean_vectors(table, flat, offsets, train_rows[:50_000])
    projection = np.linalg.lstsq(initial, targets[train_rows[:50_000]], rcond=None)[0]

    bag = torch.nn.EmbeddingBag(table.shape[0], table.shape[1], mode="mean")
    # A little seeded noise breaks exact ties: token vectors that are all equal would sit at a
    # saddle where the cosine loss gives them no gradient.
    jitter = rng.normal(0.0, 1e-3 * (float(np.std(table)) or 1.0), table.shape)
    bag.weight.data = torch.from_numpy((table + jitter).astype(np.float32))
    linear = torch.nn.Parameter(torch.from_numpy(projection.astype(np.float32)))
    teacher = torch.from_numpy(targets)
    optimizer = torch.optim.Adam([bag.weight, linear], lr=learning_rate)
    flat_t, offsets_t = torch.from_numpy(flat), torch.from_numpy(offsets)

    def batch(rows: np.ndarray) -> tuple[Any, Any]:
        starts, ends = offsets_t[rows], offsets_t[rows + 1]
        pieces = [flat_t[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]
        lengths = torch.tensor([len(p) for p in pieces])
        return torch.cat(pieces), torch.cumsum(lengths, 0) - lengths

    def mean_cosine(rows: np.ndarray) -> float:
        with torch.no_grad():
            ids, starts = batch(rows)
            predicted = bag(ids, starts) @ linear
            cosine = torch.nn.functional.cosine_similarity(predicted, teacher[rows])
            return float(cosine.mean())

    before = mean_cosine(held_out)
    for _ in progress_bar(range(epochs), desc="adapting", unit="epoch", disable=not progress):
        shuffled = rng.permutation(train_rows)
        for start in range(0, len(shuffled), batch_size):
            rows = shuffled[start : start + batch_size]
            ids, starts = batch(rows)
            predicted = bag(ids, starts) @ linear
            cosine = torch.nn.functional.cosine_similarity(predicted, teacher[rows])
            loss = 1.0 - cosine.mean()
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
    after = mean_cosine(held_out)

    mapped = (bag.weight.data @ linear.data).numpy().astype(np.float64)
    centred = mapped - mapped.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = mapped @ components[:dimensions].T
    if not np.isfinite(reduced).all():
        raise ValueError("training diverged (non-finite vectors): lower the learning rate")
    # Clause vectors are normalised, so one global scale is free: keep rows near unit length,
    # well inside float16's range.
    reduced /= max(float(np.median(np.linalg.norm(reduced, axis=1))), 1e-12)
    config = dict(source.metadata)
    config.update(
        {
            "name": f"{source.name}-policies",
            "dimension": int(dimensions),
            "adapted": {
                "method": "token vectors trained so clause means match the teacher's clause "
                "embeddings (cosine), then PCA",
                "teacher": "all-MiniLM-L6-v2",
                "clauses": len(kept),
                "corpus": dict(corpus or {}),
                "epochs": epochs,
                "learning_rate": learning_rate,
                "batch_size": batch_size,
                "seed": seed,
                "validation_clauses": validation,
                "validation_cosine_before": round(before, 4),
                "validation_cosine_after": round(after, 4),
                "seconds": round(time.time() - started, 1),
            },
        }
    )
    return write_static_encoder(out, reduced, source._tokenizer.to_str(), config)


def distill_static_encoder(
    out: str | Path, *, dimensions: int = 256, name: str | None = None
) -> StaticEncoder:
    """Distil a static encoder from the packaged all-MiniLM-L6-v2 with model2vec (offline,
    about a minute on 2 cores) and write it to ``out``. Needs ``clauseclf[distill]``."""
    require_extra("model2vec.distill", "distill", "distilling a static encoder")
    from model2vec.distill import distill

    check_encoder_target(out)  # before a minute of work: refuse a folder it would not replace
    source = load_encoder()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    static = distill(model_name=str(source.model_dir), pca_dims=dimensions)
    vectors = np.asarray(static.embedding, dtype=np.float16)
    spec = default_encoder_spec()
    config = {
        "format": STATIC_ENCODER_FORMAT,
        "name": name or f"{spec.name}-static-{vectors.shape[1]}",
        "dimension": int(vectors.shape[1]),
        "max_tokens": 512,
        "distilled_from": {
            "package": spec.package,
            "package_version": spec.package_version,
            "method": f"model2vec {package_version('model2vec')} distill, pca_dims={dimensions}",
        },
    }
    return write_static_encoder(out, vectors, static.tokenizer.to_str(), config)


def write_static_encoder(
    out: str | Path, vectors: np.ndarray, tokenizer_json: str, config: dict[str, Any]
) -> StaticEncoder:
    """Write a static encoder folder (float16 vectors, tokenizer, ``config``), checked by
    loading it before it replaces ``out`` (see ``check_encoder_target``), and load it."""

    def fill(folder: Path) -> None:
        np.savez_compressed(folder / STATIC_EMBEDDINGS_FILE, embeddings=vectors.astype(np.float16))
        (folder / STATIC_TOKENIZER_FILE).write_text(tokenizer_json, encoding="utf-8")
        text = json.dumps(config, indent=2) + "\n"
        (folder / STATIC_CONFIG_FILE).write_text(text, encoding="utf-8")
        StaticEncoder(folder)

    check_encoder_target(out)
    write_replacing(Path(out), fill)
    return StaticEncoder(out)


def _token_ids(
    source: StaticEncoder, texts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat token ids, row offsets (n + 1) and the indices of texts with at least one token."""
    lists, kept = [], []
    for start in range(0, len(texts), 10_000):
        for row, ids in enumerate(source.token_ids(texts[start : start + 10_000]), start):
            if len(ids):
                lists.append(ids)
                kept.append(row)
    lengths = np.array([len(ids) for ids in lists], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
    return flat, offsets, np.array(kept, dtype=np.int64)


def _mean_vectors(
    table: np.ndarray, flat: np.ndarray, offsets: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    return np.vstack([table[flat[offsets[r] : offsets[r + 1]]].mean(axis=0) for r in rows])
