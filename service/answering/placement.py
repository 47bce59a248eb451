"""Where a candidate sentence sits (issue #24): how much of the question its heading path
holds, whether its section is the one the question names or the one the conversation is in,
and its block's kind — features the decision model reads.

Measured and left out: how structured the candidate's document is, as its count of sections
(held out, SQuAD 0.788 -> 0.793 but the briefing 0.871 -> 0.837: a count sets each corpus apart
by its size, and a new corpus's count is one the trees never saw) or as the share of numbered
sections (SQuAD 0.786, briefing 0.860).
"""

from __future__ import annotations

import numpy as np

from index import LoadedIndex
from index.structure import number_match

from .matching import overlap_share
from .question import QuestionFacts

# Block kinds as numbers for the model (the document model's kinds, index/model.py).
_KIND_CODES = {
    "paragraph": 0,
    "list_item": 1,
    "table_row": 2,
    "footnote": 3,
    "code": 4,
    "caption": 5,
}


def placement_columns(
    index: LoadedIndex,
    ids: list[int],
    facts: QuestionFacts,
    query_stems: dict[str, float],
    families: dict[str, frozenset[str]],
    previous_quotes: set[int],
) -> dict[str, np.ndarray]:
    """Where each candidate sits: how much of the question its heading path holds, whether
    its section is the one the question names or the conversation is in, its block's kind."""
    structure = index.structure
    keys = [structure.key(index.sentences[s]) for s in ids]
    asked = list(facts.sections_asked)
    previous = {structure.key(index.sentences[s]) for s in previous_quotes}
    return {
        "heading_overlap": np.array(
            [
                overlap_share(query_stems, structure.heading_stems.get(k, frozenset()), families)
                for k in keys
            ]
        ),
        "section_number_match": np.array([number_match(structure.number(k), asked) for k in keys]),
        "in_previous_section": np.array([k in previous for k in keys]),
        "block_kind": np.array([_KIND_CODES.get(index.sentences[s].kind, 0) for s in ids]),
    }
