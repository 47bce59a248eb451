"""Replaying held-out answers: the operating-point table, each question's answer as the
service would give it from held-out probabilities, and the figures scored on them. Used by
``scripts/training/train_decision.py``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import policyqa_data
from decision_data import OWN_GROUPS, POLICY_PREFIX, Example

from service.answering.candidates import FEATURES
from service.answering.citations import cite
from service.answering.composition import compose
from service.answering.decision import decide_from, threshold_for, vetoed
from service.answering.settling import settling_first
from service.answering.tunables import MAX_ANSWER_CHARS
from service.cli.evaluation import Case, case_correct, policy_normalize

RATES = [round(r, 4) for r in np.arange(0.0, 0.2001, 0.0025)]
# Operating points reported as a refusal curve (the setting's default is 0.03).
CURVE_RATES = (0.03, 0.05, 0.08, 0.10, 0.15)


def operating_points(examples: list[Example], scores: list[np.ndarray]) -> list[list[float]]:
    """[false-abstention rate, threshold] rows from the answerable questions' best scores."""
    # A question a hand rule refuses is refused at any threshold: it counts below 0, so the
    # table's rate is the whole false-abstention rate, hand rules included.
    best = np.array(
        [
            -1.0 if _vetoed(e, s) else s.max()
            for e, s in zip(examples, scores, strict=True)
            if e.case.answerable
        ]
    )
    return [[r, float(max(np.quantile(best, r), 0.0))] for r in RATES]


def _vetoed(e: Example, probabilities: np.ndarray) -> bool:
    candidates = e.found.candidates
    assert candidates is not None
    best = int(np.argmax(probabilities))
    return vetoed(dict(zip(FEATURES, candidates.features[best], strict=True)))


@dataclass(frozen=True)
class Replay:
    """One question's answer replayed from held-out probabilities, scored."""

    answerable: bool
    answered: bool
    correct: bool
    right_sentence: bool
    rank: int | None
    chars: int
    best: float
    off_topic: bool
    follow_up: bool = False
    group: str = ""
    source: str = ""
    span_in_candidates: bool = False


def simulate(e: Example, probabilities: np.ndarray, threshold: float) -> Replay:
    """The answer the service would give with these probabilities, scored."""
    candidates = e.found.candidates
    assert candidates is not None
    verdict = decide_from(probabilities, candidates, e.found.facts, threshold)
    answered = verdict.answered
    order = settling_first(  # as the answerer does: the settling sentence, if close
        e.index, candidates.sentence_ids, verdict.order, probabilities, e.found.facts.yes_no
    )
    composed = compose(e.index, candidates, order, probabilities, e.found.facts)
    citations, text = cite(
        e.index, e.found.hits, composed.chosen, composed.runners_up, 3, composed.quotes
    )
    case = e.case
    rank = _rank([c.text for c in citations], case, e.group)
    right = case.answerable and _correct(text, case, e.group)
    return Replay(
        answerable=case.answerable,
        answered=answered,
        correct=answered and right,
        right_sentence=right,
        rank=rank,
        chars=len(text),
        best=float(probabilities[order[0]]),
        off_topic=e.off_topic,
        follow_up=case.follow_up,
        group=e.group,
        source=e.source,
        span_in_candidates=bool(np.any(e.labels)),
    )


def _correct(text: str, case: Case, group: str) -> bool:
    """Right by the question set's own scoring: the policy set's README normalisation (lower
    case, punctuation collapsed) for its questions, PolicyQA's (articles removed too) for
    its, the evaluation's otherwise."""
    if group.startswith(policyqa_data.PREFIX):
        return policyqa_data.correct(text, case.gold_spans)
    if not group.startswith(POLICY_PREFIX):
        return case_correct(text, case)
    answer = policy_normalize(text)
    if case.gold_spans:
        return any(policy_normalize(s) in answer for s in case.gold_spans)
    return all(policy_normalize(k) in answer for k in case.answer_keys)


def _rank(texts: list[str], case: Case, group: str) -> int | None:
    """The smallest k whose first k citations hold a gold span (all answer keys, for a
    conversation turn)."""
    if case.gold_spans:
        return next((k for k, t in enumerate(texts, 1) if _correct(t, case, group)), None)
    joined = ""
    for k, t in enumerate(texts, 1):
        joined += " " + t
        if case.answer_keys and _correct(joined, case, group):
            return k
    return None


