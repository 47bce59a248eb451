"""PolicyQA dev (../shared/eval/policyqa, README there): each question asked of its own policy
(the ``documents`` scope), scored as that README says, beside the LangChain peer's top chunk
and its best sentences at the same length, in the same run.

One document per policy (its segments in order, a blank line between them); a question asked
twice of one policy takes the union of its spans; an answer is right when one span (lower
case, punctuation and articles removed) occurs in it and it is at most 300 characters; R@3
over the first three cited passages; false refusals over all questions (every question has an
answer in its policy). "yes/no" splits the questions by their form (an auxiliary verb first:
"Do you share…?", "Can I opt out?") — a report of this English set, not a rule of the product.

The shipped decision model trains on PolicyQA (``scripts/training/policyqa_data.py``), so every
figure here is in-sample; the held-out one, each policy scored by models that did not see it,
is ``policyqa_held_out`` in the manifest (``scripts/training/train_decision.py``).
Indexes are kept under ``var/policyqa`` (rebuilt incrementally when the data changes).

Run: nice .venv/bin/python scripts/eval/eval_policyqa.py   [--limit N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

from index import Embedder, build_index, document_id, load_index
from service.answering import Answerer, DecisionModel
from service.cli.evaluation import policy_normalize
from service.state import one_blas_thread

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "peers"))
from peer_chunking import split_sentences  # noqa: E402
from peer_systems import Embeddings, langchain_chunks  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "policyqa" / "dev.json"
MAX_CHARS = 300  # the README's length bar, citation markers included
ARTICLES = {"a", "an", "the"}
# The set is English; its yes/no forms open with an auxiliary (the README's "two in three").
YES_NO_OPENERS = {
    "am", "are", "can", "could", "did", "do", "does", "has", "have", "is", "may", "might",
    "must", "shall", "should", "was", "were", "will", "would",
}  # fmt: skip


@dataclass
class Asked:
    """One question of one policy, with the union of its spans."""

    policy: str
    question: str
    spans: list[str]

    @property
    def yes_no(self) -> bool:
        words = self.question.strip().split()
        return bool(words) and words[0].lower() in YES_NO_OPENERS


def normalize(text: str) -> str:
    """The README's scoring: lower case, punctuation and articles removed, word-padded."""
    return " " + " ".join(w for w in policy_normalize(text).split() if w not in ARTICLES) + " "


def holds_span(text: str, spans: list[str]) -> bool:
    haystack = normalize(text)
    return any(normalize(s).strip() and normalize(s) in haystack for s in spans)


def load(path: Path) -> tuple[dict[str, str], list[Asked]]:
    """Each policy's text (segments in order, a blank line between) and its questions."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    texts: dict[str, str] = {}
    asked: dict[tuple[str, str], Asked] = {}
    for policy in data:
        name = policy["title"]
        texts[name] = "\n\n".join(p["context"].strip() for p in policy["paragraphs"])
        for paragraph in policy["paragraphs"]:
            for qa in paragraph["qas"]:
                key = (name, qa["question"].strip())
                entry = asked.setdefault(key, Asked(name, key[1], []))
                entry.spans.extend(a["text"] for a in qa["answers"] if a["text"] not in entry.spans)
    return texts, list(asked.values())


def write_corpus(texts: dict[str, str], corpus: Path) -> dict[str, str]:
    """One .txt per policy; returns each policy's document id."""
    corpus.mkdir(parents=True, exist_ok=True)
    ids = {}
    for name, text in texts.items():
        file_name = f"{name}.txt"
        target = corpus / file_name
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        ids[name] = document_id(file_name)
    return ids


class LangChainPeer:
    """LangChain's RecursiveCharacterTextSplitter(1000, 200) over each policy alone, the same
    model, flat search: its top chunk, and the top chunk's sentences most like the question
    (in the chunk's order) within MAX_CHARS. Every chunk, sentence and question is embedded in
    batches up front (the peer's speed is not what is measured here)."""

    def __init__(self, texts: dict[str, str], questions: list[str], embeddings: Embeddings) -> None:
        self.chunks = {name: langchain_chunks([(name, text)]) for name, text in texts.items()}
        self.vectors = {name: embeddings.chunks(c) for name, c in self.chunks.items()}
        self.sentences = {
            chunk: [s.strip() for s in split_sentences(chunk) if s.strip()]
            for chunks in self.chunks.values()
            for chunk in chunks
        }
        everything = [s for sentences in self.sentences.values() for s in sentences]
        embeddings.chunks(everything)  # one batched pass; later calls read the cache
        self.embeddings = embeddings
        self.queries = dict(zip(questions, embeddings.chunks(questions), strict=True))

    def ask(self, policy: str, question: str) -> tuple[str, str]:
        """The top chunk and its best sentences."""
        query = self.queries[question]
        chunks = self.chunks[policy]
        top = chunks[int(np.argmax(self.vectors[policy] @ query))]
        sentences = self.sentences[top]
        scores = self.embeddings.chunks(sentences) @ query
        kept: list[int] = []
        used = 0
        for i in np.argsort(-scores):
            length = len(sentences[i]) + (1 if kept else 0)
            if used + length <= MAX_CHARS:
                kept.append(int(i))
                used += length
        return top, " ".join(sentences[i] for i in sorted(kept))


