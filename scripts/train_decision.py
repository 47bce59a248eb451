"""Train the decision model, cross-validated by article, and write it beside the answerer.

    .venv/bin/python scripts/train_decision.py            # ~4 minutes on 2 cores

1. Every question of the shared SQuAD articles and the briefing's sets is run through the real
   pipeline up to the decision (``scripts/decision_data.py``): candidate sentences + features.
2. Leave-one-article-out: for each article (the briefing is one), a model trained on the
   others scores it. Those held-out scores give the operating-point table (threshold for each
   false-abstention rate), the calibration of confidence, and the figures printed at the end —
   the whole answer (sentence choice, second sentence, citations, refusal) is recomputed from
   them (``scripts/decision_replay.py``), so no figure comes from an article the model saw;
   the same replay at other operating points gives the refusal curve.
3. A final model on everything is written to ``service/answering/model/`` with a manifest
   (features, training files and their sha256, parameters, cross-validated figures).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

import lightgbm
import numpy as np
from sklearn.isotonic import IsotonicRegression

sys.path.insert(0, str(Path(__file__).resolve().parent))
from decision_data import SETS, Example, collect, file_digest, reader_pairs
from decision_replay import CURVE_RATES, figures, operating_points, refusals, replay

from service.answering.candidates import FEATURES
from service.answering.decision import MODEL_DIR, rank_first
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


def fit(examples: list[Example]) -> lightgbm.Booster:
    """One model on the candidates of ``examples``."""
    x = np.vstack([candidate_features(e) for e in examples])
    y = np.concatenate([e.labels for e in examples])
    return lightgbm.train(PARAMS, lightgbm.Dataset(x, y), ROUNDS)


def fit_ranker(examples: list[Example]) -> lightgbm.Booster:
    """The ranker on the candidates of ``examples`` that have a right answer among them."""
    ranked = [e for e in examples if e.labels.sum() > 0]
    x = np.vstack([candidate_features(e) for e in ranked])
    y = np.concatenate([e.labels for e in ranked])
    data = lightgbm.Dataset(x, y, group=[len(e.labels) for e in ranked])
    return lightgbm.train(RANK_PARAMS, data, ROUNDS)


def held_out_scores(examples: list[Example]) -> list[np.ndarray]:
    """Each question's candidate probabilities with the ranker's choice first (as the service
    computes them), from the models that never saw its article."""
    groups = sorted({e.group for e in examples})
    ranked: list[np.ndarray] = [np.zeros(0)] * len(examples)
    for group in groups:
        training = [e for e in examples if e.group != group]
        model, ranker = fit(training), fit_ranker(training)
        for i, e in enumerate(examples):
            if e.group == group:
                probabilities = np.asarray(model.predict(candidate_features(e)))
                ranking = np.asarray(ranker.predict(candidate_features(e)))
                ranked[i] = rank_first(probabilities, ranking)
        print(f"  fold {group}: done", file=sys.stderr)
    return ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("var/train-indexes"))
    parser.add_argument("--target", type=float, default=0.03, help="false-abstention target")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--reader-pairs", type=Path, help="also write the reading model's data (gzip JSONL)"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.time()
    settings = Settings()
    embedder = load_embedder(settings)
    examples = collect(embedder, args.work)
    print(
        f"{len(examples)} questions, {sum(len(e.labels) for e in examples)} candidates",
        file=sys.stderr,
    )
    if args.reader_pairs:
        with gzip.open(args.reader_pairs, "wt") as out:
            out.writelines(json.dumps(row) + "\n" for row in reader_pairs(examples))
    ranked = held_out_scores(examples)
    rows_by_group = replay(examples, ranked, args.target)
    squad_rows = [r for g, rows in rows_by_group.items() if g != "briefing" for r in rows]
    on_topic = [r for r in squad_rows if not r.off_topic]
    briefing = [r for r in rows_by_group.get("briefing", []) if not r.off_topic]
    off_topic = [r for rows in rows_by_group.values() for r in rows if r.off_topic]
    report = {
        "squad_all_articles": figures(on_topic),
        "briefing_sets": figures(briefing),
        "off_topic_abstention": figures(off_topic)["abstention"],
        # How far the operating point alone can move refusals (SQuAD, held out).
        "squad_refusal_curve": [
            {"target": rate, **refusals(replay(examples, ranked, rate))} for rate in CURVE_RATES
        ],
        "per_article": {
            g: figures([r for r in rows if not r.off_topic]) for g, rows in rows_by_group.items()
        },
    }
    # Confidence: the chance the best sentence is a right answer, given its probability.
    replays = [r for rows in rows_by_group.values() for r in rows]
    best = np.array([r.best for r in replays])
    right = np.array([r.right_sentence for r in replays])
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(best, right)
    grid = np.linspace(0.0, 1.0, 51)
    final, final_ranker = fit(examples), fit_ranker(examples)
    args.out.mkdir(parents=True, exist_ok=True)
    final.save_model(str(args.out / "decision.txt"))
    final_ranker.save_model(str(args.out / "ranker.txt"))
    files = sorted(
        {f for _, _, fs in SETS for f in fs}
        | {p for _, corpus, _ in SETS for p in corpus.glob("*")}
    )
    manifest = {
        "model": "LightGBM binary classifier: P(candidate sentence holds the answer); "
        "LightGBM LambdaRank ranker (ranker.txt): which candidate is quoted",
        "ranker_params": RANK_PARAMS,
        "features": list(FEATURES),
        "params": PARAMS,
        "rounds": ROUNDS,
        "trained_on": {str(f.relative_to(Path.cwd())): file_digest(f) for f in files},
        "questions": len(examples),
        "candidates": int(sum(len(e.labels) for e in examples)),
        "operating_points": operating_points(examples, ranked),
        "calibration": {"x": grid.round(4).tolist(), "y": iso.predict(grid).round(4).tolist()},
        "cross_validation": {
            "method": "leave one article out (the briefing is one)",
            "target_false_abstention": args.target,
            **report,
        },
        "training_seconds": round(time.time() - started, 1),
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
