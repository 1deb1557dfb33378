"""Evidence: the words of a clause that drove a prediction, as character spans of the clause.

The head computes them (``ClauseHead.evidence``, in ``clauseclf.head.evidence``) from the lexical
part of its linear type score: each n-gram's TF-IDF value times its coefficient, in calibrated
log-odds (times the type's Platt slope), plus the stance cues (``clauseclf.head.cues``) that push
the type up. The sentence-embedding part of the score is not attributable to words, so evidence
covers the lexical part only.

This module holds the span type, its JSON form, and ``highlight`` for terminals and HTML.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: ANSI escape codes ``highlight(..., style="ansi")`` puts around evidence: bold, underlined.
ANSI_ON = "\x1b[1;4m"
ANSI_OFF = "\x1b[0m"
HIGHLIGHT_STYLES = ("ansi", "html")

#: Function words that are never evidence on their own (a span of only these is dropped):
#: articles, pronouns, auxiliaries, prepositions, conjunctions. Negations ("not", "never",
#: "no") are left out of the list: they carry a clause's stance.
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "else",
        "etc",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "may",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "myself",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def is_content(text: str) -> bool:
    """Whether ``text`` holds at least one word that is not in ``STOP_WORDS`` (numbers count as
    content)."""
    return any(
        word.casefold() not in STOP_WORDS for word in _WORD.findall(text.replace("\u2019", "'"))
    )


def trim_trailing_stop_words(text: str, start: int, end: int) -> int:
    """The end of ``text[start:end]`` with trailing stop-words ("account or" -> "account")
    and what follows its last content word dropped; ``end`` if it has no content word."""
    last = None
    for match in _WORD.finditer(text, start, end):
        if match.group().replace("\u2019", "'").casefold() not in STOP_WORDS:
            last = match.end()
    return end if last is None else last


@dataclass(frozen=True, slots=True)
class EvidenceSpan:
    """Characters ``start:end`` of the clause text (``clause_text[start:end] == text``) and
    ``weight``: how much its n-grams (and stance cues) raised the type's calibrated log-odds."""

    start: int
    end: int
    text: str
    weight: float

    def __post_init__(self) -> None:
        if not (isinstance(self.start, int) and isinstance(self.end, int)):
            raise TypeError("evidence span start and end must be int")
        if not 0 <= self.start < self.end:
            raise ValueError(
                f"evidence span needs 0 <= start < end, got ({self.start}, {self.end})"
            )
        if not isinstance(self.text, str) or len(self.text) != self.end - self.start:
            raise ValueError(
                f"evidence span text {self.text!r} does not have length end - start "
                f"({self.end - self.start})"
            )
        if not isinstance(self.weight, (int, float)) or not math.isfinite(self.weight):
            raise ValueError(f"evidence span weight must be a finite number, got {self.weight!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``start``, ``end``, ``text``, ``weight``."""
        return {"start": self.start, "end": self.end, "text": self.text, "weight": self.weight}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvidenceSpan:
        """The span ``to_dict`` gave; ``ValueError`` naming the missing or bad key otherwise."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an evidence span must be an object, not {type(data).__name__}")
        missing = [key for key in ("start", "end", "text", "weight") if key not in data]
        if missing:
            raise ValueError(f"evidence span is missing the key {missing[0]!r}")
        for key in ("start", "end"):
            if isinstance(data[key], bool) or not isinstance(data[key], int):
                raise ValueError(f"evidence span key {key!r} must be an integer")
        weight = data["weight"]
        if isinstance(weight, bool) or not isinstance(weight, (int, float)):
            raise ValueError("evidence span key 'weight' must be a number")
        try:
            return cls(int(data["start"]), int(data["end"]), data["text"], float(weight))
        except TypeError as exc:
            raise ValueError(str(exc)) from None


Evidence = dict[str, tuple[EvidenceSpan, ...]]
"""Evidence of one prediction: predicted type -> its spans, strongest first."""


def evidence_texts(evidence: Mapping[str, Iterable[EvidenceSpan]]) -> list[str]:
    """The evidence phrases of a prediction, type by type in its order, each phrase once."""
    return list(dict.fromkeys(span.text for spans in evidence.values() for span in spans))


def evidence_to_dict(evidence: Mapping[str, Iterable[EvidenceSpan]]) -> dict[str, Any]:
    """JSON-ready form of an ``Evidence`` mapping: type -> list of span dicts."""
    return {label: [span.to_dict() for span in spans] for label, spans in evidence.items()}


def evidence_from_dict(
    data: Any, clause_text: str | None = None, where: str = "evidence"
) -> Evidence:
    """Read back ``evidence_to_dict``'s output; with ``clause_text``, also check that every span
    gives its text in it. ``ValueError`` naming ``where`` and the bad key otherwise."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{where} must be an object, not {type(data).__name__}")
    evidence: Evidence = {}
    for label, raw_spans in data.items():
        if not isinstance(raw_spans, list):
            raise ValueError(f"{where}.{label} must be a list of spans")
        spans = []
        for position, raw in enumerate(raw_spans):
            try:
                span = EvidenceSpan.from_dict(raw)
            except ValueError as exc:
                raise ValueError(f"{where}.{label}[{position}]: {exc}") from None
            if clause_text is not None and clause_text[span.start : span.end] != span.text:
                raise ValueError(
                    f"{where}.{label}[{position}]: ({span.start}, {span.end}) does not give "
                    f"{span.text!r} in the clause text"
                )
            spans.append(span)
        evidence[str(label)] = tuple(spans)
    return evidence


def highlight(
    text: str,
    spans: Iterable[EvidenceSpan] | Mapping[str, Iterable[EvidenceSpan]],
    style: str = "ansi",
) -> str:
    """``text`` with the evidence spans marked: ``"ansi"`` (bold underline, for terminals) or
    ``"html"`` (escaped text, spans in ``<mark>``). ``spans`` may be a prediction's whole
    ``evidence`` mapping; overlapping spans are marked once. ``ValueError`` if a span does not
    give its text in ``text`` or the style is unknown."""
    if style not in HIGHLIGHT_STYLES:
        raise ValueError(f"unknown highlight style {style!r}; expected one of {HIGHLIGHT_STYLES}")
    if isinstance(spans, Mapping):
        flat = [span for group in spans.values() for span in group]
    else:
        flat = list(spans)
    regions: list[list[int]] = []
    for span in sorted(flat, key=lambda s: (s.start, s.end)):
        if text[span.start : span.end] != span.text:
            raise ValueError(
                f"evidence span ({span.start}, {span.end}) {span.text!r} is not in the text"
            )
        if regions and span.start <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], span.end)
        else:
            regions.append([span.start, span.end])
    if style == "ansi":
        on, off, escape = ANSI_ON, ANSI_OFF, _identity
    else:
        on, off, escape = "<mark>", "</mark>", _escape_html
    parts, cursor = [], 0
    for start, end in regions:
        parts += [escape(text[cursor:start]), on, escape(text[start:end]), off]
        cursor = end
    parts.append(escape(text[cursor:]))
    return "".join(parts)


def _identity(text: str) -> str:
    return text


def _escape_html(text: str) -> str:
    return html.escape(text, quote=True)
