"""Memory of a long document's report, and predictions that build their dicts on first read."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
import threading
import tracemalloc

import pandas as pd
import pytest

import clauseclf
from clauseclf.evidence import EvidenceSpan
from clauseclf.predictions import ClausePrediction
from conftest import EXAMPLE_POLICY

_FIELDS = ("labels", "severities", "probabilities", "evidence")


@pytest.fixture(scope="module")
def model() -> clauseclf.ClauseModel:
    return clauseclf.load()


@pytest.fixture(scope="module")
def example_texts(model: clauseclf.ClauseModel) -> list[str]:
    report = model.analyze(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    return [clause.text for clause in report.clauses]


def test_a_long_documents_report_costs_a_small_multiple_of_its_size(model):
    unit = EXAMPLE_POLICY.read_text(encoding="utf-8") + "\n\n"
    text = unit * 40  # 0.17 MB, 1,480 clauses: several blocks of the 512 classified at a time
    size = len(text.encode("utf-8"))
    model.analyze(unit)  # imports and caches are not the document's
    gc.collect()
    tracemalloc.start()
    try:
        report = model.analyze(text)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(report.clauses) > 1024
    # What the report keeps (clause texts, offsets, predictions) grows with the document: it
    # was 29x its size when every prediction held its dicts of 28 probabilities and evidence
    # (now about 8x).
    assert kept < 12 * size, f"the report keeps {kept / size:.1f}x the document's size"
    # While it is built, one block of 512 clauses is classified at a time (~12 KB a clause):
    # a bounded transient (it was 56 MB with blocks of 4,096 and all weights in float64).
    assert peak - kept < 16e6, f"{(peak - kept) / 1e6:.1f} MB above what the report keeps"


def test_predictions_read_later_equal_those_read_at_once(model, example_texts):
    eager = model.classify(example_texts)
    for prediction in eager:
        for name in _FIELDS:
            getattr(prediction, name)
    lazy = model.classify(example_texts)
    assert lazy == eager
    one_by_one = [model.classify([text])[0] for text in example_texts[:40]]
    assert one_by_one == eager[:40]
    assert [p.to_dict() for p in lazy] == [p.to_dict() for p in eager]
    assert all(ClausePrediction.from_dict(p.to_dict()) == p for p in lazy)


def test_a_predictions_fields_are_plain_dicts_built_when_read(model, example_texts):
    prediction = next(p for p in model.classify(example_texts) if p.labels)
    assert [f.name for f in dataclasses.fields(ClausePrediction)] == [
        "label", "labels", "severity", "severities", "confidence", "probabilities", "evidence"
    ]  # fmt: skip
    assert type(prediction.probabilities) is dict and len(prediction.probabilities) == 28
    assert type(prediction.labels) is dict and next(iter(prediction.labels)) == prediction.label
    assert type(prediction.evidence) is dict and list(prediction.evidence) == list(
        prediction.labels
    )
    # built from the block's arrays at each read (kept, 28 probabilities a clause would take
    # 10x a clause's text): equal dicts, and changing one leaves the prediction as it was
    assert prediction.probabilities == prediction.probabilities
    assert prediction.probabilities is not prediction.probabilities
    prediction.probabilities["extra"] = 1.0
    assert "extra" not in prediction.probabilities
    with pytest.raises(dataclasses.FrozenInstanceError):
        prediction.labels = {}
    assert "labels=" in repr(prediction) and "probabilities" not in repr(prediction)


def test_unread_predictions_copy_pickle_and_replace_with_their_values(model, example_texts):
    reference = model.classify(example_texts)
    for make in (
        lambda p: pickle.loads(pickle.dumps(p)),
        copy.copy,
        copy.deepcopy,
        lambda p: dataclasses.replace(p, confidence=p.confidence),
        lambda p: ClausePrediction(**{f.name: getattr(p, f.name) for f in dataclasses.fields(p)}),
    ):
        fresh = model.classify(example_texts)
        copies = [make(p) for p in fresh]
        assert copies == reference
        assert all(type(c.evidence) is dict for c in copies)


def test_evidence_read_from_many_threads_is_computed_once_a_block(
    model, example_texts, monkeypatch
):
    expected = [p.to_dict()["evidence"] for p in model.classify(example_texts * 4)]
    calls: list[int] = []
    evidence = type(model.head).evidence

    def counted(head, texts, predicted, **options):
        calls.append(len(texts))
        return evidence(head, texts, predicted, **options)

    monkeypatch.setattr(type(model.head), "evidence", counted)
    predictions = model.classify(example_texts * 4)
    seen: list[list[dict[str, tuple[EvidenceSpan, ...]]]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def read(slot: int) -> None:
        start.wait()
        seen[slot] = [p.evidence for p in predictions]

    threads = [threading.Thread(target=read, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [len(predictions)]  # one block of fewer than EVIDENCE_ROWS clauses
    for slot in range(4):
        assert [
            {t: [s.to_dict() for s in spans] for t, spans in e.items()} for e in seen[slot]
        ] == (expected)


class _Counting:
    """A model that counts the texts of each classification call and fails on a marked text."""

    def __init__(self, model: clauseclf.ClauseModel, fail_on: str | None = None) -> None:
        self.model, self.fail_on = model, fail_on
        self.calls: list[int] = []

    def predict_arrays(self, texts, *, batch_size=64, feature_rows=None):
        self.calls.append(len(texts))
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("the tokenizer failed")
        return self.model.predict_arrays(texts, batch_size=batch_size, feature_rows=feature_rows)

    def __getattr__(self, name):
        return getattr(self.model, name)


def test_score_classifies_a_long_document_in_blocks_with_the_rows_of_analyze(model, monkeypatch):
    from clauseclf.batch import score, scoring

    monkeypatch.setattr(scoring, "PROGRESS_BLOCK", 64)
    documents = ["Short terms. You agree.", "", "Last one."]
    long_text = "".join(f"Fee {i} applies.\n\nWe may share data {i}.\n\n" for i in range(100))
    documents[1] = long_text
    counting = _Counting(model)
    frame = score(counting, documents, progress=False)  # type: ignore[arg-type]  # a stand-in
    assert max(counting.calls) <= 64 and sum(counting.calls) == 2 + 200 + 1
    expected = model.analyze(long_text).to_frame()
    rows = frame[frame["document_id"] == "doc-1"].reset_index(drop=True)
    for column in expected.columns:
        assert list(rows[column]) == list(expected[column]), column
    assert frame["error"].isna().all()

    # a block of the long document fails: it becomes one error row, the others are scored
    failing = _Counting(model, fail_on="We may share data 70.")
    frame = score(failing, documents, progress=False)  # type: ignore[arg-type]
    assert list(frame["document_id"]) == ["doc-0", "doc-0", "doc-1", "doc-2"]
    assert list(frame["error"].isna()) == [True, True, False, True]
    assert "the tokenizer failed" in frame["error"][2]
    assert list(frame["clause_index"]) == [0, 1, pd.NA, 0]


def test_scoring_a_long_document_costs_no_more_memory_than_analyzing_it(model):
    text = "Fee.\n\n" * 12_000  # three blocks of tiny clauses
    model.score(["Fee.\n\nA fee."], progress=False)
    peaks = {}
    for name, run in (("analyze", model.analyze), ("score", model.score)):
        gc.collect()
        tracemalloc.start()
        try:
            run(text) if name == "analyze" else run([text], progress=False)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # score built a table of rows from all predictions at once (2.6x analyze's peak); now its
    # columns are filled a block of predictions at a time
    assert peaks["score"] < 1.3 * peaks["analyze"], peaks


def test_reading_every_field_of_a_long_report_keeps_it_a_small_multiple(model):
    unit = EXAMPLE_POLICY.read_text(encoding="utf-8") + "\n\n"
    text = unit * 40  # 0.17 MB, 1,480 clauses
    size = len(text.encode("utf-8"))
    model.analyze(unit)
    gc.collect()
    tracemalloc.start()
    try:
        report = model.analyze(text)
        for clause in report.clauses:
            prediction = clause.prediction
            for name in _FIELDS:
                getattr(prediction, name)
            clause.clause_id  # noqa: B018  # read as a rendering reads it
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Kept once read, the 28 probabilities and the evidence of each clause took 26x the
    # document; they are built at each read now (about 9x).
    assert kept < 10 * size, f"the read report keeps {kept / size:.1f}x the document's size"
    # A long document's features are built 128 clauses at a time (512 took ~16 MB at the peak).
    assert peak - kept < 5e6, f"{(peak - kept) / 1e6:.1f} MB above what the report keeps"


def test_a_document_over_the_clause_limit_is_refused_before_it_is_segmented_whole(
    model, monkeypatch
):
    from clauseclf import pipeline, segmentation
    from clauseclf.errors import DocumentError

    made: list[int] = []
    segment = segmentation.Segment

    def counted(*args):
        made.append(1)
        return segment(*args)

    monkeypatch.setattr(pipeline, "MAX_DOCUMENT_CLAUSES", 100)
    monkeypatch.setattr(segmentation, "Segment", counted)
    text = "Fee.\n\n" * 10_000
    with pytest.raises(DocumentError, match=r"document: more than 100 clauses, the limit"):
        model.analyze(text)
    assert len(made) == 100  # not 10,000: segmentation stopped at the limit
    made.clear()
    frame = model.score([text], progress=False)
    assert frame["error"][0].startswith("DocumentError: doc-0: more than 100 clauses")
    assert len(made) == 100


def test_a_plain_document_over_the_clause_limit_is_refused_in_bounded_memory(model, monkeypatch):
    from clauseclf import pipeline
    from clauseclf.errors import DocumentError

    monkeypatch.setattr(pipeline, "MAX_DOCUMENT_CLAUSES", 1_000)
    text = "Fee.\n\n" * 200_000  # 1.2 MB of one-word paragraphs
    model.analyze("Fee.\n\nFees apply.")  # imports and caches are not the document's
    model.score(["Fee.\n\nFees apply."], progress=False)
    gc.collect()
    peaks = {}
    for name in ("analyze", "score"):
        tracemalloc.start()
        try:
            if name == "analyze":
                with pytest.raises(DocumentError, match="more than 1,000 clauses"):
                    model.analyze(text)
            else:
                frame = model.score([text], progress=False)
            peaks[name] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert frame["error"][0].startswith("DocumentError: doc-0: more than 1,000 clauses")
    # every line's block was made before segmentation stopped: 25x the document's size
    for name, peak in peaks.items():
        assert peak < len(text), f"{name}: {peak / len(text):.1f}x the document's size"


def test_feature_blocks_give_one_blocks_arrays_with_one_product_over_the_embeddings(
    model, example_texts, monkeypatch
):
    from clauseclf.head.practices import PracticeMap

    texts = example_texts[:40]
    embeddings = model.encoder.encode(texts)
    whole = model.head.predict(texts, embeddings, feature_rows=len(texts))
    calls: list[int] = []
    logits = PracticeMap.embedding_logits

    def counted(practices, rows):
        calls.append(len(rows))
        return logits(practices, rows)

    monkeypatch.setattr(PracticeMap, "embedding_logits", counted)
    blocks = model.head.predict(texts, embeddings, feature_rows=7)
    assert calls == [len(texts)]  # the practice logits of all rows in one product
    for field in dataclasses.fields(whole):
        expected, got = getattr(whole, field.name), getattr(blocks, field.name)
        assert expected.dtype == got.dtype and (expected == got).all(), field.name
    with pytest.raises(ValueError, match="feature_rows must be at least 1"):
        model.head.predict(texts, embeddings, feature_rows=0)


def test_only_a_long_documents_features_are_built_in_small_blocks(model, monkeypatch, capsys):
    from clauseclf import pipeline

    seen: list[int | None] = []
    predict_arrays = type(model).predict_arrays

    def recorded(self, texts, **options):
        seen.append(options.get("feature_rows"))
        return predict_arrays(self, texts, **options)

    monkeypatch.setattr(type(model), "predict_arrays", recorded)
    monkeypatch.setattr(pipeline, "LONG_DOCUMENT_CLAUSES", 8)
    short = "\n\n".join(f"We keep your data for {i} days." for i in range(8))
    long = "\n\n".join(f"We keep your data for {i} days." for i in range(9))
    model.analyze(short)
    model.score([short, "We sell data."], progress=False)
    assert seen == [None, None]
    seen.clear()
    model.analyze(long, progress=True)
    assert capsys.readouterr().err == ""  # one block of PROGRESS_BLOCK: no progress bar
    model.score([long], progress=False)
    model.score([short, long], progress=False)  # scored together: the longest one decides
    assert seen == [pipeline.LONG_DOCUMENT_FEATURE_ROWS] * 3


def test_a_long_documents_clauses_are_classified_a_few_hundred_at_a_time(model, monkeypatch):
    from clauseclf import pipeline

    seen: list[int] = []
    predict_arrays = type(model).predict_arrays

    def recorded(self, texts, **options):
        seen.append(len(texts))
        return predict_arrays(self, texts, **options)

    text = "\n\n".join(f"We keep your data for {i} days." for i in range(600))
    expected = model.classify([c.text for c in model.analyze(text).clauses])
    monkeypatch.setattr(type(model), "predict_arrays", recorded)
    monkeypatch.setattr(pipeline, "LONG_DOCUMENT_CLAUSES", 8)
    report = model.analyze(text)
    # not one block of 600 (up to PROGRESS_BLOCK) whose arrays are made, then concatenated
    rows = pipeline.LONG_DOCUMENT_ROWS
    assert seen == [rows, rows, 600 - 2 * rows]
    assert [c.prediction for c in report.clauses] == expected


def test_a_dense_feature_block_is_written_without_index_arrays_of_its_size():
    import numpy as np
    import scipy.sparse as sp

    from clauseclf.head.features import _stack_columns

    rng = np.random.default_rng(0)
    dense = rng.normal(size=(2000, 256)) + 10.0  # no zero: every value kept
    sparse = sp.random(2000, 500, density=0.02, format="csr", random_state=1)
    flags = (rng.random((2000, 3)) < 0.3).astype(np.float64)  # mostly zeros
    expected = sp.hstack([sparse, dense, flags], format="csr")
    gc.collect()
    tracemalloc.start()
    try:
        stacked = _stack_columns([sparse, dense, flags])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (stacked != expected).nnz == 0 and (stacked.indptr == expected.indptr).all()
    assert (stacked.indices == expected.indices).all() and (stacked.data == expected.data).all()
    result = stacked.data.nbytes + stacked.indices.nbytes + stacked.indptr.nbytes
    # The dense block's nonzero() gave two int64 arrays of its size, and its values a copy
    # (about 2.5x the block above the result); now one int32 array of positions.
    assert peak - result < 0.75 * dense.nbytes, f"{(peak - result) / dense.nbytes:.2f}x"


def test_scored_evidence_phrases_are_held_once(model):
    text = "\n\n".join(["We may terminate your account at any time without notice."] * 30)
    frame = model.score([text], progress=False)
    phrases = [p for row in frame["evidence"] for p in row]
    assert len(phrases) >= 30
    assert len({id(p) for p in phrases}) == len(set(phrases))  # equal phrases: one object
    assert list(frame["evidence"]) == list(model.analyze(text).to_frame()["evidence"])


def test_a_cached_clause_id_reads_as_the_id(model):
    from clauseclf.provenance import clause_id

    report = model.analyze(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    for clause in report.clauses[:50]:
        first, again = clause.clause_id, clause.clause_id
        assert first == again == clause_id(clause.text)
        assert type(again) is str
