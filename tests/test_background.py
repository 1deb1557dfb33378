"""Background clauses: sampled from unlabelled policies, outside the annotated platforms."""

from __future__ import annotations

from pathlib import Path

import pytest

from clauseclf.background import BACKGROUND_CORPUS, background_clauses
from clauseclf.head import has_ai_wording
from clauseclf.training import label_matrix
from conftest import write_policy_archive

POLICIES = {
    "Acme_Privacy Policy.txt": (
        "We collect your email address when you sign up for an account.\n\n"
        "We use your information to improve our products and services.\n\n"
        "We may use your content to train our machine learning models.\n\n"
        "Short line.\n"
    ),
    "Birdly_Terms of Service.txt": (
        "You must be at least sixteen years old to use the service.\n\n"
        "We can suspend your account at any time without notice.\n"
    ),
    "Annotated Co_Privacy.txt": "This platform is annotated, so none of its clauses is used.\n",
}


def _data_dir(tmp_path: Path, files: dict[str, str] = POLICIES) -> Path:
    return write_policy_archive(tmp_path / "data", files)


def test_clauses_come_from_unannotated_platforms_without_labels(tmp_path):
    records = background_clauses(
        _data_dir(tmp_path), clauses=100, documents=10, exclude_platforms=["annotated_co"]
    )
    texts = {r.text for r in records}
    assert "We collect your email address when you sign up for an account." in texts
    assert not any("annotated" in t for t in texts)
    assert "Short line." not in texts  # under MIN_CHARS
    assert {r.platform for r in records} == {"Acme", "Birdly"}
    assert all(r.corpus == BACKGROUND_CORPUS and r.labels == {} for r in records)
    by_text = {r.text: r for r in records}
    # No AI wording: a strong ai_training negative; AI wording: unknown for every type.
    improve = by_text["We use your information to improve our products and services."]
    assert improve.annotated_types == frozenset({"ai_training"})
    train = by_text["We may use your content to train our machine learning models."]
    assert train.annotated_types == frozenset()
    assert train.source == "policies-2023:Acme_Privacy Policy.txt"


def test_label_matrix_makes_background_a_calibrated_negative_for_ai_training(tmp_path):
    records = background_clauses(_data_dir(tmp_path), clauses=100, documents=10)
    types = ["ai_training", "data_collection"]
    labels = label_matrix(records, types, weak_weight=0.1)
    checked = [r.annotated_types == frozenset({"ai_training"}) for r in records]
    assert labels.y.sum() == 0
    assert [bool(s) for s in labels.strong[:, 0]] == checked
    # a random sample of real clauses: its checked negatives calibrate the type's threshold
    assert [bool(s) for s in labels.informative[:, 0]] == checked
    assert not labels.strong[:, 1].any() and not labels.informative[:, 1].any()
    assert set(labels.weight[:, 1]) == {0.1}


def test_sampling_is_seeded_and_bounded(tmp_path):
    data = _data_dir(tmp_path)
    first = background_clauses(data, clauses=3, documents=2, seed=4)
    again = background_clauses(data, clauses=3, documents=2, seed=4)
    assert [r.text for r in first] == [r.text for r in again]
    assert len(first) == 3
    assert len({r.document for r in background_clauses(data, clauses=50, documents=1)}) == 1


def test_missing_archive_and_bad_counts_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="background_clauses=0"):
        background_clauses(tmp_path, clauses=10, documents=10)
    with pytest.raises(ValueError, match="at least 1"):
        background_clauses(_data_dir(tmp_path), clauses=0, documents=10)
    with pytest.raises(ValueError, match="no policy of a platform outside"):
        background_clauses(
            tmp_path / "data",
            clauses=10,
            documents=10,
            exclude_platforms=["acme", "birdly", "annotated co"],
        )


@pytest.mark.parametrize(
    ("text", "about_ai"),
    [
        ("We use your data to improve our services.", False),
        ("We share your data with advertisers.", False),
        ("We use AI to recommend videos.", True),
        ("Our machine-learning systems rank posts.", True),
        ("Your recordings help improve our speech engine.", True),
        ("We train staff on privacy.", True),
        ("The email address you gave us is kept for two years.", False),
    ],
)
def test_ai_wording(text, about_ai):
    assert has_ai_wording(text) is about_ai


def test_training_with_background_clauses_records_them(tmp_path, fake_encoder):
    import clauseclf
    from clauseclf.training import TrainingConfig
    from conftest import REPO_ROOT

    data = _data_dir(tmp_path)
    lines = (REPO_ROOT / "data" / "annotations" / "clauses.jsonl").read_text().splitlines()
    for index, corpus in enumerate(("claudette", "tosdr", "ai_training")):
        (data / corpus).mkdir()
        (data / corpus / "annotations.jsonl").write_text("\n".join(lines[index::3]) + "\n")
    # 2 platform folds (not 5): cross-validation still runs with the background clauses.
    model = clauseclf.train(
        [],
        data_dir=data,
        encoder=fake_encoder,
        progress=False,
        n_folds=2,
        config=TrainingConfig(background_clauses=5, background_documents=3),
    )
    counts = model.metadata["training"]["data"]
    assert counts["background"] == 5 and sum(counts.values()) == len(lines) + 5
    card = model.metadata["model_card"]
    assert "Background: 5 unlabelled clauses" in card and "background: unlabelled" in card
    assert "Cue gate: `ai_training`" in card
    assert model.head.required_cues == {"ai_training": "ai_wording"}
