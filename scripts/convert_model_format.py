"""Convert a clauseclf model folder of head format 1 to head format 2, in place::

    python scripts/convert_model_format.py MODEL_DIR

Format 1 kept the practice map the head's type ranker reads twice: in the folder's
``practices.json``/``practices.npz`` and again in ``head.json`` (``rank_practices``: names,
``top_k``, ``text_features``, weight) and ``head.npz`` (the ``rank_practice_*`` arrays). Format 2
keeps it once, in the practice files; ``head.json`` records the ranker's weight and the map's
size and ``PracticeMap.content_digest``, ``head.npz`` only ``rank_practice_types``.

The v1 files are read directly (JSON and numpy, without pickle). The head's copy of the map must
equal the practice files' (names, ``top_k``, every array, dtype and value) or nothing is changed.
Every other file and array is carried over as it is, so the converted model predicts exactly as
before. The new folder is written beside the old one and swapped in only once its head loads
(as ``ClauseModel.save`` does): a failure leaves the folder as it was. A folder already in
format 2 is left alone. Exit status 1, with one ``convert_model_format: error: ...`` line, for a
folder that cannot be converted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from clauseclf._files import check_folder_entries, write_replacing
from clauseclf.errors import ModelFormatError
from clauseclf.head import ClauseHead
from clauseclf.head.io import HEAD_FORMAT_VERSION, HEAD_JSON, HEAD_NPZ, RANK_PRACTICE_PREFIX
from clauseclf.head.practices import PRACTICE_ARRAYS, PRACTICES_JSON, PRACTICES_NPZ, PracticeMap
from clauseclf.inference.folder import CONFIG_FILE, MODEL_FORMAT, check_model_target

#: The head format this script converts from.
FROM_VERSION = 1


class ConversionError(Exception):
    """A folder that is not a format-1 clauseclf model this script can convert."""


def convert(directory: str | Path) -> bool:
    """Convert the model folder ``directory`` from head format 1 to 2 in place; False (and no
    change) when it is already in format 2. ``ConversionError`` for a folder that is not a
    clauseclf model, of another format, or whose head's practice map differs from its
    practice files."""
    directory = Path(directory)
    _check_model_folder(directory)
    meta = _read_json(directory / HEAD_JSON)
    version = meta.get("format_version")
    if version == HEAD_FORMAT_VERSION:
        return False
    if version != FROM_VERSION:
        raise ConversionError(
            f"{directory / HEAD_JSON}: head format version {version!r}; this script converts "
            f"version {FROM_VERSION} to {HEAD_FORMAT_VERSION}"
        )
    arrays = _read_npz(directory / HEAD_NPZ)
    new_meta, new_arrays = converted_head(directory, meta, arrays)

    def fill(staging: Path) -> None:
        for entry in sorted(directory.iterdir()):
            if entry.name in (HEAD_JSON, HEAD_NPZ):
                continue
            if entry.is_dir():
                shutil.copytree(entry, staging / entry.name)
            else:
                shutil.copy2(entry, staging / entry.name)
        (staging / HEAD_JSON).write_text(json.dumps(new_meta) + "\n", encoding="utf-8")
        np.savez_compressed(staging / HEAD_NPZ, allow_pickle=False, **new_arrays)
        _check_converted(staging, meta, arrays)

    write_replacing(directory, fill)
    return True


def converted_head(
    directory: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The format-2 ``head.json`` and ``head.npz`` contents of the format-1 ones (``meta``,
    ``arrays``) of the model folder ``directory``; ``ConversionError`` unless the head's copy of
    the practice map equals the folder's practice files."""
    new_meta = {**meta, "format_version": HEAD_FORMAT_VERSION}
    ranking = meta.get("rank_practices")
    copies = {RANK_PRACTICE_PREFIX + name for name in PRACTICE_ARRAYS}
    if ranking is None:
        if copies & set(arrays):
            raise ConversionError(
                f"{directory / HEAD_NPZ}: practice arrays without 'rank_practices' in {HEAD_JSON}"
            )
        return new_meta, dict(arrays)
    if not isinstance(ranking, dict) or not {"names", "top_k", "text_features", "weight"} <= set(
        ranking
    ):
        raise ConversionError(
            f"{directory / HEAD_JSON}: 'rank_practices' must hold names, top_k, text_features "
            "and weight (a format-1 head)"
        )
    if not (directory / PRACTICES_JSON).is_file() or not (directory / PRACTICES_NPZ).is_file():
        raise ConversionError(
            f"{directory}: the head's type ranker has a practice map but the folder has no "
            f"{PRACTICES_JSON} and {PRACTICES_NPZ} to keep it in"
        )
    stored = _read_json(directory / PRACTICES_JSON)
    stored_arrays = _read_npz(directory / PRACTICES_NPZ)
    differences = [
        f"{key} ({ranking.get(key)!r} in {HEAD_JSON}, {stored.get(key, 0)!r} in {PRACTICES_JSON})"
        for key in ("names", "top_k", "text_features")
        if ranking.get(key) != stored.get(key, 0)
    ]
    for name in PRACTICE_ARRAYS:
        head_copy, kept = arrays.get(RANK_PRACTICE_PREFIX + name), stored_arrays.get(name)
        if head_copy is None and kept is None:
            continue
        if (
            head_copy is None
            or kept is None
            or head_copy.dtype != kept.dtype
            or not np.array_equal(head_copy, kept)
        ):
            differences.append(f"array {name}")
    if differences:
        raise ConversionError(
            f"{directory}: the head's copy of the practice map differs from {PRACTICES_JSON}/"
            f"{PRACTICES_NPZ} in {'; '.join(differences)}: refusing to drop it (format 2 keeps "
            "one map; retrain the model or restore matching files)"
        )
    practices = PracticeMap.from_arrays(
        ranking["names"], ranking["top_k"], ranking["text_features"], stored_arrays
    )
    new_meta["rank_practices"] = {
        "weight": ranking["weight"],
        "practices": len(practices.names),
        "practices_sha256": practices.content_digest(),
    }
    return new_meta, {name: value for name, value in arrays.items() if name not in copies}


