"""Candidate sentences of a question asked across languages, with features that do not lean
on words the question and the document share (issue #32): they may share none but names and
numbers. The multilingual model's question-sentence similarity, its rank and margins, the
passage's place in the fused search and the latent terms it shares with the question, and
name/number overlap carry the decision.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index import Hit, LoadedIndex
from index.encoder.multilingual import LatentTerms
from index.stemming import words
from index.store.multilingual import MultilingualIndex

from .tunables import PASSAGES_FOR_SENTENCES

# The features, in the order the cross-lingual model reads them (model/crosslingual.json).
FEATURES = (
    "similarity",
    "similarity_gap",
    "similarity_rank",
    "similarity_margin",
    "passage_score",
    "passage_gap",
    "passage_rank",
    "passage_dense",
    "passage_bm25",
    "shared_words",
    "numbers_asked",
    "numbers_shared",
    "sentence_digits",
    "length",
    "position",
    "same_language",
    "passage_similarity_gap",
    "neighbour_similarity",
    "similarity_z",
    "capitalised_share",
    "names_in_passage",
    "names_in_read",
    "passage_latent",
    "passage_latent_gap",
    "sentence_latent",
    "sentence_latent_gap",
)


@dataclass(frozen=True)
class CrossCandidates:
    """The sentences a cross-lingual answer may quote, one feature row each."""

    sentence_ids: list[int]
    features: np.ndarray


def gather_cross_candidates(
    index: LoadedIndex,
    second: MultilingualIndex,
    hits: list[Hit],
    query_vector: np.ndarray,
    query_terms: LatentTerms,
    question: str,
    language: str,
) -> CrossCandidates | None:
    """The sentences of the first passages of ``hits``, with their features (None: no hit)."""
    read = hits[:PASSAGES_FOR_SENTENCES]
    if not read:
        return None
    owner: dict[int, tuple[int, int]] = {}  # sentence → (hit rank, place in its passage)
    for rank, hit in enumerate(read):
        for place, sid in enumerate(index.passages[hit.passage_id].sentence_ids):
            owner.setdefault(sid, (rank, place))
    ids = list(owner)
    similarity = second.sentences.scores(query_vector, np.asarray(ids))
    # What the sentence and the question mean alike, beyond e5's one vector: it picks the
    # sentence that answers within a passage better (docs/quality.md, #32).
    latent = second.sentence_latent.scores(query_terms, np.asarray(ids))
    latent_top = float(latent.max())
    order = np.argsort(-similarity, kind="stable")
    rank_of = np.empty(len(ids), dtype=float)
    rank_of[order] = np.arange(len(ids))
    best = float(similarity[order[0]])
    margin = best - float(similarity[order[1]]) if len(ids) > 1 else best
    # Across scripts e5's similarities crowd together (how closely varies by language): the
    # spread of this question's candidates puts each one's on a common scale.
    spread = max(float(np.std(similarity)), 1e-6)
    centre = float(np.mean(similarity))
    at = {sid: i for i, sid in enumerate(ids)}
    # Within its own passage: how far below the passage's closest sentence, and how close its
    # neighbours are (the sentence after the one that restates the question often answers it).
    passage_best = [
        max(float(similarity[at[s]]) for s in index.passages[hit.passage_id].sentence_ids)
        for hit in read
    ]
    asked = _salient(words(question))
    numbers = {w for w in asked if w.isdigit()}
    names, capitalised_share = _names(question)
    passage_words = [set(words(index.passages[hit.passage_id].text)) for hit in read]
    in_passage = [_share_found(names, found) for found in passage_words]
    in_read = _share_found(names, set().union(*passage_words))
    latent_best = max(hit.latent for hit in read)
    rows = []
    for i, sid in enumerate(ids):
        rank, place = owner[sid]
        hit = read[rank]
        text = index.sentences[sid].text
        found = set(words(text))
        document = index.sentences[sid].document_id
        rows.append(
            [
                similarity[i],
                best - similarity[i],
                rank_of[i],
                margin,
                hit.score,
                read[0].score - hit.score,
                rank,
                hit.dense,
                hit.bm25_normalized,
                len(asked & found) / len(asked) if asked else 0.0,
                len(numbers),
                len(numbers & found) / len(numbers) if numbers else 0.0,
                float(any(ch.isdigit() for ch in text)),
                math.log1p(len(text)),
                place,
                float(second.languages.get(document) == language),
                passage_best[rank] - similarity[i],
                _neighbour(index.passages[hit.passage_id].sentence_ids, place, similarity, at),
                (similarity[i] - centre) / spread,
                capitalised_share,
                in_passage[rank],
                in_read,
                hit.latent,
                latent_best - hit.latent,
                latent[i],
                latent_top - latent[i],
            ]
        )
    return CrossCandidates(ids, np.asarray(rows, dtype=float))


def _names(question: str) -> tuple[list[str], float]:
    """The capitalised words of ``question`` (as :func:`_cased_words` finds them), case-folded,
    and their share of its words. Names are written the same in languages of one
    script, so a name found nowhere in what was read says the documents are about something
    else; the share lets the model learn where capitals mark nouns as well as names."""
    raw = _cased_words(question)
    capitalised = [w for w in raw if w[0].isupper()]
    names = [w for w in dict.fromkeys(words(" ".join(capitalised))) if len(w) > 1]
    return names, len(capitalised) / len(raw) if raw else 0.0


def _cased_words(question: str) -> list[str]:
    """The words of ``question`` in scripts with capitals (Latin, Greek, Cyrillic, ...), also
    where they stand inside Chinese or Arabic; the opening word of a question written in such
    a script left out unless it is an acronym (a capital there says nothing)."""
    found: list[tuple[int, str]] = []
    start = 0
    for at, ch in enumerate(f"{question} "):
        cased = ch.isalpha() and ch.lower() != ch.upper()
        if cased or (at > start and unicodedata.category(ch).startswith("M")):
            continue
        if at > start:
            found.append((start, question[start:at]))
        start = at + 1
    opening = len(found) > 1 and not question[: found[0][0]].strip(_OPENING)
    if opening and not found[0][1].isupper():
        found = found[1:]
    return [word for _, word in found]


def _share_found(names: list[str], found: set[str]) -> float:
    """The share of ``names`` in ``found`` (-1: none asked), an inflected name ("Warszawie")
    meeting its stem's form ("Warszawa") when they share all but their last three letters."""
    if not names:
        return -1.0
    return sum(any(_same_name(n, w) for w in found) for n in names) / len(names)


