"""Train the decision model, cross-validated by article, and write it beside the answerer.

    nice .venv/bin/python scripts/training/train_decision.py   # ~30 minutes on 2 cores

1. Every question of the shared SQuAD articles, the briefing's sets, the policy set and a
   sample of PolicyQA is run through the real pipeline up to the decision
   (``scripts/training/decision_data.py``): candidate sentences + features.
2. Nested cross-validation by document (``scripts/training/protocol.py``): each outer fold of
   groups (a SQuAD article, the briefing, a policy document or Manual chapter, a PolicyQA
   policy, each with every question asked of it) is scored by a model trained on the others,
   with the weighting of the question sets chosen by inner folds of those others alone. Those
   held-out scores give the operating-point table (threshold for each false-abstention rate),
   the confidence model's data, and the figures printed at the end — the whole answer
   (sentence choice, second sentence, citations, refusal) is recomputed from them
   (``scripts/training/decision_replay.py``), each group at a threshold taken from the other
   groups' scores, so no figure comes from a document the model, its tunable or its
   threshold saw; the same replay at other operating points gives the refusal curves.
3. A final model on everything (its weighting chosen by the same inner folds over all groups)
   is written to ``service/answering/model/`` with a manifest
   (features, training files and their sha256, parameters, cross-validated figures).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import hashlib
import json
import os
import pickle
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import lightgbm
import numpy as np
import protocol

sys.path.insert(0, str(Path(__file__).resolve().parent))
import confidence_model
import examples_cache
import policyqa_data
from decision_data import (
    DEVELOPMENT_EVERY,
    SETS,
    Example,
    collect,
    decision_and_ranker_only,
    file_digest,
    reader_pairs,
)
from decision_replay import (
    operating_points,
    replay,
)
from decision_report import confidence_refusal_curve, floor_report, held_out_report

from service.answering.candidates import (
    BY_PRECEDENT,
    DECISION_COLUMNS,
    DECISION_FEATURES,
    FEATURES,
)
from service.answering.decision import MODEL_DIR, scored
from service.answering.precedents import FILE_NAME as PRECEDENTS_FILE
from service.answering.precedents import Precedents
from service.settings import Settings
from service.state import load_embedder

PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "num_threads": 2,
    "seed": 7,
}
ROUNDS = 300
# How far the smaller question sets are weighted up towards the largest (0: not at all, 1: to
# equal totals): chosen per outer fold by nested cross-validation among these values (see
# scripts/training/protocol.py), never by the figures reported.
FAMILY_BALANCES = (0.0, 0.25, 0.5)
# The ranker: the same trees, ordering one question's candidates (LambdaRank, graded on the
# first place, which is the sentence quoted).
RANK_PARAMS = {
    **PARAMS,
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [1],
    "lambdarank_truncation_level": 5,
}


def candidate_features(e: Example) -> np.ndarray:
    """The feature rows of one question's candidates."""
    assert e.found.candidates is not None
    return e.found.candidates.features


def fit(examples: list[Example], balance: float) -> lightgbm.Booster:
    """One model on the candidates of ``examples``, each question set (by where its questions
    came from) weighted by how much smaller it is than the largest to the power ``balance``
    (SQuAD's 4,175 questions would otherwise teach the model SQuAD alone; equal weights would
    overfit the small sets' few hundred)."""
    x = np.vstack([candidate_features(e) for e in examples])
    y = np.concatenate([e.labels for e in examples])
    sizes: dict[str, int] = {}
    for e in examples:
        sizes[e.source] = sizes.get(e.source, 0) + 1
    largest = max(sizes.values())
    w = np.concatenate(
        [np.full(len(e.labels), (largest / sizes[e.source]) ** balance) for e in examples]
    )
    kept = x[:, BY_PRECEDENT] == 0  # a precedent's candidates never decide (candidates.py)
    data = lightgbm.Dataset(x[kept][:, DECISION_COLUMNS], y[kept], weight=w[kept])
    return lightgbm.train(PARAMS, data, ROUNDS)


