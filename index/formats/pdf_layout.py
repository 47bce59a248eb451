"""What a PDF's pages have that is not the document's text: running headers and footers, page
numbers, tables of contents; and the order of two-column pages.

A running header or footer is a line in the top or bottom margin that repeats, word for word
and at the same place, on several pages, or the first or last line of a page that is, or
starts or ends with, the page's own printed number ("36 Chapter 5. Control files"). Numbers
are not blurred before lines are compared: section headings at the top of consecutive pages
("22.3 Version 4.6.1", "22.4 Version 4.6.0") look alike but are the text. Both kinds leave the
text; the page number a citation gives stays the page's place in the file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .pdf_lines import PdfLine

# The top and bottom share of a page where running headers, footers and page numbers live.
MARGIN_SHARE = 0.12
# A margin line repeating (numbers aside) on at least this many pages, and this share of the
# pages, is a running header or footer (a chapter's own footer repeats on its pages only).
REPEAT_MIN_PAGES = 3
REPEAT_MIN_SHARE = 0.02
# Where lines count as "at the same place": positions rounded to this many points.
POSITION_STEP = 6.0
# A page whose lines mostly end in a page number (and many with dot leaders) is a table of
# contents: its entries would be found instead of the sections they point to.
CONTENTS_SHARE = 0.5
_LEADERS = re.compile(r"(?:\.\s?){4,}\s*\S*$")
_ENDS_IN_NUMBER = re.compile(r"\s(\d{1,4}|[ivxlc]{1,6})$", re.IGNORECASE)
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(\d{1,4}|[ivxlc]{1,6})(?:\s*(?:/|of)\s*\d{1,4})?$", re.I)


@dataclass
class PageLines:
    """The lines of one page and its size (points)."""

    lines: list[PdfLine]
    width: float
    height: float


def running_lines(pages: list[PageLines]) -> tuple[set[tuple[int, int]], list[str]]:
    """(page index, line index) of every running header, footer and page number, and notes
    naming what was removed."""
    where: dict[tuple[str, int, str], list[tuple[int, int]]] = {}
    for p, page in enumerate(pages):
        for i, line in enumerate(page.lines):
            band = _margin_band(line, page)
            if band:
                key = (band, round(line.top / POSITION_STEP), line.text)
                where.setdefault(key, []).append((p, i))
    enough = max(REPEAT_MIN_PAGES, round(REPEAT_MIN_SHARE * len(pages)))
    removed: set[tuple[int, int]] = set()
    notes = []
    for (band, _, text), spots in sorted(where.items(), key=lambda kv: -len(kv[1])):
        if len({p for p, _ in spots}) >= enough:
            removed.update(spots)
            notes.append(f"running {band} {text!r} removed from {len(spots)} pages")
    numbers = _page_number_lines(pages) - removed
    if numbers:
        removed |= numbers
        notes.append(f"page numbers removed from {len(numbers)} pages")
    return removed, notes


def _margin_band(line: PdfLine, page: PageLines) -> str:
    if line.bottom <= page.height * MARGIN_SHARE:
        return "header"
    if line.top >= page.height * (1 - MARGIN_SHARE):
        return "footer"
    return ""


def _page_number_lines(pages: list[PageLines]) -> set[tuple[int, int]]:
    """Outermost margin lines that are, or start or end with, the page's printed number: one
    that several pages agree on with their place in the file (printed = index - offset; front
    matter numbered i, ii, … has an offset of its own)."""
    offsets: Counter[int] = Counter()
    candidates: list[tuple[int, int, set[int]]] = []
    for p, page in enumerate(pages):
        if not page.lines:
            continue
        by_height = range(len(page.lines))
        outermost = {
            min(by_height, key=lambda i: page.lines[i].top),
            max(by_height, key=lambda i: page.lines[i].bottom),
        }
        for i, line in enumerate(page.lines):
            if i not in outermost or not _margin_band(line, page):
                continue
            numbers = _edge_numbers(line.text)
            if numbers:
                candidates.append((p, i, numbers))
                offsets.update({p - n for n in numbers})
    agreed = {offset for offset, votes in offsets.items() if votes >= REPEAT_MIN_PAGES}
    return {(p, i) for p, i, numbers in candidates if any(p - o in numbers for o in agreed)}


def _edge_numbers(text: str) -> set[int]:
    words = text.split()
    if not words:
        return set()
    if _PAGE_NUMBER.match(text.strip()):
        return {_number(text.strip().split()[-1] if "page" in text.lower() else words[0])}
    return {_number(w) for w in (words[0], words[-1]) if w.isdigit()}


def _number(word: str) -> int:
    if word.isdigit():
        return int(word)
    return _roman(word.lower())


def _roman(word: str) -> int:
    values = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
    total = 0
    for a, b in zip(word, [*word[1:], ""], strict=True):
        value = values.get(a, 0)
        total += -value if b and values.get(b, 0) > value else value
    return total


def is_contents_page(lines: list[PdfLine]) -> bool:
    """Whether the page is a table of contents (entries ending in page numbers, dot leaders)."""
    body = [line.text for line in lines if len(line.text) > 3]
    if len(body) < 5:
        return False
    numbered = sum(bool(_ENDS_IN_NUMBER.search(t) or _LEADERS.search(t)) for t in body)
    leaders = sum(bool(_LEADERS.search(t)) for t in body)
    return numbered >= CONTENTS_SHARE * len(body) and leaders >= 0.2 * len(body)


def in_reading_order(page: PageLines) -> list[PdfLine]:
    """The page's lines, a two-column page read left column first.

    Lines are grouped into horizontal bands: a line spanning the middle of the page (a title,
    a full-width paragraph) is a band of its own; between two such lines, the lines left of
    the middle come before those right of it.
    """
    middle = page.width / 2
    narrow = [ln for ln in page.lines if ln.x1 < middle + 2 or ln.x0 > middle - 2]
    if len(narrow) < 0.6 * len(page.lines) or not any(ln.x0 > middle - 2 for ln in narrow):
        return page.lines
    ordered: list[PdfLine] = []
    band: list[PdfLine] = []
    for line in sorted(page.lines, key=lambda ln: (ln.top, ln.x0)):
        if line.x0 < middle - 2 < line.x1:  # spans the middle: closes the band above it
            ordered.extend(_columns(band, middle))
            ordered.append(line)
            band = []
        else:
            band.append(line)
    ordered.extend(_columns(band, middle))
    return ordered


def _columns(lines: list[PdfLine], middle: float) -> list[PdfLine]:
    left = [ln for ln in lines if ln.x0 < middle]
    right = [ln for ln in lines if ln.x0 >= middle]
    return sorted(left, key=lambda ln: ln.top) + sorted(right, key=lambda ln: ln.top)
