"""Facts about a question, computed once and passed on: what was asked, what is searched, what
kind of answer it wants, what it pins down (years, rare names), and whether it asks for the gist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from index import LoadedIndex
from index.acronyms import expand_acronyms, question_initials
from index.text import QUERY_FILLER, content_terms

from .answer_types import asks_for_overview, expected_answer_type
from .constraints import telling_names, unknown_names, years
from .conversation import Turn, fold_history, question_core
from .tunables import COMMON_NAME_SHARE
from .yes_no import YesNo, read_yes_no

_NEGATION = re.compile(
    r"\b(not|no|never|none|without|except|exception|lack|lacks|neither|nor|fail|failed|"
    r"refuse|refused|deny|denied)\b|n't\b",
    re.IGNORECASE,
)
_MORE = re.compile(r"\b(else|other|another|more|further|besides|apart from)\b", re.IGNORECASE)


@dataclass(frozen=True)
class QuestionFacts:
    """One question, read once.

    Attributes:
        asked: the user's words, as typed.
        question: the same with names respelled the corpus's way ("Nazarbaev" -> "Nazarbayev").
        standalone: the question with the conversation's topic folded in.
        query: what is searched: ``standalone`` with acronyms spelled out.
        own_words: the user's own question with acronyms spelled out (no carried topic).
        core: the asking clause of a long question.
        expected: the kind of answer wanted (``date``, ``count``, ...), or None.
        asked_years: four-digit years the question names.
        names: the rare names the answer must mention (lower-cased tokens per name).
        strangers: multi-word names with a word the corpus never uses.
        overview: the question asks for the gist ("what is this briefing about?").
        negated: the question is negated ("which treaties has it not ratified?").
        asks_more: the question asks for something beyond what was said ("what else?").
        sections_asked: the section numbers it names that the corpus has ("section 10.1").
        yes_no: the reader's own question read as a yes/no or permission question ("Do you
            share my data?"), or None when it asks something else.
    """

    asked: str
    question: str
    standalone: str
    query: str
    own_words: str
    core: str
    expected: str | None
    asked_years: frozenset[str]
    names: tuple[tuple[str, ...], ...]
    strangers: tuple[str, ...]
    overview: bool
    negated: bool
    asks_more: bool
    sections_asked: tuple[str, ...] = ()
    yes_no: YesNo | None = None


def read_question(
    index: LoadedIndex,
    asked: str,
    history: Sequence[Turn],
    documents: Collection[str] | None = None,
) -> QuestionFacts:
    """Everything the answering path needs to know about ``asked`` in its conversation (asked
    of ``documents`` only, when given)."""
    respell = _respeller(index, documents)
    question = respell(asked).strip()
    respelled = [Turn(respell(t.question), t.answer) for t in history]
    standalone = fold_history(question, respelled)
    names = telling_names(question, index.name_frequency, index.passage_count, COMMON_NAME_SHARE)
    sections = tuple(index.structure.asked_numbers(question, documents))

    def known(token: str) -> bool:
        return index.document_frequency(token) > 0

    return QuestionFacts(
        asked=asked,
        question=question,
        standalone=standalone,
        query=question_initials(expand_acronyms(standalone, index.acronyms), known),
        own_words=question_initials(expand_acronyms(question, index.acronyms), known),
        core=question_core(question),
        expected=expected_answer_type(question),
        asked_years=frozenset(years(question)),
        names=tuple(tuple(n) for n in names),
        strangers=tuple(unknown_names(question, index.document_frequency)),
        overview=asks_for_overview(question) or (bool(sections) and _only_names_a_place(question)),
        negated=_NEGATION.search(question) is not None,
        asks_more=_MORE.search(question) is not None,
        sections_asked=sections,
        yes_no=read_yes_no(question),
    )


# Words that name a place in a document rather than a topic.
_PLACE_WORDS = frozenset(
    "section sections chapter clause article appendix part annex paragraph".split()
)


def _only_names_a_place(question: str) -> bool:
    """ "What does section 10.1 say?": nothing asked but what the section holds."""
    topical = [
        t
        for t in content_terms(question)
        if t not in QUERY_FILLER and t not in _PLACE_WORDS and not t[:1].isdigit()
    ]
    return not topical


_WORD = re.compile(r"\w+")


def _respeller(index: LoadedIndex, documents: Collection[str] | None) -> Callable[[str], str]:
    """The respelling of names into those of the documents ``index`` sees (the asker's); for a
    question narrowed to some of them, only into names those use — the standalone question and
    a refusal's reason show the respelled name, and one from elsewhere would not fit."""
    if documents is None:
        return index.respell_names
    texts = [index.documents[d].text for d in documents if d in index.documents]

    def respell(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            word = match.group(0)
            known = index.respell_names(word)
            return known if known == word or any(known in t for t in texts) else word

        return _WORD.sub(one, text)

    return respell


_REFERRING_STARTS = frozenset("it this these they he she its their such".split())


def opens_by_referring(text: str) -> bool:
    """The sentence opens by pointing back ("These are ...", "It ..."): it leans on the one
    before it."""
    return text.split(" ", 1)[0].lower().strip(",") in _REFERRING_STARTS


def is_negation(text: str) -> bool:
    """The text states a negation or an exception."""
    return _NEGATION.search(text) is not None


def asks_for_more(question: str) -> bool:
    """True when a question asks for something beyond what was said ("what else ...?")."""
    return _MORE.search(question) is not None
