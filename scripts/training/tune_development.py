"""Choose the answer-shaping tunables on the development groups alone.

    .venv/bin/python scripts/training/tune_development.py --scores-cache var/scores.pkl \
        --examples-cache var/examples.pkl

The development groups (``decision_data.is_development``: one group in five by a hash of its
name) are in no reported figure. This replays their held-out answers (the nested scores that
``train_decision.py --scores-cache`` kept) at each value of a tunable that shapes the answer
after the model — how close a runner-up must be to join the answer, how much of a sentence a
part-quote keeps, how close a sentence that settles a yes/no question must be rated to be
quoted first — one tunable at a time, the others as shipped, and prints each value's share
of questions handled right (answered right, or refused when nothing answers), accuracy and
answer length. The value in ``service/answering/tunables.py`` should be the one it says to
choose (the best, when it beats the shipped value by more than ``MIN_GAIN``);
a change to it is then measured on the reported groups by ``train_decision.py``.

It also sweeps the refusal floor MIN_CONFIDENCE_TO_ANSWER on the development groups: their
confidence from a confidence model and calibration fitted without their group, read from the
rows ``train_decision.py --scores-cache`` kept beside the scores (``--floor-only``: that sweep
alone, without gathering the candidates again). ``train_decision.py`` prints the same sweep
(``confidence_floor``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import confidence_model
import train_decision
from decision_data import Example, is_development
from decision_replay import Replay, figures, replay
from protocol import handled_right

from service.answering import composition, decision, tunables

# The values tried: the shipped one and its neighbours on either side. SETTLING_MARGIN is read
# by settling.prefer_settling from ``tunables`` at call time; the others are names composition
# imported, so they are set there.
CANDIDATES: dict[str, tuple[ModuleType, tuple[float, ...]]] = {
    "SECOND_SENTENCE_MARGIN": (composition, (0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0)),
    "MIN_EXCERPT_CHARS": (composition, (60, 80, 100, 120)),
    "SETTLING_MARGIN": (tunables, (0.0, 0.05, 0.1, 0.2, 0.4)),
}


def development_replay(
    examples: list[Example], scores: list[np.ndarray], target: float
) -> dict[str, list[Replay]]:
    """The development groups' held-out answers, replayed with the tunables as they are set."""
    return {g: r for g, r in replay(examples, scores, target).items() if is_development(g)}


def sweep(
    examples: list[Example], scores: list[np.ndarray], target: float
) -> dict[str, list[dict[str, float]]]:
    """Each tunable's values, judged on the development groups' held-out answers."""
    table: dict[str, list[dict[str, float]]] = {}
    for name, (module, values) in CANDIDATES.items():
        shipped = getattr(module, name)
        table[name] = []
        for value in values:
            setattr(module, name, type(shipped)(value))
            try:
                rows = development_replay(examples, scores, target)
            finally:
                setattr(module, name, shipped)
            on_topic = [r for rs in rows.values() for r in rs if not r.off_topic]
            shown = figures(on_topic)
            table[name].append(
                {
                    "value": value,
                    "handled_right": round(handled_right(rows), 4),
                    "answer_accuracy": shown["answer_accuracy"],
                    "mean_answer_chars": shown["mean_answer_chars"],
                }
            )
            print(f"  {name} = {value}: {table[name][-1]}", file=sys.stderr)
    return table


# A value replaces the shipped one only when it handles more than this much more right: about
# two development answers of SQuAD's 1,131 in the per-set mean, so that one question flipping
# (the spread of the 2026-12-07 runs: 0.0004-0.0005) does not move a tunable.
MIN_GAIN = 0.001


def chosen(rows: list[dict[str, float]], shipped: float) -> float:
    """The value to ship: the best handled right when it beats the shipped value's by more
    than MIN_GAIN (the smallest such value of equals), else the shipped one."""
    at_shipped = next(r["handled_right"] for r in rows if r["value"] == shipped)
    best = max(r["handled_right"] for r in rows)
    if best - at_shipped <= MIN_GAIN:
        return shipped
    return min(r["value"] for r in rows if r["handled_right"] == best)


def floor_sweep(confidence_rows: Path) -> list[dict[str, float]]:
    """The refusal floor's values judged on the development groups (see the module's doc)."""
    kept = np.load(confidence_rows)
    x, y, w, groups = kept["x"], kept["y"], kept["w"], [str(g) for g in kept["groups"]]
    answered = kept["answered"].astype(bool)
    _, raw, _ = confidence_model.choose_source(x, y, w, groups, answered)
    confidence = confidence_model.held_out_confidence(raw, y, w, groups)
    return confidence_model.floor_sweep(
        x,
        confidence,
        y,
        kept["answerable"].astype(bool),
        answered,
        kept["sources"],
        np.array([is_development(g) for g in groups]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("var/train-indexes"))
    parser.add_argument("--scores-cache", type=Path, required=True)
    parser.add_argument(
        "--examples-cache", type=Path, help="the gathered questions train_decision.py kept"
    )
    parser.add_argument("--target", type=float, default=0.03)
    parser.add_argument("--floor-only", action="store_true", help="sweep the refusal floor only")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.scores_cache.is_file():
        parser.error(f"{args.scores_cache}: run train_decision.py --scores-cache first")
    table = floor_sweep(args.scores_cache.with_suffix(".confidence.npz"))
    print(
        f"MIN_CONFIDENCE_TO_ANSWER: best {confidence_model.best_floor(table)} "
        f"(shipped {decision.MIN_CONFIDENCE_TO_ANSWER})"
    )
    for row in table:
        print(f"  {row}")
    if args.floor_only:
        return
    examples, ranker_extra = train_decision.gathered(args.examples_cache, args.work)
    development = sorted({e.group for e in examples if is_development(e.group)})
    print(f"development groups: {', '.join(development)}", file=sys.stderr)
    nested = train_decision.held_out_scores_cached(
        examples, args.scores_cache, args.target, ranker_extra
    )
    shipped = development_replay(examples, nested.scores, args.target)
    on_topic = [r for rs in shipped.values() for r in rs if not r.off_topic]
    # The line to compare across runs that gathered differently (a gathering tunable such as
    # PRECEDENT_NEAR is tried by a whole train_decision.py run per value).
    print(
        f"development groups, shipped values: handled right {handled_right(shipped):.4f}, "
        f"{figures(on_topic)}"
    )
    for name, rows in sweep(examples, nested.scores, args.target).items():
        shipped_value = getattr(CANDIDATES[name][0], name)
        print(f"{name}: choose {chosen(rows, shipped_value)} (shipped {shipped_value})")
        for row in rows:
            print(f"  {row}")


if __name__ == "__main__":
    main()
