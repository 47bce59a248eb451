"""Reading documents from the corpus folder: text, title, sections (and pages for PDF).

Every offset in the index points into :attr:`Document.text`. For ``.txt`` and ``.md`` files that
is the file's own text, byte-for-byte decoded, so a citation can be checked against the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm")


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


@dataclass
class Document:
    """A corpus document with the text every offset refers to."""

    id: str
    path: str
    title: str
    text: str
    format: str
    digest: str
    sections: list[Section] = field(default_factory=list)
    page_starts: list[int] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page containing ``offset``, or None for documents without pages."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
        return page + 1

    def section_at(self, offset: int) -> Section | None:
        """The section whose body contains ``offset``."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None


class DocumentError(Exception):
    """A file in the corpus could not be read as a document."""


def document_id(relative_path: str) -> str:
    """A stable, URL-safe id derived from a path inside the corpus folder.

    Args:
        relative_path: the path relative to the corpus folder, with ``/`` separators.
    """
    stem_path = re.sub(r"\.[A-Za-z0-9]+$", "", relative_path)
    slug = re.sub(r"[^a-z0-9]+", "-", stem_path.lower()).strip("-")
    return slug or "document"


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Supported files below ``corpus_dir``, in a stable order; hidden files are skipped."""
    for path in sorted(corpus_dir.rglob("*")):
        relative = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            yield path


def read_document(path: Path, corpus_dir: Path) -> Document:
    """Read one corpus file into a :class:`Document`.

    Args:
        path: the file.
        corpus_dir: the corpus root, used for the document's id and relative path.

    Raises:
        DocumentError: the file cannot be decoded or parsed, or holds no text.
    """
    relative = path.relative_to(corpus_dir).as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{relative}: cannot read ({exc.strerror})") from exc
    digest = hashlib.sha256(raw).hexdigest()
    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            text, title, sections, pages = _parse_pdf(path)
        elif suffix in (".html", ".htm"):
            text, title, sections = _parse_html(_decode(raw))
            pages = []
        elif suffix == ".md":
            text = _decode(raw)
            title, sections = _markdown_sections(text)
            pages = []
        else:
            text = _decode(raw)
            title, sections = _plain_text_sections(text)
            pages = []
    except DocumentError as exc:
        raise DocumentError(f"{relative}: {exc}") from exc
    except Exception as exc:  # a broken PDF can raise almost anything from the parser
        raise DocumentError(f"{relative}: cannot parse ({type(exc).__name__}: {exc})") from exc
    if not text.strip():
        raise DocumentError(f"{relative}: no text found")
    return Document(
        id=document_id(relative),
        path=relative,
        title=title or path.stem.replace("-", " ").replace("_", " "),
        text=text,
        format="html" if suffix == ".htm" else suffix.lstrip("."),
        digest=digest,
        sections=sections,
        page_starts=pages,
    )


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """Read every supported file below ``corpus_dir``.

    Returns:
        The documents, and one message per file that could not be read (those are skipped).
    """
    documents: list[Document] = []
    errors: list[str] = []
    seen_ids: dict[str, str] = {}
    for path in iter_corpus_files(corpus_dir):
        try:
            document = read_document(path, corpus_dir)
        except DocumentError as exc:
            errors.append(str(exc))
            continue
        if document.id in seen_ids:
            errors.append(f"{document.path}: same id as {seen_ids[document.id]}; skipped")
            continue
        seen_ids[document.id] = document.path
        documents.append(document)
    return documents, errors


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise DocumentError("not UTF-8 or Windows-1252 text") from exc
    if "\x00" in text:
        raise DocumentError("binary content, not text")
    return text.removeprefix("\ufeff")


# --- plain text ------------------------------------------------------------------------------

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


def _plain_text_sections(text: str) -> tuple[str, list[Section]]:
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


def _markdown_sections(text: str) -> tuple[str, list[Section]]:
    headings = [(m.start(), m.end(), len(m.group(1))) for m in _MD_HEADING.finditer(text)]
    if not headings:
        return _plain_text_sections(text)
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


def _parse_html(source: str) -> tuple[str, str, list[Section]]:
    parser = _VisibleText()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    sections = _sections_from_headings(text, parser.headings)
    title = parser.meta_title.strip()
    if not title and parser.headings:
        title = text[parser.headings[0][0] : parser.headings[0][1]].strip()
    if not sections:
        title2, sections = _plain_text_sections(text)
        title = title or title2
    return text, title, sections


# --- PDF -------------------------------------------------------------------------------------


def _parse_pdf(path: Path) -> tuple[str, str, list[Section], list[int]]:
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
    title_from_text, sections = _plain_text_sections(text)
    meta_title = ""
    if reader.metadata is not None and reader.metadata.title:
        meta_title = str(reader.metadata.title).strip()
    return text, meta_title or title_from_text, sections, page_starts
