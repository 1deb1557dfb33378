"""Text rendering shared by the command line, ``clauseclf.versions`` and
``clauseclf.html_report``: wrapping a text under a prefix, a document's display name, a clause's
types.

Pure functions of their arguments (standard library only), so importing this module is cheap.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clauseclf.report import DocumentReport


def wrap(
    prefix: str,
    text: str,
    width: int,
    *,
    min_text_width: int = 0,
    break_on_hyphens: bool = True,
) -> str:
    """``text`` with its whitespace collapsed, filled to ``width`` columns: the first line
    starts with ``prefix``, the others are indented by as many spaces.

    ``min_text_width``: columns kept for the text however long the prefix (``width`` grows to
    ``len(prefix) + min_text_width`` when it is smaller); ``break_on_hyphens``: whether a line
    may end inside a hyphenated word (as in ``textwrap``)."""
    return textwrap.fill(
        " ".join(text.split()),
        width=max(width, len(prefix) + min_text_width),
        initial_indent=prefix,
        subsequent_indent=" " * len(prefix),
        break_on_hyphens=break_on_hyphens,
    )


def display_name(platform: str | None, document: str | None, fallback: str) -> str:
    """``platform - document`` (whichever of the two is given), else ``fallback``."""
    parts = [p for p in (platform, document) if p]
    return " - ".join(parts) if parts else fallback


def report_name(report: DocumentReport) -> str:
    """A report's name for titles: its platform and document, else its source, else the start
    of its text's SHA-256."""
    fallback = report.source or f"document {report.sha256[:12]}"
    return display_name(report.platform, report.document, fallback)


def clause_types(labels: Iterable[str], fallback: str) -> tuple[str, ...]:
    """A clause's types to show: its predicted ``labels`` (the top one first), else
    ``(fallback,)`` (a clause the model gave no type: its ``label``, i.e. ``other``)."""
    return tuple(labels) or (fallback,)


def phrase_regions(text: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of every occurrence of ``phrases`` in ``text``, in order
    (for marking evidence phrases given as text, e.g. a scored table's ``evidence``)."""
    import re

    found = sorted(
        (m.start(), m.end()) for p in set(phrases) if p for m in re.finditer(re.escape(p), text)
    )
    regions: list[tuple[int, int]] = []
    for start, end in found:
        if regions and start < regions[-1][1]:
            regions[-1] = (regions[-1][0], max(end, regions[-1][1]))
        else:
            regions.append((start, end))
    return regions


def mark_regions(
    text: str, regions: Iterable[tuple[int, int]], escape: Callable[[str], str], on: str, off: str
) -> str:
    """``text`` with each (start, end) region between ``on`` and ``off``, every piece of text
    passed through ``escape``."""
    parts, cursor = [], 0
    for start, end in regions:
        parts += [escape(text[cursor:start]), on, escape(text[start:end]), off]
        cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)
