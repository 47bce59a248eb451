"""From a question (and the conversation so far) to a quoted, cited answer — or an honest "no".

The answerer is extractive: it never writes a sentence of its own. It folds the conversation into
a standalone query, ranks passages (hybrid search), picks the sentences that answer, numbers the
citations in order of first use, and abstains when the evidence does not clear the bar.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

from index import Embedder, Hit, LoadedIndex, SearchWeights, search
from index.acronyms import expand_acronyms
from index.text import QUERY_FILLER, content_terms, in_family, stem

from .abstention import (
    AbstentionPolicy,
    Evidence,
    judge,
    names_present,
    telling_names,
    years,
)
from .answer_types import asks_for_overview, expected_answer_type, has_answer_type

NOT_IN_CORPUS = (
    "The briefing does not answer this. Nothing in the indexed documents states it, "
    "so I won't guess."
)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of the conversation."""

    question: str
    answer: str = ""


@dataclass
class Citation:
    """A cited passage; ``highlights`` are offsets of the quoted sentences inside ``text``."""

    n: int
    document_id: str
    document_title: str
    section: str
    text: str
    start: int
    end: int
    page: int | None
    score: float
    highlights: list[tuple[int, int]]
    url: str


@dataclass
class RelatedSection:
    """A section that touches the question's topic, offered when the answer is "not covered"."""

    document_id: str
    document_title: str
    section: str
    url: str


@dataclass
class Answer:
    """The answerer's result; the API serialises it as the /ask response."""

    question: str
    standalone_question: str
    answered: bool
    answer: str
    citations: list[Citation]
    index_version: str
    took_ms: float
    related: list[RelatedSection] = field(default_factory=list)
    signals: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerOptions:
    """Knobs of answer extraction; defaults chosen on the dev set (README, Quality)."""

    passages_for_sentences: int = 4
    overlap_weight: float = 0.35
    passage_weight: float = 0.25
    max_answer_chars: int = 300
    second_sentence_margin: float = 0.06
    fragment_chars: int = 70
    answer_type_weight: float = 0.08
    referring_penalty: float = 0.04
    locality_weight: float = 0.06
    continuation_weight: float = 0.06
    repeat_penalty: float = 0.12
    constraint_weight: float = 0.5
    polarity_weight: float = 0.06
    overview_weight: float = 0.3


_FOLLOW_UP_OPENERS = re.compile(
    r"^(and|but|also|so|then|what about|how about|why|how come|what else|anything else|"
    r"which one|who else|when|where)\b",
    re.IGNORECASE,
)
_REFERRING_WORDS = frozenset(
    """he she it they them him her his hers its their theirs this that these those there then
    one ones such former latter same afterwards afterward later earlier meanwhile beforehand
    anyone anybody""".split()
)
_MARKER = re.compile(r"\s*\[\d+\]")
# How much an asked year or name counts when it is in the sentence's neighbour, not in it.
_NEIGHBOUR_CREDIT = 0.9
_NEGATION = re.compile(
    r"\b(not|no|never|none|without|except|exception|lack|lacks|neither|nor|fail|failed|"
    r"refuse|refused|deny|denied)\b|n't\b",
    re.IGNORECASE,
)
_MORE = re.compile(r"\b(else|other|another|more|further|besides|apart from)\b", re.IGNORECASE)


def _lead_sentences(index: LoadedIndex, document_id: str) -> list[int]:
    """The sentences of a document's opening summary."""
    return [
        sid
        for sid, sentence in enumerate(index.sentences)
        if sentence.document_id == document_id and _in_lead(index, sid)
    ]


def _in_lead(index: LoadedIndex, sentence_id: int) -> bool:
    """The sentence is part of its document's opening summary (before the first heading)."""
    sentence = index.sentences[sentence_id]
    return sentence.section == index.documents[sentence.document_id].title


def asks_for_more(question: str) -> bool:
    """True when a question asks for something beyond what was said ("what else ...?")."""
    return _MORE.search(question) is not None


