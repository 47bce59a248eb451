"""Reading PDFs into the document model: real files drawn with reportlab — running headers and
footers, page numbers, headings by size and by outline, hyphenation, footnotes, lists, code,
two columns."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from index.formats.pdf import read_pdf
from index.model import CODE, FOOTNOTE, HEADING, LIST_ITEM, PARAGRAPH, ParsedDocument

WIDTH, HEIGHT = A4
LEFT = 72
BODY = 10


class Page:
    """Draws one page line by line from the top, like a typesetter."""

    def __init__(
        self, pdf: canvas.Canvas, number: int, header: str = "Harbour Authority Report"
    ) -> None:
        self.pdf = pdf
        self.y = HEIGHT - 100
        pdf.setFont("Helvetica", 9)
        pdf.drawString(LEFT, HEIGHT - 50, header)
        pdf.drawRightString(WIDTH - LEFT, 40, str(number))

    def line(
        self, text: str, size: float = BODY, font: str = "Times-Roman", x: float = LEFT
    ) -> None:
        self.pdf.setFont(font, size)
        self.pdf.drawString(x, self.y, text)
        self.y -= size * 1.25

    def gap(self, points: float = 8) -> None:
        self.y -= points

    def mark(self, text: str, digit: str) -> None:
        """A body line ending in a raised footnote mark."""
        self.pdf.setFont("Times-Roman", BODY)
        self.pdf.drawString(LEFT, self.y, text)
        self.pdf.setFont("Times-Roman", 6)
        self.pdf.drawString(
            LEFT + self.pdf.stringWidth(text, "Times-Roman", BODY), self.y + 4, digit
        )
        self.y -= BODY * 1.25


def _text(parsed: ParsedDocument, kind: str) -> list[str]:
    return [parsed.text[b.start : b.end] for b in parsed.blocks if b.kind == kind]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> ParsedDocument:
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle("Harbour Authority Annual Report")
    for number in range(1, 4):
        page = Page(pdf, number)
        page.line(f"{number}. Operations in year {number}", size=16, font="Helvetica-Bold")
        page.gap()
        page.line(f"{number}.1 Cargo", size=13, font="Helvetica-Bold")
        page.line("The harbour handled more containers than ever before, and the new")
        page.line("eastern quay opened in March after two years of construc-")
        page.line("tion work by the regional authority.")
        page.gap()
        page.mark("Tariffs were frozen for small fishing boats.", str(number))
        page.gap()
        page.line("The board decided the following measures:")
        page.line("\u2022 dredging of the northern channel", x=LEFT + 10)
        page.line("\u2022 a second pilot boat for night arrivals", x=LEFT + 10)
        page.gap()
        page.line("berth --assign vessel=ANNA quay=7", font="Courier")
        page.line("berth --release quay=7", font="Courier")
        page.y = 90
        page.line(f"{number} The freeze costs the authority 40,000 euros a year.", size=7)
        pdf.bookmarkPage(f"p{number}")
        pdf.addOutlineEntry(f"Operations in year {number}", f"p{number}", level=0)
        pdf.showPage()
    pdf.save()
    return read_pdf(path)


def test_pdf_running_header_and_page_numbers_leave_the_text(report: ParsedDocument) -> None:
    assert "Harbour Authority Report" not in report.text
    assert not any(t.strip() in {"1", "2", "3"} for t in _text(report, PARAGRAPH))
    assert any("running header" in note for note in report.notes)


def test_pdf_pages_are_kept_for_citations(report: ParsedDocument) -> None:
    assert len(report.page_starts) == 3
    pages = {report.text[b.start : b.end]: b.page for b in report.blocks if b.kind == HEADING}
    assert pages["2. Operations in year 2"] == 2


def test_pdf_headings_come_from_the_outline_and_the_font(report: ParsedDocument) -> None:
    headings = {report.text[b.start : b.end]: b for b in report.blocks if b.kind == HEADING}
    chapter, section = headings["1. Operations in year 1"], headings["1.1 Cargo"]
    assert chapter.level == 2 and chapter.number == "1"
    assert section.level > chapter.level and section.number == "1.1"


def test_pdf_hyphenated_line_end_is_one_word_again(report: ParsedDocument) -> None:
    assert "construction work" in report.text
    assert "construc-" not in report.text


def test_pdf_footnote_mark_leaves_the_sentence_and_the_note_is_a_block(
    report: ParsedDocument,
) -> None:
    assert "Tariffs were frozen for small fishing boats." in _text(report, PARAGRAPH)
    notes = _text(report, FOOTNOTE)
    assert any("40,000 euros" in n for n in notes)
    assert [b.number for b in report.blocks if b.kind == FOOTNOTE][:3] == ["1", "2", "3"]


def test_pdf_list_items_and_code_are_their_own_blocks(report: ParsedDocument) -> None:
    assert "dredging of the northern channel" in _text(report, LIST_ITEM)
    code = _text(report, CODE)
    assert any("berth --assign vessel=ANNA quay=7\nberth --release quay=7" in c for c in code)


def test_pdf_two_columns_are_read_column_by_column(tmp_path: Path) -> None:
    path = tmp_path / "columns.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    left = ["The left column starts the story of", "the lighthouse, built in 1887 on", "the rocks."]
    right = [
        "The right column goes on with its",
        "keepers, who left in 1969 when",
        "it was automated.",
    ]
    y = HEIGHT - 100
    pdf.setFont("Times-Roman", BODY)
    for a, b in zip(left, right, strict=True):
        pdf.drawString(LEFT, y, a)
        pdf.drawString(WIDTH / 2 + 20, y, b)
        y -= 13
    pdf.save()
    text = read_pdf(path).text
    assert "the lighthouse, built in 1887 on the rocks." in text
    assert text.index("the rocks.") < text.index("The right column")


def test_pdf_in_one_size_gets_headings_from_their_shape(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    page = Page(pdf, 1, header="")
    for text in [
        "Funding",
        "In 2020 the river authority received 45 million euros.",
        "It spent most on dams.",
    ]:
        page.line(text)
    pdf.save()
    parsed = read_pdf(path)
    assert _text(parsed, HEADING) == ["Funding"]
    assert _text(parsed, PARAGRAPH)[0].startswith("In 2020")
