"""Practice profiles: which known practice (a ToS;DR case such as "This service does not sell
your personal data") a clause most likely expresses.

A ``PracticeMap`` is a softmax over linear scores of a clause's embedding and, optionally, its
TF-IDF n-grams (the head's ``TextFeatures.tfidf`` block; the model passes it, see
``ClauseModel.practice_profiles``), trained on annotated clauses that name their practice (the
``case`` field). Its probabilities give a clause's *profile*; the dot product of two profiles is
the probability that the two clauses express the same practice, which is what "how other
platforms handle this" searches by (``ClauseIndex.similar``); the head's type ranker reads the
same map (``PracticeRanking``). Saved once in a model folder, as ``practices.json`` and
``practices.npz``.
Training names each practice by ``practice_id(case)``, a digest of the case text, so a model
folder stores no annotation text; ``practice_id`` over your case titles maps them back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from clauseclf.errors import ModelFormatError
from clauseclf.head.files import read_model_json, read_npz

PRACTICES_JSON = "practices.json"
PRACTICES_NPZ = "practices.npz"
#: The arrays of a practice map (``PracticeMap.arrays``), as practices.npz holds them.
PRACTICE_ARRAYS = ("weights", "bias", "text_data", "text_indices", "text_indptr")
PRACTICES_FORMAT_VERSION = 2
#: Versions ``load`` reads (1: embedding weights only).
READABLE_FORMAT_VERSIONS = (1, 2)


def practice_id(case: str) -> str:
    """The name a model gives the practice ``case``: ``practice-`` and 12 hex digits of the
    SHA-256 of its whitespace-normalised text."""
    digest = hashlib.sha256(" ".join(case.split()).encode("utf-8")).hexdigest()
    return f"practice-{digest[:12]}"


@dataclass(frozen=True, eq=False)
class PracticeMap:
    """Softmax-linear map from ``dimension``-d embeddings (and, when ``text_weights`` is set,
    TF-IDF rows over a ``text_features``-term vocabulary) to probabilities over ``names``.

    ``top_k``: a profile keeps the ``top_k`` most probable practices (all, if there are fewer),
    renormalised, so an index stores ``top_k`` numbers per clause instead of one per practice.
    """

    names: tuple[str, ...]
    weights: np.ndarray  # (dimension, len(names))
    bias: np.ndarray  # (len(names),)
    top_k: int = 8
    text_weights: sp.csr_matrix | None = None  # (vocabulary size, len(names)), sparse

    def __post_init__(self) -> None:
        n = len(self.names)
        if n < 2 or len(set(self.names)) != n:
            raise ModelFormatError(f"a practice map needs at least 2 distinct names, got {n}")
        if self.weights.ndim != 2 or self.weights.shape[1] != n:
            raise ModelFormatError(
                f"practice weights have shape {self.weights.shape}, expected (dimension, {n})"
            )
        if self.bias.shape != (n,):
            raise ModelFormatError(f"practice bias has shape {self.bias.shape}, expected ({n},)")
        if not (np.isfinite(self.weights).all() and np.isfinite(self.bias).all()):
            raise ModelFormatError("practice weights must be finite")
        if self.top_k < 1:
            raise ModelFormatError(f"top_k must be at least 1, got {self.top_k}")
        if self.text_weights is not None:
            if not sp.issparse(self.text_weights) or self.text_weights.shape[1] != n:
                raise ModelFormatError(
                    f"practice text weights must be a sparse (vocabulary, {n}) matrix, got "
                    f"{getattr(self.text_weights, 'shape', type(self.text_weights).__name__)}"
                )
            if not np.isfinite(self.text_weights.data).all():
                raise ModelFormatError("practice text weights must be finite")

    @property
    def dimension(self) -> int:
        """The embedding dimension the map takes."""
        return int(self.weights.shape[0])

    @property
    def text_features(self) -> int:
        """The TF-IDF vocabulary size the map reads (0: it reads embeddings only)."""
        return 0 if self.text_weights is None else int(self.text_weights.shape[0])

    def probabilities(self, embeddings: np.ndarray, tfidf: sp.spmatrix | None = None) -> np.ndarray:
        """Practice probabilities, shape ``(len(embeddings), len(names))``; rows sum to 1.

        ``tfidf``: the clauses' TF-IDF rows, required when the map has ``text_weights``."""
        logits = self.embedding_logits(embeddings)
        if self.text_weights is not None:
            if tfidf is None:
                raise ValueError(
                    "this practice map also reads the clauses' TF-IDF rows: pass tfidf= "
                    "(ClauseModel.practice_profiles does)"
                )
            if tfidf.shape != (len(embeddings), self.text_features):
                raise ValueError(
                    f"tfidf has shape {tfidf.shape}, expected "
                    f"({len(embeddings)}, {self.text_features})"
                )
            logits += self.text_logits(tfidf)
        elif tfidf is not None:
            raise ValueError("this practice map reads embeddings only; tfidf must be None")
        return softmax_rows(logits)

    def embedding_logits(self, embeddings: np.ndarray) -> np.ndarray:
        """The embeddings' part of the practice logits (float32, (n, len(names))): one product
        for any number of rows (plus ``text_logits`` in place, then ``softmax_rows``, gives
        ``probabilities``)."""
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.ndim != 2 or embeddings.shape[1] != self.dimension:
            raise ValueError(
                f"embeddings have shape {embeddings.shape}, expected (n, {self.dimension})"
            )
        return embeddings @ self.weights.astype(np.float32) + self.bias.astype(np.float32)

    def text_logits(self, tfidf: sp.spmatrix) -> np.ndarray:
        """The TF-IDF rows' part of the practice logits (float64, (n, len(names))), to add to
        their ``embedding_logits``; the map must have ``text_weights``."""
        if self.text_weights is None:
            raise ValueError("this practice map reads embeddings only; it has no text weights")
        if tfidf.shape[1] != self.text_features:
            raise ValueError(f"tfidf has shape {tfidf.shape}, expected (n, {self.text_features})")
        rows = sp.csr_matrix(tfidf)
        weights = self._text_weights_64 if rows.dtype == np.float64 else self.text_weights
        return np.asarray((rows @ weights).todense())

    @cached_property
    def _text_weights_64(self) -> sp.csr_matrix | None:
        """``text_weights`` in float64, as a product with float64 rows converts them (here
        once, not on each call)."""
        if self.text_weights is None:
            return None
        weights = sp.csr_matrix(self.text_weights)
        return sp.csr_matrix(
            (weights.data.astype(np.float64), weights.indices, weights.indptr),
            shape=weights.shape,
        )

    def profiles(self, embeddings: np.ndarray, tfidf: sp.spmatrix | None = None) -> sp.csr_matrix:
        """Each clause's ``top_k`` practice probabilities, renormalised, as a sparse matrix."""
        probabilities = self.probabilities(embeddings, tfidf)
        n, k = len(probabilities), min(self.top_k, len(self.names))
        if n == 0:
            return sp.csr_matrix((0, len(self.names)), dtype=np.float32)
        columns = np.argpartition(-probabilities, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(probabilities, columns, axis=1)
        values /= values.sum(axis=1, keepdims=True)
        return sp.csr_matrix(
            (values.ravel(), columns.ravel(), np.arange(0, n * k + 1, k)),
            shape=(n, len(self.names)),
            dtype=np.float32,
        )

    def save(self, directory: str | Path) -> None:
        """Write ``practices.json`` and ``practices.npz`` into an existing folder."""
        directory = Path(directory)
        meta = {
            "format_version": PRACTICES_FORMAT_VERSION,
            "names": list(self.names),
            "top_k": self.top_k,
            "text_features": self.text_features,
        }
        (directory / PRACTICES_JSON).write_text(json.dumps(meta) + "\n", encoding="utf-8")
        np.savez_compressed(directory / PRACTICES_NPZ, allow_pickle=False, **self.arrays())

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:  # names: PRACTICE_ARRAYS
        """The map's arrays as ``save`` writes them (names after ``prefix``); ``from_arrays``
        reads them back."""
        arrays = {
            "weights": self.weights.astype(np.float32),
            "bias": self.bias.astype(np.float32),
            **self._text_arrays(),
        }
        return {prefix + name: value for name, value in arrays.items()}

    @classmethod
    def from_arrays(
        cls,
        names: Sequence[str],
        top_k: int,
        text_features: int,
        arrays: Mapping[str, np.ndarray],
        prefix: str = "",
    ) -> PracticeMap:
        """The map of ``arrays`` (as ``arrays(prefix)`` gives them); ``KeyError`` for a missing
        array, ``ValueError`` (``ModelFormatError`` for the map's own checks) for ones that do
        not fit together."""
        text_weights = None
        if text_features:
            text_weights = sp.csr_matrix(
                (
                    arrays[prefix + "text_data"],
                    arrays[prefix + "text_indices"],
                    arrays[prefix + "text_indptr"],
                ),
                shape=(text_features, len(names)),
            )
            text_weights.check_format(full_check=True)
        return cls(
            tuple(names), arrays[prefix + "weights"], arrays[prefix + "bias"], top_k, text_weights
        )

    def digest(self) -> str:
        """SHA-256 of the names and weights: which map made a set of profiles (an index keeps
        it to refuse another map)."""
        digest = hashlib.sha256("\n".join(self.names).encode("utf-8"))
        digest.update(np.ascontiguousarray(self.weights, dtype=np.float32).tobytes())
        for part in self._text_arrays().values():
            digest.update(np.ascontiguousarray(part).tobytes())
        return digest.hexdigest()

    def content_digest(self) -> str:
        """SHA-256 of everything ``save`` writes (names, ``top_k``, every array with its dtype
        and shape): two maps with the same content digest are the same map. A head's type
        ranker records it to check the practice files it is loaded with."""
        digest = hashlib.sha256(json.dumps([list(self.names), self.top_k]).encode("utf-8"))
        for name, array in sorted(self.arrays().items()):
            array = np.ascontiguousarray(array)
            digest.update(f"\n{name} {array.dtype} {array.shape}\n".encode())
            digest.update(array.tobytes())
        return digest.hexdigest()

    def _text_arrays(self) -> dict[str, np.ndarray]:
        """The sparse n-gram weights as the arrays ``save`` writes (none without them)."""
        if self.text_weights is None:
            return {}
        text = sp.csr_matrix(self.text_weights, dtype=np.float32)
        return {
            "text_data": text.data,
            "text_indices": text.indices.astype(np.int32),
            "text_indptr": text.indptr.astype(np.int64),
        }

    @classmethod
    def load(cls, directory: str | Path) -> PracticeMap:
        """Read a map saved by ``save``; ``ModelFormatError`` if missing, corrupt or foreign."""
        path = Path(directory) / PRACTICES_JSON
        meta = read_model_json(path)
        if not isinstance(meta, dict) or meta.get("format_version") not in READABLE_FORMAT_VERSIONS:
            raise ModelFormatError(f"{path}: unsupported practices format")
        names, top_k = meta.get("names"), meta.get("top_k")
        text_features = meta.get("text_features", 0)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ModelFormatError(f"{path}: 'names' must be a list of str")
        if not isinstance(top_k, int) or isinstance(top_k, bool):
            raise ModelFormatError(f"{path}: 'top_k' must be an integer")
        if (
            not isinstance(text_features, int)
            or isinstance(text_features, bool)
            or text_features < 0
        ):
            raise ModelFormatError(f"{path}: 'text_features' must be a non-negative integer")
        arrays = read_npz(Path(directory) / PRACTICES_NPZ, PRACTICE_ARRAYS)
        try:
            return cls.from_arrays(names, top_k, text_features, arrays)
        except KeyError as exc:
            raise ModelFormatError(f"{directory}: incomplete practices file: {exc!r}") from None
        except ValueError as exc:  # sparse arrays that do not fit together
            raise ModelFormatError(f"{directory}: damaged practice text weights: {exc}") from None


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Each row of ``logits`` as probabilities that sum to 1 (in place; returns ``logits``)."""
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits
