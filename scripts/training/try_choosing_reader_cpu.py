"""Measure a reader for *choosing* the quoted sentence, trained on the 2-core CPU (issue #33):
does reading question and sentence together pick a span-holding sentence more often than the
ranker?

    nice .venv/bin/python scripts/training/try_choosing_reader_cpu.py \\
        --examples-cache var/examples-base.pkl        # ~45 minutes on 2 cores

PolicyQA's held-out answers are lost in the choice of sentence (docs/quality.md: a candidate
holds a span for 0.73 of the questions, the ranker's first for 0.30), and a reader was the
lever every earlier note named. This is the cut of one that trains on two cores:

* each answerable question's first ``--candidates`` sentences in the order of a ranker that
  never saw its group (the protocol's outer folds, ``train_decision.fit_ranker``);
* all-MiniLM-L6-v2's weights as a cross-encoder over (question, sentence): the lower
  ``--frozen`` layers run once and are cached, the upper ones and a head are trained with one
  softmax over the question's candidates (the target: the span-holding ones), ``FOLDS`` folds
  of groups, so every score is held out;
* the ranker's and the reader's scores, standardised within the question, blended as
  ``ranker + alpha * reader``; alpha chosen on the development groups
  (``decision_data.is_development``), the figures printed for the others.

It prints, per question set, how often the first sentence holds the answer for each alpha
(0: the ranker alone; "reader": the reader alone). Nothing is written to the repo.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import protocol
import torch
from transformers import AutoTokenizer, BertModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_decision
from decision_data import Example, is_development
from try_reader_cpu import UpperLayers, _padded, fine_tuned, lower_layers

from index.encoder.model_files import bundled_model_path

FOLDS = 4
# Blend weights tried on the development groups (the last: the reader alone).
ALPHAS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, math.inf)


@dataclass
class Question:
    """One question's first candidates by the held-out ranker, and the cached lower layers."""

    group: str
    source: str
    labels: np.ndarray
    ranker: np.ndarray
    hidden: torch.Tensor
    mask: torch.Tensor
    reader: np.ndarray = field(default_factory=lambda: np.zeros(0))


def held_out_rankings(examples: list[Example], extras: list[Example]) -> dict[int, np.ndarray]:
    """Each question's candidates scored by a ranker that never saw its group (keyed by id)."""
    sizes = protocol.group_sizes(examples)
    scores: dict[int, np.ndarray] = {}
    for outer in protocol.deal(sorted(sizes), sizes, protocol.OUTER_FOLDS):
        held = set(outer)
        ranker = train_decision.fit_ranker([e for e in examples if e.group not in held], extras)
        for e in [*examples, *extras]:
            if e.group in held:
                features = train_decision.candidate_features(e)
                scores[id(e)] = np.asarray(ranker.predict(features), dtype=float)
    return scores


@torch.no_grad()
def cached_questions(
    asked: list[Example], rankings: dict[int, np.ndarray], base: BertModel, k: int, frozen: int
) -> list[Question]:
    """The first ``k`` candidates of each question with the lower layers' output."""
    tokenizer = AutoTokenizer.from_pretrained(bundled_model_path())
    out = []
    for e in asked:
        candidates = e.found.candidates
        assert candidates is not None
        order = np.argsort(-rankings[id(e)], kind="stable")[:k]
        sentences = [e.index.sentences[candidates.sentence_ids[i]].text for i in order]
        hidden, mask = lower_layers(base, tokenizer, e.found.facts.own_words, sentences, frozen)
        labels = (e.labels[order] > 0).astype(float)
        out.append(
            Question(
                e.group,
                e.source,
                labels,
                rankings[id(e)][order],
                hidden.half(),
                mask,
            )
        )
    return out


def _loss(model: UpperLayers, qs: list[Question]) -> torch.Tensor:
    """Listwise: minus the log of the softmax mass on the span-holding candidates."""
    logits = model(*_padded(qs))
    total = torch.zeros(())
    offset = 0
    for q in qs:
        row = logits[offset : offset + len(q.labels)]
        offset += len(q.labels)
        right = torch.as_tensor(q.labels > 0)
        total = total - (torch.logsumexp(row[right], 0) - torch.logsumexp(row, 0))
    return total / len(qs)


def train(base: BertModel, qs: list[Question], frozen: int) -> UpperLayers:
    """The upper layers fine-tuned on the questions of ``qs`` with a right candidate."""
    taught = [q for q in qs if q.labels.sum() > 0]  # a list without one teaches nothing
    return fine_tuned(lambda: UpperLayers(base, frozen), taught, _loss)


def _standard(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() + 1e-9)


def first_right(q: Question, alpha: float) -> bool:
    """Whether the first sentence by ``ranker + alpha * reader`` holds the answer."""
    blended = q.reader if math.isinf(alpha) else _standard(q.ranker) + alpha * _standard(q.reader)
    return bool(q.labels[int(np.argmax(blended))] > 0)


def report(qs: list[Question]) -> None:
    """The blend chosen on the development groups; each question set's figures without them."""

    def share(chosen: list[Question], alpha: float) -> float:
        return round(float(np.mean([first_right(q, alpha) for q in chosen])), 4)

    development = [q for q in qs if is_development(q.group)]
    print("development groups:", {a: share(development, a) for a in ALPHAS})
    print("alpha chosen there:", max(ALPHAS, key=lambda a: share(development, a)))
    for source in sorted({q.source for q in qs}):
        shown = [q for q in qs if q.source == source and not is_development(q.group)]
        print(source, len(shown), {a: share(shown, a) for a in ALPHAS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples-cache", type=Path, default=Path("var/examples-base.pkl"))
    parser.add_argument("--work", type=Path, default=Path("var/train-indexes"))
    parser.add_argument("--candidates", type=int, default=8)
    parser.add_argument("--frozen", type=int, default=4, help="lower layers run once, not trained")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(2)
    started = time.time()
    examples, extras = train_decision.gathered(args.examples_cache, args.work)
    rankings = held_out_rankings(examples, extras)
    asked = [
        e
        for e in [*examples, *extras]
        if e.case.answerable and not e.off_topic and e.labels.sum() > 0 and id(e) in rankings
    ]
    base = BertModel.from_pretrained(bundled_model_path()).eval()
    qs = cached_questions(asked, rankings, base, args.candidates, args.frozen)
    print(f"{len(qs)} questions cached in {time.time() - started:.0f}s", flush=True)
    groups = sorted({q.group for q in qs})
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    for fold in range(FOLDS):
        model = train(base, [q for q in qs if fold_of[q.group] != fold], args.frozen)
        model.eval()
        with torch.no_grad():
            for q in qs:
                if fold_of[q.group] == fold:
                    q.reader = model(q.hidden.float(), q.mask).numpy()
        print(f"fold {fold} done at {time.time() - started:.0f}s", flush=True)
    report(qs)


if __name__ == "__main__":
    main()
