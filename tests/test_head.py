"""The classifier head on its own: outputs, save/load without pickle, refusal of bad files."""

import json

import numpy as np
import pytest

from clauseclf.errors import ModelFormatError
from clauseclf.head import (
    HEAD_JSON,
    HEAD_NPZ,
    ClauseHead,
    HeadOutput,
    ranked_top,
    stance_flags,
    top_label_probability,
)
from clauseclf.taxonomy import default_taxonomy
from clauseclf.training import TrainingConfig, fit_head
from conftest import synthetic_records


@pytest.fixture(scope="module")
def head(fake_encoder):
    records = synthetic_records()
    texts = [r.text for r in records]
    return fit_head(
        texts, fake_encoder.encode(texts), records, seed=0, config=TrainingConfig(min_df=1)
    )


CLAUSES = [
    "Any dispute with Fernwick will be resolved by binding arbitration.",
    "Fernwick sells your personal data to data brokers.",
    "The Fernwick app is available on phones and tablets.",
]


def test_output_shapes_types_and_ranges(head, fake_encoder):
    out = head.predict(CLAUSES, fake_encoder.encode(CLAUSES))
    assert isinstance(out, HeadOutput)
    n, t = len(CLAUSES), len(head.types)
    assert head.types == default_taxonomy().type_ids
    assert head.severity_scale == default_taxonomy().severity_scale
    assert head.embedding_dim == fake_encoder.dimension
    assert out.probabilities.shape == (n, t) and out.probabilities.dtype == np.float64
    assert out.predicted.shape == (n, t) and out.predicted.dtype == bool
    assert out.severity.shape == (n, t) and np.issubdtype(out.severity.dtype, np.integer)
    assert out.confidence.shape == (n,) and out.confidence.dtype == np.float64
    assert np.all((out.probabilities >= 0) & (out.probabilities <= 1))
    assert np.all((out.confidence >= 0) & (out.confidence <= 1))
    assert np.all((out.severity >= 0) & (out.severity < len(head.severity_scale)))
    np.testing.assert_array_equal(out.predicted, out.probabilities >= head.thresholds)


def test_learns_the_synthetic_types(head, fake_encoder):
    out = head.predict(CLAUSES, fake_encoder.encode(CLAUSES))
    arbitration, data_sale = head.types.index("arbitration"), head.types.index("data_sale")
    assert out.predicted[0, arbitration] and not out.predicted[0, data_sale]
    assert out.predicted[1, data_sale] and not out.predicted[1, arbitration]
    assert not out.predicted[2].any()
    assert head.severity_scale[out.severity[1, data_sale]] == "high"


def test_output_is_frozen(head, fake_encoder):
    out = head.predict(CLAUSES[:1], fake_encoder.encode(CLAUSES[:1]))
    with pytest.raises(AttributeError):
        out.confidence = np.zeros(1)


def test_no_clauses(head, fake_encoder):
    out = head.predict([], np.zeros((0, fake_encoder.dimension), dtype=np.float32))
    assert out.probabilities.shape == (0, len(head.types))
    assert out.confidence.shape == (0,)


