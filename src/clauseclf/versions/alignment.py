"""The alignment of two versions' clauses, and word-level comparison of clause texts.

Pure functions of strings (the standard library and ``clauseclf.provenance`` only): words are
compared normalised (``normalize_clause_text``, without punctuation around them); ``similarity``
is the ``difflib.SequenceMatcher`` ratio of two texts' words, ``word_diff`` their word-level
diff, and ``_align`` pairs the clauses of two versions (the same ``clause_id`` first, then the
most similar remaining pairs at or above a threshold, one-to-one), ``_moved`` the pairs whose
relative position changed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal, Protocol

from clauseclf.provenance import normalize_clause_text

#: Minimum word-level similarity (``SequenceMatcher.ratio``, 0..1) for two clauses with different
#: wording to count as one reworded clause rather than one removed and one added.
SIMILARITY_THRESHOLD = 0.6

WordOpKind = Literal["equal", "insert", "delete"]


@dataclass(frozen=True)
class WordOp:
    """One step of a word diff: words kept (``equal``), added (``insert``) or dropped
    (``delete``)."""

    op: WordOpKind
    words: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the op and its words."""
        return {"op": self.op, "words": list(self.words)}


def word_diff(old_text: str, new_text: str) -> tuple[WordOp, ...]:
    """Word-level diff of two texts (words split on whitespace, compared normalised)."""
    old_words, new_words = old_text.split(), new_text.split()
    matcher = SequenceMatcher(None, _keys(old_words), _keys(new_words), autojunk=False)
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            ops.append(WordOp("equal", tuple(new_words[j1:j2])))
            continue
        if tag in ("delete", "replace"):
            ops.append(WordOp("delete", tuple(old_words[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(WordOp("insert", tuple(new_words[j1:j2])))
    return tuple(ops)


def similarity(old_text: str, new_text: str) -> float:
    """Word-level similarity (0..1) of two clause texts, as ``diff`` uses it."""
    matcher = SequenceMatcher(
        None, _keys(old_text.split()), _keys(new_text.split()), autojunk=False
    )
    return matcher.ratio()


# -- internals ---------------------------------------------------------------------------------

_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def _keys(words: Sequence[str]) -> list[str]:
    """Words as compared: normalised, without punctuation around them ("arbitration." ==
    "Arbitration"); a word of punctuation only stays as it is."""
    keys = []
    for word in words:
        key = normalize_clause_text(word)
        keys.append(_EDGE_PUNCTUATION.sub("", key) or key)
    return keys


class Worded(Protocol):
    """What the alignment reads of a clause (``AnalyzedClause`` has it)."""

    @property
    def text(self) -> str:
        """The clause's text."""

    @property
    def clause_id(self) -> str:
        """The id of its normalised wording (``clauseclf.provenance.clause_id``)."""


def _align(
    old: Sequence[Worded], new: Sequence[Worded], threshold: float
) -> list[tuple[int, int, float]]:
    """(old index, new index, similarity) of the aligned clauses: the same clause_id first
    (in order, for repeated wording), then the most similar remaining pairs, one-to-one."""
    old_ids = [clause.clause_id for clause in old]
    new_ids = [clause.clause_id for clause in new]
    # Same wording in the same order first (so repeated wording pairs without moves) ...
    in_order = SequenceMatcher(None, old_ids, new_ids, autojunk=False).get_matching_blocks()
    pairs = [(b.a + k, b.b + k, 1.0) for b in in_order for k in range(b.size)]
    taken_old = {i for i, _, _ in pairs}
    taken_new = {j for _, j, _ in pairs}
    # ... then the same wording elsewhere (moved clauses).
    waiting: dict[str, list[int]] = {}
    for j, identifier in enumerate(new_ids):
        if j not in taken_new:
            waiting.setdefault(identifier, []).append(j)
    rest_old: list[int] = []
    for i, identifier in enumerate(old_ids):
        if i in taken_old:
            continue
        queue = waiting.get(identifier)
        if queue:
            pairs.append((i, queue.pop(0), 1.0))
        else:
            rest_old.append(i)
    taken = {j for _, j, _ in pairs}
    rest_new = [j for j in range(len(new)) if j not in taken]
    if not rest_old or not rest_new:
        return pairs
    old_keys = {i: _keys(old[i].text.split()) for i in rest_old}
    candidates: list[tuple[float, float, int, int]] = []
    matcher: SequenceMatcher[str] = SequenceMatcher(None, autojunk=False)
    for j in rest_new:
        matcher.set_seq2(_keys(new[j].text.split()))
        for i in rest_old:
            matcher.set_seq1(old_keys[i])
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                distance = abs(i / len(old) - j / len(new))
                candidates.append((-ratio, distance, i, j))
    candidates.sort()
    used_old: set[int] = set()
    used_new: set[int] = set()
    for negative_ratio, _, i, j in candidates:
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j, -negative_ratio))
    return pairs


def _moved(pairs: list[tuple[int, int, float]]) -> set[tuple[int, int]]:
    """The aligned pairs off a longest increasing subsequence of new positions (in old order)."""
    ordered = sorted((i, j) for i, j, _ in pairs)
    tails: list[int] = []  # tails[k]: smallest new index ending an increasing run of length k+1
    tail_at: list[int] = []  # position in ``ordered`` of that tail
    previous = [-1] * len(ordered)
    for position, (_, j) in enumerate(ordered):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_at.append(position)
        else:
            tails[k] = j
            tail_at[k] = position
        previous[position] = tail_at[k - 1] if k else -1
    kept: set[int] = set()
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        kept.add(position)
        position = previous[position]
    return {pair for position, pair in enumerate(ordered) if position not in kept}


def _inline_diff(
    ops: Iterable[WordOp],
    deleted: Callable[[str], str],
    inserted: Callable[[str], str],
    escape: Callable[[str], str] | None = None,
) -> str:
    pieces = []
    for op in ops:
        words = " ".join(op.words)
        if op.op == "equal":
            pieces.append(escape(words) if escape else words)
        elif op.op == "delete":
            pieces.append(deleted(words))
        else:
            pieces.append(inserted(words))
    return " ".join(pieces)
