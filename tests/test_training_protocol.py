"""The training protocol holds documents out honestly: no held-out score, and no choice of the
weighting behind it, comes from a model that saw the held-out group's questions.

The models are stand-ins that remember what they were trained on: this is about which rows
reach which fit, not about LightGBM."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "training"))
import protocol
import tune_development
from decision_replay import Replay


@dataclass
class FakeExample:
    group: str
    source: str
    off_topic: bool = False
    labels: np.ndarray = field(default_factory=lambda: np.zeros(2))


@dataclass
class Remembering:
    """A model that scores every candidate with the id of its training set."""

    number: int
    groups: frozenset[str]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), float(self.number))


def _examples() -> list[Any]:
    groups = {"squad": [f"article-{i}" for i in range(12)], "briefing": ["briefing"]}
    groups["policy"] = ["policy:a", "policy:b", "policy:c"]
    return [
        FakeExample(group, source)
        for source, names in groups.items()
        for group in names
        for _ in range(3 if source == "squad" else 5)
    ]


def test_deal_puts_every_group_in_one_fold_of_about_equal_size() -> None:
    sizes = {f"g{i}": 10 + i for i in range(25)}
    folds = protocol.deal(sorted(sizes), sizes, 10)
    dealt = [g for fold in folds for g in fold]
    assert sorted(dealt) == sorted(sizes)
    totals = [sum(sizes[g] for g in fold) for fold in folds]
    assert max(totals) - min(totals) <= max(sizes.values())
    assert folds == protocol.deal(sorted(sizes, reverse=True), sizes, 10)


def test_no_held_out_score_comes_from_a_model_that_saw_its_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fitted: list[Remembering] = []
    judged_on: list[set[str]] = []

    def fit(examples: list[Any], balance: float) -> Any:
        fitted.append(Remembering(len(fitted), frozenset(e.group for e in examples)))
        return fitted[-1]

    def fake_replay(examples: list[Any], scores: list[np.ndarray], target: float) -> Any:
        # The inner objective sees only the rows of the outer fold's training groups.
        judged_on.append({e.group for e in examples})
        rows = [
            Replay(True, True, bool(s[0] % 2), True, 1, 10, 0.5, False, source=e.source)
            for e, s in zip(examples, scores, strict=True)
        ]
        return {"all": rows}

    monkeypatch.setattr(protocol, "replay", fake_replay)
    examples = _examples()
    trainer = protocol.Trainer(fit, lambda ex: fit(ex, 0.0), lambda e: np.zeros((2, 1)))
    result = protocol.nested_scores(examples, (0.0, 0.5), trainer, 0.03)
    for e, scores in zip(examples, result.scores, strict=True):
        model = fitted[int(scores[0])]
        assert e.group not in model.groups
    outer = protocol.deal(sorted({e.group for e in examples}), protocol.group_sizes(examples), 10)
    assert len(judged_on) == len(outer) * 2  # each candidate judged once per outer fold
    for fold, seen in zip(outer, judged_on[::2], strict=True):
        assert not seen & set(fold)
    assert set(result.chosen) == {e.group for e in examples}


def test_the_inner_objective_weighs_question_sets_alike() -> None:
    def row(right: bool, source: str) -> Replay:
        return Replay(True, True, right, right, 1, 10, 0.5, False, source=source)

    many_wrong = [row(False, "squad")] * 90
    few_right = [row(True, "briefing")] * 10
    assert protocol.handled_right({"a": many_wrong, "b": few_right}) == pytest.approx(0.5)


def test_ranker_learns_extra_questions_of_its_training_groups_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import train_decision

    def asked_of(group: str, rows: int) -> Any:
        features = np.full((rows, 3), float(len(group)))
        found = SimpleNamespace(candidates=SimpleNamespace(features=features))
        return SimpleNamespace(group=group, labels=np.eye(rows)[0], found=found)

    trained_on: list[int] = []

    def remember(params: dict[str, Any], data: Any, rounds: int) -> str:
        trained_on.append(len(data.data))
        return "ranker"

    monkeypatch.setattr(train_decision.lightgbm, "train", remember)
    examples = [asked_of("policyqa:a", 2), asked_of("policyqa:b", 3)]
    # Extra questions of a training group are learnt from; of a held-out one ("c") never.
    extra = [asked_of("policyqa:a", 4), asked_of("policyqa:c", 5)]
    train_decision.fit_ranker(examples, extra)
    assert trained_on == [2 + 3 + 4]


def test_a_tunable_moves_only_for_more_than_one_questions_worth() -> None:
    # tune_development's choice: a gain within MIN_GAIN (one question flipping) keeps the
    # shipped value; a real gain moves it, to the smallest of equally good values.
    def rows(*scores: tuple[float, float]) -> list[dict[str, float]]:
        return [{"value": v, "handled_right": h} for v, h in scores]

    gain = tune_development.MIN_GAIN
    within = rows((0.3, 0.59), (0.4, 0.5936), (0.5, 0.5936 + gain / 2), (0.6, 0.5936 + gain / 2))
    assert tune_development.chosen(within, 0.4) == 0.4
    beyond = rows((0.3, 0.59), (0.4, 0.5936), (0.5, 0.6), (0.6, 0.6))
    assert tune_development.chosen(beyond, 0.4) == 0.5
    worse = rows((0.3, 0.6), (0.4, 0.58))
    assert tune_development.chosen(worse, 0.4) == 0.3