def test_bad_inputs_are_clear_errors(head, fake_encoder):
    with pytest.raises(ValueError, match=r"expected embeddings of shape \(3, 32\), got \(3, 16\)"):
        head.predict(CLAUSES, np.zeros((3, 16), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected embeddings of shape \(3, 32\), got \(2, 32\)"):
        head.predict(CLAUSES, fake_encoder.encode(CLAUSES[:2]))
    with pytest.raises(TypeError, match="sequence of str"):
        head.predict("one clause", fake_encoder.encode(["one clause"]))
    with pytest.raises(TypeError, match="sequence of str"):
        head.predict([b"bytes"], fake_encoder.encode(["bytes"]))
    with pytest.raises(ValueError, match="numeric"):
        head.predict(["x"], [["a"] * 32])


def test_save_load_round_trip_predicts_the_same(head, fake_encoder, tmp_path):
    head.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [HEAD_JSON, HEAD_NPZ]
    loaded = ClauseHead.load(tmp_path)
    embeddings = fake_encoder.encode(CLAUSES)
    before, after = head.predict(CLAUSES, embeddings), loaded.predict(CLAUSES, embeddings)
    np.testing.assert_allclose(after.probabilities, before.probabilities, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(after.predicted, before.predicted)
    np.testing.assert_array_equal(after.severity, before.severity)
    np.testing.assert_allclose(after.confidence, before.confidence, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(after.top, before.top)
    assert loaded.rank_weights is not None
    np.testing.assert_array_equal(loaded.rank_weights, head.rank_weights)
    assert loaded.types == head.types and loaded.embedding_dim == head.embedding_dim


def test_saved_head_holds_no_training_sentence(head, tmp_path):
    head.save(tmp_path)
    stored = (tmp_path / HEAD_JSON).read_text(encoding="utf-8")
    vocabulary = json.loads(stored)["vocabulary"]
    assert all(len(term.split()) <= 2 for term in vocabulary)
    for record in synthetic_records():
        assert record.text not in stored


def _arrays(folder):
    with np.load(folder / HEAD_NPZ, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _meta(folder):
    return json.loads((folder / HEAD_JSON).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a, m: a.update(type_weights=a["type_weights"][:-1]), "type_weights"),
        (lambda a, m: a.update(idf=a["idf"][:-1]), "idf"),
        (lambda a, m: a["platt"].__setitem__((0, 0), np.nan), "NaN"),
        (lambda a, m: a.pop("severity_bias"), "severity_bias"),
        (lambda a, m: a.update(confidence_curve=np.array([[0.0, 1.0], [0.2, 1.7]])), r"\[0, 1\]"),
        (lambda a, m: a.update(thresholds=np.array(["x"] * 28)), "malformed"),
        (lambda a, m: m.update(types=m["types"][:-1]), "shape"),
        (lambda a, m: m.update(format_version=7), "head format version 7; .* reads version 2"),
        (lambda a, m: m.update(vocabulary="not a list"), "'vocabulary' must be a list"),
        (lambda a, m: m["vocabulary"].__setitem__(1, m["vocabulary"][0]), "repeated"),
        (lambda a, m: m.pop("embedding_dim"), "embedding_dim"),
    ],
)
def test_corrupt_or_incompatible_heads_are_refused(head, tmp_path, change, message):
    head.save(tmp_path)
    arrays, meta = _arrays(tmp_path), _meta(tmp_path)
    change(arrays, meta)
    np.savez(tmp_path / HEAD_NPZ, **arrays)
    (tmp_path / HEAD_JSON).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError, match=message):
        ClauseHead.load(tmp_path)


def test_missing_or_unreadable_files_are_refused(head, tmp_path):
    with pytest.raises(ModelFormatError, match="missing"):
        ClauseHead.load(tmp_path)
    head.save(tmp_path)
    (tmp_path / HEAD_NPZ).unlink()
    with pytest.raises(ModelFormatError, match="missing"):
        ClauseHead.load(tmp_path)
    head.save(tmp_path)
    (tmp_path / HEAD_JSON).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelFormatError, match="cannot read"):
        ClauseHead.load(tmp_path)
    (tmp_path / HEAD_JSON).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelFormatError, match=r"not a head \(a JSON object\), got \[1, 2\]"):
        ClauseHead.load(tmp_path)
    head.save(tmp_path)
    (tmp_path / HEAD_NPZ).write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ModelFormatError, match="corrupt"):
        ClauseHead.load(tmp_path)


def test_pickled_object_arrays_are_refused(head, tmp_path):
    head.save(tmp_path)
    arrays = _arrays(tmp_path)
    arrays["thresholds"] = np.array([{"x": 1}] * len(head.types), dtype=object)
    np.savez(tmp_path / HEAD_NPZ, **arrays)
    with pytest.raises(ModelFormatError, match="pickle"):
        ClauseHead.load(tmp_path)


