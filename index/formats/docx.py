"""Reads a Word ``.docx`` file into the document model: headings, paragraphs, list items,
table rows and captions, in the order they stand in the body."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..model import (
    CAPTION,
    HEADING,
    LIST_ITEM,
    PARAGRAPH,
    TABLE_ROW,
    ParsedDocument,
    TextBuilder,
    heading_number,
)
from .html import labelled_row

BULLET = "\u2022"
_HEADING_STYLE = re.compile(r"heading\s*([1-9])$", re.IGNORECASE)
_TRAILING_DIGIT = re.compile(r"\s([1-9])$")
# Word's table of contents is a copy of the headings: quoting it would cite the contents page,
# not the section.
_SKIPPED_STYLE = re.compile(r"^toc\s*(heading|[1-9])$", re.IGNORECASE)
# Runs inside these are not the paragraph's visible text: deleted or moved-away revisions, and
# text boxes (paragraphs of their own, anchored in a run).
_NOT_TEXT = frozenset(qn(t) for t in ("w:del", "w:moveFrom", "w:txbxContent"))


def read_docx(data: bytes) -> ParsedDocument:
    """The blocks of a Word file's body; the title from its properties, else its first Title or
    Heading 1.

    Raises:
        ValueError: the bytes are not a readable .docx file.
    """
    try:
        document = Document(io.BytesIO(data))
    except Exception as error:  # python-docx raises zip, XML and package errors alike
        raise ValueError(f"not a Word .docx file ({error})") from error
    builder = TextBuilder()
    numbering = _Numbering(document)
    title = _property_title(document)
    first_heading = ""
    for item in _body_items(document):
        if isinstance(item, Table):
            _add_table(builder, item)
            continue
        added = _add_paragraph(builder, item, numbering)
        if added is not None and not first_heading and added[1] <= 2:
            first_heading = added[0]
    return builder.build(title or first_heading)


def _property_title(document: Any) -> str:
    """The title in the file's properties; python-docx makes up "Word Document" for a file
    without properties, so those are looked for first."""
    rels = document.part.package.rels.values()
    if not any(rel.reltype == RT.CORE_PROPERTIES for rel in rels):
        return ""
    return (document.core_properties.title or "").strip()


def _body_items(document: Any) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables in document order, looking inside content controls (``w:sdt``),
    which wrap whole paragraphs in many templates; an explicit stack, not recursion."""
    body = document.element.body
    pending = list(reversed(list(body.iterchildren())))
    while pending:
        element = pending.pop()
        if element.tag == qn("w:p"):
            yield Paragraph(element, document)
        elif element.tag == qn("w:tbl"):
            yield Table(element, document)
        elif element.tag == qn("w:sdt"):
            content = element.find(qn("w:sdtContent"))
            if content is not None:
                pending.extend(reversed(list(content.iterchildren())))


def _add_paragraph(
    builder: TextBuilder, paragraph: Paragraph, numbering: _Numbering
) -> tuple[str, int] | None:
    """Adds one paragraph as the block its style says; returns (text, level) for a heading."""
    style = _style_name(paragraph)
    if _SKIPPED_STYLE.match(style):
        return None
    text = _paragraph_text(paragraph._p)
    level = _heading_level(style)
    num_pr = _num_pr(paragraph)
    if level:
        # An automatically numbered heading's number is not in its text: take Word's.
        number = heading_number(text)[0] or numbering.number(num_pr).rstrip(".:)")
        block = builder.add(HEADING, text, level=level, number=number)
        return (" ".join(text.split()), level) if block else None
    if style.lower() == "caption":
        builder.add(CAPTION, text)
    elif num_pr is not None or "list" in style.lower():
        level = _list_level(style, num_pr)
        builder.add(LIST_ITEM, text, level=level, number=numbering.marker(num_pr))
    else:
        builder.add(PARAGRAPH, text)
    return None


def _paragraph_text(p: Any) -> str:
    """The paragraph's visible text. python-docx's ``Paragraph.text`` reads only the runs
    directly in the paragraph and in hyperlinks: it leaves out tracked insertions, fields and
    inline content controls, whose runs are read here too."""
    parts = []
    for run in p.iter(qn("w:r")):
        ancestor = run.getparent()
        while ancestor is not None and ancestor is not p and ancestor.tag not in _NOT_TEXT:
            ancestor = ancestor.getparent()
        if ancestor is p:
            parts.append(run.text)
    return "".join(parts)


def _style(paragraph: Paragraph) -> Any:
    try:
        return paragraph.style
    except (KeyError, ValueError):  # a style id the styles part does not define
        return None


def _style_name(paragraph: Paragraph) -> str:
    style = _style(paragraph)
    return (style.name or "") if style is not None else ""


def _heading_level(style: str) -> int:
    """Title is the document's title (1); Heading N sits under it (N + 1)."""
    if style.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style.strip())
    return int(match.group(1)) + 1 if match else 0


