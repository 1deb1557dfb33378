"""Model and index folders: saving replaces only a folder of the same kind (or an empty one) and
never writes inside the model being read; loading reads regular files only, so a symlink cannot
leak a local file into the next save and a FIFO cannot hang the reader."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from clauseclf.cli import main
from clauseclf.encoder import StaticEncoder
from clauseclf.errors import EncoderNotFoundError, IndexFormatError, ModelFormatError
from clauseclf.index import ClauseIndex
from clauseclf.inference.model import ClauseModel
from conftest import static_model, write_static_encoder

SECRET = "secret: the user's private key\n"


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "thesis"
    (folder / "chapters").mkdir(parents=True)
    (folder / "chapters" / "one.md").write_text("Chapter one.", "utf-8")
    (folder / "notes.txt").write_text("do not lose me", "utf-8")
    return folder


@pytest.fixture
def static_saved(tmp_path: Path) -> Path:
    """A saved model folder with its own static encoder under ``encoder/``."""
    return static_model(write_static_encoder(tmp_path / "static")).save(tmp_path / "model")


# --- save replaces only a model folder -------------------------------------------------------


def test_save_refuses_a_folder_that_is_not_a_model(tiny_model, user_folder):
    before = _tree(user_folder)
    with pytest.raises(FileExistsError, match="not a clauseclf model folder"):
        tiny_model.save(user_folder)
    assert _tree(user_folder) == before
    assert sorted(p.name for p in user_folder.parent.iterdir()) == ["thesis"]  # no staging


def test_save_refuses_a_file_and_a_symlink(tiny_model, tmp_path):
    target = tmp_path / "results.csv"
    target.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(FileExistsError, match="is a file"):
        tiny_model.save(target)
    assert target.read_text("utf-8") == "a,b\n1,2\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]  # no hidden .old copy
    real = tiny_model.save(tmp_path / "real-model")
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with pytest.raises(FileExistsError, match="symbolic link"):
        tiny_model.save(link)
    assert link.is_symlink()


def test_save_replaces_a_model_folder_or_an_empty_one(tiny_model, fake_encoder, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    tiny_model.save(empty)
    tiny_model.save(empty)  # a model folder is replaced
    ClauseModel.load(empty, encoder=fake_encoder)
    (empty / "my-notes.txt").write_text("keep", "utf-8")
    with pytest.raises(FileExistsError, match=r"also holds \['my-notes.txt'\]"):
        tiny_model.save(empty)
    assert (empty / "my-notes.txt").read_text("utf-8") == "keep"


def test_save_to_the_parent_of_a_loaded_model_keeps_its_siblings(
    tiny_model, fake_encoder, tmp_path
):
    parent = tmp_path / "models"
    source = tiny_model.save(parent / "v1")
    (parent / "v0").mkdir()
    (parent / "v0" / "weights.bin").write_bytes(b"old model")
    loaded = ClauseModel.load(source, encoder=fake_encoder)
    before = _tree(parent)
    with pytest.raises(FileExistsError):
        loaded.save(parent)
    assert _tree(parent) == before


def test_save_never_writes_inside_the_model_it_read(static_saved):
    loaded = ClauseModel.load(static_saved)
    before = _tree(static_saved)
    for target in (static_saved / "encoder", static_saved / "encoder" / "new", static_saved / "v2"):
        with pytest.raises(FileExistsError, match=r"inside|not a clauseclf model"):
            loaded.save(target)
    assert _tree(static_saved) == before
    ClauseModel.load(static_saved)  # still a working model
    loaded.save(static_saved)  # replacing the model's own folder is fine: copied first
    assert _tree(static_saved) == before


def test_cli_train_refuses_a_user_folder_before_training(user_folder, monkeypatch, capsys):
    import clauseclf.training

    def no_training(*args, **kwargs):
        raise AssertionError("train ran although its output folder is refused")

    monkeypatch.setattr(clauseclf.training, "train", no_training)
    annotations = user_folder / "notes.txt"
    before = _tree(user_folder)
    assert main(["train", str(annotations), "--out", str(user_folder), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("clauseclf: error: ") and "not a clauseclf model folder" in err
    assert _tree(user_folder) == before


def test_index_save_replaces_only_an_index_folder(tiny_model, tmp_path, user_folder):
    index = ClauseIndex.build(tiny_model, ["We sell your data. We may close your account."])
    with pytest.raises(FileExistsError, match="not a clause index"):
        index.save(user_folder)
    saved = index.save(tmp_path / "index")
    (saved / "README.txt").write_text("my notes", "utf-8")
    with pytest.raises(FileExistsError, match="also holds"):
        index.save(saved)
    assert (saved / "README.txt").read_text("utf-8") == "my notes"
    (saved / "README.txt").unlink()
    (tmp_path / "index.old").mkdir()  # a user's folder with the old fixed backup name
    index.save(saved)
    assert (tmp_path / "index.old").is_dir()
    ClauseIndex.load(saved, tiny_model)


# --- regular files only ------------------------------------------------------------------------


def test_symlinked_model_card_is_refused_and_never_published(tiny_model, fake_encoder, tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text(SECRET, "utf-8")
    downloaded = tiny_model.save(tmp_path / "downloaded", model_card="# card\n")
    (downloaded / "MODEL_CARD.md").unlink()
    (downloaded / "MODEL_CARD.md").symlink_to(secret)
    with pytest.raises(ModelFormatError, match=r"MODEL_CARD\.md.*symbolic link"):
        ClauseModel.load(downloaded, encoder=fake_encoder)
    # replacing such a folder removes the link, never the file it points to
    tiny_model.save(downloaded, model_card="# mine\n")
    assert secret.read_text("utf-8") == SECRET
    assert (downloaded / "MODEL_CARD.md").read_text("utf-8") == "# mine\n"


def test_a_model_card_larger_than_its_limit_is_refused_unread(
    tiny_model, fake_encoder, tmp_path, monkeypatch
):
    from clauseclf import limits

    folder = tiny_model.save(tmp_path / "model", model_card="# card\n")
    size = (folder / "MODEL_CARD.md").stat().st_size
    monkeypatch.setattr(limits, "MAX_CARD_BYTES", size - 1)
    with pytest.raises(
        ModelFormatError, match=rf"MODEL_CARD\.md: larger than the limit of {size - 1}"
    ):
        ClauseModel.load(folder, encoder=fake_encoder)
    monkeypatch.setattr(limits, "MAX_CARD_BYTES", size)  # exactly at the limit: read
    assert ClauseModel.load(folder, encoder=fake_encoder).metadata["model_card"] == "# card\n"
    (folder / "MODEL_CARD.md").write_bytes(b"# caf\xe9\n")
    with pytest.raises(ModelFormatError, match=r"MODEL_CARD\.md: not valid UTF-8 \(byte 5\)"):
        ClauseModel.load(folder, encoder=fake_encoder)


@pytest.mark.parametrize("name", ["head.npz", "taxonomy.json", "config.json"])
def test_symlinked_model_files_are_refused(tiny_model, fake_encoder, tmp_path, name):
    folder = tiny_model.save(tmp_path / "model")
    real = tmp_path / f"elsewhere-{name}"
    shutil.move(folder / name, real)
    (folder / name).symlink_to(real)
    with pytest.raises(ModelFormatError, match="symbolic link"):
        ClauseModel.load(folder, encoder=fake_encoder)


def test_encoder_symlink_cannot_escape_the_model_folder(static_saved, tmp_path):
    outside = write_static_encoder(tmp_path / "outside", seed=1)
    shutil.rmtree(static_saved / "encoder")
    (static_saved / "encoder").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ModelFormatError, match=r"encoder.*symbolic link"):
        ClauseModel.load(static_saved)


def test_symlink_inside_the_encoder_folder_is_refused(static_saved, tmp_path):
    real = tmp_path / "embeddings.npz"
    shutil.move(static_saved / "encoder" / "embeddings.npz", real)
    (static_saved / "encoder" / "embeddings.npz").symlink_to(real)
    with pytest.raises(ModelFormatError, match="symbolic link"):
        ClauseModel.load(static_saved)
    with pytest.raises(EncoderNotFoundError, match="symbolic link"):
        StaticEncoder(static_saved / "encoder")


def _finishes(call: Callable[[], object], fifo: Path, timeout: float = 20.0) -> BaseException:
    """Run ``call`` in a thread; the exception it raised, or AssertionError if it hung (the
    FIFO is then opened for writing and closed, so the stuck reader sees its end)."""
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout)
        raise AssertionError(f"reading a folder with the FIFO {fifo.name} hung")
    assert outcome, "a folder holding a FIFO was read without error"
    return outcome[0]


@pytest.mark.parametrize("name", ["config.json", "head.npz", "head.json", "taxonomy.json"])
def test_fifo_in_a_model_folder_is_refused_without_hanging(
    tiny_model, fake_encoder, tmp_path, name
):
    folder = tiny_model.save(tmp_path / "model")
    (folder / name).unlink()
    os.mkfifo(folder / name)
    error = _finishes(lambda: ClauseModel.load(folder, encoder=fake_encoder), folder / name)
    assert isinstance(error, ModelFormatError) and "FIFO" in str(error)


def test_fifo_in_the_encoder_folder_is_refused_without_hanging(static_saved):
    fifo = static_saved / "encoder" / "tokenizer.json"
    fifo.unlink()
    os.mkfifo(fifo)
    error = _finishes(lambda: ClauseModel.load(static_saved), fifo)
    assert isinstance(error, ModelFormatError) and "FIFO" in str(error)
    error = _finishes(lambda: StaticEncoder(static_saved / "encoder"), fifo)
    assert isinstance(error, EncoderNotFoundError) and "FIFO" in str(error)


@pytest.mark.parametrize("name", ["vectors.npy", "index.json", "clauses.parquet"])
def test_fifo_or_symlink_in_an_index_folder_is_refused(tiny_model, tmp_path, name):
    index = ClauseIndex.build(tiny_model, ["We sell your data. We may close your account."])
    folder = index.save(tmp_path / "index")
    real = tmp_path / f"real-{name}"
    shutil.move(folder / name, real)
    os.mkfifo(folder / name)
    error = _finishes(lambda: ClauseIndex.load(folder, tiny_model), folder / name)
    assert isinstance(error, IndexFormatError) and "FIFO" in str(error)
    (folder / name).unlink()
    (folder / name).symlink_to(real)
    with pytest.raises(IndexFormatError, match="symbolic link"):
        ClauseIndex.load(folder, tiny_model)


# --- static encoder folders: the same rule ----------------------------------------------------


def _encoder_parts(folder: Path) -> tuple[np.ndarray, str, dict[str, object]]:
    """The vectors, tokenizer and config of the static encoder at ``folder``."""
    vectors = np.load(folder / "embeddings.npz")["embeddings"]
    return (
        vectors,
        (folder / "tokenizer.json").read_text("utf-8"),
        {
            "format": "clauseclf-static-encoder",
            "name": "rewritten",
            "dimension": int(vectors.shape[1]),
            "max_tokens": 4,
        },
    )


def test_writing_an_encoder_replaces_only_an_encoder_folder(tmp_path, user_folder):
    from clauseclf.encoder_training import write_static_encoder as write_encoder

    parts = _encoder_parts(write_static_encoder(tmp_path / "source"))
    before = _tree(user_folder)
    with pytest.raises(FileExistsError, match="not a clauseclf static encoder folder"):
        write_encoder(user_folder, *parts)
    assert _tree(user_folder) == before
    afile = tmp_path / "notes.txt"
    afile.write_text("mine", "utf-8")
    with pytest.raises(FileExistsError, match="is a file"):
        write_encoder(afile, *parts)
    assert afile.read_text("utf-8") == "mine"
    old = write_static_encoder(tmp_path / "old", seed=3)
    assert write_encoder(old, *parts).name == "rewritten"  # an encoder folder is replaced
    assert write_encoder(tmp_path / "empty", *parts).name == "rewritten"
    (old / "README.md").write_text("my notes on this encoder", "utf-8")
    with pytest.raises(FileExistsError, match=r"also holds \['README.md'\]"):
        write_encoder(old, *parts)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_static_encoder_save_refuses_a_user_folder(tmp_path, user_folder):
    encoder = StaticEncoder(write_static_encoder(tmp_path / "static"))
    before = _tree(user_folder)
    with pytest.raises(FileExistsError, match="not a clauseclf static encoder folder"):
        encoder.save(user_folder)
    assert _tree(user_folder) == before
    copy = encoder.save(tmp_path / "copy")
    assert StaticEncoder(copy).name == encoder.name


@pytest.mark.parametrize("command", ["distill-encoder", "adapt-encoder"])
def test_encoder_commands_refuse_a_user_folder_before_working(
    command, tmp_path, user_folder, capsys
):
    before = _tree(user_folder)
    source = ["--out", str(user_folder)]
    if command == "adapt-encoder":
        source = [str(write_static_encoder(tmp_path / "static")), "--data", str(tmp_path), *source]
    assert main([command, *source]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"clauseclf: error: {user_folder} exists and is not a clauseclf static")
    assert len(err.strip().splitlines()) == 1
    assert _tree(user_folder) == before
