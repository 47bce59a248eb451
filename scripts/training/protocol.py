"""Nested cross-validation: every held-out figure comes from models whose tunables were chosen
without the held-out documents. Used by ``scripts/training/train_decision.py``.

The groups (a SQuAD article, the briefing, a policy document or Policy Manual chapter, each
with every question asked of it) are dealt into ``OUTER_FOLDS`` outer folds. For each outer
fold, the remaining groups are dealt into ``INNER_FOLDS`` inner folds; each candidate value of
the tunable is judged on the inner folds' held-out answers; the best one trains the decision
model and ranker that score the outer fold. So the held-out documents take no part in choosing
the weighting, the operating point (``decision_replay.replay`` takes each group's threshold
from the other groups) or the model.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import lightgbm
import numpy as np
from decision_data import Example
from decision_replay import Replay, replay

from service.answering.decision import rank_first

# Outer folds: ten keeps the briefing's one document and each policy document apart from most
# of the rest while costing ~10 x (inner fits + 2) LightGBM fits instead of one per group.
OUTER_FOLDS = 10
# Inner folds: three is the fewest that leaves each candidate judged on a third of the rest.
INNER_FOLDS = 3

Fit = Callable[[list[Example], float], lightgbm.Booster]
FitRanker = Callable[[list[Example]], lightgbm.Booster]


@dataclass(frozen=True)
class Trainer:
    """How to fit the decision model (given the tunable's value) and the ranker, and the
    candidates' features they read."""

    fit: Fit
    fit_ranker: FitRanker
    features: Callable[[Example], np.ndarray]
    # Each candidate's score from the two fitted models and its features (the service's
    # ``decision.scored``; by default the classifier's probability, the ranker's choice first).
    score: Callable[[lightgbm.Booster, lightgbm.Booster, np.ndarray], np.ndarray] | None = None


@dataclass(frozen=True)
class NestedResult:
    """Each question's held-out scores (ranker's choice first), and the tunable chosen for the
    outer fold it was scored in."""

    scores: list[np.ndarray]
    chosen: dict[str, float]


def deal(groups: Sequence[str], sizes: dict[str, int], folds: int) -> list[list[str]]:
    """Groups into ``folds`` folds of about equal questions: the largest group first, each into
    the fold with the fewest questions so far (ties by fold number), so the split is the same
    every run."""
    dealt: list[list[str]] = [[] for _ in range(min(folds, len(groups)))]
    totals = [0] * len(dealt)
    for group in sorted(groups, key=lambda g: (-sizes[g], g)):
        smallest = totals.index(min(totals))
        dealt[smallest].append(group)
        totals[smallest] += sizes[group]
    return dealt


def handled_right(rows_by_group: dict[str, list[Replay]]) -> float:
    """The inner objective: per question set, the share of questions handled right (an
    answerable one answered right, any other refused), averaged over the sets so the largest
    does not decide alone."""
    by_source: dict[str, list[bool]] = {}
    for rows in rows_by_group.values():
        for row in rows:
            right = row.correct if row.answerable else not row.answered
            by_source.setdefault(row.source, []).append(right)
    return float(np.mean([np.mean(v) for v in by_source.values()]))


def nested_scores(
    examples: list[Example], candidates: Sequence[float], trainer: Trainer, target: float
) -> NestedResult:
    """Held-out scores for every question under nested cross-validation over ``candidates``
    (values of the tunable ``fit`` takes)."""
    sizes = group_sizes(examples)
    scores: list[np.ndarray] = [np.zeros(0)] * len(examples)
    chosen: dict[str, float] = {}
    for number, outer in enumerate(deal(sorted(sizes), sizes, OUTER_FOLDS)):
        held = set(outer)
        rest = [e for e in examples if e.group not in held]
        value = choose(rest, candidates, trainer, target)
        model, ranker = trainer.fit(rest, value), trainer.fit_ranker(rest)
        for i, e in enumerate(examples):
            if e.group in held:
                scores[i] = _scored(trainer, model, ranker, trainer.features(e))
        chosen.update(dict.fromkeys(outer, value))
        print(f"  outer fold {number + 1}: {len(outer)} groups, chose {value}", file=sys.stderr)
    return NestedResult(scores, chosen)


def choose(
    examples: list[Example], candidates: Sequence[float], trainer: Trainer, target: float
) -> float:
    """The candidate whose inner held-out answers are handled right most often (the first
    of equals)."""
    sizes = group_sizes(examples)
    inner = deal(sorted(sizes), sizes, INNER_FOLDS)
    rankers = [trainer.fit_ranker([e for e in examples if e.group not in set(f)]) for f in inner]
    judged: list[float] = []
    for value in candidates:
        scores: list[np.ndarray] = [np.zeros(0)] * len(examples)
        for fold, ranker in zip(inner, rankers, strict=True):
            held = set(fold)
            model = trainer.fit([e for e in examples if e.group not in held], value)
            for i, e in enumerate(examples):
                if e.group in held:
                    scores[i] = _scored(trainer, model, ranker, trainer.features(e))
        judged.append(handled_right(replay(examples, scores, target)))
    return candidates[int(np.argmax(judged))]


def _scored(
    trainer: Trainer, model: lightgbm.Booster, ranker: lightgbm.Booster, x: np.ndarray
) -> np.ndarray:
    if trainer.score is not None:
        return trainer.score(model, ranker, x)
    probabilities = np.asarray(model.predict(x), dtype=float)
    return rank_first(probabilities, np.asarray(ranker.predict(x), dtype=float))


def group_sizes(examples: list[Example]) -> dict[str, int]:
    """How many questions each group holds (what :func:`deal` balances folds by)."""
    sizes: dict[str, int] = {}
    for e in examples:
        sizes[e.group] = sizes.get(e.group, 0) + 1
    return sizes
