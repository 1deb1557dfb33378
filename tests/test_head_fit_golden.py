"""``training.fit_head`` gives, number for number, the head it gave when
``tests/data/head_fit_golden.npz`` was written: every field of the ``ClauseHead`` and every
array and JSON value of the files it saves, for several training recipes on a fixed synthetic
training set (practice evidence, severity levels, source selection, too few platforms for the
inner folds).

The input is defined here (not in ``conftest``) so that the recorded head cannot drift with
shared fixtures. Regenerate the file only when a change of the fitted head is intended::

    PYTHONPATH=src python tests/test_head_fit_golden.py
"""

from __future__ import annotations

import json
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clauseclf.annotations import AnnotatedClause
from clauseclf.head import ClauseHead
from clauseclf.head.io import HEAD_JSON, HEAD_NPZ
from clauseclf.head.practices import PRACTICES_JSON, PRACTICES_NPZ
from clauseclf.training import TrainingConfig, fit_head

GOLDEN = Path(__file__).resolve().parent / "data" / "head_fit_golden.npz"
HEAD_FILES = [HEAD_JSON, HEAD_NPZ]
PRACTICE_FILES = [PRACTICES_JSON, PRACTICES_NPZ]  # the map the type ranker reads

# (text, labels with their severity, case) per template; the case names the practice (as a
# ToS;DR case does).
_TEMPLATES: tuple[tuple[str, dict[str, str], str], ...] = (
    (
        "Any dispute with {c} will be resolved by binding arbitration.",
        {"arbitration": "high"},
        "binding arbitration",
    ),
    (
        "Claims against {c} must be settled by individual arbitration, not in court.",
        {"arbitration": "high"},
        "binding arbitration",
    ),
    (
        "You may opt out of arbitration with {c} within 30 days.",
        {"arbitration": "medium"},
        "arbitration opt-out",
    ),
    (
        "Arbitration with {c} happens only if you agree to it in writing.",
        {"arbitration": "low"},
        "arbitration opt-out",
    ),
    (
        "Small claims against {c} may go to a local court instead of arbitration.",
        {"arbitration": "low"},
        "",
    ),
    ("These terms are governed by the laws of {place}.", {"governing_law": "low"}, "governing law"),
    (
        "The law of {place} applies to this agreement with {c}.",
        {"governing_law": "low"},
        "governing law",
    ),
    (
        "The courts of {place} have exclusive jurisdiction over disputes with {c}.",
        {"jurisdiction": "medium"},
        "exclusive venue",
    ),
    (
        "You agree to bring any claim against {c} only in the courts of {place}.",
        {"jurisdiction": "medium"},
        "exclusive venue",
    ),
    ("{c} sells your personal data to data brokers.", {"data_sale": "high"}, "sells data"),
    (
        "We rent your contact details to marketing firms, says {c}.",
        {"data_sale": "high"},
        "sells data",
    ),
    ("{c} does not sell your personal information.", {"data_sale": "none"}, "no sale"),
    (
        "{c} shares aggregated statistics with partners but never sells them.",
        {"data_sale": "low"},
        "no sale",
    ),
    (
        "{c} uses your uploads to train its machine learning models.",
        {"ai_training": "high"},
        "trains ai",
    ),
    ("Your messages help {c} train generative AI systems.", {"ai_training": "high"}, "trains ai"),
    ("{c} never uses your content to train AI models.", {"ai_training": "none"}, "no ai"),
    (
        "You can turn off AI training on your posts in the {c} settings.",
        {"ai_training": "medium"},
        "no ai",
    ),
    (
        "{c} may suspend or close your account at any time without notice.",
        {"unilateral_termination": "high"},
        "closes accounts",
    ),
    (
        "{c} may close accounts that break these terms after a warning.",
        {"unilateral_termination": "medium"},
        "closes accounts",
    ),
    (
        "These terms are governed by the laws of {place} and the courts of {place} decide "
        "disputes with {c}.",
        {"governing_law": "low", "jurisdiction": "medium"},
        "governing law",
    ),
    ("You can reach {c} support by e-mail.", {}, ""),
    ("{c} was founded in {place} to help people write notes.", {}, ""),
    ("Section headings in these terms are for convenience only.", {}, ""),
    ("The {c} app is available on phones and tablets.", {}, ""),
)
_PLATFORMS = (
    ("Larkspur", "Delaware", "real"),
    ("Quillmoor", "Ontario", "real"),
    ("Brightfen", "Bavaria", "stance"),
    ("Otterly", "Victoria", "stance"),
    ("Pinecall", "Oregon", "tosdr"),
    ("Mossgate", "Leinster", "tosdr"),
)


