"""``CachedEncoder``: an encoder wrapper that embeds each distinct clause text once, in memory
(LRU) and optionally across sessions in an SQLite file."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clauseclf._texts import text_list
from clauseclf.encoder import Encoder
from clauseclf.errors import CacheError


class CachedEncoder:
    """Wraps an encoder so that a text seen before (same content hash) is not embedded again.

    Boilerplate repeats across policies; with ``path`` the cache is a small SQLite file that
    survives the session (vectors stored as float32 by SHA-1 of the encoder name and the text).
    ``max_items`` bounds the in-memory part (least recently used out). Thread-safe.
    """

    def __init__(
        self, encoder: Encoder, *, path: str | Path | None = None, max_items: int = 200_000
    ) -> None:
        if max_items < 0:
            raise ValueError(f"max_items must be >= 0, got {max_items}")
        self.encoder = encoder
        self.path = Path(path).expanduser() if path is not None else None
        self.max_items = max_items
        self.hits = 0
        self.misses = 0
        self._memory: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._db: Any = None

    @property
    def name(self) -> str:
        """The wrapped encoder's name."""
        return self.encoder.name

    @property
    def dimension(self) -> int:
        """The wrapped encoder's dimension."""
        return self.encoder.dimension

    def __getstate__(self) -> dict[str, Any]:
        return {"encoder": self.encoder, "path": self.path, "max_items": self.max_items}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["encoder"], path=state["path"], max_items=state["max_items"])  # type: ignore[misc]

    def _key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self.encoder.name}\x00{text}".encode()).digest()

    def _connect(self) -> Any:
        if self._db is None and self.path is not None:
            import sqlite3

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), check_same_thread=False)
            except (OSError, sqlite3.Error) as exc:
                raise self._error("cannot open", exc) from exc
            try:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB)"
                )
            except sqlite3.Error as exc:
                db.close()
                raise self._error("cannot open", exc) from exc
            self._db = db
        return self._db

    def _error(self, what: str, exc: BaseException) -> CacheError:
        """The ``CacheError`` for a failure of the cache file: what failed, why, what to do."""
        reason = getattr(exc, "strerror", None) or str(exc)
        advice = "choose another cache file (--cache) or none"
        if "full" in reason or getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
            advice = f"free some space, or {advice}"
        return CacheError(f"embedding cache {self.path}: {what}: {reason}; {advice}")

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """Embed ``texts``, taking known ones from the cache."""
        texts = text_list(texts, caller="encode()")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        missing: dict[bytes, list[int]] = {}
        with self._lock:
            found = self._lookup(set(keys))
            for row, key in enumerate(keys):
                vector = found.get(key)
                if vector is None:
                    missing.setdefault(key, []).append(row)
                else:
                    out[row] = vector
        self.hits += len(texts) - len(missing)  # texts not embedded now
        self.misses += len(missing)
        if missing:
            first_rows = [rows[0] for rows in missing.values()]
            vectors = self.encoder.encode([texts[r] for r in first_rows], batch_size=batch_size)
            with self._lock:
                self._store(dict(zip(missing, vectors, strict=True)))
            for vector, rows in zip(vectors, missing.values(), strict=True):
                out[rows] = vector
        return out

    def _lookup(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        found = {}
        for key in keys:
            vector = self._memory.get(key)
            if vector is not None:
                self._memory.move_to_end(key)
                found[key] = vector
        db = self._connect()
        rest = [k for k in keys if k not in found]
        if db is None or not rest:
            return found
        import sqlite3

        try:
            for start in range(0, len(rest), 500):
                part = rest[start : start + 500]
                marks = ",".join("?" * len(part))
                query = f"SELECT key, vector FROM embeddings WHERE key IN ({marks})"
                for key, blob in db.execute(query, part):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dimension,):
                        found[key] = vector
                        self._remember(key, vector)
        except sqlite3.Error as exc:
            raise self._error("cannot read", exc) from exc
        return found

    def _store(self, vectors: dict[bytes, np.ndarray]) -> None:
        for key, vector in vectors.items():
            # A copy: a row view would keep the encoder's whole batch array alive for as long
            # as any one of its rows stays cached.
            self._remember(key, np.array(vector, dtype=np.float32, copy=True))
        db = self._connect()
        if db is not None:
            import sqlite3

            rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()]
            try:
                db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows)
                db.commit()
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    db.rollback()
                raise self._error("cannot write", exc) from exc

    def _remember(self, key: bytes, vector: np.ndarray) -> None:
        if self.max_items == 0:
            return
        self._memory[key] = vector
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_items:
            self._memory.popitem(last=False)

    def close(self) -> None:
        """Close the SQLite file, if any."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
