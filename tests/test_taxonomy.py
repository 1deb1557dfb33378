import json

import pytest

from clauseclf.taxonomy import (
    OTHER,
    TaxonomyError,
    default_taxonomy,
    load_taxonomy,
    taxonomy_from_dict,
)
from conftest import require_shared_data, write_biometric_taxonomy


def test_package_taxonomy_matches_shared_taxonomy():
    shared = json.loads((require_shared_data() / "taxonomy.json").read_text(encoding="utf-8"))
    ours = default_taxonomy().to_dict()
    assert ours["severity_scale"] == shared["severity_scale"]
    assert ours["categories"] == shared["categories"]
    assert {t["id"]: t for t in ours["types"]} == {t["id"]: t for t in shared["types"]}


def test_default_taxonomy_shape():
    taxonomy = default_taxonomy()
    assert taxonomy.severity_scale == ("none", "low", "medium", "high")
    assert OTHER not in taxonomy.type_ids
    assert taxonomy.types[-1].id == OTHER
    assert {"ai_training", "arbitration", "governing_law", "jurisdiction"} <= set(taxonomy.type_ids)
    assert taxonomy.get("arbitration").category == "dispute_resolution"
    assert taxonomy.severity_rank("high") == 3


def test_unknown_lookups_are_clear():
    taxonomy = default_taxonomy()
    with pytest.raises(KeyError, match="biometric"):
        taxonomy.get("biometric")
    with pytest.raises(ValueError, match="severe"):
        taxonomy.severity_rank("severe")


def test_extended_taxonomy_round_trips(tmp_path):
    path = write_biometric_taxonomy(tmp_path)
    taxonomy = load_taxonomy(path)
    assert taxonomy.type_ids[0] == "biometric_data"
    assert taxonomy_from_dict(taxonomy.to_dict()) == taxonomy


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["types"].append(dict(d["types"][0])), "defined twice"),
        (lambda d: d["types"][0].update(default_severity="severe"), "unknown default severity"),
        (lambda d: d["types"][0].update(category="nowhere"), "unknown category"),
        (lambda d: d["types"].pop(), "no 'other' type"),
        (lambda d: d.pop("types"), "missing a required field"),
    ],
)
def test_malformed_taxonomy_is_refused(change, message):
    data = default_taxonomy().to_dict()
    change(data)
    with pytest.raises(TaxonomyError, match=message):
        taxonomy_from_dict(data)


def test_unreadable_taxonomy_file(tmp_path):
    path = tmp_path / "taxonomy.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="cannot read taxonomy file"):
        load_taxonomy(path)
