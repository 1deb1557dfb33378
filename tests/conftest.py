"""Shared fixtures: a tiny in-memory fake encoder and paths to the repository's data."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
EXAMPLE_POLICY = REPO_ROOT / "data" / "examples" / "larkspur_terms.txt"

_WORD = re.compile(r"[a-z0-9]+")


class FakeEncoder:
    """Hashed bag of words through a fixed random projection: fast, deterministic, normalised."""

    name = "fake-hashed-bow"

    def __init__(self, dimension: int = 32, buckets: int = 4096) -> None:
        self.dimension = dimension
        self._projection = np.random.default_rng(0).normal(size=(buckets, dimension))
        self._buckets = buckets

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest(), 16) % self._buckets
                out[row] += self._projection[bucket]
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out


@pytest.fixture(scope="session")
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()


def require_shared_data() -> Path:
    """The shared data folder, or skip the calling test with the reason."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is missing (it sits beside the repository)")
    return SHARED_DATA
