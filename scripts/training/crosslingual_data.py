"""The rows the cross-lingual decision model learns from (issue #32), from XQuAD
(``../shared/eval/xquad``, CC BY-SA 4.0; README there): every question run through the real
cross-lingual route up to the decision, its candidate sentences with their features and labels.

Three corpora, one document per article (``# Title``, then its paragraphs), each built as the
product builds (the English index, then the second phase):

* ``en``: the English paragraphs, asked in every shared language (gold: the English spans);
* ``de``, ``zh``, ``hi`` and ``ar``: the German / Chinese / Hindi / Arabic paragraphs, asked
  in that language and in English (gold: that language's spans) — documents in four scripts,
  so that a documents' language no one trained on meets thresholds set across scripts.

Every question is asked twice: of the whole corpus (it has an answer) and of the corpus without
its article (it has none: what a refusal must learn). Rows are cached in
``var/xquad/rows-<corpus>.pkl``.
"""

from __future__ import annotations

import json
import pickle
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index import Embedder, LoadedIndex, build_index, load_index
from index.encoder.multilingual import LatentTerms, MultilingualEncoder
from index.store.latent import QUESTION_TERMS
from index.store.multilingual import MultilingualIndex, build_multilingual, load_multilingual
from index.store.multilingual_search import search_multilingual
from service.answering.crosslingual_candidates import gather_cross_candidates
from service.answering.tunables import HITS_RETRIEVED

ROOT = Path(__file__).resolve().parents[2]
XQUAD = ROOT.parent / "shared" / "eval" / "xquad"
WORK = ROOT / "var" / "xquad"
LANGUAGES = ("en", "de", "es", "zh", "ar", "hi")
# Which questions each corpus is asked.
ASKED = {
    "en": LANGUAGES,
    "de": ("de", "en"),
    "zh": ("zh", "en"),
    "hi": ("hi", "en"),
    "ar": ("ar", "en"),
}


@dataclass
class Row:
    """One question asked of one scope: what the route found, for training and replay."""

    corpus: str
    language: str
    qid: str
    article: str
    answerable: bool
    sentence_ids: list[int]
    features: np.ndarray
    labels: np.ndarray  # each candidate holds a gold span
    sentence_passages: list[int]  # the hit rank each candidate's passage has
    hit_gold: list[bool]  # each hit's passage holds a gold span (for R@k)
    # Each candidate's length in characters: whether a runner-up fits beside the best.
    sentence_chars: list[int] = field(default_factory=list)


def squad(language: str) -> dict:
    """XQuAD's file for ``language``."""
    return json.loads((XQUAD / f"xquad.{language}.json").read_text(encoding="utf-8"))


def normalise(text: str) -> str:
    """SQuAD's answer normalisation, written for any script: lower case, no punctuation, no
    English articles, single spaces (Chinese is compared without spaces)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def holds(text: str, spans: list[str], language: str) -> bool:
    """One of ``spans`` occurs in ``text``: on word boundaries, or anywhere for Chinese."""
    haystack = normalise(text)
    if language == "zh":
        return any(normalise(s) and normalise(s) in haystack for s in spans)
    padded = f" {haystack} "
    return any(normalise(s) and f" {normalise(s)} " in padded for s in spans)


def build_corpus(language: str, embedder: Embedder, encoder: MultilingualEncoder) -> Path:
    """Build (once) the index of ``language``'s paragraphs, both phases; returns its folder."""
    folder = WORK / language
    corpus = folder / "corpus"
    if not corpus.is_dir():
        corpus.mkdir(parents=True)
        for article in squad(language)["data"]:
            paragraphs = "\n\n".join(p["context"] for p in article["paragraphs"])
            title = article["title"].replace("_", " ")
            (corpus / f"{article['title']}.md").write_text(f"# {title}\n\n{paragraphs}\n")
    if not (folder / "index" / "CURRENT").is_file():
        build_index(corpus, folder / "index", embedder)
    build_multilingual(load_index(folder / "index"), folder / "index", encoder)
    return folder / "index"


def gold_spans(language: str) -> dict[str, tuple[str, list[str]]]:
    """Question id → (article, the answers' texts in ``language``)."""
    return {
        q["id"]: (a["title"], [x["text"] for x in q["answers"]])
        for a in squad(language)["data"]
        for p in a["paragraphs"]
        for q in p["qas"]
    }