def fit_ranker(examples: list[Example], extra: Sequence[Example] = ()) -> lightgbm.Booster:
    """The ranker on the candidates of ``examples``, and of the ``extra`` (ranker-only)
    questions asked of the same groups — so a fold's ranker never learns from a held-out
    document —, that have a right answer among them."""
    groups = {e.group for e in examples}
    pool = [*examples, *(e for e in extra if e.group in groups)]
    ranked = [e for e in pool if e.labels.sum() > 0]
    x = np.vstack([candidate_features(e) for e in ranked])
    y = np.concatenate([e.labels for e in ranked])
    data = lightgbm.Dataset(x, y, group=[len(e.labels) for e in ranked])
    return lightgbm.train(RANK_PARAMS, data, ROUNDS)


def trainer(ranker_extra: Sequence[Example] = ()) -> protocol.Trainer:
    """The models as the protocol fits them, the ranker also on ``ranker_extra``."""
    return protocol.Trainer(
        fit, functools.partial(fit_ranker, extra=ranker_extra), candidate_features, scored
    )


def held_out_scores(
    examples: list[Example], target: float, ranker_extra: Sequence[Example] = ()
) -> protocol.NestedResult:
    """Each question's candidate probabilities with the ranker's choice first (as the service
    computes them), from models that never saw its document, under nested cross-validation."""
    return protocol.nested_scores(examples, FAMILY_BALANCES, trainer(ranker_extra), target)


def held_out_scores_cached(
    examples: list[Example],
    cache: Path | None,
    target: float,
    ranker_extra: Sequence[Example] = (),
) -> protocol.NestedResult:
    """:func:`held_out_scores`, read from ``cache`` when it was made for these questions,
    features and protocol (and written there when it was not)."""
    key = hashlib.sha256(
        json.dumps(
            [
                list(FEATURES),
                PARAMS,
                FAMILY_BALANCES,
                [protocol.OUTER_FOLDS, protocol.INNER_FOLDS, target],
                [(e.case.id, e.group, e.source, len(e.labels)) for e in examples],
                [(e.case.id, e.group, len(e.labels)) for e in ranker_extra],
            ]
        ).encode()
    )
    for e in [*examples, *ranker_extra]:  # a changed feature must not reuse scores
        key.update(candidate_features(e).tobytes())
        key.update(e.labels.tobytes())
    digest = key.hexdigest()
    if cache is not None and cache.is_file():
        stored = pickle.loads(cache.read_bytes())
        if stored["key"] == digest:
            print("  held-out scores: from the cache", file=sys.stderr)
            return protocol.NestedResult(list(stored["scores"]), stored["chosen"])
    result = held_out_scores(examples, target, ranker_extra)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        stored = {"key": digest, "scores": result.scores, "chosen": result.chosen}
        cache.write_bytes(pickle.dumps(stored))
    return result


