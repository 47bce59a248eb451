"""Scoring the real answerer on a question set in the format of ``shared/eval/dev.jsonl``.

A row is a single question — ``{"id", "question", "answer_keys", "evidence"}``, or
``"answerable": false`` for one the corpus does not answer — or a conversation,
``{"id", "turns": [{"question", "answer_keys", "evidence"}, ...]}``. The SQuAD format of
``shared/eval/squad`` is read too: ``{"id", "question", "answers": [...], "document"}``, where
any one gold span is right (``answerable: false`` as above); figures are also given per
``document``.

Definitions (docs/quality.md's tables use them):

* R@k: every evidence phrase is inside the text of the first k citations (whitespace, quotes
  and case normalised). MRR: 1 / the smallest such k (0 when none up to 10).
* answer accuracy: every answer key occurs in the answer text, case-insensitive, starting at a
  word start; for SQuAD rows, one gold span occurs in it (SQuAD normalisation: lower case,
  punctuation and articles removed), and R@k holds when one gold span is in the first k
  citations. Mean answer length: characters of the answer text of answered questions.
* follow-up metrics: conversation turns after the first, asked with the earlier turns (their
  questions and this system's answers) as history.
* abstention accuracy: share of unanswerable questions answered ``answered: false``;
  false-abstention rate: share of answerable questions (all turns) answered ``false``.
"""

from __future__ import annotations

import json
import re
import statistics
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.text import normalize

from ..answering import Answer, Answerer, Turn

EVAL_TOP_K = 10


@dataclass
class Case:
    """One question to score, with the conversation before it."""

    id: str
    question: str
    history_questions: list[str]
    answerable: bool
    answer_keys: list[str]
    evidence: list[str]
    follow_up: bool
    gold_spans: list[str] = field(default_factory=list)
    group: str = ""


@dataclass
class CaseResult:
    """What the answerer did on one case."""

    case: Case
    answer: Answer
    rank: int | None
    keys_ok: bool

    def miss_reasons(self) -> list[str]:
        """Why this case counts against a metric (empty when it does not)."""
        reasons = []
        if self.case.answerable:
            if not self.answer.answered:
                reasons.append("abstained")
            if self.rank is None:
                reasons.append("evidence not in citations")
            elif self.rank > 1:
                reasons.append(f"evidence at rank {self.rank}")
            if not self.keys_ok:
                reasons.append("answer keys missing")
        elif self.answer.answered:
            reasons.append("answered an unanswerable question")
        return reasons


@dataclass
class EvalReport:
    """Aggregate figures and the per-case results behind them."""

    metrics: dict[str, float]
    counts: dict[str, int]
    results: list[CaseResult] = field(default_factory=list)
    per_group: dict[str, dict[str, float]] = field(default_factory=dict)

    def misses(self) -> list[dict[str, Any]]:
        """The cases that count against a metric, for study."""
        rows = []
        for r in self.results:
            reasons = r.miss_reasons()
            if reasons:
                rows.append(
                    {
                        "id": r.case.id,
                        "question": r.case.question,
                        "standalone_question": r.answer.standalone_question,
                        "reasons": reasons,
                        "answer": r.answer.answer,
                        "signals": r.answer.signals,
                    }
                )
        return rows

    def to_json(self) -> dict[str, Any]:
        """Metrics, counts and misses as JSON-ready data."""
        return {
            "metrics": self.metrics,
            "counts": self.counts,
            "per_document": self.per_group,
            "misses": self.misses(),
        }


