"""Provenance hashes: a document's SHA-256, and stable clause ids (the same clause wording gets the
same id in every version of a policy).

The id is a short SHA-256 of the clause's normalised text (``normalize_clause_text``): Unicode
NFKC, curly quotes and apostrophes folded to straight ones, whitespace collapsed, casefolded.
So whitespace, quote style and case changes keep the id; any change of words gives a new one.
"""

from __future__ import annotations

import hashlib
import unicodedata

#: Number of hex characters of the SHA-256 kept in a ``clause_id`` (64 bits).
CLAUSE_ID_LENGTH = 16

_QUOTES = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark / apostrophe
        "\u201a": "'",  # single low-9 quotation mark
        "\u201b": "'",  # single high-reversed-9 quotation mark
        "\u2032": "'",  # prime
        "\u02bc": "'",  # modifier letter apostrophe
        "\u00b4": "'",  # acute accent used as an apostrophe
        "`": "'",
        "\u201c": '"',  # left double quotation mark
        "\u201d": '"',  # right double quotation mark
        "\u201e": '"',  # double low-9 quotation mark
        "\u201f": '"',  # double high-reversed-9 quotation mark
        "\u2033": '"',  # double prime
        "\u00ab": '"',  # guillemets
        "\u00bb": '"',
    }
)


def normalize_clause_text(text: str) -> str:
    """``text`` in NFKC, with straight quotes, single spaces and casefolded (idempotent)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = unicodedata.normalize("NFKC", " ".join(text.split()).casefold())
    return " ".join(text.translate(_QUOTES).split())


def clause_id(text: str) -> str:
    """The clause's stable id: the first ``CLAUSE_ID_LENGTH`` hex digits of the SHA-256 of its
    normalised text."""
    digest = hashlib.sha256(normalize_clause_text(text).encode("utf-8")).hexdigest()
    return digest[:CLAUSE_ID_LENGTH]


def document_sha256(text: str) -> str:
    """The SHA-256 (hex) of a document's text, UTF-8 encoded: the ``sha256`` of a
    ``DocumentReport`` and the ``document_sha256`` column of its rows (``UnicodeEncodeError`` for
    a text holding lone surrogates)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
