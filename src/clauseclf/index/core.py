"""``ClauseIndex``: the clauses of many platforms with their int8 vectors and practice profiles;
building it (``from_frame``, ``build``, ``add``), choosing the search backend (``use_backend``)
and querying it (``similar``, ``prevalence``, ``uniqueness``). The search itself is in
``clauseclf.index.search``, prevalence and uniqueness in ``clauseclf.index.prevalence``, the
folder format in ``clauseclf.index.storage``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from clauseclf.annotations import platform_key
from clauseclf.index.prevalence import (
    NEAR_IDENTICAL,
    Prevalence,
    Uniqueness,
    _prevalence,
    _uniqueness,
)
from clauseclf.index.search import (
    _check_backend,
    _exact_scores,
    _quantize,
    _search_vectors,
    _usearch_index,
)
from clauseclf.index.similar import SIMILAR_COLUMNS, SimilarClauses, _similar
from clauseclf.index.stance import DOES_NOT, clause_stances
from clauseclf.index.storage import _load, _save

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel

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
__all__ = ["INDEX_COLUMNS", "SIMILAR_COLUMNS", "ClauseIndex", "SimilarClauses"]


class ClauseIndex:
    """Clauses of many platforms with their embeddings, for search and prevalence.

    ``vectors``: float unit vectors (quantised to int8 here), or int8 codes with ``scales`` (one
    float32 per row; a row's vector is ``vectors[i] * scales[i]``). The index starts with the
    exact backend; ``use_backend("hnsw")`` builds the approximate one. ``profiles``: each row's
    practice profile (``model.practice_profiles``); without them ``similar`` ranks by wording.
    ``tfidf``: with profiles, each row's TF-IDF row by the model's head vectoriser
    (``TextFeatures.tfidf`` of the clause text; made from ``clauses["text"]`` when None), which
    the practice measure's blend reads with each row's predicted type (``clauses["label"]``).
    ``clauses`` is read-only (the filters use codes made here): change an index with ``add``.
    """

    def __init__(
        self,
        model: ClauseModel,
        clauses: pd.DataFrame,
        vectors: np.ndarray,
        scales: np.ndarray | None = None,
        profiles: sp.spmatrix | None = None,
        tfidf: sp.spmatrix | None = None,
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
        # integer codes of the platform keys and labels: filtering a million rows by code is
        # an order of magnitude faster than comparing strings
        self._platform_codes, self._platform_code = _codes(self._platform_keys)
        self._label_codes, self._label_code = _codes(self.clauses["label"])
        #: Each row's stance (``clauseclf.index.stance``).
        self.stances = clause_stances([str(t) for t in self.clauses["text"]])
        self._does_not = self.stances == DOES_NOT
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
            # out-of-range indices would make scipy read outside its arrays (a segfault)
            self.profiles.check_format(full_check=True)
            if not np.isfinite(self.profiles.data).all():
                raise ValueError("profiles contain NaN or infinity")
        elif tfidf is not None:
            raise ValueError("TF-IDF rows go with practice profiles")
        #: Sparse TF-IDF rows by the head's vectoriser, shape (n, vocabulary), with profiles.
        self.tfidf: sp.csr_matrix | None = None
        if self.profiles is not None:
            self.tfidf = _tfidf_rows(model, self.clauses["text"], tfidf)
        self._columns: sp.csc_matrix | None = None
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
        """What ``similar`` ranks by: ``"practices"`` or ``"wording"`` (see ``clauseclf.index``)."""
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
        profiles = tfidf = None
        if self.profiles is not None and new.profiles is not None:
            profiles = sp.vstack([self.profiles, new.profiles], format="csr")
            tfidf = sp.vstack([self.tfidf, new.tfidf], format="csr")
        self.__init__(self.model, merged, vectors, scales, profiles, tfidf)  # type: ignore[misc]
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
        same_stance: bool = True,
        exclude_platform: str | None = None,
        one_per_platform: bool = True,
        min_similarity: float | None = None,
    ) -> SimilarClauses:
        """The ``k`` most similar indexed clauses, best first, as a ``SimilarClauses`` (its
        ``clauses`` DataFrame has the columns ``SIMILAR_COLUMNS``).

        ``clause_or_text``: a clause text, a row of a scored DataFrame or an ``AnalyzedClause``.
        ``same_type`` keeps clauses with the query's label (predicted for a text; without the
        filter, the practice measure still ranks clauses of the query's label higher);
        ``same_stance`` keeps clauses of the query's stance (``clauseclf.index.stance``: "we do
        not sell your data" does not find "we may sell your data");
        ``exclude_platform`` leaves out a platform (default: a scored row's own platform, so
        the answer is "how other platforms handle this"); ``one_per_platform`` keeps each
        platform's best match only. Rows are ranked by ``index.measure``; the
        ``similarity`` column is that score, ``wording_similarity`` the encoder cosine.
        ``min_similarity`` (default ``MIN_SIMILARITY[index.measure]``; -1 keeps everything):
        rows below it are left out, and when none is left the answer
        is empty with a ``reason``.

        With the approximate backend the filters apply to over-fetched graph candidates
        (``8 * k``, at least 64, widened 8x up to 4096); if they still leave fewer than ``k``
        rows, the filtered rows are scanned exactly, so both backends return ``k`` rows
        whenever ``k`` rows pass the filters.
        """
        return _similar(
            self,
            clause_or_text,
            k=k,
            same_type=same_type,
            same_stance=same_stance,
            exclude_platform=exclude_platform,
            one_per_platform=one_per_platform,
            min_similarity=min_similarity,
        )

    def prevalence(self, label: str) -> Prevalence:
        """How many platforms have at least one clause labelled ``label``."""
        return _prevalence(self, label)

    def uniqueness(self, clause_or_text: Any, *, threshold: float = NEAR_IDENTICAL) -> Uniqueness:
        """How many platforms other than the clause's own have a near-identical clause.

        With the approximate backend the near-identical rows are looked for among the 256
        nearest graph candidates; if all of them pass ``threshold``, every row is scanned."""
        return _uniqueness(self, clause_or_text, threshold=threshold)

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

    def _filter(self, label: str | None, stance: str | None, platform: str | None) -> np.ndarray:
        """Rows with ``label`` and ``stance`` (None: any) and not of ``platform`` (None: any)."""
        keep = np.ones(len(self), dtype=bool)
        if label is not None:
            code = self._label_code.get(label)
            keep &= False if code is None else self._label_codes == code
        if stance is not None:
            keep &= self._does_not if stance == DOES_NOT else ~self._does_not
        if platform is not None:
            code = self._platform_code.get(platform_key(platform))
            if code is not None:
                keep &= self._platform_codes != code
        return keep

    def _profile_columns(self) -> sp.csc_matrix:
        """``profiles`` column by column (made on first use, kept until ``add``): the rows of
        one practice are one slice, so ``similar`` reads only the query's practices."""
        assert self.profiles is not None
        if self._columns is None:
            self._columns = self.profiles.tocsc()
        return self._columns

    def _encode(self, text: str) -> np.ndarray:
        query: np.ndarray = np.asarray(self.model.encoder.encode([text]), dtype=np.float32)[0]
        return query

    def _scores(self, text: str) -> np.ndarray:
        """Exact similarity of ``text`` to every row."""
        return self._exact_scores(self._encode(text)[None])[:, 0]

    def _exact_scores(self, queries: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact dot products, shape ``(len(rows), len(queries))``, of float32 ``queries`` with
        the stored rows (all, or ``rows``); see ``clauseclf.index.search``."""
        return _exact_scores(self, queries, rows)

    def _search_vectors(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows and similarities for each float32 query vector (no filters) with the
        current backend, best first: arrays of shape ``(len(queries), min(k, len(self)))``."""
        return _search_vectors(self, queries, k)

    # -- persistence -------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write the index folder atomically (replacing an existing index there), with the
        approximate backend's graph if it is in use."""
        return _save(self, directory)

    @classmethod
    def load(
        cls, directory: str | Path, model: ClauseModel | None = None, *, backend: str | None = None
    ) -> ClauseIndex:
        """Read an index folder; ``model`` defaults to the embedded model. The model's encoder
        must be the one the index was built with.

        ``backend``: ``None`` uses the saved one (falling back to exact search, with a warning,
        if the saved graph needs usearch and it is not installed); ``"exact"`` ignores a saved
        graph; ``"hnsw"`` reads the saved graph, or builds one if the index has none."""
        return _load(cls, directory, model, backend=backend)


# -- internals ---------------------------------------------------------------------------------


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


def _tfidf_rows(model: ClauseModel, texts: Any, tfidf: sp.spmatrix | None) -> sp.csr_matrix:
    """``tfidf`` checked (shape, finite values, indices within it) as float32 CSR, or the
    TF-IDF rows of ``texts`` by the model head's vectoriser when None."""
    vocabulary = len(model.head.features.vocabulary)
    if tfidf is None:
        texts = ["" if not isinstance(t, str) else t for t in texts]
        made = [
            model.head.features.tfidf(texts[i : i + 65536]) for i in range(0, len(texts), 65536)
        ]
        rows = sp.vstack(made, format="csr") if made else sp.csr_matrix((0, vocabulary))
        return sp.csr_matrix(rows, dtype=np.float32)
    if tfidf.shape != (len(texts), vocabulary):
        raise ValueError(
            f"TF-IDF rows have shape {tfidf.shape}, expected ({len(texts)}, {vocabulary}) "
            "(the clauses by the model head's vocabulary)"
        )
    rows = sp.csr_matrix(tfidf, dtype=np.float32)
    rows.check_format(full_check=True)  # out-of-range indices would make scipy read outside
    if not np.isfinite(rows.data).all():
        raise ValueError("TF-IDF rows contain NaN or infinity")
    return rows


def _codes(values: Any) -> tuple[np.ndarray, dict[str, int]]:
    """Integer codes of ``values`` (missing values as ``""``) and the code of each value."""
    keys = np.array(
        ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values],
        dtype=object,
    )
    names, codes = np.unique(keys, return_inverse=True) if len(keys) else (np.array([]), keys)
    return np.asarray(codes, dtype=np.int32), {str(name): i for i, name in enumerate(names)}
