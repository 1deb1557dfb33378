"""Every exception clauseclf raises on bad input, in one leaf module (no imports).

Each is a ``ValueError`` (``EncoderNotFoundError``: a ``RuntimeError``), so callers that caught
``ValueError`` before keep working; catch the specific class to tell the problems apart.
"""

from __future__ import annotations

__all__ = [
    "AnnotationError",
    "DocumentError",
    "EncoderNotFoundError",
    "EncodingError",
    "IndexFormatError",
    "ModelFormatError",
    "ScoringError",
    "StaleLockWarning",
    "StandoffError",
    "TaxonomyError",
    "TooLargeError",
]


class AnnotationError(ValueError):
    """An annotation file has a bad record; the message names the file and line."""


class StandoffError(AnnotationError):
    """A standoff record cannot be resolved; the message names the file and line."""


class DocumentError(ValueError):
    """A document cannot be read as text."""


class ScoringError(ValueError):
    """A document could not be scored (with ``errors="raise"``)."""


class StaleLockWarning(UserWarning):
    """A lock file left by a run that ended without releasing it (killed) was taken over."""


class ModelFormatError(ValueError):
    """A model folder is missing files, corrupt, or incompatible with this clauseclf."""


class EncodingError(ValueError):
    """The encoder failed on a text (its tokenizer panicked); the model cannot read that text."""


class EncoderNotFoundError(RuntimeError):
    """The encoder's package or model files are not installed."""


class IndexFormatError(ValueError):
    """An index folder is missing, damaged or of another format."""


class TooLargeError(ValueError):
    """A file, or a part of one, declares or holds more than clauseclf's limit for it; the
    message names the file and the limit."""


class TaxonomyError(ValueError):
    """A taxonomy file is malformed."""