def _same_name(a: str, b: str) -> bool:
    if a == b:
        return True
    shared = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return shared >= _NAME_STEM and shared >= min(len(a), len(b)) - _INFLECTION


# What may come before a question's first word: opening marks and spaces.
_OPENING = " \t\"'\u00bf\u00a1\u00ab\u201c\u201e\u2018("
# Inflected names share a stem of four letters or more and differ in at most three letters of
# ending (Polish "Warszawa"/"Warszawie", German "Luthers"/"Luther", Russian "Москва"/"Москве").
_NAME_STEM = 4
_INFLECTION = 3


def _neighbour(
    sentence_ids: Sequence[int], place: int, similarity: np.ndarray, at: dict[int, int]
) -> float:
    """The closest of the sentences either side of ``place`` in its passage (0: none)."""
    either = [sentence_ids[p] for p in (place - 1, place + 1) if 0 <= p < len(sentence_ids)]
    return max((float(similarity[at[s]]) for s in either), default=0.0)


def _salient(found: list[str]) -> set[str]:
    # Words of a letter or two are mostly particles in any language; a number always counts,
    # and so does a pair of Chinese characters (a word, where single characters are cut).
    return {w for w in found if len(w) > 2 or w.isdigit() or (len(w) == 2 and _han(w))}


def _han(word: str) -> bool:
    return all("\u3400" <= ch <= "\u9fff" for ch in word)
