"""Cutting HTML start tags to their first attributes before parsing (libxml2 takes time
quadratic in one element's attributes), in time linear in the input."""

from __future__ import annotations

import re

__all__ = ["MAX_HTML_ATTRIBUTES", "_trim_attributes"]

#: Attributes kept per start tag: libxml2 takes time quadratic in one element's attributes, and
#: extraction reads none of them, so a tag with more loses the rest before parsing.
MAX_HTML_ATTRIBUTES = 256
# One attribute of a start tag as the HTML tokenizer reads it: separators, a name, an optional
# value (a quoted one may run to the end of the input). It is deterministic, so every quantifier
# is possessive and matching never backtracks.
_HTML_ATTRIBUTE = (
    r"[\t\n\f\r /]*+[^\t\n\f\r />][^\t\n\f\r />=]*+"
    r"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"
    r"(?:\"[^\"]*+(?:\"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >\"'][^\t\n\f\r >]*+)?+)?+"
)
_TAG_NAME = r"<[A-Za-z][^\t\n\f\r />]*+"
_TAG_END = r"[\t\n\f\r /]*+(?:>|\Z)"
# The longest run of text holding no tag with too many attributes (each tag read to its ">" or
# the end of the input, so every character is read once), then such a tag, if one follows: its
# first attributes and its end.
_CROWDED_TAG = re.compile(
    rf"((?:[^<]++|<(?![A-Za-z])|{_TAG_NAME}(?:{_HTML_ATTRIBUTE}){{0,{MAX_HTML_ATTRIBUTES}}}+"
    rf"(?!{_HTML_ATTRIBUTE}){_TAG_END})*+)"
    rf"(?:({_TAG_NAME}(?:{_HTML_ATTRIBUTE}){{{MAX_HTML_ATTRIBUTES}}}+)(?:{_HTML_ATTRIBUTE})*+"
    rf"({_TAG_END}))?"
)


def _trim_attributes(text: str) -> str:
    """``text`` with every start tag cut to its first ``MAX_HTML_ATTRIBUTES`` attributes."""
    return _CROWDED_TAG.sub(r"\1\2\3", text)
