"""From a question (and the conversation so far) to a quoted, cited answer — or an honest "no".

The answerer is extractive: it never writes a sentence of its own. Top to bottom:

1. read the question once (``question.py``: respelled names, the conversation folded in,
   answer type, years, names, overview);
2. one embedding of the query, hybrid search (``index.store.search``);
3. candidate sentences of the top passages with their features (``candidates.py``);
4. the fitted model ranks them and decides whether the best answers (``decision.py``);
5. the answer: the best sentence, and a second one when it cannot stand alone
   (``composition.py``), with numbered citations (``citations.py``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from index import Embedder, Hit, LoadedIndex, SearchWeights, search
from index.languages import ENGLISH, detect_language

from .answers import Answer
from .candidates import Candidates, gather_candidates
from .citations import Citation, RelatedSection, cite, related_sections
from .composition import compose
from .conversation import Turn, quoted_sentence_ids
from .crosslingual import Crosslingual, answer_across, not_ready, with_languages
from .decision import DecisionModel
from .focus import focus
from .memo import LruCache, cache_key
from .precedents import Precedents, precedent_passages, recall_for
from .question import QuestionFacts, read_question
from .refusals import Reason, refusal_for
from .settling import settling_first, what_it_settles
from .tunables import HITS_RETRIEVED, PASSAGES_FOR_SENTENCES, PRECEDENT_RESERVE


@dataclass
class Gathered:
    """What one question found before the decision: its facts, hits and candidates."""

    facts: QuestionFacts
    hits: list[Hit]
    candidates: Candidates | None


class Answerer:
    """Answers questions from whatever index version ``index_source`` returns.

    Args:
        embedder: the embedding model.
        index_source: returns the index version to use; called once per question, so a
            question is answered entirely from one version even if a new one is published.
        decision: the fitted decision model.
        weights: retrieval fusion weights.
        cache_size: answers remembered for repeated questions (0: none); keyed by index
            version, so a new version never serves an old answer.
        crosslingual: the route for questions in other languages and documents not in
            English (None: every question takes the English route, as before issue #32).
        precedents: what answered earlier questions elsewhere (``precedents.py``; None: the
            decision model's).

    ``ask`` may be called from several threads at once; a server lets questions take turns
    (:class:`service.answering.turns.AnswerQueue`), because answering is CPU-bound.
    """

    def __init__(
        self,
        embedder: Embedder,
        index_source: Callable[[], LoadedIndex],
        decision: DecisionModel,
        weights: SearchWeights | None = None,
        cache_size: int = 512,
        crosslingual: Crosslingual | None = None,
        precedents: Precedents | None = None,
    ) -> None:
        self.embedder = embedder
        self.index_source = index_source
        self.decision = decision
        # The decision model's bank, unless one is given (training gathers without a model).
        self.precedents = precedents or (decision.precedents if decision is not None else None)
        self.weights = weights or SearchWeights()
        self.crosslingual = crosslingual
        self._cache: LruCache[Answer] = LruCache(cache_size)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int = 3,
        mode: str = "hybrid",
        documents: Sequence[str] | None = None,
        corpus: Collection[str] | None = None,
        language: str | None = None,
    ) -> Answer:
        """Answer ``question`` in the context of ``history``.

        Args:
            question: the user's question (already validated and cleaned).
            history: earlier turns, oldest first.
            top_k: how many citations to return at most.
            mode: retrieval mode (``hybrid``, ``dense``, ``bm25``), for ablations.
            documents: answer only from these document ids (None: from all of ``corpus``).
            corpus: the documents the question is asked of, as if the index held nothing
                else — what its asker may read (None: the whole index). Every statistic the
                answer reads is theirs; ``documents`` only narrows where it may come from.
            language: the question's language, ISO 639-1 (None: detected).
        """
        started = time.perf_counter()
        index = self.index_source()
        key = cache_key(index.version, question, history, top_k, mode, documents, corpus, language)
        cached = self._cache.get(key)
        if cached is not None:
            return dataclasses.replace(cached, took_ms=_elapsed_ms(started))
        scope = tuple(sorted(documents)) if documents is not None else None
        view = index.within(corpus)
        asked_in = language or detect_language(question).code
        across = self.crosslingual
        second = across.second(index) if across is not None else None
        if across is None or (second is None and asked_in == ENGLISH):
            answer = self._answer(view, question, history, top_k, mode, started, scope)
        elif second is None:  # the second phase is still being made: say so, never "no"
            answer = not_ready(view, question, _elapsed_ms(started))
        elif across.takes(second, view, asked_in):
            verdict = across.decide(view, second, question, asked_in, scope)
            answer = answer_across(view, question, verdict, top_k, scope, _elapsed_ms(started))
        else:
            answer = self._answer(view, question, history, top_k, mode, started, scope)
        answer = with_languages(answer, asked_in, second)
        self._cache.put(key, answer)
        return answer

    def cached(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int = 3,
        mode: str = "hybrid",
        documents: Sequence[str] | None = None,
        corpus: Collection[str] | None = None,
        language: str | None = None,
    ) -> Answer | None:
        """The remembered answer to the same question on the served version, if any (cheap:
        no model runs)."""
        started = time.perf_counter()
        version = self.index_source().version
        cached = self._cache.get(
            cache_key(version, question, history, top_k, mode, documents, corpus, language)
        )
        return dataclasses.replace(cached, took_ms=_elapsed_ms(started)) if cached else None

    def gather(
        self,
        index: LoadedIndex,
        question: str,
        history: Sequence[Turn],
        mode: str = "hybrid",
        documents: Sequence[str] | None = None,
    ) -> Gathered:
        """Steps 1 to 3: the question's facts, its hits and its candidate sentences.

        ``index`` is the version as the question's corpus sees it (:meth:`LoadedIndex.within`).
        """
        facts = read_question(index, question, history, documents)
        texts = [facts.query] if facts.query == facts.own_words else [facts.query, facts.own_words]
        vectors = self.embedder.encode(texts)  # one batched pass of the model
        query_vector, question_vector = vectors[0], vectors[-1]
        reach = HITS_RETRIEVED + PRECEDENT_RESERVE if mode == "hybrid" else HITS_RETRIEVED
        found = search(index, facts.query, query_vector, reach, mode, self.weights, documents)
        hits = found[:HITS_RETRIEVED]
        quoted = quoted_sentence_ids(index, history)
        if documents is not None:  # a quote from outside the scope steers nothing
            allowed = set(documents)
            quoted = {sid for sid in quoted if index.sentences[sid].document_id in allowed}
        if mode == "hybrid":  # ablation modes rank by their one signal alone
            hits = focus(index, hits, facts, query_vector, quoted, self.weights, documents)
        if not hits:
            return Gathered(facts, hits, None)
        recalled = recall_for(self.precedents, index, documents, query_vector)
        read = {h.passage_id for h in hits[:PASSAGES_FOR_SENTENCES]}
        reserve = [
            (rank, h)
            for rank, h in enumerate(found)
            if rank >= PASSAGES_FOR_SENTENCES and h.passage_id not in read
        ]
        widened = precedent_passages(index, recalled, reserve)
        candidates = gather_candidates(
            index, facts, hits, query_vector, question_vector, quoted, recalled, widened
        )
        return Gathered(facts, hits, candidates)

    def _answer(
        self,
        index: LoadedIndex,
        asked: str,
        history: Sequence[Turn],
        top_k: int,
        mode: str,
        started: float,
        documents: Sequence[str] | None = None,
    ) -> Answer:
        found = self.gather(index, asked, history, mode, documents)
        if found.candidates is None:
            why = Reason("nothing_close")
            return self._refuse(index, found, started, why, documents=documents)
        decision = self.decision.decide(found.candidates, found.facts)
        signals = {"probability": round(float(decision.probabilities[decision.order[0]]), 4)}
        if not decision.answered:
            assert decision.reason is not None  # a refusal always says why
            return self._refuse(
                index, found, started, decision.reason, decision.confidence, signals, documents
            )
        asked_yes_no = found.facts.yes_no  # quote the sentence that settles it, if the model agrees
        order = settling_first(
            index,
            found.candidates.sentence_ids,
            decision.order,
            decision.probabilities,
            asked_yes_no,
        )
        composed = compose(index, found.candidates, order, decision.probabilities, found.facts)
        citations, text = cite(
            index, found.hits, composed.chosen, composed.runners_up, top_k, composed.quotes
        )
        settled = None
        if asked_yes_no is not None:
            best = found.candidates.sentence_ids[int(order[0])]
            by_likelihood = [best, *(s for s in composed.chosen if s != best)]
            quotes = [composed.quotes[s] for s in by_likelihood]
            settled = what_it_settles(index, asked_yes_no, quotes, text)
        return Answer(
            question=asked,
            standalone_question=found.facts.standalone,
            answered=True,
            answer=text,
            citations=citations,
            index_version=index.version,
            took_ms=_elapsed_ms(started),
            confidence=decision.confidence,
            signals=signals,
            settles=settled,
        )

    def _refuse(
        self,
        index: LoadedIndex,
        found: Gathered,
        started: float,
        reason: Reason,
        confidence: float = 0.0,
        signals: dict[str, float] | None = None,
        documents: Sequence[str] | None = None,
    ) -> Answer:
        # Saying why ("Mongolia is not mentioned") lets a reader judge the refusal.
        refusal = refusal_for(index, reason, documents)
        return Answer(
            question=found.facts.asked,
            standalone_question=found.facts.standalone,
            answered=False,
            answer=refusal.sentence(),
            citations=[],
            index_version=index.version,
            took_ms=_elapsed_ms(started),
            related=related_sections(index, found.hits),
            confidence=confidence,
            signals=signals or {},
            refusal=refusal,
        )


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


__all__ = ["Answer", "Answerer", "Citation", "RelatedSection", "Turn"]
