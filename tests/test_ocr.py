"""OCR of scanned PDF pages (index/ocr.py) with the real RapidOCR models, on real files.

A two-page policy text is drawn with reportlab, each page is rendered to an image with
pypdfium2 (page 1 at 150 dpi, page 2 at 200 dpi, the usual range of office scanners) and the
images are written into a new PDF with no text layer. Each page is OCR'd once per module
(about 1 s a page on 2 busy cores; the whole file takes ~5 s); the tests then check what came
back. Phrases are compared case-insensitively with whitespace collapsed, with no allowance for
OCR errors: at these resolutions the recogniser reads this text exactly.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

from index.formats.ocr import ocr_page, page_has_ink
from index.formats.ocr_lines import OcrLine, lines_to_paragraphs

PAGE_ONE = [
    "The council reviewed its housing allocation policy during the autumn session. Applicants "
    "must provide evidence of their income and of their current address before an offer of "
    "accommodation can be made.",
    "The committee approved the budget on 14 March 2019, after a long debate about the cost "
    "of maintaining roads in remote communities. Members asked officials for further "
    "information about the expected savings.",
    "Local authorities will publish their spending plans each year, together with an "
    "assessment of how those plans meet the targets of the national strategy.",
]
PAGE_TWO = [
    "Schools in rural areas face particular difficulties in recruiting qualified teachers, "
    "and the department has offered grants to help them train their own staff.",
    "The inspectorate published its annual report on water quality in June 2021, noting a "
    "steady fall in pollution incidents across the northern region.",
    "Community groups welcomed the proposals but called for longer-term funding, so that "
    "successful projects do not close when a grant comes to an end.",
]
PHRASE_ONE = "The committee approved the budget on 14 March 2019"
PHRASE_TWO = "published its annual report on water quality in June 2021"
SCAN_DPI = [150, 200]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _write_text_pdf(path: Path) -> None:
    style = getSampleStyleSheet()["BodyText"]
    style.fontName, style.fontSize, style.leading = "Times-Roman", 12, 15
    story: list = []
    for page in (PAGE_ONE, PAGE_TWO):
        for paragraph in page:
            story += [Paragraph(paragraph, style), Spacer(1, 12)]
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4).build(story[:-1])


def _write_image_pdf(path: Path, images: list[Image.Image]) -> None:
    """A PDF whose pages are only the given images, drawn over the whole A4 page."""
    width, height = A4
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for image in images:
        pdf.drawImage(ImageReader(image), 0, 0, width=width, height=height)
        pdf.showPage()
    pdf.save()


@pytest.fixture(scope="module")
def scanned_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ocr")
    text_pdf, scanned = folder / "text.pdf", folder / "scanned.pdf"
    _write_text_pdf(text_pdf)
    source = pdfium.PdfDocument(text_pdf)
    images = [
        source[i].render(scale=dpi / 72, grayscale=True).to_pil() for i, dpi in enumerate(SCAN_DPI)
    ]
    source.close()
    _write_image_pdf(scanned, images)
    return scanned


@pytest.fixture(scope="module")
def blank_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Page 1 empty; page 2 a scan of blank paper (grey, with +-4 levels of sensor noise)."""
    path = tmp_path_factory.mktemp("ocr-blank") / "blank.pdf"
    noise = np.random.default_rng(0).normal(235, 4, (1754, 1240))
    paper = Image.fromarray(np.clip(noise, 0, 255).astype(np.uint8))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.showPage()
    pdf.drawImage(ImageReader(paper), 0, 0, width=A4[0], height=A4[1])
    pdf.showPage()
    pdf.save()
    return path


@pytest.fixture(scope="module")
def row_lines(tmp_path_factory: pytest.TempPathFactory) -> list[OcrLine]:
    """The OCR lines of a scanned page with two rows of 12 pt text: a label and its value 20 pt
    apart (a tab, which the detector splits), and two words 200 pt apart (two columns)."""
    folder = tmp_path_factory.mktemp("ocr-rows")
    text_pdf, scanned = folder / "rows.pdf", folder / "rows-scanned.pdf"
    pdf = canvas.Canvas(str(text_pdf), pagesize=A4)
    pdf.setFont("Helvetica", 12)
    label_end = 72 + pdf.stringWidth("Reference number", "Helvetica", 12)
    for top, gap in ((760, 20), (700, 200)):
        pdf.drawString(72, top, "Reference number")
        pdf.drawString(label_end + gap, top, "Q-2041")
    pdf.showPage()
    pdf.save()
    source = pdfium.PdfDocument(text_pdf)
    _write_image_pdf(scanned, [source[0].render(scale=200 / 72, grayscale=True).to_pil()])
    source.close()
    pages = pdfium.PdfDocument(scanned)
    try:
        return ocr_page(pages[0])
    finally:
        pages.close()


