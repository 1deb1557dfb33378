"""data/annotations/real.jsonl: standoff labels of real policy clauses, every type checked."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from clauseclf.annotations import load_annotations, service_of
from clauseclf.taxonomy import default_taxonomy
from conftest import require_shared_data

REAL = Path(__file__).resolve().parents[1] / "data" / "annotations" / "real.jsonl"


def _rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in REAL.read_text(encoding="utf-8").splitlines()]


def test_records_hold_no_text_and_valid_labels() -> None:
    taxonomy = default_taxonomy()
    rows = _rows()
    assert len(rows) >= 10_000
    assert len({r["doc_file"] for r in rows}) >= 1_500
    for row in rows:
        assert set(row) == {
            "doc_file",
            "start",
            "end",
            "sha256",
            "labels",
            "batch",
            "part",
            "readings",
        }
        labels = row["labels"]
        assert isinstance(labels, dict)
        assert set(labels) <= set(taxonomy.type_ids)
        assert set(labels.values()) <= set(taxonomy.severity_scale)
    parts = Counter(str(r["part"]).split(":")[0] for r in rows)
    assert parts["random"] >= 5_000
    assert len({r["doc_file"] for r in rows if r["part"] == "random"}) >= 40


def test_no_reserved_service_is_labelled() -> None:
    data = require_shared_data()
    reserved_file = data.parent / "annotation" / "reserved_services.txt"
    if not reserved_file.is_file():
        pytest.skip(f"{reserved_file} is missing")
    reserved = {
        line.strip().lower() for line in reserved_file.read_text(encoding="utf-8").splitlines()
    }
    used = {service_of(str(r["doc_file"])).strip().lower() for r in _rows()}
    assert not used & reserved


def test_every_record_resolves_against_the_shared_documents() -> None:
    data = require_shared_data()
    loaded = load_annotations(REAL, documents=data / "policies-2023", strict=True)
    # exact repeats of one wording (several documents) are read once
    assert len(loaded.records) >= 11_000
    record = loaded.records[0]
    assert record.annotated_types is None and record.corpus == "real"
    positives = Counter(t for r in loaded.records for t in r.labels)
    # every type has 150 positives but ai_training: all 261 clauses of the corpus with AI and
    # training wording were labelled (data/annotations/README.md)
    assert min(n for t, n in positives.items() if t != "ai_training") >= 150
    assert positives["ai_training"] >= 100
    assert min(positives[t] for t in ("arbitration", "class_action_waiver", "data_sale")) >= 300
