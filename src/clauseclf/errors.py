"""Every exception clauseclf raises on bad input, in one leaf module (standard library only).

Each is a ``ValueError`` (``EncoderNotFoundError``: a ``RuntimeError``; ``MissingExtraError``:
an ``ImportError``), so callers that caught those before keep working; catch the specific class
to tell the problems apart. ``require_extra`` is how every optional dependency is imported.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = [
    "AnnotationError",
    "DocumentError",
    "EncoderNotFoundError",
    "IndexFormatError",
    "MissingExtraError",
    "ModelFormatError",
    "ScoringError",
    "StandoffError",
    "TaxonomyError",
    "require_extra",
]


class AnnotationError(ValueError):
    """An annotation file has a bad record; the message names the file and line."""


class StandoffError(AnnotationError):
    """A standoff record cannot be resolved; the message names the file and line."""


class DocumentError(ValueError):
    """A document cannot be read as text."""


class ScoringError(ValueError):
    """A document could not be scored (with ``errors="raise"``)."""


class ModelFormatError(ValueError):
    """A model folder is missing files, corrupt, or incompatible with this clauseclf."""


class EncoderNotFoundError(RuntimeError):
    """The encoder's model files are missing or unreadable (no package: ``MissingExtraError``)."""


class IndexFormatError(ValueError):
    """An index folder is missing, damaged or of another format."""


class TaxonomyError(ValueError):
    """A taxonomy file is malformed."""


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


def require_extra(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` from the optional extra ``extra`` (``clauseclf[extra]``), or raise
    ``MissingExtraError`` saying that ``purpose`` needs it and which ``pip install`` to run."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        missing = (error.name or module).split(".")[0]
        raise MissingExtraError(
            f"{purpose} needs {missing}, which is not installed: pip install 'clauseclf[{extra}]'",
            name=missing,
        ) from None
