"""Deciding whether the best evidence actually answers the question.

Signals, each general (nothing is keyed to particular questions):

* similarity of the question to the best answer sentence, and the fused retrieval score;
* constraints: years and numbers in the question must be found near the answer, and an answer
  sentence that names a different year than the one asked about does not answer it;
* coverage: the rare, topical words of the question should be present in the answer's context.
  A question about something the corpus never mentions ("seats", "injured") leaves its rarest
  words uncovered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field

import numpy as np

from index.acronyms import expand_acronyms
from index.text import QUERY_FILLER, content_terms, in_family, stem, tokenize

from .answer_types import (
    OVERVIEW_WORDS,
    REQUIRED_TYPES,
    asks_for_overview,
    expected_answer_type,
    has_answer_type,
)

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_ORDINAL = re.compile(
    r"\b(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\b"
)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")


@dataclass(frozen=True)
class AbstentionPolicy:
    """Thresholds of the abstention decision, calibrated on the dev set (see README, Quality).

    ``min_top_score`` separates off-topic questions (nothing in the corpus is close);
    ``min_support`` is the least share of the question's topical words that the answer
    sentence must support, exactly, by stem, or through a similar word.
    """

    min_top_score: float = 0.38
    min_support: float = 0.25
    # A question word whose addition to the answer raises the answer's similarity to the
    # question by this much names something the answer lacks (see ``missing_concept``) ...
    max_concept_gain: float = 0.12
    # ... unless a word of the evidence is this similar to it (a paraphrase the sentence
    # model misses: "provincial" for "regional").
    concept_synonym_floor: float = 0.60
    concept_probes: int = 2
    # An answer sentence this close to the question is on point: not probed (saves time).
    concept_probe_below: float = 0.70
    word_similarity_floor: float = 0.30
    word_similarity_full: float = 0.70
    common_name_share: float = 0.30


@dataclass
class Evidence:
    """What the answerer found for a question, as the decision needs it."""

    question: str
    standalone: str
    answer_sentences: list[str]
    context: str
    sentence_similarity: float
    top_score: float
    top_dense: float
    document_frequency: Callable[[str], int]
    passage_count: int
    word_vectors: Callable[[list[str]], np.ndarray] | None = None
    name_aliases: Callable[[str], set[str]] = lambda _token: set()
    # How common a name's word is, counting its family ("kazakh": "Kazakhstan" too).
    name_frequency: Callable[[str], int] | None = None
    # Acronym -> long form, to read the question and the evidence with acronyms spelled out.
    acronyms: Mapping[str, str] = field(default_factory=dict)
    # Similarity gain of the question to the answer when each word is added to the answer.
    concept_gains: Callable[[list[str]], list[float]] | None = None


_KIND_NAMES = {
    "date": "date",
    "count": "count",
    "percentage": "percentage",
    "number": "figure",
    "duration": "duration",
}


@dataclass
class Verdict:
    """The decision, why in words a reader understands ("it says nothing about “wage”"), and
    the signals behind it (returned for debugging and calibration)."""

    answered: bool
    reason: str
    signals: dict[str, float] = field(default_factory=dict)


def years(text: str) -> set[str]:
    """Four-digit years mentioned in ``text``."""
    return set(_YEAR.findall(text))


def constraint_mismatch(question: str, answer: str, context: str) -> bool:
    """True when a year or number asked about is absent, or the answer names another year."""
    asked_years = years(question)
    answer_years = years(answer)
    if asked_years and answer_years and not asked_years & answer_years:
        return True
    haystack = answer + " " + context
    if asked_years - years(haystack):
        return True
    numbers = {n for n in _NUMBER.findall(question) if n not in asked_years}
    if any(n not in re.findall(r"\d+(?:[.,]\d+)?", haystack) for n in numbers):
        return True
    # "the seventh round" is not answered by a sentence about the sixth.
    asked_ordinals = set(_ORDINAL.findall(question.lower()))
    return bool(asked_ordinals - set(_ORDINAL.findall(haystack.lower())))


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
    ]


def names_present(
    names: list[list[str]], tokens: Set[str], aliases: Callable[[str], set[str]]
) -> list[bool]:
    """For each name, whether a text with these word ``tokens`` mentions it."""
    return [_name_in(name, tokens, aliases) for name in names]


def missing_names(evidence: Evidence, policy: AbstentionPolicy) -> list[str]:
    """Names the question asks about that the corpus knows but the answer's context does not
    mention: a question about Kashkumbayev is not answered by a sentence about Kozlov."""
    names = telling_names(
        evidence.question,
        evidence.name_frequency or evidence.document_frequency,
        evidence.passage_count,
        policy.common_name_share,
    )
    present = names_present(names, set(tokenize(evidence.context)), evidence.name_aliases)
    return [" ".join(name) for name, ok in zip(names, present, strict=True) if not ok]


def support(evidence: Evidence, policy: AbstentionPolicy) -> tuple[float, list[str]]:
    """Share (weighted by rarity) of the question's topical words that the answer supports.

    A word counts fully when its stem is in the answer sentences, mostly when it is in their
    neighbours, and in part when a word of the answer is similar to it (word embeddings; only
    computed when the exact matches alone fall short, so the usual path costs nothing).

    Returns:
        The share, and the words that found no support.
    """
    ignored = _ignored_words(evidence.question)
    terms = [t for t in content_terms(evidence.question) if t not in ignored]
    if not terms:
        return 1.0, []
    answer_terms = content_terms(" ".join(evidence.answer_sentences))
    answer_stems = {stem(t) for t in answer_terms}
    context_stems = {stem(t) for t in content_terms(evidence.context)}
    n = max(evidence.passage_count, 1)
    weights = np.array([math.log(1 + n / (1 + evidence.document_frequency(t))) for t in terms])
    exact = np.array(
        [
            1.0 if stem(t) in answer_stems else 0.8 if stem(t) in context_stems else 0.0
            for t in terms
        ]
    )
    share = float((weights * exact).sum() / weights.sum())
    if share < policy.min_support and evidence.word_vectors is not None and answer_terms:
        vectors = evidence.word_vectors(terms + answer_terms)
        similarity = (vectors[: len(terms)] @ vectors[len(terms) :].T).max(axis=1)
        span = policy.word_similarity_full - policy.word_similarity_floor
        soft = np.clip((similarity - policy.word_similarity_floor) / span, 0.0, 1.0)
        exact = np.maximum(exact, soft)
        share = float((weights * exact).sum() / weights.sum())
    missing = [t for t, e in zip(terms, exact, strict=True) if e < 0.5]
    return share, missing


_QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())


def _ignored_words(question: str) -> frozenset[str]:
    """Question words no evidence has to hold: chat filler, and for a question asking for the
    gist, the words that ask for it ("main", "issues")."""
    return QUERY_FILLER | OVERVIEW_WORDS if asks_for_overview(question) else QUERY_FILLER


def unsupported_terms(evidence: Evidence) -> list[str]:
    """The question's topical words that the evidence does not contain in any form: not by
    stem, not as a word family, not through an acronym's long form. Acronyms the question
    uses are read as their long forms ("MEPs" is "Members of the European Parliament")."""
    context = expand_acronyms(evidence.context, evidence.acronyms)
    words = set(content_terms(context))
    stems_present = {stem(w) for w in words}
    written_acronyms = {m.group(0).lower() for m in _ACRONYM.finditer(evidence.question)}
    question = expand_acronyms(evidence.question, evidence.acronyms)
    ignored = _ignored_words(evidence.question)
    return [
        t
        for t in content_terms(question)
        if t not in ignored
        and t not in _QUESTION_WORDS
        and t not in written_acronyms
        and stem(t) not in stems_present
        and not in_family(t, words)
    ]


def missing_concept(evidence: Evidence, policy: AbstentionPolicy) -> tuple[str, float] | None:
    """A word of the question naming something the answer does not say, with its gain.

    The sentence model is asked directly: each unsupported question word is appended to the
    answer, and the gain in similarity to the question is measured. A word whose meaning the
    answer already carries in other words ("demonstrators" for "protesters") adds little; one
    it lacks ("injured", "wage", "verdict") adds a lot. Words with a close synonym in the
    evidence are not probed, and at most ``policy.concept_probes`` words are (the least
    supported first), so the check costs one small batch of embeddings.
    Returns None when nothing is missing.
    """
    if evidence.concept_gains is None or evidence.sentence_similarity >= policy.concept_probe_below:
        return None
    terms = unsupported_terms(evidence)
    if terms and evidence.word_vectors is not None:
        context_words = content_terms(evidence.context)
        if context_words:
            vectors = evidence.word_vectors(terms + context_words)
            closest = (vectors[: len(terms)] @ vectors[len(terms) :].T).max(axis=1)
            ranked = np.argsort(closest, kind="stable")
            terms = [terms[i] for i in ranked if closest[i] < policy.concept_synonym_floor]
    terms = terms[: policy.concept_probes]
    if not terms:
        return None
    gains = evidence.concept_gains(terms)
    worst = int(np.argmax(gains))
    if gains[worst] < policy.max_concept_gain:
        return None
    return terms[worst], float(gains[worst])


def judge(evidence: Evidence, policy: AbstentionPolicy) -> Verdict:
    """Decide whether ``evidence`` answers its question."""
    signals = {
        "sentence_similarity": round(evidence.sentence_similarity, 4),
        "top_score": round(evidence.top_score, 4),
        "top_dense": round(evidence.top_dense, 4),
    }
    answer = " ".join(evidence.answer_sentences)
    if constraint_mismatch(evidence.question, answer, evidence.context):
        return Verdict(False, "it does not give the year or number you ask about", signals)
    if evidence.top_score < policy.min_top_score:
        return Verdict(False, "nothing in it is close to the question", signals)
    expected = expected_answer_type(evidence.question)
    if expected in REQUIRED_TYPES and not has_answer_type(expected, answer, evidence.question):
        return Verdict(False, f"the closest passage gives no {_KIND_NAMES[expected]}", signals)
    strangers = unknown_names(evidence.question, evidence.document_frequency)
    if strangers:
        return Verdict(False, f"it does not mention {strangers[0].title()}", signals)
    absent = missing_names(evidence, policy)
    if absent:
        unknown = all(_unknown_word(t, evidence.document_frequency) for t in absent[0].split())
        where = "it does not mention" if unknown else "the closest passage is not about"
        return Verdict(False, f"{where} {absent[0].title()}", signals)
    share, missing = support(evidence, policy)
    signals["support"] = round(share, 4)
    if share < policy.min_support:
        quoted = ", ".join(f"\u201c{m}\u201d" for m in missing[:3])
        return Verdict(False, f"the closest passage does not mention {quoted}", signals)
    lacking = missing_concept(evidence, policy)
    if lacking is not None:
        signals["concept_gain"] = round(lacking[1], 4)
        return Verdict(False, f"it says nothing about \u201c{lacking[0]}\u201d", signals)
    return Verdict(True, "answered", signals)
