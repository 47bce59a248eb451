"""The confidence every answer carries: a small question-level model, P(the answer is right),
read from the held-out decision (best and runner-up probabilities, their margin, the quoted
candidate's features), then calibrated. Used by ``scripts/training/train_decision.py``.

Fitted on every question set weighted alike — SQuAD's 4,175 half-unanswerable near misses must
not decide it alone: users ask their own documents' questions, answerable and not — and checked
held out twice over by document: each group's answers (a SQuAD article, the briefing, a policy
document or chapter, with every question asked of it) are scored by a model and a calibration
fitted without that group. Paraphrases of one fact are asked of one document, so they never
sit on both sides.
"""

from __future__ import annotations

from collections.abc import Callable

import lightgbm
import numpy as np
from decision_data import Example
from decision_replay import Replay
from sklearn.isotonic import IsotonicRegression

from service.answering.decision import confidence_row, decide_from

PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 30,
    "feature_fraction": 0.8,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": 11,
}
ROUNDS = 200
BANDS = (0.0, 0.2, 0.4, 0.6, 0.8)


def rows(
    examples: list[Example], ranked: list[np.ndarray], rows_by_group: dict[str, list[Replay]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[bool]]:
    """(inputs, right, weight, group, answered) per question, in the replay's order."""
    x: list[np.ndarray] = []
    y: list[float] = []
    w: list[float] = []
    groups: list[str] = []
    answered: list[bool] = []
    sizes: dict[str, int] = {}
    for replays in rows_by_group.values():
        for replayed in replays:
            sizes[replayed.source] = sizes.get(replayed.source, 0) + 1
    for group, replays in rows_by_group.items():
        mine = [(e, s) for e, s in zip(examples, ranked, strict=True) if e.group == group]
        for (e, scores), replayed in zip(mine, replays, strict=True):
            assert e.found.candidates is not None  # examples without candidates are not kept
            verdict = decide_from(scores, e.found.candidates, e.found.facts, 0.0)
            x.append(confidence_row(scores, verdict.order, e.found.candidates))
            y.append(float(replayed.answerable and replayed.correct))
            w.append(1.0 / sizes[replayed.source])
            groups.append(group)
            answered.append(replayed.answered)
    weights = np.array(w)
    # Mean 1: LightGBM's leaf values shrink by its L2 term against the summed weights, and
    # weights of 1/4,175 would leave the model nearly flat.
    return np.vstack(x), np.array(y), weights / weights.mean(), groups, answered


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> lightgbm.Booster:
    """The confidence model on these rows."""
    return lightgbm.train(PARAMS, lightgbm.Dataset(x, y, weight=w), ROUNDS)


def held_out_raw(x: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str]) -> np.ndarray:
    """Each question's raw score from a model fitted without its group."""
    raw = np.zeros(len(y))
    group_array = np.array(groups)
    for group in sorted(set(groups)):
        inside = group_array == group
        raw[inside] = fit(x[~inside], y[~inside], w[~inside]).predict(x[inside], num_threads=2)
    return raw


def calibration(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> IsotonicRegression:
    """Raw score -> chance of being right."""
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
        raw, y, sample_weight=w
    )


def check(
    raw: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str], answered: list[bool]
) -> dict[str, object]:
    """Held out: answers at confidence >= 0.8 and < 0.4, and by band, with how often right
    (weighted as calibrated: each question set alike)."""
    group_array = np.array(groups)
    judged: list[tuple[float, bool, float]] = []
    for group in sorted(set(groups)):
        inside = group_array == group
        calibrated = calibration(raw[~inside], y[~inside], w[~inside]).predict(raw[inside])
        for c, right, weight, said in zip(
            calibrated, y[inside], w[inside], np.array(answered)[inside], strict=True
        ):
            if said:
                judged.append((float(c), bool(right), float(weight)))
    return {
        "answers": len(judged),
        "at_or_above_0.8": _share(judged, lambda c: c >= 0.8),
        "below_0.4": _share(judged, lambda c: c < 0.4),
        "bands": [{"from": low, **_share(judged, _band(low))} for low in BANDS],
    }


def _band(low: float) -> Callable[[float], bool]:
    """Within [low, low + 0.2), the top band taking everything above."""
    return lambda c: low <= c < low + 0.2 or (low == BANDS[-1] and c >= low)


def _share(
    judged: list[tuple[float, bool, float]], within: Callable[[float], bool]
) -> dict[str, float]:
    """How many answers fall ``within``, and the share right among them on the mix of
    question sets the confidence is calibrated for (each set weighted alike)."""
    inside = [(right, weight) for c, right, weight in judged if within(c)]
    if not inside:
        return {"answers": 0, "right": 0.0}
    right = sum(w for r, w in inside if r) / sum(w for _, w in inside)
    return {"answers": len(inside), "right": round(right, 3)}
