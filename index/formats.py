"""Each file format's text, title and sections: headings found in plain text (by shape, not
by words), Markdown headings, HTML's visible text and heading tags, and PDF pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """A titled region of a document: ``start``/``end`` cover its body, after the heading."""

    title: str
    start: int
    end: int
    heading_start: int | None = None
    heading_end: int | None = None
    # Outline depth: 1 the document's title, 2 a top-level heading, 3 and more sub-headings.
    level: int = 2


_LINE = re.compile(r"[^\n]*\n?")
_TERMINAL = (".", "!", "?", ":", ";", ",", '"', "'", "\u201d", "\u2019", ")")


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, ``end`` excluding the newline."""
    spans = []
    for match in _LINE.finditer(text):
        if match.start() == match.end():
            break
        line_end = match.end() - (1 if match.group().endswith("\n") else 0)
        if text[match.start() : line_end].endswith("\r"):
            line_end -= 1
        spans.append((match.start(), line_end))
    return spans


def _looks_like_heading(
    line: str, previous: str | None, following: str | None, previous_is_heading: bool
) -> bool:
    stripped = line.strip()
    if not stripped or following is None or not following.strip():
        return False
    words = stripped.split()
    if len(stripped) > 70 or len(words) > 9 or not stripped[0].isupper():
        return False
    if stripped.endswith(_TERMINAL) or stripped.endswith("-"):
        return False
    # A wrapped body line continues the previous sentence; a heading follows a finished one.
    return (
        previous_is_heading
        or previous is None
        or not previous.strip()
        or previous.rstrip().endswith((".", "!", "?"))
    )


def plain_text_sections(text: str) -> tuple[str, list[Section]]:
    """Title from the first non-empty line; short unpunctuated lines after a finished sentence
    are headings."""
    lines = _lines(text)
    nonblank = [(a, b) for a, b in lines if text[a:b].strip()]
    if not nonblank:
        return "", []
    first_start, first_end = nonblank[0]
    title = text[first_start:first_end].strip()
    found: list[tuple[int, int]] = [(first_start, first_end)]
    for i in range(1, len(lines)):
        a, b = lines[i]
        previous = text[lines[i - 1][0] : lines[i - 1][1]]
        following = text[lines[i + 1][0] : lines[i + 1][1]] if i + 1 < len(lines) else None
        previous_is_heading = found[-1] == lines[i - 1]
        if _looks_like_heading(text[a:b], previous, following, previous_is_heading):
            found.append((a, b))
    return title, _sections_from_headings(text, _plain_text_levels(found))


def _plain_text_levels(found: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Levels for plain-text headings, which carry no markup: the first line is the title; a
    heading directly followed by another is a parent, and the headings after it are its
    sub-headings until the next parent (plain text cannot say where a group ends)."""
    parents = {i for i in range(1, len(found) - 1) if _adjacent(found[i], found[i + 1])}
    headings = [(*found[0], 1)] if found else []
    level_after_parent = 2
    for i, (a, b) in enumerate(found[1:], start=1):
        if i in parents:
            headings.append((a, b, 2))
            level_after_parent = 3
        else:
            headings.append((a, b, level_after_parent))
    return headings


def _adjacent(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """The second line follows the first with nothing but one line break between them."""
    return second[0] - first[1] <= 1


def _sections_from_headings(text: str, headings: list[tuple[int, int, int]]) -> list[Section]:
    sections = []
    for i, (a, b, level) in enumerate(headings):
        body_end = headings[i + 1][0] if i + 1 < len(headings) else len(text)
        title = re.sub(r"\s+", " ", text[a:b]).strip().lstrip("#").strip()
        # A parent heading directly followed by a sub-heading has no body of its own: it stays
        # in the outline (the document view shows it), and holds no sentences.
        start = b if text[b:body_end].strip() else body_end
        sections.append(Section(title, start, body_end, a, b, level))
    if headings and headings[0][0] > 0 and text[: headings[0][0]].strip():
        sections.insert(0, Section("", 0, headings[0][0]))
    return sections


# --- markdown --------------------------------------------------------------------------------

_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def markdown_sections(text: str) -> tuple[str, list[Section]]:
    headings = [(m.start(), m.end(), len(m.group(1))) for m in _MD_HEADING.finditer(text)]
    if not headings:
        return plain_text_sections(text)
    title = _MD_HEADING.match(text, headings[0][0])
    return (title.group(2).strip() if title else ""), _sections_from_headings(text, headings)


# --- HTML ------------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "section", "article", "li", "ul", "ol", "br", "tr", "table", "blockquote",
    "header", "footer", "main", "aside", "nav", "pre", "dd", "dt", "figcaption",
}  # fmt: skip
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_INVISIBLE_TAGS = {"script", "style", "noscript", "template", "head", "svg"}


class _VisibleText(HTMLParser):
    """Collects visible text, one block per line, and the offsets of headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.hidden_depth = 0
        self.heading_start: int | None = None
        self.heading_level = 2
        self.headings: list[tuple[int, int, int]] = []
        self.meta_title = ""
        self.in_title = False

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self._emit("\n")

    def _emit(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in _INVISIBLE_TAGS:
            self.hidden_depth += 1
        elif tag in _HEADING_TAGS:
            self._newline()
            self.heading_start = self.length
            self.heading_level = int(tag[1])
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _INVISIBLE_TAGS:
            self.hidden_depth = max(0, self.hidden_depth - 1)
        elif tag in _HEADING_TAGS and self.heading_start is not None:
            if self.length > self.heading_start:
                self.headings.append((self.heading_start, self.length, self.heading_level))
            self.heading_start = None
            self._newline()
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.meta_title += data
        if self.hidden_depth:
            return
        data = re.sub(r"\s+", " ", data)
        if self.parts and self.parts[-1].endswith(("\n", " ")):
            data = data.lstrip()
        if data:
            self._emit(data)


def parse_html(source: str) -> tuple[str, str, list[Section]]:
    parser = _VisibleText()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    sections = _sections_from_headings(text, parser.headings)
    title = parser.meta_title.strip()
    if not title and parser.headings:
        title = text[parser.headings[0][0] : parser.headings[0][1]].strip()
    if not sections:
        title2, sections = plain_text_sections(text)
        title = title or title2
    return text, title, sections


# --- PDF -------------------------------------------------------------------------------------


def parse_pdf(path: Path) -> tuple[str, str, list[Section], list[int]]:
    from pypdf import PdfReader  # imported here: only PDF corpora pay for it

    reader = PdfReader(str(path))
    pieces: list[str] = []
    page_starts: list[int] = []
    length = 0
    for page in reader.pages:
        page_starts.append(length)
        page_text = (page.extract_text() or "").replace("\r\n", "\n").strip("\n") + "\n\n"
        pieces.append(page_text)
        length += len(page_text)
    text = "".join(pieces)
    title_from_text, sections = plain_text_sections(text)
    meta_title = ""
    if reader.metadata is not None and reader.metadata.title:
        meta_title = str(reader.metadata.title).strip()
    return text, meta_title or title_from_text, sections, page_starts
