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

Scoring (tests/data/policy/README.md): ``norm(s)`` lower-cases, turns runs of non-word characters
and "_" into one space and collapses spaces; a span occurs in a text when " norm(span) " is in
" norm(text) ".

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

Run: .venv/bin/python scripts/bench_peers.py [--corpus DIR --questions FILE
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
import itertools
import json
import logging
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import bm25s
import faiss
import numpy as np
import torch
from pypdf import PdfReader
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

from index import bundled_model_path

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "tests" / "data" / "policy"
PEER_SUFFIXES = (".pdf", ".html", ".htm", ".txt", ".md")
CITED = 3
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


# --- data and scoring ---------------------------------------------------------------------


@dataclass
class Question:
    """One question of the set: gold spans when answerable."""

    id: str
    question: str
    answers: list[str]
    answerable: bool


@dataclass
class Conversation:
    """Three turns; each turn's answer keys must all be in a right answer."""

    id: str
    questions: list[str]
    keys: list[list[str]]


@dataclass
class Response:
    """What a system returned for one question."""

    answer: str
    passages: list[str]
    answered: bool
    ms: float


class System(Protocol):
    """A question answerer under test."""

    name: str

    def ask(self, question: str, history: Sequence[tuple[str, str]]) -> Response: ...


def norm(text: str) -> str:
    """The README's normalisation: lower case, punctuation runs to one space."""
    return re.sub(r"\s+", " ", re.sub(r"[\W_]+", " ", text.lower())).strip()


def occurs(span: str, text: str) -> bool:
    """Whether ``span`` occurs in ``text`` on word boundaries, after normalisation."""
    needle = norm(span)
    return bool(needle) and f" {needle} " in f" {norm(text)} "


def any_occurs(spans: Sequence[str], text: str) -> bool:
    """Whether one of ``spans`` occurs in ``text``."""
    return any(occurs(span, text) for span in spans)


def load_questions(path: Path) -> list[Question]:
    """Read questions.jsonl."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Question(
            id=str(row["id"]),
            question=row["question"],
            answers=[str(a) for a in row.get("answers") or []],
            answerable=row.get("answerable", True) is not False,
        )
        for row in rows
    ]


def load_conversations(path: Path | None) -> list[Conversation]:
    """Read conversations.jsonl (none when the path is missing)."""
    if path is None or not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        Conversation(
            id=str(row["id"]),
            questions=[turn["question"] for turn in row["turns"]],
            keys=[list(turn["answer_keys"]) for turn in row["turns"]],
        )
        for row in rows
    ]


# --- reading files the tutorials' way ---------------------------------------------------------

_BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption dd div dl dt figcaption figure footer
    form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol p pre section table tbody td tfoot
    th thead title tr ul""".split()
)
_HIDDEN_TAGS = frozenset({"script", "style"})


class _VisibleText(HTMLParser):
    """Text a browser shows: no script/style, whitespace collapsed outside <pre>, blocks on
    lines of their own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._enter(tag, 1)

    def handle_endtag(self, tag: str) -> None:
        self._enter(tag, -1)

    def _enter(self, tag: str, step: int) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden + step)
        elif tag == "pre":
            self.pre = max(0, self.pre + step)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        """The visible text, one blank line at most between blocks."""
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        kept: list[str] = []
        for line in lines:
            if line or (kept and kept[-1]):
                kept.append(line)
        return "\n".join(kept).strip()


def html_text(path: Path) -> str:
    """An HTML file's visible text."""
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser.text()


