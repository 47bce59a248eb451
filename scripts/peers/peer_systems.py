"""The three peer systems of scripts/peers/bench_peers.py: BM25 over 500-character chunks, and dense
retrieval (same model, flat FAISS) over LangChain's and LlamaIndex's chunks."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import bm25s
import faiss
import numpy as np
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

from index import bundled_model_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_chunking import RecursiveCharacterSplitter, SentenceSplitter, fixed_chunks
from peer_data import CITED, Question, Response, System, any_occurs, ms_since, share_of

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
        return Response(passages[0], passages, True, ms_since(started))


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
        return Response(passages[0], passages, True, ms_since(started))


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
    return share_of([any_occurs(q.answers, everything) for q in questions if q.answerable])


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
