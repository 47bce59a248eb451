"""Which lines of a PDF are headings, how deep, and with what number.

With an outline (bookmarks), a heading is a line whose words are an outline entry's title on
that entry's page (or the next), at the entry's depth; lines set like headings that are not in
the outline ("CHAPTER", "TWO") are decorations and are left out. Without one, a heading is a
line set larger than the body text; its level comes from its number ("5.6" is deeper than "5")
or, unnumbered, from its size among the heading sizes.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from ..model import HEADING, heading_number, number_depth
from .pdf_layout import PageLines
from .pdf_lines import PdfLine

# Larger than the body text by this factor, a line is set as a heading.
HEADING_SIZE = 1.15
# A heading told by its shape alone is at most this long (plain text's reader uses the same).
SHAPE_MAX_CHARS = 70
SHAPE_MAX_WORDS = 9
# A gap between two lines wider than the document's usual line gap times this starts a new
# paragraph (LaTeX: 6 pt between lines of a paragraph, 11 pt between paragraphs).
PARAGRAPH_GAP = 1.5
_TERMINAL = (".", "!", "?", ":", ";", ",", '"', "'", "\u201d", "\u2019", ")", "-")
_ENDS = (".", "!", "?")


@dataclass(frozen=True)
class OutlineEntry:
    """One bookmark: its title, depth (0 outermost) and the page it points to (0-based)."""

    title: str
    depth: int
    page: int


@dataclass(frozen=True)
class Style:
    """The document's body font size and its usual gap between lines of a paragraph."""

    body_size: float
    line_gap: float
    left: float
    right: float

    @classmethod
    def of(cls, lines: list[PdfLine]) -> Style:
        sizes: Counter[float] = Counter()
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
        body = sizes.most_common(1)[0][0]
        body_lines = [ln for ln in lines if abs(ln.size - body) < 0.6]
        gaps = [
            b.top - a.bottom
            for a, b in itertools.pairwise(body_lines)
            if 0 <= b.top - a.bottom < body * 2
        ]
        gap = sorted(gaps)[len(gaps) // 2] if gaps else body * 0.5
        lefts = sorted(ln.x0 for ln in body_lines)
        rights = sorted(ln.x1 for ln in body_lines)
        return cls(body, max(gap, 1.0), lefts[len(lefts) // 10], rights[len(rights) * 9 // 10])


class HeadingFinder:
    """Tells headings (and their depth and number) from other lines."""

    def __init__(
        self, outline: list[OutlineEntry], style: Style, lines: list[PdfLine] | None = None
    ) -> None:
        self.style = style
        # Set all in one size, without bookmarks (a letter, a text saved as PDF): its headings
        # can only be told by their shape, as in plain text.
        self.plain = not outline and not any(
            ln.size >= style.body_size * HEADING_SIZE for ln in lines or []
        )
        # The document's title is set in its largest type (on its first page).
        self.largest = max((ln.size for ln in lines or []), default=0.0)
        self.previous: PdfLine | None = None
        self.previous_heading = False
        self.by_page: dict[int, list[OutlineEntry]] = {}
        for entry in outline:
            self.by_page.setdefault(entry.page, []).append(entry)
        self.has_outline = bool(outline)
        self.first_title = ""
        self.decorations = 0
        self.sizes: list[float] = []

    def classify(
        self, page_index: int, lines: list[PdfLine], page: PageLines
    ) -> Iterator[tuple[PdfLine, str, int, str]]:
        """Each line with its kind ("heading" or "" for the others), level and number; a
        heading set on two or three lines comes as one line."""
        expected = [*self.by_page.get(page_index, []), *self.by_page.get(page_index + 1, [])]
        front = self.has_outline and page_index < min(self.by_page, default=0)
        i = 0
        while i < len(lines):
            line, used = lines[i], 1
            following = lines[i + 1] if i + 1 < len(lines) else None
            wrapped = self._wrapped_outline_heading(lines, i, expected)
            if wrapped is not None:
                line, used = wrapped
                found: tuple[int, str] | None = self._heading(line, expected, False, [])
            elif self.plain and self._opening_title(page_index, line, following):
                # Level 2, not 1: the view shows level 1 as the page's title, and a PDF's
                # metadata title (often a tool's default) would hide this one.
                found = (2, "")
            elif self.plain:
                found = self._shaped(line, following)
            elif front:  # the title page: its title, and the rest is text
                found = (
                    self._heading(line, [], page_index == 0, []) if not self.first_title else None
                )
                found = found if found is None or found[0] == 1 else None
            else:
                upcoming = [
                    w
                    for j in range(i + 1, min(i + 3, len(lines)))
                    if (w := self._wrapped_outline_heading(lines, j, expected) or (lines[j], 1))
                ]
                found = self._heading(line, expected, page_index == 0, [u for u, _ in upcoming])
            self.previous, self.previous_heading = line, found is not None and found[0] > 0
            i += used
            if found is None:
                yield line, "", 0, ""
            elif found[0] < 0:
                self.decorations += 1
            else:
                yield line, HEADING, found[0], found[1]

    def _wrapped_outline_heading(
        self, lines: list[PdfLine], i: int, expected: list[OutlineEntry]
    ) -> tuple[PdfLine, int] | None:
        """Lines ``i``, ``i + 1`` (and ``i + 2``) set large that together are an outline
        entry's title: one line of their joined text, and how many lines it took."""
        if not expected or _in_outline(lines[i], expected) is not None:
            return None
        large = self.style.body_size * HEADING_SIZE
        for n in (2, 3):
            group = lines[i : i + n]
            if len(group) < n or any(ln.size < large for ln in group):
                return None
            joined = _joined_heading(group)
            if _in_outline(joined, expected) is not None:
                return joined, n
        return None

    def _opening_title(self, page_index: int, line: PdfLine, following: PdfLine | None) -> bool:
        """The document's first line, short and standing alone above its text (a paragraph's
        gap below it, or nothing else on its page), is its title in a PDF set in one size — a
        full stop at its end does not make it a sentence of the text (issue #33: "Karasu lake
        notes, page one." was quoted as part of an answer). Only the first line of the first
        page can be one, and only without bookmarks to say otherwise."""
        if page_index != 0 or self.previous is not None or self.first_title or self.has_outline:
            return False
        text = line.text
        if len(text) > SHAPE_MAX_CHARS or len(text.split()) > SHAPE_MAX_WORDS or line.mono:
            return False
        gap = following.top - line.bottom if following is not None else None
        if gap is not None and gap <= self.style.line_gap * PARAGRAPH_GAP:
            return False
        self.first_title = text
        return True

    def _shaped(self, line: PdfLine, following: PdfLine | None) -> tuple[int, str] | None:
        """A short unpunctuated line after a finished sentence, followed by a line that starts
        one: a heading of a PDF set in one size (a heading right after another is its child)."""
        text = line.text
        width = self.style.right - self.style.left
        if len(text) > SHAPE_MAX_CHARS or len(text.split()) > SHAPE_MAX_WORDS or line.mono:
            return None
        numbered = bool(heading_number(text)[0])
        if not (text[:1].isupper() or numbered) or text.endswith(_TERMINAL):
            return None
        if line.x1 - line.x0 > 0.7 * width:
            return None
        opening = following.text[:1] if following is not None else ""
        if not (opening.isupper() or opening.isdigit()):
            return None
        previous = self.previous
        finished = previous is None or self.previous_heading or previous.text.endswith(_ENDS)
        if not finished:
            return None
        number = heading_number(text)[0]
        if number and number[0].isdigit():
            return min(number_depth(number) + 1, 6), number
        return (3 if self.previous_heading else 2), number

    def _heading(
        self,
        line: PdfLine,
        expected: list[OutlineEntry],
        first_page: bool,
        upcoming: list[PdfLine],
    ) -> tuple[int, str] | None:
        number = heading_number(line.text)[0]
        entry = _in_outline(line, expected)
        if entry is not None:
            return entry.depth + 2, number
        large = line.size >= self.style.body_size * HEADING_SIZE
        if first_page and not self.first_title and large and line.size >= self.largest - 0.1:
            self.first_title = line.text
            return 1, ""
        if not large or line.mono:
            return None
        if any(_in_outline(u, expected) for u in upcoming) and len(line.text.split()) <= 3:
            return -1, ""  # set like a heading just above one: "CHAPTER", "TWO"
        if line.text.endswith((".", ",", ";")) or len(line.text.split()) > 14:
            return None
        return self._level_by_size(line.size, number), number

    def _level_by_size(self, size: float, number: str) -> int:
        if number and number[0].isdigit():
            return min(number_depth(number) + 1, 6)
        if round(size, 1) not in self.sizes:
            self.sizes = sorted({*self.sizes, round(size, 1)}, reverse=True)
        return min(self.sizes.index(round(size, 1)) + 2, 6)


def _joined_heading(lines: list[PdfLine]) -> PdfLine:
    text = " ".join(ln.text for ln in lines)
    text = re.sub(r"- (?=[A-Za-z])", "-", text) if lines[0].text.endswith("-") else text
    first = lines[0]
    return PdfLine(
        text,
        first.x0,
        max(ln.x1 for ln in lines),
        first.top,
        lines[-1].bottom,
        first.size,
        first.bold,
        first.mono,
    )


def _in_outline(line: PdfLine, expected: list[OutlineEntry]) -> OutlineEntry | None:
    """The outline entry whose title ``line`` is (with or without its number)."""
    words = _squash(heading_number(line.text)[1] or line.text)
    whole = _squash(line.text)
    if not words:
        return None
    return next((e for e in expected if _squash(e.title) in (words, whole)), None)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())