_CORE_START = re.compile(
    r"(?:^|\s[-\u2013\u2014:;]\s|[,;:]\s)((?:what|which|who|whom|whose|when|where|why|how|is|are|"
    r"was|were|does|do|did|can|could|has|have|will|would|should)\b.*)$",
    re.IGNORECASE,
)


def question_core(question: str) -> str:
    """The asking clause of a long question ("I'm writing a piece on ... - what difficulties do
    women face?" -> "what difficulties do women face?"); short questions are their own core."""
    if len(question.split()) < 15:
        return question
    match = _CORE_START.search(question.strip())
    if match is None or len(match.group(1).split()) < 4:
        return question
    return match.group(1)


def looks_like_follow_up(question: str) -> bool:
    """True when a question leans on what came before (pronouns, ellipsis, "and ...")."""
    words = re.findall(r"[a-z']+", question.lower())
    if not words:
        return True
    if _FOLLOW_UP_OPENERS.match(question.strip()) and len(content_terms(question)) <= 4:
        return True
    if any(w in _REFERRING_WORDS for w in words):
        return True
    topical = [t for t in content_terms(question) if t not in QUERY_FILLER]
    return len(topical) <= 1


def fold_history(question: str, history: Sequence[Turn]) -> str:
    """Turn ``question`` into a standalone query by carrying the topic of earlier turns.

    Earlier questions are folded the same way, oldest first, so a chain of follow-ups keeps
    its topic. Only topic terms are carried; the new question's own words come first.
    """
    standalone_previous = ""
    for turn in history:
        standalone_previous = _fold_one(turn.question, standalone_previous)
    return _fold_one(question, standalone_previous)


def _fold_one(question: str, previous: str) -> str:
    if not previous or not looks_like_follow_up(question):
        return question.strip()
    own = set(content_terms(question))
    carried = [t for t in content_terms(previous) if t not in own and t not in QUERY_FILLER]
    return f"{question.strip()} ({' '.join(carried[:12])})" if carried else question.strip()


