"""What a question pins down, and whether a text honours it: the years, numbers and ordinals
it asks about ("a 2013 question is not answered by a 2014 sentence") and the rare names it
mentions ("a question about Kashkumbayev is not answered by a sentence about Kozlov")."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Set

import numpy as np

from index import LoadedIndex
from index.text import in_family, stem, tokenize

from .tunables import NEIGHBOUR_CREDIT

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ORDINAL = re.compile(
    r"\b(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\b"
)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")


@functools.lru_cache(maxsize=65_536)
def years(text: str) -> frozenset[str]:
    """Four-digit years mentioned in ``text`` (memoised: the same sentences are read again
    and again, as candidates and as their neighbours' context)."""
    return frozenset(_YEAR.findall(text))


def constraint_mismatch(
    question: str, answer: str, context: str, terms: Set[str] = frozenset()
) -> bool:
    """True when a year or number asked about is absent, or the answer names another year.
    ``terms``: ordinals of the question that name no position (:func:`ordinals_in_terms`)."""
    asked_years = years(question)
    numbers = {n for n in _NUMBER.findall(question) if n not in asked_years}
    asked_ordinals = set(_ORDINAL.findall(question.lower())) - terms
    if not (asked_years or numbers or asked_ordinals):
        return False  # most questions pin nothing down: no text to search
    answer_years = years(answer)
    if asked_years and answer_years and not asked_years & answer_years:
        return True
    haystack = answer + " " + context
    if asked_years - years(haystack):
        return True
    if any(n not in re.findall(r"\d+(?:[.,]\d+)?", haystack) for n in numbers):
        return True
    # "the seventh round" is not answered by a sentence about the sixth.
    return bool(asked_ordinals - set(_ORDINAL.findall(haystack.lower())))


def ordinals_in_terms(question: str, texts: list[str]) -> frozenset[str]:
    """The question's ordinals that are part of a term, not a position: an ordinal pins down
    one of several ("the seventh round", where the text has a sixth) only when ``texts`` (the
    documents searched) set another ordinal before the same word; one they never vary is a
    term ("third party": issue #33, where it refused a sixth of PolicyQA's third-party
    questions for lacking the word "third")."""
    asked = _ordinal_pairs(question)
    if not asked:
        return frozenset()
    varied = frozenset().union(*(_ordinal_pairs(text) for text in texts))
    return frozenset(
        ordinal for ordinal, word in asked if not any(o != ordinal and w == word for o, w in varied)
    )


_ORDINAL_PAIR = re.compile(_ORDINAL.pattern + r"[\s-]+(\w+)")


@functools.lru_cache(maxsize=256)
def _ordinal_pairs(text: str) -> frozenset[tuple[str, str]]:
    """(ordinal, stem of the word after it) in ``text`` (memoised: a document is read once)."""
    return frozenset((o, stem(w)) for o, w in _ORDINAL_PAIR.findall(text.lower()))


_NAME_RUN = re.compile(r"(?:[A-Z][\w'\u2019-]*(?:\s+(?:of|the|for|and|on|de)\s+|\s+)?)+")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+s?\b")
_NOT_NAMES = frozenset(
    """what which who whom whose when where why how is are was were did does do has have had can
    could will would should may might i the a an and or in on at of for to by with from""".split()
) | frozenset(
    "january february march april may june july august september october november december".split()
)


def question_names(question: str) -> list[list[str]]:
    """Names in a question: runs of capitalised words after its first word (which is
    capitalised anyway), each as lower-cased tokens."""
    names = []
    body = question.strip()
    first = re.match(r"\S+\s*", body)
    offset = first.end() if first else 0
    for match in _NAME_RUN.finditer(body, offset):
        tokens = [t for t in tokenize(match.group(0)) if t not in _NOT_NAMES]
        if tokens:
            names.append(tokens)
    return names


def _name_in(
    tokens: list[str], context_tokens: Set[str], aliases: Callable[[str], set[str]]
) -> bool:
    """A name is present when one of its words is (singular or plural, or beginning another:
    "Kazakh" and "Kazakhstani"), when its initials are ("European Parliament" and "EP"), or
    when the initials of a corpus phrase holding the word are ("Parliament" and "EP")."""
    for token in tokens:
        singular = token.removesuffix("s") if len(token) > 3 else token
        if token in context_tokens or singular in context_tokens:
            return True
        if in_family(token, context_tokens):
            return True
        if aliases(token) & context_tokens:
            return True
    initials = "".join(t[0] for t in tokens if t)
    return len(tokens) >= 2 and initials in context_tokens


def telling_names(
    question: str,
    document_frequency: Callable[[str], int],
    passage_count: int,
    common_share: float = 0.30,
) -> list[list[str]]:
    """The question's names that constrain an answer: those the corpus knows but that are not
    everywhere in it (the country a briefing is about constrains nothing), and those it does
    not know at all ("Mongolia") — except acronyms, which questions often coin ("MEPs")."""
    n = max(passage_count, 1)
    acronyms = {m.group(0).lower() for m in _ACRONYM.finditer(question)}
    telling = []
    for tokens in question_names(question):
        known = [f for f in (document_frequency(t) for t in tokens) if f > 0]
        if known:
            if min(known) / n < common_share:
                telling.append(tokens)
        elif not any(t in acronyms for t in tokens):
            telling.append(tokens)
    return telling


def _unknown_word(token: str, document_frequency: Callable[[str], int]) -> bool:
    """True when the corpus has no form of ``token`` (British and American spellings alike)."""
    variants = {token, stem(token), token.replace("z", "s"), stem(token.replace("z", "s"))}
    return all(document_frequency(v) == 0 for v in variants)


def unknown_names(question: str, document_frequency: Callable[[str], int]) -> list[str]:
    """Multi-word names with a word the corpus does not have in any form ("Human Rights Watch",
    "Amnesty International"): the corpus cannot be about them, however common their other words
    are. (A capitalised event name with a new word, "the Zhanaozen Massacre", is caught too;
    questions rarely capitalise those.)"""
    acronyms = {m.group(0).lower() for m in _ACRONYM.finditer(question)}
    return [
        " ".join(tokens)
        for tokens in question_names(question)
        if len(tokens) >= 2
        and not any(t in acronyms for t in tokens)
        and any(_unknown_word(t, document_frequency) for t in tokens)
        and not _abbreviated_in_corpus(tokens, document_frequency)
    ]


def _abbreviated_in_corpus(tokens: list[str], document_frequency: Callable[[str], int]) -> bool:
    """The corpus writes the name by its initials ("United Nations" as "UN"): it is known."""
    initials = "".join(t[0] for t in tokens if t not in _NOT_NAMES)
    return len(initials) >= 2 and document_frequency(initials) > 0


def names_present(
    names: list[list[str]], tokens: Set[str], aliases: Callable[[str], set[str]]
) -> list[bool]:
    """For each name, whether a text with these word ``tokens`` mentions it."""
    return [_name_in(name, tokens, aliases) for name in names]


def context_ids(index: LoadedIndex, sentence_id: int) -> list[int]:
    """The sentence with its neighbours inside the same section."""
    return [
        i
        for i in (sentence_id - 1, sentence_id, sentence_id + 1)
        if 0 <= i < len(index.sentences) and same_section(index, sentence_id, i)
    ]


def same_section(index: LoadedIndex, a: int, b: int) -> bool:
    """Both sentences are in the same section of the same document."""
    sa, sb = index.sentences[a], index.sentences[b]
    return sa.document_id == sb.document_id and sa.section == sb.section


def names_by_sentence(
    index: LoadedIndex, names: list[list[str]], ids: list[int]
) -> dict[int, tuple[bool, ...]]:
    """Which of ``names`` each sentence of ``ids`` and of their neighbours mentions. Each
    sentence is read once, however many contexts it belongs to: a name is in a context when
    it is in one of its sentences (every test of :func:`_name_in` is "some word of the text
    ...", so it holds for a union exactly when it holds for one part)."""
    every = {c for sid in ids for c in context_ids(index, sid)}
    return {
        c: tuple(names_present(names, index.sentence_tokens(c), index.name_aliases)) for c in every
    }


def names_in_context(table: dict[int, tuple[bool, ...]], context: list[int]) -> list[bool]:
    """For each name of ``table``, whether one sentence of ``context`` mentions it."""
    rows = [table[c] for c in context]
    return [any(column) for column in zip(*rows, strict=True)] if rows else []


def constraint_share(
    index: LoadedIndex,
    asked_years: Set[str],
    ids: list[int],
    table: dict[int, tuple[bool, ...]],
) -> np.ndarray:
    """For each sentence, how well it matches what the question pins down: each asked year or
    rare name counts 1 in the sentence and NEIGHBOUR_CREDIT in a neighbour; a year counts 0
    when the sentence names only other years, ½ when no year is near. Zeros when nothing is
    pinned. ``table`` is :func:`names_by_sentence` for the question's rare names."""
    names_asked = any(table.values())  # each row has one column per asked name
    if not names_asked and not asked_years:
        return np.zeros(len(ids))
    shares = []
    for sid in ids:
        context = context_ids(index, sid)
        neighbours = [c for c in context if c != sid]
        in_sentence = table[sid]
        near = names_in_context(table, context)
        points = [
            1.0 if a else NEIGHBOUR_CREDIT if b else 0.0
            for a, b in zip(in_sentence, near, strict=True)
        ]
        mentioned = years(index.sentences[sid].text)
        near_years = set().union(*(years(index.sentences[n].text) for n in neighbours))
        points += [
            1.0
            if y in mentioned
            else 0.0
            if mentioned
            else NEIGHBOUR_CREDIT
            if y in near_years
            else 0.5
            for y in asked_years
        ]
        shares.append(sum(points) / len(points))
    return np.array(shares)
