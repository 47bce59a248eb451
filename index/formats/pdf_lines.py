"""The lines of a PDF page as PDFium lays them out: text with its spaces, position and font.

PDFium (pypdfium2) is the text layer reader: on the 193-page Debian Policy Manual it gave words
with their spaces (pypdf glued 864 of them: "Inaddition,thepackages") in 0.25 s, where the
pdfminer-based readers took a minute (docs/quality.md has the comparison). Font facts are read
once per line (its first character) — not per character, which would cost ~10 s on that
manual — except for digits glued to a word, which are checked one by one: a smaller, raised
digit is a footnote mark ("as most do.5") and is taken out of the text.
"""

from __future__ import annotations

import ctypes
import itertools
import re
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

# PDFium's font flags (PDF 32000-1, table 123): fixed pitch means a code font.
_FIXED_PITCH = 1
# A gap wider than this many font sizes between two runs of one line parts two columns (a word
# space is ~0.25 of the size; LaTeX's widest justified spaces stay under 1).
COLUMN_GAP = 2.0
# A digit at most this share of its line's font size, glued to the word before it, is a
# footnote mark (LaTeX sets them at ~0.6-0.7 of the body size).
FOOTNOTE_MARK_SIZE = 0.8
# PDFium's font weight of a bold face (400 is regular; it reads 700-800 for bold fonts).
BOLD_WEIGHT = 600
_MARK = re.compile(r"(?<=[^\s\d])\d{1,3}(?=[\s.,;:)\]]|$)")


@dataclass
class PdfLine:
    """One line of a page (coordinates in points, ``top`` and ``bottom`` from the page's top).

    Attributes:
        text: the line's text, footnote marks taken out.
        x0, x1: left and right edges.
        top, bottom: upper and lower edges, measured down from the top of the page.
        size: font size of its first character.
        bold, mono: whether its first character's font is bold / fixed-pitch.
        marks: footnote marks taken out of the text.
    """

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    mono: bool
    marks: tuple[str, ...] = ()

    @property
    def height(self) -> float:
        """How tall the line is."""
        return max(self.bottom - self.top, 1.0)


def page_lines(page: pdfium.PdfPage) -> list[PdfLine]:
    """The text lines of ``page`` in PDFium's reading order (content order)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range()
        if len(text) != count:  # characters outside the BMP: offsets no longer line up
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) for i in range(count))
        height = page.get_size()[1]
        return _lines(textpage, text, height)
    finally:
        textpage.close()


def _lines(textpage: pdfium.PdfTextPage, text: str, page_height: float) -> list[PdfLine]:
    lines: list[PdfLine] = []
    position = 0
    for raw in re.split(r"\r\n|\n|\r", text):
        start = position
        position += len(raw) + _break_length(text, start + len(raw))
        stripped = raw.strip()
        if not stripped or all(c == SOFT_HYPHEN or not c.isprintable() for c in stripped):
            continue
        first = start + len(raw) - len(raw.lstrip())
        last = start + len(raw.rstrip()) - 1
        for a, b in _pieces(textpage, first, last):
            piece = text[a : b + 1]
            lines.append(_line(textpage, piece, a, a, b, page_height))
    return lines


def _pieces(textpage: pdfium.PdfTextPage, first: int, last: int) -> list[tuple[int, int]]:
    """The line's character ranges, split where a wide gap parts them: PDFium makes one line
    of text at the same height in two columns ("…story of The right column goes…")."""
    count = pdfium_c.FPDFText_CountRects(textpage, first, last - first + 1)
    if count < 2:
        return [(first, last)]
    boxes = sorted(textpage.get_rect(i) for i in range(count))  # (left, bottom, right, top)
    size = max(float(pdfium_c.FPDFText_GetFontSize(textpage, first)), 1.0)
    cuts = []
    for before, after in itertools.pairwise(boxes):
        if after[0] - before[2] > COLUMN_GAP * size:
            middle = (after[1] + after[3]) / 2
            index = pdfium_c.FPDFText_GetCharIndexAtPos(textpage, after[0] + 0.5, middle, 2, 2)
            if first < index <= last:
                cuts.append(index)
    ranges, start = [], first
    for cut in sorted(set(cuts)):
        ranges.append((start, cut - 1))
        start = cut
    ranges.append((start, last))
    return [(a, b) for a, b in ranges if a <= b]


def _break_length(text: str, at: int) -> int:
    if text.startswith("\r\n", at):
        return 2
    return 1 if at < len(text) else 0


def _line(
    textpage: pdfium.PdfTextPage, raw: str, start: int, first: int, last: int, page_height: float
) -> PdfLine:
    left, bottom, _, top = textpage.get_charbox(first)
    _, last_bottom, right, last_top = textpage.get_charbox(last)
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, first))
    weight, name, flags = _font(textpage, first)
    text, marks = _without_footnote_marks(textpage, raw, start, size)
    return PdfLine(
        text=_clean(text),
        x0=left,
        x1=max(right, left),
        top=page_height - max(top, last_top),
        bottom=page_height - min(bottom, last_bottom),
        size=size,
        bold=weight >= BOLD_WEIGHT or "bold" in name.lower(),
        mono=bool(flags & _FIXED_PITCH) or any(m in name.lower() for m in ("mono", "courier")),
        marks=marks,
    )


def _font(textpage: pdfium.PdfTextPage, index: int) -> tuple[int, str, int]:
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int(0)
    pdfium_c.FPDFText_GetFontInfo(textpage, index, name, 128, ctypes.byref(flags))
    weight = int(pdfium_c.FPDFText_GetFontWeight(textpage, index))
    return weight, name.value.decode("latin-1", "replace"), flags.value


def _without_footnote_marks(
    textpage: pdfium.PdfTextPage, raw: str, start: int, size: float
) -> tuple[str, tuple[str, ...]]:
    """``raw`` with each small digit glued to a word taken out."""
    cuts: list[tuple[int, int]] = []
    for match in _MARK.finditer(raw):
        digit_size = pdfium_c.FPDFText_GetFontSize(textpage, start + match.start())
        if 0 < digit_size <= size * FOOTNOTE_MARK_SIZE:
            cuts.append((match.start(), match.end()))
    if not cuts:
        return raw, ()
    kept, cursor = [], 0
    for a, b in cuts:
        kept.append(raw[cursor:a])
        cursor = b
    kept.append(raw[cursor:])
    return "".join(kept), tuple(raw[a:b] for a, b in cuts)


# PDFium joins a word hyphenated at a line's end into one line itself and marks the hyphen
# with U+FFFE ("distri\ufffebution", but also "US\ufffeASCII"): the mark is kept for the reader
# to decide, knowing the document's words, whether the hyphen was the line's or the word's.
SOFT_HYPHEN = "\ufffe"


def _clean(text: str) -> str:
    text = text.replace("\u00ad", SOFT_HYPHEN).replace("\x02", SOFT_HYPHEN)
    return re.sub(r"[ \t\u00a0]+", " ", text).strip()
