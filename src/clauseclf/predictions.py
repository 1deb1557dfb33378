"""What the model says about a clause (``ClausePrediction``), built from the head's arrays.

A leaf module: reports, diffs, scoring and the batch tables read predictions without importing
the inference stack.

Predictions made from the head's arrays (``predictions_from_output``) keep their block's arrays
and build ``labels``, ``severities``, ``probabilities`` and ``evidence`` each time they are read
(a new dict each time, equal to the last; the block's evidence is computed once, on first read,
and kept as offsets): a long document's report then costs a few hundred bytes a clause, read or
not, not kilobytes. Reading, comparing, copying or pickling a prediction gives the same values as
building them at once would; a copy or an unpickled prediction holds plain dicts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from clauseclf.evidence import Evidence, EvidenceSpan, evidence_from_dict, evidence_to_dict
from clauseclf.taxonomy import OTHER

if TYPE_CHECKING:
    from clauseclf.head.output import HeadOutput

#: Evidence of a block's rows: per row, predicted type -> spans (``ClauseHead.evidence``).
BlockEvidence = Sequence[Mapping[str, tuple[EvidenceSpan, ...]]]


@dataclass(frozen=True, slots=True)
class ClausePrediction:
    """What the model says about one clause.

    ``label`` is the top predicted type (the one the head's type ranker prefers among the
    predicted ones; see ``ClauseHead.rank_scores``), or ``"other"`` when no type is predicted;
    ``labels`` maps every predicted type to its probability, ``label`` first, then the most
    probable (empty for other); ``severities`` gives each predicted type's severity and
    ``severity`` the most adverse of them (``"none"`` for other); ``confidence`` is the
    calibrated probability that ``label`` is right; ``probabilities`` holds every type's
    probability. ``evidence`` maps each predicted type (in ``labels`` order) to the spans of the
    clause text that drove it, strongest first (``clause_text[span.start:span.end] ==
    span.text``; ``clauseclf.evidence``); it covers the lexical part of the score (n-grams,
    stance cues), not the sentence embedding's, and is empty for other.
    """

    label: str
    labels: dict[str, float]
    severity: str
    severities: dict[str, str]
    confidence: float
    probabilities: dict[str, float] = field(repr=False)
    evidence: Evidence = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``from_dict`` reads it back)."""
        return {
            "label": self.label,
            "labels": dict(self.labels),
            "severity": self.severity,
            "severities": dict(self.severities),
            "confidence": self.confidence,
            "probabilities": dict(self.probabilities),
            "evidence": evidence_to_dict(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClausePrediction:
        """The prediction ``to_dict`` gave (``evidence`` optional, for older output);
        ``ValueError`` naming the missing or bad key otherwise."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a prediction must be an object, not {type(data).__name__}")
        for key, kind in (("label", str), ("severity", str), ("confidence", (int, float))):
            if key not in data:
                raise ValueError(f"prediction is missing the key {key!r}")
            if isinstance(data[key], bool) or not isinstance(data[key], kind):
                raise ValueError(f"prediction key {key!r} has the wrong type")
        return cls(
            label=data["label"],
            labels={k: float(v) for k, v in _mapping(data, "labels", numbers=True).items()},
            severity=data["severity"],
            severities={k: str(v) for k, v in _mapping(data, "severities").items()},
            confidence=float(data["confidence"]),
            probabilities={
                k: float(v) for k, v in _mapping(data, "probabilities", numbers=True).items()
            },
            evidence=evidence_from_dict(data.get("evidence", {})),
        )


def _mapping(data: Mapping[str, Any], key: str, *, numbers: bool = False) -> dict[str, Any]:
    """``data[key]`` (default empty): an object of numbers, or of str; ``ValueError`` if not."""
    raw = data.get(key, {})
    if not isinstance(raw, Mapping):
        raise ValueError(f"prediction key {key!r} must be an object")
    for name, value in raw.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (number if numbers else isinstance(value, str)):
            kind = "a number" if numbers else "a str"
            raise ValueError(f"prediction key '{key}.{name}' must be {kind}")
    return {str(name): value for name, value in raw.items()}


def predictions_from_output(
    output: HeadOutput,
    types: Sequence[str],
    severity_scale: Sequence[str],
    *,
    evidence: BlockEvidence | Callable[[np.ndarray], BlockEvidence] | None = None,
    texts: Sequence[str] | None = None,
) -> list[ClausePrediction]:
    """One ``ClausePrediction`` per row of the head's arrays: the predicted types (the top
    label first, then the most probable), each with its own severity; the clause's severity is
    the most adverse of the predicted types' (``severity_scale[0]`` for other). ``evidence``
    (per row, per predicted type), or a function of ``output.predicted`` that returns it for
    all rows, called when the first prediction's ``evidence`` is read; empty when not given.
    ``texts``: the rows' clause texts, of which the spans a function returns are parts: the
    block keeps their offsets and weights rather than the spans."""
    block = _Block(output, tuple(types), tuple(severity_scale), evidence, texts)
    predictions = []
    for row in range(block.size):
        chosen = block.chosen(row)
        severity = severity_scale[0]
        if chosen:
            severity = max(
                (severity_scale[int(block.severity[row, c])] for c in chosen),
                key=severity_scale.index,
            )
        pending: Any = _Pending(block, row)
        predictions.append(
            ClausePrediction(
                label=types[chosen[0]] if chosen else OTHER,
                labels=pending,
                severity=severity,
                severities=pending,
                confidence=float(output.confidence[row]),
                probabilities=pending,
                evidence=pending,
            )
        )
    return predictions


class _Block:
    """The head's arrays for a block of predictions, from which their dict fields are built."""

    def __init__(
        self,
        output: HeadOutput,
        types: tuple[str, ...],
        severity_scale: tuple[str, ...],
        evidence: BlockEvidence | Callable[[np.ndarray], BlockEvidence] | None,
        texts: Sequence[str] | None = None,
    ) -> None:
        self.size = int(output.probabilities.shape[0])
        self.types = types
        self.severity_scale = severity_scale
        self.probabilities = np.asarray(output.probabilities)
        #: Per row and type the index of its severity if the type is predicted, else -1.
        self.severity = np.where(output.predicted, output.severity, -1).astype(
            _index_type(len(severity_scale))
        )
        self.top = np.asarray(output.top, dtype=_index_type(len(types)))
        if not (evidence is None or callable(evidence)) and len(evidence) != self.size:
            raise ValueError(f"evidence for {len(evidence)} rows, expected {self.size}")
        if texts is not None and len(texts) != self.size:
            raise ValueError(f"texts for {len(texts)} rows, expected {self.size}")
        self._evidence_source = evidence
        self._texts = texts
        self._evidence: BlockEvidence | _SpanTable | None = None
        #: Held while the block's evidence is computed.
        self.lock = threading.Lock()

    def chosen(self, row: int) -> list[int]:
        """The predicted columns of ``row``: the top label's first, then the most probable."""
        top = int(self.top[row])
        chosen = [int(column) for column in np.flatnonzero(self.severity[row] >= 0)]
        chosen.sort(key=lambda column: (column != top, -self.probabilities[row, column]))
        return chosen

    def build(self, name: str, row: int) -> Any:
        """The value of the field ``name`` of the prediction of ``row``."""
        types = self.types
        if name == "probabilities":
            return {t: float(p) for t, p in zip(types, self.probabilities[row], strict=True)}
        chosen = self.chosen(row)
        if name == "labels":
            return {types[c]: float(self.probabilities[row, c]) for c in chosen}
        if name == "severities":
            return {types[c]: self.severity_scale[int(self.severity[row, c])] for c in chosen}
        if not chosen:
            return {}
        evidence = self._block_evidence()
        if isinstance(evidence, _SpanTable):
            return {types[c]: evidence.spans(row, c) for c in chosen}
        spans = evidence[row]
        return {types[c]: tuple(spans.get(types[c], ())) for c in chosen}

    def _block_evidence(self) -> BlockEvidence | _SpanTable:
        """The evidence of every row, computed on first use: as given, or, from a function
        with the rows' texts, as a ``_SpanTable``."""
        with self.lock:
            if self._evidence is None:
                source = self._evidence_source
                rows = source(self.severity >= 0) if callable(source) else source
                rows = rows if rows is not None else [{}] * self.size
                if len(rows) != self.size:
                    raise ValueError(f"evidence for {len(rows)} rows, expected {self.size}")
                if callable(source) and self._texts is not None:
                    self._evidence = _SpanTable(rows, self._texts, self.types)
                else:
                    self._evidence = rows
                self._evidence_source = None
            return self._evidence


class _SpanTable:
    """A block's evidence spans as arrays (offsets into the rows' texts and weights), from
    which a row's spans are made again when read."""

    def __init__(self, rows: BlockEvidence, texts: Sequence[str], types: tuple[str, ...]) -> None:
        self.texts = texts
        self.width = len(types)
        column = {t: c for c, t in enumerate(types)}
        keys: list[int] = []
        firsts: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        weights: list[float] = []
        for row, evidence in enumerate(rows):
            text = texts[row]
            for type_id, spans in evidence.items():
                keys.append(row * self.width + column[type_id])
                firsts.append(len(starts))
                for span in spans:
                    if text[span.start : span.end] != span.text:
                        raise ValueError(
                            f"evidence span {span.text!r} is not characters {span.start}:"
                            f"{span.end} of its clause"
                        )
                    starts.append(span.start)
                    ends.append(span.end)
                    weights.append(span.weight)
        firsts.append(len(starts))
        # offsets in int32 when they fit (a block's clauses are far shorter than 2**31)
        largest = max([len(starts), len(texts) * self.width, *map(len, texts)])
        index = np.int32 if largest < 2**31 else np.int64
        self.keys = np.asarray(keys, dtype=index)  # ascending: rows, then types, in order
        self.firsts = np.asarray(firsts, dtype=index)
        self.starts = np.asarray(starts, dtype=index)
        self.ends = np.asarray(ends, dtype=index)
        self.weights = np.asarray(weights, dtype=np.float64)

    def spans(self, row: int, column: int) -> tuple[EvidenceSpan, ...]:
        """The spans of the type in ``column`` in the clause of ``row`` (empty if none)."""
        key = row * self.width + column
        at = int(np.searchsorted(self.keys, key))
        if at == len(self.keys) or self.keys[at] != key:
            return ()
        text = self.texts[row]
        return tuple(
            EvidenceSpan(start, end, text[start:end], weight)
            for start, end, weight in zip(
                self.starts[self.firsts[at] : self.firsts[at + 1]].tolist(),
                self.ends[self.firsts[at] : self.firsts[at + 1]].tolist(),
                self.weights[self.firsts[at] : self.firsts[at + 1]].tolist(),
                strict=True,
            )
        )


def _index_type(count: int) -> type[np.signedinteger[Any]]:
    """The smallest signed integer type that holds -1 and indices below ``count``."""
    for kind in (np.int8, np.int16, np.int32):
        if count <= np.iinfo(kind).max:
            return kind
    return np.int64


class _Pending:
    """What a lazy field of a prediction holds until it is first read: its block and row."""

    __slots__ = ("block", "row")

    def __init__(self, block: _Block, row: int) -> None:
        self.block = block
        self.row = row


class _LazyField:
    """A ``ClausePrediction`` field built from its block each time it is read (``_Pending``),
    or the value given to the constructor."""

    def __init__(self, name: str, slot: Any) -> None:
        self.name = name
        self.slot = slot

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.slot.__get__(instance, owner)
        if type(value) is not _Pending:
            return value
        return value.block.build(self.name, value.row)

    def __set__(self, instance: object, value: Any) -> None:
        self.slot.__set__(instance, value)


for _name in ("labels", "severities", "probabilities", "evidence"):
    setattr(ClausePrediction, _name, _LazyField(_name, ClausePrediction.__dict__[_name]))
del _name
