"""Hybrid passage search: dense (FAISS), sentence-level dense and BM25, fused by weighted scores."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .dense import top_ids
from .loaded import LoadedIndex

MODES = ("hybrid", "dense", "bm25")
# How much deeper the candidate pool goes when a question names some documents: they are
# searched alone, and a deeper pool within them costs little.
SCOPED_POOL_FACTOR = 10


@dataclass(frozen=True)
class SearchWeights:
    """Weights of the fused score; chosen by measurement on the dev set (docs/quality.md)."""

    passage_dense: float = 0.45
    sentence_dense: float = 0.35
    bm25: float = 0.20
    pool: int = 40


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with the signals that ranked it."""

    passage_id: int
    score: float
    dense: float
    sentence_dense: float
    bm25: float
    bm25_normalized: float
    # The cosine of the question's and the passage's latent terms (the multilingual search
    # only; 0 where it was not asked: the English search has no such channel).
    latent: float = 0.0


def search(
    index: LoadedIndex,
    query: str,
    query_vector: np.ndarray,
    k: int = 10,
    mode: str = "hybrid",
    weights: SearchWeights | None = None,
    documents: Collection[str] | None = None,
    within: Collection[int] | None = None,
) -> list[Hit]:
    """Rank passages for ``query``, as if ``index`` held only the documents its view sees:
    candidates come from them alone, and BM25 is normalised by their best score.

    Args:
        index: the loaded index version, or a view of some of its documents
            (:meth:`LoadedIndex.within`).
        query: the query text (for BM25).
        query_vector: its normalised embedding (for dense search).
        k: how many hits to return.
        mode: ``hybrid`` (all signals fused), ``dense`` or ``bm25`` alone (for ablations).
        weights: fusion weights.
        documents: when given, only passages of these document ids (of the view) are ranked;
            the statistics stay the view's.
        within: when given, exactly these passages are ranked (all of them, however far from
            the query: the sections a question names, the one a conversation is in).
    """
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    weights = weights or SearchWeights()
    if not index.passage_count:
        return []
    bm25 = index.bm25_scores(query)
    if within is not None:
        candidates = list(dict.fromkeys(within))
    else:
        rows = index.passage_rows(documents)
        pool = weights.pool if documents is None else weights.pool * SCOPED_POOL_FACTOR
        _, dense_ids = index.dense_search(query_vector, pool, rows)
        bm25_ids = top_ids(bm25, pool) if rows is None else rows[top_ids(bm25[rows], pool)]
        candidates = list(
            dict.fromkeys([*dense_ids.tolist(), *bm25_ids[bm25[bm25_ids] > 0].tolist()])
        )
    seen = index.documents if documents is None else set(documents) & set(index.documents)
    candidates = [c for c in candidates if index.passages[c].document_id in seen]
    if not candidates:
        return []
    dense = index.passage_vectors[candidates] @ query_vector
    # The best single sentence of each candidate: one matrix product, then a max per passage.
    spans = [index.passages[p].sentence_ids for p in candidates]
    flat = [sid for span in spans for sid in span]
    starts = np.cumsum([0] + [len(span) for span in spans[:-1]])
    sentence_best = np.maximum.reduceat(index.sentence_vectors[flat] @ query_vector, starts)
    bm25_top = float(bm25.max()) if bm25.size else 0.0
    bm25_norm = bm25[candidates] / bm25_top if bm25_top > 0 else np.zeros(len(candidates))
    if mode == "dense":
        fused = dense
    elif mode == "bm25":
        fused = bm25_norm
    else:
        fused = (
            weights.passage_dense * dense
            + weights.sentence_dense * sentence_best
            + weights.bm25 * bm25_norm
        )
    order = np.argsort(-fused, kind="stable")[:k]
    return hits_in_order(order, candidates, fused, dense, sentence_best, bm25, bm25_norm)


def hits_in_order(
    order: np.ndarray,
    candidates: Sequence[int] | np.ndarray,
    fused: np.ndarray,
    dense: np.ndarray,
    sentence_best: np.ndarray,
    bm25: np.ndarray,
    bm25_norm: np.ndarray,
    latent: np.ndarray | None = None,
) -> list[Hit]:
    """The hits at positions ``order`` of the candidate arrays (``bm25`` is indexed by passage
    id, the others by candidate position), as both channels' searches return them."""
    return [
        Hit(
            passage_id=int(candidates[i]),
            score=float(fused[i]),
            dense=float(dense[i]),
            sentence_dense=float(sentence_best[i]),
            bm25=float(bm25[candidates[i]]),
            bm25_normalized=float(bm25_norm[i]),
            latent=float(latent[i]) if latent is not None else 0.0,
        )
        for i in order
    ]
