"""PolicyQA (``../shared/eval/policyqa``, README there) as training questions for the decision
and confidence models, and its scoring of held-out answers. Used by ``decision_data.collect``,
``decision_replay`` and ``train_decision.py``.

The set is read, written to one document per policy and scored exactly as
``scripts/eval/eval_policyqa.py`` does (its loader and scoring are imported, not copied): each
question is asked of its own policy only (the ``documents`` scope), and an answer is right when
a gold span (lower case, punctuation and articles removed) is in it and it is at most 300
characters. Every policy is its own cross-validation group (``policyqa:<title>``), so its
held-out figure comes from models that never saw that policy.

At most ``PER_POLICY`` questions of each policy are kept (chosen by a hash of the question, so
by no figure): the set's 3,809 questions would otherwise cost as much candidate gathering as
all the other sets together, and its questions repeat one another ("Do you share my data…?"
asked of a policy's many segments).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

from index import Embedder, LoadedIndex, build_index, load_index
from service.cli.evaluation import Case

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "eval"))
from eval_policyqa import DEV, MAX_CHARS, Asked, holds_span, load, normalize, write_corpus

PREFIX = "policyqa:"
SOURCE = "policyqa"
# Questions kept per policy: 20 policies x 60 = 1,062 questions, about the briefing's and the
# policy set's together with SQuAD's off-topic share. With 150 a policy in every model
# (2,148 questions; nested run of 2026-12-07) PolicyQA's held-out accuracy on the same 987
# questions rose 0.279 -> 0.294, and the briefing's fell 0.893 -> 0.854 (its false refusals
# 0.017 -> 0.045): the classifier's refusals shifted to PolicyQA's loose questions.
PER_POLICY = 60
# Further questions per policy that only the ranker learns from (which sentence to quote,
# not whether to answer): up to RANKER_PER_POLICY a policy in all, the same hash order.
RANKER_PER_POLICY = 150
# A sentence that shares this many words with a span's start or end (a span running over a
# sentence boundary) is labelled as holding the answer: quoting it is the way to the span.
OVERLAP_WORDS = 4


def questions(
    embedder: Embedder, work_dir: Path
) -> tuple[LoadedIndex, list[tuple[Case, str, bool]]]:
    """The policies' index (built or reused under ``work_dir``) and the kept questions, each
    with the document id of the policy it is asked of and whether only the ranker learns from
    it (one of the ``RANKER_PER_POLICY`` beyond the ``PER_POLICY``)."""
    texts, asked = load(DEV)
    ids = write_corpus(texts, work_dir / "policyqa-corpus")
    build_index(work_dir / "policyqa-corpus", work_dir / "policyqa", embedder)
    index = load_index(work_dir / "policyqa")
    for_every_model = {(q.policy, q.question) for q in sample(asked)}
    kept = []
    for number, q in enumerate(sample(asked, RANKER_PER_POLICY)):
        case = Case(
            id=f"policyqa-{number}",
            question=q.question,
            history_questions=[],
            answerable=True,  # every question has an answer in its policy (the README)
            answer_keys=[],
            evidence=[],
            follow_up=False,
            gold_spans=q.spans,
            group=PREFIX + q.policy,
        )
        kept.append((case, ids[q.policy], (q.policy, q.question) not in for_every_model))
    return index, kept


def every_answered(index: LoadedIndex, work_dir: Path) -> list[tuple[str, int]]:
    """Every question of the set (not only the kept ones) with the first sentence of its
    policy in ``index`` that holds one of its spans: the precedent bank's PolicyQA entries
    (``precedent_bank.py``). Questions no single sentence answers are left out."""
    texts, asked = load(DEV)
    ids = write_corpus(texts, work_dir / "policyqa-corpus")
    by_document: dict[str, list[int]] = {}
    for sid, sentence in enumerate(index.sentences):
        by_document.setdefault(sentence.document_id, []).append(sid)
    answered = []
    for q in asked:
        holding = (
            sid
            for sid in by_document.get(ids[q.policy], [])
            if holds_span(index.sentences[sid].text, q.spans)
        )
        first = next(holding, None)
        if first is not None:
            answered.append((q.question, first))
    return answered


def sample(asked: list[Asked], per_policy: int = PER_POLICY) -> list[Asked]:
    """At most ``per_policy`` questions of each policy, by a hash of the question (so the
    first ``PER_POLICY`` of a larger sample are the sample of ``PER_POLICY``)."""
    by_policy: dict[str, list[Asked]] = {}
    for q in asked:
        by_policy.setdefault(q.policy, []).append(q)
    kept: list[Asked] = []
    for policy in sorted(by_policy):
        ordered = sorted(
            by_policy[policy], key=lambda q: hashlib.sha256(q.question.encode()).hexdigest()
        )
        kept += ordered[:per_policy]
    return kept


def labels(sentences: list[str], spans: list[str]) -> np.ndarray:
    """1 for each sentence that holds a gold span, lies inside one, or overlaps one's start or
    end by ``OVERLAP_WORDS`` words (normalised as the set is scored)."""
    words = [normalize(s).split() for s in spans if normalize(s).strip()]
    return np.array([float(_overlaps(normalize(s).split(), words)) for s in sentences])


def _overlaps(sentence: list[str], spans: list[list[str]]) -> bool:
    text = " " + " ".join(sentence) + " "
    for span in spans:
        joined = " " + " ".join(span) + " "
        if joined in text or (sentence and text in joined):
            return True
        for k in range(OVERLAP_WORDS, min(len(span), len(sentence)) + 1):
            if sentence[-k:] == span[:k] or sentence[:k] == span[-k:]:
                return True
    return False


def correct(text: str, spans: list[str]) -> bool:
    """A span is in ``text`` (the set's scoring; the length bar is the caller's)."""
    return holds_span(text, spans)


def yes_no(question: str) -> bool:
    """The question opens as a yes/no form (the evaluation's split)."""
    return Asked("", question, []).yes_no


__all__ = [
    "MAX_CHARS",
    "PREFIX",
    "SOURCE",
    "correct",
    "every_answered",
    "labels",
    "questions",
    "yes_no",
]
