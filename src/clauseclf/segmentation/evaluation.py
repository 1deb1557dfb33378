"""Boundary scoring of sentence/clause splitters against gold sentences (e.g. CLAUDETTE).

A *boundary* is the start of a gold sentence or its end advanced over following whitespace, so
"end of one sentence" and "start of the next" coincide. Gold sentences are aligned to the document
with whitespace ignored (the annotations and documents differ in spacing and line breaks).

Two scores are reported by :func:`score`:

* ``strict``: every gold boundary counts, including those between title lines and the pieces of a
  numbered heading ("1." / "EA Account").
* ``fair``: gold boundaries *inside a run of heading-like gold sentences* are ignored, for gold and
  predictions alike. A gold sentence is heading-like by a rule that does not look at any splitter's
  output: it is a bare section number ("1.", "4.2", "(a)", "IV."), or it has at most 15 words,
  ends a line of the document and has no sentence-final punctuation. Our segmenter drops headings
  from its clauses by design; the boundaries around a heading block (the end of the clause before
  it and the start of the clause after it) are still scored.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from clauseclf import _json
from clauseclf.limits import capped_lines

__all__ = [
    "AlignedDocument",
    "BoundaryScore",
    "align_sentences",
    "boundaries",
    "heading_like",
    "load_claudette",
    "score",
]

_WS = re.compile(r"\s+")
_NON_WS = re.compile(r"\S")
_BARE_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)*\.?|\(?[a-zA-Z]\)|\(?[ivxIVX]+[.)]|[A-Z]\.)$")
_FINAL_PUNCT = re.compile(r"[.!?;:,][\"'”\u2019)\]]*$")


@dataclass(frozen=True)
class AlignedDocument:
    """A document with its gold sentences located as ``(start, end)`` character spans."""

    name: str
    text: str
    spans: tuple[tuple[int, int], ...]
    heading_flags: tuple[bool, ...]
    unaligned: int
    total: int


@dataclass(frozen=True)
class BoundaryScore:
    """Micro-averaged boundary precision, recall and F1."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """Share of predicted boundaries that are right (0.0 with none predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Share of true boundaries predicted (0.0 with none to find)."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0.0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: BoundaryScore) -> BoundaryScore:
        return BoundaryScore(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def _squeeze(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace, and the original offset of every kept character."""
    chars: list[str] = []
    offsets: list[int] = []
    for m in _NON_WS.finditer(text):
        chars.append(m.group())
        offsets.append(m.start())
    return "".join(chars), offsets


def align_sentences(
    text: str, sentences: Sequence[str]
) -> tuple[list[tuple[int, int] | None], int]:
    """Locate each gold sentence in ``text``, in order, ignoring whitespace differences.

    Returns one ``(start, end)`` span per sentence (``None`` if it could not be found after the
    previous one) and the number of unaligned sentences.
    """
    squeezed, offsets = _squeeze(text)
    cursor = 0
    spans: list[tuple[int, int] | None] = []
    missing = 0
    for sentence in sentences:
        needle = _WS.sub("", sentence)
        if not needle:
            spans.append(None)
            missing += 1
            continue
        at = squeezed.find(needle, cursor)
        if at < 0:
            spans.append(None)
            missing += 1
            continue
        end = at + len(needle)
        spans.append((offsets[at], offsets[end - 1] + 1))
        cursor = end
    return spans, missing


def heading_like(text: str, span: tuple[int, int]) -> bool:
    """Whether a gold sentence at ``span`` looks like a heading (see the module docstring)."""
    sentence = text[span[0] : span[1]].strip()
    if _BARE_NUMBER.match(sentence):
        return True
    if len(sentence.split()) > 15 or _FINAL_PUNCT.search(sentence):
        return False
    rest = text[span[1] : span[1] + 200]
    line_end = rest.find("\n")
    tail = rest if line_end < 0 else rest[:line_end]
    return not tail.strip()


def load_claudette(data: Path, names: Iterable[str] | None = None) -> list[AlignedDocument]:
    """Read CLAUDETTE documents and align their gold sentences (``source`` gives the stem)."""
    root = data / "claudette"
    gold: dict[str, list[tuple[int, str]]] = {}
    path = root / "annotations.jsonl"
    with path.open("rb") as handle:
        for _, line in capped_lines(handle, str(path)):
            record = _json.loads(line.decode("utf-8"))
            _, stem, index = record["source"].rsplit(":", 2)
            gold.setdefault(stem, []).append((int(index), record["text"]))
    wanted = sorted(gold) if names is None else list(names)
    documents = []
    for stem in wanted:
        text = (root / "documents" / f"{stem}.txt").read_text(encoding="utf-8")
        sentences = [s for _, s in sorted(gold[stem])]
        found, missing = align_sentences(text, sentences)
        spans = tuple(s for s in found if s is not None)
        flags = tuple(heading_like(text, s) for s in spans)
        documents.append(AlignedDocument(stem, text, spans, flags, missing, len(sentences)))
    return documents


def _advance(text: str, pos: int) -> int:
    m = _NON_WS.search(text, pos)
    return len(text) if m is None else m.start()


def boundaries(text: str, spans: Iterable[tuple[int, int]]) -> set[int]:
    """Boundary positions of ``spans``: starts, and ends advanced over whitespace."""
    out: set[int] = set()
    for start, end in spans:
        out.add(_advance(text, start))
        out.add(_advance(text, end))
    return out


def _heading_zones(doc: AlignedDocument) -> list[tuple[int, int]]:
    """Character ranges covered by runs of consecutive heading-like gold sentences."""
    zones: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = 0
    for (start, end), flag in zip(doc.spans, doc.heading_flags, strict=True):
        if flag:
            if run_start is None:
                run_start = start
            run_end = end
        elif run_start is not None:
            zones.append((run_start, run_end))
            run_start = None
    if run_start is not None:
        zones.append((run_start, run_end))
    return zones


def score(
    doc: AlignedDocument, predicted: Iterable[tuple[int, int]], *, fair: bool
) -> BoundaryScore:
    """Score predicted spans against the gold boundaries of ``doc`` (``fair`` as in the module)."""
    gold = boundaries(doc.text, doc.spans)
    pred = boundaries(doc.text, predicted)
    # The document's first and last positions are trivially shared by every splitter.
    trivial = {_advance(doc.text, 0), len(doc.text)}
    gold -= trivial
    pred -= trivial
    if fair:
        positions = sorted(gold | pred)
        ignored: set[int] = set()
        for zone_start, zone_end in _heading_zones(doc):
            lo = bisect_right(positions, zone_start)
            hi = bisect_left(positions, _advance(doc.text, zone_end))
            ignored.update(positions[lo:hi])
        gold -= ignored
        pred -= ignored
    tp = len(gold & pred)
    return BoundaryScore(tp, len(pred) - tp, len(gold) - tp)
