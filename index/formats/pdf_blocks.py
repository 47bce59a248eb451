"""A PDF's lines assembled into blocks: paragraphs (lines of one size, no wider gap than
their spacing, running on across a page break while the sentence does), list items (a bullet
or a number, then lines set further in), code (a fixed-pitch font), definition terms (a short
bold line above its indented description: "required: Packages which …"), and footnotes
(smaller type at the foot of a page, starting with their number) placed after the paragraph
they interrupt."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..model import CODE, FOOTNOTE, HEADING, LIST_ITEM, PARAGRAPH, ParsedDocument, TextBuilder
from .pdf_headings import PARAGRAPH_GAP, HeadingFinder, OutlineEntry, Style
from .pdf_layout import PageLines, in_reading_order
from .pdf_lines import PdfLine
from .pdf_words import code_text, joined, joined_with_pages, whole_words

# Smaller than the body text by this factor, at the foot of a page, a line is a footnote.
FOOTNOTE_SIZE = 0.9
# A bold or code-font line shorter than this share of the text width, with the next line set
# further in, is a term of a definition list ("required" then its description).
TERM_WIDTH = 0.45
_BULLET = re.compile(r"^([\u2022\u25e6\u25aa\u2023\u2219\u25cf\u25cb\u25a0\u2013*-])\s+(?=\S)")
_ENUMERATED = re.compile(r"^(\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)])\s+(?=\S)")
_FOOTNOTE_START = re.compile(r"^(\d{1,3})(?:\s+|$)")
_SENTENCE_END = (".", "!", "?", ":", ";")


@dataclass
class _Open:
    """The block being assembled, and the page each of its lines is on."""

    kind: str
    lines: list[PdfLine]
    page: int
    level: int = 0
    number: str = ""
    prefix: str = ""
    pages: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pages = self.pages or [self.page] * len(self.lines)

    def append(self, line: PdfLine, page: int) -> None:
        """One more line of the block."""
        self.lines.append(line)
        self.pages.append(page)


@dataclass
class _Assembly:
    """What reading the pages accumulates."""

    builder: TextBuilder = field(default_factory=TextBuilder)
    vocabulary: Counter[str] = field(default_factory=Counter)
    open: _Open | None = None
    footnotes: list[_Open] = field(default_factory=list)
    term: PdfLine | None = None
    term_page: int = 0
    decorations: int = 0


# --- assembling blocks -----------------------------------------------------------------------


def assemble(
    pages: list[PageLines], outline: list[OutlineEntry], title: str, notes: list[str]
) -> ParsedDocument:
    everything = [line for page in pages for line in page.lines]
    if not everything:
        return ParsedDocument("", title, [], [], notes)
    style = Style.of(everything)
    state = _Assembly()
    state.vocabulary.update(whole_words(everything))
    headings = HeadingFinder(outline, style, everything)
    for p, page in enumerate(pages):
        state.builder.start_page()
        for line, kind, level, number in headings.classify(p, in_reading_order(page), page):
            _take(state, style, line, kind, level, number, p + 1, page)
    _close(state)
    _settle_term(state, None)
    _flush_footnotes(state)
    parsed = state.builder.build(title or headings.first_title, notes)
    decorations = headings.decorations + state.decorations
    if decorations:
        parsed.notes.append(f'{decorations} heading decorations left out ("CHAPTER", "ONE")')
    return parsed


def _take(
    state: _Assembly,
    style: Style,
    line: PdfLine,
    kind: str,
    level: int,
    number: str,
    page: int,
    layout: PageLines,
) -> None:
    if kind == HEADING:
        _close(state)
        _flush_footnotes(state)
        if state.term is not None:  # a short bold line just above a heading: "CHAPTER"
            state.term = None
            state.decorations += 1
        state.builder.add(HEADING, line.text, level, number, page)
        return
    if _is_footnote(line, style, layout, state):
        _close_footnote_or_continue(state, line, page)
        return
    current = state.open
    if current is not None and _continues(current, line, style):
        current.append(line, page)
        return
    _close(state)
    if current is None or current.page != page:
        _flush_footnotes(state)
    prefix = _settle_term(state, line)
    if _is_term(line, style):
        state.term = line
        state.term_page = page
        return
    state.open = _open_block(line, page, prefix)


def _settle_term(state: _Assembly, following: PdfLine | None) -> str:
    """A pending definition term: the prefix of ``following`` when that line is set further
    in (its description), else a paragraph of its own."""
    term, state.term = state.term, None
    if term is None:
        return ""
    if following is not None and following.x0 > term.x0 + 8:
        return term.text
    state.builder.add(PARAGRAPH, term.text, page=state.term_page)
    return ""


def _is_footnote(line: PdfLine, style: Style, page: PageLines, state: _Assembly) -> bool:
    small = line.size <= style.body_size * FOOTNOTE_SIZE
    low = line.top > page.height * 0.5
    if not (small and low):
        return False
    starts = bool(_FOOTNOTE_START.match(line.text))
    return starts or bool(state.footnotes and state.footnotes[-1].page == _current_page(state))


def _current_page(state: _Assembly) -> int:
    return state.builder.page or 0


def _close_footnote_or_continue(state: _Assembly, line: PdfLine, page: int) -> None:
    start = _FOOTNOTE_START.match(line.text)
    last = state.footnotes[-1] if state.footnotes else None
    marker_only = last is not None and _FOOTNOTE_START.fullmatch(joined(last.lines, None))
    if start and not marker_only:
        state.footnotes.append(_Open(FOOTNOTE, [line], page, number=start.group(1)))
    elif last is not None:
        last.append(line, page)


def _is_term(line: PdfLine, style: Style) -> bool:
    width = style.right - style.left
    return (
        (line.bold or line.mono)
        and (line.x1 - line.x0) < TERM_WIDTH * width
        and (not line.text.endswith(_SENTENCE_END))
    )


def _open_block(line: PdfLine, page: int, term: str) -> _Open:
    if line.mono and not term:
        return _Open(CODE, [line], page)
    bullet = _BULLET.match(line.text) or _ENUMERATED.match(line.text)
    if bullet:
        stripped = PdfLine(**{**vars(line), "text": line.text[bullet.end() :]})
        return _Open(LIST_ITEM, [stripped], page, level=1, number=bullet.group(1), prefix=term)
    return _Open(PARAGRAPH, [line], page, prefix=term)


def _continues(block: _Open, line: PdfLine, style: Style) -> bool:
    if block.kind == FOOTNOTE:
        return False
    last = block.lines[-1]
    gap = line.top - last.bottom
    if block.kind == CODE:
        return line.mono and -1 <= gap <= style.line_gap * PARAGRAPH_GAP * 2
    if line.mono != last.mono and line.x0 < block.lines[0].x0 - 2:
        return False
    if abs(line.size - last.size) > 0.6 or _BULLET.match(line.text) or _ENUMERATED.match(line.text):
        return False
    next_page = line.top < last.top  # the block goes on at the top of a new page or column
    if next_page:
        return not joined(block.lines, None).endswith(_SENTENCE_END)
    if gap > style.line_gap * PARAGRAPH_GAP or gap < -last.height:
        return False
    if block.kind == LIST_ITEM:
        return line.x0 > block.lines[0].x0 + 2
    return line.x0 < block.lines[0].x0 + 12 or len(block.lines) > 1


def _close(state: _Assembly) -> None:
    block, state.open = state.open, None
    if block is not None:
        _add(state, block)


def _add(state: _Assembly, block: _Open) -> None:
    prefix = f"{block.prefix}: " if block.prefix else ""
    breaks: tuple[tuple[int, int], ...] = ()
    if block.kind == CODE:
        text = code_text(block.lines)
    else:
        text, breaks = joined_with_pages(
            block.lines, block.pages, block.page, state.vocabulary, len(prefix)
        )
    state.builder.add(block.kind, prefix + text, block.level, block.number, block.page, breaks)


def _flush_footnotes(state: _Assembly) -> None:
    for note in state.footnotes:
        _add(state, note)
    state.footnotes = []
