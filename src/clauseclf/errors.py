"""Every exception clauseclf raises on bad input, in one leaf module (standard library only).

Each is a ``ValueError`` (``EncoderNotFoundError`` and ``CacheError``: a ``RuntimeError``;
``MissingExtraError``: an ``ImportError``), so callers that caught those before keep working;
catch the specific class to tell the problems apart. ``require_extra`` is how every optional
dependency is imported.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

__all__ = [
    "AnnotationError",
    "CacheError",
    "DocumentError",
    "EncoderNotFoundError",
    "EncodingError",
    "FetchError",
    "IndexFormatError",
    "MissingExtraError",
    "ModelFormatError",
    "ScoringError",
    "StaleLockWarning",
    "StandoffError",
    "TaxonomyError",
    "TokenizerError",
    "TooLargeError",
    "TrainingDataWarning",
    "require_extra",
]


class AnnotationError(ValueError):
    """An annotation file has a bad record; the message names the file and line."""


class StandoffError(AnnotationError):
    """A standoff record cannot be resolved; the message names the file and line."""


class DocumentError(ValueError):
    """A document cannot be read as text."""


class EncodingError(DocumentError):
    """A document's bytes do not decode; the message ends with the encoding to pass, if one fits:
    ``pass encoding='cp1252'`` (``for_command_line`` words it as the ``--encoding`` option)."""

    def __init__(self, message: str, *, guess: str | None = None) -> None:
        hint = f"; it looks like {guess}: pass encoding={guess!r}" if guess else ""
        super().__init__(f"{message}{hint}, or convert it to UTF-8 first")
        self.guess = guess

    @staticmethod
    def for_command_line(message: str) -> str:
        """``message`` with the Python hint ``pass encoding='x'`` turned into ``--encoding x``."""
        return _PYTHON_HINT.sub(r"pass --encoding \1", message)


_PYTHON_HINT = re.compile(r"pass encoding='([A-Za-z0-9._:-]+)'")


class FetchError(DocumentError):
    """A URL could not be fetched or does not serve a document; the message shows the URL."""


class ScoringError(ValueError):
    """A document could not be scored (with ``errors="raise"``)."""


class StaleLockWarning(UserWarning):
    """A lock file left by a run that ended without releasing it (killed) was taken over."""


class ModelFormatError(ValueError):
    """A model folder is missing files, corrupt, or incompatible with this clauseclf."""


class TokenizerError(ValueError):
    """The encoder failed on a text (its tokenizer panicked); the model cannot read that text."""


class EncoderNotFoundError(RuntimeError):
    """The encoder's model files are missing or unreadable (no package: ``MissingExtraError``)."""


class CacheError(RuntimeError):
    """The embedding cache file cannot be read or written (a full disk, not an SQLite file);
    the message names the file. It stops a batch run: it is no document's fault."""


class IndexFormatError(ValueError):
    """An index folder is missing, damaged or of another format."""


class TooLargeError(ValueError):
    """A file, or a part of one, declares or holds more than clauseclf's limit for it; the
    message names the file and the limit."""


class TaxonomyError(ValueError):
    """A taxonomy file is malformed."""


class TrainingDataWarning(UserWarning):
    """Training data too small to learn from: the message gives the counts per type."""


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


class ClauseLimitError(DocumentError):
    """A document has more clauses than a limit (``limit``); found while it was segmented,
    which stopped there."""

    def __init__(self, limit: int, name: str = "document") -> None:
        super().__init__(
            f"{name}: more than {limit:,} clauses, the limit for one document; split it into "
            "smaller documents"
        )
        self.limit = limit
