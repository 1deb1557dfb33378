"""A head on disk: ``head.json`` (types, vocabulary, cues, settings) and ``head.npz`` (the
arrays, read without pickle), and, for a head whose type ranker reads a practice map, that map's
``practices.json`` and ``practices.npz`` (the model's one practice map, ``PracticeMap.save``);
the checks that a head's parts fit together (``check_head``). The readers of model files are in
``clauseclf.head.files`` (re-exported here)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from clauseclf import __version__
from clauseclf.errors import ModelFormatError
from clauseclf.head.cues import CUE_NAMES, LEGACY_STANCE_CUES
from clauseclf.head.features import TextFeatures
from clauseclf.head.files import model_number, read_model_json, read_npz
from clauseclf.head.output import PracticeRanking
from clauseclf.head.practices import PracticeMap

if TYPE_CHECKING:
    from clauseclf.head.core import ClauseHead

__all__ = [
    "CONVERT_COMMAND",
    "HEAD_ARRAYS",
    "HEAD_FORMAT_VERSION",
    "HEAD_JSON",
    "HEAD_NPZ",
    "RANK_PRACTICE_PREFIX",
    "check_head",
    "head_files",
    "load_head",
    "model_number",
    "read_model_json",
    "read_npz",
    "save_head",
]

HEAD_JSON = "head.json"
HEAD_NPZ = "head.npz"
#: 2: a type ranker's practice map is the folder's practices.json/.npz (1: a copy in the head's
#: files; ``CONVERT_COMMAND`` converts such a folder).
HEAD_FORMAT_VERSION = 2
#: The command that converts a model folder of an older head format (run from a checkout).
CONVERT_COMMAND = "python scripts/convert_model_format.py"
#: The type ranker's arrays in head.npz start with this (its practice types: ``rank_practice_
#: types``).
RANK_PRACTICE_PREFIX = "rank_practice_"
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
    RANK_PRACTICE_PREFIX + "types",
)

_Head = TypeVar("_Head")


def save_head(head: ClauseHead, directory: str | Path) -> None:
    """Write ``head.json`` and ``head.npz`` of ``head`` into an existing folder, and the practice
    map its type ranker reads (``practices.json``, ``practices.npz``), so that the folder holds
    the whole head."""
    directory = Path(directory)
    meta, arrays = head_files(head)
    (directory / HEAD_JSON).write_text(json.dumps(meta) + "\n", encoding="utf-8")
    np.savez_compressed(directory / HEAD_NPZ, **arrays)  # type: ignore[arg-type]
    if head.rank_practices is not None:
        head.rank_practices.practices.save(directory)


def head_files(head: ClauseHead) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The contents of ``head.json`` and the arrays of ``head.npz`` (in the dtypes they are
    stored in) that ``save_head`` writes; a type ranker's practice map is not among them (it is
    in the practice files; ``head.json`` records its size and ``PracticeMap.content_digest``)."""
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
        "top_severity_gate": head.top_severity_gate,
        "settings": head.settings,
    }
    ranking = head.rank_practices
    if ranking is not None:
        meta["rank_practices"] = {
            "weight": float(ranking.weight),
            "practices": len(ranking.practices.names),
            "practices_sha256": ranking.practices.content_digest(),
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
        arrays[RANK_PRACTICE_PREFIX + "types"] = ranking.types.astype(np.float32)
    return meta, arrays


def load_head(directory: str | Path, make: Callable[..., _Head]) -> _Head:
    """Read a head saved by ``save_head``: ``make`` (the head class) called with the keyword
    arguments of ``ClauseHead``; ``ModelFormatError`` if missing, corrupt, foreign or of another
    format version (naming the command that converts an older one)."""
    directory = Path(directory)
    meta = read_model_json(directory / HEAD_JSON)
    if not isinstance(meta, dict):
        raise ModelFormatError(f"{directory / HEAD_JSON}: not a head (a JSON object), got {meta!r}")
    version = meta.get("format_version")
    if version != HEAD_FORMAT_VERSION:
        older = type(version) is int and 1 <= version < HEAD_FORMAT_VERSION
        convert = f"; convert the folder with `{CONVERT_COMMAND} {directory}`" if older else ""
        raise ModelFormatError(
            f"{directory / HEAD_JSON}: head format version {version!r}; this clauseclf "
            f"({__version__}) reads version {HEAD_FORMAT_VERSION}{convert}"
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
            rank_practices=_load_rank_practices(directory, meta.get("rank_practices"), arrays),
            required_cues=required,
            # Heads saved before the gate: the highest severity never held back.
            top_severity_gate=model_number(
                meta.get("top_severity_gate", 0.0), f"{path}: 'top_severity_gate'"
            ),
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
    if not 0.0 <= head.top_severity_gate <= 1.0:
        raise ModelFormatError(
            f"top_severity_gate must lie in [0, 1], got {head.top_severity_gate!r}"
        )
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
    directory: Path, meta: Any, arrays: dict[str, np.ndarray]
) -> PracticeRanking | None:
    """The ranker's practice evidence: ``head.json``'s ``rank_practices`` (weight, size and
    content digest of the map), the ``rank_practice_types`` array and the folder's practice map,
    which must be the map the head records (None when the head has none)."""
    if meta is None:
        return None
    where = f"{directory / HEAD_JSON}: 'rank_practices'"
    if not isinstance(meta, dict) or not isinstance(meta.get("practices_sha256"), str):
        raise ModelFormatError(f"{where} must be an object with 'practices_sha256'")
    count = model_number(meta.get("practices"), f"{where} 'practices'", integer=True, minimum=2)
    weight = model_number(meta.get("weight"), f"{where} 'weight'")
    practices = PracticeMap.load(directory)
    if practices.content_digest() != meta["practices_sha256"]:
        raise ModelFormatError(
            f"{directory}: the head's type ranker was fitted with a practice map of {count} "
            f"practices (SHA-256 {meta['practices_sha256'][:12]}...), but practices.json and "
            f"practices.npz hold another, of {len(practices.names)} practices (SHA-256 "
            f"{practices.content_digest()[:12]}...): save the head and its map together"
        )
    return PracticeRanking(practices, arrays[RANK_PRACTICE_PREFIX + "types"], weight)
