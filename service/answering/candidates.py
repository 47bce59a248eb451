"""Candidate answer sentences and their features: what the decision model reads.

The sentences of the top passages (and, for a question asking for the gist, the opening
sentences of the document or the section it names) each get a row of features that the
pipeline already computes — similarity to the question, word overlap, retrieval scores, the
kind of answer asked for, the years and names it pins down, margins to the runner-up — plus a
few facts about the question itself, the same on every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index import Hit, LoadedIndex
from index.structure import SectionKey
from index.text import QUERY_FILLER, content_terms, stem

from .answer_types import REQUIRED_TYPES, has_answer_type
from .constraints import (
    constraint_mismatch,
    constraint_share,
    context_ids,
    names_by_sentence,
    names_in_context,
    ordinals_in_terms,
)
from .focus import previous_sections
from .matching import best_context_similarity, overlap_share, stem_families, weighted_stems
from .placement import named_section_opening, overview_sentences, placement_columns
from .precedents import COLUMNS as PRECEDENT_COLUMNS
from .precedents import Recalled, precedent_columns
from .question import QuestionFacts, is_negation, opens_by_referring
from .tunables import (
    ANSWER_TYPE_WEIGHT,
    CONSTRAINT_WEIGHT,
    OVERLAP_WEIGHT,
    OVERVIEW_WEIGHT,
    PASSAGE_WEIGHT,
    PASSAGES_FOR_SENTENCES,
    SECTION_PASSAGES,
)

_TYPE_CODES = {None: 0, "date": 1, "count": 2, "percentage": 3, "number": 4, "duration": 5}
FEATURES = (
    "similarity",
    "similarity_own",
    "similarity_context",
    "overlap",
    "overlap_context",
    "support_own",
    "passage_score",
    "passage_relative",
    "passage_rank",
    "passage_bm25",
    "passage_dense",
    "typed",
    "type_required_missing",
    "type_expected",
    "constraint_share",
    "constraint_mismatch",
    "names_missing",
    "referring",
    "negation_match",
    "overview_lead",
    "near_previous",
    "continues_previous",
    "repeated",
    # A follow-up's candidate that the previous answer quoted ("why?" is answered next to the
    # quote, "say more" by it): "near_previous" alone cannot tell the quote from its neighbour.
    "was_quoted",
    "chars",
    "hand_score",
    "hand_rank",
    "hand_margin",
    "similarity_rank",
    "similarity_margin",
    "top_score",
    "top_dense",
    "top_bm25",
    "question_terms",
    "unknown_share",
    "strangers",
    "follow_up",
    # Structure (issue #24): where the candidate sits.
    "heading_overlap",
    "section_number_match",
    "in_previous_section",
    "block_kind",
    # What answered the nearest questions in other documents (precedents.py).
    *PRECEDENT_COLUMNS,
)
# What the answer-or-refuse classifier and the confidence model read: all but the precedents,
# which only the ranker reads (which sentence to quote). Read by the classifier, they told
# the training sets apart (near precedents are PolicyQA's alone) and it learned to refuse more
# wherever none is near: held out, the briefing's false refusals went 0.028 -> 0.067-0.079.
# Nor does the classifier see the candidates a precedent added (``by_precedent``): trained on
# them, it answered more of the questions no document answers (off-topic refusals held out
# 0.952 -> 0.885). So whether to answer is decided as before; precedents pick what to quote.
DECISION_FEATURES = tuple(f for f in FEATURES if f not in PRECEDENT_COLUMNS)
DECISION_COLUMNS = np.array([FEATURES.index(f) for f in DECISION_FEATURES])
BY_PRECEDENT = FEATURES.index("by_precedent")


@dataclass
class Candidates:
    """The candidate sentences of one question, best hand score first."""

    sentence_ids: list[int]
    features: np.ndarray
    hand_score: np.ndarray
    hits: list[Hit]
    query_stems: dict[str, float]

    def column(self, name: str) -> np.ndarray:
        """One feature for every candidate."""
        return self.features[:, FEATURES.index(name)]


def gather_candidates(
    index: LoadedIndex,
    facts: QuestionFacts,
    hits: list[Hit],
    query_vector: np.ndarray,
    question_vector: np.ndarray,
    previous_quotes: set[int],
    recalled: Recalled | None = None,
    precedent_hits: Sequence[tuple[int, Hit]] = (),
) -> Candidates:
    """The sentences that could answer, with one row of :data:`FEATURES` each.

    ``recalled`` is what answered the nearest earlier questions elsewhere, and
    ``precedent_hits`` (rank, hit) the later passages most like it (``precedents.py``)."""
    staying = previous_sections(index, previous_quotes)
    passage_score, passage_rank, passage_hit = _sentences_of_top_passages(index, hits, staying)
    added = set()
    for rank, hit in precedent_hits:
        for sid in index.passages[hit.passage_id].sentence_ids:
            if sid not in passage_score:
                passage_score[sid], passage_rank[sid], passage_hit[sid] = hit.score, rank, hit
                added.add(sid)
    if facts.overview:
        opening = overview_sentences(index, facts, hits)
    else:
        opening = named_section_opening(index, facts, hits)
    if opening:
        for sid in opening:
            passage_score.setdefault(sid, hits[0].score)
            passage_rank.setdefault(sid, 0)
            passage_hit.setdefault(sid, hits[0])
    ids = list(passage_score)
    vectors = index.sentence_vectors[ids]
    sim_query, sim_own = vectors @ query_vector, vectors @ question_vector
    similarity = 0.5 * sim_query + 0.5 * sim_own
    query_stems = weighted_stems(index, facts.query, facts.core)
    own_stems = weighted_stems(index, facts.own_words, facts.core)
    texts = [index.sentences[s].text for s in ids]
    contexts = [context_ids(index, s) for s in ids]
    context_stems = [frozenset().union(*(index.sentence_stems(c) for c in ctx)) for ctx in contexts]
    every_word = frozenset().union(*context_stems)
    families = stem_families({**query_stems, **own_stems}, every_word)
    overlap = np.array([overlap_share(query_stems, index.sentence_stems(s), families) for s in ids])
    typed = np.array(
        [
            facts.expected is not None and has_answer_type(facts.expected, t, facts.question)
            for t in texts
        ]
    )
    names = names_by_sentence(index, [list(n) for n in facts.names], ids)
    searched = dict.fromkeys(index.passages[h.passage_id].document_id for h in hits)
    terms = ordinals_in_terms(facts.question, [index.documents[d].text for d in searched])
    constrained = constraint_share(index, facts.asked_years, ids, names)
    overview = np.array([s in opening for s in ids])
    best_hit = hits[0].score
    relative = np.array([passage_score[s] - best_hit for s in ids])
    hand = (
        similarity
        + OVERLAP_WEIGHT * overlap
        + PASSAGE_WEIGHT * relative
        + ANSWER_TYPE_WEIGHT * typed
        + CONSTRAINT_WEIGHT * constrained
        + OVERVIEW_WEIGHT * overview
    )
    next_quote = max(previous_quotes) + 1 if previous_quotes else -1
    context_similarity = best_context_similarity(index, contexts, query_vector)
    unknown, question_terms = _unknown_share(index, facts)
    columns = {
        "similarity": similarity,
        "similarity_own": sim_own,
        "similarity_context": context_similarity,
        "overlap": overlap,
        "overlap_context": np.array(
            [overlap_share(query_stems, c, families) for c in context_stems]
        ),
        "support_own": np.array([overlap_share(own_stems, c, families) for c in context_stems]),
        "passage_score": np.array([passage_score[s] for s in ids]),
        "passage_relative": relative,
        "passage_rank": np.array([passage_rank[s] for s in ids]),
        "passage_bm25": np.array([passage_hit[s].bm25_normalized for s in ids]),
        "passage_dense": np.array([passage_hit[s].dense for s in ids]),
        "typed": typed,
        "type_required_missing": np.array(
            [facts.expected in REQUIRED_TYPES and not t for t in typed]
        ),
        "type_expected": np.full(len(ids), _TYPE_CODES.get(facts.expected, 6)),
        "constraint_share": constrained,
        "constraint_mismatch": np.array(
            [
                constraint_mismatch(facts.question, t, _context_text(index, ctx), terms)
                for t, ctx in zip(texts, contexts, strict=True)
            ]
        ),
        "names_missing": np.array(
            [sum(not ok for ok in names_in_context(names, ctx)) for ctx in contexts]
        ),
        "referring": np.array([opens_by_referring(t) for t in texts]),
        "negation_match": np.array([facts.negated and is_negation(t) for t in texts]),
        "overview_lead": overview,
        "near_previous": np.array(
            [any(_neighbours(index, s, p) for p in previous_quotes) for s in ids]
        ),
        "continues_previous": np.array(
            [s == next_quote and _neighbours(index, s, next_quote - 1) for s in ids]
        ),
        "repeated": np.array([facts.asks_more and s in previous_quotes for s in ids]),
        "was_quoted": np.array([s in previous_quotes for s in ids]),
        "chars": np.array([len(t) for t in texts]),
        "hand_score": hand,
        "hand_rank": _ranks(hand),
        "hand_margin": hand - hand.max(),
        "similarity_rank": _ranks(similarity),
        "similarity_margin": similarity - similarity.max(),
        "top_score": np.full(len(ids), best_hit),
        "top_dense": np.full(len(ids), hits[0].dense),
        "top_bm25": np.full(len(ids), hits[0].bm25),
        "question_terms": np.full(len(ids), question_terms),
        "unknown_share": np.full(len(ids), unknown),
        "strangers": np.full(len(ids), len(facts.strangers)),
        "follow_up": np.full(len(ids), facts.standalone != facts.question),
        **placement_columns(index, ids, facts, query_stems, families, previous_quotes),
        **precedent_columns(index, ids, recalled, added),
    }
    features = np.column_stack([np.asarray(columns[f], dtype=np.float64) for f in FEATURES])
    order = np.argsort(-hand, kind="stable")
    return Candidates([ids[i] for i in order], features[order], hand[order], hits, query_stems)


def _sentences_of_top_passages(
    index: LoadedIndex, hits: list[Hit], staying: set[SectionKey]
) -> tuple[dict[int, float], dict[int, int], dict[int, Hit]]:
    """The sentences of the first passages, and of the conversation's section's best ones
    wherever they rank (with their rank, for the model to weigh)."""
    score: dict[int, float] = {}
    rank: dict[int, int] = {}
    best: dict[int, Hit] = {}
    from_section = 0
    for position, hit in enumerate(hits):
        if position >= PASSAGES_FOR_SENTENCES:
            in_section = index.structure.key(index.passages[hit.passage_id]) in staying
            if not in_section or from_section >= SECTION_PASSAGES:
                continue
            from_section += 1
        for sid in index.passages[hit.passage_id].sentence_ids:
            if sid not in score:
                score[sid], rank[sid], best[sid] = hit.score, position, hit
    return score, rank, best


def _unknown_share(index: LoadedIndex, facts: QuestionFacts) -> tuple[float, int]:
    """The share of the question's topical words the corpus never uses in any form, and how
    many topical words it has."""
    terms = [t for t in content_terms(facts.own_words) if t not in QUERY_FILLER]
    if not terms:
        return 0.0, 0
    unknown = [
        t
        for t in terms
        if index.document_frequency(t) == 0 and index.document_frequency(stem(t)) == 0
    ]
    return len(unknown) / len(terms), len(terms)


def _neighbours(index: LoadedIndex, a: int, b: int) -> bool:
    """The sentences are the same or side by side in one document (the sentence after a
    document's last is another document's, whichever the index happens to hold there)."""
    return abs(a - b) <= 1 and index.sentences[a].document_id == index.sentences[b].document_id


def _ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    return ranks


def _context_text(index: LoadedIndex, ids: list[int]) -> str:
    return " ".join(index.sentences[i].text for i in ids)
