"""Training on a file too small to learn from warns with the counts per type."""

from __future__ import annotations

import warnings

import pytest

import clauseclf
from clauseclf.cli import main
from clauseclf.errors import TrainingDataWarning
from clauseclf.taxonomy import default_taxonomy
from clauseclf.training.labels import small_data_warning
from conftest import REPO_ROOT, static_model, synthetic_records, write_static_encoder

EXAMPLE_ANNOTATIONS = REPO_ROOT / "data" / "annotations" / "clauses.jsonl"


def test_the_warning_names_the_rare_types_with_their_counts():
    records = (
        synthetic_records()
    )  # 6 platforms; arbitration and data_sale 18 each, governing_law 15
    types = ["arbitration", "data_sale", "governing_law", "class_action_waiver"]
    message = small_data_warning(records, types, min_examples=16)
    assert message is not None
    assert f"{len(records)} clauses from 6 platform(s)" in message
    assert "2 of 4 types have fewer than 16 examples" in message
    assert "(governing_law 15; 1 with none (class_action_waiver))" in message
    assert "arbitration" not in message and "data_sale" not in message
    assert small_data_warning(records, types[:2], min_examples=16) is None


def test_train_on_the_example_file_warns_before_the_work(fake_encoder):
    types = len(default_taxonomy().type_ids)
    with warnings.catch_warnings():  # as an error: training stops at the warning
        warnings.simplefilter("error", TrainingDataWarning)
        with pytest.raises(TrainingDataWarning, match=rf"53 clauses .* of {types} types have"):
            clauseclf.train([EXAMPLE_ANNOTATIONS], encoder=fake_encoder, progress=False)


def test_train_on_enough_data_does_not_warn(fake_encoder):
    from clauseclf.taxonomy import taxonomy_from_dict
    from clauseclf.training import TrainingConfig

    records = synthetic_records() * 4  # 48+ examples of each of the 5 types
    data = default_taxonomy().to_dict()
    used = {t for r in records for t in r.labels}
    data["types"] = [t for t in data["types"] if t["id"] in used | {"other"}]
    taxonomy = taxonomy_from_dict(data)
    assert len(taxonomy.type_ids) == 5
    assert "class_action_waiver" not in taxonomy.type_ids
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingDataWarning)
        model = clauseclf.train(
            records,
            encoder=fake_encoder,
            taxonomy=taxonomy,
            progress=False,
            config=TrainingConfig(
                min_df=1,
                C=1.0,
                threshold_corpora=(("arbitration", ("real",)), ("class_action_waiver", ("real",))),
            ),
        )
    # The card names the default rules of the types the model has, not of those it lacks.
    card = " ".join(model.metadata["model_card"].split())
    assert "for arbitration: beta 1" in card and "class_action_waiver" not in card


def test_cli_train_prints_the_warning_as_one_line(tmp_path, capsys):
    base = static_model(write_static_encoder(tmp_path / "encoder")).save(tmp_path / "base")
    out = tmp_path / "model"
    argv = ["train", str(EXAMPLE_ANNOTATIONS), "--base", str(base), "--out", str(out), "--quiet"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "clauseclf: warning: the training data is too small to learn from: 53 clauses" in err
    assert "--data ../shared/data" in err and "TrainingDataWarning" not in err
