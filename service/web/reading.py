"""What a caller may read (issue #25): the documents of the served index whose collection the
caller may read, computed per request before anything is scored, and the one way the routes
answer within them.

An unreadable document is treated everywhere as if it did not exist: it is not searched, so it
is never quoted, cited, offered as a related section or named in a refusal; a request naming it
gets the error a request naming no document gets; the chat's naming, starters, scope picker and
counts leave it out.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from index import Document, LoadedIndex

from ..answering import Answer, Reason, Refusal, Turn
from ..state import AppState
from .callers import Caller, CallerDep, get_state

log = logging.getLogger("briefing_qa.access")


@dataclass(frozen=True)
class Readable:
    """The documents one caller may read in one index version.

    Attributes:
        index: the version the request reads.
        documents: the readable documents, by id.
        by_role: the caller reads everything whatever the index holds (auth off, an admin).
    """

    index: LoadedIndex
    documents: Mapping[str, Document]
    by_role: bool = False

    @property
    def everything(self) -> bool:
        """Every document of this version is readable."""
        return self.by_role or len(self.documents) == len(self.index.documents)

    @property
    def version(self) -> str:
        """The index version."""
        return self.index.version

    @property
    def passages(self) -> int:
        """Passages of the readable documents."""
        if self.everything:
            return len(self.index.passages)
        counts = _counts(self.index)[0]
        return sum(counts[d] for d in self.documents)

    @property
    def sentences(self) -> int:
        """Sentences of the readable documents."""
        if self.everything:
            return len(self.index.sentences)
        counts = _counts(self.index)[1]
        return sum(counts[d] for d in self.documents)

    def corpus(self) -> list[str] | None:
        """The documents a question is asked of as if the index held nothing else (issue
        #31): every readable one — None when that is the whole index."""
        return None if self.everything else sorted(self.documents)

    @property
    def view(self) -> LoadedIndex:
        """The index as this caller's documents alone see it (:meth:`LoadedIndex.within`)."""
        return self.index.within(self.corpus())


def readable_for(state: AppState, caller: Caller, index: LoadedIndex | None = None) -> Readable:
    """What ``caller`` may read in ``index`` (default: the version served now)."""
    index = index or state.holder.current()
    if caller.reads_everything:
        return Readable(index, index.documents, by_role=True)
    policy = state.collections.policy(index.version)
    allowed = policy.readable(caller.groups)
    documents = {
        key: document
        for key, document in index.documents.items()
        if policy.collection_of(key) in allowed
    }
    return Readable(index, documents)


async def current_readable(request: Request, caller: CallerDep) -> Readable:
    """What the caller of this request may read (a FastAPI dependency)."""
    return readable_for(get_state(request), caller)


ReadableDep = Annotated[Readable, Depends(current_readable)]


async def ask_within(
    state: AppState,
    caller: Caller,
    readable: Readable,
    question: str,
    history: Sequence[Turn],
    top_k: int,
    requested: Sequence[str] | None,
    language: str | None = None,
) -> Answer:
    """The answer from the readable documents (``requested`` of them, when given), asked of
    the readable documents as if the index held nothing else: every statistic the answer reads
    is theirs, so a document the caller may not read shapes nothing they get (issue #31).

    An unscoped question is answered on whatever version is served when its turn comes; if that
    is a newer version than the one read here, it may hold documents this caller may not read,
    so the question is asked again within the caller's documents of that version.

    Raises:
        WaitedTooLong: the question waited too long for its turn.
    """
    corpus = readable.corpus()
    answer = await state.turns.ask(question, history, top_k, requested, corpus, language)
    if corpus is None and not readable.by_role and answer.index_version != readable.version:
        corpus = sorted(readable_for(state, caller).documents)
        answer = await state.turns.ask(question, history, top_k, requested, corpus, language)
    scope = requested if requested is not None else corpus
    return answer if scope is None else within_scope(answer, scope)


def within_scope(answer: Answer, scope: Sequence[str]) -> Answer:
    """``answer`` if everything it cites or offers is in ``scope``; else a plain refusal.

    The answerer searches only the scope, so this never trips by design; it is the last guard
    of what leaves the server, should a later change to the answering path reach further (a
    section named by number, an opening quoted for a gist question) and forget the scope.
    """
    allowed = set(scope)
    cited = {c.document_id for c in answer.citations} | {r.document_id for r in answer.related}
    if cited <= allowed:
        return answer
    log.error("an answer cited documents outside its scope; refused instead: %s", cited - allowed)
    refusal = Refusal(Reason("not_clear"))
    return Answer(
        question=answer.question,
        standalone_question=answer.question,
        answered=False,
        answer=refusal.sentence(),
        citations=[],
        index_version=answer.index_version,
        took_ms=answer.took_ms,
        refusal=refusal,
    )


_COUNTS: dict[str, tuple[Counter[str], Counter[str]]] = {}
_COUNTS_LOCK = threading.Lock()


def _counts(index: LoadedIndex) -> tuple[Counter[str], Counter[str]]:
    """Passages and sentences per document, counted once per version."""
    with _COUNTS_LOCK:
        cached = _COUNTS.get(index.version)
        if cached is None:
            cached = (
                Counter(p.document_id for p in index.passages),
                Counter(s.document_id for s in index.sentences),
            )
            if len(_COUNTS) > 4:  # versions served before this one are not asked about again
                _COUNTS.clear()
            _COUNTS[index.version] = cached
        return cached