class Answerer:
    """Answers questions from whatever index version ``index_source`` returns.

    Args:
        embedder: the embedding model.
        index_source: returns the index version to use; called once per question, so a
            question is answered entirely from one version even if a new one is published.
        policy: when to abstain.
        options: answer extraction knobs.
        weights: retrieval fusion weights.
        cache_size: answers remembered for repeated questions (0: none); keyed by index
            version, so a new version never serves an old answer.
    """

    def __init__(
        self,
        embedder: Embedder,
        index_source: Callable[[], LoadedIndex],
        policy: AbstentionPolicy | None = None,
        options: AnswerOptions | None = None,
        weights: SearchWeights | None = None,
        cache_size: int = 512,
    ) -> None:
        self.embedder = embedder
        self.index_source = index_source
        self.policy = policy or AbstentionPolicy()
        self.options = options or AnswerOptions()
        self.weights = weights or SearchWeights()
        self._word_cache: dict[str, np.ndarray] = {}
        self._cache = _LruCache(cache_size)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int = 3,
        mode: str = "hybrid",
    ) -> Answer:
        """Answer ``question`` in the context of ``history``.

        Args:
            question: the user's question (already validated and cleaned).
            history: earlier turns, oldest first.
            top_k: how many citations to return at most.
            mode: retrieval mode (``hybrid``, ``dense``, ``bm25``), for ablations.
        """
        started = time.perf_counter()
        index = self.index_source()
        key = (index.version, question, tuple(history), top_k, mode)
        cached = self._cache.get(key)
        if cached is not None:
            return dataclasses.replace(cached, took_ms=_elapsed_ms(started))
        answer = self._answer(index, question, history, top_k, mode, started)
        self._cache.put(key, answer)
        return answer

    def _answer(
        self,
        index: LoadedIndex,
        asked: str,
        history: Sequence[Turn],
        top_k: int,
        mode: str,
        started: float,
    ) -> Answer:
        # Names as the corpus spells them ("Nazarbaev" is "Nazarbayev"), here and in history.
        question = index.respell_names(asked)
        history = [Turn(index.respell_names(t.question), t.answer) for t in history]
        standalone = fold_history(question, history)
        # Searched with acronyms spelled out, as the indexed text is ("MEPs" meets "EP").
        query = expand_acronyms(standalone, index.acronyms)
        query_vector = self.embedder.encode_one(query)
        hits = search(index, query, query_vector, k=max(top_k, 10), mode=mode, weights=self.weights)
        hits = _boost_previous_sections(index, hits, history)
        if not hits:
            return self._abstain(index, asked, standalone, [], started, {})

        own_words = expand_acronyms(question.strip(), index.acronyms)
        question_vector = (
            query_vector if query == own_words else self.embedder.encode_one(own_words)
        )
        chosen, runners_up, evidence = self._choose_sentences(
            index,
            hits,
            query,
            question,
            query_vector,
            question_vector,
            previous_quotes=_quoted_sentence_ids(index, history),
        )
        verdict = judge(evidence, self.policy)
        if not verdict.answered:
            return self._abstain(
                index, asked, standalone, hits, started, verdict.signals, verdict.reason
            )
        citations, answer_text = self._cite(index, hits, chosen, runners_up, top_k)
        return Answer(
            question=asked,
            standalone_question=standalone,
            answered=True,
            answer=answer_text,
            citations=citations,
            index_version=index.version,
            took_ms=_elapsed_ms(started),
            signals=verdict.signals,
        )

    # --- sentence selection --------------------------------------------------------------------

    def _choose_sentences(
        self,
        index: LoadedIndex,
        hits: list[Hit],
        standalone: str,
        question: str,
        query_vector: np.ndarray,
        question_vector: np.ndarray,
        previous_quotes: set[int],
    ) -> tuple[list[int], list[int], Evidence]:
        """Pick the answer sentence(s) from the top passages and gather abstention evidence;
        also returns the other candidate sentences, best first."""
        opts = self.options
        top = hits[: opts.passages_for_sentences]
        best_hit = hits[0].score
        passage_score: dict[int, float] = {}
        for hit in top:
            for sid in index.passages[hit.passage_id].sentence_ids:
                passage_score[sid] = max(passage_score.get(sid, -1.0), hit.score)
        overview_question = asks_for_overview(question)
        if overview_question:
            # The opening summary answers "what are the main points?" even when no passage
            # of it ranks high: such a question has few topic words to rank by.
            document = index.passages[hits[0].passage_id].document_id
            for sid in _lead_sentences(index, document):
                passage_score.setdefault(sid, best_hit)
        sentence_ids = list(passage_score)
        vectors = index.sentence_vectors[sentence_ids]
        # The folded query finds the topic; the user's own words say what is asked about it.
        similarity = 0.5 * (vectors @ query_vector) + 0.5 * (vectors @ question_vector)
        query_stems = _weighted_stems(index, standalone, question)
        expected = expected_answer_type(question)
        texts = [index.sentences[s].text for s in sentence_ids]
        overlap = np.array([_overlap(query_stems, index.sentence_stems(s)) for s in sentence_ids])
        relative_passage = np.array([passage_score[s] - best_hit for s in sentence_ids])
        typed = np.array(
            [expected is not None and has_answer_type(expected, t, question) for t in texts]
        )
        referring = np.array([_starts_by_referring(t) for t in texts])
        # "Which treaties has it not ratified?" is answered by "... with the exception of ...".
        question_negated = _NEGATION.search(question) is not None
        negated = np.array([question_negated and _NEGATION.search(t) is not None for t in texts])
        # "What are the main concerns?" is answered by the document's opening summary.
        overview = np.array([overview_question and _in_lead(index, s) for s in sentence_ids])
        # What the question pins down (its years and rare names) should be where the answer is.
        constrained = _constraint_share(index, question, sentence_ids)
        # A follow-up usually asks about what was just quoted or right next to it, and a
        # conversation reads forward: the sentence after the last quote is the likeliest next.
        near_previous = np.array(
            [any(abs(s - p) <= 1 for p in previous_quotes) for s in sentence_ids]
        )
        next_sentence = max(previous_quotes) + 1 if previous_quotes else -1
        continues_previous = np.array([s == next_sentence for s in sentence_ids])
        # "What else ...?" asks for something not yet said.
        more_asked = asks_for_more(question)
        repeated = np.array([more_asked and s in previous_quotes for s in sentence_ids])
        score = (
            similarity
            + opts.overlap_weight * overlap
            + opts.passage_weight * relative_passage
            + opts.answer_type_weight * typed
            - opts.referring_penalty * referring
            + opts.locality_weight * near_previous
            + opts.continuation_weight * continues_previous
            - opts.repeat_penalty * repeated
            + opts.constraint_weight * constrained
            + opts.polarity_weight * negated
            + opts.overview_weight * overview
        )
        order = np.argsort(-score, kind="stable")
        best = sentence_ids[int(order[0])]
        chosen = [best]
        second = self._second_sentence(
            index, best, sentence_ids, score, order, query_stems, expected, question
        )
        if second is not None:
            chosen.append(second)
            chosen.sort(key=lambda s: (index.sentences[s].document_id, index.sentences[s].start))
        evidence = Evidence(
            question=question,
            standalone=standalone,
            answer_sentences=[index.sentences[s].text for s in chosen],
            context=_context_text(index, best),
            sentence_similarity=float(similarity[int(order[0])]),
            top_score=float(best_hit),
            top_dense=float(hits[0].dense),
            document_frequency=index.document_frequency,
            name_frequency=index.name_frequency,
            passage_count=len(index.passages),
            word_vectors=functools.partial(self.word_vectors, index=index),
            name_aliases=index.name_aliases,
            acronyms=index.acronyms,
            concept_gains=functools.partial(self._concept_gains, index, best, question_vector),
        )
        runners_up = [sentence_ids[int(i)] for i in order[1:] if sentence_ids[int(i)] not in chosen]
        return chosen, runners_up, evidence

    def _concept_gains(
        self, index: LoadedIndex, sentence_id: int, question_vector: np.ndarray, words: list[str]
    ) -> list[float]:
        """How much closer the answer sentence gets to the question when each word is added
        to it. The sentence's own vector is in the index (embedded with acronyms spelled out,
        as here), so only the variants are embedded."""
        sentence = expand_acronyms(index.sentences[sentence_id].text, index.acronyms)
        variants = self.embedder.encode([f"{sentence} {w}" for w in words])
        base = float(index.sentence_vectors[sentence_id] @ question_vector)
        return [float(v @ question_vector) - base for v in variants]

    def _second_sentence(
        self,
        index: LoadedIndex,
        best: int,
        sentence_ids: list[int],
        score: np.ndarray,
        order: np.ndarray,
        query_stems: dict[str, float],
        expected: str | None,
        question: str,
    ) -> int | None:
        """A second sentence when the best one cannot stand alone or lacks what is asked:
        its antecedent when it opens with "These"/"It", the next sentence when it is a
        fragment or when only the neighbour holds the date or number asked for, or a close
        runner-up that covers query terms the best one lacks — within the length budget."""
        opts = self.options
        text = index.sentences[best].text
        budget = opts.max_answer_chars - len(text)

        def neighbour(offset: int) -> int | None:
            candidate = best + offset
            if 0 <= candidate < len(index.sentences) and _same_section(index, best, candidate):
                return candidate
            return None

        if _starts_by_referring(text):
            antecedent = neighbour(-1)
            if antecedent is not None and len(index.sentences[antecedent].text) <= budget + 200:
                return antecedent
        if expected is not None and not has_answer_type(expected, text, question):
            for offset in (1, -1):
                candidate = neighbour(offset)
                if (
                    candidate is not None
                    and has_answer_type(expected, index.sentences[candidate].text, question)
                    and len(index.sentences[candidate].text) <= budget + 100
                ):
                    return candidate
        following = neighbour(1)
        if following is not None:
            following_text = index.sentences[following].text
            fragment = min(len(text), len(following_text)) < opts.fragment_chars
            if fragment and len(following_text) <= budget:
                return following
        if budget <= 20:
            return None
        covered = _covered(query_stems, index.sentence_stems(best))
        for rank in order[1:3]:
            candidate = sentence_ids[int(rank)]
            if float(score[int(order[0])] - score[int(rank)]) > opts.second_sentence_margin:
                break
            candidate_text = index.sentences[candidate].text
            adds = _covered(query_stems, index.sentence_stems(candidate)) - covered
            if adds and len(candidate_text) <= budget and abs(candidate - best) <= 2:
                return candidate
        return None

    def word_vectors(self, words: list[str], index: LoadedIndex | None = None) -> np.ndarray:
        """Embeddings of single words: corpus words come from ``index`` (default: the current
        one), others are embedded once and remembered (people ask with the same words a lot)."""
        index = index or self.index_source()
        missing = [
            w for w in dict.fromkeys(words) if w not in index.word_ids and w not in self._word_cache
        ]
        if missing:
            if len(self._word_cache) > 50_000:
                self._word_cache.clear()
            self._word_cache.update(zip(missing, self.embedder.encode(missing), strict=True))
        return np.vstack(
            [
                index.word_vectors[index.word_ids[w]]
                if w in index.word_ids
                else self._word_cache[w]
                for w in words
            ]
        )

    # --- citations -----------------------------------------------------------------------------

    def _cite(
        self,
        index: LoadedIndex,
        hits: list[Hit],
        chosen: list[int],
        runners_up: list[int],
        top_k: int,
    ) -> tuple[list[Citation], str]:
        """Number citations in order of first use in the answer, then add the passages of the
        runner-up sentences (the next likeliest answers), then the best other hits."""
        ordered_hits: list[Hit] = []
        sentence_passage: dict[int, int] = {}
        for sid in chosen:
            hit = _best_hit_containing(index, hits, sid, chosen)
            sentence_passage[sid] = hit.passage_id
            if all(h.passage_id != hit.passage_id for h in ordered_hits):
                ordered_hits.append(hit)
        for sid in runners_up:
            if len(ordered_hits) >= top_k:
                break
            containing = [h for h in hits if sid in index.passages[h.passage_id].sentence_ids]
            if containing and not _adds_nothing(index, containing[0], ordered_hits):
                ordered_hits.append(containing[0])
        for hit in hits:
            if len(ordered_hits) >= top_k:
                break
            if not _adds_nothing(index, hit, ordered_hits):
                ordered_hits.append(hit)
        ordered_hits = ordered_hits[: max(top_k, len({*sentence_passage.values()}))]
        numbers = {h.passage_id: n for n, h in enumerate(ordered_hits, start=1)}
        answer_parts = [
            f"{index.sentences[sid].text} [{numbers[sentence_passage[sid]]}]" for sid in chosen
        ]
        citations = [_citation(index, hit, numbers[hit.passage_id], chosen) for hit in ordered_hits]
        return citations, " ".join(answer_parts)

    def _abstain(
        self,
        index: LoadedIndex,
        question: str,
        standalone: str,
        hits: list[Hit],
        started: float,
        signals: dict[str, float],
        reason: str | None = None,
    ) -> Answer:
        # Saying why ("it says nothing about “wage”") lets a reader judge the refusal.
        text = (
            f"The briefing does not answer this \u2014 {reason}, so I won't guess."
            if reason
            else NOT_IN_CORPUS
        )
        return Answer(
            question=question,
            standalone_question=standalone,
            answered=False,
            answer=text,
            citations=[],
            index_version=index.version,
            took_ms=_elapsed_ms(started),
            related=_related_sections(index, hits),
            signals=signals,
        )


