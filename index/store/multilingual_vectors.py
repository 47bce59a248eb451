"""The second phase's vectors: e5's unit vectors kept in 8 bits, and scored with the language
directions taken out (issue #32; ``index/encoder/directions.py`` says why). The stored 8-bit
vectors stay e5's own — the embedding cache and a built version do not depend on the
directions — and a score is the cosine of the question and the passage once both have lost
them: the question loses them once per call, and a passage's remaining length is worked out
from its codes (kept for the passages, which are all scored for every question; on demand for
the sentences, of which only a question's candidates are)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..encoder.directions import LanguageDirections

# Rows turned to float32 at a time while the passages' lengths are worked out at load.
_CHUNK = 8192


@dataclass(frozen=True)
class QuantisedVectors:
    """Unit vectors kept in 8 bits: each row ``codes[i] * scales[i]`` (a quarter of float32's
    memory; the recall it costs is measured in docs/performance.md)."""

    codes: np.ndarray  # int8, (n, dimension)
    scales: np.ndarray  # float32, (n,)

    @classmethod
    def of(cls, vectors: np.ndarray) -> QuantisedVectors:
        """Quantise ``vectors`` symmetrically, one scale per row (its largest magnitude)."""
        largest = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0)
        scales = (np.maximum(largest, 1e-12) / 127.0).astype(np.float32)
        codes = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
        return cls(codes, scales)

    def scores(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Inner products of ``query`` with the vectors (of ``rows`` only, when given)."""
        codes = self.codes if rows is None else self.codes[rows]
        scales = self.scales if rows is None else self.scales[rows]
        return (codes.astype(np.float32) @ query.astype(np.float32)) * scales


@dataclass(frozen=True)
class NeutralVectors:
    """``vectors`` scored against a question as if the directions were out of both."""

    vectors: QuantisedVectors
    directions: LanguageDirections
    # Each row's length without the directions; None: worked out for the rows asked.
    lengths: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def kept(cls, vectors: QuantisedVectors, directions: LanguageDirections) -> NeutralVectors:
        """Every row's length worked out now (for vectors scored in full at each question)."""
        if not directions.count:
            return cls(vectors, directions)
        rows = len(vectors.scales)
        lengths = np.concatenate(
            [
                _lengths(vectors, directions, np.arange(b, min(b + _CHUNK, rows)))
                for b in range(0, rows, _CHUNK)
            ]
            or [np.zeros(0, dtype=np.float32)]
        )
        return cls(vectors, directions, lengths)

    def scores(self, query: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Cosines of ``query`` (e5's raw vector) with the rows, both without the directions."""
        if not self.directions.count:
            return self.vectors.scores(query, rows)
        inner = self.vectors.scores(self.directions.neutral(query), rows)
        if self.lengths is not None:
            lengths = self.lengths if rows is None else self.lengths[rows]
        else:
            asked = np.arange(len(self.vectors.scales)) if rows is None else rows
            lengths = _lengths(self.vectors, self.directions, asked)
        return inner / lengths


def _lengths(
    vectors: QuantisedVectors, directions: LanguageDirections, rows: np.ndarray
) -> np.ndarray:
    """The rows' lengths once the directions are out: sqrt(|v|^2 - |Bv|^2)."""
    dequantised = vectors.codes[rows].astype(np.float32) * vectors.scales[rows, None]
    whole = np.einsum("ij,ij->i", dequantised, dequantised)
    return np.sqrt(np.maximum(whole - directions.share(dequantised), 1e-12)).astype(np.float32)
