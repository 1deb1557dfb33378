"""Reading annotation files into frozen records."""

import dataclasses
import json

import pytest

from clauseclf.annotations import AnnotatedClause, load_corpora, platform_key, read_annotations
from clauseclf.errors import AnnotationError
from clauseclf.taxonomy import default_taxonomy
from conftest import require_shared_data


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_records_keep_labels_partial_checks_and_provenance(tmp_path):
    (tmp_path / "mine").mkdir()
    path = _write(
        tmp_path / "mine" / "annotations.jsonl",
        [
            {
                "text": "Quillmoor may share your e-mail address with its partners.",
                "labels": {"third_party_sharing": "medium"},
                "annotated_types": ["third_party_sharing"],
                "platform": "Quillmoor",
                "document": "Privacy Policy",
                "source": "mine:1",
                "case": "extra fields are ignored",
            },
            {"text": "Welcome to Quillmoor.", "labels": {}},
        ],
    )
    first, second = read_annotations(path)
    assert first.labels == {"third_party_sharing": "medium"}
    assert first.annotated_types == frozenset({"third_party_sharing"})
    assert (first.platform, first.document) == ("Quillmoor", "Privacy Policy")
    assert first.source == "mine:1"
    assert first.corpus == "mine"
    assert first.is_annotated("third_party_sharing") and not first.is_annotated("tracking")
    assert second.labels == {} and second.annotated_types is None
    assert second.is_annotated("tracking")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.text = "changed"  # type: ignore[misc]


def test_labelled_types_count_as_annotated(tmp_path):
    path = _write(
        tmp_path / "a.jsonl",
        [{"text": "t", "labels": {"tracking": "low"}, "annotated_types": ["data_sale"]}],
    )
    (record,) = read_annotations(path)
    assert record.annotated_types == frozenset({"tracking", "data_sale"})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{broken", "line 2: invalid JSON"),
        ("[1, 2]", "line 2: expected a JSON object"),
        ('{"labels": {}}', "line 2: 'text' must be a non-empty string"),
        ('{"text": "x", "labels": []}', "line 2: 'labels' must be an object"),
        ('{"text": "x", "labels": {"nope": "low"}}', "line 2: unknown clause type 'nope'"),
        ('{"text": "x", "labels": {"tracking": "severe"}}', "line 2: unknown severity 'severe'"),
        ('{"text": "x", "labels": {}, "annotated_types": "tracking"}', "line 2: 'annotated_types'"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "fine", "labels": {}}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"bad\.jsonl, " + message):
        read_annotations(path)


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus 'claudette' not found"):
        load_corpora(tmp_path, ["claudette"])
    with pytest.raises(AnnotationError, match="no such file"):
        read_annotations(tmp_path / "absent.jsonl")


def test_platform_key_folds_spelling():
    assert platform_key("Electronic_Arts") == platform_key(" electronic  arts ")


@pytest.mark.shared_data
def test_shared_corpora_load():
    data = require_shared_data()
    records = load_corpora(data, taxonomy=default_taxonomy())
    assert all(isinstance(r, AnnotatedClause) for r in records)
    by_corpus = {c: [r for r in records if r.corpus == c] for c in ("claudette", "tosdr")}
    assert len(by_corpus["claudette"]) > 10_000 and len(by_corpus["tosdr"]) > 1_000
    claudette = by_corpus["claudette"][0]
    assert claudette.annotated_types is not None and len(claudette.annotated_types) == 8
    assert not claudette.is_annotated("data_sale")
    assert any(r.corpus == "ai_training" and "ai_training" in r.labels for r in records)