# --- helpers -------------------------------------------------------------------------------------


class _LruCache:
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Answer) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _boost_previous_sections(
    index: LoadedIndex, hits: list[Hit], history: Sequence[Turn]
) -> list[Hit]:
    """Nudge passages from the sections the previous answer quoted: a follow-up usually stays
    in the same place. The history carries only text, so the sections are found by matching the
    quoted sentences back to the index."""
    sections = {
        (index.sentences[sid].document_id, index.sentences[sid].section)
        for sid in _quoted_sentence_ids(index, history)
    }
    if not sections:
        return hits
    boosted = [
        Hit(h.passage_id, h.score + 0.04, h.dense, h.sentence_dense, h.bm25, h.bm25_normalized)
        if (index.passages[h.passage_id].document_id, index.passages[h.passage_id].section)
        in sections
        else h
        for h in hits
    ]
    return sorted(boosted, key=lambda h: -h.score)


def _constraint_share(index: LoadedIndex, question: str, sentence_ids: list[int]) -> np.ndarray:
    """For each sentence, how well it matches what the question pins down: each asked year or
    rare name counts 1 when the sentence names it and 0.9 when a neighbour does (a sentence
    is read in its context: "The resolution stressed ..." follows "In April 2013 the EP
    adopted a resolution"); a year counts 0 when the sentence names only other years, ½ when
    no year is near. Zeros when nothing is pinned."""
    names = telling_names(question, index.name_frequency, len(index.passages))
    asked_years = years(question)
    if not names and not asked_years:
        return np.zeros(len(sentence_ids))
    shares = []
    for sid in sentence_ids:
        neighbours = _neighbours(index, sid)
        own = index.sentence_tokens(sid)
        nearby = own.union(*(index.sentence_tokens(n) for n in neighbours))
        in_sentence = names_present(names, own, index.name_aliases)
        near = names_present(names, nearby, index.name_aliases)
        points = [
            1.0 if a else _NEIGHBOUR_CREDIT if b else 0.0
            for a, b in zip(in_sentence, near, strict=True)
        ]
        mentioned = years(index.sentences[sid].text)
        near_years = set().union(*(years(index.sentences[n].text) for n in neighbours))
        points += [
            1.0
            if y in mentioned
            else 0.0
            if mentioned
            else _NEIGHBOUR_CREDIT
            if y in near_years
            else 0.5
            for y in asked_years
        ]
        shares.append(sum(points) / len(points))
    return np.array(shares)


