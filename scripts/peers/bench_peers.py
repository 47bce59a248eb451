"""Quality against peers: three retrieval pipelines people build today, and briefing-qa, in one
run on the same corpus and questions, so the margin is measured, not remembered.

Systems (all read the same corpus folder; the peers read files as their tutorials do: PDF
through pypdf, ``PdfReader(...).pages[i].extract_text()`` with the pages joined by "\\n", HTML as
its visible text through Python's ``html.parser`` without script/style, one block a line and a
blank line between paragraphs, .txt and .md as they are):

1. **BM25 500** — every document cut into 500-character chunks (no overlap), bm25s with its
   default tokenisation (lower-cased, ``\\b\\w\\w+\\b``, English stop words), the same for the
   queries; the answer is the top chunk, the citations the top 3.
2. **LangChain FAISS 1000/200** — LangChain's ``RecursiveCharacterTextSplitter(chunk_size=1000,
   chunk_overlap=200)`` re-implemented by hand from LangChain's code (separators "\\n\\n", "\\n",
   " ", ""; separators kept at the start of the next piece; pieces of 1000 characters or more
   split with the next separator; small pieces merged up to 1000 characters, the overlap carried
   over from the end of the previous chunk; chunks stripped), all-MiniLM-L6-v2 through
   sentence-transformers (normalised vectors), a flat inner-product FAISS index, k=4; the answer
   is the top chunk.
3. **LlamaIndex 256** — LlamaIndex's ``SentenceSplitter(chunk_size=256, chunk_overlap=20)``
   re-implemented by hand from LlamaIndex's code (paragraphs on "\\n\\n\\n", then sentences, then
   phrases, words, characters; splits packed into chunks of at most 256 tokens, whole trailing
   splits of at most 20 tokens carried into the next chunk). Two stand-ins, as this machine is
   offline and has neither: tokens are counted with the embedding model's own WordPiece
   tokenizer (LlamaIndex's default, tiktoken's cl100k_base, needs a download), and sentences
   are found by the main rules of the untrained nltk ``PunktSentenceTokenizer`` that LlamaIndex
   uses (nltk is not installed): a break after a token ending in ".", "?" or "!" (closing
   brackets and quotes allowed after it) before the next token, except after "..", after a
   single-letter initial followed by a capital, and after a number or initial followed by a
   lower-case word. Same model and FAISS; top-k 2 (LlamaIndex's default
   ``similarity_top_k``); the answer is the top chunk. No metadata is embedded with the chunks
   (SimpleDirectoryReader would prepend the file path and shrink the chunk budget by its tokens).
4. **briefing-qa** — our index built in a temporary folder with ``index.build_index`` (its own
   readers), loaded with ``index.load_index``, and ``service.answering.Answerer`` with the
   fitted ``DecisionModel``; ``answer = answerer.ask(question, history)``. When the decision
   model does not load (it is being retrained on other features), this row is skipped with a
   line saying so and the peers are still measured.

Scoring (tests/data/policy/README.md; ``service.cli.evaluation.policy_normalize``): lower case,
runs of non-word characters and "_" one space; a span occurs in a text on word boundaries.

* answer accuracy (answerable questions): answered, and a gold span occurs in the answer text
  (a peer's answer is its whole top chunk, whatever its length);
* R@1, R@3: a gold span occurs in one of the first 1 / 3 cited passages (a peer's top chunks in
  order; LlamaIndex returns 2, so its R@3 is over 2);
* abstention: share of unanswerable questions answered "not answered" (peers never refuse: 0);
  false abstention: share of answerable questions refused;
* mean answer chars: characters of the answer text of the answered questions (all 220);
* conversations: turn 1 asked alone, turns 2 and 3 with the conversation so far. The peers have
  no conversation handling: their query for a follow-up is the previous question and the
  current one joined by a space. Ours gets ``history=[Turn(question, answer)]`` for every earlier
  turn, with its own earlier answers. Follow-up R@3: for turns 2 and 3, every answer key occurs
  in the first 3 cited passages joined; follow-up accuracy: answered and every key in the answer;
* p50 ms: median wall time of ``answerer.ask`` over the questions (the /ask latency in-process);
  for the peers, for information, the median time to embed (or tokenise) the query and search
  (queries embedded with one torch thread; the chunks in batches with torch's default).

The peers' chunk vectors are computed once per run and kept in memory only; our index lives in a
temporary folder removed at the end. Nothing is written outside it but the JSON (``--json``).

Run: .venv/bin/python scripts/peers/bench_peers.py [--corpus DIR --questions FILE
     --conversations FILE --json bench-results/peers.json]
Takes about 3.5 minutes for the peers on 2 shared CPU cores with the default policy corpus
(pypdf about 30 s, the peers' ~1,500 chunk embeddings about 2 minutes, their 560 queries
about 15 s), plus about 5 minutes for our index build (13,000 embeddings) and 280 questions
when ours runs: 8-9 minutes in all.

Also printed and saved: the share of answerable questions with a gold span anywhere in the
peers' text, the most a peer can score. pypdf runs many words of the LaTeX PDF together
("CompareRFC2119"), so some debian-policy answers are not in the peers' text at all: that is
what the tutorials' loader gives, and part of the margin.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_data import (
    CITED,
    POLICY,
    ROOT,
    Conversation,
    Question,
    Response,
    System,
    any_occurs,
    load_conversations,
    load_questions,
    ms_since,
    occurs,
    share_of,
)
from peer_reading import read_peer_documents
from peer_systems import build_peers, text_ceiling

COLUMNS = [
    ("answer_accuracy", "accuracy"),
    ("r_at_1", "R@1"),
    ("r_at_3", "R@3"),
    ("abstention", "abstention"),
    ("false_abstention", "false abst."),
    ("mean_answer_chars", "mean chars"),
    ("follow_up_r_at_3", "follow-up R@3"),
    ("follow_up_accuracy", "follow-up acc."),
    ("p50_ms", "p50 ms"),
]


# --- ours -------------------------------------------------------------------------------


class Ours:
    """briefing-qa's answerer over an index built from the corpus."""

    name = "briefing-qa (ours)"

    def __init__(self, answerer: Any) -> None:
        self.answerer = answerer

    def ask(self, question: str, history: Sequence[tuple[str, str]]) -> Response:
        from service.answering import Turn

        turns = [Turn(question=q, answer=a) for q, a in history]
        started = time.perf_counter()
        answer = self.answerer.ask(question, turns)
        ms = ms_since(started)
        passages = [c.text for c in answer.citations]
        return Response(answer.answer, passages, bool(answer.answered), ms)


