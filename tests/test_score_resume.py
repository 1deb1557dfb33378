"""``write_scores`` / ``clauseclf score`` lose nothing: a run killed while writing its first
chunk, a full disk, a shortened output, kills and resumes in a row, two runs on one output, and
a resume with another model. Interruptions are real: subprocesses killed with SIGKILL, or cut
mid-row by a file size limit (RLIMIT_FSIZE: SIGXFSZ kills the writer, or, ignored, the write
fails as on a full disk)."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from clauseclf.batch import SCORE_COLUMNS, write_scores
from clauseclf.errors import ScoringError, StaleLockWarning
from clauseclf.inference.model import ClauseModel

TESTS_DIR = Path(__file__).resolve().parent

# argv: model folder, policies folder, output, chunk size, delay per chunk (s), file size limit
# (bytes, 0 = none), what SIGXFSZ does ("kill" = default action, "ignore" = the write fails).
_RUNNER = textwrap.dedent(
    """
    import resource, signal, sys, time
    from pathlib import Path
    from clauseclf.batch import write_scores
    from clauseclf.inference.model import ClauseModel
    from conftest import FakeEncoder

    model_dir, folder, out, chunk, delay, limit, on_limit = sys.argv[1:8]

    class SlowEncoder(FakeEncoder):
        def encode(self, texts, *, batch_size=64):
            time.sleep(float(delay))
            return super().encode(texts, batch_size=batch_size)

    model = ClauseModel.load(model_dir, encoder=SlowEncoder())
    paths = sorted(Path(folder).glob("*.txt"))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if int(limit):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN if on_limit == "ignore" else signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
    write_scores(model, paths, out, chunk_size=int(chunk), progress=False, resume=True)
    """
)


def _policies(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    for i in range(count):
        (folder / f"policy-{i:02d}.txt").write_text(
            f"Terms of Platform {i}\n\nAny dispute with Platform {i} goes to binding arbitration. "
            f"These terms are governed by the laws of Region {i}. We may change the terms. "
            f"Platform {i} sells your personal data to data brokers. You can reach support.",
            "utf-8",
        )
    return sorted(folder.glob("*.txt"))


def _start(
    model_dir: Path,
    folder: Path,
    out: Path,
    *,
    chunk: int = 1,
    delay: float = 0.0,
    limit: int = 0,
    on_limit: str = "kill",
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), *sys.path])}
    args = [str(model_dir), str(folder), str(out), str(chunk), str(delay), str(limit), on_limit]
    return subprocess.Popen([sys.executable, "-c", _RUNNER, *args], env=env, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err.decode()


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"model_version": str})
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_json(path, lines=True, dtype={"model_version": str})


def _assert_exact(out: Path, model: ClauseModel, paths: list[Path]) -> None:
    """``out`` holds every clause of every document once, as ``model.score`` gives them."""
    frame = _read(out)
    expected = model.score(paths, progress=False)
    assert frame["document_id"].value_counts().to_dict() == (
        expected["document_id"].value_counts().to_dict()
    )
    assert not frame.duplicated(["document_id", "clause_index"]).any()
    merged = frame.merge(expected, on=["document_id", "clause_index"], suffixes=("", "_expected"))
    assert (merged["text"] == merged["text_expected"]).all()  # no row cut or glued
    assert (merged["label"] == merged["label_expected"]).all()
    for suffix in (".progress", ".parts", ".lock"):
        assert not out.with_name(out.name + suffix).exists()


@pytest.fixture
def model_dir(tiny_model: ClauseModel, tmp_path: Path) -> Path:
    return tiny_model.save(tmp_path / "model")


# --- item 2: checkpoint before the first row; the output cut back and checked on resume ------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_killed_mid_row_in_the_first_chunk_resumes_every_row(
    tiny_model, model_dir, tmp_path, suffix
):
    paths = _policies(tmp_path / "policies", 12)
    out = tmp_path / f"scores{suffix}"
    killed = _start(model_dir, tmp_path / "policies", out, chunk=12, limit=3000)
    code, err = _finish(killed)
    assert code == -signal.SIGXFSZ, err
    assert out.stat().st_size == 3000  # cut in the middle of a row of the first chunk
    assert out.with_name(out.name + ".progress").exists()  # written before the first row
    code, err = _finish(_start(model_dir, tmp_path / "policies", out))
    assert code == 0, err
    _assert_exact(out, tiny_model, paths)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_full_disk_cuts_back_to_the_last_chunk_and_says_resume(
    tiny_model, model_dir, tmp_path, suffix
):
    paths = _policies(tmp_path / "policies", 12)
    out = tmp_path / f"scores{suffix}"
    failed = _start(model_dir, tmp_path / "policies", out, chunk=3, limit=9000, on_limit="ignore")
    code, err = _finish(failed)
    assert code == 1 and "ScoringError" in err and "--resume" in err, err
    if suffix != ".parquet":
        # no cut row left behind: the output ends where the checkpoint's last chunk ends
        entries = out.with_name(out.name + ".progress").read_text("utf-8").splitlines()
        assert len(entries) >= 2 and out.stat().st_size == json.loads(entries[-1])["bytes"]
    code, err = _finish(_start(model_dir, tmp_path / "policies", out))
    assert code == 0, err
    _assert_exact(out, tiny_model, paths)


def test_repeated_kills_and_resumes_duplicate_nothing(tiny_model, model_dir, tmp_path):
    paths = _policies(tmp_path / "policies", 16)
    out = tmp_path / "scores.csv"
    code, _ = _finish(_start(model_dir, tmp_path / "policies", out, chunk=16, limit=2500))
    assert code == -signal.SIGXFSZ
    for wanted in (3, 7, 11):  # three more kills, each after a few more chunks
        run = _start(model_dir, tmp_path / "policies", out, delay=0.2)
        progress = out.with_name(out.name + ".progress")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            if progress.exists() and len(progress.read_text("utf-8").splitlines()) > wanted:
                break
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    code, err = _finish(_start(model_dir, tmp_path / "policies", out))
    assert code == 0, err
    _assert_exact(out, tiny_model, paths)


class _Stopper:
    """A model that raises KeyboardInterrupt on its n-th classification call."""

    def __init__(self, model: ClauseModel, on_call: int) -> None:
        self.model, self.on_call, self.calls = model, on_call, 0

    def predict_arrays(self, texts, *, batch_size=64, feature_rows=None):
        self.calls += 1
        if self.calls == self.on_call:
            raise KeyboardInterrupt
        return self.model.predict_arrays(texts, batch_size=batch_size, feature_rows=feature_rows)

    def __getattr__(self, name):
        return getattr(self.model, name)


def _stopped_run(model: ClauseModel, paths: list[Path], out: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        write_scores(_Stopper(model, 4), paths, out, chunk_size=2, progress=False)  # type: ignore[arg-type]  # a ClauseModel stand-in


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_shortened_output_resumes_from_its_last_whole_chunk(tiny_model, tmp_path, suffix):
    paths = _policies(tmp_path / "policies", 9)
    out = tmp_path / f"scores{suffix}"
    _stopped_run(tiny_model, paths, out)
    entries = out.with_name(out.name + ".progress").read_text("utf-8").splitlines()
    second_chunk_end = json.loads(entries[2])["bytes"]
    os.truncate(out, second_chunk_end + 40)  # data after it lost, a row cut in the middle
    summary = write_scores(tiny_model, paths, out, chunk_size=2, progress=False, resume=True)
    assert summary.skipped == 4  # the two whole chunks the output still holds
    _assert_exact(out, tiny_model, paths)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_an_output_changed_behind_the_checkpoint_is_refused(tiny_model, tmp_path, suffix):
    paths = _policies(tmp_path / "policies", 9)
    out = tmp_path / f"scores{suffix}"
    _stopped_run(tiny_model, paths, out)
    data = out.read_bytes()
    changed = data.replace(b"policy-00.txt", b"policy-99.txt", 1)  # same size, other document
    out.write_bytes(changed)
    with pytest.raises(ScoringError, match="does not match its checkpoint"):
        write_scores(tiny_model, paths, out, chunk_size=2, progress=False, resume=True)
    assert out.read_bytes() == changed  # nothing appended to an output that cannot be trusted


# --- item 3: one run per output ----------------------------------------------------------------


def test_a_second_run_on_the_same_output_is_refused(
    tiny_model, model_dir, tmp_path, monkeypatch, capsys
):
    from clauseclf import cli

    paths = _policies(tmp_path / "policies", 10)
    out = tmp_path / "scores.parquet"
    first = _start(model_dir, tmp_path / "policies", out, delay=0.3)
    lock = out.with_name(out.name + ".lock")
    deadline = time.monotonic() + 120
    while not out.with_name(out.name + ".progress").exists() and time.monotonic() < deadline:
        assert first.poll() is None, first.stderr.read().decode()  # type: ignore[union-attr]
        time.sleep(0.02)
    for resume in (True, False):
        with pytest.raises(ScoringError, match=rf"another clauseclf score run \(pid {first.pid}"):
            write_scores(tiny_model, paths, out, progress=False, resume=resume)
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    argv = ["score", str(tmp_path / "policies"), "--out", str(out), "--quiet", "--resume"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("clauseclf: error: ") and f"pid {first.pid}" in err
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    assert lock.read_text().strip() == str(first.pid)  # left behind by the killed run
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert f"note: {lock}: took over the lock left by pid {first.pid}" in err
    _assert_exact(out, tiny_model, paths)


def test_the_lock_is_released_however_the_run_ends(tiny_model, tmp_path):
    paths = _policies(tmp_path / "policies", 3)
    out = tmp_path / "scores.jsonl"
    lock = out.with_name(out.name + ".lock")
    with pytest.raises(KeyboardInterrupt):
        write_scores(_Stopper(tiny_model, 1), paths, out, chunk_size=1, progress=False)  # type: ignore[arg-type]  # a ClauseModel stand-in
    assert not lock.exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error", StaleLockWarning)  # no stale lock to take over
        write_scores(tiny_model, paths, out, chunk_size=1, progress=False, resume=True)
    _assert_exact(out, tiny_model, paths)


# --- item 4: the model is recorded and checked -------------------------------------------------


def _other_weights(model: ClauseModel) -> ClauseModel:
    head = copy.copy(model.head)
    head.type_bias = head.type_bias + 2.0  # same id and version, other labels
    return ClauseModel(model.encoder, head, model.taxonomy, metadata=dict(model.metadata))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_resume_with_another_model_is_refused(tiny_model, tmp_path, suffix):
    paths = _policies(tmp_path / "policies", 9)
    out = tmp_path / f"scores{suffix}"
    _stopped_run(tiny_model, paths, out)
    before = out.read_bytes() if out.exists() else None
    with pytest.raises(ScoringError, match="scored with the model"):
        write_scores(_other_weights(tiny_model), paths, out, progress=False, resume=True)
    assert (out.read_bytes() if out.exists() else None) == before
    write_scores(tiny_model, paths, out, chunk_size=2, progress=False, resume=True)
    frame = _read(out)
    assert list(frame.columns) == list(SCORE_COLUMNS)
    assert set(frame["model_version"]) == {"tiny"}  # every row names its model
    _assert_exact(out, tiny_model, paths)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_adding_to_a_finished_output_needs_the_same_model(tiny_model, tmp_path, suffix):
    paths = _policies(tmp_path / "policies", 4)
    out = tmp_path / f"scores{suffix}"
    write_scores(tiny_model, paths[:3], out, progress=False)
    newer = ClauseModel(
        tiny_model.encoder, tiny_model.head, tiny_model.taxonomy, metadata={"model_version": "2"}
    )
    with pytest.raises(ScoringError, match=r"tiny.*this run uses.*version 2"):
        write_scores(newer, paths, out, progress=False, resume=True)
    summary = write_scores(tiny_model, paths, out, progress=False, resume=True)
    assert (summary.skipped, summary.scored) == (3, 1)
    _assert_exact(out, tiny_model, paths)
