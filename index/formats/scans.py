"""Pages without a text layer (scans) read by offline OCR, as lines the PDF reader lays out
like any other page, so a scanned document gets the same paragraphs, headings and pages.

Blank pages are told apart cheaply first (a 3,000-page empty file must not take an hour);
at most ``ReadOptions.max_ocr_pages`` pages of one document are read, and a document made only
of more image pages than that is refused with that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pypdfium2 as pdfium

from ..problems import DocumentError
from .ocr_lines import OcrLine
from .options import ReadOptions
from .pdf import ScanReader
from .pdf_lines import PdfLine

T = TypeVar("T")


def scanned_page_reader(path: Path, options: ReadOptions) -> ScanReader | None:
    """The reader of ``path``'s image pages under ``options`` (None when OCR is off)."""
    if not options.ocr:
        return None

    def read(
        pdf: pdfium.PdfDocument, indexes: list[int]
    ) -> tuple[dict[int, list[PdfLine]], list[str]]:
        return _read_scans(pdf, indexes, options.max_ocr_pages)

    return read


def _read_scans(
    pdf: pdfium.PdfDocument, indexes: list[int], cap: int
) -> tuple[dict[int, list[PdfLine]], list[str]]:
    from .ocr import page_has_ink  # onnxruntime and the OCR models load only here

    inked = [i for i in indexes if _with_page(pdf, i, page_has_ink)]
    notes = []
    blank = len(indexes) - len(inked)
    if blank:
        notes.append(f"{blank} blank pages")
    if len(inked) > cap:
        if len(indexes) == len(pdf):
            raise DocumentError(
                f"an image-only PDF of {len(inked):,} pages; OCR reads at most {cap:,} pages "
                "of a document (BRIEFING_QA_MAX_OCR_PAGES)"
            )
        notes.append(f"{len(inked) - cap} image pages past the first {cap} left out (OCR cap)")
        inked = inked[:cap]
    lines = {i: _with_page(pdf, i, _ocr_lines) for i in inked}
    if inked:
        notes.append(f"{len(inked)} pages read by OCR")
    return lines, notes


def _with_page(pdf: pdfium.PdfDocument, index: int, use: Callable[[pdfium.PdfPage], T]) -> T:
    page = pdf[index]
    try:
        return use(page)
    finally:
        page.close()


def _ocr_lines(page: pdfium.PdfPage) -> list[PdfLine]:
    from .ocr import ocr_page

    width, height = page.get_size()
    return [_as_pdf_line(line, width, height) for line in ocr_page(page)]


def _as_pdf_line(line: OcrLine, width: float, height: float) -> PdfLine:
    """An OCR line (fractions of the page) in the page's points; its height stands for the
    font size, which is all the layout needs to tell body text from headings."""
    top, bottom = line.y0 * height, line.y1 * height
    return PdfLine(
        text=line.text,
        x0=line.x0 * width,
        x1=line.x1 * width,
        top=top,
        bottom=bottom,
        size=round((bottom - top) * OCR_HEIGHT_TO_SIZE, 1),
        bold=False,
        mono=False,
    )


# A text line's box is about 1.2 times its font size tall (ascenders to descenders).
OCR_HEIGHT_TO_SIZE = 1 / 1.2