def pdf_text(path: Path) -> str:
    """A PDF's text as pypdf extracts it, pages joined by newlines."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings, not failures
    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def read_peer_documents(corpus: Path) -> list[tuple[str, str]]:
    """(file name, text) for every document the peers can read."""
    documents = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix not in PEER_SUFFIXES:
            continue
        if suffix == ".pdf":
            text = pdf_text(path)
        elif suffix in (".html", ".htm"):
            text = html_text(path)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        documents.append((path.name, text))
    return documents


# --- chunkers -------------------------------------------------------------------------------


def fixed_chunks(text: str, size: int = 500) -> list[str]:
    """Consecutive ``size``-character pieces, no overlap."""
    return [text[i : i + size] for i in range(0, len(text), size)]


class RecursiveCharacterSplitter:
    """LangChain's RecursiveCharacterTextSplitter with its defaults (keep_separator=True, i.e.
    at the start of the next piece; strip_whitespace=True; length = len), from its source."""

    def __init__(
        self,
        chunk_size: int = 1000,
        chunk_overlap: int = 200,
        separators: Sequence[str] = ("\n\n", "\n", " ", ""),
    ) -> None:
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.separators = list(separators)

    def split_text(self, text: str) -> list[str]:
        """The chunks of one document."""
        return self._split(text, self.separators)

    def _split(self, text: str, separators: list[str]) -> list[str]:
        separator, rest = separators[-1], []
        for i, candidate in enumerate(separators):
            if candidate == "":
                separator = candidate
                break
            if re.search(re.escape(candidate), text):
                separator, rest = candidate, separators[i + 1 :]
                break
        chunks: list[str] = []
        good: list[str] = []
        for piece in _split_keeping_separator(text, separator):
            if len(piece) < self.chunk_size:
                good.append(piece)
                continue
            if good:
                chunks.extend(self._merge(good))
                good = []
            chunks.extend(self._split(piece, rest) if rest else [piece])
        if good:
            chunks.extend(self._merge(good))
        return chunks

    def _merge(self, splits: list[str]) -> list[str]:
        # The separator is kept inside the pieces, so they are joined with "" (length 0).
        docs: list[str] = []
        current: list[str] = []
        total = 0
        for piece in splits:
            length = len(piece)
            if total + length > self.chunk_size and current:
                _append_stripped(docs, "".join(current))
                while total > self.chunk_overlap or (
                    total + length > self.chunk_size and total > 0
                ):
                    total -= len(current[0])
                    current = current[1:]
            current.append(piece)
            total += length
        _append_stripped(docs, "".join(current))
        return docs


def _split_keeping_separator(text: str, separator: str) -> list[str]:
    """LangChain's ``_split_text_with_regex`` with keep_separator=True ("start")."""
    if not separator:
        return [c for c in text if c != ""]
    parts = re.split(f"({re.escape(separator)})", text)
    splits = [parts[i] + parts[i + 1] for i in range(1, len(parts), 2)]
    if len(parts) % 2 == 0:
        splits += parts[-1:]
    return [s for s in [parts[0], *splits] if s != ""]


def _append_stripped(docs: list[str], text: str) -> None:
    stripped = text.strip()
    if stripped:
        docs.append(stripped)


_NUMBER = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
_INITIAL = re.compile(r"^[^\W\d]\.$")
_CLOSERS = ")\"';}]*:@'({["


def sentence_starts(text: str) -> list[int]:
    """Where sentences start, by the rules of nltk's untrained PunktSentenceTokenizer (see the
    module docstring); always 0 first."""
    starts = [0]
    tokens = list(re.finditer(r"\S+", text))
    for current, following in itertools.pairwise(tokens):
        if _ends_sentence(current.group(), following.group()):
            starts.append(following.start())
    return starts


def _ends_sentence(token: str, following: str) -> bool:
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in ".?!":
        return False
    if core[-1] in "?!":
        return True
    if core.endswith(".."):
        return False
    initial = bool(_INITIAL.match(core))
    if initial or _NUMBER.match(core):
        if following[0].islower():
            return False
        if initial and following[0].isupper():
            return False
    return True


def split_sentences(text: str) -> list[str]:
    """LlamaIndex's ``split_by_sentence_tokenizer``: each sentence runs to the next one's start,
    so the whitespace after a sentence stays with it."""
    starts = sentence_starts(text)
    ends = [*starts[1:], len(text)]
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def _split_keep_sep_llama(text: str, separator: str) -> list[str]:
    """LlamaIndex's ``split_text_keep_separator``: the separator starts every later piece."""
    parts = text.split(separator)
    return [p for p in [parts[0], *(separator + p for p in parts[1:])] if p]


@dataclass
class _Split:
    text: str
    is_sentence: bool
    tokens: int


