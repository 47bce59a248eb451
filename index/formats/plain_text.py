"""Plain text read into blocks that point into the file's own text.

Plain text has no markup, so its structure is read from its shape: the first line is the
title; a heading is a numbered line ("1.", "4.2. Termination", "Section 3", "Article 5",
"Chapter II"), a line underlined with ``===`` or ``---``, an all-capitals line, or a short
unpunctuated line after a finished sentence — never a line set further in than the body text,
which is a list item or a wrapped line. A heading never runs into the sentence after it.
Hard-wrapped lines of one paragraph are one block (the sentences reflow them); a blank line
or a line set further out ends it. Rule lines (``-----``) are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..model import (
    HEADING,
    LIST_ITEM,
    PARAGRAPH,
    Block,
    ParsedDocument,
    heading_number,
    number_depth,
)

# Longest line, and most words, a heading of plain text has.
HEADING_MAX_CHARS = 80
HEADING_MAX_WORDS = 12
# A short heading found by its shape alone (no number, no capitals, no underline) is stricter:
# the numbers the first plain-text reader used, measured on the briefing.
SHAPE_HEADING_MAX_CHARS = 70
SHAPE_HEADING_MAX_WORDS = 9
# A line whose indentation is within this many characters of half the free width is centred.
CENTRE_TOLERANCE = 4
# The body's indentation is the smallest that at least this share of the long lines have.
BODY_SHARE = 0.15
_TERMINAL = (".", "!", "?", ":", ";", ",", '"', "'", "\u201d", "\u2019", ")", "-")
_SENTENCE_INSIDE = re.compile(r"[.!?]\s+[A-Z]")
_RULE = re.compile(r"^\s*([-=*_~#+.])(?:\s?\1){2,}\s*$")
_BULLET = re.compile(r"^(\s*)([-*+\u2022\u25e6\u2023o])\s+(?=\S)")
_ENUMERATED = re.compile(r"^(\s*)(\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)])\s+(?=\S)")


@dataclass(frozen=True)
class _Line:
    start: int
    end: int  # without the line break
    text: str

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip())

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def read_text(text: str) -> ParsedDocument:
    """Read plain text; the canonical text is ``text`` itself, unchanged."""
    lines = _lines(text)
    content = [ln for ln in lines if not ln.blank]
    if not content:
        return ParsedDocument(text, "", [])
    reader = _Reader(_body_indent(content), max(len(ln.text.rstrip()) for ln in content))
    reader.blocks.append(Block(HEADING, *_trimmed(content[0]), level=1))
    reader.previous = content[0]
    index = lines.index(content[0]) + 1
    while index < len(lines):
        following = lines[index + 1] if index + 1 < len(lines) else None
        index += reader.take(lines[index], following)
    reader.close()
    blocks = _without_contents(text, _levels(reader.blocks, reader.shaped))
    return ParsedDocument(text, content[0].text.strip(), blocks)


@dataclass
class _Open:
    kind: str
    first: _Line
    last: _Line
    level: int = 0
    number: str = ""
    skip: int = 0  # characters of a list marker before the item's text


class _Reader:
    """Reads lines one at a time into blocks."""

    @property
    def layout(self) -> tuple[int, int]:
        """The body's indentation and the text's width."""
        return self.body_indent, self.width

    def __init__(self, body_indent: int, width: int) -> None:
        self.body_indent = body_indent
        self.width = width
        self.blocks: list[Block] = []
        self.shaped: set[int] = set()  # headings found by their shape alone: levels later
        self.open: _Open | None = None
        self.previous: _Line | None = None
        self.previous_heading = True

    def take(self, line: _Line, following: _Line | None) -> int:
        """Read ``line``; returns how many lines it used (a heading's underline too)."""
        if line.blank or _RULE.match(line.text):
            self.close()
            self.previous = None if line.blank else self.previous
            return 1
        heading = _heading(line, self.previous, following, self.previous_heading, self.layout)
        if heading is not None:
            self.close()
            if heading[0] == 0:
                self.shaped.add(len(self.blocks))
            self.blocks.append(Block(HEADING, *_trimmed(line), level=heading[0], number=heading[1]))
            self.previous, self.previous_heading = line, True
            underlined = following is not None and bool(_RULE.match(following.text))
            return 2 if underlined else 1
        self._take_text(line)
        self.previous, self.previous_heading = line, False
        return 1

    def _take_text(self, line: _Line) -> None:
        marker = _list_marker(line, self.body_indent)
        current = self.open
        if marker is not None:
            self.close()
            self.open = _Open(LIST_ITEM, line, line, marker[0], marker[2], marker[1])
        elif current is not None and _continues(current, line):
            current.last = line
        else:
            self.close()
            self.open = _Open(PARAGRAPH, line, line)

    def close(self) -> None:
        """End the open block."""
        block, self.open = self.open, None
        if block is not None:
            start, end = _trimmed(block.first, block.skip)[0], _trimmed(block.last)[1]
            self.blocks.append(Block(block.kind, start, end, None, block.level, block.number))


def _continues(block: _Open, line: _Line) -> bool:
    """A list item goes on in lines set further in than its marker; a paragraph in lines set
    no further out than its first line."""
    if block.kind == LIST_ITEM:
        return line.indent > block.first.indent
    return line.indent >= block.first.indent - 1


def _levels(blocks: list[Block], shaped: set[int]) -> list[Block]:
    """Levels for headings found by their shape, which carry no number or markup: one directly
    followed by another is a parent (2), and those after it are its sub-headings (3) until the
    next parent (plain text cannot say where a group ends)."""
    level_after_parent = 2
    result = []
    for i, block in enumerate(blocks):
        if i in shaped:
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            parent = following is not None and following.kind == HEADING and (i + 1) in shaped
            level = 2 if parent else level_after_parent
            level_after_parent = 3 if parent else level_after_parent
            block = Block(HEADING, block.start, block.end, None, level, block.number)
        result.append(block)
    return result


def _without_contents(text: str, blocks: list[Block]) -> list[Block]:
    """Without the entries of a table of contents: headings whose words come again, later, as
    the heading of a section (it is found there), when they have no text of their own or the
    same number ("Chapter 1. About this document" after "1. About this document")."""
    later: Counter[str] = Counter(_key(text, b) for b in blocks if b.kind == HEADING)
    kept = []
    for i, block in enumerate(blocks):
        if block.kind == HEADING and block.level > 1:
            key = _key(text, block)
            later[key] -= 1
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            empty = following is None or following.kind == HEADING
            if later[key] > 0 and (empty or block.number):
                continue
        kept.append(block)
    return kept


def _key(text: str, block: Block) -> str:
    return _squash(heading_number(text[block.start : block.end])[1])


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _lines(text: str) -> list[_Line]:
    lines, position = [], 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lines.append(_Line(position, position + len(body), body))
        position += len(raw)
    return lines


def _trimmed(line: _Line, skip: int = 0) -> tuple[int, int]:
    """(start, end) of the line's text without its indentation (and ``skip`` more)."""
    start = line.start + line.indent + skip
    while start < line.end and line.text[start - line.start].isspace():
        start += 1
    return start, line.start + len(line.text.rstrip())


def _body_indent(lines: list[_Line]) -> int:
    """The indentation of running text: the smallest that a good share of the long lines have
    (nested descriptions further in can outnumber the body, as in a menu policy's lists)."""
    counts = Counter(ln.indent for ln in lines if len(ln.text.strip()) > 40)
    total = sum(counts.values())
    return next((i for i in sorted(counts) if counts[i] >= BODY_SHARE * total), 0)


def _heading(
    line: _Line,
    previous: _Line | None,
    following: _Line | None,
    previous_is_heading: bool,
    layout: tuple[int, int],
) -> tuple[int, str] | None:
    """(level, number) when ``line`` is a heading (``layout``: body indentation, width)."""
    body_indent, width = layout
    stripped = line.text.strip()
    words = stripped.split()
    if len(stripped) > HEADING_MAX_CHARS or len(words) > HEADING_MAX_WORDS:
        return None
    if following is not None and _RULE.match(following.text) and _underlines(following, line):
        return (2 if "=" in following.text else 3), heading_number(stripped)[0]
    deeper = line.indent > body_indent and not _centred(line, body_indent, width)
    if deeper or stripped.endswith(_TERMINAL[:6]) or not stripped[0].isalnum():
        return None
    number, rest = heading_number(stripped)
    alone = previous is None or following is None or following.blank
    if number and rest and rest[0].isupper() and (alone or _deeper(following, line)):
        return (min(number_depth(number) + 1, 6), number) if number[0].isdigit() else (2, number)
    if _all_capitals(stripped) and alone and len(words) <= 10:
        return 2, ""
    if line.indent != body_indent and following is not None and not _deeper(following, line):
        return None  # set apart from the body, like the lines after it: an example's lines
    return _shape_heading(line, previous, following, previous_is_heading)


def _shape_heading(
    line: _Line, previous: _Line | None, following: _Line | None, previous_is_heading: bool
) -> tuple[int, str] | None:
    """A short unpunctuated line after a finished sentence (a wrapped body line continues the
    sentence before it). Its level is settled by :func:`_levels`."""
    stripped = line.text.strip()
    if len(stripped) > SHAPE_HEADING_MAX_CHARS or len(stripped.split()) > SHAPE_HEADING_MAX_WORDS:
        return None
    if not stripped[0].isupper() or stripped.endswith(_TERMINAL) or stripped.endswith("*"):
        return None
    opening = following.text.lstrip()[:1] if following is not None else ""
    if not (opening.isupper() or opening.isdigit()):
        return None  # a heading's next line starts a sentence, a wrapped line's goes on
    if ": " in stripped or _SENTENCE_INSIDE.search(stripped):
        return None  # "Files: src/*" is a field of an example; a heading holds no full stop
    finished = (
        previous_is_heading
        or previous is None
        or previous.blank
        or previous.text.rstrip().endswith((".", "!", "?"))
    )
    return (0, "") if finished else None


def _underlines(rule: _Line, line: _Line) -> bool:
    return abs(len(rule.text.strip()) - len(line.text.strip())) <= max(3, len(line.text) // 4)


def _centred(line: _Line, body_indent: int, width: int) -> bool:
    """Set in the middle of the text's width (a chapter title), not merely further in."""
    margin = (width - len(line.text.strip())) / 2
    return line.indent > body_indent + 4 and abs(line.indent - margin) <= CENTRE_TOLERANCE


def _deeper(following: _Line | None, line: _Line) -> bool:
    return following is not None and following.indent > line.indent


def _all_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


def _list_marker(line: _Line, body_indent: int) -> tuple[int, int, str] | None:
    """(nesting level, marker length, marker) of a list item's first line."""
    match = _BULLET.match(line.text) or _ENUMERATED.match(line.text)
    if match is None:
        return None
    depth = 1 + max(0, (line.indent - body_indent) // 4)
    return depth, len(match.group(0)) - line.indent, match.group(2)