def test_stance_flags_see_negation_consent_and_choice():
    from clauseclf.head import STANCE_PATTERNS, stance_flags

    names = [name for name, _ in STANCE_PATTERNS]
    flags = stance_flags(
        [
            "We do not sell your personal data.",
            "We don\u2019t share it with anyone.",
            "Your files are used for training only with your explicit consent.",
            "We train on your content and you cannot opt out.",
            "We may use aggregated data; you can opt out in settings.",
            "We sell your data.",
            "You will not use the Services to train a competing model.",
            "(c) do not use any output to develop similar products;",
            "We will not use your content to train our models.",
        ]
    )
    on = [{names[c] for c in range(len(names)) if row[c]} for row in flags]
    # "will not use" is also a negation: the user_prohibition flag tells the two apart
    assert "user_prohibition" in on[6] and "user_prohibition" in on[7]
    assert on[8] == {"negated_practice"}  # the service's promise, not a rule for the user
    assert on[0] == {"negated_practice"} and on[1] == {"negated_practice"}
    assert on[2] == {"opt_in_or_consent"}
    assert "no_choice" in on[3]
    assert on[4] == {"opt_out", "deidentified"}
    assert on[5] == set()


def test_ai_wording_flag_marks_what_a_clause_is_about():
    flags = stance_flags(
        [
            "We may use your content to train our machine learning models.",
            "Our A.I. assistant summarises your notes.",
            "We use your information to improve our products and services.",
            "We keep your email address for two years.",
        ],
        ["ai_wording"],
    )
    assert flags[:, 0].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_a_required_cue_gates_its_type(head, fake_encoder, tmp_path):
    assert head.required_cues == {"ai_training": "ai_wording"}  # TrainingConfig's default
    texts = [
        "Fernwick uses your photos to train its machine learning models.",
        "Fernwick uses your photos to improve its products.",
    ]
    embeddings = fake_encoder.encode(texts)
    column = head.types.index("ai_training")
    head.save(tmp_path)
    meta = _meta(tmp_path)
    assert meta["required_cues"] == {"ai_training": "ai_wording"}
    meta["required_cues"] = {}
    (tmp_path / HEAD_JSON).write_text(json.dumps(meta), encoding="utf-8")
    ungated = ClauseHead.load(tmp_path)
    before, after = ungated.predict(texts, embeddings), head.predict(texts, embeddings)
    assert before.probabilities[1, column] > 0.0
    assert after.probabilities[0, column] == before.probabilities[0, column]
    assert after.probabilities[1, column] == 0.0 and not after.predicted[1, column]
    others = [c for c in range(len(head.types)) if c != column]
    np.testing.assert_array_equal(after.probabilities[:, others], before.probabilities[:, others])


@pytest.mark.parametrize(
    ("required", "message"),
    [
        ({"ai_training": "no_such_cue"}, "required cue"),
        ({"no_such_type": "ai_wording"}, "required cue"),
        (["ai_training"], "'required_cues' must map str to str"),
    ],
)
def test_bad_required_cues_are_refused(head, tmp_path, required, message):
    head.save(tmp_path)
    meta = _meta(tmp_path)
    meta["required_cues"] = required
    (tmp_path / HEAD_JSON).write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelFormatError, match=message):
        ClauseHead.load(tmp_path)