def _quoted_sentence_ids(index: LoadedIndex, history: Sequence[Turn]) -> set[int]:
    """The sentences the previous answer quoted (found by their text: history is only text)."""
    if not history or not history[-1].answer:
        return set()
    quoted = [part.strip() for part in _MARKER.split(history[-1].answer) if part.strip()]
    return {sid for text in quoted for sid in index.sentence_ids_by_text.get(text, [])}


def _weighted_stems(index: LoadedIndex, query: str, question: str) -> dict[str, float]:
    """Query stems weighted by rarity in the corpus: rare words say more about what is asked.
    Words carried over from earlier turns, and those of a long question's preamble, count half:
    they set the topic, the asking clause says what is asked about it."""
    weights: dict[str, float] = {}
    n = max(len(index.passages), 1)
    own = {stem(t) for t in content_terms(expand_acronyms(question_core(question), index.acronyms))}
    for term in content_terms(query):
        if term in QUERY_FILLER:
            continue
        df = index.document_frequency(term)
        key = stem(term)
        weights[key] = float(np.log(1 + n / (1 + df))) * (1.0 if key in own else 0.5)
    return weights


def _overlap(query_stems: dict[str, float], present: frozenset[str]) -> float:
    total = sum(query_stems.values())
    if total <= 0:
        return 0.0
    return sum(w for s, w in query_stems.items() if _stem_present(s, present)) / total


