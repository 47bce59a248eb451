"""The cross-lingual candidates' features that place a sentence within its own passage (issue
#32): how far below the passage's closest sentence it is, and how close its neighbours are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index import load_index
from index.encoder.multilingual import MultilingualEncoder
from index.store.latent import question_terms
from index.store.multilingual import load_multilingual
from index.store.multilingual_search import search_multilingual
from service.answering.crosslingual_candidates import FEATURES, gather_cross_candidates
from service.answering.tunables import HITS_RETRIEVED

QUESTION = "Wie viele Stimmen erhielt Nasarbajew bei der Wahl?"


@pytest.fixture(scope="module")
def found(
    multilingual_world: Path, multilingual_encoder: MultilingualEncoder
) -> tuple[list[list[int]], dict[int, float], list[int], np.ndarray]:
    """Each read passage's sentences, every sentence's similarity, the candidates, features."""
    index = load_index(multilingual_world / "index")
    second = load_multilingual(index.path)
    assert second is not None
    vector = multilingual_encoder.encode_queries([QUESTION])[0]
    terms = question_terms(multilingual_encoder, QUESTION)
    hits = search_multilingual(index, second, QUESTION, "de", vector, terms, HITS_RETRIEVED)
    candidates = gather_cross_candidates(index, second, hits, vector, terms, QUESTION, "de")
    assert candidates is not None
    passages = [list(index.passages[h.passage_id].sentence_ids) for h in hits]
    ids = np.asarray(candidates.sentence_ids)
    similarity = dict(zip(ids.tolist(), second.sentences.scores(vector, ids).tolist(), strict=True))
    return passages, similarity, candidates.sentence_ids, candidates.features


def _column(features: np.ndarray, name: str) -> np.ndarray:
    return features[:, FEATURES.index(name)]


def test_passage_similarity_gap_is_below_the_passages_closest_sentence(
    found: tuple[list[list[int]], dict[int, float], list[int], np.ndarray],
) -> None:
    passages, similarity, ids, features = found
    gaps = _column(features, "passage_similarity_gap")
    for sid, rank, gap in zip(ids, _column(features, "passage_rank"), gaps, strict=True):
        best = max(similarity[s] for s in passages[int(rank)])
        assert gap == pytest.approx(best - similarity[sid], abs=1e-5)


def test_neighbour_similarity_is_the_closest_sentence_either_side(
    found: tuple[list[list[int]], dict[int, float], list[int], np.ndarray],
) -> None:
    passages, similarity, ids, features = found
    places = _column(features, "position").astype(int)
    ranks = _column(features, "passage_rank").astype(int)
    near = _column(features, "neighbour_similarity")
    for sid, rank, place, value in zip(ids, ranks, places, near, strict=True):
        own = passages[rank]
        assert own[place] == sid
        either = [own[p] for p in (place - 1, place + 1) if 0 <= p < len(own)]
        assert value == pytest.approx(max((similarity[s] for s in either), default=0.0), abs=1e-5)


def test_sentence_latent_terms_read_the_sentence_that_answers(
    found: tuple[list[list[int]], dict[int, float], list[int], np.ndarray],
    multilingual_world: Path,
) -> None:
    """The German question about the vote shares no word with the English sentence giving
    the result; their latent terms meet, closer than any other candidate's, and each
    candidate's gap is measured from that best one."""
    _, _, ids, features = found
    index = load_index(multilingual_world / "index")
    latent = _column(features, "sentence_latent")
    best = index.sentences[ids[int(np.argmax(latent))]].text
    assert "95.55%" in best, best
    gaps = _column(features, "sentence_latent_gap")
    assert np.allclose(gaps, latent.max() - latent) and (latent > 0).all()
