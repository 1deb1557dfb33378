"""A clause index across platforms: similar clauses, prevalence and uniqueness.

Built from a scored DataFrame (``ClauseModel.score``): every clause is embedded with the model's
encoder and kept with its platform, document, label and severity. Vectors are stored as int8 with
one float32 scale per row (a quarter of float32's memory, cosine error below 0.002). Search is
exact by default (a float32 dot product over cache-sized blocks, about 0.1 s per query over a
million clauses); ``use_backend("hnsw")`` adds an approximate HNSW graph (the optional extra
``pip install 'clauseclf[ann]'``, usearch) behind the same methods::

    index = ClauseIndex.build(model, documents)
    index.similar("We may train AI models on your content.", k=5)
    index.prevalence("ai_training")          # Prevalence(platforms=31, total=343)
    index.uniqueness("We may train ...")     # platforms with a near-identical wording
    index.use_backend("hnsw")                # approximate search for large indexes

``similar`` ranks by *practice*: when the model has a practice map (``ClauseModel.practices``,
trained on ToS;DR cases), each clause keeps its practice profile and two clauses score the
probability that they express the same practice, so "we never sell your data" finds other
platforms' no-sale promises rather than any sentence about selling. An index of a model without
a practice map ranks by wording (encoder cosine); ``index.measure`` says which. Near-identical
wording (``uniqueness``) always uses the encoder vectors.

Saved as a folder without pickle: ``vectors.npy`` (int8), ``scales.npy`` (float32),
``profiles.npz`` (practice profiles, sparse), ``clauses.parquet``, ``index.json`` and, with the
approximate backend, ``ann.usearch`` (usearch's own file format, checked against its SHA-256 in
``index.json`` on load).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from clauseclf.corpora import platform_key
from clauseclf.errors import IndexFormatError

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel

INDEX_FORMAT = "clauseclf-index"
INDEX_FORMAT_VERSION = 3
#: Format versions ``load`` reads (version 1 stored float16 vectors, quantised on load; versions
#: 1 and 2 have no practice profiles and rank by wording).
READABLE_FORMAT_VERSIONS = (1, 2, 3)
#: ``similar`` ranks by practice profile (``"practices"``) or by encoder cosine (``"wording"``).
MEASURES = ("practices", "wording")
#: Cosine similarity at or above which two clauses count as near-identical wording (the same
#: sentence with small edits: a name, punctuation, a word). ``benchmarks/near_identical.py`` on the
#: default encoder: 73% of edited ToS;DR quotes reach it, 0 of 2,000 pairs of different quotes of
#: the same case do (at 0.93: 78% and 0.2%).
NEAR_IDENTICAL = 0.95
#: Columns kept for each indexed clause.
INDEX_COLUMNS = (
    "platform",
    "document",
    "document_id",
    "clause_index",
    "text",
    "label",
    "severity",
    "confidence",
)
#: ``similarity``: the ranking score (``index.measure``: the probability of the same practice,
#: or the encoder cosine); ``wording_similarity``: the encoder cosine.
SIMILAR_COLUMNS = (
    "platform",
    "document",
    "text",
    "label",
    "severity",
    "similarity",
    "wording_similarity",
)
#: Search backends: exact numpy scan, or an approximate HNSW graph (usearch, optional extra).
BACKENDS = ("exact", "hnsw")
ANN_FILE = "ann.usearch"
PROFILES_FILE = "profiles.npz"
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


@dataclass(frozen=True)
class Prevalence:
    """How many platforms of the index have at least one clause of a type."""

    label: str
    platforms: int
    total: int

    def __str__(self) -> str:
        return f"{self.label}: {self.platforms} of {self.total} platforms"


@dataclass(frozen=True)
class Uniqueness:
    """How many other platforms use a near-identical wording (cosine >= ``threshold``)."""

    platforms: int
    total: int
    threshold: float

    @property
    def unique(self) -> bool:
        return self.platforms == 0

    def __str__(self) -> str:
        word = "Unique" if self.unique else "Shared"
        return f"{word}: {self.platforms} of {self.total} platforms use near-identical wording"


class ClauseIndex:
    """Clauses of many platforms with their embeddings, for search and prevalence.

    ``vectors``: float unit vectors (quantised to int8 here), or int8 codes with ``scales`` (one
    float32 per row; a row's vector is ``vectors[i] * scales[i]``). The index starts with the
    exact backend; ``use_backend("hnsw")`` builds the approximate one. ``profiles``: each row's
    practice profile (``model.practice_profiles``); without them ``similar`` ranks by wording.
    """

    def __init__(
        self,
        model: ClauseModel,
        clauses: pd.DataFrame,
        vectors: np.ndarray,
        scales: np.ndarray | None = None,
        profiles: sp.spmatrix | None = None,
    ) -> None:
        if len(clauses) != len(vectors):
            raise ValueError(f"{len(clauses)} clauses but {len(vectors)} vectors")
        missing = [c for c in INDEX_COLUMNS if c not in clauses.columns]
        if missing:
            raise ValueError(f"clauses lack column(s) {missing}")
        dimension = model.encoder.dimension
        if vectors.ndim != 2 or (len(vectors) and vectors.shape[1] != dimension):
            raise ValueError(f"vectors have shape {vectors.shape}, expected (n, {dimension})")
        self.model = model
        self.clauses = (
            clauses[list(INDEX_COLUMNS)]
            .reset_index(drop=True)
            .astype(
                {
                    "platform": "object",
                    "document": "object",
                    "document_id": "object",
                    "clause_index": "Int64",
                    "text": "object",
                    "label": "object",
                    "severity": "object",
                    "confidence": "float64",
                }
            )
        )
        if scales is None:
            if vectors.dtype == np.int8:
                raise ValueError("int8 vectors need their scales")
            codes, scales = _quantize(vectors)
        else:
            if vectors.dtype != np.int8:
                raise ValueError(f"scales go with int8 vectors, not {vectors.dtype}")
            scales = np.asarray(scales)
            if scales.shape != (len(vectors),) or scales.dtype.kind != "f":
                raise ValueError(f"scales have shape {scales.shape}, expected ({len(vectors)},)")
            if not np.isfinite(scales).all() or (scales < 0).any():
                raise ValueError("scales must be finite and non-negative")
            codes = vectors
        #: int8 codes, shape (n, dimension); ``scales`` holds each row's float32 scale.
        self.vectors = np.ascontiguousarray(codes, dtype=np.int8).reshape(-1, dimension)
        self.scales = np.ascontiguousarray(scales, dtype=np.float32)
        self._platform_keys = np.array(
            [platform_key(str(p)) if isinstance(p, str) else "" for p in self.clauses["platform"]],
            dtype=object,
        )
        #: Sparse practice profiles, shape (n, practices), or None (ranking by wording).
        self.profiles: sp.csr_matrix | None = None
        if profiles is not None:
            practices = model.practices
            if practices is None:
                raise ValueError("practice profiles need a model with a practice map")
            if profiles.shape != (len(self.clauses), len(practices.names)):
                raise ValueError(
                    f"profiles have shape {profiles.shape}, expected "
                    f"({len(self.clauses)}, {len(practices.names)})"
                )
            self.profiles = sp.csr_matrix(profiles, dtype=np.float32)
        self._ann: Any = None
        self._ann_options: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.clauses)

    def __repr__(self) -> str:
        return (
            f"ClauseIndex({len(self)} clauses, {self.platform_count} platforms, "
            f"{self.backend}, by {self.measure})"
        )

    @property
    def measure(self) -> str:
        """What ``similar`` ranks by: ``"practices"`` or ``"wording"`` (see the module doc)."""
        return "wording" if self.profiles is None else "practices"

    @property
    def platform_count(self) -> int:
        """Distinct platforms in the index."""
        return len({k for k in self._platform_keys if k})

    @property
    def backend(self) -> str:
        """The search backend in use: ``"exact"`` or ``"hnsw"``."""
        return "exact" if self._ann is None else "hnsw"

    def unit_vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The stored vectors (all, or ``rows``) as float32, dequantised."""
        if rows is None:
            rows = np.arange(len(self))
        rows = np.asarray(rows, dtype=np.int64)
        out: np.ndarray = self.vectors[rows].astype(np.float32)
        out *= self.scales[rows, None]
        return out

    # -- building ----------------------------------------------------------------------

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, model: ClauseModel, *, backend: str = "exact"
    ) -> ClauseIndex:
        """An index of the clauses of a scored DataFrame (``ClauseModel.score``); error rows
        are left out. Clauses without a platform are kept but never count as a platform.
        ``backend="hnsw"`` builds the approximate backend (see ``use_backend``)."""
        _check_backend(backend)
        clauses = _clauses_of(frame)
        vectors = model.encoder.encode(list(clauses["text"])) if len(clauses) else None
        if vectors is None:
            vectors = np.zeros((0, model.encoder.dimension), dtype=np.float32)
        vectors = np.asarray(vectors)
        profiles = None
        if model.practices is not None:
            profiles = model.practice_profiles(list(clauses["text"]), vectors)
        index = cls(model, clauses, vectors, profiles=profiles)
        return index.use_backend(backend) if backend != "exact" else index

    @classmethod
    def build(
        cls, model: ClauseModel, documents: Any, *, backend: str = "exact", **score_options: Any
    ) -> ClauseIndex:
        """Score ``documents`` with ``model`` (see ``ClauseModel.score``) and index them."""
        return cls.from_frame(model.score(documents, **score_options), model, backend=backend)

    def use_backend(
        self,
        name: str,
        *,
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 256,
        threads: int = 0,
    ) -> ClauseIndex:
        """Switch the search backend; returns ``self``.

        ``"exact"`` drops any approximate graph. ``"hnsw"`` builds a usearch HNSW graph over the
        int8 vectors (cosine; ``connectivity`` is HNSW's M, ``expansion_add`` its
        efConstruction, ``expansion_search`` its ef; ``threads=0`` uses every core), which needs
        the optional extra: ``pip install 'clauseclf[ann]'``. Results are re-scored exactly, so
        similarities are the exact backend's; only which rows are found is approximate.
        """
        _check_backend(name)
        if name == "exact":
            self._ann, self._ann_options = None, {}
            return self
        options = {
            "connectivity": int(connectivity),
            "expansion_add": int(expansion_add),
            "expansion_search": int(expansion_search),
        }
        if min(options.values()) < 1:
            raise ValueError(f"HNSW parameters must be positive, got {options}")
        ann = _usearch_index()(
            ndim=self.model.encoder.dimension, metric="cos", dtype="i8", **options
        )
        if len(self):
            ann.add(np.arange(len(self), dtype=np.uint64), self.vectors, threads=threads)
        self._ann, self._ann_options = ann, options
        return self

    def add(self, frame_or_documents: Any, **score_options: Any) -> ClauseIndex:
        """Add a scored DataFrame, or documents to score; returns ``self``. The approximate
        backend, if in use, gets the new rows too; the index keeps its ``measure``."""
        import pandas as pd

        if hasattr(frame_or_documents, "columns") and "label" in frame_or_documents.columns:
            frame = frame_or_documents
        else:
            frame = self.model.score(frame_or_documents, **score_options)
        new = ClauseIndex.from_frame(frame, self.model)
        ann, options, before = self._ann, self._ann_options, len(self)
        merged = pd.concat([self.clauses, new.clauses], ignore_index=True)
        vectors = np.vstack([self.vectors, new.vectors])
        scales = np.concatenate([self.scales, new.scales])
        profiles = None
        if self.profiles is not None and new.profiles is not None:
            profiles = sp.vstack([self.profiles, new.profiles], format="csr")
        self.__init__(self.model, merged, vectors, scales, profiles)  # type: ignore[misc]
        if ann is not None:
            if len(self) > before:
                keys = np.arange(before, len(self), dtype=np.uint64)
                ann.add(keys, self.vectors[before:])
            self._ann, self._ann_options = ann, options
        return self

    # -- queries -----------------------------------------------------------------------

    def similar(
        self,
        clause_or_text: Any,
        *,
        k: int = 5,
        same_type: bool = True,
        exclude_platform: str | None = None,
        one_per_platform: bool = True,
    ) -> pd.DataFrame:
        """The ``k`` most similar indexed clauses (columns ``SIMILAR_COLUMNS``), best first.

        ``clause_or_text``: a clause text, a row of a scored DataFrame or an ``AnalyzedClause``.
        ``same_type`` keeps clauses with the query's label (predicted for a text);
        ``exclude_platform`` leaves out a platform (default: a scored row's own platform, so
        the answer is "how other platforms handle this"); ``one_per_platform`` keeps each
        platform's best match only. Rows are ranked by ``index.measure``; the
        ``similarity`` column is that score, ``wording_similarity`` the encoder cosine.

        With the approximate backend the filters apply to over-fetched graph candidates
        (``8 * k``, at least 64, widened 8x up to 4096); if they still leave fewer than ``k``
        rows, the filtered rows are scanned exactly, so both backends return ``k`` rows
        whenever ``k`` rows pass the filters.
        """
        import pandas as pd

        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        text, label, platform = self._query(clause_or_text, need_label=same_type)
        if exclude_platform is None:
            exclude_platform = platform if platform else None
        query = self._encode(text)
        keep = np.ones(len(self), dtype=bool)
        if same_type:
            keep &= (self.clauses["label"] == label).to_numpy()
        if exclude_platform is not None:
            keep &= self._platform_keys != platform_key(exclude_platform)
        if self.profiles is not None and self.model.practices is not None:
            profile = self.model.practice_profiles([text], query[None]).toarray()[0]
            candidates = np.flatnonzero(keep)
            scores = np.asarray(self.profiles @ profile, dtype=np.float32)[candidates]
            chosen, similarity = self._rank(candidates, scores, k, one_per_platform)
        else:
            chosen, similarity = self._select(query, keep, k, one_per_platform)
        result = self.clauses.iloc[chosen][list(SIMILAR_COLUMNS[:-2])].copy()
        result["similarity"] = similarity.astype(np.float64)
        wording = self._exact_scores(query[None], np.array(chosen, dtype=np.int64))[:, 0]
        result["wording_similarity"] = wording.astype(np.float64)
        return pd.DataFrame(result).reset_index(drop=True)

    def prevalence(self, label: str) -> Prevalence:
        """How many platforms have at least one clause labelled ``label``."""
        if label != "other" and label not in self.model.types:
            raise ValueError(f"unknown clause type {label!r}")
        rows = (self.clauses["label"] == label).to_numpy()
        platforms = {k for k in self._platform_keys[rows] if k}
        return Prevalence(label=label, platforms=len(platforms), total=self.platform_count)

    def uniqueness(self, clause_or_text: Any, *, threshold: float = NEAR_IDENTICAL) -> Uniqueness:
        """How many platforms other than the clause's own have a near-identical clause.

        With the approximate backend the near-identical rows are looked for among the 256
        nearest graph candidates; if all of them pass ``threshold``, every row is scanned."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        text, _, platform = self._query(clause_or_text, need_label=False)
        query = self._encode(text)
        limit = threshold - 1e-6
        rows: np.ndarray | None = None
        if self._ann is not None and len(self) > 256:
            rows = self._ann_rows(query[None], 256)[0]
            scores = self._exact_scores(query[None], rows)[:, 0]
            # All 256 above the threshold: there may be more, so scan everything.
            full = len(rows) == 256 and scores.min() >= limit
            rows = None if full else rows[scores >= limit]
        if rows is None:
            rows = np.flatnonzero(self._exact_scores(query[None])[:, 0] >= limit)
        own = platform_key(platform) if platform else None
        close = {k for k in self._platform_keys[rows] if k and k != own}
        total = self.platform_count - (1 if own and own in set(self._platform_keys) else 0)
        return Uniqueness(platforms=len(close), total=total, threshold=threshold)

    def _query(self, clause_or_text: Any, *, need_label: bool) -> tuple[str, str, str | None]:
        if isinstance(clause_or_text, str):
            if not clause_or_text.strip():
                raise ValueError("the query text is empty")
            label = self.model.classify([clause_or_text])[0].label if need_label else ""
            return clause_or_text, label, None
        if hasattr(clause_or_text, "prediction") and hasattr(clause_or_text, "text"):
            return str(clause_or_text.text), clause_or_text.prediction.label, None
        if hasattr(clause_or_text, "get") and clause_or_text.get("text") is not None:
            text = str(clause_or_text.get("text"))
            label = clause_or_text.get("label")
            if need_label and not isinstance(label, str):
                label = self.model.classify([text])[0].label
            platform = clause_or_text.get("platform")
            return text, str(label or ""), platform if isinstance(platform, str) else None
        raise TypeError(
            f"expected a clause text, a scored row or an AnalyzedClause, got "
            f"{type(clause_or_text).__name__}"
        )

    def _encode(self, text: str) -> np.ndarray:
        query: np.ndarray = np.asarray(self.model.encoder.encode([text]), dtype=np.float32)[0]
        return query

    def _scores(self, text: str) -> np.ndarray:
        """Exact similarity of ``text`` to every row."""
        return self._exact_scores(self._encode(text)[None])[:, 0]

    def _exact_scores(self, queries: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact dot products, shape ``(len(rows), len(queries))``, of float32 ``queries`` with
        the stored rows (all, or ``rows``): int8 codes widened to float32 one cache-sized block
        at a time, then scaled per row."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        size = len(self) if rows is None else len(rows)
        out = np.empty((size, len(queries)), dtype=np.float32)
        block = np.empty((min(_BLOCK, size), self.vectors.shape[1]), dtype=np.float32)
        transposed = queries.T
        for start in range(0, size, _BLOCK):
            stop = min(start + _BLOCK, size)
            part = block[: stop - start]
            if rows is None:
                part[...] = self.vectors[start:stop]
            else:
                part[...] = self.vectors[rows[start:stop]]
            np.matmul(part, transposed, out=out[start:stop])
        out *= (self.scales if rows is None else self.scales[rows])[:, None]
        return out

    def _ann_rows(self, queries: np.ndarray, count: int) -> list[np.ndarray]:
        """Candidate rows for each float32 query from the HNSW graph (unordered, valid rows)."""
        codes, _ = _quantize(queries)
        count = min(count, len(self))
        matches = self._ann.search(codes, count)
        keys = np.asarray(matches.keys, dtype=np.int64).reshape(len(queries), -1)
        # usearch answers one query with Matches (no ``counts``), several with BatchMatches.
        counts = np.asarray(getattr(matches, "counts", [keys.shape[1]]), dtype=np.int64)
        found = []
        for row, n in zip(keys, counts, strict=True):
            row = row[:n]
            found.append(row[(row >= 0) & (row < len(self))])
        return found

    def _select(
        self, query: np.ndarray, keep: np.ndarray, k: int, one_per_platform: bool
    ) -> tuple[list[int], np.ndarray]:
        """Up to ``k`` best rows passing ``keep`` (and the platform rule), with similarities."""
        allowed = int(keep.sum())
        if self._ann is not None and allowed:
            fetch = max(_OVERFETCH * k, _MIN_FETCH)
            while True:
                rows = self._ann_rows(query[None], fetch)[0]
                rows = rows[keep[rows]]
                scores = self._exact_scores(query[None], rows)[:, 0]
                chosen = self._pick(rows[np.argsort(-scores, kind="stable")], k, one_per_platform)
                if len(chosen) == min(k, allowed):
                    return chosen, self._exact_scores(query[None], np.array(chosen))[:, 0]
                if fetch >= min(_MAX_FETCH, len(self)):
                    break
                fetch *= _GROW
            candidates = np.flatnonzero(keep)
            scores = self._exact_scores(query[None], candidates)[:, 0]
        else:
            candidates = np.flatnonzero(keep)
            scores = (
                self._exact_scores(query[None])[candidates, 0]
                if allowed
                else np.zeros(0, dtype=np.float32)
            )
        return self._rank(candidates, scores, k, one_per_platform)

    def _rank(
        self, candidates: np.ndarray, scores: np.ndarray, k: int, one_per_platform: bool
    ) -> tuple[list[int], np.ndarray]:
        """The ``k`` best ``candidates`` (sorted rows) by ``scores``, with the platform rule."""
        top = max(_OVERFETCH * k, 256)
        if len(candidates) > top:  # sort only the best few, unless the platform rule needs more
            best = np.argpartition(-scores, top)[:top]
            best = best[np.argsort(-scores[best], kind="stable")]
            chosen = self._pick(candidates[best], k, one_per_platform)
            if len(chosen) == k:
                return chosen, scores[np.searchsorted(candidates, chosen)]
        order = np.argsort(-scores, kind="stable")
        chosen = self._pick(candidates[order], k, one_per_platform)
        return chosen, scores[np.searchsorted(candidates, chosen)]

    def _pick(self, order: np.ndarray, k: int, one_per_platform: bool) -> list[int]:
        chosen: list[int] = []
        seen: set[str] = set()
        for row in order:
            key = self._platform_keys[row] or f"\x00{row}"
            if one_per_platform and key in seen:
                continue
            seen.add(key)
            chosen.append(int(row))
            if len(chosen) == k:
                break
        return chosen

    def _search_vectors(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows and similarities for each float32 query vector (no filters) with the
        current backend, best first: arrays of shape ``(len(queries), min(k, len(self)))``."""
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = min(k, len(self))
        rows_out = np.zeros((len(queries), k), dtype=np.int64)
        scores_out = np.zeros((len(queries), k), dtype=np.float32)
        if k == 0:
            return rows_out, scores_out
        if self._ann is not None:
            found = self._ann_rows(queries, max(_OVERFETCH * k, _MIN_FETCH))
            for i, rows in enumerate(found):
                scores = self._exact_scores(queries[i : i + 1], rows)[:, 0]
                order = np.argsort(-scores, kind="stable")[:k]
                rows_out[i, : len(order)], scores_out[i, : len(order)] = rows[order], scores[order]
            return rows_out, scores_out
        for start in range(0, len(queries), 16):
            scores = self._exact_scores(queries[start : start + 16])
            for j in range(scores.shape[1]):
                column = scores[:, j]
                best = np.argpartition(-column, k - 1)[:k] if k < len(column) else np.arange(k)
                best = best[np.argsort(-column[best], kind="stable")]
                rows_out[start + j], scores_out[start + j] = best, column[best]
        return rows_out, scores_out

    # -- persistence -------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write the index folder atomically (replacing an existing index there), with the
        approximate backend's graph if it is in use."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".index-", dir=directory.parent))
        try:
            np.save(staging / "vectors.npy", self.vectors, allow_pickle=False)
            np.save(staging / "scales.npy", self.scales, allow_pickle=False)
            if self.profiles is not None:
                np.savez(
                    staging / PROFILES_FILE,
                    data=self.profiles.data,
                    indices=self.profiles.indices,
                    indptr=self.profiles.indptr,
                    shape=np.array(self.profiles.shape, dtype=np.int64),
                )
            self.clauses.to_parquet(staging / "clauses.parquet", index=False)
            backend: dict[str, Any] = {"name": self.backend}
            if self._ann is not None:
                self._ann.save(str(staging / ANN_FILE))
                backend.update(
                    file=ANN_FILE,
                    bytes=(staging / ANN_FILE).stat().st_size,
                    sha256=_sha256(staging / ANN_FILE),
                    **self._ann_options,
                )
            meta = {
                "format": INDEX_FORMAT,
                "format_version": INDEX_FORMAT_VERSION,
                "encoder": self.model.encoder.name,
                "dimension": int(self.model.encoder.dimension),
                "model_version": self.model.metadata.get("model_version"),
                "clauses": len(self),
                "platforms": self.platform_count,
                "backend": backend,
                "measure": self.measure,
                "practices": _practices_digest(self.model) if self.profiles is not None else None,
            }
            (staging / "index.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
            if directory.exists():
                if not (directory / "index.json").is_file():
                    raise FileExistsError(f"{directory} exists and is not a clause index")
                backup = directory.with_name(directory.name + ".old")
                os.replace(directory, backup)
                os.replace(staging, directory)
                shutil.rmtree(backup, ignore_errors=True)
            else:
                os.replace(staging, directory)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return directory

    @classmethod
    def load(
        cls, directory: str | Path, model: ClauseModel | None = None, *, backend: str | None = None
    ) -> ClauseIndex:
        """Read an index folder; ``model`` defaults to the embedded model. The model's encoder
        must be the one the index was built with.

        ``backend``: ``None`` uses the saved one (falling back to exact search, with a warning,
        if the saved graph needs usearch and it is not installed); ``"exact"`` ignores a saved
        graph; ``"hnsw"`` reads the saved graph, or builds one if the index has none."""
        import pandas as pd

        if backend is not None:
            _check_backend(backend)
        directory = Path(directory)
        meta_path = directory / "index.json"
        if not meta_path.is_file():
            raise IndexFormatError(f"{directory}: not a clause index (no index.json)")
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IndexFormatError(f"{meta_path}: unreadable ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != INDEX_FORMAT:
            raise IndexFormatError(f"{meta_path}: not a {INDEX_FORMAT} file")
        version = meta.get("format_version")
        if version not in READABLE_FORMAT_VERSIONS:
            raise IndexFormatError(
                f"{meta_path}: format version {version!r}, this clauseclf reads "
                f"{', '.join(map(str, READABLE_FORMAT_VERSIONS))}"
            )
        saved = meta.get("backend", {"name": "exact"})
        if not isinstance(saved, dict) or saved.get("name") not in BACKENDS:
            raise IndexFormatError(f"{meta_path}: unknown backend {saved!r}")
        if model is None:
            from clauseclf.inference.model import ClauseModel

            model = ClauseModel.load()
        if meta.get("encoder") != model.encoder.name:
            raise IndexFormatError(
                f"{directory} was built with encoder {meta.get('encoder')!r}; the model uses "
                f"{model.encoder.name!r}"
            )
        try:
            vectors = np.load(directory / "vectors.npy", allow_pickle=False)
            scales = None
            if version >= 2:
                scales = np.load(directory / "scales.npy", allow_pickle=False)
                if vectors.dtype != np.int8 or scales.dtype != np.float32:
                    raise ValueError(f"vectors {vectors.dtype} / scales {scales.dtype}")
            elif vectors.dtype != np.float16:
                raise ValueError(f"vectors are {vectors.dtype}, expected float16")
            clauses = pd.read_parquet(directory / "clauses.parquet")
            profiles = _read_profiles(directory, meta, model)
        except IndexFormatError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise IndexFormatError(f"{directory}: damaged index ({exc})") from None
        try:
            index = cls(model, clauses, vectors, scales, profiles)
        except ValueError as exc:
            raise IndexFormatError(f"{directory}: {exc}") from None
        wanted = saved["name"] if backend is None else backend
        if wanted == "exact":
            return index
        if saved["name"] != "hnsw":
            return index.use_backend("hnsw")
        try:
            index._ann = _read_ann(directory, saved, index)
        except ImportError:
            if backend is not None:
                raise
            warnings.warn(
                f"{directory} has an approximate (hnsw) graph but usearch is not installed "
                f"({ANN_INSTALL}); searching exactly",
                stacklevel=2,
            )
            return index
        options = ("connectivity", "expansion_add", "expansion_search")
        index._ann_options = {o: int(saved[o]) for o in options if isinstance(saved.get(o), int)}
        if "expansion_search" in index._ann_options:
            index._ann.expansion_search = index._ann_options["expansion_search"]
        return index


def _practices_digest(model: ClauseModel) -> str | None:
    """The digest of the model's practice map (``PracticeMap.digest``), None without one."""
    return None if model.practices is None else model.practices.digest()


def _read_profiles(
    directory: Path, meta: dict[str, Any], model: ClauseModel
) -> sp.csr_matrix | None:
    """The saved practice profiles (None for an index ranking by wording); IndexFormatError
    if ``model`` lacks the practice map that made them."""
    measure = meta.get("measure", "wording")
    if measure not in MEASURES:
        raise IndexFormatError(f"{directory}: unknown measure {measure!r}")
    if measure == "wording":
        return None
    if meta.get("practices") != _practices_digest(model):
        raise IndexFormatError(
            f"{directory} ranks by practice profiles made by another practice map than the "
            f"model's ({'none' if model.practices is None else len(model.practices.names)}); "
            f"load it with the model it was built with, or rebuild it"
        )
    with np.load(directory / PROFILES_FILE, allow_pickle=False) as saved:
        shape = tuple(int(v) for v in saved["shape"])
        return sp.csr_matrix((saved["data"], saved["indices"], saved["indptr"]), shape=shape)


def _check_backend(name: str) -> None:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {BACKENDS}")


def _usearch_index() -> Any:
    """usearch's ``Index`` class, or an ImportError saying how to install the extra."""
    try:
        from usearch.index import Index
    except ImportError as exc:
        raise ImportError(
            f"the approximate backend 'hnsw' needs usearch, an optional extra: {ANN_INSTALL}"
        ) from exc
    return Index


def _read_ann(directory: Path, saved: dict[str, Any], index: ClauseIndex) -> Any:
    """The saved HNSW graph of ``index``, checked against ``index.json`` before usearch reads it."""
    usearch_index = _usearch_index()
    path = directory / ANN_FILE
    if saved.get("file") != ANN_FILE or not path.is_file():
        raise IndexFormatError(f"{path}: missing (index.json names an hnsw graph)")
    if saved.get("bytes") != path.stat().st_size or saved.get("sha256") != _sha256(path):
        raise IndexFormatError(
            f"{path}: damaged approximate index (size or SHA-256 differs from index.json)"
        )
    try:
        ann = usearch_index.restore(str(path))
    except (ValueError, RuntimeError, OSError) as exc:
        raise IndexFormatError(f"{path}: damaged approximate index ({exc})") from None
    if ann is None or len(ann) != len(index) or ann.ndim != index.vectors.shape[1]:
        raise IndexFormatError(
            f"{path}: approximate index of {0 if ann is None else len(ann)} vectors, "
            f"expected {len(index)} of dimension {index.vectors.shape[1]}"
        )
    return ann


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def _clauses_of(frame: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("text", "label") if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks column(s) {missing}; pass ClauseModel.score's output")
    if "error" in frame.columns:
        frame = frame[frame["error"].isna()]
    clauses = frame.copy()
    for column in INDEX_COLUMNS:
        if column not in clauses.columns:
            clauses[column] = None
    return clauses[list(INDEX_COLUMNS)].reset_index(drop=True)
