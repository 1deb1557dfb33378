"""A head on disk: ``head.json`` (types, vocabulary, cues, settings) and ``head.npz`` (the
arrays, read without pickle); the readers of model files, which refuse a missing, corrupt or
foreign file with ``ModelFormatError``; the checks that a head's parts fit together
(``check_head``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from clauseclf import _json
from clauseclf._files import require_regular_file
from clauseclf.errors import ModelFormatError, TooLargeError
from clauseclf.head.cues import CUE_NAMES, LEGACY_STANCE_CUES
from clauseclf.head.features import TextFeatures
from clauseclf.head.output import PracticeRanking
from clauseclf.limits import MAX_JSON_BYTES, read_capped_bytes, read_npz_members

if TYPE_CHECKING:
    from clauseclf.head.core import ClauseHead

HEAD_JSON = "head.json"
HEAD_NPZ = "head.npz"
HEAD_FORMAT_VERSION = 1
#: Names of the ranker's practice-map arrays in head.npz start with this.
RANK_PRACTICE_PREFIX = "rank_practice_"
#: The arrays of a practice map (``PracticeMap.arrays``), in practices.npz as they are and in
#: head.npz after ``RANK_PRACTICE_PREFIX``.
PRACTICE_ARRAYS = ("weights", "bias", "text_data", "text_indices", "text_indptr")
#: Every array head.npz may hold: the only members read from it.
HEAD_ARRAYS = (
    "idf",
    "char_idf",
    "type_weights",
    "type_bias",
    "platt",
    "thresholds",
    "severity_weights",
    "severity_bias",
    "confidence_curve",
    "rank_weights",
    "rank_bias",
    *(RANK_PRACTICE_PREFIX + name for name in (*PRACTICE_ARRAYS, "types")),
)

_Head = TypeVar("_Head")


def save_head(head: ClauseHead, directory: str | Path) -> None:
    """Write ``head.json`` and ``head.npz`` of ``head`` into an existing folder."""
    directory = Path(directory)
    meta, arrays = head_files(head)
    (directory / HEAD_JSON).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    np.savez_compressed(directory / HEAD_NPZ, **arrays)  # type: ignore[arg-type]


def head_files(head: ClauseHead) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """What ``save_head`` writes: the contents of ``head.json`` and the arrays of ``head.npz``
    (in the dtypes they are stored in)."""
    meta = {
        "format_version": HEAD_FORMAT_VERSION,
        "types": list(head.types),
        "severity_scale": list(head.severity_scale),
        "embedding_dim": head.features.embedding_dim,
        "embedding_weight": head.features.embedding_weight,
        "stance_weight": head.features.stance_weight,
        "stance_cues": list(head.features.stance_cues),
        "vocabulary": head.features.vocabulary,
        "char_vocabulary": head.features.char_vocabulary,
        "char_weight": head.features.char_weight,
        "required_cues": head.required_cues,
        "settings": head.settings,
    }
    ranking = head.rank_practices
    if ranking is not None:
        meta["rank_practices"] = {
            "names": list(ranking.practices.names),
            "top_k": ranking.practices.top_k,
            "text_features": ranking.practices.text_features,
            "weight": float(ranking.weight),
        }
    arrays: dict[str, np.ndarray] = {
        "idf": head.features.idf,
        "char_idf": head.features.char_idf,
        "type_weights": head.type_weights.astype(np.float32),
        "type_bias": head.type_bias,
        "platt": head.platt,
        "thresholds": head.thresholds,
        "severity_weights": head.severity_weights.astype(np.float16),
        "severity_bias": head.severity_bias,
        "confidence_curve": head.confidence_curve,
    }
    if head.rank_weights is not None and head.rank_bias is not None:
        arrays.update(rank_weights=head.rank_weights, rank_bias=head.rank_bias)
    if ranking is not None:
        arrays.update(ranking.practices.arrays(prefix=RANK_PRACTICE_PREFIX))
        arrays[RANK_PRACTICE_PREFIX + "types"] = ranking.types.astype(np.float32)
    return meta, arrays


def load_head(directory: str | Path, make: Callable[..., _Head]) -> _Head:
    """Read a head saved by ``save_head``: ``make`` (the head class) called with the keyword
    arguments of ``ClauseHead``; ``ModelFormatError`` if missing, corrupt or foreign."""
    directory = Path(directory)
    meta = read_model_json(directory / HEAD_JSON)
    if not isinstance(meta, dict) or meta.get("format_version") != HEAD_FORMAT_VERSION:
        raise ModelFormatError(
            f"{directory / HEAD_JSON}: unsupported head format "
            f"{meta.get('format_version') if isinstance(meta, dict) else meta!r}"
        )
    arrays = read_npz(directory / HEAD_NPZ, HEAD_ARRAYS)
    meta.setdefault("stance_cues", list(LEGACY_STANCE_CUES))  # heads saved before naming
    required = meta.get("required_cues", {})  # heads saved before cues gated types: none
    if not isinstance(required, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in required.items()
    ):
        raise ModelFormatError(f"{directory / HEAD_JSON}: 'required_cues' must map str to str")
    meta.setdefault("char_vocabulary", [])  # a head without the character n-gram block
    for key in ("vocabulary", "types", "severity_scale", "stance_cues", "char_vocabulary"):
        value = meta.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ModelFormatError(f"{directory / HEAD_JSON}: {key!r} must be a list of str")
    path = directory / HEAD_JSON
    try:
        features = TextFeatures(
            vocabulary=[str(term) for term in meta["vocabulary"]],
            idf=arrays["idf"],
            embedding_dim=model_number(
                meta["embedding_dim"], f"{path}: 'embedding_dim'", integer=True, minimum=1
            ),
            embedding_weight=model_number(meta["embedding_weight"], f"{path}: 'embedding_weight'"),
            stance_weight=model_number(meta.get("stance_weight", 0.0), f"{path}: 'stance_weight'"),
            stance_cues=[str(cue) for cue in meta["stance_cues"]],
            char_vocabulary=[str(gram) for gram in meta["char_vocabulary"]],
            char_idf=arrays.get("char_idf"),
            char_weight=model_number(meta.get("char_weight", 0.0), f"{path}: 'char_weight'"),
        )
        return make(
            types=[str(t) for t in meta["types"]],
            severity_scale=[str(s) for s in meta["severity_scale"]],
            features=features,
            type_weights=arrays["type_weights"],
            type_bias=arrays["type_bias"],
            platt=arrays["platt"],
            thresholds=arrays["thresholds"],
            severity_weights=arrays["severity_weights"],
            severity_bias=arrays["severity_bias"],
            confidence_curve=arrays["confidence_curve"],
            rank_weights=arrays.get("rank_weights"),
            rank_bias=arrays.get("rank_bias"),
            rank_practices=_load_rank_practices(path, meta.get("rank_practices"), arrays),
            required_cues=required,
            settings=dict(meta.get("settings") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ModelFormatError):
            if str(directory) in str(exc):
                raise
            raise ModelFormatError(f"{directory}: {exc}") from None
        raise ModelFormatError(f"{directory}: incomplete or malformed head: {exc!r}") from None


def check_head(head: ClauseHead) -> None:
    """``ModelFormatError`` unless ``head``'s arrays have the shapes its types, features and
    severity scale call for and hold finite values, its confidence curve is a valid map, its
    ranker's practice evidence fits it and its required cues name its types and known cues
    (``ClauseHead`` checks itself when built, a loaded head included)."""
    _check_shapes(head)
    _check_rank_practices(head)
    for type_id, cue in head.required_cues.items():
        if type_id not in head.types or cue not in CUE_NAMES:
            raise ModelFormatError(
                f"required cue {type_id!r} -> {cue!r}: the type must be one of the head's "
                f"and the cue one of {sorted(CUE_NAMES)}"
            )


def _check_shapes(head: ClauseHead) -> None:
    n_types, n_features, n_levels = (
        len(head.types),
        head.features.size,
        len(head.severity_scale),
    )
    expected: dict[str, tuple[np.ndarray, tuple[int, ...]]] = {
        "type_weights": (head.type_weights, (n_features, n_types)),
        "type_bias": (head.type_bias, (n_types,)),
        "platt": (head.platt, (n_types, 2)),
        "thresholds": (head.thresholds, (n_types,)),
        "severity_weights": (head.severity_weights, (n_types, n_features, n_levels)),
        "severity_bias": (head.severity_bias, (n_types, n_levels)),
    }
    if head.rank_weights is not None and head.rank_bias is not None:
        expected["rank_weights"] = (head.rank_weights, (n_features, n_types))
        expected["rank_bias"] = (head.rank_bias, (n_types,))
    for name, (array, shape) in expected.items():
        if array.shape != shape:
            raise ModelFormatError(f"head array {name} has shape {array.shape}, expected {shape}")
        if not np.all(np.isfinite(array)):
            raise ModelFormatError(f"head array {name} holds NaN or infinite values")
    curve = head.confidence_curve
    if curve.ndim != 2 or curve.shape[0] != 2 or curve.shape[1] < 2:
        raise ModelFormatError(f"confidence_curve has shape {curve.shape}, expected (2, k>=2)")
    if not np.all(np.isfinite(curve)) or np.any(np.diff(curve[0]) < 0):
        raise ModelFormatError("confidence_curve must be finite with increasing breakpoints")
    if np.any((curve[1] < 0) | (curve[1] > 1)):
        raise ModelFormatError("confidence_curve values must lie in [0, 1]")
    if n_levels < 1:
        raise ModelFormatError("severity scale is empty")
    if len(set(head.types)) != n_types:
        raise ModelFormatError("head types are not unique")


def _check_rank_practices(head: ClauseHead) -> None:
    ranking = head.rank_practices
    if ranking is None:
        return
    if head.rank_weights is None:
        raise ModelFormatError("rank_practices needs the type ranker (rank_weights)")
    names = len(ranking.practices.names)
    if ranking.types.shape != (names, len(head.types)):
        raise ModelFormatError(
            f"rank_practices types have shape {ranking.types.shape}, expected "
            f"({names}, {len(head.types)})"
        )
    if not (np.isfinite(ranking.types).all() and np.isfinite(ranking.weight)):
        raise ModelFormatError("rank_practices types and weight must be finite")
    if ranking.practices.dimension != head.embedding_dim or ranking.practices.text_features != (
        len(head.features.vocabulary)
    ):
        raise ModelFormatError(
            "rank_practices reads "
            f"{ranking.practices.dimension}-d embeddings and "
            f"{ranking.practices.text_features} n-grams, the head "
            f"{head.embedding_dim} and {len(head.features.vocabulary)}"
        )


def _load_rank_practices(
    path: Path, meta: Any, arrays: dict[str, np.ndarray]
) -> PracticeRanking | None:
    """The ranker's practice evidence from ``head.json``'s ``rank_practices`` and the
    ``rank_practice_*`` arrays (None when the head has none)."""
    if meta is None:
        return None
    # imported here: the practice map's module reads its files with this module's readers
    from clauseclf.inference.practices import PracticeMap

    if not isinstance(meta, dict) or not isinstance(meta.get("names"), list):
        raise ModelFormatError(f"{path}: 'rank_practices' must be an object with 'names'")
    where = f"{path}: 'rank_practices'"
    practices = PracticeMap.from_arrays(
        [str(name) for name in meta["names"]],
        model_number(meta["top_k"], f"{where} 'top_k'", integer=True, minimum=1),
        model_number(meta["text_features"], f"{where} 'text_features'", integer=True),
        arrays,
        prefix=RANK_PRACTICE_PREFIX,
    )
    types = arrays[RANK_PRACTICE_PREFIX + "types"]
    return PracticeRanking(practices, types, model_number(meta["weight"], f"{where} 'weight'"))


def read_model_json(path: Path) -> Any:
    """The parsed JSON of a model file; ``ModelFormatError`` if missing, unreadable, not a
    regular file (checked before opening: a FIFO would hang), larger than ``MAX_JSON_BYTES`` or
    holding a NaN or infinite number (named by its key)."""
    try:
        require_regular_file(path, ModelFormatError)
        data = _json.loads(read_capped_bytes(path, MAX_JSON_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ModelFormatError(f"model file missing: {path}") from None
    except TooLargeError as exc:
        raise ModelFormatError(str(exc)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"cannot read {path}: {exc}") from None
    found = _json.non_finite(data)
    if found is not None:
        raise ModelFormatError(
            f"{path}: {found[0]!r} is {found[1]}; numbers in model files must be finite"
        )
    return data


def model_number(value: Any, where: str, *, integer: bool = False, minimum: float = 0.0) -> Any:
    """``value`` checked to be a number (an int if ``integer``) of at least ``minimum``;
    ``ModelFormatError`` starting with ``where`` (file and key) otherwise."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value >= minimum:
        kind = "an integer" if integer else "a number"
        raise ModelFormatError(f"{where} must be {kind} >= {minimum:g}, got {value!r}")
    return value


def read_npz(path: Path, names: Collection[str]) -> dict[str, np.ndarray]:
    """The arrays ``names`` of a model's ``.npz`` file (those it holds; no other member is
    decompressed), read without pickle; ``ModelFormatError`` if missing, not a regular file,
    corrupt, holding objects (which would need pickle) or declaring more than
    ``MAX_ARRAY_BYTES`` a member."""
    try:
        require_regular_file(path, ModelFormatError)
        return read_npz_members(path, names)
    except FileNotFoundError:
        raise ModelFormatError(f"model file missing: {path}") from None
    except ModelFormatError:
        raise
    except TooLargeError as exc:
        raise ModelFormatError(str(exc)) from None
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # object arrays need pickle, which is refused
            raise ModelFormatError(f"{path}: refused to load (would need pickle): {exc}") from None
        raise ModelFormatError(f"{path}: corrupt weights file: {exc}") from None
    except Exception as exc:  # zipfile, zlib and format errors: all mean a corrupt file
        raise ModelFormatError(f"{path}: corrupt weights file: {exc}") from None
