"""Searching a version's second phase (issue #32): a question in any language against passages
in any language — multilingual-e5 (passage and best sentence) fused with BM25 over words
stemmed in each document's language, where names and numbers match across languages, and with
the passages' latent terms (``latent.py``), which match what is meant across languages."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ..encoder.multilingual import LatentTerms
from ..stemming import language_tokens
from .loaded import LoadedIndex
from .multilingual import MultilingualIndex
from .search import Hit, hits_in_order
from .terms import PassageSet, Terms


@dataclass(frozen=True)
class MultilingualWeights:
    """Weights of the fused score across languages. The dense channels carry it (BM25 shares
    few words across languages: names, numbers); measured on XQuAD's English paragraphs with
    the shared languages' questions (docs/quality.md)."""

    passage_dense: float = 0.5
    sentence_dense: float = 0.35
    bm25: float = 0.15
    latent: float = 0.2
    # Passages scored by every channel: the nearest by e5, by latent terms and the best by
    # BM25, this many each.
    pool: int = 40


def search_multilingual(
    index: LoadedIndex,
    second: MultilingualIndex,
    question: str,
    language: str,
    query_vector: np.ndarray,
    query_terms: LatentTerms,
    k: int = 10,
    weights: MultilingualWeights | None = None,
    documents: Collection[str] | None = None,
) -> list[Hit]:
    """Rank the passages of ``index`` (a version or a view of it) for ``question``.

    Args:
        index: the loaded version, or a view of some of its documents.
        second: that version's second phase.
        question: the question as asked (for BM25).
        language: the question's language (its words are stemmed in it and in the languages
            of the documents asked).
        query_vector: the question's multilingual-e5 vector (query side).
        query_terms: the question's latent terms.
        k: how many hits to return.
        weights: fusion weights.
        documents: when given, only passages of these documents are ranked (the statistics
            stay the view's).
    """
    weights = weights or MultilingualWeights()
    seen = index.passage_rows(None)
    seen = np.arange(len(index.passages)) if seen is None else seen
    rows = seen if documents is None else index.passage_rows(documents)
    if rows is None or not len(rows):
        return []
    mask = np.zeros(len(index.passages), dtype=bool)
    mask[seen] = True
    languages = [language, *sorted(second.document_languages(index.documents))]
    tokens = language_tokens(question, languages)
    within = second.terms.subset(mask)
    bm25 = second.terms.scores(tokens, within)
    # Each channel scores every passage asked once; the pool's candidates read theirs back.
    dense_of = np.zeros(len(index.passages), dtype=np.float32)  # by passage id
    dense_of[rows] = second.passages.scores(query_vector, rows)
    pool = min(weights.pool, len(rows))
    nearest = rows[np.argpartition(-dense_of[rows], pool - 1)[:pool]]
    best_bm25 = rows[np.argpartition(-bm25[rows], pool - 1)[:pool]]
    latent_of = np.zeros(len(index.passages), dtype=np.float32)  # by passage id
    latent_of[rows] = second.latent.scores(query_terms, rows)
    closest = rows[np.argpartition(-latent_of[rows], pool - 1)[:pool]]
    candidates = np.asarray(
        list(
            dict.fromkeys(
                [
                    *nearest.tolist(),
                    *closest.tolist(),
                    *best_bm25[bm25[best_bm25] > 0].tolist(),
                ]
            )
        )
    )
    dense = dense_of[candidates]
    spans = [index.passages[p].sentence_ids for p in candidates]
    flat = np.asarray([sid for span in spans for sid in span])
    starts = np.cumsum([0] + [len(span) for span in spans[:-1]])
    sentence_best = np.maximum.reduceat(second.sentences.scores(query_vector, flat), starts)
    bm25_norm = bm25[candidates] / _ceiling(second.terms, tokens, within)
    latent = latent_of[candidates]
    fused = (
        weights.passage_dense * dense
        + weights.sentence_dense * sentence_best
        + weights.bm25 * bm25_norm
        + weights.latent * latent
    )
    order = np.lexsort((candidates, -fused))[:k]  # ties broken by passage id
    return hits_in_order(order, candidates, fused, dense, sentence_best, bm25, bm25_norm, latent)


def _ceiling(terms: Terms, tokens: Sequence[str], within: PassageSet) -> float:
    """The most BM25 could give ``tokens``: each one's IDF, as if every word of the question
    were found (a word no passage holds counts as the rarest). Dividing by it rather than by
    the best passage's score keeps a question that shares only "the" and "of" with a
    document in another language from scoring that document's best passage 1."""
    total = 0.0
    for token in tokens:
        df = terms.frequency(token, within)
        total += math.log(1 + (within.count - df + 0.5) / (df + 0.5))
    return max(total, 1e-9)
