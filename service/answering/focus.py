"""Where a question points: the sections it names ("What does section 10.1 say?") and, in a
follow-up, the section the conversation is in. Their best passages join the hits — even when
the search alone did not reach them among hundreds of look-alike subsections. A named section
leads (the user said so); the previous section's passages are read for candidates wherever
they rank, and the model weighs them by the structure features (``in_previous_section``,
``was_quoted``, ``near_previous`` in ``candidates.py``): how much a conversation stays where
it was is learned, not a hand-set nudge."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from index import Hit, LoadedIndex, SearchWeights, search
from index.structure import SectionKey

from .question import QuestionFacts
from .tunables import NAMED_SECTION_BOOST, SECTION_PASSAGES


def previous_sections(index: LoadedIndex, quoted: set[int]) -> set[SectionKey]:
    """The sections the previous answer quoted."""
    structure = index.structure
    return {structure.key(index.sentences[sid]) for sid in quoted}


def focus(
    index: LoadedIndex,
    hits: list[Hit],
    facts: QuestionFacts,
    query_vector: np.ndarray,
    quoted: set[int],
    weights: SearchWeights,
    documents: Collection[str] | None = None,
) -> list[Hit]:
    """``hits`` with the best passages of the named and the previous sections added, and
    every passage of a named section nudged up to lead."""
    structure = index.structure
    named = set(structure.sections_numbered(list(facts.sections_asked)))
    # A question that names a section moves the conversation there.
    previous = set() if named else previous_sections(index, quoted)
    if documents is not None:
        allowed = set(documents)
        named = {k for k in named if k[0] in allowed}
        previous = {k for k in previous if k[0] in allowed}
    if not named and not previous:
        return hits
    found = {h.passage_id: h for h in hits}
    for keys in (named, previous):
        within = [pid for key in keys for pid in structure.passages.get(key, [])]
        extra = search(
            index, facts.query, query_vector, SECTION_PASSAGES, "hybrid", weights, None, within
        )
        for hit in extra:
            found.setdefault(hit.passage_id, hit)
    return sorted((_nudged(index, h, named) for h in found.values()), key=lambda h: -h.score)


def _nudged(index: LoadedIndex, hit: Hit, named: set[SectionKey]) -> Hit:
    if index.structure.key(index.passages[hit.passage_id]) not in named:
        return hit
    boost = NAMED_SECTION_BOOST
    return Hit(
        hit.passage_id,
        hit.score + boost,
        hit.dense,
        hit.sentence_dense,
        hit.bm25,
        hit.bm25_normalized,
    )
