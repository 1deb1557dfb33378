"""A clause index across platforms: similar clauses, prevalence and uniqueness.

Built from a scored DataFrame (``ClauseModel.score``): every clause is embedded with the model's
encoder and kept with its platform, document, label and severity. Search is exact (a dot product
over unit vectors stored as float16, computed in float32 blocks)::

    index = ClauseIndex.build(model, documents)
    index.similar("We may train AI models on your content.", k=5)
    index.prevalence("ai_training")          # Prevalence(platforms=31, total=343)
    index.uniqueness("We may train ...")     # platforms with a near-identical wording

Saved as a folder without pickle: ``vectors.npy`` (float16), ``clauses.parquet`` and
``index.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.corpora import platform_key

if TYPE_CHECKING:
    import pandas as pd

    from clauseclf.inference.model import ClauseModel

INDEX_FORMAT = "clauseclf-index"
INDEX_FORMAT_VERSION = 1
#: Cosine similarity at or above which two clauses count as near-identical wording (the same
#: sentence with small edits: names, punctuation, a word or two; measured on all-MiniLM-L6-v2).
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
SIMILAR_COLUMNS = ("platform", "document", "text", "label", "severity", "similarity")


class IndexFormatError(ValueError):
    """An index folder is missing, damaged or of another format."""


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
    """Clauses of many platforms with their embeddings, for search and prevalence."""

    def __init__(self, model: ClauseModel, clauses: pd.DataFrame, vectors: np.ndarray) -> None:
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
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float16).reshape(-1, dimension)
        self._platform_keys = np.array(
            [platform_key(str(p)) if isinstance(p, str) else "" for p in self.clauses["platform"]],
            dtype=object,
        )

    def __len__(self) -> int:
        return len(self.clauses)

    def __repr__(self) -> str:
        return f"ClauseIndex({len(self)} clauses, {self.platform_count} platforms)"

    @property
    def platform_count(self) -> int:
        """Distinct platforms in the index."""
        return len({k for k in self._platform_keys if k})

    # -- building ----------------------------------------------------------------------

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, model: ClauseModel) -> ClauseIndex:
        """An index of the clauses of a scored DataFrame (``ClauseModel.score``); error rows
        are left out. Clauses without a platform are kept but never count as a platform."""
        clauses = _clauses_of(frame)
        vectors = model.encoder.encode(list(clauses["text"])) if len(clauses) else None
        if vectors is None:
            vectors = np.zeros((0, model.encoder.dimension), dtype=np.float32)
        return cls(model, clauses, np.asarray(vectors))

    @classmethod
    def build(cls, model: ClauseModel, documents: Any, **score_options: Any) -> ClauseIndex:
        """Score ``documents`` with ``model`` (see ``ClauseModel.score``) and index them."""
        return cls.from_frame(model.score(documents, **score_options), model)

    def add(self, frame_or_documents: Any, **score_options: Any) -> ClauseIndex:
        """Add a scored DataFrame, or documents to score; returns ``self``."""
        import pandas as pd

        if hasattr(frame_or_documents, "columns") and "label" in frame_or_documents.columns:
            frame = frame_or_documents
        else:
            frame = self.model.score(frame_or_documents, **score_options)
        new = ClauseIndex.from_frame(frame, self.model)
        merged = pd.concat([self.clauses, new.clauses], ignore_index=True)
        vectors = np.vstack([self.vectors, new.vectors])
        self.__init__(self.model, merged, vectors)  # type: ignore[misc]
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
        platform's best match only.
        """
        import pandas as pd

        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        text, label, platform = self._query(clause_or_text, need_label=same_type)
        if exclude_platform is None:
            exclude_platform = platform if platform else None
        scores = self._scores(text)
        keep = np.ones(len(self), dtype=bool)
        if same_type:
            keep &= (self.clauses["label"] == label).to_numpy()
        if exclude_platform is not None:
            keep &= self._platform_keys != platform_key(exclude_platform)
        candidates = np.flatnonzero(keep)
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
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
        result = self.clauses.iloc[chosen][list(SIMILAR_COLUMNS[:-1])].copy()
        result["similarity"] = scores[chosen].astype(np.float64)
        return pd.DataFrame(result).reset_index(drop=True)

    def prevalence(self, label: str) -> Prevalence:
        """How many platforms have at least one clause labelled ``label``."""
        if label != "other" and label not in self.model.types:
            raise ValueError(f"unknown clause type {label!r}")
        rows = (self.clauses["label"] == label).to_numpy()
        platforms = {k for k in self._platform_keys[rows] if k}
        return Prevalence(label=label, platforms=len(platforms), total=self.platform_count)

    def uniqueness(self, clause_or_text: Any, *, threshold: float = NEAR_IDENTICAL) -> Uniqueness:
        """How many platforms other than the clause's own have a near-identical clause."""
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        text, _, platform = self._query(clause_or_text, need_label=False)
        scores = self._scores(text)
        own = platform_key(platform) if platform else None
        close = {k for k in self._platform_keys[scores >= threshold - 1e-6] if k and k != own}
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

    def _scores(self, text: str, block: int = 65536) -> np.ndarray:
        query = np.asarray(self.model.encoder.encode([text]), dtype=np.float32)[0]
        scores = np.empty(len(self), dtype=np.float32)
        for start in range(0, len(self), block):
            part = self.vectors[start : start + block].astype(np.float32)
            scores[start : start + block] = part @ query
        return scores

    # -- persistence -------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write the index folder atomically (replacing an existing index there)."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".index-", dir=directory.parent))
        try:
            np.save(staging / "vectors.npy", self.vectors, allow_pickle=False)
            self.clauses.to_parquet(staging / "clauses.parquet", index=False)
            meta = {
                "format": INDEX_FORMAT,
                "format_version": INDEX_FORMAT_VERSION,
                "encoder": self.model.encoder.name,
                "dimension": int(self.model.encoder.dimension),
                "model_version": self.model.metadata.get("model_version"),
                "clauses": len(self),
                "platforms": self.platform_count,
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
    def load(cls, directory: str | Path, model: ClauseModel | None = None) -> ClauseIndex:
        """Read an index folder; ``model`` defaults to the embedded model. The model's encoder
        must be the one the index was built with."""
        import pandas as pd

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
        if meta.get("format_version") != INDEX_FORMAT_VERSION:
            raise IndexFormatError(
                f"{meta_path}: format version {meta.get('format_version')!r}, this clauseclf "
                f"reads {INDEX_FORMAT_VERSION}"
            )
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
            clauses = pd.read_parquet(directory / "clauses.parquet")
        except (OSError, ValueError) as exc:
            raise IndexFormatError(f"{directory}: damaged index ({exc})") from None
        try:
            return cls(model, clauses, vectors)
        except ValueError as exc:
            raise IndexFormatError(f"{directory}: {exc}") from None


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
