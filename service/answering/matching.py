"""Word matching: how much of a question's wording a sentence holds, weighted by rarity, by
stem and by word family ("European" meets "Europe")."""

from __future__ import annotations

import numpy as np

from index import LoadedIndex
from index.text import QUERY_FILLER, content_terms, stem


def weighted_stems(index: LoadedIndex, query: str, core: str) -> dict[str, float]:
    """Query stems weighted by rarity in the corpus: rare words say more about what is asked.
    Words outside the asking clause (carried from earlier turns, a long preamble) count half."""
    weights: dict[str, float] = {}
    n = max(index.passage_count, 1)
    own = {stem(t) for t in content_terms(core)}
    for term in content_terms(query):
        if term in QUERY_FILLER:
            continue
        key = stem(term)
        idf = float(np.log(1 + n / (1 + index.document_frequency(term))))
        weights[key] = idf * (1.0 if key in own or not own else 0.5)
    return weights


def overlap_share(
    query_stems: dict[str, float],
    present: frozenset[str],
    families: dict[str, frozenset[str]] | None = None,
) -> float:
    """The rarity-weighted share of query stems present (or one of their word family).

    ``families`` (from :func:`stem_families`) holds each query stem's family among the words
    of all candidates, found once per question instead of once per sentence.
    """
    total = sum(query_stems.values())
    if total <= 0:
        return 0.0
    if families is None:
        families = stem_families(query_stems, present)
    found = sum(w for s, w in query_stems.items() if s in present or families[s] & present)
    return found / total


def stem_families(
    query_stems: dict[str, float], words: frozenset[str]
) -> dict[str, frozenset[str]]:
    """For each query stem, the words of ``words`` in its family ("europ" and "european"):
    the words it begins and the words that begin it (:func:`same_family`), found by looking
    up prefixes rather than by comparing every pair."""
    beginning: dict[str, list[str]] = {}
    for word in words:
        for end in range(5, len(word) + 1):  # shorter words have no family
            beginning.setdefault(word[:end], []).append(word)
    families: dict[str, frozenset[str]] = {}
    for s in query_stems:
        if len(s) < 5:
            families[s] = frozenset()
            continue
        begun_by = [s[:end] for end in range(5, len(s) + 1) if s[:end] in words]
        families[s] = frozenset(beginning.get(s, ())).union(begun_by)
    return families


def best_context_similarity(
    index: LoadedIndex, contexts: list[list[int]], query_vector: np.ndarray
) -> np.ndarray:
    """Each context's best sentence similarity to the query: one product over the sentences
    of all contexts (the vectors are float16; widening them once costs less than once per
    context)."""
    every = sorted({s for ctx in contexts for s in ctx})
    similarity = dict(
        zip(every, (index.sentence_vectors[every] @ query_vector).tolist(), strict=True)
    )
    return np.array([max(similarity[s] for s in ctx) for ctx in contexts])