def golden_records(platforms: int = len(_PLATFORMS)) -> list[AnnotatedClause]:
    """Annotated clauses of the first ``platforms`` fictional platforms: every type checked on
    the "real" and "stance" ones; on the "tosdr" ones only the clause's own types (a clause
    with none is left out there), and every other template skipped on the last platform.
    Some labels are wrong on purpose (arbitration and data sale swapped on the "tosdr"
    platforms, every seventh clause of the "stance" ones without its labels), so that the
    out-of-fold scores are not all right and source selection has a choice to make."""
    records = []
    for k, (company, place, corpus) in enumerate(_PLATFORMS[:platforms]):
        for j, (template, labels, case) in enumerate(_TEMPLATES):
            if corpus == "tosdr" and (not labels or (k == 5 and j % 2)):
                continue
            if corpus == "tosdr" and ("arbitration" in labels or "data_sale" in labels):
                labels = {"data_sale" if "arbitration" in labels else "arbitration": "medium"}
            if corpus == "stance" and (j + k) % 7 == 0:
                labels = {}
            records.append(
                AnnotatedClause(
                    text=template.format(c=company, place=place),
                    labels=dict(labels),
                    annotated_types=frozenset(labels) if corpus == "tosdr" else None,
                    platform=company,
                    document="Terms",
                    source="golden",
                    corpus=corpus,
                    case=case,
                )
            )
    return records


