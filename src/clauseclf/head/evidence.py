"""The head's evidence: which words of a clause raised a predicted type, as character spans.

``lexical_evidence`` (behind ``ClauseHead.evidence``) attributes the lexical part of a type's
linear score to n-gram occurrences and stance-cue matches and merges them into spans; the span
type, its JSON form and highlighting are in ``clauseclf.evidence``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clauseclf.evidence import Evidence, EvidenceSpan, is_content, trim_trailing_stop_words
from clauseclf.head.cues import ALL_STANCE_CUES, cue_regex
from clauseclf.head.features import TOKEN_RE, TextFeatures

#: Most evidence spans returned per predicted type (after merging).
MAX_EVIDENCE_SPANS = 3
#: An n-gram or stance cue is evidence only if it weighs at least this share of the strongest.
EVIDENCE_MIN_SHARE = 0.2


def lexical_evidence(
    texts: Sequence[str],
    predicted: np.ndarray,
    *,
    features: TextFeatures,
    types: Sequence[str],
    type_weights: np.ndarray,
    platt: np.ndarray,
    max_spans: int = MAX_EVIDENCE_SPANS,
) -> list[Evidence]:
    """For each text, its predicted types (``predicted`` (n, T), as in ``HeadOutput``) ->
    up to ``max_spans`` evidence spans, strongest first ({} when no type is predicted), from a
    head's ``features``, ``types``, ``type_weights`` (features x T) and ``platt`` (T x 2).

    A candidate is an occurrence of an n-gram whose term raises the type's score (TF-IDF
    value x coefficient x Platt slope: calibrated log-odds, shared among its occurrences),
    or of a stance cue that raises it; candidates under ``EVIDENCE_MIN_SHARE`` of the
    strongest are dropped, and so are those made of stop-words only
    (``clauseclf.evidence.is_content``). Candidates are taken strongest first, merged with a
    span they overlap or touch (across whitespace) and their weights summed, until
    ``max_spans`` spans are full; a span's trailing stop-words are trimmed. The embedding part
    of the score has no word-level evidence.
    """
    if isinstance(texts, (str, bytes)) or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a sequence of str (one clause per item)")
    texts = list(texts)
    predicted = np.asarray(predicted)
    if predicted.dtype != bool or predicted.shape != (len(texts), len(types)):
        raise ValueError(
            f"predicted must be a bool array of shape ({len(texts)}, {len(types)}), "
            f"got {predicted.dtype} {predicted.shape}"
        )
    if max_spans < 1:
        raise ValueError(f"max_spans must be >= 1, got {max_spans}")
    result: list[Evidence] = [{} for _ in texts]
    rows = np.flatnonzero(predicted.any(axis=1))
    if rows.size == 0:
        return result
    chosen = [texts[row] for row in rows]
    counts = features.counts(chosen)
    terms, indptr = counts.indices, counts.indptr
    lengths = np.diff(indptr)
    # Each n-gram occurrence's TF-IDF feature value: the row-normalised value / its count.
    values = features.weigh(counts.data, terms)
    entry_row = np.repeat(np.arange(len(rows)), lengths)
    norms = np.sqrt(np.bincount(entry_row, values**2, minlength=len(rows)))
    norms[norms == 0] = 1.0
    unit = values / (np.repeat(norms, lengths) * counts.data)
    # One entry per (predicted pair, n-gram of its clause): the occurrence's share of the
    # type's calibrated log-odds (coefficient x Platt slope x feature value).
    pair_row, pair_column = np.nonzero(predicted[rows])
    pair_lengths = lengths[pair_row]
    pair_first = np.cumsum(pair_lengths) - pair_lengths
    entry_pair = np.repeat(np.arange(pair_row.size), pair_lengths)
    entry = np.repeat(indptr[pair_row], pair_lengths) + (
        np.arange(entry_pair.size) - pair_first[entry_pair]
    )
    entry_column = pair_column[entry_pair]
    share = unit[entry] * type_weights[terms[entry], entry_column] * platt[entry_column, 0]
    best = np.zeros(pair_row.size)
    np.maximum.at(best, entry_pair, share)
    stance_start = len(features.vocabulary) + features.embedding_dim
    stance_scale = features.stance_weight * platt[:, 0]
    pair = 0
    for k, row in enumerate(rows):
        text = chosen[k]
        tokens: _Tokens | None = None
        cues = stance_spans(text, features.stance_cues) if features.stance_weight > 0 else []
        while pair < pair_row.size and pair_row[pair] == k:
            column = int(pair_column[pair])
            # active stance cue -> its share per match (flag x weight x coefficient x slope)
            stance = {
                cue: float(stance_scale[column] * type_weights[stance_start + cue, column])
                / len(spans)
                for cue, spans in enumerate(cues)
                if spans
            }
            top = max(best[pair], *stance.values(), 0.0)
            candidates: list[tuple[float, int, int]] = []
            if top > 0:
                floor = top * EVIDENCE_MIN_SHARE
                first = pair_first[pair]
                for position in np.flatnonzero(share[first : first + pair_lengths[pair]] >= floor):
                    tokens = tokens or _Tokens(text)
                    index = indptr[k] + position
                    term = features.vocabulary[terms[index]]
                    if not is_content(term):
                        continue  # "of", "will be": function words alone are not evidence
                    spans = tokens.find(term)
                    if len(spans) != counts.data[index]:
                        raise RuntimeError(f"n-gram {term!r} not located in clause {text!r}")
                    weight = float(share[first + position])
                    candidates += [(weight, start, end) for start, end in spans]
                for cue, weight in stance.items():
                    if weight >= floor:
                        candidates += [
                            (weight, start, end)
                            for start, end in cues[cue]
                            if is_content(text[start:end])
                        ]
            result[row][types[column]] = _select_spans(text, candidates, max_spans)
            pair += 1
    return result


class _Tokens:
    """A text's tokens as the vectorizer sees them, with their (start, end) in the text."""

    def __init__(self, text: str) -> None:
        lowered, origin = _lowered_with_origin(text)
        matches = list(TOKEN_RE.finditer(lowered))
        self.words = [match.group() for match in matches]
        self.spans = [_original_span(origin, match.start(), match.end()) for match in matches]
        self.positions: dict[str, list[int]] = {}
        for position, word in enumerate(self.words):
            self.positions.setdefault(word, []).append(position)

    def find(self, term: str) -> list[tuple[int, int]]:
        """Offsets of every occurrence of the unigram or bigram ``term``."""
        first, _, second = term.partition(" ")
        starts = self.positions.get(first, [])
        if not second:
            return [self.spans[i] for i in starts]
        last = len(self.words) - 1
        return [
            (self.spans[i][0], self.spans[i + 1][1])
            for i in starts
            if i < last and self.words[i + 1] == second
        ]


