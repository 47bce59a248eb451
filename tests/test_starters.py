"""The chat names what was indexed — one document or several — and offers questions that fit it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index import Embedder, LoadedIndex, build_index
from service.answering import Answerer
from service.answering.decision import DecisionModel
from service.settings import Settings
from service.state import AppState, IndexHolder
from service.web.app import create_app
from service.web.starters import corpus_naming, starter_questions

ARTICLES = {
    "tides.md": "# Tides\n\nTides are the rise and fall of sea levels caused by the Moon and the "
    "Sun.\n\nSpring tides happen when the Sun and the Moon are aligned, twice a month.\n",
    "glaciers.md": "# Glaciers\n\nA glacier is a persistent body of dense ice that moves under "
    "its own weight.\n\nGlaciers cover about ten percent of the land surface of the Earth.\n",
}


@pytest.fixture(scope="module")
def articles_state(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, model_cache: Path
) -> AppState:
    """Two short articles without sections, as a user's own documents may be."""
    root = tmp_path_factory.mktemp("articles")
    (root / "corpus").mkdir()
    for name, text in ARTICLES.items():
        (root / "corpus" / name).write_text(text, encoding="utf-8")
    settings = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        model_cache_dir=model_cache,
        reload_check_seconds=0,
        rate_limit_per_minute=0,
    )
    build_index(settings.corpus_dir, settings.index_dir, embedder)
    holder = IndexHolder(settings, embedder)
    holder.load(build_if_missing=False)
    return AppState(settings, embedder, holder)


@pytest.fixture(scope="module")
def articles(articles_state: AppState) -> LoadedIndex:
    return articles_state.holder.current()


def test_corpus_naming_of_one_document_uses_its_title(app_state: AppState) -> None:
    naming = corpus_naming(app_state.holder.current())
    assert naming.heading == "Ask the document"
    assert naming.sources == "\u201cKazakhstan: human rights situation\u201d"


def test_corpus_naming_of_several_documents_counts_them(articles: LoadedIndex) -> None:
    naming = corpus_naming(articles)
    assert naming.heading == "Ask the documents"
    # The titles listed as the reader's language lists things (Babel's CLDR list patterns).
    assert naming.sources == "2 documents: \u201cGlaciers\u201d and \u201cTides\u201d"


def test_starters_of_one_document_name_its_sections(app_state: AppState) -> None:
    starters = starter_questions(app_state.holder.current())
    assert "What does the document say about freedom of religion?" in starters
    assert not any("briefing" in s for s in starters)


def test_starters_without_sections_ask_for_the_gist_of_each_document(
    articles: LoadedIndex,
) -> None:
    # Largest document first: the tides article is the longer one.
    assert starter_questions(articles) == [
        "Summarise \u201cTides\u201d",
        "Summarise \u201cGlaciers\u201d",
    ]


def test_a_gist_starter_is_answered_from_that_document(
    articles: LoadedIndex, embedder: Embedder
) -> None:
    answerer = Answerer(embedder, lambda: articles, DecisionModel())
    answer = answerer.ask("Summarise \u201cTides\u201d")
    assert answer.answered
    assert answer.citations[0].document_title == "Tides"
    assert "rise and fall of sea levels" in answer.answer


def test_chat_page_over_several_documents_says_documents(articles_state: AppState) -> None:
    with TestClient(create_app(articles_state.settings, state=articles_state)) as client:
        page = client.get("/").text
    assert "<h1>Ask the documents</h1>" in page
    assert "If they do not say, you will be told." in page
    assert "briefing" not in page.split("<main", 1)[-1].lower()