def questions(language: str) -> dict[str, str]:
    """Question id → the question in ``language``."""
    return {
        q["id"]: q["question"]
        for a in squad(language)["data"]
        for p in a["paragraphs"]
        for q in p["qas"]
    }


def ask(
    index: LoadedIndex,
    second: MultilingualIndex,
    question: str,
    language: str,
    vector: np.ndarray,
    terms: LatentTerms,
    spans: list[str],
    gold_language: str,
) -> tuple[list[int], np.ndarray, np.ndarray, list[int], list[bool]]:
    """The route up to the decision, with each candidate's and hit's label."""
    hits = search_multilingual(index, second, question, language, vector, terms, HITS_RETRIEVED)
    found = gather_cross_candidates(index, second, hits, vector, terms, question, language)
    hit_gold = [holds(index.passages[h.passage_id].text, spans, gold_language) for h in hits]
    if found is None:
        return [], np.zeros((0, 0)), np.zeros(0, dtype=bool), [], hit_gold
    labels = np.asarray(
        [holds(index.sentences[s].text, spans, gold_language) for s in found.sentence_ids]
    )
    owners = [
        next(r for r, h in enumerate(hits) if s in index.passages[h.passage_id].sentence_ids)
        for s in found.sentence_ids
    ]
    return found.sentence_ids, found.features, labels, owners, hit_gold


def collect(corpus: str, embedder: Embedder, encoder: MultilingualEncoder) -> list[Row]:
    """Every row of ``corpus`` (cached)."""
    cache = WORK / f"rows-{corpus}.pkl"
    if cache.is_file():
        with open(cache, "rb") as handle:
            rows: list[Row] = _Rows(handle).load()
        return rows
    index_dir = build_corpus(corpus, embedder, encoder)
    whole = load_index(index_dir)
    second = load_multilingual(whole.path)
    assert second is not None
    by_article = {Path(d.path).stem: key for key, d in whole.documents.items()}
    gold = gold_spans(corpus)
    rows = []
    for language in ASKED[corpus]:
        asked = questions(language)
        ids = sorted(asked, key=lambda q: gold[q][0])  # by article: one view at a time
        vectors = encoder.encode_queries([asked[q] for q in ids])
        terms = question_terms(encoder, [asked[q] for q in ids])
        for qid, vector, latent in tqdm(
            zip(ids, vectors, terms, strict=True), total=len(ids), desc=language
        ):
            article, spans = gold[qid]
            others = [k for name, k in by_article.items() if name != article]
            for answerable, view in ((True, whole), (False, whole.within(others))):
                found = ask(view, second, asked[qid], language, vector, latent, spans, corpus)
                chars = [len(whole.sentences[s].text) for s in found[0]]
                rows.append(Row(corpus, language, qid, article, answerable, *found, chars))
    cache.write_bytes(pickle.dumps(rows))
    return rows


def question_terms(encoder: MultilingualEncoder, texts: list[str]) -> list[LatentTerms]:
    """The latent terms of questions, as the route computes them (cached by text in var/)."""
    cache = WORK / "question-terms.pkl"
    known: dict[str, LatentTerms] = pickle.loads(cache.read_bytes()) if cache.is_file() else {}
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        known.update(zip(missing, encoder.latent_terms(missing, QUESTION_TERMS), strict=True))
        cache.write_bytes(pickle.dumps(known))
    return [known[t] for t in texts]


class _Rows(pickle.Unpickler):
    """Reads rows pickled when this file ran as ``__main__`` as well as when imported."""

    def find_class(self, module: str, name: str) -> type:
        if name == "Row":
            return Row
        found: type = super().find_class(module, name)
        return found


def models() -> tuple[Embedder, MultilingualEncoder]:
    """The product's two models (the ONNX export kept in var/)."""
    return Embedder("onnx", ROOT / "var" / "models" / "onnx-export"), MultilingualEncoder()


if __name__ == "__main__":
    embedder, encoder = models()
    for name in ASKED:
        print(name, len(collect(name, embedder, encoder)), "rows")
