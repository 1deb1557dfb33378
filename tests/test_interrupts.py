"""Interrupted work loses nothing: batch runs killed with SIGINT or SIGKILL resume without
duplicated or missing rows, and an interrupted model save leaves the previous model intact."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from clauseclf.batch import write_scores
from clauseclf.inference.model import ClauseModel
from conftest import FakeEncoder, present

TESTS_DIR = Path(__file__).resolve().parent

# Scores the policies in a folder with a saved tiny model and a deliberately slow fake encoder,
# one document per chunk, so that a signal lands in the middle of the run. Only the run that
# gets interrupted is slowed down: the resumed run just has to finish. The runner restores
# Python's Ctrl-C handler: a command started in the background by a non-interactive shell
# (`cmd &`, as CI may be) inherits SIGINT ignored, and would then run to its end.
_RUNNER = textwrap.dedent(
    """
    import signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from pathlib import Path
    from clauseclf.batch import write_scores
    from clauseclf.inference.model import ClauseModel
    from conftest import FakeEncoder

    model_dir, folder, out, resume = sys.argv[1:5]
    DELAY = 0.0 if resume == "1" else 0.6

    class SlowEncoder(FakeEncoder):
        def encode(self, texts, *, batch_size=64):
            time.sleep(DELAY)
            return super().encode(texts, batch_size=batch_size)

    model = ClauseModel.load(model_dir, encoder=SlowEncoder())
    paths = sorted(Path(folder).glob("*.txt"))
    write_scores(model, paths, out, chunk_size=1, progress=False, resume=resume == "1")
    """
)


def _policies(folder: Path, count: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(count):
        path = folder / f"policy-{i:02d}.txt"
        path.write_text(
            f"Terms of Platform {i}\n\nAny dispute with Platform {i} goes to binding arbitration. "
            f"These terms are governed by the laws of Region {i}. We may change the terms.",
            "utf-8",
        )
        paths.append(path)
    return paths


def _run(args: list[str]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen([sys.executable, "-c", _RUNNER, *args], env=env, stderr=subprocess.PIPE)


def _wait_for_chunks(
    progress: Path, parts: Path, count: int, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = len(progress.read_text("utf-8").splitlines()) if progress.exists() else 0
        done += len(list(parts.glob("part-*.parquet"))) if parts.exists() else 0
        if done >= count:
            return
        if process.poll() is not None:
            error = present(process.stderr).read().decode()
            raise AssertionError(f"runner ended early: {error}")
        time.sleep(0.05)
    raise AssertionError("the runner made no progress")


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_json(path, lines=True)


@pytest.mark.parametrize(
    ("sig", "suffix"),
    [
        (signal.SIGINT, ".jsonl"),
        (signal.SIGKILL, ".jsonl"),
        (signal.SIGKILL, ".csv"),
        (signal.SIGINT, ".parquet"),
        (signal.SIGKILL, ".parquet"),
    ],
)
def test_killed_batch_run_resumes_exactly(tiny_model, tmp_path, sig, suffix):
    model_dir = tiny_model.save(tmp_path / "model")
    paths = _policies(tmp_path / "policies", 12)
    out = tmp_path / f"scores{suffix}"
    progress = out.with_name(out.name + ".progress")
    parts = out.with_name(out.name + ".parts")

    first = _run([str(model_dir), str(tmp_path / "policies"), str(out), "0"])
    _wait_for_chunks(progress, parts, 3, first)
    first.send_signal(sig)
    first.wait(timeout=60)
    assert first.returncode != 0, "the run should have been cut short"

    second = _run([str(model_dir), str(tmp_path / "policies"), str(out), "1"])
    assert second.wait(timeout=300) == 0, second.stderr.read().decode()  # type: ignore[union-attr]

    frame = _read(out)
    expected = tiny_model.score(paths, progress=False)
    assert sorted(set(frame["document_id"])) == sorted(str(p) for p in paths)  # none missing
    assert len(frame) == len(expected)  # none duplicated
    assert not frame.duplicated(["document_id", "clause_index"]).any()
    assert not progress.exists() and not parts.exists()


def test_parquet_merge_killed_before_cleanup_adds_no_duplicates(tiny_model, tmp_path, monkeypatch):

    paths = _policies(tmp_path / "policies", 4)
    out = tmp_path / "scores.parquet"
    parts = out.with_name(out.name + ".parts")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # stopped after the merge, before the parts are removed

    with monkeypatch.context() as patch:
        patch.setattr("clauseclf.batch.checkpoint.shutil.rmtree", killed)
        with pytest.raises(KeyboardInterrupt):
            write_scores(tiny_model, paths, out, chunk_size=1, progress=False)
    assert out.exists() and len(list(parts.glob("part-*.parquet"))) == 4
    more = _policies(tmp_path / "more", 1)
    summary = write_scores(tiny_model, [*paths, *more], out, progress=False, resume=True)
    frame = _read(out)
    assert summary.scored == 1
    assert not frame.duplicated(["document_id", "clause_index"]).any()
    assert len(frame) == len(tiny_model.score([*paths, *more], progress=False))


def test_cli_score_interrupt_tells_how_to_resume(monkeypatch, tmp_path, capsys, tiny_model):
    from clauseclf import batch, cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "write_scores", interrupted)
    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    policy = _policies(tmp_path / "in", 1)[0]
    assert cli.main(["score", str(policy), "--out", str(tmp_path / "s.jsonl"), "--quiet"]) == 130
    assert "--resume" in capsys.readouterr().err


def test_interrupted_save_keeps_the_previous_model(tiny_model, tmp_path, monkeypatch, fake_encoder):

    target = tiny_model.save(tmp_path / "model")
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C while the new weights are being written

    monkeypatch.setattr("clauseclf.head.io.np.savez_compressed", crash)
    monkeypatch.setattr("clauseclf.head.io.np.savez", crash)
    with pytest.raises(KeyboardInterrupt):
        tiny_model.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging folder left behind
    ClauseModel.load(target, encoder=fake_encoder)


def test_killed_save_keeps_the_previous_model(tiny_model, tmp_path, fake_encoder):
    target = tiny_model.save(tmp_path / "model")
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    script = textwrap.dedent(
        f"""
        import os, signal
        from clauseclf.head import io as head_io
        from clauseclf.inference.model import ClauseModel
        from conftest import FakeEncoder

        model = ClauseModel.load({str(target)!r}, encoder=FakeEncoder())
        real = head_io.np.savez_compressed

        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        head_io.np.savez_compressed = die
        head_io.np.savez = die
        model.save({str(target)!r})
        """
    )
    # the clauseclf under test (this process's PYTHONPATH), not whichever the interpreter installs
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), *sys.path])}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True)
    assert result.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    loaded = ClauseModel.load(target, encoder=FakeEncoder())
    assert loaded.classify(["We may end your account."]) == tiny_model.classify(
        ["We may end your account."]
    )
    assert json.loads((target / "config.json").read_text("utf-8"))["format"] == "clauseclf-model"
