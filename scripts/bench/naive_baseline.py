"""The naive baseline the benchmark compares against: the tutorial way.

sentence-transformers on torch embeds 1,000-character chunks with 200 characters of overlap
(LangChain's RecursiveCharacterTextSplitter defaults in most tutorials), a flat FAISS index
finds the nearest chunks, and a FastAPI endpoint returns them. No hybrid search, no answer
extraction, no abstention: it does strictly less work than briefing-qa.

Run: python scripts/bench/naive_baseline.py --corpus corpus --port 8100
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss
import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer

from index.encoder.embedder import bundled_model_path


def chunk(text: str, size: int = 1000, overlap: int = 200) -> list[str]:
    """Fixed-size character chunks with overlap."""
    step = size - overlap
    return [text[i : i + size] for i in range(0, max(len(text) - overlap, 1), step)]


class Question(BaseModel):
    question: str


def build_app(corpus: Path) -> FastAPI:
    """Load the model, chunk and embed the corpus, serve /ask."""
    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    chunks = [
        c
        for path in sorted(corpus.rglob("*"))
        if path.suffix in (".txt", ".md")
        for c in chunk(path.read_text(encoding="utf-8"))
    ]
    vectors = model.encode(chunks, normalize_embeddings=True)
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(np.asarray(vectors, dtype=np.float32))
    app = FastAPI()

    @app.post("/ask")
    def ask(body: Question) -> dict[str, object]:
        query = model.encode([body.question], normalize_embeddings=True)
        _, ids = index.search(np.asarray(query, dtype=np.float32), 3)
        return {"answer": chunks[ids[0][0]], "sources": [chunks[i] for i in ids[0]]}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    """Parse arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(build_app(args.corpus), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
