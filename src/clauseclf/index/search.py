"""Search over the int8 vectors of a ``ClauseIndex``: exact (a float32 dot product over
cache-sized blocks) or approximate (a usearch HNSW graph whose candidates are re-scored exactly),
top-``k`` selection with filters and the one-row-per-platform rule, and the int8 quantisation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.errors import require_extra

if TYPE_CHECKING:
    from clauseclf.index.core import ClauseIndex

#: Search backends: exact numpy scan, or an approximate HNSW graph (usearch, optional extra).
BACKENDS = ("exact", "hnsw")
ANN_INSTALL = "pip install 'clauseclf[ann]'"
#: Rows per float32 scoring block: 1024 x 384 x 4 bytes = 1.5 MB fits the L2 cache, and keeps
#: BLAS on one thread (larger blocks were 5-10x slower on a busy 2-core machine).
_BLOCK = 1024
#: The approximate backend fetches this many candidates per requested row (at least
#: ``_MIN_FETCH``), re-scores them exactly and widens the fetch by ``_GROW`` up to ``_MAX_FETCH``
#: when filters leave too few; past that it scans the filtered rows exactly.
_OVERFETCH = 8
_MIN_FETCH = 64
_GROW = 8
_MAX_FETCH = 4096


def _search_vectors(
    index: ClauseIndex, queries: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` rows and similarities for each float32 query vector (no filters) with the
    current backend, best first: arrays of shape ``(len(queries), min(k, len(index)))``."""
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    k = min(k, len(index))
    rows_out = np.zeros((len(queries), k), dtype=np.int64)
    scores_out = np.zeros((len(queries), k), dtype=np.float32)
    if k == 0:
        return rows_out, scores_out
    if index._ann is not None:
        found = _ann_rows(index, queries, max(_OVERFETCH * k, _MIN_FETCH))
        for i, rows in enumerate(found):
            scores = _exact_scores(index, queries[i : i + 1], rows)[:, 0]
            order = np.argsort(-scores, kind="stable")[:k]
            rows_out[i, : len(order)], scores_out[i, : len(order)] = rows[order], scores[order]
        return rows_out, scores_out
    for start in range(0, len(queries), 16):
        scores = _exact_scores(index, queries[start : start + 16])
        for j in range(scores.shape[1]):
            column = scores[:, j]
            best = np.argpartition(-column, k - 1)[:k] if k < len(column) else np.arange(k)
            best = best[np.argsort(-column[best], kind="stable")]
            rows_out[start + j], scores_out[start + j] = best, column[best]
    return rows_out, scores_out


def _select(
    index: ClauseIndex, query: np.ndarray, keep: np.ndarray, k: int, one_per_platform: bool
) -> tuple[list[int], np.ndarray]:
    """Up to ``k`` best rows passing ``keep`` (and the platform rule), with similarities."""
    allowed = int(keep.sum())
    if index._ann is not None and allowed:
        fetch = max(_OVERFETCH * k, _MIN_FETCH)
        while True:
            rows = _ann_rows(index, query[None], fetch)[0]
            rows = rows[keep[rows]]
            scores = _exact_scores(index, query[None], rows)[:, 0]
            chosen = _pick(index, rows[np.argsort(-scores, kind="stable")], k, one_per_platform)
            if len(chosen) == min(k, allowed):
                return chosen, _exact_scores(index, query[None], np.array(chosen))[:, 0]
            if fetch >= min(_MAX_FETCH, len(index)):
                break
            fetch *= _GROW
        candidates = np.flatnonzero(keep)
        scores = _exact_scores(index, query[None], candidates)[:, 0]
    else:
        candidates = np.flatnonzero(keep)
        scores = (
            _exact_scores(index, query[None])[candidates, 0]
            if allowed
            else np.zeros(0, dtype=np.float32)
        )
    return _rank(index, candidates, scores, k, one_per_platform)


