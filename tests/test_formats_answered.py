"""A Word file with headings, a list and a table, and a two-page scanned PDF (no text layer:
read by OCR), answered through the API and cited with their section and page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from index import Embedder
from service.state import AppState
from tests.corpus_client import answered, client_over

SCAN_PAGES = [
    (
        "Water quality",
        [
            "The inspectorate tested the water of every river in the region during the year.",
            "Pollution incidents fell for the third year in a row, mostly in the north.",
        ],
    ),
    (
        "Funding",
        [
            "In 2020 the river authority received 45 million euros from the national budget.",
            "Most of the money went to flood defences in the northern valleys.",
        ],
    ),
]


def _word_file(path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Port of Testhaven annual review"
    document.add_heading("Port of Testhaven annual review", level=0)
    document.add_heading("Cargo", level=1)
    document.add_paragraph("The port grew fast after the new eastern quay opened in March.")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(
        table.rows,
        [("Year", "Containers"), ("2019", "1.2 million"), ("2020", "1.5 million")],
        strict=True,
    ):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_heading("Safety", level=1)
    document.add_paragraph("The harbour master set out three new rules for pilots:")
    for rule in (
        "pilots board every tanker",
        "night arrivals need two tugs",
        "speed is capped at eight knots",
    ):
        document.add_paragraph(rule, style="List Bullet")
    document.save(str(path))


def _scanned_pdf(path: Path) -> None:
    """Draw the pages as text, render them to images at 200 dpi, write the images alone."""
    drawn = path.with_suffix(".drawn.pdf")
    pdf = canvas.Canvas(str(drawn), pagesize=A4)
    for heading, lines in SCAN_PAGES:
        y = A4[1] - 110
        pdf.setFont("Helvetica-Bold", 18)
        pdf.drawString(72, y, heading)
        pdf.setFont("Times-Roman", 12)
        for line in lines:
            y -= 26
            pdf.drawString(72, y, line)
        pdf.showPage()
    pdf.save()
    source = pdfium.PdfDocument(str(drawn))
    scan = canvas.Canvas(str(path), pagesize=A4)
    for index in range(len(source)):
        image = source[index].render(scale=200 / 72).to_pil().convert("L")
        scan.drawImage(ImageReader(image), 0, 0, width=A4[0], height=A4[1])
        scan.showPage()
    scan.save()
    source.close()
    drawn.unlink()


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, app_state: AppState
) -> Iterator[TestClient]:
    def write(folder: Path) -> None:
        _word_file(folder / "review.docx")
        _scanned_pdf(folder / "scan.pdf")

    yield from client_over(tmp_path_factory, embedder, app_state, write)


@pytest.mark.slow
def test_word_table_row_is_answered_and_cited_with_its_section(client: TestClient) -> None:
    body = answered(client, "How many containers did the port of Testhaven handle in 2019?")
    assert "1.2 million" in body["answer"]
    first = body["citations"][0]
    assert first["document_id"] == "review" and first["section"] == "Cargo"
    assert first["page"] is None  # a Word file has no fixed pages


@pytest.mark.slow
def test_word_list_item_is_answered_under_its_heading(client: TestClient) -> None:
    body = answered(client, "How many tugs do night arrivals need in the harbour?")
    assert "two tugs" in body["answer"]
    assert body["citations"][0]["section"] == "Safety"


@pytest.mark.slow
def test_scanned_pdf_is_read_by_ocr_and_cited_with_section_and_page(client: TestClient) -> None:
    body = answered(client, "How much money did the river authority receive in 2020?")
    assert "45 million euros" in body["answer"]
    first = body["citations"][0]
    assert first["document_id"] == "scan"
    assert first["page"] == 2 and first["section"] == "Funding"
    page = client.get(first["url"]).text
    assert 'id="page-2"' in page and 'id="cited"' in page


@pytest.mark.slow
def test_document_view_shows_the_table_and_the_list(client: TestClient) -> None:
    page = client.get("/documents/review").text
    assert '<table class="doc-table"' in page and "Containers: 1.2 million" in page
    assert '<ul class="doc-list"' in page and "night arrivals need two tugs" in page
    assert '<h2 class="doc-heading" dir="auto">Cargo</h2>' in page
