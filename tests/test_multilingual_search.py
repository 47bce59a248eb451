# ruff: noqa: RUF001 (Chinese is written with full-width punctuation)
"""The second build phase and multilingual search (issue #32): documents' languages, 8-bit
multilingual vectors cached by text, BM25 in each document's language, a German question
finding the English briefing's passage, documents in German and Chinese."""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import Embedder, LoadedIndex, build_index, load_index
from index.encoder.multilingual import MultilingualEncoder
from index.store.latent import question_terms
from index.store.multilingual import (
    MultilingualIndex,
    MultilingualReport,
    QuantisedVectors,
    build_multilingual,
    load_multilingual,
)
from index.store.multilingual_search import search_multilingual
from service.cli.build import multilingual_with_progress
from service.settings import Settings
from service.state import PHASE_NICENESS, SecondPhase
from tests.multilingual_world import GERMAN


@pytest.fixture(scope="module")
def built(
    multilingual_world: Path, multilingual_encoder: MultilingualEncoder
) -> tuple[Path, LoadedIndex, MultilingualIndex]:
    index = load_index(multilingual_world / "index")
    second = load_multilingual(index.path)
    assert second is not None
    return multilingual_world, index, second


@pytest.fixture(scope="module")
def encoder(multilingual_encoder: MultilingualEncoder) -> MultilingualEncoder:
    return multilingual_encoder


def _document(index: LoadedIndex, stem: str) -> str:
    return next(k for k, d in index.documents.items() if Path(d.path).stem == stem)


def _top_texts(
    built: tuple[Path, LoadedIndex, MultilingualIndex],
    encoder: MultilingualEncoder,
    question: str,
    language: str,
    k: int = 3,
) -> list[str]:
    _, index, second = built
    vector = encoder.encode_queries([question])[0]
    terms = question_terms(encoder, question)
    hits = search_multilingual(index, second, question, language, vector, terms, k)
    return [index.passages[h.passage_id].text for h in hits]


def test_second_phase_records_each_documents_language(
    built: tuple[Path, LoadedIndex, MultilingualIndex],
) -> None:
    _, index, second = built
    found = {Path(index.documents[k].path).stem: code for k, code in second.languages.items()}
    assert found == {"kazakhstan-human-rights-situation": "en", "wasser": "de", "verkehr": "zh"}


