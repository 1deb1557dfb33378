"""The static (model2vec-style) encoder: folder format, maths, refusals, and a model carrying it."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from clauseclf.encoder import StaticEncoder
from clauseclf.errors import EncoderNotFoundError
from conftest import static_model, write_static_encoder


@pytest.fixture
def static_folder(tmp_path: Path) -> Path:
    return write_static_encoder(tmp_path / "encoder")


def test_a_clause_vector_is_the_normalised_mean_of_its_known_tokens(static_folder):
    encoder = StaticEncoder(static_folder)
    table = np.load(static_folder / "embeddings.npz")["embeddings"].astype(np.float32)
    vectors = encoder.encode(["We sell data", "WE SELL DATA zebra", "zebra", ""])
    expected = table[[1, 2, 4]].sum(axis=0)
    expected /= np.linalg.norm(expected)
    assert vectors.dtype == np.float32 and vectors.shape == (4, 8)
    np.testing.assert_allclose(vectors[0], expected, rtol=1e-5)
    # lower-cased, and the unknown word piece is dropped rather than averaged in
    np.testing.assert_allclose(vectors[1], expected, rtol=1e-5)
    # no known token: the zero vector
    np.testing.assert_array_equal(vectors[2:], 0.0)


def test_tokens_beyond_max_tokens_are_ignored(static_folder):
    encoder = StaticEncoder(static_folder)
    short, long = encoder.encode(["we sell your data", "we sell your data close close close"])
    np.testing.assert_allclose(short, long, rtol=1e-6)


def test_batches_do_not_change_vectors(static_folder):
    encoder = StaticEncoder(static_folder)
    texts = [f"we {'sell ' * (i % 3)}your data {i}" for i in range(700)]
    np.testing.assert_array_equal(
        encoder.encode(texts, batch_size=256), encoder.encode(texts, batch_size=10_000)
    )


def test_encode_rejects_bad_input(static_folder):
    encoder = StaticEncoder(static_folder)
    with pytest.raises(TypeError, match="not a single str"):
        encoder.encode("we sell data")
    with pytest.raises(TypeError, match="text #1"):
        encoder.encode(["we", None])  # type: ignore[list-item]  # the wrong type on purpose
    assert encoder.encode([]).shape == (0, 8)


def test_pickled_copy_reads_the_folder_again(static_folder):
    encoder = StaticEncoder(static_folder)
    copy = pickle.loads(pickle.dumps(encoder))
    assert len(pickle.dumps(encoder)) < 1000  # the folder, not the vectors
    np.testing.assert_array_equal(copy.encode(["we sell"]), encoder.encode(["we sell"]))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "encoder.json").unlink(), "encoder.json is missing"),
        (lambda f: (f / "encoder.json").write_text("{", encoding="utf-8"), "cannot read"),
        (lambda f: (f / "encoder.json").write_text('{"format": "x"}'), "not a clauseclf static"),
        (lambda f: (f / "tokenizer.json").write_text("nonsense"), "cannot read the tokenizer"),
        (lambda f: (f / "embeddings.npz").unlink(), "embeddings.npz"),
        (
            lambda f: np.savez(f / "embeddings.npz", embeddings=np.zeros((10, 3))),
            r"expected a float \(tokens, 8\)",
        ),
        (
            lambda f: np.savez(f / "embeddings.npz", embeddings=np.full((10, 8), np.nan)),
            "NaN",
        ),
        (
            lambda f: np.savez(f / "embeddings.npz", embeddings=np.zeros((3, 8))),
            "3 rows for a tokenizer whose largest token id is 9",
        ),
        (
            lambda f: np.savez(f / "embeddings.npz", embeddings=np.array([{"a": 1}], dtype=object)),
            "cannot read",
        ),
    ],
)
def test_damaged_folders_are_refused_clearly(static_folder, damage, message):
    damage(static_folder)
    with pytest.raises(EncoderNotFoundError, match=message):
        StaticEncoder(static_folder)


def test_a_model_folder_carries_its_static_encoder(static_folder, tmp_path):
    from clauseclf.inference.model import ClauseModel

    model = static_model(static_folder)
    saved = model.save(tmp_path / "model")
    config = json.loads((saved / "config.json").read_text(encoding="utf-8"))
    assert config["encoder"]["kind"] == "static"
    assert config["encoder"]["path"] == "encoder"
    assert sorted(p.name for p in (saved / "encoder").iterdir()) == [
        "embeddings.npz",
        "encoder.json",
        "tokenizer.json",
    ]
    loaded = ClauseModel.load(saved)
    assert isinstance(loaded.encoder, StaticEncoder)
    texts = ["We sell your data.", "We may close your account."]
    assert loaded.classify(texts) == model.classify(texts)
    # a cached copy saves the same folder
    cached_saved = model.with_cache().save(tmp_path / "cached")
    assert (cached_saved / "encoder" / "embeddings.npz").is_file()


@pytest.mark.parametrize("bad_path", ["../elsewhere", "/etc", ""])
def test_static_encoder_path_must_stay_inside_the_model_folder(static_folder, tmp_path, bad_path):
    from clauseclf.errors import ModelFormatError
    from clauseclf.inference.model import ClauseModel

    saved = static_model(static_folder).save(tmp_path / "model")
    config = json.loads((saved / "config.json").read_text(encoding="utf-8"))
    config["encoder"]["path"] = bad_path
    (saved / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="folder inside the model folder"):
        ClauseModel.load(saved)


def test_pickle_files_in_the_encoder_folder_are_refused(static_folder, tmp_path):
    from clauseclf.errors import ModelFormatError
    from clauseclf.inference.model import ClauseModel

    saved = static_model(static_folder).save(tmp_path / "model")
    (saved / "encoder" / "extra.joblib").write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ModelFormatError, match=r"extra\.joblib: refused"):
        ClauseModel.load(saved)


def test_shipped_static_encoder_matches_model2vec():
    """Our numpy implementation gives model2vec's vectors for the same table and tokenizer."""
    model2vec = pytest.importorskip("model2vec", reason="model2vec is in the dev extra")
    from tokenizers import Tokenizer

    from clauseclf.inference.default_model import default_model_dir

    folder = default_model_dir() / "encoder"
    if not (folder / "encoder.json").is_file():
        pytest.skip("the default model has no static encoder")
    ours = StaticEncoder(folder)
    table = np.load(folder / "embeddings.npz")["embeddings"]
    reference = model2vec.StaticModel(
        vectors=table,
        tokenizer=Tokenizer.from_file(str(folder / "tokenizer.json")),
        normalize=True,
    )
    texts = [
        "We may terminate your account at any time without notice.",
        "Any dispute will be resolved by binding arbitration in Delaware.",
        "We do not use your content to train AI models. 😀 ∑",
        "data " * 800,
    ]
    np.testing.assert_allclose(ours.encode(texts), reference.encode(texts), atol=2e-3)
