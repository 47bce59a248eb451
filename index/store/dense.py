"""The passages nearest to a query vector, among all of the index or among some of them only
(the passages a reader may read, issue #31): candidates are drawn from those passages alone, so
a passage outside them never takes a place in the pool.

- Exact: one product of the query with the vectors of the passages asked about. numpy's einsum
  rather than BLAS: BLAS's matrix-vector product gives a row a slightly different float
  depending on where it sits in the matrix, einsum gives each row the same whatever else is
  there — so a passage's score is the same in an index with other documents and without them.
  It is also no slower here (200,000 x 384 on 2 cores, one thread: 64 ms against BLAS's 100).
- HNSW (an index above ``EXACT_SEARCH_LIMIT`` passages): the whole index's graph, restricted by
  FAISS's ID selector when only some passages are asked about and they are too many to score
  exactly; few enough (``EXACT_SEARCH_LIMIT`` or less) are scored exactly, as an index of them
  alone would be.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

# Exact search is fastest and best below this many passages; above it HNSW keeps queries fast.
EXACT_SEARCH_LIMIT = 50_000
# How far the HNSW walk looks (FAISS's efSearch); a selector that passes few passages needs a
# longer walk to find as many neighbours.
HNSW_SEARCH_DEPTH = 64
MAX_SEARCH_DEPTH = 1024


def exact_scores(vectors: np.ndarray, rows: np.ndarray | None, query: np.ndarray) -> np.ndarray:
    """The inner product of ``query`` with each vector of ``rows`` (every vector: None), each
    the same float wherever its row sits."""
    query = query.astype(np.float32)
    if rows is None:
        return np.einsum("ij,j->i", vectors, query)
    if len(rows) > len(vectors) // 2:  # most of them: one pass over all beats copying rows
        return np.einsum("ij,j->i", vectors, query)[rows]
    return np.einsum("ij,j->i", vectors[rows], query)


def nearest(
    vectors: np.ndarray,
    graph: Any,
    query: np.ndarray,
    k: int,
    rows: np.ndarray | None = None,
    selector: np.ndarray | None = None,
    exact_up_to: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(scores, passage ids) of the ``k`` passages nearest to ``query``, best first.

    Args:
        vectors: every passage vector, in passage order.
        graph: the HNSW index over them, or None when the index searches exactly.
        query: the normalised query vector.
        k: how many.
        rows: the passages to search among, ascending (None: all).
        selector: ``rows`` as a bitmap (numpy's ``packbits``, little bit order) for FAISS.
        exact_up_to: search ``rows`` exactly when they are no more (default
            ``EXACT_SEARCH_LIMIT``; benchmarks time the other way with 0).
    """
    total = len(vectors) if rows is None else len(rows)
    k = min(k, total)
    if k <= 0:
        return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
    limit = EXACT_SEARCH_LIMIT if exact_up_to is None else exact_up_to
    if graph is None or (rows is not None and total <= limit):
        scores = exact_scores(vectors, rows, query)
        top = top_ids(scores, k)
        return scores[top], (top if rows is None else rows[top])
    params = None
    if rows is not None:
        bitmap = selector if selector is not None else selector_bitmap(_mask(rows, len(vectors)))
        chosen = faiss.IDSelectorBitmap(len(vectors), faiss.swig_ptr(bitmap))
        depth = min(MAX_SEARCH_DEPTH, int(HNSW_SEARCH_DEPTH * len(vectors) / total))
        # In FAISS's Python module, missing from its type stubs.
        params = faiss.SearchParametersHNSW(sel=chosen, efSearch=depth)  # type: ignore[attr-defined]
    found, ids = graph.search(query.reshape(1, -1).astype(np.float32), k, params=params)
    keep = ids[0] >= 0
    return found[0][keep], ids[0][keep]


def _mask(rows: np.ndarray, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def selector_bitmap(mask: np.ndarray) -> np.ndarray:
    """A passage mask as FAISS's ID selector reads it (bit i of byte i // 8, lowest first)."""
    return np.packbits(mask, bitorder="little")


def top_ids(scores: np.ndarray, n: int) -> np.ndarray:
    """Ids of the ``n`` highest scores, best first, equal scores in id order (as a stable full
    sort would give): a partition, then a sort of those ``n`` only (sorting all 100,000 BM25
    scores cost milliseconds a question). Ties are broken by id, never by where the partition
    left them, so the same scores give the same ids whatever else the array holds."""
    if n <= 0 or not len(scores):
        return np.zeros(0, dtype=np.int64)
    if len(scores) <= 4 * n:
        return np.argsort(-scores, kind="stable")[:n]
    threshold = scores[np.argpartition(-scores, n - 1)[:n]].min()
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: n - len(above)]
    top = np.concatenate([above, tied])
    return top[np.argsort(-scores[top], kind="stable")]
