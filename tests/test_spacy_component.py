"""The ``clauseclf_segmenter`` spaCy component (fictional Larkspur Labs text)."""

from __future__ import annotations

import subprocess
import sys

import spacy

from clauseclf.segmentation import segment

TEXT = (
    "1. Accounts\n\n"
    "You must be 16 to use Larkspur. We may close accounts, e.g. after abuse.\n\n"
    "2. FEES\nFees are due monthly."
)


def test_component_writes_clause_spans_with_headings() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("clauseclf_segmenter")
    doc = nlp(TEXT)
    spans = doc.spans["clauses"]
    assert [s.text for s in spans] == [s.text for s in segment(TEXT, format="text")]
    assert [s._.clause_heading for s in spans] == ["1. Accounts", "1. Accounts", "2. FEES"]
    assert spans.attrs["headings"] == ["1. Accounts", "1. Accounts", "2. FEES"]
    assert {s.label_ for s in spans} == {"CLAUSE"}
    assert [(s.start_char, s.end_char) for s in spans] == [
        (s.start, s.end) for s in segment(TEXT, format="text")
    ]


def test_component_config_and_empty_doc() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("clauseclf_segmenter", config={"spans_key": "sc"})
    assert len(nlp("").spans["sc"]) == 0
    assert len(nlp(TEXT).spans["sc"]) == 3


def test_factory_resolves_through_entry_point_without_import() -> None:
    code = (
        "import sys, spacy\n"
        "nlp = spacy.blank('en')\n"
        "nlp.add_pipe('clauseclf_segmenter')\n"
        "doc = nlp('Larkspur Terms\\n\\nYou agree. We agree.')\n"
        "print(len(doc.spans['clauses']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "2"
