"""Citations point where the answer is (issue #33): the page of the sentence quoted, every
page a passage spans, a title line never quoted, and the page break marked in the view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from index import Embedder
from service.settings import Settings
from service.state import AppState, IndexHolder
from service.web.app import create_app

TITLE = "Karasu lake notes, page one."
ANSWER = "The Karasu lake covers 912 square kilometres of steppe."


def _two_pages(path: Path) -> None:
    """Page 1: a title line set like the text (one font, one size, a full stop), a gap, and
    a paragraph that runs on to page 2, where the sentence that answers follows it."""
    drawn = canvas.Canvas(str(path), pagesize=A4)
    drawn.setFont("Helvetica", 11)
    drawn.drawString(72, 780, TITLE)
    lines = [
        "The survey team visited the northern shore in early spring and stayed",
        "for three weeks, walking the reed beds where the river enters from the",
    ]
    for i, line in enumerate(lines):
        drawn.drawString(72, 750 - 14 * i, line)
    drawn.showPage()
    drawn.setFont("Helvetica", 11)
    drawn.drawString(72, 780, f"hills. {ANSWER}")
    drawn.showPage()
    drawn.save()


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, app_state: AppState
) -> Any:
    root = tmp_path_factory.mktemp("pages")
    corpus = root / "corpus"
    corpus.mkdir()
    _two_pages(corpus / "karasu.pdf")
    settings = Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        model_cache_dir=app_state.settings.model_cache_dir,
        reload_check_seconds=0,
    )
    holder = IndexHolder(settings, embedder)
    holder.load()
    state = AppState(settings, embedder, holder)
    with TestClient(create_app(settings, state=state)) as test_client:
        yield test_client


def _ask(client: TestClient, question: str) -> dict[str, Any]:
    body: dict[str, Any] = client.post("/ask", json={"question": question}).json()
    assert body["answered"], body
    return body


def test_citation_page_is_the_quoted_sentences_and_the_title_is_not_quoted(
    client: TestClient,
) -> None:
    body = _ask(client, "How large is Karasu lake?")
    assert body["answer"] == f"{ANSWER} [1]"
    first = body["citations"][0]
    assert first["page"] == 2
    # The passage starts on page 1 (the paragraph it opens with runs on to page 2).
    assert first["pages"] == [1, 2]
    assert first["text"].startswith("The survey team")


def test_title_line_of_a_one_size_pdf_is_a_heading_not_text(client: TestClient) -> None:
    page = client.get("/documents/karasu").text
    assert f'<h2 class="doc-heading" dir="auto">{TITLE}</h2>' in page


def test_document_view_marks_the_page_break_inside_a_paragraph(client: TestClient) -> None:
    url = _ask(client, "How large is Karasu lake?")["citations"][0]["url"]
    page = client.get(url).text
    paragraph = next(p for p in page.split("<p ") if "The survey team" in p)
    assert 'class="page-marker page-break" id="page-2"' in paragraph
    assert paragraph.index("where the river enters") < paragraph.index('id="page-2"')
    assert paragraph.index('id="page-2"') < paragraph.index("hills.")
    assert page.count('id="page-2"') == 1