def _stem_present(query_stem: str, present: frozenset[str]) -> bool:
    """The stem is there, or one of its family ("european" and "europ", from "Europe")."""
    return query_stem in present or in_family(query_stem, present)


def _covered(query_stems: dict[str, float], present: frozenset[str]) -> set[str]:
    return {s for s in query_stems if s in present}


def _starts_by_referring(text: str) -> bool:
    first = text.split(" ", 1)[0].lower().strip(",")
    return first in {"it", "this", "these", "they", "he", "she", "its", "their", "such"}


def _same_section(index: LoadedIndex, a: int, b: int) -> bool:
    sa, sb = index.sentences[a], index.sentences[b]
    return sa.document_id == sb.document_id and sa.section == sb.section


def _neighbours(index: LoadedIndex, sentence_id: int) -> list[int]:
    """The sentences just before and after, inside the same section."""
    return [
        i
        for i in (sentence_id - 1, sentence_id + 1)
        if 0 <= i < len(index.sentences) and _same_section(index, sentence_id, i)
    ]


def _context_text(index: LoadedIndex, sentence_id: int) -> str:
    """The answer sentence with its neighbours in the same section."""
    ids = sorted([sentence_id, *_neighbours(index, sentence_id)])
    return " ".join(index.sentences[i].text for i in ids)


