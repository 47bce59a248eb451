"""Citations point where the answer is (issue #33): the page of the sentence quoted, every
page a passage spans, a title line never quoted, and the page break marked in the view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from index import Embedder
from service.state import AppState
from tests.corpus_client import answered, client_over

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
) -> Iterator[TestClient]:
    def write(folder: Path) -> None:
        _two_pages(folder / "karasu.pdf")

    yield from client_over(tmp_path_factory, embedder, app_state, write)


def test_citation_page_is_the_quoted_sentences_and_the_title_is_not_quoted(
    client: TestClient,
) -> None:
    body = answered(client, "How large is Karasu lake?")
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
    url = answered(client, "How large is Karasu lake?")["citations"][0]["url"]
    page = client.get(url).text
    paragraph = next(p for p in page.split("<p ") if "The survey team" in p)
    assert 'class="page-marker page-break" id="page-2"' in paragraph
    assert paragraph.index("where the river enters") < paragraph.index('id="page-2"')
    assert paragraph.index('id="page-2"') < paragraph.index("hills.")
    assert page.count('id="page-2"') == 1
