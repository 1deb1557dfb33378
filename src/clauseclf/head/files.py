"""The readers of model files: JSON and ``.npz`` arrays (read without pickle), which refuse a
missing, corrupt, oversized or foreign file with ``ModelFormatError``, and the check of a number
read from one (``model_number``)."""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from clauseclf import _json
from clauseclf._files import require_regular_file
from clauseclf.errors import ModelFormatError, TooLargeError
from clauseclf.limits import MAX_JSON_BYTES, read_capped_bytes, read_npz_members


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