def load_cases(path: Path) -> list[Case]:
    """Read a question set; raises ValueError naming the line of a malformed row."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            cases.extend(_cases_from_row(row))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid eval row ({exc})") from exc
    return cases


def _cases_from_row(row: dict[str, Any]) -> Iterable[Case]:
    if "turns" in row:
        asked: list[str] = []
        for i, turn in enumerate(row["turns"]):
            yield Case(
                id=f"{row['id']}.{i + 1}",
                question=turn["question"],
                history_questions=list(asked),
                answerable=turn.get("answerable", True) is not False,
                answer_keys=list(turn.get("answer_keys") or []),
                evidence=list(turn.get("evidence") or []),
                follow_up=i > 0,
            )
            asked.append(turn["question"])
        return
    yield Case(
        id=str(row["id"]),
        question=row["question"],
        history_questions=[],
        answerable=row.get("answerable", True) is not False,
        answer_keys=list(row.get("answer_keys") or []),
        evidence=list(row.get("evidence") or []),
        follow_up=False,
        gold_spans=[str(a) for a in row.get("answers") or []],
        group=str(row.get("document", "")),
    )


def squad_normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in normalize(text) if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


_PUNCTUATION = frozenset(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def policy_normalize(text: str) -> str:
    """The policy set's scoring normalisation (tests/data/policy/README.md): lower case, every
    run of punctuation, "_" and whitespace one space — padded with a space on each side, so that
    ``policy_normalize(span) in policy_normalize(text)`` matches whole words only."""
    return " " + " ".join(re.sub(r"[\W_]+", " ", text.lower()).split()) + " "


def has_policy_span(text: str, spans: list[str]) -> bool:
    """One of ``spans`` occurs in ``text`` on word boundaries (the policy normalisation)."""
    haystack = policy_normalize(text)
    return any(policy_normalize(s) in haystack for s in spans if s.strip(" \t\n.,;:!?"))


def has_gold_span(text: str, spans: list[str]) -> bool:
    """One of the gold spans occurs in ``text`` (SQuAD normalisation)."""
    haystack = f" {squad_normalize(text)} "
    return any(f" {squad_normalize(s)} " in haystack for s in spans if squad_normalize(s))


def gold_rank(answer: Answer, spans: list[str]) -> int | None:
    """The smallest k such that one gold span is inside one of the first k citations."""
    for k, citation in enumerate(answer.citations, start=1):
        if has_gold_span(citation.text, spans):
            return k
    return None


def case_rank(answer: Answer, case: Case) -> int | None:
    """Where the evidence of ``case`` first shows in the citations (None: not there)."""
    if not case.answerable:
        return None
    if case.gold_spans:
        return gold_rank(answer, case.gold_spans)
    return evidence_rank(answer, case.evidence)


def case_correct(answer_text: str, case: Case) -> bool:
    """The answer text holds what ``case`` asks for."""
    if case.gold_spans:
        return has_gold_span(answer_text, case.gold_spans)
    return keys_in_answer(answer_text, case.answer_keys)


def evidence_rank(answer: Answer, evidence: list[str]) -> int | None:
    """The smallest k such that the first k citations hold every evidence phrase."""
    if not evidence:
        return None
    phrases = [normalize(e) for e in evidence]
    seen = ""
    for k, citation in enumerate(answer.citations, start=1):
        seen += " \u0000 " + normalize(citation.text)
        if all(p in seen for p in phrases):
            return k
    return None


def keys_in_answer(answer_text: str, keys: list[str]) -> bool:
    """Every key occurs in the answer, case-insensitive, starting at a word start."""
    text = normalize(answer_text)
    return all(
        re.search(r"(?<![\w])" + re.escape(normalize(key)), text) is not None for key in keys
    )


def evaluate(answerer: Answerer, cases: list[Case], mode: str = "hybrid") -> EvalReport:
    """Ask every case (conversations in order, with this system's earlier answers as history)."""
    results: list[CaseResult] = []
    previous_answers: dict[str, str] = {}
    for case in cases:
        conversation = case.id.split(".")[0]
        history = [
            Turn(q, previous_answers.get(f"{conversation}.{i + 1}", ""))
            for i, q in enumerate(case.history_questions)
        ]
        answer = answerer.ask(case.question, history, top_k=EVAL_TOP_K, mode=mode)
        previous_answers[case.id] = answer.answer
        rank = case_rank(answer, case)
        keys_ok = case_correct(answer.answer, case) if answer.answered else False
        results.append(CaseResult(case, answer, rank, keys_ok))
    return EvalReport(_metrics(results), _counts(results), results, _per_group(results))


def _per_group(results: list[CaseResult]) -> dict[str, dict[str, float]]:
    """The same figures for each document a question set names (SQuAD's ``document``)."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        if r.case.group:
            groups.setdefault(r.case.group, []).append(r)
    return {name: _metrics(rows) for name, rows in sorted(groups.items())}


def _share(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else float("nan")


def _metrics(results: list[CaseResult]) -> dict[str, float]:
    first = [r for r in results if r.case.answerable and not r.case.follow_up]
    follow = [r for r in results if r.case.answerable and r.case.follow_up]
    negatives = [r for r in results if not r.case.answerable]
    answerable = first + follow
    answered_lengths = [len(r.answer.answer) for r in answerable if r.answer.answered]
    latencies = sorted(r.answer.took_ms for r in results)
    return {
        "r_at_1": _share([r.rank == 1 for r in first]),
        "r_at_3": _share([r.rank is not None and r.rank <= 3 for r in first]),
        "mrr": round(statistics.fmean([1 / r.rank if r.rank else 0.0 for r in first]), 4)
        if first
        else float("nan"),
        "answer_accuracy": _share([r.keys_ok for r in first]),
        "mean_answer_chars": round(statistics.fmean(answered_lengths), 1)
        if answered_lengths
        else 0.0,
        # Answers promise at most ~300 characters (MAX_ANSWER_CHARS): the longest shows it held.
        "longest_answer_chars": max(answered_lengths, default=0),
        "follow_up_r_at_3": _share([r.rank is not None and r.rank <= 3 for r in follow]),
        "follow_up_answer_accuracy": _share([r.keys_ok for r in follow]),
        "abstention_accuracy": _share([not r.answer.answered for r in negatives]),
        "false_abstention_rate": _share([not r.answer.answered for r in answerable]),
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "latency_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2)
        if latencies
        else 0.0,
    }


def _counts(results: list[CaseResult]) -> dict[str, int]:
    return {
        "questions": len(results),
        "answerable_first_turn": sum(r.case.answerable and not r.case.follow_up for r in results),
        "follow_up_turns": sum(r.case.answerable and r.case.follow_up for r in results),
        "unanswerable": sum(not r.case.answerable for r in results),
    }


METRIC_LABELS = {
    "r_at_1": "R@1",
    "r_at_3": "R@3",
    "mrr": "MRR",
    "answer_accuracy": "answer accuracy",
    "mean_answer_chars": "mean answer length (chars)",
    "longest_answer_chars": "longest answer (chars)",
    "follow_up_r_at_3": "follow-up R@3",
    "follow_up_answer_accuracy": "follow-up answer accuracy",
    "abstention_accuracy": "abstention accuracy",
    "false_abstention_rate": "false-abstention rate",
    "latency_p50_ms": "latency p50 (ms, in-process)",
    "latency_p95_ms": "latency p95 (ms, in-process)",
}
