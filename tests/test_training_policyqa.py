"""PolicyQA's training rows and the refusal floor's replay (scripts/training): labels follow
the set's scoring, the sample is bounded and fixed, and a floored answer is refused as the
service refuses it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "training"))
import confidence_model
import policyqa_data
from decision_data import is_development
from decision_replay import Replay
from eval_policyqa import Asked

from service.answering.decision import CONFIDENCE_INPUTS

SPAN = "share your personal information with advertising partners"


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        # The span in the sentence, up to case, punctuation and articles (the set's scoring).
        ("We may SHARE your personal information with the advertising partners.", 1.0),
        # A sentence inside a long span: quoting it is the way to the span.
        ("Your personal information.", 1.0),
        # The sentence ends where the span starts, over a sentence boundary.
        ("In some cases we share your personal information", 1.0),
        # Three words in common with the span's start are a coincidence, not an overlap.
        ("Please share your thoughts with us.", 0.0),
        ("We keep cookies for a year.", 0.0),
    ],
)
def test_policyqa_labels_follow_the_sets_scoring(sentence: str, label: float) -> None:
    assert policyqa_data.labels([sentence], [SPAN]).tolist() == [label]


def test_policyqa_sample_is_bounded_per_policy_and_independent_of_order() -> None:
    asked = [
        Asked(p, f"Question {n} of {p}?", ["x"])
        for p in ("a", "b")
        for n in range(policyqa_data.PER_POLICY + 40)
    ]
    kept = policyqa_data.sample(asked)
    for policy in ("a", "b"):
        assert sum(q.policy == policy for q in kept) == policyqa_data.PER_POLICY
    assert [q.question for q in policyqa_data.sample(asked[::-1])] == [q.question for q in kept]
    # The ranker's larger sample holds the smaller one: every model learns from the same
    # questions, the ranker from more.
    more = policyqa_data.sample(asked, policyqa_data.PER_POLICY + 20)
    assert len(more) == 2 * (policyqa_data.PER_POLICY + 20)
    assert {q.question for q in kept} < {q.question for q in more}


def _replay(answerable: bool, answered: bool, correct: bool, source: str) -> Replay:
    return Replay(answerable, answered, correct, correct, 1, 100, 0.5, False, source=source)


def _rows(gist: list[bool]) -> np.ndarray:
    x = np.zeros((len(gist), len(CONFIDENCE_INPUTS)))
    x[:, CONFIDENCE_INPUTS.index("overview_lead")] = gist
    return x


def test_an_answer_under_the_floor_is_refused_unless_it_is_a_gist() -> None:
    rows = {
        "g": [
            _replay(True, True, True, "squad"),  # confident: kept
            _replay(False, True, False, "squad"),  # unsure: refused
            _replay(True, True, True, "briefing"),  # unsure but a gist: kept
        ]
    }
    confidence = np.array([0.9, 0.01, 0.01])
    out = confidence_model.floored(rows, _rows([False, False, True]), confidence, 0.05)["g"]
    assert [r.answered for r in out] == [True, False, True]
    assert not out[1].correct


def test_the_floor_sweep_credits_refusing_an_unsure_wrong_answer() -> None:
    confidence = np.array([0.9, 0.02, 0.9, 0.02])
    answerable = np.array([True, False, True, True])
    right = np.array([1.0, 0.0, 1.0, 0.0])
    table = confidence_model.floor_sweep(
        _rows([False] * 4),
        confidence,
        right,
        answerable,
        np.ones(4, dtype=bool),
        np.array(["squad", "squad", "policyqa", "policyqa"]),
        np.ones(4, dtype=bool),
    )
    handled = {row["floor"]: row["handled_right"] for row in table}
    assert handled[0.05] > handled[0.0]
    assert confidence_model.best_floor(table) == min(
        f for f, h in handled.items() if h == max(handled.values())
    )


def test_confidence_source_is_the_one_nearer_the_truth_on_development_groups() -> None:
    # Each group answers right at its own base rate over the quoted probability (an offset no
    # held-out group can learn), and a column names the group: a model fitted on the other
    # groups learns their offsets through it, which the held-out group does not share, so the
    # bare probability, calibrated, is nearer the truth there — and is what must be chosen.
    rng = np.random.default_rng(3)
    names = [f"group-{i}" for i in range(40)]
    assert any(is_development(g) for g in names)
    rows, right, groups = [], [], []
    for number, name in enumerate(names):
        offset = rng.uniform(-0.4, 0.4)
        best = rng.uniform(0, 1, 300)
        row = np.zeros((300, len(CONFIDENCE_INPUTS)))
        row[:, CONFIDENCE_INPUTS.index("best")] = best
        row[:, -1] = number
        rows.append(row)
        right.append(rng.uniform(0, 1, 300) < np.clip(best + offset, 0, 1))
        groups += [name] * 300
    x, y = np.vstack(rows), np.concatenate(right).astype(float)
    w, answered = np.ones(len(y)), np.ones(len(y), dtype=bool)
    source, raw, scores = confidence_model.choose_source(x, y, w, groups, answered)
    assert set(scores) == set(confidence_model.SOURCES)
    assert source == min(scores, key=lambda s: scores[s]) == "best_probability"
    assert np.array_equal(raw, x[:, CONFIDENCE_INPUTS.index("best")])
