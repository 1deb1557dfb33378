import json
from importlib import resources

import pytest

from clauseclf.errors import TaxonomyError
from clauseclf.inference.model import ClauseModel
from clauseclf.taxonomy import (
    OTHER,
    RegulationRef,
    default_taxonomy,
    load_taxonomy,
    regulations_for,
    taxonomy_from_dict,
)
from conftest import REPO_ROOT, FakeEncoder, require_shared_data, write_biometric_taxonomy


def _without_regulations(types):
    return {t["id"]: {k: v for k, v in t.items() if k != "regulations"} for t in types}


@pytest.mark.shared_data
def test_package_taxonomy_matches_shared_taxonomy():
    """Everything but the package's own ``regulations`` agrees with the shared taxonomy."""
    shared = json.loads((require_shared_data() / "taxonomy.json").read_text(encoding="utf-8"))
    package_file = resources.files("clauseclf").joinpath("taxonomy.json")
    for ours in (
        json.loads(package_file.read_text(encoding="utf-8")),
        default_taxonomy().to_dict(),
    ):
        ours, theirs = dict(ours), dict(shared)
        assert _without_regulations(ours.pop("types")) == _without_regulations(theirs.pop("types"))
        assert ours == theirs


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


def test_a_taxonomy_file_larger_than_the_json_limit_is_refused_unread(tmp_path, monkeypatch):
    from clauseclf import limits

    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(default_taxonomy().to_dict()), encoding="utf-8")
    size = path.stat().st_size
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", size - 1)
    with pytest.raises(
        TaxonomyError, match=rf"taxonomy\.json: larger than the limit of {size - 1:,}"
    ):
        load_taxonomy(path)
    monkeypatch.setattr(limits, "MAX_JSON_BYTES", size)  # exactly at the limit: read
    assert load_taxonomy(path) == default_taxonomy()


def test_every_type_but_other_has_regulations():
    taxonomy = default_taxonomy()
    for type_id in taxonomy.type_ids:
        refs = regulations_for(type_id)
        assert refs, type_id
        assert all(isinstance(ref, RegulationRef) for ref in refs)
        assert all(ref.regulation.strip() and ref.topic.strip() for ref in refs)
    assert regulations_for(OTHER) == ()
    assert taxonomy.get(OTHER).regulations == ()


def test_regulations_for_ai_training():
    refs = regulations_for("ai_training")
    assert {"EU AI Act", "GDPR"} <= {ref.regulation for ref in refs}
    ai_act = next(ref for ref in refs if ref.regulation == "EU AI Act")
    assert str(ai_act) == f"EU AI Act {ai_act.reference}: {ai_act.topic}"
    assert str(RegulationRef("GDPR", None, "lawful basis")) == "GDPR: lawful basis"


def test_regulations_for_unknown_type():
    with pytest.raises(KeyError, match="biometric"):
        regulations_for("biometric")


def _with_regulations(regulations):
    data = default_taxonomy().to_dict()
    data["types"][0]["regulations"] = regulations
    return data


_GOOD = {"regulation": "GDPR", "reference": "Art. 6", "topic": "lawful basis"}


@pytest.mark.parametrize(
    ("regulations", "message"),
    [
        ({"regulation": "GDPR"}, "must be a list"),
        ("GDPR Art. 6", "must be a list"),
        (["GDPR Art. 6"], "must be an object"),
        ([{"regulation": "GDPR", "topic": "lawful basis"}], r"missing keys \['reference'\]"),
        ([{**_GOOD, "url": "https://example.org"}], r"unknown keys \['url'\]"),
        ([{**_GOOD, "regulation": ""}], "'regulation' must be a non-empty str"),
        ([{**_GOOD, "topic": "  "}], "'topic' must be a non-empty str"),
        ([_GOOD, dict(_GOOD)], "repeats an earlier entry"),
        ([{**_GOOD, "reference": 6}], "'reference' must be a non-empty str or null"),
        ([{**_GOOD, "reference": ""}], "'reference' must be a non-empty str or null"),
    ],
)
def test_malformed_regulations_are_refused(regulations, message):
    data = _with_regulations(regulations)
    type_id = data["types"][0]["id"]
    with pytest.raises(TaxonomyError, match=message) as caught:
        taxonomy_from_dict(data)
    assert repr(type_id) in str(caught.value)


def test_null_reference_is_allowed():
    taxonomy = taxonomy_from_dict(_with_regulations([{**_GOOD, "reference": None}]))
    assert taxonomy.types[0].regulations == (RegulationRef("GDPR", None, "lawful basis"),)


def test_regulations_round_trip():
    taxonomy = default_taxonomy()
    data = taxonomy.to_dict()
    assert "regulations" not in data["types"][-1]  # other
    again = taxonomy_from_dict(json.loads(json.dumps(data)))
    assert again == taxonomy
    assert again.get("ai_training").regulations == regulations_for("ai_training")


def test_taxonomy_without_regulations_still_loads(tmp_path):
    data = default_taxonomy().to_dict()
    for raw in data["types"]:
        raw.pop("regulations", None)
    path = tmp_path / "taxonomy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.type_ids == default_taxonomy().type_ids
    assert all(t.regulations == () for t in taxonomy.types)
    assert "regulations" not in json.dumps(taxonomy.to_dict())


def test_shipped_model_without_regulations_still_loads():
    """The embedded model's own taxonomy has no regulations; the package taxonomy supplies them."""
    folder = REPO_ROOT / "models" / "default"
    if not (folder / "config.json").is_file():
        pytest.skip(f"no shipped model at {folder}")
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    model = ClauseModel.load(folder, encoder=FakeEncoder(dimension=config["encoder"]["dimension"]))
    assert set(model.taxonomy.type_ids) == set(default_taxonomy().type_ids)
    for type_id in model.taxonomy.type_ids:
        assert regulations_for(type_id)
