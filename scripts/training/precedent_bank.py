"""The precedent bank (``service/answering/precedents.py``) from the training questions. Used
by ``decision_data.collect`` before it gathers candidates, so that every training candidate
is gathered and featured exactly as the service gathers it.

An entry is an answerable question of a training set asked on its own (a follow-up's "why?"
is no precedent for anything) with the first sentence of its document that answers it: the
question's vector (as the pipeline reads it), that sentence's vector, and the digest of its
document. SQuAD's, the briefing's and the policy set's questions go in, and every PolicyQA
question that one sentence of its policy answers (the training gathers candidates for 60 a
policy, but a bank is cheap, and a larger one recalls better: in a leave-one-policy-out trial
of flat sentence search, 0.302 of the questions were answered right with 60 a policy in the
bank and 0.336 with all); the decision model learns how far to trust them.

The service never recalls an entry of a document the question is asked of, so a held-out
document never sees its own labels. An off-topic question (one set's question asked of
another corpus) is gathered with a bank that lacks its own set's documents, or it would find
itself at cosine 1, which no question asked in use does.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

import numpy as np

from index import Embedder, LoadedIndex
from service.answering.precedents import Precedents
from service.answering.question import read_question
from service.cli.evaluation import Case, case_correct, policy_normalize


def build(embedder: Embedder, asked: Iterable[tuple[LoadedIndex, str, int]]) -> Precedents:
    """The bank of ``asked`` (index, question, the sentence that answers it), each question of
    each document once."""
    entries: dict[tuple[str, str], tuple[LoadedIndex, str, int]] = {}
    for index, question, sentence_id in asked:
        digest = index.documents[index.sentences[sentence_id].document_id].digest
        entries.setdefault((question.strip(), digest), (index, question, sentence_id))
    queries = [read_question(index, q, [], None).query for index, q, _ in entries.values()]
    digests: dict[str, int] = {}
    documents = [digests.setdefault(d, len(digests)) for _, d in entries]
    answers = [index.sentence_vectors[s].astype(np.float32) for index, _, s in entries.values()]
    return Precedents(
        np.asarray(embedder.encode(queries), dtype=np.float32),
        np.array(answers, dtype=np.float32),
        np.array(documents, dtype=np.int32),
        tuple(digests),
    )


def answered_cases(index: LoadedIndex, cases: Iterable[Case]) -> list[tuple[LoadedIndex, str, int]]:
    """(index, question, sentence) for each answerable standalone case that one sentence of its
    document answers."""
    by_document: dict[str, list[int]] = {}
    for sid, sentence in enumerate(index.sentences):
        document = index.documents[sentence.document_id]
        by_document.setdefault(document.id, []).append(sid)
        if PurePath(document.path).stem != document.id:
            by_document.setdefault(PurePath(document.path).stem, []).append(sid)
    everywhere = list(range(len(index.sentences)))
    found = []
    for case in cases:
        if not case.answerable or case.history_questions:
            continue
        within = by_document.get(case.group, []) if case.group else everywhere
        sentence_id = answering_sentence(index, case, within)
        if sentence_id is not None:
            found.append((index, case.question, sentence_id))
    return found


def answering_sentence(index: LoadedIndex, case: Case, within: list[int]) -> int | None:
    """The first sentence of ``within`` (the case's document) that holds the case's answer, or
    else its first evidence phrase."""
    evidence = policy_normalize(case.evidence[0]) if case.evidence else ""
    keyed = bool(case.gold_spans or case.answer_keys)  # no keys: every sentence would match
    for sid in within:
        text = index.sentences[sid].text
        if keyed and case_correct(text, case):
            return sid
        if evidence and evidence in policy_normalize(text):
            return sid
    return None