def gathered(cache: Path | None, work: Path) -> tuple[list[Example], list[Example]]:
    """Every question's candidates (from ``cache`` while the gathering code and questions are
    the same), split into the decision's examples and the ranker's extras."""
    question_files = [f for _, _, fs in SETS for f in fs] + [policyqa_data.DEV]

    def gather() -> list[Example]:
        return collect(load_embedder(Settings()), work)

    return decision_and_ranker_only(examples_cache.cached(cache, question_files, gather))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("var/train-indexes"))
    parser.add_argument("--target", type=float, default=0.03, help="false-abstention target")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--reader-pairs", type=Path, help="also write the reading model's data (gzip JSONL)"
    )
    parser.add_argument(
        "--scores-cache",
        type=Path,
        help="keep the held-out scores here and reuse them when the questions and features "
        "are the same (to rework the report without the 15 minutes of folds)",
    )
    parser.add_argument(
        "--examples-cache",
        type=Path,
        help="keep the gathered questions here and reuse them while the gathering code and "
        "the questions are the same (to rework composition or the report without gathering)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    examples, ranker_extra = gathered(args.examples_cache, args.work)
    print(
        f"{len(examples)} questions, {sum(len(e.labels) for e in examples)} candidates; "
        f"{len(ranker_extra)} more for the ranker alone",
        file=sys.stderr,
    )
    if args.reader_pairs:
        with gzip.open(args.reader_pairs, "wt") as out:
            out.writelines(json.dumps(row) + "\n" for row in reader_pairs(examples))
    nested = held_out_scores_cached(examples, args.scores_cache, args.target, ranker_extra)
    ranked = nested.scores
    rows_by_group = replay(examples, ranked, args.target)
    report = held_out_report(examples, ranked, rows_by_group)
    x, y, w, groups, answered = confidence_model.rows(examples, ranked, rows_by_group)
    if args.scores_cache is not None:  # for working on the confidence without the folds
        flat = [r for rows in rows_by_group.values() for r in rows]
        np.savez(
            args.scores_cache.with_suffix(".confidence.npz"),
            x=x,
            y=y,
            w=w,
            groups=groups,
            answered=answered,
            answerable=[r.answerable for r in flat],
            sources=[r.source for r in flat],
        )
    source, raw, by_source = confidence_model.choose_source(x, y, w, groups, np.array(answered))
    report["confidence_source"] = {"chosen": source, "development_brier": by_source}
    report["confidence_held_out"] = confidence_model.check(raw, y, w, groups, answered)
    report["confidence_floor"] = floor_report(examples, rows_by_group, x, raw, y, w, groups)
    report["confidence_refusal_curve"] = confidence_refusal_curve(raw, rows_by_group)
    iso = confidence_model.calibration(raw, y, w)
    grid = np.linspace(0.0, 1.0, 51)
    balance = protocol.choose(examples, FAMILY_BALANCES, trainer(ranker_extra), args.target)
    final, final_ranker = fit(examples, balance), fit_ranker(examples, ranker_extra)
    args.out.mkdir(parents=True, exist_ok=True)
    final.save_model(str(args.out / "decision.txt"))
    shutil.copyfile(args.work / PRECEDENTS_FILE, args.out / PRECEDENTS_FILE)
    final_ranker.save_model(str(args.out / "ranker.txt"))
    confidence_file = args.out / "confidence.txt"
    if source == "model":
        confidence_model.fit(x, y, w).save_model(str(confidence_file))
    else:  # the service calibrates the quoted candidate's probability when there is none
        confidence_file.unlink(missing_ok=True)
    files = sorted(
        {f for _, _, fs in SETS for f in fs}
        | {p for _, corpus, _ in SETS for p in corpus.glob("*")}
    )
    manifest = {
        "model": "LightGBM binary classifier: P(candidate sentence holds the answer); "
        "LightGBM LambdaRank ranker (ranker.txt): which candidate is quoted",
        "ranker_params": RANK_PARAMS,
        "features": list(FEATURES),
        "decision_features": list(DECISION_FEATURES),  # the classifier's and confidence's
        "params": PARAMS,
        "rounds": ROUNDS,
        "family_balance": balance,
        "trained_on": {
            **{str(f.relative_to(Path.cwd())): file_digest(f) for f in files},
            os.path.relpath(policyqa_data.DEV): file_digest(policyqa_data.DEV),
        },
        "questions": len(examples),
        "ranker_only_questions": len(ranker_extra),
        "precedents": len(Precedents.load(args.out / PRECEDENTS_FILE).questions),  # type: ignore[union-attr]
        "candidates": int(sum(len(e.labels) for e in examples)),
        "operating_points": operating_points(examples, ranked),
        "calibration": {"x": grid.round(4).tolist(), "y": iso.predict(grid).round(4).tolist()},
        "cross_validation": {
            "method": f"nested cross-validation by document: {protocol.OUTER_FOLDS} outer "
            f"folds of groups (each SQuAD article, the briefing, each policy document and "
            f"each chapter of the Policy Manual, each PolicyQA policy, with every question "
            f"asked of it), the "
            f"question sets' weighting chosen among {list(FAMILY_BALANCES)} by "
            f"{protocol.INNER_FOLDS} inner folds of the rest; each group's threshold from "
            f"the other groups' scores; the confidence (its source chosen on the development "
            f"groups) held out by group; one "
            f"group in {DEVELOPMENT_EVERY} (by name hash) kept for choosing hand tunables "
            f"and out of every figure here but 'development'",
            "family_balance_chosen": nested.chosen,
            "target_false_abstention": args.target,
            **report,
        },
        "training_seconds": round(time.time() - started, 1),
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