def build_ours(corpus: Path, index_dir: Path) -> tuple[Ours | None, str | None]:
    """Our answerer, or None and why it is skipped: a decision model that does not load (being
    retrained on other features), or answering code that does not import (being edited)."""
    try:
        from index import build_index, load_index
        from service.answering import Answerer, DecisionModel
        from service.settings import Settings
        from service.state import load_embedder
    except ImportError as problem:
        return None, f"skipped: the answering code does not import ({problem})"
    try:
        decision = DecisionModel()
    except (ValueError, OSError, KeyError) as problem:
        return None, f"skipped until the decision model is retrained: it does not load ({problem})"
    settings = Settings(
        corpus_dir=corpus, index_dir=index_dir, model_cache_dir=ROOT / "var" / "models"
    )
    embedder = load_embedder(settings)
    started = time.perf_counter()
    report = build_index(corpus, index_dir, embedder)
    print(
        f"our index: {report.passages} passages in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    loaded = load_index(index_dir, model_key=embedder.model_key)
    return Ours(Answerer(embedder, lambda: loaded, decision)), None


# --- running and reporting ------------------------------------------------------------------


def run_questions(system: System, questions: list[Question]) -> list[Response]:
    """Every question asked alone."""
    return [system.ask(q.question, ()) for q in questions]


def run_conversations(system: System, conversations: list[Conversation]) -> list[list[Response]]:
    """Every conversation in order, each turn with the earlier turns and this system's answers."""
    results = []
    for conversation in conversations:
        history: list[tuple[str, str]] = []
        responses = []
        for question in conversation.questions:
            response = system.ask(question, list(history))
            responses.append(response)
            history.append((question, response.answer))
        results.append(responses)
    return results


def score(
    questions: list[Question],
    responses: list[Response],
    conversations: list[Conversation],
    turns: list[list[Response]],
) -> dict[str, float | None]:
    """The table's figures for one system."""
    pairs = list(zip(questions, responses, strict=True))
    ok = [(q, r) for q, r in pairs if q.answerable]
    unanswerable = [r for q, r in pairs if not q.answerable]
    lengths = [len(r.answer) for r in responses if r.answered]
    follow = [
        (keys, response)
        for conversation, results in zip(conversations, turns, strict=True)
        for keys, response in list(zip(conversation.keys, results, strict=True))[1:]
    ]
    return {
        "answer_accuracy": share_of(
            [r.answered and any_occurs(q.answers, r.answer) for q, r in ok]
        ),
        "r_at_1": share_of([_in_any(q.answers, r.passages[:1]) for q, r in ok]),
        "r_at_3": share_of([_in_any(q.answers, r.passages[:CITED]) for q, r in ok]),
        "abstention": share_of([not r.answered for r in unanswerable]),
        "false_abstention": share_of([not r.answered for _, r in ok]),
        "mean_answer_chars": round(statistics.fmean(lengths), 1) if lengths else None,
        "follow_up_r_at_3": share_of([_all_in(k, " ".join(r.passages[:CITED])) for k, r in follow]),
        "follow_up_accuracy": share_of([r.answered and _all_in(k, r.answer) for k, r in follow]),
        "p50_ms": round(statistics.median(r.ms for r in responses), 1) if responses else None,
    }


def _in_any(spans: list[str], passages: list[str]) -> bool:
    return any(any_occurs(spans, passage) for passage in passages)


def _all_in(keys: list[str], text: str) -> bool:
    return all(occurs(key, text) for key in keys)


def measure(
    system: System, questions: list[Question], conversations: list[Conversation]
) -> dict[str, float | None]:
    """Ask everything and score it."""
    started = time.perf_counter()
    responses = run_questions(system, questions)
    turns = run_conversations(system, conversations)
    print(f"{system.name}: asked in {time.perf_counter() - started:.0f} s", flush=True)
    return score(questions, responses, conversations, turns)


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if key in ("mean_answer_chars", "p50_ms"):
        return f"{value:,.1f}"
    return f"{value:.3f}"


def markdown_table(rows: dict[str, dict[str, float | None]], skipped: Sequence[str] = ()) -> str:
    """One row per system; a skipped system's row says so."""
    header = "| system | " + " | ".join(label for _, label in COLUMNS) + " |"
    rule = "|---|" + "---:|" * len(COLUMNS)
    lines = [header, rule]
    for name, metrics in rows.items():
        cells = " | ".join(_cell(key, metrics.get(key)) for key, _ in COLUMNS)
        lines.append(f"| {name} | {cells} |")
    for name in skipped:
        lines.append(f"| {name} | " + " | ".join("skipped" for _ in COLUMNS) + " |")
    return "\n".join(lines)


def margins(rows: dict[str, dict[str, float | None]], ours: str) -> dict[str, float]:
    """Our answer accuracy minus each peer's, in points of share."""
    mine = rows.get(ours, {}).get("answer_accuracy")
    if mine is None:
        return {}
    return {
        name: round(mine - (metrics["answer_accuracy"] or 0.0), 4)
        for name, metrics in rows.items()
        if name != ours and metrics.get("answer_accuracy") is not None
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=POLICY / "corpus")
    parser.add_argument("--questions", type=Path, default=POLICY / "questions.jsonl")
    parser.add_argument("--conversations", type=Path, default=POLICY / "conversations.jsonl")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "peers.json")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Build the four systems, ask every question, print and save the table."""
    args = parse_args(argv)
    started = time.perf_counter()
    questions = load_questions(args.questions)
    conversations = load_conversations(args.conversations)
    print(f"{len(questions)} questions, {len(conversations)} conversations", flush=True)
    rows: dict[str, dict[str, float | None]] = {}
    documents = read_peer_documents(args.corpus)
    chars = sum(len(text) for _, text in documents)
    ceiling = text_ceiling(documents, questions)
    print(f"peers read {len(documents)} documents, {chars:,} characters", flush=True)
    print(f"answerable questions with a gold span in the peers' text: {ceiling}", flush=True)
    peers = build_peers(documents)
    threads = torch.get_num_threads()
    # Queries are embedded one at a time, with one torch thread: on 2 shared cores two threads
    # took 300-600 ms a query spinning against each other, one about 35 ms.
    torch.set_num_threads(1)
    for peer in peers:
        rows[peer.name] = measure(peer, questions, conversations)
    torch.set_num_threads(threads)
    skipped = None
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
        ours, skipped = build_ours(args.corpus, Path(folder) / "index")
        if ours is not None:
            rows[ours.name] = measure(ours, questions, conversations)
    elapsed = time.perf_counter() - started
    report(args, rows, questions, conversations, skipped, elapsed, ceiling)


def report(
    args: argparse.Namespace,
    rows: dict[str, dict[str, float | None]],
    questions: list[Question],
    conversations: list[Conversation],
    skipped: str | None,
    elapsed: float,
    ceiling: float | None,
) -> None:
    """Print the table and the margins, and write them as JSON."""
    print()
    print(markdown_table(rows, [Ours.name] if skipped else []))
    print()
    gaps = margins(rows, Ours.name)
    if skipped:
        print(f"{Ours.name}: {skipped}")
        print("margin of ours over the peers: not measured in this run (ours skipped)")
    for name, gap in gaps.items():
        print(f"margin of ours over {name} in answer accuracy: {gap * 100:+.1f} points")
    print(f"answerable questions with a gold span anywhere in the peers' text: {ceiling}")
    print(f"run time: {elapsed:.0f} s")
    result = {
        "corpus": str(args.corpus),
        "questions": str(args.questions),
        "conversations": str(args.conversations),
        "counts": {
            "questions": len(questions),
            "answerable": sum(q.answerable for q in questions),
            "unanswerable": sum(not q.answerable for q in questions),
            "follow_up_turns": sum(max(len(c.questions) - 1, 0) for c in conversations),
        },
        "peers": {
            "BM25 500-char chunks": "500-char chunks, no overlap; bm25s default tokenizer "
            "(lower case, English stop words); top 3",
            "LangChain FAISS 1000/200": "RecursiveCharacterTextSplitter(1000, 200) by hand; "
            "all-MiniLM-L6-v2 normalised; FAISS IndexFlatIP; k=4",
            "LlamaIndex 256-token": "SentenceSplitter(256, 20) by hand, WordPiece token counts, "
            "untrained-Punkt sentence rules; all-MiniLM-L6-v2; FAISS IndexFlatIP; top-k 2",
            "follow-ups": "query = previous question + ' ' + this question",
        },
        "peer_text_ceiling": ceiling,
        "systems": rows,
        "margin_answer_accuracy": gaps,
        "ours_skipped": skipped,
        "run_seconds": round(elapsed, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