def _best_hit_containing(index: LoadedIndex, hits: list[Hit], sid: int, chosen: list[int]) -> Hit:
    """The highest-ranked hit containing sentence ``sid``, preferring one with every answer
    sentence in it, so one citation covers the whole answer when it can."""
    containing = [h for h in hits if sid in index.passages[h.passage_id].sentence_ids]
    if not containing:  # the sentence came from a passage outside the hit list: cite it directly
        pid = index.sentence_to_passages[sid][0]
        return Hit(pid, hits[0].score, 0.0, 0.0, 0.0, 0.0)
    complete = [
        h for h in containing if all(c in index.passages[h.passage_id].sentence_ids for c in chosen)
    ]
    return (complete or containing)[0]


def _adds_nothing(index: LoadedIndex, hit: Hit, cited: list[Hit]) -> bool:
    """True when every sentence of ``hit`` is already in a cited passage."""
    seen = {sid for h in cited for sid in index.passages[h.passage_id].sentence_ids}
    return set(index.passages[hit.passage_id].sentence_ids) <= seen


def _citation(index: LoadedIndex, hit: Hit, n: int, chosen: list[int]) -> Citation:
    passage = index.passages[hit.passage_id]
    document = index.documents[passage.document_id]
    # A passage's text is its sentences' texts joined by single spaces (both are reflowed from
    # the same source), so a sentence's place in it is the sum of the lengths before it.
    offsets: dict[int, int] = {}
    position = 0
    for sid in passage.sentence_ids:
        offsets[sid] = position
        position += len(index.sentences[sid].text) + 1
    highlights = []
    doc_highlights = []
    for sid in chosen:
        if sid in offsets:
            sentence = index.sentences[sid]
            highlights.append((offsets[sid], offsets[sid] + len(sentence.text)))
            doc_highlights.append(f"{sentence.start}-{sentence.end}")
    url = f"/documents/{document.id}?start={passage.start}&end={passage.end}"
    if doc_highlights:
        url += "&hl=" + ",".join(doc_highlights)
    return Citation(
        n=n,
        document_id=document.id,
        document_title=document.title,
        section=passage.section,
        text=passage.text,
        start=passage.start,
        end=passage.end,
        page=passage.page,
        score=round(hit.score, 4),
        highlights=highlights,
        url=url + "#cited",
    )


def _related_sections(index: LoadedIndex, hits: list[Hit], limit: int = 3) -> list[RelatedSection]:
    related: list[RelatedSection] = []
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        passage = index.passages[hit.passage_id]
        key = (passage.document_id, passage.section)
        if key in seen or hit.dense < 0.3:
            continue
        seen.add(key)
        document = index.documents[passage.document_id]
        section = next((s for s in document.sections if s.title == passage.section), None)
        start, end = (section.start, section.end) if section else (passage.start, passage.end)
        related.append(
            RelatedSection(
                document.id,
                document.title,
                passage.section,
                f"/documents/{document.id}?start={start}&end={end}#cited",
            )
        )
        if len(related) >= limit:
            break
    return related
