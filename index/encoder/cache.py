"""Vectors already computed, kept between builds: a build embeds only texts it has not seen
with the same model, which is what makes an incremental rebuild cheap."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .embedder import ProgressCallback


class Encoder(Protocol):
    """What the cache embeds with: the English embedder or the multilingual encoder."""

    dimension: int

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray: ...


class EmbeddingCache:
    """Vectors already computed, keyed by (model, text), in a SQLite file shared by builds.

    Args:
        path: the SQLite file (created if missing).
        model_key: identifies the model; vectors from another model are never returned.
    """

    def __init__(self, path: Path, model_key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model_key = model_key
        self._db = sqlite3.connect(str(path), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_key}\0{text}".encode()).hexdigest()

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``texts``, by text."""
        found: dict[str, np.ndarray] = {}
        keys = {self._key(t): t for t in texts}
        key_list = list(keys)
        for begin in range(0, len(key_list), 500):
            batch = key_list[begin : begin + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})",
                batch,
            ).fetchall()
            for key, blob in rows:
                found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors for ``texts``."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                [
                    (self._key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                    for t, v in zip(texts, vectors, strict=True)
                ],
            )

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def embed_with_cache(
    embedder: Encoder,
    cache: EmbeddingCache,
    texts: Sequence[str],
    progress: ProgressCallback | None = None,
) -> tuple[np.ndarray, int]:
    """Embed ``texts``, reusing cached vectors; returns (vectors, how many were newly embedded)."""
    unique = list(dict.fromkeys(texts))
    known = cache.get_many(unique)
    missing = [t for t in unique if t not in known]
    if missing:
        # Embed and store in slices so a long build that is killed keeps what it computed.
        step = 2048
        for begin in range(0, len(missing), step):
            part = missing[begin : begin + step]

            def report(done: int, _total: int, offset: int = begin) -> None:
                if progress is not None:
                    progress(offset + done, len(missing))

            fresh = embedder.encode(part, progress=report)
            cache.put_many(part, fresh)
            known.update(zip(part, fresh, strict=True))
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32), 0
    return np.vstack([known[t] for t in texts]).astype(np.float32), len(missing)