def _check_converted(staging: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """``ConversionError`` unless the converted head in ``staging`` loads and holds the format-1
    head's arrays and practice map."""
    head = ClauseHead.load(staging)
    ranking = head.rank_practices
    if (ranking is None) != (meta.get("rank_practices") is None):
        raise ConversionError(f"{staging}: the converted head lost or gained its practice map")
    if ranking is not None:
        loaded = ranking.practices.arrays(prefix=RANK_PRACTICE_PREFIX)
        if set(loaded) != {n for n in arrays if n.startswith(RANK_PRACTICE_PREFIX)} - {
            RANK_PRACTICE_PREFIX + "types"
        } or not all(np.array_equal(value, arrays[name]) for name, value in loaded.items()):
            raise ConversionError(f"{staging}: the converted head reads another practice map")


def _check_model_folder(directory: Path) -> None:
    """``ConversionError`` unless ``directory`` is a clauseclf model folder (its config names the
    format, it has a head and holds nothing but a model's files)."""
    if not directory.is_dir() or directory.is_symlink():
        raise ConversionError(f"{directory}: no model folder there")
    config = directory / CONFIG_FILE
    data = _read_json(config) if config.is_file() else None
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise ConversionError(
            f"{directory}: not a clauseclf model folder (no {CONFIG_FILE} of format "
            f"{MODEL_FORMAT!r})"
        )
    try:
        check_folder_entries(directory, ConversionError)
        check_model_target(directory)
    except FileExistsError as exc:
        raise ConversionError(str(exc)) from None
    for name in (HEAD_JSON, HEAD_NPZ):
        if not (directory / name).is_file():
            raise ConversionError(f"{directory}: no {name}")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConversionError(f"{path} does not hold a JSON object")
    return data


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as saved:
            return {name: saved[name] for name in saved.files}
    except Exception as exc:  # zipfile, zlib, pickle refusal: a file this script cannot read
        raise ConversionError(f"cannot read {path}: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="convert_model_format",
        description=f"Convert a clauseclf model folder from head format {FROM_VERSION} to "
        f"{HEAD_FORMAT_VERSION} in place (the practice map stored once).",
    )
    parser.add_argument("model_dir", type=Path, help="the model folder (e.g. models/default)")
    args = parser.parse_args(argv)
    try:
        changed = convert(args.model_dir)
    except (ConversionError, ModelFormatError, OSError) as exc:
        print(f"convert_model_format: error: {exc}", file=sys.stderr)
        return 1
    state = "converted to" if changed else "already in"
    print(f"{args.model_dir}: {state} head format {HEAD_FORMAT_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
