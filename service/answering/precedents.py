"""Precedents: what answered questions like this one, in other documents.

A loose question ("Do you share my data?", "What are my choices?") names few of the words its
answer uses; the sentence that answered the same question in another document often does
("We may disclose your information to our partners…"). The training sets' answered questions
are kept beside the decision model — each question's vector, the vector of what answered it
and the digest of the document it was answered in — and a question recalls its nearest ones:
each candidate sentence gets its similarity to what answered them, and the question how near
the nearest one was. Only the ranker reads them (which sentence to quote; ``candidates.py``
says why the answer-or-refuse classifier does not), and only when a precedent is near: on a
kind of document the training never saw they are zero.

Nothing is recalled from the documents a question is asked of: a document's own answers would
be read back to it (in training, a held-out document's labels; in use, a training document
that a user also holds), so a precedent always comes from elsewhere. The bank is written by
``scripts/training/train_decision.py``; without one the features are zero.

A near precedent also widens where candidates come from: of the passages retrieved after the
first five, the ones most like what answered it join the candidates (``precedent_passages``),
as a previous section's best passages do in a conversation; the model reads their rank.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import Hit, LoadedIndex

from .tunables import (
    PRECEDENT_NEAR,
    PRECEDENT_PASSAGES,
    PRECEDENT_TEMPERATURE,
    PRECEDENTS_RECALLED,
)

FILE_NAME = "precedents.npz"
COLUMNS = ("precedent_similarity", "precedent_margin", "precedent_nearness", "by_precedent")


@dataclass(frozen=True)
class Recalled:
    """What the nearest earlier questions were answered with, as one unit vector, and how
    near the nearest question was (cosine)."""

    vector: np.ndarray
    nearness: float


@dataclass(frozen=True)
class Precedents:
    """Earlier questions with what answered them: row ``i`` of each array is one question.

    Attributes:
        questions: the questions' unit vectors (the English model's; float32 in memory, as
            numpy has no fast float16 product, float16 on disk).
        answers: unit vectors of the text that answered each (float16).
        documents: for each question, its position in ``digests``.
        digests: sha256 of the bytes of each document the questions were answered in.
    """

    questions: np.ndarray
    answers: np.ndarray
    documents: np.ndarray
    digests: tuple[str, ...]

    def recall(self, query_vector: np.ndarray, excluded: Collection[str]) -> Recalled | None:
        """The nearest questions answered outside the documents ``excluded`` (digests), their
        answers averaged with softmax weights of their nearness; None when none is left."""
        similarity = self.questions @ query_vector.astype(np.float32)
        banned = [i for i, d in enumerate(self.digests) if d in excluded]
        if banned:
            similarity[np.isin(self.documents, banned)] = -np.inf
        allowed = int(np.isfinite(similarity).sum())
        if allowed == 0:
            return None
        k = min(PRECEDENTS_RECALLED, allowed)
        nearest = np.argpartition(-similarity, k - 1)[:k]
        weights = np.exp((similarity[nearest] - similarity[nearest].max()) / PRECEDENT_TEMPERATURE)
        vector = (weights / weights.sum()) @ self.answers[nearest].astype(np.float32)
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            return None
        return Recalled(vector / norm, float(similarity[nearest].max()))

    def without(self, digests: Collection[str]) -> Precedents:
        """The bank less the questions answered in the documents ``digests``."""
        banned = [i for i, d in enumerate(self.digests) if d in digests]
        kept = ~np.isin(self.documents, banned)
        return Precedents(
            self.questions[kept], self.answers[kept], self.documents[kept], self.digests
        )

    def save(self, path: Path) -> None:
        """Write the bank (``np.savez``; the digests as a string array)."""
        np.savez(
            path,
            questions=self.questions.astype(np.float16),
            answers=self.answers.astype(np.float16),
            documents=self.documents.astype(np.int32),
            digests=np.array(self.digests),
        )

    @classmethod
    def load(cls, path: Path) -> Precedents | None:
        """The bank at ``path``, or None where there is none."""
        if not path.is_file():
            return None
        with np.load(path) as stored:
            return cls(
                stored["questions"].astype(np.float32),
                stored["answers"],
                stored["documents"],
                tuple(str(d) for d in stored["digests"]),
            )


def asked_digests(index: LoadedIndex, documents: Collection[str] | None) -> Collection[str]:
    """The digests of the documents a question is asked of: its scope, or every document the
    index (as its asker sees it) holds."""
    if documents is None:
        return index.digests
    return {index.documents[d].digest for d in documents if d in index.documents}


def recall_for(
    precedents: Precedents | None,
    index: LoadedIndex,
    documents: Collection[str] | None,
    query_vector: np.ndarray,
) -> Recalled | None:
    """What answered the nearest questions outside the documents asked of, if any."""
    if precedents is None:
        return None
    return precedents.recall(query_vector, asked_digests(index, documents))


def precedent_passages(
    index: LoadedIndex, recalled: Recalled | None, reserve: list[tuple[int, Hit]]
) -> list[tuple[int, Hit]]:
    """Of the ``reserve`` (rank, hit) pairs — passages retrieved but not read for candidates
    —, the ``PRECEDENT_PASSAGES`` whose best sentence is most like what answered a near
    precedent; none when no precedent is near (``PRECEDENT_NEAR``)."""
    if recalled is None or recalled.nearness < PRECEDENT_NEAR or not reserve:
        return []
    vectors = index.sentence_vectors
    likeness = [
        float(np.max(vectors[list(index.passages[h.passage_id].sentence_ids)] @ recalled.vector))
        for _, h in reserve
    ]
    best = np.argsort(likeness, kind="stable")[::-1][:PRECEDENT_PASSAGES]
    return [reserve[int(i)] for i in sorted(best)]


def precedent_columns(
    index: LoadedIndex, sentence_ids: list[int], recalled: Recalled | None, added: set[int]
) -> dict[str, np.ndarray]:
    """Each candidate's similarity to what answered the nearest earlier questions (and its
    margin to the best candidate's), how near those questions were (every row alike), and
    whether it is there only because of them (``added``: its passage was read for the
    precedent). Zero where no precedent is near (``PRECEDENT_NEAR``): what answered a question
    unlike this one says little about which sentence answers it."""
    by_precedent = np.array([s in added for s in sentence_ids], dtype=float)
    if recalled is None or recalled.nearness < PRECEDENT_NEAR:
        zeros = np.zeros(len(sentence_ids))
        return {**dict.fromkeys(COLUMNS, zeros), "by_precedent": by_precedent}
    similarity = index.sentence_vectors[sentence_ids].astype(np.float32) @ recalled.vector
    return {
        "precedent_similarity": similarity,
        "precedent_margin": similarity - similarity.max(),
        "precedent_nearness": np.full(len(sentence_ids), recalled.nearness),
        "by_precedent": by_precedent,
    }