def share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def report(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The figures over all questions, the yes/no forms and the others."""
    out: dict[str, dict[str, Any]] = {}
    for part, keep in (("all", None), ("yes/no", True), ("other", False)):
        chosen = [r for r in rows if keep is None or r["yes_no"] == keep]
        out[part] = {
            "questions": len(chosen),
            "accuracy": share([r["right"] for r in chosen]),
            "false_refusals": share([not r["answered"] for r in chosen]),
            "r_at_3": share([r["r_at_3"] for r in chosen]),
            # Answers that say what they settle (issue #33: a yes/no question's settling
            # sentence), over the answered ones.
            "settled": share([r["settles"] is not None for r in chosen if r["answered"]]),
            "mean_chars": round(float(np.mean([r["chars"] for r in chosen])), 1)
            if chosen
            else None,
            "peer_top_chunk_holds": share([r["peer_chunk"] for r in chosen]),
            "peer_best_sentences": share([r["peer_sentences"] for r in chosen]),
        }
    return out


def _verdict(row: dict[str, Any]) -> str | None:
    """A settled row's verdict as a word ("None" when the quote states none); None if the row
    settles nothing."""
    settled = row["settles"]
    return None if settled is None else str(settled["verdict"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "policyqa")
    parser.add_argument("--model-cache", type=Path, default=ROOT / "var" / "models" / "onnx-export")
    parser.add_argument(
        "--target",
        type=float,
        default=0.03,
        help="the decision's operating point (BRIEFING_QA_TARGET_FALSE_ABSTENTION; 0: answer "
        "whenever no hand rule refuses, to replay other thresholds from the rows' probabilities)",
    )
    parser.add_argument("--limit", type=int, help="every n-th question only (a quick look)")
    parser.add_argument("--json", type=Path, help="write the figures and every row here")
    args = parser.parse_args()
    one_blas_thread()
    texts, questions = load(args.dev)
    if args.limit:
        questions = questions[:: max(1, len(questions) // args.limit)]
    ids = write_corpus(texts, args.work / "corpus")
    embedder = Embedder("onnx", args.model_cache)
    build_index(args.work / "corpus", args.work / "index", embedder)
    index = load_index(args.work / "index")
    answerer = Answerer(embedder, lambda: index, DecisionModel(target_false_abstention=args.target))
    peer = LangChainPeer(texts, list({q.question for q in questions}), Embeddings())
    started = time.perf_counter()
    rows = []
    for q in questions:
        answer = answerer.ask(q.question, documents=[ids[q.policy]])
        chunk, sentences = peer.ask(q.policy, q.question)
        rows.append(
            {
                "policy": q.policy,
                "question": q.question,
                "yes_no": q.yes_no,
                "answered": answer.answered,
                "answer": answer.answer,
                "probability": answer.signals.get("probability", 0.0),
                "confidence": answer.confidence,
                "refusal": answer.refusal.code if answer.refusal else None,
                "settles": vars(answer.settles) if answer.settles else None,
                "chars": len(answer.answer) if answer.answered else 0,
                "right": answer.answered
                and len(answer.answer) <= MAX_CHARS
                and holds_span(answer.answer, q.spans),
                "r_at_3": any(holds_span(c.text, q.spans) for c in answer.citations[:3]),
                "peer_chunk": holds_span(chunk, q.spans),
                "peer_sentences": holds_span(sentences, q.spans),
            }
        )
    figures = report(rows)
    # What the settled answers' verdicts were ("None": the quote does not say it plainly).
    verdicts = Counter(v for v in map(_verdict, rows) if v is not None)
    figures["verdicts"] = dict(sorted(verdicts.items()))
    figures["run"] = {
        "policies": len(texts),
        "questions": len(rows),
        "seconds": round(time.perf_counter() - started, 1),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
