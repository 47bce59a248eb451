"""The conversation: fold earlier turns into a standalone query, and find what the previous
answer quoted (the server keeps no state: the client sends the history back as text)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index import LoadedIndex
from index.text import QUERY_FILLER, content_terms

from .excerpts import ELLIPSIS
from .tunables import MIN_QUOTED_PIECE


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of the conversation."""

    question: str
    answer: str = ""


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
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", question.lower())
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


def quoted_sentence_ids(index: LoadedIndex, history: Sequence[Turn]) -> set[int]:
    """The sentences the previous answer quoted (found by their text: history is only text)."""
    if not history or not history[-1].answer:
        return set()
    quoted = [part.strip() for part in _MARKER.split(history[-1].answer) if part.strip()]
    found: set[int] = set()
    for text in quoted:
        whole = index.sentences_with_text(text)
        found.update(whole)
        if not whole and ELLIPSIS in text:
            found |= _quoted_in_part(index, text)
    return found


def _quoted_in_part(index: LoadedIndex, text: str) -> set[int]:
    """The sentences a quote cut with "…" came from: those holding its longest piece."""
    longest = max((p.strip() for p in text.split(ELLIPSIS)), key=len)
    if len(longest) < MIN_QUOTED_PIECE:
        return set()
    return index.sentences_containing(longest)
