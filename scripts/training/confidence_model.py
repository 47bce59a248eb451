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

import dataclasses
from collections.abc import Callable

import lightgbm
import numpy as np
from decision_data import Example, is_development
from decision_replay import Replay
from sklearn.isotonic import IsotonicRegression

from service.answering.decision import CONFIDENCE_INPUTS, confidence_row, decide_from

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
# The refusal floors (MIN_CONFIDENCE_TO_ANSWER) judged on the development groups.
FLOORS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2)
# Where the quoted candidate's "overview_lead" is in a confidence row: a gist answer is not
# refused by the floor (service/answering/decision.py, ``_gist``).
_GIST = CONFIDENCE_INPUTS.index("overview_lead")


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


# Where a confidence's raw score comes from: the confidence model over the question's decision
# (CONFIDENCE_INPUTS), or the quoted candidate's probability alone (what the service reads when
# the model folder holds no confidence.txt). Which one ships is chosen on the development
# groups (:func:`choose_source`): on 2026-12-07's rows the model scored below the bare
# probability within every question set (held-out AUC, e.g. the briefing 0.68 against 0.71)
# and put its top band below the next (0.68 against 0.76).
SOURCES = ("model", "best_probability")
_BEST = CONFIDENCE_INPUTS.index("best")


def held_out_raw_from(
    source: str, x: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str]
) -> np.ndarray:
    """Each question's raw score from ``source``, held out by group where it is fitted."""
    if source == "best_probability":
        return x[:, _BEST].copy()
    return held_out_raw(x, y, w, groups)


def development_brier(
    raw: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str], answered: np.ndarray
) -> float:
    """The weighted Brier score of the development groups' answers' held-out confidence."""
    confidence = held_out_confidence(raw, y, w, groups)
    chosen = answered & np.array([is_development(g) for g in groups])
    weights = w[chosen]
    return float(np.sum(weights * (confidence[chosen] - y[chosen]) ** 2) / weights.sum())


def choose_source(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str], answered: np.ndarray
) -> tuple[str, np.ndarray, dict[str, float]]:
    """The source whose held-out confidence is nearest the truth on the development groups'
    answers (lowest Brier score), its held-out raw scores, and every source's score."""
    raws = {s: held_out_raw_from(s, x, y, w, groups) for s in SOURCES}
    scores = {s: round(development_brier(r, y, w, groups, answered), 5) for s, r in raws.items()}
    best = min(SOURCES, key=lambda s: scores[s])
    return best, raws[best], scores


def calibration(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> IsotonicRegression:
    """Raw score -> chance of being right."""
    return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(
        raw, y, sample_weight=w
    )


def held_out_confidence(
    raw: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str]
) -> np.ndarray:
    """Each question's confidence from held-out raw scores, calibrated without its group."""
    group_array = np.array(groups)
    confidence = np.zeros(len(y))
    for group in sorted(set(groups)):
        inside = group_array == group
        confidence[inside] = calibration(raw[~inside], y[~inside], w[~inside]).predict(raw[inside])
    return confidence


def floored(
    rows_by_group: dict[str, list[Replay]], x: np.ndarray, confidence: np.ndarray, floor: float
) -> dict[str, list[Replay]]:
    """The replayed answers (in :func:`rows`' order) as the service gives them with the
    refusal floor: an answer under ``floor`` confidence is refused, unless it is a gist."""
    refused = (confidence < floor) & (x[:, _GIST] <= 0)
    out: dict[str, list[Replay]] = {}
    number = 0
    for group, replays in rows_by_group.items():
        out[group] = []
        for r in replays:
            no = bool(refused[number]) and r.answered
            out[group].append(dataclasses.replace(r, answered=False, correct=False) if no else r)
            number += 1
    return out


def floor_sweep(
    x: np.ndarray,
    confidence: np.ndarray,
    right: np.ndarray,
    answerable: np.ndarray,
    answered: np.ndarray,
    sources: np.ndarray,
    chosen_rows: np.ndarray,
) -> list[dict[str, float]]:
    """For each of :data:`FLOORS`, over ``chosen_rows`` (the development groups): the share
    handled right (an answerable question answered right, any other refused; per question set,
    averaged over the sets as ``protocol.handled_right`` does), false refusals and refusals of
    what nothing answers."""
    table = []
    for floor in FLOORS:
        refused = ~answered | ((confidence < floor) & (x[:, _GIST] <= 0))
        handled = np.where(answerable, (right > 0) & ~refused, refused)
        by_source = [
            float(handled[chosen_rows & (sources == s)].mean())
            for s in sorted(set(sources[chosen_rows]))
        ]
        pos, neg = chosen_rows & answerable, chosen_rows & ~answerable
        table.append(
            {
                "floor": floor,
                "handled_right": round(float(np.mean(by_source)), 4),
                "false_refusals": round(float(refused[pos].mean()), 4),
                "refusals_of_unanswerable": round(float(refused[neg].mean()), 4),
            }
        )
    return table


def best_floor(table: list[dict[str, float]]) -> float:
    """The floor handling the most right (the lowest of equals: refuse no more than needed)."""
    return max(table, key=lambda row: (row["handled_right"], -row["floor"]))["floor"]


def check(
    raw: np.ndarray, y: np.ndarray, w: np.ndarray, groups: list[str], answered: list[bool]
) -> dict[str, object]:
    """Held out: answers at confidence >= 0.8 and < 0.4, and by band, with how often right
    (weighted as calibrated: each question set alike)."""
    confidence = held_out_confidence(raw, y, w, groups)
    judged = [
        (float(c), bool(right), float(weight))
        for c, right, weight, said in zip(confidence, y, w, answered, strict=True)
        if said
    ]
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