@dataclass
class SentenceSplitter:
    """LlamaIndex's SentenceSplitter (``split_text``), from its source."""

    count_tokens: Callable[[str], int]
    chunk_size: int = 256
    chunk_overlap: int = 20
    paragraph_separator: str = "\n\n\n"
    chunking_regex: str = "[^,.;。\uff1f\uff01]+[,.;。\uff1f\uff01]?|[,.;。\uff1f\uff01]"
    split_fns: list[Callable[[str], list[str]]] = field(default_factory=list)
    sub_sentence_fns: list[Callable[[str], list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        paragraph = self.paragraph_separator
        regex = self.chunking_regex
        self.split_fns = [lambda t: _split_keep_sep_llama(t, paragraph), split_sentences]
        self.sub_sentence_fns = [
            lambda t: re.findall(regex, t),
            lambda t: _split_keep_sep_llama(t, " "),
            list,
        ]

    def split_text(self, text: str) -> list[str]:
        """The chunks of one document."""
        if text == "":
            return []
        return self._merge(self._split(text))

    def _split(self, text: str) -> list[_Split]:
        size = self.count_tokens(text)
        if size <= self.chunk_size:
            return [_Split(text, True, size)]
        pieces, is_sentence = self._splits_by_fns(text)
        splits: list[_Split] = []
        for piece in pieces:
            size = self.count_tokens(piece)
            if size <= self.chunk_size:
                splits.append(_Split(piece, is_sentence, size))
            else:
                splits.extend(self._split(piece))
        return splits

    def _splits_by_fns(self, text: str) -> tuple[list[str], bool]:
        for split_fn in self.split_fns:
            pieces = split_fn(text)
            if len(pieces) > 1:
                return pieces, True
        pieces = [text]
        for split_fn in self.sub_sentence_fns:
            pieces = split_fn(text)
            if len(pieces) > 1:
                break
        return pieces, False

    def _merge(self, splits: list[_Split]) -> list[str]:
        chunks: list[str] = []
        current: list[tuple[str, int]] = []
        length = 0
        new_chunk = True
        index = 0
        while index < len(splits):
            split = splits[index]
            if length + split.tokens > self.chunk_size and not new_chunk:
                chunks.append("".join(text for text, _ in current))
                current, length = self._overlap(current)
                new_chunk = True
            elif split.is_sentence or length + split.tokens <= self.chunk_size or new_chunk:
                current.append((split.text, split.tokens))
                length += split.tokens
                index += 1
                new_chunk = False
            else:
                chunks.append("".join(text for text, _ in current))
                current, length = self._overlap(current)
                new_chunk = True
        if not new_chunk:
            chunks.append("".join(text for text, _ in current))
        return [c.strip() for c in chunks if c.strip()]

    def _overlap(self, last: list[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
        """Trailing splits of the closed chunk, whole, while they fit in the overlap."""
        carried: list[tuple[str, int]] = []
        length = 0
        for text, tokens in reversed(last):
            if length + tokens > self.chunk_overlap:
                break
            carried.insert(0, (text, tokens))
            length += tokens
        return carried, length


# --- peer systems -------------------------------------------------------------------------


def _peer_query(question: str, history: Sequence[tuple[str, str]]) -> str:
    """No conversation handling: the previous question and this one, joined."""
    return f"{history[-1][0]} {question}" if history else question


class Bm25Peer:
    """BM25 over fixed 500-character chunks."""

    name = "BM25 500-char chunks"

    def __init__(self, documents: list[tuple[str, str]]) -> None:
        self.chunks = [c for _, text in documents for c in fixed_chunks(text) if c.strip()]
        self.retriever = bm25s.BM25()
        self.retriever.index(bm25s.tokenize(self.chunks, show_progress=False), show_progress=False)

    def ask(self, question: str, history: Sequence[tuple[str, str]]) -> Response:
        started = time.perf_counter()
        tokens = bm25s.tokenize(
            [_peer_query(question, history)], return_ids=False, show_progress=False
        )
        k = min(CITED, len(self.chunks))
        ids, _ = self.retriever.retrieve(tokens, k=k, show_progress=False)
        passages = [self.chunks[int(i)] for i in ids[0]]
        return Response(passages[0], passages, True, _ms(started))


class Embeddings:
    """The peers' model; chunk vectors kept in memory for this run only."""

    def __init__(self) -> None:
        self.model = SentenceTransformer(str(bundled_model_path()), device="cpu")
        self._vectors: dict[str, np.ndarray] = {}

    def chunks(self, texts: list[str]) -> np.ndarray:
        """Normalised vectors of ``texts``, each text embedded once per run."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vectors = self.model.encode(missing, normalize_embeddings=True, batch_size=32)
            self._vectors.update(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
        return np.stack([self._vectors[t] for t in texts])

    def query(self, text: str) -> np.ndarray:
        """One normalised query vector, shape (1, dim)."""
        vector = self.model.encode([text], normalize_embeddings=True)
        return np.asarray(vector, dtype=np.float32)


class DensePeer:
    """Chunks → all-MiniLM-L6-v2 vectors → flat inner-product FAISS → the top k chunks."""

    def __init__(self, name: str, chunks: list[str], embeddings: Embeddings, k: int) -> None:
        self.name = name
        self.chunks = chunks
        self.embeddings = embeddings
        self.k = k
        vectors = embeddings.chunks(chunks)
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def ask(self, question: str, history: Sequence[tuple[str, str]]) -> Response:
        started = time.perf_counter()
        _, ids = self.index.search(self.embeddings.query(_peer_query(question, history)), self.k)
        passages = [self.chunks[int(i)] for i in ids[0] if i >= 0]
        return Response(passages[0], passages, True, _ms(started))


def langchain_chunks(documents: list[tuple[str, str]]) -> list[str]:
    """RecursiveCharacterTextSplitter(1000, 200) over every document."""
    splitter = RecursiveCharacterSplitter(1000, 200)
    return [c for _, text in documents for c in splitter.split_text(text)]


def llamaindex_chunks(documents: list[tuple[str, str]]) -> list[str]:
    """SentenceSplitter(256, 20) over every document, tokens counted by the model's tokenizer."""
    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    splitter = SentenceSplitter(count, chunk_size=256, chunk_overlap=20)
    return [c for _, text in documents for c in splitter.split_text(text)]


def text_ceiling(documents: list[tuple[str, str]], questions: list[Question]) -> float | None:
    """Share of answerable questions with a gold span anywhere in the peers' text: the most any
    peer can score (pypdf runs many words of this LaTeX PDF together)."""
    everything = "\n".join(text for _, text in documents)
    return _share([any_occurs(q.answers, everything) for q in questions if q.answerable])


def build_peers(documents: list[tuple[str, str]]) -> list[System]:
    """The three peers over the documents, read the tutorials' way."""
    embeddings = Embeddings()
    lc_chunks = langchain_chunks(documents)
    li_chunks = llamaindex_chunks(documents)
    print(f"chunks: LangChain {len(lc_chunks)}, LlamaIndex {len(li_chunks)}", flush=True)
    peers: list[System] = [
        Bm25Peer(documents),
        DensePeer("LangChain FAISS 1000/200", lc_chunks, embeddings, k=4),
        DensePeer("LlamaIndex 256-token", li_chunks, embeddings, k=2),
    ]
    return peers


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
        ms = _ms(started)
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


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


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
        "answer_accuracy": _share([r.answered and any_occurs(q.answers, r.answer) for q, r in ok]),
        "r_at_1": _share([_in_any(q.answers, r.passages[:1]) for q, r in ok]),
        "r_at_3": _share([_in_any(q.answers, r.passages[:CITED]) for q, r in ok]),
        "abstention": _share([not r.answered for r in unanswerable]),
        "false_abstention": _share([not r.answered for _, r in ok]),
        "mean_answer_chars": round(statistics.fmean(lengths), 1) if lengths else None,
        "follow_up_r_at_3": _share([_all_in(k, " ".join(r.passages[:CITED])) for k, r in follow]),
        "follow_up_accuracy": _share([r.answered and _all_in(k, r.answer) for k, r in follow]),
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
