"""Saving and loading a ``ClauseIndex`` folder (no pickle): ``vectors.npy``, ``scales.npy``,
``profiles.npz`` and ``tfidf.npz`` (sparse), ``clauses.parquet``, ``index.json`` and the optional
``ann.usearch``, with the
checks that turn a missing, damaged or foreign folder into an ``IndexFormatError``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from clauseclf import _json
from clauseclf._files import (
    check_folder_entries,
    check_replaceable,
    replace_folder,
    require_regular_file,
)
from clauseclf.errors import IndexFormatError
from clauseclf.index.search import ANN_INSTALL, BACKENDS, _check_backend, _usearch_index
from clauseclf.limits import (
    MAX_JSON_BYTES,
    read_capped_bytes,
    read_npz_members,
    read_parquet_shared,
)

if TYPE_CHECKING:
    from clauseclf.index.core import ClauseIndex
    from clauseclf.inference.model import ClauseModel

INDEX_FORMAT = "clauseclf-index"
INDEX_FORMAT_VERSION = 4
#: Format versions ``load`` reads (version 1 stored float16 vectors, quantised on load; versions
#: 1 and 2 have no practice profiles and rank by wording; a version 3 index ranking by practices
#: has no TF-IDF rows: ``load`` makes them from its stored clause texts with the model head's
#: vectoriser, which is what version 4 stores, and ``save`` writes version 4).
READABLE_FORMAT_VERSIONS = (1, 2, 3, 4)
#: ``similar`` ranks by practice profile (``"practices"``) or by encoder cosine (``"wording"``).
MEASURES = ("practices", "wording")
ANN_FILE = "ann.usearch"
PROFILES_FILE = "profiles.npz"
#: The TF-IDF rows of an index ranking by practices (``ClauseIndex.tfidf``), sparse.
TFIDF_FILE = "tfidf.npz"
META_FILE = "index.json"
#: What an index folder holds; ``save`` replaces only a folder holding nothing else.
INDEX_ENTRIES = frozenset(
    {
        META_FILE,
        "vectors.npy",
        "scales.npy",
        PROFILES_FILE,
        TFIDF_FILE,
        "clauses.parquet",
        ANN_FILE,
    }
)


def _save(index: ClauseIndex, directory: str | Path) -> Path:
    """``ClauseIndex.save``: write ``index``'s folder atomically (replacing an existing index
    there, ``FileExistsError`` for anything else but an empty folder), with the approximate
    backend's graph if it is in use."""
    directory = Path(directory)
    check_replaceable(
        directory, kind="clause index", marker=META_FILE, fmt=INDEX_FORMAT, entries=INDEX_ENTRIES
    )
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".index-", dir=directory.parent))
    try:
        np.save(staging / "vectors.npy", index.vectors, allow_pickle=False)
        np.save(staging / "scales.npy", index.scales, allow_pickle=False)
        if index.profiles is not None and index.tfidf is not None:
            _save_sparse(staging / PROFILES_FILE, index.profiles)
            _save_sparse(staging / TFIDF_FILE, index.tfidf)
        index.clauses.to_parquet(staging / "clauses.parquet", index=False)
        backend: dict[str, Any] = {"name": index.backend}
        if index._ann is not None:
            index._ann.save(str(staging / ANN_FILE))
            backend.update(
                file=ANN_FILE,
                bytes=(staging / ANN_FILE).stat().st_size,
                sha256=_sha256(staging / ANN_FILE),
                **index._ann_options,
            )
        meta = {
            "format": INDEX_FORMAT,
            "format_version": INDEX_FORMAT_VERSION,
            "encoder": index.model.encoder.name,
            "dimension": int(index.model.encoder.dimension),
            "model_version": index.model.metadata.get("model_version"),
            "clauses": len(index),
            "platforms": index.platform_count,
            "backend": backend,
            "measure": index.measure,
            "practices": _practices_digest(index.model) if index.profiles is not None else None,
            "tfidf": _tfidf_digest(index.model) if index.tfidf is not None else None,
        }
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
        replace_folder(staging, directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _load(
    cls: type[ClauseIndex], directory: str | Path, model: ClauseModel | None, *, backend: str | None
) -> ClauseIndex:
    """``ClauseIndex.load``: the index of ``directory`` as a ``cls``, every check failing with
    an ``IndexFormatError``."""
    if backend is not None:
        _check_backend(backend)
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not directory.is_dir() or not os.path.lexists(meta_path):
        raise IndexFormatError(f"{directory}: not a clause index (no {META_FILE})")
    check_folder_entries(directory, IndexFormatError)  # regular files only, before opening
    try:
        meta = _json.loads(read_capped_bytes(meta_path, MAX_JSON_BYTES).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexFormatError(f"{meta_path}: unreadable ({exc})") from None
    found = _json.non_finite(meta)
    if found is not None:
        raise IndexFormatError(f"{meta_path}: {found[0]!r} is {found[1]}; numbers must be finite")
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
        vectors = _read_npy(directory / "vectors.npy")
        scales = None
        if version >= 2:
            scales = _read_npy(directory / "scales.npy")
            if vectors.dtype != np.int8 or scales.dtype != np.float32:
                raise ValueError(f"vectors {vectors.dtype} / scales {scales.dtype}")
        elif vectors.dtype != np.float16:
            raise ValueError(f"vectors are {vectors.dtype}, expected float16")
        clauses = read_parquet_shared(_regular(directory / "clauses.parquet"))
        profiles = _read_profiles(directory, meta, model)
        tfidf = None
        if profiles is not None and version >= 4:
            tfidf = _read_tfidf(directory, meta, model, len(clauses))
    except IndexFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexFormatError(f"{directory}: damaged index ({exc})") from None
    try:
        index = cls(model, clauses, vectors, scales, profiles, tfidf)
    except ValueError as exc:
        raise IndexFormatError(f"{directory}: {exc}") from None
    except TypeError as exc:  # an array of the wrong kind, e.g. a scalar
        raise IndexFormatError(f"{directory}: damaged index ({exc})") from None
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
            stacklevel=3,  # the caller of ClauseIndex.load
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
    return _read_sparse(directory / PROFILES_FILE)


def _tfidf_digest(model: ClauseModel) -> str:
    """SHA-256 of the model head's TF-IDF vectoriser (its vocabulary and idf weights)."""
    features = model.head.features
    digest = hashlib.sha256()
    digest.update(json.dumps(list(features.vocabulary), ensure_ascii=False).encode("utf-8"))
    digest.update(np.ascontiguousarray(features.idf, dtype="<f8").tobytes())
    return digest.hexdigest()


def _read_tfidf(
    directory: Path, meta: dict[str, Any], model: ClauseModel, rows: int
) -> sp.csr_matrix:
    """The saved TF-IDF rows, shape (``rows``, the head's vocabulary); IndexFormatError if
    ``model``'s head has another vectoriser than the one that made them."""
    if meta.get("tfidf") != _tfidf_digest(model):
        raise IndexFormatError(
            f"{directory} holds TF-IDF rows made by another vectoriser than the model head's "
            f"({len(model.head.features.vocabulary)} terms); load it with the model it was "
            "built with, or rebuild it"
        )
    path = directory / TFIDF_FILE
    tfidf = _read_sparse(path)
    expected = (rows, len(model.head.features.vocabulary))
    if tfidf.shape != expected:
        raise ValueError(f"{TFIDF_FILE}: shape {tfidf.shape}, expected {expected}")
    if tfidf.dtype.kind != "f" or not np.isfinite(tfidf.data).all():
        raise ValueError(f"{TFIDF_FILE}: values are {tfidf.dtype}, not finite floats")
    return tfidf


def _save_sparse(path: Path, matrix: sp.csr_matrix) -> None:
    np.savez(
        path,
        data=matrix.data,
        indices=matrix.indices,
        indptr=matrix.indptr,
        shape=np.array(matrix.shape, dtype=np.int64),
    )


def _read_sparse(path: Path) -> sp.csr_matrix:
    """The CSR matrix of a ``_save_sparse`` file, its arrays' sizes capped before reading and
    its indices checked within its shape; ValueError naming the file otherwise."""
    saved = read_npz_members(_regular(path), ("data", "indices", "indptr", "shape"))
    missing = [name for name in ("data", "indices", "indptr", "shape") if name not in saved]
    if missing:
        raise ValueError(f"{path.name}: no {', '.join(missing)} array")
    shape = saved["shape"]
    if shape.shape != (2,) or shape.dtype.kind not in "iu" or (shape < 0).any():
        raise ValueError(f"{path.name}: 'shape' is {shape!r}, not two row/column counts")
    indices, indptr, data = saved["indices"], saved["indptr"], saved["data"]
    if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
        raise ValueError(f"{path.name}: indices are {indices.dtype} / {indptr.dtype}")
    if data.ndim != 1 or data.dtype.kind != "f":
        raise ValueError(f"{path.name}: values are {data.dtype} of shape {data.shape}")
    if indices.ndim != 1 or indptr.shape != (int(shape[0]) + 1,) or len(indices) != len(data):
        raise ValueError(
            f"{path.name}: {len(data)} values, {indices.shape} indices and {indptr.shape} row "
            f"pointers do not make a ({int(shape[0])}, {int(shape[1])}) matrix"
        )
    try:
        matrix = sp.csr_matrix((data, indices, indptr), shape=(int(shape[0]), int(shape[1])))
        matrix.check_format(full_check=True)  # every index within the shape
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    return matrix


def _read_ann(directory: Path, saved: dict[str, Any], index: ClauseIndex) -> Any:
    """The saved HNSW graph of ``index``, checked against ``index.json`` before usearch reads it."""
    usearch_index = _usearch_index()
    path = directory / ANN_FILE
    if saved.get("file") != ANN_FILE or not os.path.lexists(path):
        raise IndexFormatError(f"{path}: missing (index.json names an hnsw graph)")
    _regular(path)
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


def _read_npy(path: Path) -> np.ndarray:
    """A saved ``.npy`` array, once its header's shape and dtype are checked against the file's
    size (a header declaring more data than the file holds is a ValueError, never an allocation)."""
    with _regular(path).open("rb") as handle:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _fortran, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise ValueError(f"{path.name}: unsupported .npy version {version}")
        if dtype.hasobject:
            raise ValueError(f"{path.name}: holds Python objects")
        declared = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        held = path.stat().st_size - handle.tell()
        if declared != held:
            raise ValueError(
                f"{path.name}: its header declares shape {shape} of {dtype} ({declared} bytes) "
                f"but the file holds {held}"
            )
        handle.seek(0)
        return np.asarray(np.load(handle, allow_pickle=False))


def _regular(path: Path) -> Path:
    """``path`` once checked to be a regular file (``IndexFormatError`` for a symlink, FIFO or
    device; ``FileNotFoundError`` if missing)."""
    require_regular_file(path, IndexFormatError)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()
