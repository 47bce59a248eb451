"""The document model every format is read into: an ordered list of blocks over one canonical
text.

A reader (plain text, Markdown, HTML, Word, PDF, scans) returns a :class:`ParsedDocument`: the
canonical ``text`` and the :class:`Block` s that cover it, each with its kind, its page and its
offsets into that text. Sections, sentences, passages, citations, highlights and the document
view read this model, never a format's raw text. For ``.txt`` and ``.md`` the canonical text is
the file's own text (a citation can be checked against the file); for the other formats it is
made by :class:`TextBuilder` from the blocks the reader found, one block per paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADING = "heading"
PARAGRAPH = "paragraph"
LIST_ITEM = "list_item"
TABLE_ROW = "table_row"
FOOTNOTE = "footnote"
CAPTION = "caption"
CODE = "code"
BLOCK_KINDS = (HEADING, PARAGRAPH, LIST_ITEM, TABLE_ROW, FOOTNOTE, CAPTION, CODE)

# Between two blocks of the canonical text a reader makes: a blank line, so the text read as
# plain text shows the same blocks.
BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Block:
    """One block of a document; its text is ``document.text[start:end]``.

    Attributes:
        kind: one of :data:`BLOCK_KINDS`.
        start: offset of its first character in the canonical text.
        end: offset just past its last character.
        page: the 1-based page it starts on (None for formats without pages).
        level: for a heading, its outline depth (1 the document's title, 2 a top-level heading,
            3 and more sub-headings); for a list item, its nesting depth (1 outermost); else 0.
        number: a heading's own number ("5.6.12", "II", "Article 5") or a list item's marker
            ("1.", "(a)", "•"); empty when it has none.
    """

    kind: str
    start: int
    end: int
    page: int | None = None
    level: int = 0
    number: str = ""


@dataclass
class ParsedDocument:
    """What a reader made of one file.

    Attributes:
        text: the canonical text every offset refers to.
        title: the document's title ("" when the reader found none; the file name is used).
        blocks: the blocks in reading order, not overlapping.
        page_starts: offset where each page begins (empty for formats without pages).
        notes: what the reader removed or guessed, for ``briefing-qa inspect`` ("running
            header 'Debian Policy Manual, Release 4.6.2.0' removed from 159 pages").
    """

    text: str
    title: str
    blocks: list[Block]
    page_starts: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class TextBuilder:
    """Builds a canonical text block by block, remembering each block's offsets and pages.

    Readers whose format has no text of its own to point into (PDF, HTML, Word, scans) add
    their blocks in reading order; ``build`` returns the :class:`ParsedDocument`.
    """

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._length = 0
        self._blocks: list[Block] = []
        self._pages = 0
        self._breaks: list[tuple[int, int]] = []

    def start_page(self) -> None:
        """The blocks added from now on are on the next page."""
        self._pages += 1

    @property
    def page(self) -> int | None:
        """The current page (None when the format has no pages)."""
        return self._pages or None

    def add(
        self,
        kind: str,
        text: str,
        level: int = 0,
        number: str = "",
        page: int | None = None,
        page_breaks: tuple[tuple[int, int], ...] = (),
    ) -> Block | None:
        """Append one block; whitespace at its ends is dropped, an empty block is skipped.

        Args:
            kind: one of :data:`BLOCK_KINDS`.
            text: the block's text (line breaks kept only for code; elsewhere, callers pass
                one line).
            level: heading depth or list nesting (see :class:`Block`).
            number: heading number or list marker.
            page: the page the block starts on, when it is not the current one (a paragraph
                that runs on to the next page is added once it ends).
            page_breaks: (offset in ``text``, page) where the block runs on to a new page.
        """
        if kind not in BLOCK_KINDS:
            raise ValueError(f"unknown block kind {kind!r}")
        # Code keeps its lines and indentation; every other block is one line of prose.
        text = text.strip("\n").rstrip() if kind == CODE else _one_line(text)
        if not text:
            return None
        if self._blocks:
            self._pieces.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        on = page if page is not None else self.page
        block = Block(kind, self._length, self._length + len(text), on, level, number)
        self._breaks.extend((self._length + offset, p) for offset, p in page_breaks)
        self._pieces.append(text)
        self._length += len(text)
        self._blocks.append(block)
        return block

    def build(self, title: str, notes: list[str] | None = None) -> ParsedDocument:
        """The document made so far."""
        text = "".join(self._pieces)
        return ParsedDocument(
            text, title, list(self._blocks), self._page_starts(len(text)), notes or []
        )

    def _page_starts(self, length: int) -> list[int]:
        """Where each page begins: at its first block, or (a page without blocks) where the
        next page with one begins."""
        starts = [length] * self._pages
        opened = [(b.start, b.page) for b in self._blocks if b.page is not None]
        for offset, page in [*opened, *self._breaks]:
            if 0 < page <= self._pages:
                starts[page - 1] = min(starts[page - 1], offset)
        for p in range(self._pages - 2, -1, -1):
            starts[p] = min(starts[p], starts[p + 1])
        return starts


_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def heading_number(title: str) -> tuple[str, str]:
    """Split a heading's own number from its words: "5.6.12 Version" -> ("5.6.12", "Version");
    "Article 5 - Scope" -> ("Article 5", "Scope"); "Chapter II. Use" -> ("Chapter II", "Use");
    "Scope" -> ("", "Scope")."""
    match = _NUMBERED.match(title.strip())
    if not match:
        return "", title.strip()
    number = match.group("number").rstrip(".:")
    rest = re.sub(r"^[\s.:\-\u2013\u2014]+", "", title.strip()[match.end() :])
    return number, rest


# "1.", "1.2", "1.2.3.", "A.1", "II.", "Section 3", "Article 5", "Chapter II", "Part B", "§ 4".
_NUMBERED = re.compile(
    r"(?P<number>(?:(?:Section|Article|Chapter|Part|Appendix|Annex|Title|Schedule|Clause|"
    r"Rule|Regulation)\s+(?:[0-9]{1,3}[A-Za-z]?(?:\.[0-9]{1,3})*|[IVXLC]+|[A-Z])|\u00a7\s*"
    r"[0-9]{1,3}(?:\.[0-9]{1,3})*|[0-9]{1,3}(?:\.[0-9]{1,3})*|[A-Z]\.(?:[0-9]{1,3}\.?)*|"
    r"[IVXLC]+(?=\.))[.:]?"
    r")(?=\s|$)"
)


def number_depth(number: str) -> int:
    """How deep a heading number sits: "5" 1, "5.6" 2, "5.6.12" 3, "A.1" 2, "Article 5" 1."""
    if not number or (not number[0].isdigit() and not re.match(r"[A-Z]\.", number)):
        return 1
    return len([p for p in number.rstrip(".").split(".") if p])
