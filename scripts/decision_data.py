"""Training data for the decision model: every candidate sentence of every question, with its
features and whether it holds the answer. Used by ``scripts/train_decision.py``.

The question sets and their corpora (all in the repo, so training is reproducible offline):

* the shared SQuAD articles (``tests/data/squad``): one group per article;
* the briefing's sets (``tests/data/{dev,holdout,fresh,extra}.jsonl``): one group, "briefing";
* off-topic questions: each set's answerable questions asked of the other corpus (SQuAD's of
  the briefing, the briefing's of the SQuAD articles), where nothing answers them — users ask
  about what their documents do not cover, and SQuAD's own unanswerable questions are all
  near misses. Each keeps the group of the article it came from, so cross-validation holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index import Embedder, LoadedIndex, build_index, load_index
from service.answering import Answerer, Gathered, Turn
from service.cli.evaluation import Case, case_correct, load_cases

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SETS = (
    (
        "briefing",
        ROOT / "corpus",
        [DATA / f"{n}.jsonl" for n in ("dev", "holdout", "fresh", "extra")],
    ),
    ("squad", DATA / "squad" / "corpus", [DATA / "squad" / "questions.jsonl"]),
)


@dataclass
class Example:
    """One question with what the pipeline found for it and its labels."""

    case: Case
    group: str
    index: LoadedIndex
    found: Gathered
    labels: np.ndarray
    off_topic: bool = False


def file_digest(path: Path) -> str:
    """sha256 of a file, for the manifest."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# One SQuAD question in this many is asked of the briefing as an off-topic question.
OFF_TOPIC_EVERY = 3


def collect(embedder: Embedder, work_dir: Path) -> list[Example]:
    """Build (or reuse) an index per corpus and gather every question's candidates."""
    indexes: dict[str, LoadedIndex] = {}
    cases_by_set: dict[str, list[Case]] = {}
    for name, corpus, files in SETS:
        build_index(corpus, work_dir / name, embedder)
        indexes[name] = load_index(work_dir / name)
        cases_by_set[name] = [c for f in files for c in load_cases(f)]
    examples: list[Example] = []
    for name, cases in cases_by_set.items():
        examples += _gather(embedder, indexes[name], cases, name, off_topic=False)
    for name, other in (("squad", "briefing"), ("briefing", "squad")):
        asked = [c for c in cases_by_set[name] if c.answerable and not c.history_questions]
        if name == "squad":
            asked = asked[::OFF_TOPIC_EVERY]
        examples += _gather(embedder, indexes[other], asked, name, off_topic=True)
    return examples


def _gather(
    embedder: Embedder, index: LoadedIndex, cases: list[Case], name: str, off_topic: bool
) -> list[Example]:
    answerer = Answerer(embedder, lambda: index, decision=None)  # type: ignore[arg-type]
    examples = []
    label = "off-topic " if off_topic else ""
    for case in tqdm(cases, desc=f"candidates ({label}{name})", unit="q"):
        history = [Turn(q) for q in case.history_questions]
        found = answerer.gather(index, case.question, history)
        if found.candidates is None:
            continue
        if off_topic:
            case = dataclasses.replace(case, answerable=False)
        labels = np.array(
            [
                case.answerable and case_correct(index.sentences[s].text, case)
                for s in found.candidates.sentence_ids
            ],
            dtype=float,
        )
        examples.append(Example(case, case.group or name, index, found, labels, off_topic))
    return examples


def reader_pairs(examples: list[Example]) -> list[dict[str, object]]:
    """(question, sentence, label, article) for every candidate, in a fixed order: the data of
    the reading model (``scripts/train_reader.py``). The question is the standalone one (the
    conversation folded in), as the reader sees it at answer time."""
    rows: list[dict[str, object]] = []
    for number, e in enumerate(examples):
        candidates = e.found.candidates
        assert candidates is not None
        for sid, label in zip(candidates.sentence_ids, e.labels, strict=True):
            rows.append(
                {
                    "q": e.found.facts.standalone,
                    "s": e.index.sentences[sid].text,
                    "y": float(label),
                    "g": e.group,
                    "n": number,
                }
            )
    return rows
