"""A PDF read into the document model: headings, paragraphs, list items, code and footnotes,
in reading order, without running headers, footers or the table of contents.

Headings come from the PDF's outline (bookmarks) when it has one — an outline entry's title
found on its page is a heading of the entry's depth — and otherwise from the font: lines set
larger than the body text, numbered ("5.6.12 Version") or not. Paragraphs are lines of one
font size with no wider gap than their line spacing; a line ending in a hyphen is joined to the
next without it unless the document writes the word with its hyphen elsewhere (or both halves
are words of their own, "architecture-independent"). Footnotes (smaller type at the foot of
the page, starting with their number) are blocks of their own, placed after the paragraph
they interrupt.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium

from ..model import ParsedDocument
from .pdf_blocks import assemble
from .pdf_headings import OutlineEntry
from .pdf_layout import PageLines, is_contents_page, running_lines
from .pdf_lines import PdfLine, page_lines

# What reads the pages that have no text layer (OCR): given the document and those pages'
# indexes, their lines by page index (a page it leaves out is missing) and notes on what it
# did. It may raise DocumentError to refuse the file ("3,000 image-only pages").
ScanReader = Callable[[pdfium.PdfDocument, list[int]], tuple[dict[int, list[PdfLine]], list[str]]]


def read_pdf(path: Path, read_scanned: ScanReader | None = None) -> ParsedDocument:
    """Read ``path`` into blocks.

    Args:
        path: the PDF file.
        read_scanned: reads the pages that have no text layer (OCR); None: such pages are left
            out (the notes say how many, and that OCR is off).
    """
    pdf = pdfium.PdfDocument(str(path))
    try:
        pages, scanned_notes = _pages(pdf, read_scanned)
        outline = _outline(pdf)
        title = _metadata_title(pdf)
    finally:
        pdf.close()
    removed, notes = running_lines(pages)
    kept = [
        [line for i, line in enumerate(page.lines) if (p, i) not in removed]
        for p, page in enumerate(pages)
    ]
    contents = [p for p, lines in enumerate(kept) if is_contents_page(lines)]
    if contents:
        notes.append(f"table of contents left out (pages {_page_ranges(contents)})")
    layouts = [
        PageLines(lines, page.width, page.height) if p not in contents else PageLines([], 0, 0)
        for p, (page, lines) in enumerate(zip(pages, kept, strict=True))
    ]
    return assemble(layouts, outline, title, [*scanned_notes, *notes])


def _pages(
    pdf: pdfium.PdfDocument, read_scanned: ScanReader | None
) -> tuple[list[PageLines], list[str]]:
    pages = []
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            pages.append(PageLines(page_lines(page), *page.get_size()))
        finally:
            page.close()
    without_text = [i for i, page in enumerate(pages) if not page.lines]
    if not without_text:
        return pages, []
    if read_scanned is None:
        note = (
            f"{len(without_text)} of {len(pages)} pages are images without a text layer, "
            "left out: OCR is off (BRIEFING_QA_OCR=true reads them)"
        )
        return pages, [note]
    scanned, notes = read_scanned(pdf, without_text)
    for index, lines in scanned.items():
        pages[index].lines = lines
    return pages, notes


def _outline(pdf: pdfium.PdfDocument) -> list[OutlineEntry]:
    entries = []
    for bookmark in pdf.get_toc(max_depth=8):
        destination = bookmark.get_dest()
        page = destination.get_index() if destination is not None else None
        title = (bookmark.get_title() or "").strip()
        if title and page is not None:
            entries.append(OutlineEntry(title, bookmark.level, page))
    return entries


def _metadata_title(pdf: pdfium.PdfDocument) -> str:
    try:
        return str(pdf.get_metadata_dict().get("Title", "")).strip()
    except Exception:  # a damaged Info dictionary is no reason not to read the text
        return ""


def _page_ranges(pages: list[int]) -> str:
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return ", ".join(f"{r[0] + 1}" if len(r) == 1 else f"{r[0] + 1}\u2013{r[-1] + 1}" for r in runs)
