"""One index version in memory (:class:`LoadedIndex`): everything a search and the answerer
read, with the corpus-wide tables for name matching, and the tokenisation BM25 shares with the
build."""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from ..acronyms import expand_acronyms
from ..documents import Document
from ..passages import PassageRecord, SentenceRecord
from ..structure import Structure
from ..text import stem, stems, tokenize

# How alike (difflib ratio) an unknown capitalised word and a corpus name must be to be taken
# for a variant of it: "Nazarbaev"/"Nazarbayev" 0.95, "Janaozen"/"Zhanaozen" 0.82,
# "Uzbekistan"/"Kazakhstan" 0.60.
NAME_MATCH_CUTOFF = 0.8
_CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]{4,}\b")


# Joins sentence texts for substring search; no sentence contains it.
_SEPARATOR = "\x00"


@dataclass
class LoadedIndex:
    """One index version in memory: everything a search needs."""

    version: str
    path: Path
    manifest: dict[str, Any]
    documents: dict[str, Document]
    passages: list[PassageRecord]
    sentences: list[SentenceRecord]
    passage_index: Any  # faiss.Index
    sentence_vectors: np.ndarray
    bm25: bm25s.BM25
    sentence_to_passages: list[list[int]]
    passage_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    sentence_ids_by_text: dict[str, list[int]] = field(default_factory=dict, repr=False)
    word_ids: dict[str, int] = field(default_factory=dict, repr=False)
    word_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)
    _vocab: dict[str, int] = field(default_factory=dict, repr=False)
    _stems: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)
    acronyms: dict[str, str] = field(default_factory=dict, repr=False)
    _aliases: dict[str, set[str]] | None = field(default=None, repr=False)
    _tokens: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)
    _name_frequency: dict[str, int] = field(default_factory=dict, repr=False)
    _sorted_vocab: list[str] = field(default_factory=list, repr=False)
    _names: list[str] | None = field(default=None, repr=False)
    _respellings: dict[str, str | None] = field(default_factory=dict, repr=False)
    _structure: Structure | None = field(default=None, repr=False)
    _haystack: tuple[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def structure(self) -> Structure:
        """Sections by document and title, their numbers, heading words and passages."""
        if self._structure is None:
            self._structure = Structure.of(self.documents, self.passages)
        return self._structure

    def sentences_containing(self, piece: str) -> set[int]:
        """Ids of the sentences whose text contains ``piece``.

        One C-level ``str.find`` over every sentence joined (built on first use) instead of a
        Python loop over them: ~12 ms rather than ~140 ms at 450,000 sentences."""
        if not piece or _SEPARATOR in piece:
            return set()
        if self._haystack is None:
            lengths = np.fromiter((len(s.text) + 1 for s in self.sentences), dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
            self._haystack = (_SEPARATOR.join(s.text for s in self.sentences), starts)
        text, starts = self._haystack
        found: set[int] = set()
        at = text.find(piece)
        while at != -1:
            found.add(int(np.searchsorted(starts, at, side="right")) - 1)
            at = text.find(piece, at + 1)
        return found

    def sentence_stems(self, sentence_id: int) -> frozenset[str]:
        """Stemmed content words of a sentence, acronyms spelled out as in the indexed text
        (memoised: answers reuse the same few)."""
        return _memoised(
            self._stems,
            sentence_id,
            lambda: stems(expand_acronyms(self.sentences[sentence_id].text, self.acronyms)),
        )

    def sentence_tokens(self, sentence_id: int) -> frozenset[str]:
        """Normalised word tokens of a sentence (memoised)."""
        return _memoised(
            self._tokens, sentence_id, lambda: tokenize(self.sentences[sentence_id].text)
        )

    def prepare(self) -> None:
        """Compute the corpus-wide tables name matching needs (about a second per 100,000
        passages) now, at load, so that the first question does not pay for them."""
        corpus = " ".join(d.text for d in self.documents.values())
        if self._aliases is None:
            self._aliases = initialisms(corpus)
        if self._names is None:
            self._names = sorted({w.lower() for w in _CAPITALISED_WORD.findall(corpus)})
        _ = self.structure

    def name_aliases(self, token: str) -> set[str]:
        """Initialisms of the corpus's capitalised phrases that contain ``token``
        ("parliament" -> {"ep"} when the corpus says "European Parliament")."""
        if self._aliases is None:
            self.prepare()
        assert self._aliases is not None
        return self._aliases.get(token, set())

    def document_frequency(self, term: str) -> int:
        """In how many passages the BM25 token ``term`` occurs."""
        token_id = self._vocab.get(term)
        if token_id is None:
            return 0
        indptr = self.bm25.scores["indptr"]  # CSC matrix: one column per token
        return int(indptr[token_id + 1] - indptr[token_id])

    def name_frequency(self, token: str) -> int:
        """In how many passages ``token`` or a word of its family occurs ("kazakh" counts
        "Kazakhstan" and "Kazakhstani" too): how common a name is, as name matching sees it."""
        cached = self._name_frequency.get(token)
        if cached is not None:
            return cached
        family = [self._vocab[w] for w in self._word_family(token)]
        indptr, indices = self.bm25.scores["indptr"], self.bm25.scores["indices"]
        passages = {int(p) for t in family for p in indices[indptr[t] : indptr[t + 1]]}
        if len(self._name_frequency) > 50_000:  # questions bring new names; keep memory bounded
            self._name_frequency.clear()
        self._name_frequency[token] = len(passages)
        return len(passages)

    def _word_family(self, token: str) -> list[str]:
        """Indexed words of ``token``'s family: itself, the words it begins, the words that
        begin it (see :func:`same_family`). Found by bisection in the sorted vocabulary, so a
        100,000-word vocabulary costs microseconds, not a scan."""
        if not self._sorted_vocab and self._vocab:
            self._sorted_vocab = sorted(self._vocab)
        words = [token] if token in self._vocab else []
        if len(token) >= 5:
            start = bisect.bisect_left(self._sorted_vocab, token)
            for word in self._sorted_vocab[start:]:
                if not word.startswith(token):
                    break
                if word != token:
                    words.append(word)
            words += [token[:k] for k in range(5, len(token)) if token[:k] in self._vocab]
        return words

    def respell_names(self, text: str) -> str:
        """``text`` with capitalised words the corpus does not know replaced by the corpus name
        they are a variant of ("Nazarbaev" -> "Nazarbayev", "Janaozen" -> "Zhanaozen"):
        transliterations and typos of names are common, and an unknown name means "not in the
        corpus" to the abstention check."""

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = word.lower()
            if lowered in self._vocab or self.name_frequency(lowered):
                return word
            known = self._closest_name(lowered)
            return known.capitalize() if known else word

        return _CAPITALISED_WORD.sub(replace, text)

    def _closest_name(self, word: str) -> str | None:
        if word in self._respellings:
            return self._respellings[word]
        if self._names is None:
            self.prepare()
        assert self._names is not None
        # Close in length first: difflib is slow over a large vocabulary.
        candidates = [n for n in self._names if abs(len(n) - len(word)) <= 2]
        match = difflib.get_close_matches(word, candidates, n=1, cutoff=NAME_MATCH_CUTOFF)
        if len(self._respellings) > 50_000:
            self._respellings.clear()
        self._respellings[word] = match[0] if match else None
        return self._respellings[word]

    def bm25_scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no query term is indexed)."""
        tokens = [t for t in bm25_tokens(query) if t in self._vocab]
        if not tokens:
            return np.zeros(len(self.passages), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def dense_search(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, passage ids) of the ``k`` passages nearest to ``query_vector``."""
        k = min(k, len(self.passages))
        if self.manifest.get("faiss_index") == "flat-ip":
            # One question against every vector: numpy's matrix-vector product beats FAISS's
            # flat search, whose threads cost more than they save (20,000 passages: 1.2 vs
            # 3.0 ms; 50,000: 4.3 vs 8.0 ms on 2 cores). Same scores, same order.
            every = self.passage_vectors @ query_vector.astype(np.float32)
            ids = top_ids(every, k)
            return every[ids], ids
        scores, ids = self.passage_index.search(query_vector.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]


def top_ids(scores: np.ndarray, n: int) -> np.ndarray:
    """Ids of the ``n`` highest scores, best first: a partition, then a sort of those ``n``
    only (sorting all 100,000 BM25 scores cost milliseconds a question)."""
    if len(scores) <= 4 * n:
        return np.argsort(-scores, kind="stable")[:n]
    top = np.argpartition(-scores, n)[:n]
    return top[np.argsort(-scores[top], kind="stable")]


def _memoised(
    cache: dict[int, frozenset[str]], key: int, compute: Callable[[], list[str]]
) -> frozenset[str]:
    value = cache.get(key)
    if value is None:
        value = cache[key] = frozenset(compute())
    return value


_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|on|in|the)\s+)*[A-Z][a-z]+)+")


def initialisms(text: str) -> dict[str, set[str]]:
    """Each word of a capitalised multi-word phrase in ``text`` -> the phrase's initials."""
    aliases: dict[str, set[str]] = {}
    for match in _PHRASE.finditer(text):
        words = [w for w in match.group(0).split() if w[0].isupper()]
        if len(words) < 2:
            continue
        initials = "".join(w[0] for w in words).lower()
        for word in words:
            aliases.setdefault(word.lower(), set()).add(initials)
    return aliases


def bm25_tokens(text: str) -> list[str]:
    """BM25 tokens: normalised words; numbers and hyphenated words also split into parts."""
    tokens = []
    for token in tokenize(text):
        tokens.append(token)
        stemmed = stem(token)
        if stemmed != token:
            tokens.append(stemmed)
        if "-" in token or "." in token or "," in token:
            tokens.extend(p for p in token.replace(",", "-").replace(".", "-").split("-") if p)
    return tokens
