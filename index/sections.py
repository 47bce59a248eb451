"""Sections made from a document's heading blocks: each heading's region, its number and the
path of headings above it ("5.6.12 Version" under "Control files and their fields")."""

from __future__ import annotations

from dataclasses import dataclass

from .model import HEADING, Block, heading_number


@dataclass(frozen=True)
class Section:
    """A titled region of a document: ``start``/``end`` cover its body, after the heading.

    Attributes:
        title: the heading's text ("5.6.12 Version"), or "" for text before the first one.
        start, end: the body's offsets in the document's text.
        heading_start, heading_end: the heading's own offsets (None for untitled text).
        level: outline depth (1 the document's title, 2 a top-level heading, 3 and more below).
        number: the heading's own number ("5.6.12"), "" when it has none.
        path: the titles of the headings it sits under, outermost first (not the document's
            title, which every section shares).
    """

    title: str
    start: int
    end: int
    heading_start: int | None = None
    heading_end: int | None = None
    level: int = 2
    number: str = ""
    path: tuple[str, ...] = ()


def sections_from_blocks(text: str, blocks: list[Block]) -> list[Section]:
    """One section per heading block, its body running to the next heading; text before the
    first heading is an untitled section.

    Args:
        text: the document's canonical text.
        blocks: its blocks in order.
    """
    headings = [b for b in blocks if b.kind == HEADING]
    sections: list[Section] = []
    above: list[tuple[int, str]] = []  # (level, title) of the open headings
    for i, heading in enumerate(headings):
        body_end = headings[i + 1].start if i + 1 < len(headings) else len(text)
        title = " ".join(text[heading.start : heading.end].split()).lstrip("#").strip()
        above = [(level, t) for level, t in above if level < heading.level]
        path = tuple(t for level, t in above if level > 1)
        # A heading directly followed by a sub-heading has no body of its own: it stays in the
        # outline (the document view shows it) and holds no sentences.
        start = heading.end if text[heading.end : body_end].strip() else body_end
        number = heading.number or heading_number(title)[0]
        sections.append(
            Section(title, start, body_end, heading.start, heading.end, heading.level, number, path)
        )
        above.append((heading.level, title))
    first = headings[0].start if headings else len(text)
    if any(b.start < first for b in blocks if b.kind != HEADING):  # text before any heading
        sections.insert(0, Section("", 0, first))
    return sections