def golden_embeddings(texts: list[str], dimension: int = 16) -> np.ndarray:
    """Normalised sums of per-word random vectors (seeded by the word's CRC-32), as float32."""
    out = np.zeros((len(texts), dimension), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().replace(".", " ").replace(",", " ").split():
            seed = zlib.crc32(word.encode("utf-8"))
            out[row] += np.random.default_rng(seed).normal(size=dimension).astype(np.float32)
        out[row] /= max(float(np.linalg.norm(out[row])), 1e-9)
    return out


#: name -> (records, seed, config): the recipes whose heads are recorded.
RECIPES: dict[str, tuple[Callable[[], list[AnnotatedClause]], int, TrainingConfig]] = {
    "default": (
        golden_records,
        0,
        TrainingConfig(min_df=1, C=1.0, min_severity_examples=5, calibration_corpora=("real",)),
    ),
    "sources": (
        golden_records,
        1,
        TrainingConfig(
            min_df=2,
            max_features=150,
            linear_model="logistic",
            select_sources=True,
            min_checked_clauses=10,
            min_checked_positives=3,
            rank_types=False,
            severity_class_weight="sqrt",
            severity_corpora=(),
            calibrate_on_full_checks=False,
            weak_negative_weight=0.3,
            stance_weight=0.0,
            char_weight=0.0,
        ),
    ),
    "few_platforms": (
        lambda: golden_records(platforms=2),
        2,
        TrainingConfig(
            min_df=1,
            severity_class_weight="none",
            practice_min_examples=3,
            practice_rank_weight=1.0,
            required_cues=(),
            inner_folds=3,
            char_weight=0.0,
        ),
    ),
    "two_types": (
        lambda: [r for r in golden_records() if set(r.labels) <= {"arbitration", "governing_law"}],
        3,
        TrainingConfig(min_df=1, C=2.0, embedding_weight=1.0, practice_scale=9.0, char_weight=0.0),
    ),
}


def fit_recipe(name: str) -> ClauseHead:
    """The head ``training.fit_head`` fits with recipe ``name``."""
    make_records, seed, config = RECIPES[name]
    records = make_records()
    texts = [r.text for r in records]
    return fit_head(texts, golden_embeddings(texts), records, seed=seed, config=config)


def head_record(head: ClauseHead) -> dict[str, np.ndarray]:
    """Every field of ``head`` and every value of its saved files, as named arrays."""
    record: dict[str, np.ndarray] = {}
    features = head.features
    fields = {
        "types": list(head.types),
        "severity_scale": list(head.severity_scale),
        "required_cues": head.required_cues,
        "settings": head.settings,
        "vocabulary": features.vocabulary,
        "stance_cues": list(features.stance_cues),
        "scalars": [features.embedding_dim, features.embedding_weight, features.stance_weight],
        "char_vocabulary": features.char_vocabulary,
        "char_weight": features.char_weight,
    }
    for key, value in fields.items():
        record[f"field/{key}"] = np.array(json.dumps(value, sort_keys=True))
    arrays = {
        "idf": features.idf,
        "char_idf": features.char_idf,
        "type_weights": head.type_weights,
        "type_bias": head.type_bias,
        "platt": head.platt,
        "thresholds": head.thresholds,
        "severity_weights": head.severity_weights,
        "severity_bias": head.severity_bias,
        "confidence_curve": head.confidence_curve,
    }
    if head.rank_weights is not None and head.rank_bias is not None:
        arrays.update(rank_weights=head.rank_weights, rank_bias=head.rank_bias)
    ranking = head.rank_practices
    if ranking is not None:
        practices = ranking.practices
        record["field/rank_practices"] = np.array(
            json.dumps(
                [list(practices.names), practices.top_k, practices.text_features, ranking.weight]
            )
        )
        arrays.update(
            practice_weights=practices.weights,
            practice_bias=practices.bias,
            practice_types=ranking.types,
        )
        if practices.text_weights is not None:
            arrays["practice_text_weights"] = practices.text_weights.toarray()
    for key, value in arrays.items():
        record[f"field/{key}"] = np.asarray(value)
    with tempfile.TemporaryDirectory() as folder:  # every file save_head writes
        head.save(folder)
        written = sorted(path.name for path in Path(folder).iterdir())
        assert written == sorted(HEAD_FILES if ranking is None else HEAD_FILES + PRACTICE_FILES)
        for name in written:
            path = Path(folder) / name
            if path.suffix == ".json":
                meta = json.loads(path.read_text(encoding="utf-8"))
                record[name] = np.array(json.dumps(meta, sort_keys=True))
            else:
                with np.load(path, allow_pickle=False) as saved:
                    record.update({f"{name}/{key}": saved[key] for key in saved.files})
    return record


def write_golden(path: Path = GOLDEN) -> None:
    """Record the heads of every recipe (run by hand, see the module docstring)."""
    arrays = {
        f"{name}/{key}": value
        for name in RECIPES
        for key, value in head_record(fit_recipe(name)).items()
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", list(RECIPES))
def test_fit_head_gives_the_recorded_head(name: str) -> None:
    with np.load(GOLDEN, allow_pickle=False) as golden:
        expected = {
            key.removeprefix(f"{name}/"): golden[key]
            for key in golden.files
            if key.startswith(f"{name}/")
        }
    actual = head_record(fit_recipe(name))
    assert expected, f"{GOLDEN} records no head for {name!r}"
    assert sorted(actual) == sorted(expected)
    for key, value in expected.items():
        got = actual[key]
        assert got.dtype == value.dtype, key
        assert got.shape == value.shape, key
        if value.dtype.kind in "fc":
            np.testing.assert_allclose(got, value, rtol=1e-10, atol=0, err_msg=key)
        else:
            np.testing.assert_array_equal(got, value, err_msg=key)


def test_the_recipes_cover_every_learned_part() -> None:
    with np.load(GOLDEN, allow_pickle=False) as golden:
        keys = set(golden.files)
    assert "default/head.npz/rank_practice_types" in keys  # practice evidence
    assert "few_platforms/head.npz/rank_practice_types" in keys  # without inner folds
    assert "default/practices.npz/weights" in keys  # its practice map, stored once
    assert not any(key.startswith("default/head.npz/rank_practice_w") for key in keys)
    assert "sources/head.npz/rank_weights" not in keys  # no ranker
    settings = json.loads(str(np.load(GOLDEN)["sources/field/settings"]))
    assert set(settings["sources"].values()) == {"all", "checked"}  # source selection


if __name__ == "__main__":
    write_golden()
    print(f"wrote {GOLDEN}")
