"""CachedEncoder: repeated clause texts are embedded once, in memory and across sessions."""

from __future__ import annotations

import pickle
import sqlite3

import numpy as np
import pytest

from clauseclf.encoder_cache import CachedEncoder
from clauseclf.errors import CacheError


class CountingEncoder:
    """Wraps the fake encoder and counts the texts it really embeds."""

    def __init__(self, inner) -> None:
        self.inner, self.embedded = inner, 0
        self.name, self.dimension = inner.name, inner.dimension

    def encode(self, texts, *, batch_size=64):
        self.embedded += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


TEXTS = ["We may change these terms.", "Disputes go to arbitration.", "We may change these terms."]


def test_repeated_texts_are_embedded_once(fake_encoder):
    counting = CountingEncoder(fake_encoder)
    cached = CachedEncoder(counting)
    first = cached.encode(TEXTS)
    second = cached.encode(list(reversed(TEXTS)))
    assert counting.embedded == 2
    assert np.allclose(first, fake_encoder.encode(TEXTS))
    assert np.allclose(second, first[::-1])
    assert (cached.hits, cached.misses) == (4, 2)


def test_sqlite_cache_survives_a_new_session(fake_encoder, tmp_path):
    path = tmp_path / "cache" / "embeddings.sqlite"
    CachedEncoder(CountingEncoder(fake_encoder), path=path).encode(TEXTS)
    counting = CountingEncoder(fake_encoder)
    again = CachedEncoder(counting, path=path, max_items=0)
    assert np.allclose(again.encode(TEXTS), fake_encoder.encode(TEXTS))
    assert counting.embedded == 0
    again.close()


def test_memory_bound_and_bad_input(fake_encoder):
    counting = CountingEncoder(fake_encoder)
    cached = CachedEncoder(counting, max_items=1)
    cached.encode(["a b", "c d"])
    cached.encode(["a b"])  # evicted by "c d": embedded again
    assert counting.embedded == 3
    with pytest.raises(TypeError, match="text #1 is int"):
        cached.encode(["fine", 3])  # type: ignore[list-item]  # the wrong type on purpose
    with pytest.raises(TypeError, match="not a single str"):
        cached.encode("one text")
    with pytest.raises(ValueError, match="max_items"):
        CachedEncoder(fake_encoder, max_items=-1)


def test_cached_model_predicts_the_same_and_pickles(tiny_model, tmp_path):
    cached = tiny_model.with_cache(tmp_path / "cache.sqlite")
    texts = ["Any dispute goes to binding arbitration.", "We collect your email address."]
    assert [p.label for p in cached.classify(texts)] == [
        p.label for p in tiny_model.classify(texts)
    ]
    copy = pickle.loads(pickle.dumps(cached.encoder))
    assert np.allclose(copy.encode(texts), cached.encoder.encode(texts))


def test_cached_vectors_do_not_keep_the_encoded_batch_alive(fake_encoder):
    cache = CachedEncoder(fake_encoder, max_items=1)
    cache.encode(["first clause", "second clause", "third clause"])
    (kept,) = cache._memory.values()
    assert kept.base is None  # its own memory, not a row view of the batch
    assert kept.nbytes == fake_encoder.dimension * 4


def test_a_cached_model_keeps_the_practice_map(tmp_path):
    import clauseclf

    model = clauseclf.load()
    assert model.practices is not None
    cached = model.with_cache(tmp_path / "cache.sqlite")
    assert cached.practices is model.practices
    texts = ["We may sell your personal data to advertisers.", "Disputes go to arbitration."]
    embeddings = model.encoder.encode(texts)
    expected = model.practice_profiles(texts, embeddings).toarray()
    assert np.allclose(cached.practice_profiles(texts, embeddings).toarray(), expected)


# -- a cache file that cannot be written or read: one clear error naming it ------------------


@pytest.fixture
def full_disk(monkeypatch):
    """SQLite files opened from now on cannot grow past 3 pages: writing more fails with
    SQLite's own "database or disk is full", as on a full disk."""
    connect = sqlite3.connect

    def small_connect(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.execute("PRAGMA max_page_count = 3")
        return db

    monkeypatch.setattr(sqlite3, "connect", small_connect)


MANY = [f"Clause number {i} about arbitration and your data." for i in range(200)]


def test_a_full_disk_while_caching_is_a_cache_error(fake_encoder, tmp_path, full_disk):
    path = tmp_path / "cache.sqlite"
    cached = CachedEncoder(fake_encoder, path=path)
    with pytest.raises(CacheError) as info:
        cached.encode(MANY)
    message = str(info.value)
    assert f"embedding cache {path}: cannot write: database or disk is full" in message
    assert "free some space" in message and "--cache" in message
    cached.close()


def test_a_cache_file_that_is_no_database_is_a_cache_error(fake_encoder, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes, not an SQLite database\n" * 100)
    with pytest.raises(CacheError, match=r"notes\.txt: cannot open: file is not a database"):
        CachedEncoder(fake_encoder, path=path).encode(["We sell data."])
    assert path.read_bytes().startswith(b"these are my notes")


def test_score_stops_with_one_line_when_the_cache_cannot_be_written(
    tiny_model, monkeypatch, tmp_path, capsys, full_disk
):
    from clauseclf import cli

    monkeypatch.setattr(cli, "_load_model", lambda path: tiny_model)
    policy = tmp_path / "policy.txt"
    policy.write_text("\n".join(MANY), encoding="utf-8")
    cache, out = tmp_path / "cache.sqlite", tmp_path / "scores.csv"
    assert (
        cli.main(["score", str(policy), "--out", str(out), "--cache", str(cache), "--quiet"]) == 1
    )
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"clauseclf: error: embedding cache {cache}: cannot write")
    assert "--cache" in line
