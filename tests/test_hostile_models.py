"""Model folders from untrusted hands: loading never runs code carried by a file.

Every crafted folder carries a pickle payload that would create a marker file when unpickled.
``test_payload_is_live`` proves the payload works (unpickling it writes a marker); the others,
that ``ClauseModel.load`` refuses each folder with a clear error and its marker never appears.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import joblib
import numpy as np
import pytest

from clauseclf.errors import ModelFormatError
from clauseclf.head import HEAD_NPZ
from clauseclf.inference.model import ClauseModel


class MarkerPayload:
    """Unpickling this object opens (so creates) ``path``: a stand-in for arbitrary code."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


@pytest.fixture
def saved_model(tiny_model: ClauseModel, tmp_path: Path) -> Path:
    return tiny_model.save(tmp_path / "model")


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "PWNED"


def _load_refused(folder: Path, fake_encoder, marker: Path, match: str) -> None:
    with pytest.raises(ModelFormatError, match=match):
        ClauseModel.load(folder, encoder=fake_encoder)
    assert not marker.exists(), "loading ran code from the model folder"


def test_payload_is_live(tmp_path):
    probe = tmp_path / "probe-marker"
    pickle.loads(pickle.dumps(MarkerPayload(probe))).close()
    assert probe.exists(), "the payload must really run code when unpickled"


def test_joblib_file_beside_the_head_is_refused(saved_model, fake_encoder, marker, tmp_path):
    joblib.dump(MarkerPayload(marker), saved_model / "head.joblib")
    assert joblib.load(saved_model / "head.joblib") is not None and marker.exists()
    marker.unlink()  # the file is live: joblib.load ran it; clauseclf must not
    _load_refused(saved_model, fake_encoder, marker, r"head\.joblib.*pickle")


def test_pickle_under_an_innocent_name_is_refused(saved_model, fake_encoder, marker):
    (saved_model / "extra_weights.dat").write_bytes(pickle.dumps(MarkerPayload(marker), protocol=4))
    _load_refused(saved_model, fake_encoder, marker, r"extra_weights\.dat.*pickle")


def test_head_npz_replaced_by_a_pickle_is_refused(saved_model, fake_encoder, marker):
    (saved_model / HEAD_NPZ).write_bytes(pickle.dumps(MarkerPayload(marker), protocol=2))
    _load_refused(saved_model, fake_encoder, marker, "pickle")


def test_head_npz_with_object_arrays_is_refused(saved_model, fake_encoder, marker):
    with np.load(saved_model / HEAD_NPZ) as archive:
        arrays = {name: archive[name] for name in archive.files}
    payloads = np.empty(len(arrays["thresholds"]), dtype=object)
    payloads[:] = [MarkerPayload(marker)] * len(payloads)
    arrays["thresholds"] = payloads
    np.savez(saved_model / HEAD_NPZ, **arrays)  # np.savez pickles object arrays
    _load_refused(saved_model, fake_encoder, marker, "pickle")


def test_clean_folder_still_loads(saved_model, fake_encoder, tiny_model):
    (saved_model / "notes.txt").write_text("trained on synthetic clauses", "utf-8")
    loaded = ClauseModel.load(saved_model, encoder=fake_encoder)
    text = ["Any dispute will be resolved by binding arbitration."]
    assert loaded.classify(text) == tiny_model.classify(text)


def test_refusal_leaves_the_folder_untouched(saved_model, fake_encoder, marker):
    joblib.dump(MarkerPayload(marker), saved_model / "model.pkl")
    before = sorted(p.name for p in saved_model.iterdir())
    with pytest.raises(ModelFormatError):
        ClauseModel.load(saved_model, encoder=fake_encoder)
    assert sorted(p.name for p in saved_model.iterdir()) == before
    shutil.rmtree(saved_model)
