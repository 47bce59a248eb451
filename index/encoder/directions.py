"""The directions along which multilingual-e5 says which language a text is written in rather
than what it says (issue #32).

e5 places a text near others of its language, so across languages part of a question's
similarity to a passage only measures how alike their languages are: a Chinese question ranks
English passages partly by how Chinese they look. The means of the same texts written in
several languages differ mostly along a few directions; taking those directions out of the
question and of the passages (Yang et al., 2021, "language information removal") leaves more
of what is meant. Within one language, and for English over English, rankings hardly move
(docs/quality.md).

The directions are learned by ``scripts/training/language_directions.py`` from text the
product already has in many languages — its own interface catalogues (``web/locales``), the
same sentences in each — so no question or document of any evaluation set shapes them, and
a language the catalogues lack still loses the directions it shares with theirs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DIRECTIONS_FILE = Path(__file__).with_name("language_directions.json")


@dataclass(frozen=True)
class LanguageDirections:
    """An orthonormal basis (k rows) of the directions taken out; k may be 0 (nothing taken)."""

    basis: np.ndarray  # float32, (k, dimension)

    @classmethod
    def none(cls, dimension: int) -> LanguageDirections:
        """No direction taken out: similarities are e5's own."""
        return cls(np.zeros((0, dimension), dtype=np.float32))

    @classmethod
    def load(cls, path: Path = DIRECTIONS_FILE) -> LanguageDirections:
        """The shipped directions (``language_directions.json``)."""
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            np.asarray(manifest["basis"], dtype=np.float32).reshape(len(manifest["basis"]), -1)
        )

    @property
    def count(self) -> int:
        return int(self.basis.shape[0])

    def neutral(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` (one or a stack) without the directions, unit length again."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if not self.count:
            return vectors
        kept = vectors - (vectors @ self.basis.T) @ self.basis
        norms = np.linalg.norm(kept, axis=-1, keepdims=True)
        return kept / np.maximum(norms, 1e-12)

    def share(self, vectors: np.ndarray) -> np.ndarray:
        """How much of each row's squared length lies along the directions."""
        along = np.asarray(vectors, dtype=np.float32) @ self.basis.T
        return np.einsum("ij,ij->i", along, along)


def learn_directions(language_means: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` directions along which ``language_means`` (one row per language, each the
    mean vector of the same texts in that language) differ most: the top right singular
    vectors of the means centred on their average."""
    centred = language_means - language_means.mean(axis=0)
    return np.linalg.svd(centred, full_matrices=False)[2][:count].astype(np.float32)
