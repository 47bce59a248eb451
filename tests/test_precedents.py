"""Precedents: what answered similar questions in other documents, as candidate features —
never recalled from the documents being searched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import Embedder, search
from service.answering.candidates import FEATURES
from service.answering.decision import MODEL_DIR
from service.answering.precedents import (
    FILE_NAME,
    Precedents,
    Recalled,
    asked_digests,
    precedent_columns,
    precedent_passages,
    recall_for,
)
from service.answering.tunables import (
    PASSAGES_FOR_SENTENCES,
    PRECEDENT_NEAR,
    PRECEDENT_PASSAGES,
)
from service.cli.evaluation import load_cases
from service.state import AppState

DATA = Path(__file__).parent / "data"

# Two policies' answered questions: (question, what answered it, the document's digest).
ASKED = [
    ("Do you share my data with advertisers?", "We disclose your details to ad partners.", "a"),
    ("Can I delete my account?", "You may close your account at any time in settings.", "b"),
    ("How long do you keep my data?", "Records are kept for five years after you leave.", "b"),
]


@pytest.fixture(scope="module")
def bank(embedder: Embedder) -> Precedents:
    questions = embedder.encode([q for q, _, _ in ASKED])
    answers = embedder.encode([a for _, a, _ in ASKED])
    digests = ("a", "b")
    documents = np.array([digests.index(d) for *_, d in ASKED])
    return Precedents(questions, answers, documents, digests)


def test_a_question_recalls_what_answered_the_nearest_one(
    bank: Precedents, embedder: Embedder
) -> None:
    asked = embedder.encode(["Is my information given to advertising companies?"])[0]
    recalled = bank.recall(asked, excluded=())
    assert recalled is not None
    # The advertisers' answer dominates the mix; the account answer barely counts.
    assert recalled.vector @ bank.answers[0] > 0.95
    assert recalled.vector @ bank.answers[1] < 0.5
    assert recalled.nearness == pytest.approx(float(bank.questions[0] @ asked), abs=1e-3)


def test_nothing_is_recalled_from_an_excluded_document(
    bank: Precedents, embedder: Embedder
) -> None:
    asked = embedder.encode(["Is my information given to advertising companies?"])[0]
    recalled = bank.recall(asked, excluded={"a"})
    assert recalled is not None
    assert recalled.vector @ bank.answers[0] < 0.5
    assert recalled.nearness < float(bank.questions[0] @ asked)
    assert bank.recall(asked, excluded={"a", "b"}) is None


def test_the_bank_survives_a_round_trip(bank: Precedents, tmp_path: Path) -> None:
    bank.save(tmp_path / FILE_NAME)
    loaded = Precedents.load(tmp_path / FILE_NAME)
    assert loaded is not None
    assert loaded.digests == bank.digests
    assert np.array_equal(loaded.documents, bank.documents)
    assert np.allclose(loaded.questions, bank.questions, atol=1e-3)
    assert Precedents.load(tmp_path / "absent.npz") is None


def test_without_a_near_precedent_the_features_are_zero(app_state: AppState) -> None:
    index = app_state.holder.current()
    vector = index.sentence_vectors[0].astype(np.float32)
    vector /= np.linalg.norm(vector)
    for recalled in (None, Recalled(vector, PRECEDENT_NEAR - 0.01)):
        columns = precedent_columns(index, [0, 1, 2], recalled, set())
        assert all(np.array_equal(c, np.zeros(3)) for c in columns.values())
    near = precedent_columns(index, [0, 1, 2], Recalled(vector, PRECEDENT_NEAR), {2})
    assert near["by_precedent"].tolist() == [0.0, 0.0, 1.0]
    assert near["precedent_similarity"][0] == pytest.approx(1.0, abs=1e-2)
    assert near["precedent_margin"].max() == 0.0


def test_precedents_choose_the_sentence_not_whether_to_answer(app_state: AppState) -> None:
    """The ranker reads the precedents; the answer-or-refuse classifier does not, and the
    candidates only a precedent added never decide: a question's chance of an answer is the
    same whatever the precedents say, though which sentence is quoted may change."""
    index = app_state.holder.current()
    decision = app_state.answerer.decision
    gathered = app_state.answerer.gather(index, "Who is the president of Kazakhstan?", [])
    assert gathered.candidates is not None
    features = gathered.candidates.features
    before = decision.probabilities(features)
    changed = features.copy()
    rng = np.random.default_rng(7)
    for name in ("precedent_similarity", "precedent_margin", "precedent_nearness"):
        changed[:, FEATURES.index(name)] = rng.uniform(-1, 1, len(changed))
    assert decision.probabilities(changed).max() == pytest.approx(before.max(), abs=1e-5)
    assert not np.array_equal(
        decision.ranker.predict(changed, num_threads=1),
        decision.ranker.predict(features, num_threads=1),
    )
    # Marked as added by a precedent, a candidate cannot carry the decision.
    best = int(np.argmax(before))
    changed = features.copy()
    changed[best, FEATURES.index("by_precedent")] = 1.0
    assert decision.probabilities(changed).max() <= before.max()


def test_a_bank_without_a_documents_questions_recalls_none_of_them(bank: Precedents) -> None:
    kept = bank.without({"b"})
    assert len(kept.questions) == 1
    assert np.array_equal(kept.answers, bank.answers[:1])


def test_a_near_precedent_adds_the_later_passages_most_like_its_answer(
    app_state: AppState, embedder: Embedder
) -> None:
    index = app_state.holder.current()
    question = "How many political prisoners are there in Kazakhstan?"
    hits = search(index, question, embedder.encode([question])[0], 25)
    reserve = list(enumerate(hits))[PASSAGES_FOR_SENTENCES:]
    # What answered "it" elsewhere is one particular later passage's first sentence.
    target = reserve[-1][1]
    vector = index.sentence_vectors[index.passages[target.passage_id].sentence_ids[0]]
    vector = vector.astype(np.float32) / np.linalg.norm(vector.astype(np.float32))
    near = precedent_passages(index, Recalled(vector, PRECEDENT_NEAR + 0.01), reserve)
    assert len(near) == PRECEDENT_PASSAGES
    assert reserve[-1] in near  # found however low it ranked, and with its rank
    assert precedent_passages(index, Recalled(vector, PRECEDENT_NEAR - 0.01), reserve) == []


def test_the_shipped_bank_never_reads_a_documents_own_answers_back(
    app_state: AppState, embedder: Embedder
) -> None:
    """The briefing's training questions are in the bank; asked of the briefing, a question
    the bank holds verbatim must not find itself (cosine 1) — only other documents' answers."""
    shipped = Precedents.load(MODEL_DIR / FILE_NAME)
    assert shipped is not None
    index = app_state.holder.current()
    briefing = {d.digest for d in index.documents.values()}
    assert briefing & set(shipped.digests), "the briefing's own questions are in the bank"
    questions = [c.question for c in load_cases(DATA / "dev.jsonl")][:40]
    held = [
        q
        for q, vector in zip(questions, embedder.encode(questions), strict=True)
        if (found := shipped.recall(vector, excluded=())) is not None and found.nearness > 0.99
    ]
    assert held, "some of the briefing's questions are in the bank verbatim"
    for question in held[:5]:
        gathered = app_state.answerer.gather(index, question, [])
        assert asked_digests(index, None) == briefing
        vector = embedder.encode([gathered.facts.query])[0]
        recalled = recall_for(app_state.answerer.precedents, index, None, vector)
        assert recalled is not None
        assert recalled.nearness < 0.95, question  # other documents' answers only
        # Nothing else in the bank is near the briefing's questions: no precedent features.
        assert gathered.candidates is not None
        assert not gathered.candidates.column("precedent_nearness").any()
