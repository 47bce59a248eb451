"""The held-out report of ``train_decision.py``: the figures by question set, document and
format, the refusal curves, the confidence's refusal curve and the refusal floor's sweep,
each from replayed held-out answers (``decision_replay.py``); development groups are in none
but their own entry."""

from __future__ import annotations

import confidence_model
import numpy as np
import policyqa_data
from decision_data import POLICY_PREFIX, Example, is_development
from decision_replay import (
    CURVE_RATES,
    Replay,
    family_of,
    figures,
    policyqa_figures,
    refusals,
    replay,
)

from service.answering.tunables import MIN_CONFIDENCE_TO_ANSWER

# The policy set's documents by the format they are read from.
POLICY_FORMATS = {
    "pdf": ["debian-policy"],
    "text": ["menu-policy", "copyright-format"],
    "html": ["fhs-3-0"],
}


def reported(rows_by_group: dict[str, list[Replay]]) -> dict[str, list[Replay]]:
    """The groups a report may show: all but the development ones."""
    return {g: rows for g, rows in rows_by_group.items() if not is_development(g)}


def held_out_report(
    examples: list[Example], ranked: list[np.ndarray], all_groups: dict[str, list[Replay]]
) -> dict[str, object]:
    """The cross-validated figures per question set, per policy document and format, the
    refusal curves, and off-topic refusals — over the reported groups (the development ones
    apart, under ``development``)."""
    rows_by_group = reported(all_groups)

    def on_topic(family: str) -> list[Replay]:
        return [
            r
            for g, rows in rows_by_group.items()
            if family_of(g) == family
            for r in rows
            if not r.off_topic
        ]

    policy_documents: dict[str, list[Replay]] = {}
    for row in on_topic("policy"):
        document = row.group.removeprefix(POLICY_PREFIX).split("/")[0]
        policy_documents.setdefault(document, []).append(row)
    off_topic = [r for rows in rows_by_group.values() for r in rows if r.off_topic]
    return {
        "squad_all_articles": figures(on_topic("squad")),
        "briefing_sets": figures(on_topic("briefing")),
        "policy_set": figures(on_topic("policy")),
        "policy_per_document": {d: figures(rows) for d, rows in sorted(policy_documents.items())},
        "policy_per_format": {
            fmt: figures([r for d in docs for r in policy_documents.get(d, [])])
            for fmt, docs in POLICY_FORMATS.items()
        },
        "off_topic_abstention": figures(off_topic)["abstention"],
        # Scored as scripts/eval/eval_policyqa.py scores it, each policy held out.
        "policyqa_held_out": policyqa_figures(examples, rows_by_group),
        # How far the operating point alone can move refusals (held out).
        "squad_refusal_curve": [
            {"target": rate, **refusals(reported(replay(examples, ranked, rate)))}
            for rate in CURVE_RATES
        ],
        "policy_refusal_curve": [
            {"target": rate, **refusals(reported(replay(examples, ranked, rate)), "policy")}
            for rate in CURVE_RATES
        ],
        "per_group": {
            g: figures([r for r in rows if not r.off_topic]) for g, rows in rows_by_group.items()
        },
        "development": {
            g: figures([r for r in rows if not r.off_topic])
            for g, rows in all_groups.items()
            if g not in rows_by_group
        },
    }


def confidence_refusal_curve(
    raw: np.ndarray, rows_by_group: dict[str, list[Replay]]
) -> list[dict[str, object]]:
    """Refusing by the confidence model instead of the best probability, held out: for each
    target false-abstention rate, abstention / false abstention / accuracy per question set,
    each group refused at a threshold taken from the other groups' answerable questions."""
    replays = [r for rows in rows_by_group.values() for r in rows]
    groups = np.array([r.group for r in replays])
    shown = reported(rows_by_group)
    answerable = np.array([r.answerable and not r.off_topic for r in replays])
    curve = []
    for rate in CURVE_RATES:
        thresholds = {
            g: float(np.quantile(raw[answerable & (groups != g)], rate)) for g in rows_by_group
        }
        refused = [
            not r.answered or c < thresholds[r.group] for r, c in zip(replays, raw, strict=True)
        ]
        point: dict[str, object] = {"target": rate}
        for family in ("squad", "briefing", "policy", policyqa_data.SOURCE):
            rows = [
                (r, no)
                for r, no in zip(replays, refused, strict=True)
                if family_of(r.group) == family and not r.off_topic and r.group in shown
            ]
            pos = [(r, no) for r, no in rows if r.answerable]
            neg = [no for r, no in rows if not r.answerable]
            point[family] = {
                # PolicyQA has no unanswerable question: no abstention to show.
                "abstention": round(float(np.mean(neg)), 4) if neg else None,
                "false_abstention": round(float(np.mean([no for _, no in pos])), 4),
                "answer_accuracy": round(
                    float(np.mean([r.correct and not no for r, no in pos])), 4
                ),
            }
        curve.append(point)
    return curve


def floor_report(
    examples: list[Example],
    rows_by_group: dict[str, list[Replay]],
    x: np.ndarray,
    raw: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    groups: list[str],
) -> dict[str, object]:
    """The refusal floor (MIN_CONFIDENCE_TO_ANSWER), held out: the development groups' sweep
    of it (where its value is chosen), and the reported figures with the shipped value
    applied as the service applies it (confidence from a model and calibration that did not
    see the group)."""
    confidence = confidence_model.held_out_confidence(raw, y, w, groups)
    flat = [r for rows in rows_by_group.values() for r in rows]
    sweep = confidence_model.floor_sweep(
        x,
        confidence,
        y,
        np.array([r.answerable for r in flat]),
        np.array([r.answered for r in flat]),
        np.array([r.source for r in flat]),
        np.array([is_development(r.group) for r in flat]),
    )
    best = confidence_model.best_floor(sweep)

    def at(floor: float) -> dict[str, object]:
        shown = reported(confidence_model.floored(rows_by_group, x, confidence, floor))
        out: dict[str, object] = {"floor": floor}
        for family in ("squad", "briefing", "policy"):
            out[family] = figures(
                [
                    r
                    for g, rs in shown.items()
                    if family_of(g) == family
                    for r in rs
                    if not r.off_topic
                ]
            )
        off_topic = [r for rows in shown.values() for r in rows if r.off_topic]
        out["off_topic_abstention"] = figures(off_topic)["abstention"]
        out["policyqa"] = policyqa_figures(examples, shown)
        return out

    return {
        "development_sweep": sweep,
        "development_best": best,
        "with_development_best": at(best),
        "with_shipped_floor": at(MIN_CONFIDENCE_TO_ANSWER),
    }