@pytest.fixture(scope="module")
def ocr_lines(scanned_pdf: Path) -> list[list[OcrLine]]:
    """Each scanned page's OCR lines, read once for the module (the slow part)."""
    pdf = pdfium.PdfDocument(scanned_pdf)
    try:
        return [ocr_page(pdf[i]) for i in range(len(pdf))]
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def page_texts(ocr_lines: list[list[OcrLine]]) -> list[list[str]]:
    return [[_norm(p) for p in lines_to_paragraphs(lines)] for lines in ocr_lines]


def test_scanned_pdf_has_no_text_layer(scanned_pdf: Path) -> None:
    pdf = pdfium.PdfDocument(scanned_pdf)
    for page in pdf:
        assert page.get_textpage().get_text_range().strip() == ""
    assert len(pdf) == 2
    pdf.close()


def test_page_has_ink_empty_page(blank_pdf: Path) -> None:
    pdf = pdfium.PdfDocument(blank_pdf)
    assert page_has_ink(pdf[0]) is False
    pdf.close()


def test_page_has_ink_scanned_blank_paper(blank_pdf: Path) -> None:
    pdf = pdfium.PdfDocument(blank_pdf)
    assert page_has_ink(pdf[1]) is False
    pdf.close()


def test_page_has_ink_scanned_text_page(scanned_pdf: Path) -> None:
    pdf = pdfium.PdfDocument(scanned_pdf)
    assert all(page_has_ink(page) for page in pdf)
    pdf.close()


def test_ocr_page_blank_scan_has_no_lines(blank_pdf: Path) -> None:
    pdf = pdfium.PdfDocument(blank_pdf)
    assert ocr_page(pdf[1]) == []
    pdf.close()


def test_ocr_page_phrase_on_first_page(page_texts: list[list[str]]) -> None:
    first, second = (" ".join(texts) for texts in page_texts)
    assert _norm(PHRASE_ONE) in first
    assert _norm(PHRASE_ONE) not in second


def test_ocr_page_phrase_on_second_page(page_texts: list[list[str]]) -> None:
    first, second = (" ".join(texts) for texts in page_texts)
    assert _norm(PHRASE_TWO) in second
    assert _norm(PHRASE_TWO) not in first


def test_ocr_page_reading_order_first_paragraph_first(page_texts: list[list[str]]) -> None:
    text = " ".join(page_texts[0])
    first = text.index(_norm("housing allocation policy"))
    second = text.index(_norm(PHRASE_ONE))
    third = text.index(_norm("publish their spending plans"))
    assert first < second < third


def test_ocr_page_lines_top_to_bottom(ocr_lines: list[list[OcrLine]]) -> None:
    for lines in ocr_lines:
        tops = [line.y0 for line in lines]
        assert tops == sorted(tops)


def test_ocr_page_coordinates_are_page_fractions(ocr_lines: list[list[OcrLine]]) -> None:
    for line in (line for lines in ocr_lines for line in lines):
        assert 0.0 <= line.x0 < line.x1 <= 1.0
        assert 0.0 <= line.y0 < line.y1 <= 1.0
        # Body text starts at the template's 1 inch margin, about 12% of A4's width.
        assert 0.08 < line.x0 < 0.2


def test_ocr_page_scores_above_threshold(ocr_lines: list[list[OcrLine]]) -> None:
    scores = [line.score for lines in ocr_lines for line in lines]
    assert scores
    assert min(scores) >= 0.5


def test_lines_to_paragraphs_scanned_page_paragraphs(page_texts: list[list[str]]) -> None:
    for texts, source in zip(page_texts, (PAGE_ONE, PAGE_TWO), strict=True):
        assert texts == [_norm(paragraph) for paragraph in source]


def test_ocr_page_row_split_at_tab_is_one_line(row_lines: list[OcrLine]) -> None:
    assert row_lines[0].text == "Reference number Q-2041"


def test_ocr_page_row_far_apart_stays_two_lines_left_first(row_lines: list[OcrLine]) -> None:
    assert [line.text for line in row_lines[1:]] == ["Reference number", "Q-2041"]
    assert row_lines[1].x1 < row_lines[2].x0


def _line(text: str, top: float, height: float = 0.015) -> OcrLine:
    return OcrLine(text=text, x0=0.1, y0=top, x1=0.9, y1=top + height, score=0.99)


def test_lines_to_paragraphs_joins_hyphenated_word() -> None:
    lines = [_line("further infor-", 0.10), _line("mation is available", 0.12)]
    assert lines_to_paragraphs(lines) == ["further information is available"]


def test_lines_to_paragraphs_keeps_hyphen_before_capital() -> None:
    lines = [_line("the Anglo-", 0.10), _line("French treaty", 0.12)]
    assert lines_to_paragraphs(lines) == ["the Anglo-French treaty"]


def test_lines_to_paragraphs_splits_on_large_gap() -> None:
    tops = [0.10, 0.12, 0.14, 0.19, 0.21]
    lines = [_line(f"line {i}", top) for i, top in enumerate(tops)]
    assert lines_to_paragraphs(lines) == ["line 0 line 1 line 2", "line 3 line 4"]


def test_lines_to_paragraphs_no_lines() -> None:
    assert lines_to_paragraphs([]) == []
