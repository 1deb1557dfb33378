"""A model folder's files: their names, the checks made before reading them (no pickle-based
files, regular files only), ``check_model_target`` (what ``save`` may replace) and
``load_model_encoder`` (the encoder ``config.json`` names)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clauseclf._files import (
    check_folder_entries,
    check_replaceable,
    require_inner_folder,
)
from clauseclf.encoder import Encoder, EncoderSpec, StaticEncoder, load_encoder
from clauseclf.encoder_cache import CachedEncoder
from clauseclf.errors import ModelFormatError
from clauseclf.head.files import model_number, read_model_json
from clauseclf.head.io import HEAD_JSON, HEAD_NPZ
from clauseclf.head.practices import PRACTICES_JSON, PRACTICES_NPZ

MODEL_FORMAT = "clauseclf-model"
MODEL_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
TAXONOMY_FILE = "taxonomy.json"
CARD_FILE = "MODEL_CARD.md"
ENCODER_FOLDER = "encoder"
#: What a model folder holds; ``save`` replaces only a folder holding nothing else.
MODEL_ENTRIES = frozenset(
    {CONFIG_FILE, TAXONOMY_FILE, HEAD_JSON, HEAD_NPZ, PRACTICES_JSON, PRACTICES_NPZ}
    | {CARD_FILE, ENCODER_FOLDER}
)


def load_model_encoder(directory: str | Path, config: Mapping[str, Any] | None = None) -> Encoder:
    """The encoder a model folder's ``config.json`` names: a static encoder stored in the folder
    (``"kind": "static"``, files under ``path``) or the packaged sentence-transformers model."""
    directory = Path(directory)
    if config is None:
        refuse_pickle_files(directory)
        config = read_json(directory / CONFIG_FILE)
    raw_spec = config.get("encoder")
    if not isinstance(raw_spec, dict):
        raise ModelFormatError(f"{directory / CONFIG_FILE} has no encoder spec")
    if raw_spec.get("kind") == "static":
        relative = raw_spec.get("path")
        if (
            not isinstance(relative, str)
            or not relative
            or Path(relative).is_absolute()
            or ".." in Path(relative).parts
        ):
            raise ModelFormatError(
                f"{directory / CONFIG_FILE}: a static encoder's path must be a folder inside "
                f"the model folder, got {relative!r}"
            )
        folder = require_inner_folder(directory, relative, ModelFormatError)
        refuse_pickle_files(folder)
        encoder = StaticEncoder(folder)
        if encoder.dimension != raw_spec.get("dimension"):
            raise ModelFormatError(
                f"{directory / CONFIG_FILE}: encoder dimension {raw_spec.get('dimension')!r} "
                f"differs from the {encoder.dimension}-d static encoder in {relative}"
            )
        return encoder
    try:
        spec = EncoderSpec(
            package=str(raw_spec["package"]),
            name=str(raw_spec["name"]),
            dimension=model_number(
                raw_spec["dimension"],
                f"{directory / CONFIG_FILE}: 'encoder.dimension'",
                integer=True,
                minimum=1,
            ),
            package_version=raw_spec.get("package_version"),
        )
    except ModelFormatError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelFormatError(f"{directory / CONFIG_FILE}: bad encoder spec: {exc}") from None
    return load_encoder(spec)


def check_model_target(directory: str | Path) -> None:
    """``FileExistsError`` unless a model may be saved to ``directory``: it is missing, an
    empty folder, or a clauseclf model folder holding nothing else (which ``save`` replaces)."""
    check_replaceable(
        Path(directory),
        kind="clauseclf model",
        marker=CONFIG_FILE,
        fmt=MODEL_FORMAT,
        entries=MODEL_ENTRIES,
    )


def static_encoder(encoder: Encoder) -> StaticEncoder | None:
    """The static encoder inside ``encoder`` (possibly wrapped in a cache), if it is one."""
    inner = encoder.encoder if isinstance(encoder, CachedEncoder) else encoder
    return inner if isinstance(inner, StaticEncoder) else None


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object of a model file (``read_model_json``); ``ModelFormatError`` otherwise."""
    data = read_model_json(path)
    if not isinstance(data, dict):
        raise ModelFormatError(f"{path} does not hold a JSON object")
    return data


# Suffixes of pickle-based formats (pickle, joblib, torch, dill), and pickle's header bytes
# (PROTO opcode, protocols 2 to 5).
_PICKLE_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib", ".pt", ".pth", ".dill", ".sav"})
_PICKLE_HEADERS = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))


def refuse_pickle_files(directory: Path) -> None:
    """Refuse a model folder holding pickle-based files (loading one could run any code), or
    anything but regular files and folders (a symlink, FIFO or device).

    clauseclf never unpickles; such a file can only come from another tool or from someone
    hoping it will be loaded. Only the folder's own files are checked (not subfolders).
    """
    check_folder_entries(directory, ModelFormatError)
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            header = handle.read(2)
        if path.suffix.lower() in _PICKLE_SUFFIXES or header in _PICKLE_HEADERS:
            raise ModelFormatError(
                f"{path}: refused: a pickle-based file in a model folder (loading it could run "
                "code); clauseclf models hold only JSON and .npz arrays and never unpickle"
            )