def test_stance_weight_roundtrips_and_old_heads_load(tmp_path, fake_encoder):
    import json

    from clauseclf.head import STANCE_PATTERNS, ClauseHead
    from clauseclf.training import TrainingConfig, fit_head
    from conftest import synthetic_records

    records = synthetic_records()
    texts = [r.text for r in records]
    head = fit_head(
        texts,
        fake_encoder.encode(texts),
        records,
        config=TrainingConfig(min_df=1, C=1.0, stance_weight=1.0),
    )
    assert head.features.size == (
        len(head.features.vocabulary)
        + 32
        + len(STANCE_PATTERNS)
        + len(head.features.char_vocabulary)
    )
    head.save(tmp_path)
    loaded = ClauseHead.load(tmp_path)
    assert loaded.features.stance_weight == 1.0
    out = loaded.predict(texts[:4], fake_encoder.encode(texts[:4]))
    assert np.array_equal(
        out.predicted, head.predict(texts[:4], fake_encoder.encode(texts[:4])).predicted
    )
    meta = json.loads((tmp_path / "head.json").read_text("utf-8"))
    meta["stance_weight"] = -1
    (tmp_path / "head.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelFormatError, match=r"stance.weight"):
        ClauseHead.load(tmp_path)
    meta["stance_weight"] = 1.0
    meta["stance_cues"] = ["opt_out", "not_a_cue"]
    (tmp_path / "head.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelFormatError, match="stance cues must be distinct names"):
        ClauseHead.load(tmp_path)


def test_heads_saved_before_cues_were_named_read_the_legacy_cues(head, tmp_path, fake_encoder):
    import json

    from clauseclf.head import LEGACY_STANCE_CUES, ClauseHead, TextFeatures

    features = head.features
    assert features.stance_cues[: len(LEGACY_STANCE_CUES)] == LEGACY_STANCE_CUES
    # the head as an earlier version fitted it: the five legacy cues, saved without their names
    legacy = TextFeatures(
        features.vocabulary,
        features.idf,
        32,
        0.5,
        1.0,
        stance_cues=LEGACY_STANCE_CUES,
        char_vocabulary=features.char_vocabulary,
        char_idf=features.char_idf,
        char_weight=features.char_weight,
    )
    assert legacy.size == features.size - (len(features.stance_cues) - len(LEGACY_STANCE_CUES))
    # the legacy cues' columns, then the character block (which comes after the stance flags)
    kept = np.r_[
        : len(features.vocabulary) + 32 + len(LEGACY_STANCE_CUES),
        features.size - len(features.char_vocabulary) : features.size,
    ]
    old = ClauseHead(
        types=head.types,
        severity_scale=head.severity_scale,
        features=legacy,
        type_weights=head.type_weights[kept],
        type_bias=head.type_bias,
        platt=head.platt,
        thresholds=head.thresholds,
        severity_weights=head.severity_weights[:, kept],
        severity_bias=head.severity_bias,
        confidence_curve=head.confidence_curve,
    )
    old.save(tmp_path)
    meta = json.loads((tmp_path / "head.json").read_text("utf-8"))
    del meta["stance_cues"]
    (tmp_path / "head.json").write_text(json.dumps(meta), "utf-8")
    loaded = ClauseHead.load(tmp_path)
    assert loaded.features.stance_cues == LEGACY_STANCE_CUES
    embeddings = fake_encoder.encode(CLAUSES)
    np.testing.assert_array_equal(
        loaded.predict(CLAUSES, embeddings).probabilities,
        old.predict(CLAUSES, embeddings).probabilities,
    )


def test_ngram_counts_match_the_training_vectorizer(head) -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    features = head.features
    reference = CountVectorizer(
        vocabulary={term: i for i, term in enumerate(features.vocabulary)},
        ngram_range=(1, 2),
        lowercase=True,
        token_pattern=r"(?u)\b\w\w+\b",
    )
    texts = [
        "We may CHANGE these terms; these terms change, and change again.",
        "",
        "a b c",
        "Naïve café rules: we SELL your data. 42 ab 42 ab",
        *[record.text for record in synthetic_records()[:50]],
    ]
    ours = features.counts(texts)
    assert ours.shape == (len(texts), len(features.vocabulary))
    assert (abs(ours - reference.transform(texts)) > 0).nnz == 0
    assert ours.nnz > 0


def test_loading_a_model_does_not_import_scikit_learn(tmp_path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, clauseclf; clauseclf.load().classify(['We sell your data.']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip() == "[]"


def test_ranked_top_chooses_among_predicted_types_only():
    scores = np.array([[3.0, 1.0, 2.0], [3.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    predicted = np.array([[False, True, True], [True, True, False], [False, False, False]])
    assert ranked_top(scores, predicted).tolist() == [2, 0, -1]
    assert ranked_top(np.zeros((2, 0)), np.zeros((2, 0), dtype=bool)).tolist() == [-1, -1]
    # without an explicit top, HeadOutput's top is the most probable predicted type
    output = HeadOutput(scores / 4, predicted, np.zeros((3, 3), dtype=int), np.ones(3))
    assert output.top.tolist() == [2, 0, -1]
    # and the type ranked first is the most probable one, predicted or not
    assert output.ranked_first.tolist() == [0, 0, 0]
    probability = top_label_probability(scores / 4, predicted, np.array([1, 0, -1]))
    np.testing.assert_allclose(probability, [0.25, 0.75, 1.0])


def test_the_type_ranker_picks_the_top_label(head, fake_encoder):
    assert head.rank_weights is not None and head.rank_weights.shape == head.type_weights.shape
    out = head.predict(CLAUSES, fake_encoder.encode(CLAUSES))
    features = head.features.transform(CLAUSES, fake_encoder.encode(CLAUSES))
    scores = np.asarray(features @ head.rank_weights.astype(np.float64)) + head.rank_bias
    assert out.top.tolist() == ranked_top(scores, out.predicted).tolist()
    assert head.types[out.top[0]] == "arbitration" and out.top[2] == -1
    # the ranker's first type among all types, also where none is predicted
    assert out.ranked_first.tolist() == np.argmax(scores, axis=1).tolist()
    assert out.ranked_first[2] >= 0
    records = synthetic_records()
    texts = [r.text for r in records]
    plain = fit_head(
        texts,
        fake_encoder.encode(texts),
        records,
        seed=0,
        config=TrainingConfig(min_df=1, rank_types=False),
    )
    assert plain.rank_weights is None and plain.rank_bias is None
    with pytest.raises(ModelFormatError, match="rank_weights and rank_bias go together"):
        ClauseHead(
            types=plain.types,
            severity_scale=plain.severity_scale,
            features=plain.features,
            type_weights=plain.type_weights,
            type_bias=plain.type_bias,
            platt=plain.platt,
            thresholds=plain.thresholds,
            severity_weights=plain.severity_weights,
            severity_bias=plain.severity_bias,
            confidence_curve=plain.confidence_curve,
            rank_weights=head.rank_weights,
        )


def test_ranker_trains_on_data_too_small_for_inner_folds(fake_encoder):
    everything = synthetic_records()
    records = [r for r in everything if r.platform == everything[0].platform]
    assert len({r.platform for r in records}) == 1  # one platform: no inner split
    texts = [r.text for r in records]
    small = fit_head(
        texts, fake_encoder.encode(texts), records, seed=0, config=TrainingConfig(min_df=1)
    )
    assert small.rank_weights is not None
    out = small.predict(CLAUSES, fake_encoder.encode(CLAUSES))
    assert out.top.shape == (3,) and np.isfinite(out.confidence).all()


def test_a_head_keeps_its_char_block_through_save_and_load(head, tmp_path, fake_encoder) -> None:
    import json

    from clauseclf.errors import ModelFormatError
    from clauseclf.head import ClauseHead

    assert head.features.char_vocabulary, "the default recipe fits the character block"
    head.save(tmp_path)
    loaded = ClauseHead.load(tmp_path)
    assert loaded.features.char_vocabulary == head.features.char_vocabulary
    assert loaded.features.char_weight == head.features.char_weight
    texts = ["We sell your data.", "Disputes go to binding arbitration."]
    embeddings = fake_encoder.encode(texts)
    np.testing.assert_array_equal(
        loaded.predict(texts, embeddings).probabilities,
        head.predict(texts, embeddings).probabilities,
    )
    meta = json.loads((tmp_path / "head.json").read_text("utf-8"))
    meta["char_weight"] = -1
    (tmp_path / "head.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelFormatError, match="char_weight"):
        ClauseHead.load(tmp_path)


def test_type_thresholds_give_the_named_type_its_own_rule(fake_encoder):
    from clauseclf.thresholds import choose_thresholds
    from clauseclf.training import HeadEstimator, label_matrix

    records = synthetic_records()
    texts = [r.text for r in records]
    embeddings = fake_encoder.encode(texts)
    types = list(default_taxonomy().type_ids)
    config = TrainingConfig(
        min_df=1, type_thresholds=(("arbitration", 1.0, 0.99),), threshold_corpora=()
    )
    plain = HeadEstimator(
        TrainingConfig(min_df=1, type_thresholds=(), threshold_corpora=()), seed=0
    ).fit(texts, embeddings, records)
    ruled = HeadEstimator(config, seed=0).fit(texts, embeddings, records)
    a = types.index("arbitration")
    others = [i for i in range(len(types)) if i != a]
    assert np.array_equal(
        ruled.classifier_.thresholds_[others], plain.classifier_.thresholds_[others]
    )
    classifier = ruled.classifier_
    # The synthetic types separate at any threshold (0.2 with or without the rule): check that
    # the rule reaches the classifier as the named column's own beta and floor.
    beta, floor = config.threshold_beta, config.min_precision
    assert classifier.threshold_beta == [1.0 if i == a else beta for i in range(len(types))]
    assert classifier.min_precision == [0.99 if i == a else floor for i in range(len(types))]
    expected = choose_thresholds(
        classifier.oof_probabilities_[:, [a]],
        label_matrix(records, types, config.weak_negative_weight).y[:, [a]],
        classifier.calibration_mask_[:, [a]],
        classifier.min_threshold,
        config.max_threshold,
        beta=1.0,
        min_precision=0.99,
    )
    assert classifier.thresholds_[a] == expected[0]
    assert ruled.to_head().settings["config"]["type_thresholds"] == (("arbitration", 1.0, 0.99),)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ((("no_such_type", 1.0, 0.9),), "names 'no_such_type', not a type"),
        ((("arbitration", 1.0, 0.9), ("arbitration", 2.0, 0.8)), "names 'arbitration' twice"),
        ((("arbitration", 0.0, 0.9),), "beta must be positive"),
        ((("arbitration", 1.0, 1.0),), r"min_precision in \[0, 1\)"),
        ((("arbitration", 1.0),), r"entries are \(type, beta, min_precision\)"),
    ],
)
def test_bad_type_thresholds_are_refused(rules, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(type_thresholds=rules).threshold_rules(default_taxonomy().type_ids)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ((("no_such_type", ("real",)),), "names 'no_such_type', not a type"),
        ((("arbitration", "real"),), "non-empty tuple of corpora"),
        ((("arbitration", ()),), "non-empty tuple of corpora"),
        ((("arbitration", ("real",)), ("arbitration", ("stance",))), "names 'arbitration' twice"),
    ],
)
def test_bad_threshold_corpora_are_refused(limits, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(threshold_corpora=limits).threshold_rules(default_taxonomy().type_ids)


def test_threshold_mask_limits_a_type_to_its_corpora_when_it_has_positives_there():
    from clauseclf.training.labels import threshold_mask

    calibration = np.ones((8, 2), dtype=bool)
    targets = np.array([[1, 1]] * 6 + [[0, 0]] * 2)
    corpora = ["real"] * 5 + ["claudette"] * 3
    mask = threshold_mask(calibration, targets, corpora, {0: ("real",)})
    assert mask[:, 0].tolist() == [True] * 5 + [False] * 3
    assert mask[:, 1].all()  # not named: unchanged
    # Fewer than five positives in the named corpora: every calibration pair stays.
    few = threshold_mask(calibration, targets, corpora, {0: ("claudette",)})
    assert few[:, 0].all()


def test_threshold_corpora_choose_the_named_types_threshold_on_those_pairs(
    fake_encoder, monkeypatch
):
    # The synthetic data separates so well that any mask gives the same threshold: check the
    # pairs the thresholds are chosen on instead.
    from dataclasses import replace

    from clauseclf.thresholds import choose_thresholds as real_choose
    from clauseclf.training import HeadEstimator

    masks: list[np.ndarray] = []

    def recording(probabilities, targets, calibrate, *args):
        masks.append(calibrate.copy())
        return real_choose(probabilities, targets, calibrate, *args)

    monkeypatch.setattr("clauseclf.estimators.choose_thresholds", recording)
    records = synthetic_records()
    kept = sorted({r.platform for r in records})[:4]
    records = [r if r.platform in kept else replace(r, corpus="elsewhere") for r in records]
    texts = [r.text for r in records]
    types = list(default_taxonomy().type_ids)
    corpus = records[0].corpus
    config = TrainingConfig(
        min_df=1, type_thresholds=(), threshold_corpora=(("arbitration", (corpus,)),)
    )
    fitted = HeadEstimator(config, seed=0).fit(texts, fake_encoder.encode(texts), records)
    classifier, a = fitted.classifier_, types.index("arbitration")
    chosen = np.array([r.corpus == corpus for r in records])
    final = masks[-1]  # the final fit's thresholds (inner fits come first)
    assert np.array_equal(final[:, a], classifier.calibration_mask_[:, a] & chosen)
    assert not chosen.all() and classifier.calibration_mask_[~chosen, a].any()
    others = [i for i in range(len(types)) if i != a]
    assert np.array_equal(final[:, others], classifier.calibration_mask_[:, others])


def test_default_type_rules_pass_over_types_a_custom_taxonomy_lacks():
    betas, floors, limits = TrainingConfig().threshold_rules(["arbitration", "my_type"])
    assert betas == [1.0, TrainingConfig().threshold_beta] and floors == [
        0.85,
        TrainingConfig().min_precision,
    ]
    assert limits == {0: ("real",)}
    with pytest.raises(ValueError, match="top_severity_gate must lie in"):
        TrainingConfig(top_severity_gate=1.5).threshold_rules(["arbitration"])


def test_top_severity_gate_holds_back_the_highest_level(head, fake_encoder, tmp_path):
    import copy
    import json

    from clauseclf.head import ClauseHead

    texts = CLAUSES * 3
    embeddings = fake_encoder.encode(texts)
    open_head = copy.copy(head)
    open_head.top_severity_gate = 0.0
    shut = copy.copy(head)
    shut.top_severity_gate = 1.0  # P(type) * P(level) never reaches 1
    top = len(head.severity_scale) - 1
    free = open_head.predict(texts, embeddings)
    held = shut.predict(texts, embeddings)
    assert (free.severity == top).any(), "the fixture head gives no top level to hold back"
    assert not (held.severity == top).any()
    unchanged = free.severity != top
    assert np.array_equal(held.severity[unchanged], free.severity[unchanged])
    assert np.array_equal(held.predicted, free.predicted)

    shut.save(tmp_path)
    assert ClauseHead.load(tmp_path).top_severity_gate == 1.0
    meta = json.loads((tmp_path / "head.json").read_text("utf-8"))
    meta["top_severity_gate"] = 2.0
    (tmp_path / "head.json").write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelFormatError, match="top_severity_gate must lie in"):
        ClauseHead.load(tmp_path)
    del meta["top_severity_gate"]  # a head saved before the gate
    (tmp_path / "head.json").write_text(json.dumps(meta), "utf-8")
    assert ClauseHead.load(tmp_path).top_severity_gate == 0.0


def test_top_severity_gate_compares_each_types_own_product(head, fake_encoder):
    import copy

    texts = CLAUSES * 3
    embeddings = fake_encoder.encode(texts)
    top = len(head.severity_scale) - 1
    free_head = copy.copy(head)
    free_head.top_severity_gate = 0.0
    free = free_head.predict(texts, embeddings)
    features = head.features.transform(texts, embeddings)
    products, lower = [], []
    for column in range(len(head.types)):
        scores = np.asarray(features @ head.severity_weights[column].astype(np.float64))
        scores = scores + head.severity_bias[column]
        softmax = np.exp(scores - scores.max(axis=1, keepdims=True))
        softmax /= softmax.sum(axis=1, keepdims=True)
        products.append(free.probabilities[:, column] * softmax[:, top])
        lower.append(np.argmax(scores[:, :top], axis=1))
    product, fallback = np.column_stack(products), np.column_stack(lower)
    at_top = free.severity == top
    assert at_top.any(), "the fixture head gives no top level to hold back"
    gate = float(np.median(product[at_top]))  # some top levels held, some kept
    gated = copy.copy(head)
    gated.top_severity_gate = gate
    out = gated.predict(texts, embeddings)
    held = at_top & (product < gate)
    assert held.any() and (at_top & ~held).any()
    expected = np.where(held, fallback, free.severity)
    assert np.array_equal(out.severity, expected)


def test_top_severity_gate_leaves_a_type_that_takes_only_the_top_level(head, fake_encoder):
    import copy

    from clauseclf.head.output import NEVER_LEVEL_BIAS

    top = len(head.severity_scale) - 1
    only_top = copy.copy(head)
    column = head.types.index("arbitration")
    only_top.severity_weights = head.severity_weights.copy()
    only_top.severity_weights[column] = 0.0
    only_top.severity_bias = head.severity_bias.copy()
    only_top.severity_bias[column] = NEVER_LEVEL_BIAS
    only_top.severity_bias[column, top] = 0.0  # as SeverityModel fits a type seen only at top
    only_top.top_severity_gate = 1.0
    out = only_top.predict(CLAUSES, fake_encoder.encode(CLAUSES))
    assert out.predicted[0, column]
    assert (out.severity[:, column] == top).all()  # not a level the type never takes
