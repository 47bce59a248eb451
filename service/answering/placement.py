"""Where a candidate sentence sits (issue #24): how much of the question its heading path
holds, whether its section is the one the question names or the one the conversation is in,
and its block's kind — features the decision model reads; and the section a broad question
asks for by its title.

Measured and left out: how structured the candidate's document is, as its count of sections
(held out, SQuAD 0.788 -> 0.793 but the briefing 0.871 -> 0.837: a count sets each corpus apart
by its size, and a new corpus's count is one the trees never saw) or as the share of numbered
sections (SQuAD 0.786, briefing 0.860).
"""

from __future__ import annotations

import numpy as np

from index import Hit, LoadedIndex
from index.structure import number_match
from index.text import content_terms, stem

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


def named_section_opening(index: LoadedIndex, facts: QuestionFacts, hits: list[Hit]) -> list[int]:
    """The opening sentences of the section whose title says, word for word, what the
    question asks ("What are my choices?" of a section "Your choices"), in the best passage's
    document: a broad question is answered by the section named for it, as a question asking
    for a section's gist is (issue #33: such questions were refused as "not clear"). Only an
    exact match of their content words: a question that asks more than the title ("Do you
    sell my data?" of "Your data") is left to the model."""
    asked = {stem(t) for t in content_terms(facts.question)}
    if not asked or not hits:
        return []
    document = index.documents[index.passages[hits[0].passage_id].document_id]
    wanted = next(
        (
            s.title
            for s in document.sections
            if s.title and s.end > s.start and {stem(t) for t in content_terms(s.title)} == asked
        ),
        None,
    )
    if wanted is None:
        return []
    opening = [
        sid
        for sid, sentence in enumerate(index.sentences)
        if sentence.document_id == document.id and sentence.section == wanted
    ]
    return opening[:3]


def overview_sentences(index: LoadedIndex, facts: QuestionFacts, hits: list[Hit]) -> list[int]:
    """For a question asking for the gist: the opening sentences of the section it names, by
    number ("what does section 10.1 say?") or by its words ("summarise the press freedom
    section"), else of the document the best passage is in."""
    document_id = index.passages[hits[0].passage_id].document_id
    # Only sections of the documents the hits come from: the hits are within the question's
    # scope, and a section of another document must never be quoted.
    searched = {index.passages[h.passage_id].document_id for h in hits}
    numbered = [
        k for k in index.structure.sections_numbered(list(facts.sections_asked)) if k[0] in searched
    ]
    if numbered:  # "What does section 10.1 say?"
        document_id, title = next((k for k in numbered if k[0] == document_id), numbered[0])
        wanted: str | None = title
    else:
        asked = {stem(t) for t in content_terms(facts.question)}
        sections = [
            s
            for s in index.documents[document_id].sections
            if s.title and {stem(t) for t in content_terms(s.title)} <= asked and s.end > s.start
        ]
        wanted = sections[0].title if sections else None
    opening = [
        sid
        for sid, sentence in enumerate(index.sentences)
        if sentence.document_id == document_id
        and (sentence.section == wanted if wanted else _opens_its_region(index, sid))
    ]
    return opening[:3]


def _opens_its_region(index: LoadedIndex, sentence_id: int) -> bool:
    """The sentence belongs to its document's opening summary (before the first heading)."""
    sentence = index.sentences[sentence_id]
    return sentence.section in ("", index.documents[sentence.document_id].title)