def _num_pr(paragraph: Paragraph) -> Any:
    """The paragraph's numbering properties, its own or its style's (``List Bullet`` numbers
    through its style); None when it has none, or numbering 0, which Word uses to take a
    style's numbering off."""
    p_pr = paragraph._p.pPr
    num_pr: Any = p_pr.numPr if p_pr is not None else None
    style = _style(paragraph)
    for _ in range(10):  # up the style's base chain, bounded against a loop
        if num_pr is not None or style is None:
            break
        style_p_pr = style.element.pPr
        num_pr = style_p_pr.numPr if style_p_pr is not None else None
        style = style.base_style
    if num_pr is None or num_pr.numId is None or num_pr.numId.val == 0:
        return None
    return num_pr


def _ilvl(num_pr: Any) -> int | None:
    if num_pr is None or num_pr.ilvl is None:
        return None
    return int(num_pr.ilvl.val)


def _list_level(style: str, num_pr: Any) -> int:
    """Nesting depth: Word's ``w:ilvl`` + 1; else the style's own depth ("List Bullet 2")."""
    ilvl = _ilvl(num_pr)
    if ilvl is not None:
        return ilvl + 1
    match = _TRAILING_DIGIT.search(style)
    return int(match.group(1)) if match else 1


@dataclass
class _Level:
    fmt: str
    text: str
    start: int


class _Numbering:
    """Word's list numbering, counted as the paragraphs come: "1.", "a)", "2.1." or a bullet.

    Kept simple: counters run per numbering instance (``w:numId``) and a level restarts when a
    shallower one advances; start overrides and legal-style numbering are not read."""

    def __init__(self, document: Any) -> None:
        self.levels = _numbering_levels(document)
        self.counters: dict[str, list[int | None]] = {}

    def marker(self, num_pr: Any) -> str:
        """A list item's marker: its number, else a bullet."""
        return self.number(num_pr) or BULLET

    def number(self, num_pr: Any) -> str:
        """The next number of the paragraph's list and level ("" for a bullet or none); each
        call counts one paragraph."""
        if num_pr is None:
            return ""
        num_id = str(num_pr.numId.val)
        ilvl = min(_ilvl(num_pr) or 0, 8)
        level = self.levels.get((num_id, ilvl))
        if level is None or level.fmt in ("bullet", "none"):
            return ""
        counts = self.counters.setdefault(num_id, [None] * 9)
        current = counts[ilvl]
        counts[ilvl] = level.start if current is None else current + 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = None
        return re.sub(r"%([1-9])", lambda m: self._counter(num_id, int(m.group(1)) - 1), level.text)

    def _counter(self, num_id: str, ilvl: int) -> str:
        """Level ``ilvl``'s current number in its own format ("%2" of "%1.%2." is "3")."""
        level = self.levels.get((num_id, ilvl))
        count = self.counters[num_id][ilvl]
        if count is None:
            count = level.start if level else 1
        return _format_number(count, level.fmt if level else "decimal")


def _numbering_levels(document: Any) -> dict[tuple[str, int], _Level]:
    """(numId, ilvl) -> the level's format, text pattern and start, from numbering.xml."""
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstracts: dict[str, dict[int, _Level]] = {}
    for abstract in root.findall(qn("w:abstractNum")):
        levels = {}
        for lvl in abstract.findall(qn("w:lvl")):
            levels[_int(lvl.get(qn("w:ilvl")), 0)] = _Level(
                _child_val(lvl, "w:numFmt", "decimal"),
                _child_val(lvl, "w:lvlText", "%1."),
                _int(_child_val(lvl, "w:start", "1"), 1),
            )
        abstracts[abstract.get(qn("w:abstractNumId"), "")] = levels
    found = {}
    for num in root.findall(qn("w:num")):
        abstract_id = _child_val(num, "w:abstractNumId", "")
        for ilvl, level in abstracts.get(abstract_id, {}).items():
            found[(num.get(qn("w:numId"), ""), ilvl)] = level
    return found


def _child_val(element: Any, tag: str, default: str) -> str:
    child = element.find(qn(tag))
    value = child.get(qn("w:val")) if child is not None else None
    return value if value is not None else default


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or "")
    except ValueError:
        return default


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(n)


def _roman(n: int) -> str:
    digits = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC")]
    digits += [(50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, letters in digits:
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def _add_table(builder: TextBuilder, table: Table) -> None:
    """One block per row. The first row is taken as the header, and every later row reads
    "Header: cell | Header: cell" so that a row quoted alone still says what its cells are."""
    header: list[str] | None = None
    for row in table.rows:
        cells = _row_cells(row)
        if header is None:
            header = cells
            builder.add(TABLE_ROW, " | ".join(c for c in cells if c))
        else:
            builder.add(TABLE_ROW, labelled_row(header, cells))


def _row_cells(row: Any) -> list[str]:
    """The row's cell texts; a cell merged across columns is listed by python-docx once per
    column it spans, and is kept once."""
    cells: list[str] = []
    previous = None
    for cell in row.cells:
        if previous is not None and cell._tc is previous:
            continue
        previous = cell._tc
        # Every paragraph in the cell, those of a table inside it too, on one line.
        texts = (_paragraph_text(p) for p in cell._tc.iter(qn("w:p")))
        cells.append(" ".join(" ".join(texts).split()))
    return cells
