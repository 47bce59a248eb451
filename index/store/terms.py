"""BM25 over whatever set of passages a question is asked of (issue #31).

A BM25 library bakes the corpus's statistics — each term's document frequency, the passage
count, the average length — into its score matrix, so a passage's score would depend on every
other passage, readable or not. This keeps the raw counts instead: for each term the passages
holding it and how often (a compressed sparse column matrix), and each passage's length. A
question scores its few terms with numpy over the passages of its scope, with the statistics of
that scope alone: a term's document frequency over a set of passages is the number of them in
its column, the count and the average length are the set's.

The scoring is the Lucene variant of BM25 with k1 = 1.5 and b = 0.75, as bm25s (which the index
used before) computes it by default.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..text import stem, tokenize

K1 = 1.5
B = 0.75
_ARRAYS = "terms.npz"
_VOCABULARY = "terms.json"


@dataclass(frozen=True)
class PassageSet:
    """The passages a question is asked of, with the statistics BM25 reads.

    Attributes:
        mask: which passages are in the set (one flag per passage of the index).
        count: how many.
        average_length: their mean length in tokens.
    """

    mask: np.ndarray
    count: int
    average_length: float


@dataclass(frozen=True)
class Terms:
    """Term frequencies by term (a CSC matrix: one column per term) and passage lengths."""

    vocabulary: dict[str, int]
    indptr: np.ndarray  # column t holds entries indptr[t]:indptr[t+1]
    passages: np.ndarray  # the passage of each entry, ascending within a column
    counts: np.ndarray  # how often the term occurs in that passage
    lengths: np.ndarray  # tokens per passage

    @classmethod
    def of(cls, token_lists: Iterable[Sequence[str]]) -> Terms:
        """The counts of every passage's tokens (``token_lists`` in passage order)."""
        vocabulary: dict[str, int] = {}
        terms: list[int] = []
        owners: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        for passage, tokens in enumerate(token_lists):
            lengths.append(len(tokens))
            for term, count in Counter(tokens).items():
                terms.append(vocabulary.setdefault(term, len(vocabulary)))
                owners.append(passage)
                counts.append(count)
        term_ids = np.asarray(terms, dtype=np.int64)
        order = np.argsort(term_ids, kind="stable")  # passages stay ascending within a term
        per_term = np.bincount(term_ids, minlength=len(vocabulary))
        return cls(
            vocabulary=vocabulary,
            indptr=np.concatenate([[0], np.cumsum(per_term)]).astype(np.int64),
            passages=np.asarray(owners, dtype=np.int32)[order],
            counts=np.asarray(counts, dtype=np.int32)[order],
            lengths=np.asarray(lengths, dtype=np.int32),
        )

    def save(self, folder: Path) -> None:
        """Write the counts into ``folder`` (``load`` reads them back)."""
        np.savez(
            folder / _ARRAYS,
            indptr=self.indptr,
            passages=self.passages,
            counts=self.counts,
            lengths=self.lengths,
        )
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        (folder / _VOCABULARY).write_text(json.dumps(words, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Terms:
        """The counts ``save`` wrote into ``folder``."""
        words = json.loads((folder / _VOCABULARY).read_text(encoding="utf-8"))
        with np.load(folder / _ARRAYS) as arrays:
            return cls(
                vocabulary={w: i for i, w in enumerate(words)},
                indptr=arrays["indptr"],
                passages=arrays["passages"],
                counts=arrays["counts"],
                lengths=arrays["lengths"],
            )

    @functools.cached_property
    def everything(self) -> PassageSet:
        """Every passage of the index (made once)."""
        n = len(self.lengths)
        average = float(self.lengths.sum()) / n if n else 0.0
        return PassageSet(np.ones(n, dtype=bool), n, average)

    def subset(self, mask: np.ndarray) -> PassageSet:
        """The passages ``mask`` flags, with their statistics."""
        count = int(np.count_nonzero(mask))
        average = float(self.lengths[mask].sum()) / count if count else 0.0
        return PassageSet(mask, count, average)

    def postings(self, term: str, within: PassageSet | None = None) -> np.ndarray:
        """The passages that hold ``term`` (of ``within`` only, when given), ascending."""
        column = self.vocabulary.get(term)
        if column is None:
            return np.zeros(0, dtype=np.int32)
        rows = self.passages[self.indptr[column] : self.indptr[column + 1]]
        return rows if within is None else rows[within.mask[rows]]

    def frequency(self, term: str, within: PassageSet | None = None) -> int:
        """In how many passages (of ``within``) ``term`` occurs."""
        column = self.vocabulary.get(term)
        if column is None:
            return 0
        if within is None:
            return int(self.indptr[column + 1] - self.indptr[column])
        return len(self.postings(term, within))

    def scores(self, tokens: Sequence[str], within: PassageSet) -> np.ndarray:
        """BM25 score of every passage for the query ``tokens`` (a token given twice counts
        twice), with the statistics of ``within``; zero outside it."""
        scores = np.zeros(len(self.lengths), dtype=np.float64)
        if within.count == 0:
            return scores
        for token in tokens:
            column = self.vocabulary.get(token)
            if column is None:
                continue
            start, end = self.indptr[column], self.indptr[column + 1]
            rows, counts = self.passages[start:end], self.counts[start:end]
            if within.count < len(self.lengths):
                kept = within.mask[rows]
                rows, counts = rows[kept], counts[kept]
            counts = counts.astype(np.float64)
            if not len(rows):
                continue
            df = len(rows)
            idf = math.log(1 + (within.count - df + 0.5) / (df + 0.5))
            norm = K1 * ((1 - B) + B * self.lengths[rows] / within.average_length)
            scores[rows] += idf * counts / (norm + counts)
        return scores


def bm25_tokens(text: str) -> list[str]:
    """BM25 tokens: normalised words; numbers and hyphenated words also split into parts."""
    tokens = []
    for token in tokenize(text):
        tokens.append(token)
        stemmed = stem(token)
        if stemmed != token:
            tokens.append(stemmed)
        if "-" in token or "." in token or "," in token:
            tokens.extend(p for p in token.replace(",", "-").replace(".", "-").split("-") if p)
    return tokens
