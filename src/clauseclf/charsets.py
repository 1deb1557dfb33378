"""The likely legacy encoding of bytes that are not UTF-8, for the error message that suggests it.

A candidate counts only if it decodes every byte. The candidates are windows-1252 (the usual
legacy encoding of Western text) and charset-normalizer's matches; they are ranked by how
plausible their text is: first fewest symbols inside words (``spó³kê`` is Polish read as
windows-1252), then charset-normalizer's mess ratio (``trčs`` is French read as windows-1250),
then the common Windows code pages (windows-1252 first) before the rest. A guess is never
used to decode: it only words the error.
"""

from __future__ import annotations

import codecs
import unicodedata

_WESTERN = "cp1252"
# Tie-break: where two candidates read the text equally well, the more common one wins.
_COMMON = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "iso8859-15")
# How much of a large document is examined: enough text for the measures, bounded time.
_SAMPLE_BYTES = 262_144


def guess_encoding(data: bytes) -> str | None:
    """The most plausible single encoding that decodes all of ``data``, or None (none fits,
    or the bytes are UTF-8 or ASCII)."""
    candidates = [_WESTERN, *_normalizer_candidates(data)]
    ranked: list[tuple[tuple[float, float, int], str]] = []
    seen: set[str] = set()
    for position, candidate in enumerate(candidates):
        name = _codec_name(candidate)
        if name is None or name in seen or name in {"utf-8", "ascii"}:
            continue
        seen.add(name)
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        sample = text[:_SAMPLE_BYTES]
        preference = _COMMON.index(name) if name in _COMMON else len(_COMMON) + position
        ranked.append(((_symbols_inside_words(sample), _mess(sample), preference), name))
    return min(ranked)[1] if ranked else None


def _normalizer_candidates(data: bytes) -> list[str]:
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return []
    return [str(match.encoding) for match in from_bytes(data[:_SAMPLE_BYTES])][:8]


def _symbols_inside_words(text: str) -> float:
    """Share of the non-ASCII characters that are symbols, digits or controls between two
    letters (punctuation such as '\u2019' is at home there)."""
    non_ascii = inside = 0
    for i, char in enumerate(text):
        if char.isascii():
            continue
        non_ascii += 1
        if (
            0 < i < len(text) - 1
            and not char.isalpha()
            and text[i - 1].isalpha()
            and text[i + 1].isalpha()
            and unicodedata.category(char)[0] in "SNC"
        ):
            inside += 1
    return inside / non_ascii if non_ascii else 0.0


def _mess(text: str) -> float:
    try:
        from charset_normalizer.md import mess_ratio
    except ImportError:
        return 0.0
    return round(float(mess_ratio(text, maximum_threshold=1.0)), 3)


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None