def test_german_question_finds_the_english_briefings_passage(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    texts = _top_texts(built, encoder, "Wie viele Stimmen erhielt Nasarbajew bei der Wahl?", "de")
    assert any("95.55%" in t for t in texts)


def test_chinese_question_finds_the_chinese_documents_passage(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    texts = _top_texts(built, encoder, "地铁什么时候开通的？", "zh", k=1)
    assert "2008" in texts[0]


def test_english_question_finds_the_german_documents_passage(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    texts = _top_texts(built, encoder, "How much did the renewal of the pipes cost?", "en", k=1)
    assert "1,8 Millionen" in texts[0]


def test_latent_terms_meet_across_languages(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    """The sparse channel alone: questions share no word with the passage that answers them
    (the German document's price rise asked in English and Russian, the Chinese document's
    fare in English), yet their latent terms are closer to it than to any other passage's."""
    _, index, second = built
    every = np.arange(len(index.passages))
    for question, holds in (
        ("By how much did the water prices rise?", "zwölf Prozent"),
        ("На сколько выросли цены на воду?", "zwölf Prozent"),
        ("How much does a metro ticket cost?", "两元"),
    ):
        scores = second.latent.scores(question_terms(encoder, question), every)
        best = index.passages[int(np.argmax(scores))].text
        assert holds in best, (question, best[:80])
        assert 0.0 < scores.max() <= 1.0 + 1e-3


def test_latent_scores_of_some_passages_are_those_of_all(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    """A view's passages (any subset, any order) score as they do among all of them."""
    _, index, second = built
    terms = question_terms(encoder, "Wie viele Stimmen erhielt Nasarbajew bei der Wahl?")
    every = np.arange(len(index.passages))
    whole = second.latent.scores(terms, every)
    some = np.random.default_rng(3).permutation(every)[: len(every) // 3]
    assert np.allclose(second.latent.scores(terms, some), whole[some], atol=1e-6)
    assert second.latent.ids.dtype == np.uint16 and second.latent.codes.dtype == np.uint8


def test_german_document_is_stemmed_in_german(
    built: tuple[Path, LoadedIndex, MultilingualIndex],
) -> None:
    _, _, second = built
    # "Leitungen" is indexed with its German stem, which English stemming would not give.
    assert "leitung" in second.terms.vocabulary


def test_quantised_vectors_keep_the_scores(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    _, index, _ = built
    vectors = encoder.encode([p.search_text for p in index.passages[:20]])
    query = encoder.encode_queries(["Wer regiert Kasachstan?"])[0]
    eight_bit = QuantisedVectors.of(vectors).scores(query)
    assert np.abs(eight_bit - vectors @ query).max() < 0.01
    assert QuantisedVectors.of(vectors).codes.dtype == np.int8


def test_changed_passage_reembeds_only_itself(
    built: tuple[Path, LoadedIndex, MultilingualIndex],
    embedder: Embedder,
    encoder: MultilingualEncoder,
) -> None:
    root, _, _ = built
    copy = root / "changed"
    shutil.copytree(root / "corpus", copy / "corpus")
    shutil.copytree(root / "index", copy / "index")
    wasser = copy / "corpus" / "wasser.md"
    wasser.write_text(GERMAN.replace("zwölf Prozent", "fünfzehn Prozent"), encoding="utf-8")
    build_index(copy / "corpus", copy / "index", embedder)
    report = build_multilingual(load_index(copy / "index"), copy / "index", encoder)
    # The changed sentence and the passage holding it; nothing else.
    assert 1 <= report.embedded <= 3
    assert report.reused > 50
    assert report.latent_encoded == report.embedded  # latent terms of the same texts


def test_second_phase_is_made_once(
    built: tuple[Path, LoadedIndex, MultilingualIndex], encoder: MultilingualEncoder
) -> None:
    root, index, _ = built
    report = build_multilingual(index, root / "index", encoder)
    assert report.embedded == 0 and report.languages is None


def test_second_phase_reports_documents_by_language(
    tmp_path: Path, multilingual_world: Path, encoder: MultilingualEncoder
) -> None:
    shutil.copytree(multilingual_world / "index", tmp_path / "index")
    index = load_index(tmp_path / "index")
    shutil.rmtree(index.path / "multilingual")
    report = build_multilingual(index, tmp_path / "index", encoder)
    assert report.languages == {"en": 1, "de": 1, "zh": 1}
    assert report.embedded == 0  # every vector came from the cache
    assert report.latent_encoded == 0


def test_servers_sharing_an_index_folder_make_the_second_phase_once(
    tmp_path: Path, embedder: Embedder, encoder: MultilingualEncoder
) -> None:
    """Two servers (here two threads) start the phase of the same version at once: one makes
    it, the other waits for it and embeds nothing (not every worker paying the e5 cost)."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "wasser.md").write_text(GERMAN, encoding="utf-8")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    reports: list[MultilingualReport] = []
    start = threading.Barrier(2)

    def serve() -> None:
        start.wait()
        reports.append(build_multilingual(index, tmp_path / "index", encoder))

    threads = [threading.Thread(target=serve) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    texts = {p.search_text for p in index.passages} | {s.text for s in index.sentences}
    assert sorted(r.embedded for r in reports) == [0, len(texts)]
    assert load_multilingual(index.path) is not None


def test_second_phase_progress_counts_the_latent_terms_too(
    tmp_path: Path, multilingual_world: Path, encoder: MultilingualEncoder
) -> None:
    """One count for the whole phase: the vectors, then the latent terms of the same texts,
    reported as they are made (a long phase's bar keeps moving), never going back."""
    shutil.copytree(multilingual_world / "index", tmp_path / "index")
    index = load_index(tmp_path / "index")
    shutil.rmtree(index.path / "multilingual")
    for suffix in ("", "-wal", "-shm"):  # nothing cached: everything is made
        (tmp_path / "index" / f"embeddings.sqlite{suffix}").unlink(missing_ok=True)
    seen: list[tuple[int, int]] = []
    build_multilingual(index, tmp_path / "index", encoder, lambda _s, d, t: seen.append((d, t)))
    texts = {p.search_text for p in index.passages} | {s.text for s in index.sentences}
    done = [d for d, _ in seen]
    assert done == sorted(done) and seen[-1] == (2 * len(texts), 2 * len(texts))
    assert sum(len(texts) < d < 2 * len(texts) for d in done) >= 3


def test_build_index_bar_ends_full(
    tmp_path: Path, multilingual_world: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`build-index`'s bar for the second phase counts the vectors and the latent terms and
    ends at its total, not past it (the count grows once the cache has been looked up)."""
    shutil.copytree(multilingual_world / "index", tmp_path / "index")
    shutil.rmtree(load_index(tmp_path / "index").path / "multilingual")
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / "index" / f"embeddings.sqlite{suffix}").unlink(missing_ok=True)
    settings = Settings(corpus_dir=multilingual_world / "corpus", index_dir=tmp_path / "index")
    multilingual_with_progress(settings)
    captured = capsys.readouterr()
    last = captured.err.strip().split("\r")[-1]
    counts = re.search(r"(\d+)/(\d+)", last)
    assert counts is not None and counts.group(1) == counts.group(2), last
    assert "100%" in last and "Multilingual phase:" in captured.out


class _PriorityWitness(MultilingualEncoder):
    """The real encoder, noting the CPU priority of the thread that embeds."""

    def __init__(self, real: MultilingualEncoder) -> None:
        super().__init__()
        self._engine = real._loaded()
        self.niceness: list[int] = []

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: Any = None
    ) -> np.ndarray:
        self.niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return super().encode(texts, batch_size, progress)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
def test_a_servers_second_phase_embeds_at_the_lowest_priority(
    tmp_path: Path, embedder: Embedder, encoder: MultilingualEncoder
) -> None:
    """The phase takes only what questions leave of the CPU (a large corpus embeds for
    hours), while the thread that answers keeps its priority."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "wasser.md").write_text(GERMAN, encoding="utf-8")
    build_index(tmp_path / "corpus", tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    witness = _PriorityWitness(encoder)
    phase = SecondPhase(
        Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index"), witness
    )
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    phase.start(index)
    phase.wait(timeout=300)
    assert phase.progress["ready"]
    assert witness.niceness and set(witness.niceness) == {PHASE_NICENESS}
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_a_date_asked_in_another_language_finds_its_month(
    tmp_path: Path, embedder: Embedder, multilingual_encoder: MultilingualEncoder
) -> None:
    # Two reports alike but for the month: the German question's "März" meets the English
    # "March" as a date (index/stemming.py); the months are of one length, so without it BM25
    # scores the two alike.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, month in (("spring", "March"), ("april", "April")):
        (corpus / f"{name}.md").write_text(
            f"# Museum report\n\nThe museum opened its new wing on 12 {month} 1921.\n",
            encoding="utf-8",
        )
    build_index(corpus, tmp_path / "index", embedder)
    index = load_index(tmp_path / "index")
    build_multilingual(index, tmp_path / "index", multilingual_encoder)
    second = load_multilingual(index.path)
    assert second is not None
    question = "Was eröffnete das Museum am 12. März 1921?"
    vector = multilingual_encoder.encode_queries([question])[0]
    terms = question_terms(multilingual_encoder, question)
    hits = search_multilingual(index, second, question, "de", vector, terms, 2)
    assert "March" in index.passages[hits[0].passage_id].text
    assert hits[0].bm25 > hits[1].bm25
