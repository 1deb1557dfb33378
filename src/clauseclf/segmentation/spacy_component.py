"""spaCy pipeline component ``"clauseclf_segmenter"``: clause spans in ``doc.spans["clauses"]``.

Usage (the factory is found through the ``spacy_factories`` entry point, no import needed)::

    nlp = spacy.blank("en")
    nlp.add_pipe("clauseclf_segmenter")
    doc = nlp(policy_text)
    for span in doc.spans["clauses"]:
        print(span.text, span._.clause_heading)

Each clause is a :class:`~spacy.tokens.Span` with label ``"CLAUSE"``, mapped from the character
offsets of :func:`clauseclf.segmentation.segment_document` with
``doc.char_span(start, end, alignment_mode="expand")``. The section heading of each clause (or
``None``) is stored twice: in the span extension ``Span._.clause_heading`` (registered when the
component is built) and, serialisable with the doc, in the span group's
``attrs["headings"]`` (a list aligned with the spans). The doc text is treated as plain text.

The splitting itself is the character-level :class:`ClauseSplitter` shared with
:func:`clauseclf.segmentation.segment`; spaCy's tokenization only serves to build spans here.
"""

from __future__ import annotations

from clauseclf.errors import require_extra

require_extra("spacy", "spacy", "the spaCy clause segmenter")

from spacy.language import Language  # noqa: E402
from spacy.tokens import Doc, Span  # noqa: E402

from clauseclf.segmentation import Segment, segment_document  # noqa: E402

__all__ = ["HEADING_EXTENSION", "ClauseSegmenter", "make_clause_segmenter"]

HEADING_EXTENSION = "clause_heading"


class ClauseSegmenter:
    """Write the clauses of ``doc.text`` to ``doc.spans[spans_key]`` (label ``"CLAUSE"``)."""

    def __init__(self, nlp: Language, name: str = "clauseclf_segmenter", *, spans_key: str) -> None:
        if not isinstance(spans_key, str) or not spans_key:
            raise ValueError(f"spans_key must be a non-empty str, not {spans_key!r}")
        self.name = name
        self.spans_key = spans_key
        if not Span.has_extension(HEADING_EXTENSION):
            Span.set_extension(HEADING_EXTENSION, default=None)

    def segment_text(self, text: str) -> tuple[Segment, ...]:
        """The clauses of plain ``text``: exactly ``segment_document(text, format="text")``."""
        return segment_document(text, format="text").segments

    def __call__(self, doc: Doc) -> Doc:
        """``doc`` with its clauses in ``doc.spans[spans_key]``, each with its heading."""
        spans: list[Span] = []
        headings: list[str | None] = []
        for seg in self.segment_text(doc.text):
            span = doc.char_span(seg.start, seg.end, label="CLAUSE", alignment_mode="expand")
            if span is None:  # pragma: no cover - "expand" always covers in-range offsets
                raise RuntimeError(f"cannot map clause {seg.start}:{seg.end} onto tokens")
            span._.set(HEADING_EXTENSION, seg.heading)
            spans.append(span)
            headings.append(seg.heading)
        doc.spans[self.spans_key] = spans
        doc.spans[self.spans_key].attrs["headings"] = headings
        return doc


@Language.factory(
    "clauseclf_segmenter",
    default_config={"spans_key": "clauses"},
    assigns=["doc.spans"],
)
def make_clause_segmenter(nlp: Language, name: str, spans_key: str) -> ClauseSegmenter:
    """Build the ``clauseclf_segmenter`` component (config: ``spans_key``, default "clauses")."""
    return ClauseSegmenter(nlp, name, spans_key=spans_key)