def stance_spans(text: str, cues: Sequence[str] = ALL_STANCE_CUES) -> list[list[tuple[int, int]]]:
    """For each of the stance ``cues``, the (start, end) offsets in ``text`` of its matches,
    widened to whole words (empty when the cue is absent)."""
    lowered, origin = _lowered_with_origin(text)
    lowered = lowered.replace("\u2019", "'")
    found: list[list[tuple[int, int]]] = []
    for pattern in (cue_regex(cue) for cue in cues):
        spans = []
        for match in pattern.finditer(lowered):
            start, end = _original_span(origin, match.start(), match.end())
            while start > 0 and text[start - 1].isalnum():
                start -= 1
            while end < len(text) and text[end].isalnum():
                end += 1
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                spans.append((start, end))
        found.append(spans)
    return found


def _lowered_with_origin(text: str) -> tuple[str, list[int] | None]:
    """``text.lower()`` (as the vectorizer lower-cases) and, when lower-casing changed the
    length (e.g. "\u0130"), the index in ``text`` of each lower-cased character."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, None
    origin = [index for index, char in enumerate(text) for _ in char.lower()]
    if len(origin) != len(lowered):
        raise ValueError("cannot map lower-cased offsets back to the clause text")
    return lowered, origin


def _original_span(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


def _select_spans(
    text: str, candidates: list[tuple[float, int, int]], max_spans: int
) -> tuple[EvidenceSpan, ...]:
    """Greedy choice of evidence spans from (weight, start, end) candidates, all above the
    weight floor (see ``lexical_evidence``)."""
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    chosen: list[tuple[int, int, float]] = []
    for weight, start, end in candidates:
        touching = [span for span in chosen if _touch(text, span[0], span[1], start, end)]
        if not touching and len(chosen) >= max_spans:
            break
        merged = (
            min([start] + [span[0] for span in touching]),
            max([end] + [span[1] for span in touching]),
            weight + sum(span[2] for span in touching),
        )
        chosen = [span for span in chosen if span not in touching] + [merged]
    chosen = [(s, trim_trailing_stop_words(text, s, e), w) for s, e, w in chosen]
    chosen.sort(key=lambda span: (-span[2], span[0]))
    return tuple(EvidenceSpan(s, e, text[s:e], float(w)) for s, e, w in chosen)


def _touch(text: str, a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    """Whether two spans overlap or are separated by whitespace only."""
    gap_start, gap_end = min(a_end, b_end), max(a_start, b_start)
    return gap_start >= gap_end or not text[gap_start:gap_end].strip()
