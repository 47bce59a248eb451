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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field

from index import Embedder, Hit, LoadedIndex, SearchWeights, search

from .candidates import Candidates, gather_candidates
from .citations import Citation, RelatedSection, cite, related_sections
from .composition import compose
from .conversation import Turn, quoted_sentence_ids
from .decision import DecisionModel
from .focus import focus
from .question import QuestionFacts, read_question
from .refusals import Reason, Refusal, refusal_for
from .tunables import HITS_RETRIEVED


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
    confidence: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)
    # For a refusal, why, as data: ``answer`` is its English sentence; the web layer renders
    # it in the reader's language.
    refusal: Refusal | None = None


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
    ) -> None:
        self.embedder = embedder
        self.index_source = index_source
        self.decision = decision
        self.weights = weights or SearchWeights()
        self._cache = _LruCache(cache_size)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        top_k: int = 3,
        mode: str = "hybrid",
        documents: Sequence[str] | None = None,
        corpus: Collection[str] | None = None,
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
        """
        started = time.perf_counter()
        index = self.index_source()
        key = _cache_key(index.version, question, history, top_k, mode, documents, corpus)
        cached = self._cache.get(key)
        if cached is not None:
            return dataclasses.replace(cached, took_ms=_elapsed_ms(started))
        scope = tuple(sorted(documents)) if documents is not None else None
        view = index.within(corpus)
        answer = self._answer(view, question, history, top_k, mode, started, scope)
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
    ) -> Answer | None:
        """The remembered answer to the same question on the served version, if any (cheap:
        no model runs)."""
        started = time.perf_counter()
        version = self.index_source().version
        cached = self._cache.get(
            _cache_key(version, question, history, top_k, mode, documents, corpus)
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
        hits = search(
            index, facts.query, query_vector, HITS_RETRIEVED, mode, self.weights, documents
        )
        quoted = quoted_sentence_ids(index, history)
        if documents is not None:  # a quote from outside the scope steers nothing
            allowed = set(documents)
            quoted = {sid for sid in quoted if index.sentences[sid].document_id in allowed}
        if mode == "hybrid":  # ablation modes rank by their one signal alone
            hits = focus(index, hits, facts, query_vector, quoted, self.weights, documents)
        if not hits:
            return Gathered(facts, hits, None)
        candidates = gather_candidates(index, facts, hits, query_vector, question_vector, quoted)
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
        composed = compose(
            index, found.candidates, decision.order, decision.probabilities, found.facts
        )
        citations, text = cite(
            index, found.hits, composed.chosen, composed.runners_up, top_k, composed.quotes
        )
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


def _cache_key(
    version: str,
    question: str,
    history: Sequence[Turn],
    top_k: int,
    mode: str,
    documents: Sequence[str] | None,
    corpus: Collection[str] | None,
) -> Hashable:
    """Answers are remembered per index version, question and the documents it was asked of:
    one asker's answer never serves another who may read other documents."""
    scope = tuple(sorted(documents)) if documents is not None else None
    seen = frozenset(corpus) if corpus is not None else None
    return (version, question, tuple(history), top_k, mode, scope, seen)


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


__all__ = ["Answer", "Answerer", "Citation", "RelatedSection", "Turn"]
