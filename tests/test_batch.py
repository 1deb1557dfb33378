"""Batch scoring: ClauseModel.score, streaming to disk with resume, joblib/Dask, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import pandas as pd
import pytest

from clauseclf.batch import SCORE_COLUMNS, score, write_scores
from clauseclf.cli import main
from clauseclf.errors import ScoringError
from conftest import EXAMPLE_POLICY

POLICY_A = "1. Disputes\nAny dispute will be resolved by binding arbitration. We may change terms."
POLICY_B = "Privacy\nWe collect your email address. We never sell your personal data."


def _write_policies(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"policy_{i:02d}.txt"
        path.write_text(f"{POLICY_A}\nClause number {i} applies to Service {i}.\n", "utf-8")
        paths.append(path)
    return paths


class InterruptedModel:
    """Delegates to a model and raises KeyboardInterrupt on the n-th classification call."""

    def __init__(self, model, fail_on_call: int) -> None:
        self.model, self.fail_on_call, self.calls = model, fail_on_call, 0

    def predict_arrays(self, texts, *, batch_size=64, feature_rows=None):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise KeyboardInterrupt
        return self.model.predict_arrays(texts, batch_size=batch_size, feature_rows=feature_rows)

    def predictions(self, output, texts):
        return self.model.predictions(output, texts)

    def __getattr__(self, name):  # metadata, fingerprint: the model's
        return getattr(self.model, name)


def test_score_mixed_inputs_records_failures(tiny_model, tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(POLICY_A, encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02\x03 binary")
    documents = [
        good,
        POLICY_B,
        {"text": POLICY_B, "platform": "Acme", "id": "acme-privacy"},
        binary,
        tmp_path / "missing.txt",
        {"text": "   ", "id": "blank"},
    ]
    frame = tiny_model.score(documents, progress=False, chunk_size=2)
    assert tuple(frame.columns) == SCORE_COLUMNS
    assert list(dict.fromkeys(frame["document_id"])) == [
        str(good),
        "doc-1",
        "acme-privacy",
        str(binary),
        str(tmp_path / "missing.txt"),
        "blank",
    ]
    failed = frame[frame["error"].notna()].set_index("document_id")["error"]
    assert set(failed.index) == {str(binary), str(tmp_path / "missing.txt"), "blank"}
    assert "binary" in failed[str(binary)]
    assert "FileNotFoundError" in failed[str(tmp_path / "missing.txt")]
    clauses = frame[frame["error"].isna()]
    for _, row in clauses[clauses["document_id"] == str(good)].iterrows():
        assert POLICY_A[row["start"] : row["end"]] == row["text"]
    assert set(clauses[clauses["document_id"] == "acme-privacy"]["platform"]) == {"Acme"}


def test_score_accepts_a_dataframe_and_matches_analyze(tiny_model):
    documents = pd.DataFrame({"text": [POLICY_A, POLICY_B], "platform": ["A", "B"]})
    frame = score(tiny_model, documents, progress=False)
    report = tiny_model.analyze(POLICY_A)
    first = frame[frame["document_id"] == "doc-0"]
    assert list(first["label"]) == [c.prediction.label for c in report.clauses]
    assert list(first["document_sha256"].unique()) == [report.sha256]


def test_errors_raise_stops_at_the_first_bad_document(tiny_model, tmp_path):
    with pytest.raises(ScoringError, match=r"missing\.txt"):
        tiny_model.score([POLICY_A, tmp_path / "missing.txt"], progress=False, errors="raise")


@pytest.mark.parametrize(
    ("documents", "error", "message"),
    [
        ([POLICY_A, {"text": POLICY_B, "id": "doc-0"}], ValueError, "used twice"),
        ([42], TypeError, "document 0 is int"),
        ([{"platform": "X"}], ValueError, "exactly one of 'text' and 'path'"),
        (pd.DataFrame({"body": ["x"]}), ValueError, "'text' or a 'path' column"),
    ],
)
def test_bad_documents_are_named(tiny_model, documents, error, message):
    with pytest.raises(error, match=message):
        tiny_model.score(documents, progress=False)


def test_bad_options_are_refused(tiny_model):
    with pytest.raises(ValueError, match="errors must be one of"):
        tiny_model.score([POLICY_A], errors="ignore", progress=False)
    with pytest.raises(ValueError, match="n_jobs must not be 0"):
        tiny_model.score([POLICY_A], n_jobs=0, progress=False)


def test_empty_input_gives_an_empty_frame(tiny_model):
    frame = tiny_model.score([], progress=False)
    assert frame.empty and tuple(frame.columns) == SCORE_COLUMNS


def test_joblib_backends_give_the_same_rows(tiny_model, tmp_path):
    paths = _write_policies(tmp_path, 7)
    serial = tiny_model.score(paths, progress=False, chunk_size=2)
    with joblib.parallel_config(backend="threading"):
        threaded = tiny_model.score(paths, progress=False, chunk_size=2, n_jobs=2)
    pd.testing.assert_frame_equal(serial, threaded)


def test_dask_local_cluster(tiny_model, tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    paths = _write_policies(tmp_path, 5)
    serial = tiny_model.score(paths, progress=False, chunk_size=2)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        on_dask = tiny_model.score(paths, progress=False, chunk_size=2, n_jobs=-1)
    pd.testing.assert_frame_equal(serial, on_dask)


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_json(path, lines=True)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_interrupted_run_resumes_without_redoing_or_losing(tiny_model, tmp_path, suffix):
    paths = _write_policies(tmp_path / "in", 9)
    out = tmp_path / f"results{suffix}"
    flaky = InterruptedModel(tiny_model, fail_on_call=3)
    with pytest.raises(KeyboardInterrupt):
        write_scores(flaky, paths, out, chunk_size=2, progress=False)  # type: ignore[arg-type]  # a ClauseModel stand-in
    if suffix != ".parquet":  # a chunk cut off in the middle of writing is dropped on resume
        with out.open("a", encoding="utf-8") as handle:
            handle.write('{"document_id": "half a ro')
    with pytest.raises(FileExistsError, match="resume"):
        write_scores(tiny_model, paths, out, chunk_size=2, progress=False)
    counting = InterruptedModel(tiny_model, fail_on_call=-1)
    summary = write_scores(counting, paths, out, chunk_size=2, progress=False, resume=True)  # type: ignore[arg-type]  # a ClauseModel stand-in
    assert summary.skipped == 4 and summary.scored == 5
    assert counting.calls == 3  # the 5 remaining documents in chunks of 2; nothing redone
    frame = _read(out)
    expected = tiny_model.score(paths, progress=False)
    assert sorted(set(frame["document_id"])) == sorted(str(p) for p in paths)
    assert len(frame) == len(expected)  # no duplicated rows
    assert not out.with_name(out.name + ".progress").exists()
    assert not out.with_name(out.name + ".parts").exists()
    again = write_scores(tiny_model, paths, out, progress=False, resume=True)
    assert again.scored == 0 and again.skipped == 9
    assert len(_read(out)) == len(expected)


def test_unknown_output_suffix(tiny_model, tmp_path):
    with pytest.raises(ValueError, match=r"\.parquet, \.csv, \.jsonl or \.xlsx"):
        write_scores(tiny_model, [POLICY_A], tmp_path / "out.ods", progress=False)


@pytest.mark.slow
def test_cli_score_folder_and_resume(tmp_path, capsys):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "larkspur.txt").write_text(EXAMPLE_POLICY.read_text("utf-8"), "utf-8")
    (folder / "empty.txt").write_bytes(b"")
    out = tmp_path / "scores.jsonl"
    # one document fails (empty): exit 1, unless --allow-errors
    assert main(["score", str(folder), "--out", str(out), "--quiet", "--allow-errors"]) == 0
    assert "2 documents scored" in capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert any(r["error"] and "empty" in r["error"] for r in rows)
    assert sum(1 for r in rows if r["label"]) > 10
    assert main(["score", str(folder), "--out", str(out), "--quiet"]) == 1
    assert "--resume" in capsys.readouterr().err
    assert main(["score", str(folder), "--out", str(out), "--quiet", "--resume"]) == 0
    assert "2 already done" in capsys.readouterr().out
