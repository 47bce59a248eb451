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

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from index.text import QUERY_FILLER, content_terms, stem

_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")


@dataclass(frozen=True)
class AbstentionPolicy:
    """Thresholds of the abstention decision, calibrated on the dev set and perturbed negatives."""

    min_sentence_similarity: float = 0.30
    min_top_score: float = 0.30
    confident_similarity: float = 0.62
    min_coverage: float = 0.25
    rare_term_max_df: int = 0


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
    top_bm25: float
    document_frequency: Callable[[str], int]
    passage_count: int


@dataclass
class Verdict:
    """The decision and the signals behind it (returned for debugging and calibration)."""

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
    return any(n not in re.findall(r"\d+(?:[.,]\d+)?", haystack) for n in numbers)


def coverage(evidence: Evidence) -> tuple[float, list[str]]:
    """Share (IDF-weighted) of the question's topical terms present in the answer's context,
    and the terms that are missing."""
    present = {stem(t) for t in content_terms(evidence.context + " " + evidence.standalone)}
    terms = [t for t in content_terms(evidence.question) if t not in QUERY_FILLER]
    if not terms:
        return 1.0, []
    n = max(evidence.passage_count, 1)
    total = 0.0
    found = 0.0
    missing = []
    for term in terms:
        df = evidence.document_frequency(term)
        weight = 1.0 + (n / (1 + df)) ** 0.5
        total += weight
        if stem(term) in present or term in evidence.context.lower():
            found += weight
        else:
            missing.append(term)
    return found / total, missing


def judge(evidence: Evidence, policy: AbstentionPolicy) -> Verdict:
    """Decide whether ``evidence`` answers its question."""
    cover, missing = coverage(evidence)
    signals = {
        "sentence_similarity": round(evidence.sentence_similarity, 4),
        "top_score": round(evidence.top_score, 4),
        "top_dense": round(evidence.top_dense, 4),
        "coverage": round(cover, 4),
    }
    answer = " ".join(evidence.answer_sentences)
    if constraint_mismatch(evidence.question, answer, evidence.context):
        return Verdict(False, "the year or number asked about is not in the evidence", signals)
    if evidence.sentence_similarity < policy.min_sentence_similarity:
        return Verdict(False, "nothing in the corpus is close to the question", signals)
    if evidence.top_score < policy.min_top_score:
        return Verdict(False, "retrieval found only weak matches", signals)
    if evidence.sentence_similarity < policy.confident_similarity and cover < policy.min_coverage:
        return Verdict(False, f"the evidence does not mention {', '.join(missing[:3])}", signals)
    return Verdict(True, "answered", signals)