def figures(rows: list[Replay]) -> dict[str, float]:
    """Answer accuracy, R@1, R@3, abstention, false abstention, answer length."""
    pos = [r for r in rows if r.answerable]
    neg = [r for r in rows if not r.answerable]
    lengths = [r.chars for r in pos if r.answered]

    def share(xs: list[bool]) -> float:
        return round(float(np.mean(xs)), 4) if xs else float("nan")

    return {
        "questions": len(rows),
        "answer_accuracy": share([r.correct for r in pos]),
        "answer_accuracy_within_300_chars": share(
            [r.correct and r.chars <= MAX_ANSWER_CHARS for r in pos]
        ),
        "r_at_1": share([r.rank == 1 for r in pos]),
        "r_at_3": share([r.rank is not None and r.rank <= 3 for r in pos]),
        "abstention": share([not r.answered for r in neg]),
        "false_abstention": share([not r.answered for r in pos]),
        "mean_answer_chars": round(float(np.mean(lengths)), 1) if lengths else 0.0,
        "answers_over_300_chars": sum(n > MAX_ANSWER_CHARS for n in lengths),
        "follow_up_r_at_3": share([r.rank is not None and r.rank <= 3 for r in pos if r.follow_up]),
        "follow_up_accuracy": share([r.correct for r in pos if r.follow_up]),
    }


def replay(
    examples: list[Example], ranked: list[np.ndarray], target: float
) -> dict[str, list[Replay]]:
    """Every question's answer replayed, per article, at the operating point ``target``: the
    threshold for an article comes from the other articles' held-out scores."""
    rows_by_group: dict[str, list[Replay]] = {}
    for group in sorted({e.group for e in examples}):
        others = [(e, s) for e, s in zip(examples, ranked, strict=True) if e.group != group]
        threshold = threshold_for(
            operating_points([e for e, _ in others], [s for _, s in others]), target
        )
        rows_by_group[group] = [
            simulate(e, s, threshold)
            for e, s in zip(examples, ranked, strict=True)
            if e.group == group
        ]
    return rows_by_group


def refusals(rows_by_group: dict[str, list[Replay]], family: str = "squad") -> dict[str, float]:
    """Abstention, false abstention and accuracy on one family's own questions."""
    on_topic = [r for g, rows in rows_by_group.items() if family_of(g) == family for r in rows]
    shown = figures([r for r in on_topic if not r.off_topic])
    return {k: shown[k] for k in ("abstention", "false_abstention", "answer_accuracy")}


def family_of(group: str) -> str:
    """The question set a fold belongs to: "policy", "policyqa", "briefing" or "squad" (one
    article)."""
    if group.startswith(POLICY_PREFIX):
        return "policy"
    if group.startswith(policyqa_data.PREFIX):
        return policyqa_data.SOURCE
    return group if group in OWN_GROUPS else "squad"


def policyqa_figures(
    examples: list[Example], rows_by_group: dict[str, list[Replay]]
) -> dict[str, object]:
    """PolicyQA as ``scripts/eval/eval_policyqa.py`` scores it (a span in an answer of at most
    300 characters; false refusals over all questions; R@3), over the policies in
    ``rows_by_group``, all questions and by form (yes/no or other), and per policy."""
    asked: dict[str, list[tuple[bool, Replay]]] = {}
    for group, rows in rows_by_group.items():
        if family_of(group) != policyqa_data.SOURCE:
            continue
        mine = [e for e in examples if e.group == group]
        asked[group] = [
            (policyqa_data.yes_no(e.case.question), r) for e, r in zip(mine, rows, strict=True)
        ]

    def share(xs: list[bool]) -> float:
        return round(float(np.mean(xs)), 4) if xs else float("nan")

    def scored(pairs: list[tuple[bool, Replay]]) -> dict[str, float]:
        rows = [r for _, r in pairs]
        return {
            "questions": len(rows),
            "accuracy": share([r.correct and r.chars <= policyqa_data.MAX_CHARS for r in rows]),
            "false_refusals": share([not r.answered for r in rows]),
            "r_at_3": share([r.rank is not None and r.rank <= 3 for r in rows]),
            # Where the rest is lost: a candidate held a span (what choosing can reach), the
            # first citation's passage held it, the answer held it at any length or refused.
            "span_in_candidates": share([r.span_in_candidates for r in rows]),
            "r_at_1": share([r.rank == 1 for r in rows]),
            "span_quoted_any_length": share([r.right_sentence for r in rows]),
        }

    everything = [p for pairs in asked.values() for p in pairs]
    return {
        "all": scored(everything),
        "yes/no": scored([p for p in everything if p[0]]),
        "other": scored([p for p in everything if not p[0]]),
        "per_policy": {
            g.removeprefix(policyqa_data.PREFIX): scored(pairs)["accuracy"]
            for g, pairs in sorted(asked.items())
        },
    }