def _rank(
    index: ClauseIndex, candidates: np.ndarray, scores: np.ndarray, k: int, one_per_platform: bool
) -> tuple[list[int], np.ndarray]:
    """The ``k`` best ``candidates`` (sorted rows) by ``scores``, with the platform rule."""
    top = max(_OVERFETCH * k, 256)
    if len(candidates) > top:  # sort only the best few, unless the platform rule needs more
        best = np.argpartition(-scores, top)[:top]
        best = best[np.argsort(-scores[best], kind="stable")]
        chosen = _pick(index, candidates[best], k, one_per_platform)
        if len(chosen) == k:
            return chosen, scores[np.searchsorted(candidates, chosen)]
    order = np.argsort(-scores, kind="stable")
    chosen = _pick(index, candidates[order], k, one_per_platform)
    return chosen, scores[np.searchsorted(candidates, chosen)]


def _pick(index: ClauseIndex, order: np.ndarray, k: int, one_per_platform: bool) -> list[int]:
    chosen: list[int] = []
    seen: set[str] = set()
    for row in order:
        key = index._platform_keys[row] or f"\x00{row}"
        if one_per_platform and key in seen:
            continue
        seen.add(key)
        chosen.append(int(row))
        if len(chosen) == k:
            break
    return chosen


def _exact_scores(
    index: ClauseIndex, queries: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Exact dot products, shape ``(len(rows), len(queries))``, of float32 ``queries`` with
    the stored rows (all, or ``rows``): int8 codes widened to float32 one cache-sized block
    at a time, then scaled per row."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    size = len(index) if rows is None else len(rows)
    out = np.empty((size, len(queries)), dtype=np.float32)
    block = np.empty((min(_BLOCK, size), index.vectors.shape[1]), dtype=np.float32)
    transposed = queries.T
    for start in range(0, size, _BLOCK):
        stop = min(start + _BLOCK, size)
        part = block[: stop - start]
        if rows is None:
            part[...] = index.vectors[start:stop]
        else:
            part[...] = index.vectors[rows[start:stop]]
        np.matmul(part, transposed, out=out[start:stop])
    out *= (index.scales if rows is None else index.scales[rows])[:, None]
    return out


def _ann_rows(index: ClauseIndex, queries: np.ndarray, count: int) -> list[np.ndarray]:
    """Candidate rows for each float32 query from the HNSW graph (unordered, valid rows)."""
    codes, _ = _quantize(queries)
    count = min(count, len(index))
    matches = index._ann.search(codes, count)
    keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(queries), -1)
    # usearch answers one query with Matches (no ``counts``), several with BatchMatches.
    counts = np.asarray(getattr(matches, "counts", [keys.shape[1]]), dtype=np.int64)
    found = []
    for row, n in zip(keys, counts, strict=True):
        row = row[:n]
        found.append(row[(row >= 0) & (row < len(index))])
    return found


def _quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and float32 per-row scales (a row's largest magnitude maps to 127)."""
    vectors = np.asarray(vectors)
    codes = np.empty(vectors.shape, dtype=np.int8)
    scales = np.zeros(len(vectors), dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[1] == 0:
        return codes, scales
    for start in range(0, len(vectors), 65536):
        part = np.asarray(vectors[start : start + 65536], dtype=np.float32)
        if not np.isfinite(part).all():
            raise ValueError("vectors contain NaN or infinity")
        scale = np.abs(part).max(axis=1) / np.float32(127.0)
        safe = np.where(scale > 0, scale, np.float32(1.0))
        codes[start : start + len(part)] = np.clip(np.rint(part / safe[:, None]), -127, 127)
        scales[start : start + len(part)] = scale
    return codes, scales


def _check_backend(name: str) -> None:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")


def _usearch_index() -> Any:
    """The ``Index`` class of usearch, or a ``MissingExtraError`` naming the extra to install."""
    return require_extra("usearch.index", "ann", "the approximate backend 'hnsw'").Index
