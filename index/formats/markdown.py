"""Reads Markdown into the document model by its CommonMark tokens; the canonical text is the
file's own text, unchanged, and every block points into it.

Levels: when the first heading is the document's only level-1 heading (``#`` or ``===``), it
is the title, level 1, and ``##`` is a top-level heading (2), ``###`` 3, and so on; otherwise
every ``#`` is a top-level heading (2), ``##`` is 3, and so on, at most 6. A heading's block
leaves out its ``#`` marks; a list item's leaves out its marker, kept in ``number`` ("•" for a
bullet, the number as written for an ordered item: "3.", "4)"); a table row's block is its
line as written (the text is the file's, so rows are not relabelled by their header as in Word
and HTML). Rules, raw HTML blocks and a leading YAML front matter give no block.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..model import (
    CODE,
    HEADING,
    LIST_ITEM,
    PARAGRAPH,
    TABLE_ROW,
    Block,
    ParsedDocument,
    heading_number,
)

BULLET = "\u2022"
# Line breaks as markdown-it counts lines: it turns "\r\n" and a lone "\r" into "\n".
_LINE_BREAK = re.compile(r"\r\n?|\n")
# YAML front matter: "---", a "key:" line, more lines, "---" or "..." (markdown-it would read
# it as a rule and a heading).
_FRONT_MATTER = re.compile(
    r"---[ \t]*\r?\n[\w-]+:.*\r?\n(?:.*\r?\n)*?(?:---|\.\.\.)[ \t]*(?:\r?\n|$)"
)
# What comes before a block's words on its first line: indentation, quote marks, a marker.
_LINE_PREFIX = re.compile(r"[ \t>]*(?:(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$))?[ \t]*")
# Blocks only: their offsets need no inline parsing, which is a third of markdown-it's time.
_PARSER = MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])
_INLINE = MarkdownIt("commonmark")  # for the title's plain words


def read_markdown(text: str) -> ParsedDocument:
    """The blocks of a Markdown text; the title is its first level-1 heading ("" if none)."""
    lines = _Lines(text)
    tokens = _PARSER.parse(_without_front_matter(text))
    headings = [t for t in tokens if t.type == "heading_open"]
    ones = [t for t in headings if t.tag == "h1"]
    title_first = bool(ones) and ones[0] is headings[0] and len(ones) == 1
    title = ""
    blocks: list[Block] = []
    items: list[_Item] = []  # the open list items, outermost first
    list_depth = 0
    for i, token in enumerate(tokens):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
        elif kind == "list_item_open":
            items.append(_Item(_marker(token), list_depth))
        elif kind == "list_item_close":
            items.pop()
        elif kind == "heading_open":
            if ones and token is ones[0]:
                title = _plain_words(tokens[i + 1].content)
            level = _heading_level(int(token.tag[1]), title_first)
            _append(blocks, _heading(token, tokens[i + 1], lines, level))
        elif kind == "paragraph_open":
            _append(blocks, _paragraph(token, tokens[i + 1], lines, items))
        elif kind in ("fence", "code_block"):
            _append(blocks, _code(token, lines))
        elif kind == "tr_open":
            start, end = lines.content(_first_line(token))
            _append(blocks, Block(TABLE_ROW, start, end))
    return ParsedDocument(text, title, blocks)


class _Item:
    """An open list item: its marker goes to its first block only."""

    def __init__(self, marker: str, level: int) -> None:
        self.marker = marker
        self.level = level


class _Lines:
    """Where each line of the text starts and ends (without its line break)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.ends: list[int] = []
        for match in _LINE_BREAK.finditer(text):
            self.ends.append(match.start())
            self.starts.append(match.end())
        self.ends.append(len(text))

    def line(self, n: int) -> str:
        n = min(n, len(self.starts) - 1)
        return self.text[self.starts[n] : self.ends[n]]

    def content(self, n: int, words: str = "") -> tuple[int, int]:
        """The span of line ``n`` without its indentation, quote marks and list marker (or,
        when ``words`` is given and ends the line, from where they start), and without
        trailing spaces."""
        n = min(n, len(self.starts) - 1)
        line = self.line(n)
        stripped = line.rstrip()
        if words and stripped.endswith(words.rstrip()):
            start = len(stripped) - len(words.rstrip())
        else:
            prefix = _LINE_PREFIX.match(line)
            start = prefix.end() if prefix else 0
        return self.starts[n] + start, self.starts[n] + max(start, len(stripped))


def _heading(opening: Token, inline: Token, lines: _Lines, level: int) -> Block | None:
    """A heading's words: an ATX heading without its ``#`` marks, a setext one without its
    underline."""
    words = inline.content
    if not words.strip():
        return None
    first = _first_line(opening)
    if opening.markup.startswith("#"):
        line = lines.line(first)
        after_marks = len(line) - len(line.lstrip(" \t")) + len(opening.markup)
        at = line.find(words, after_marks)
        start = lines.starts[first] + (at if at >= 0 else after_marks)
        end = start + len(words) if at >= 0 else lines.content(first)[1]
    else:
        last = (opening.map or [first, first + 2])[1] - 2  # the line above the underline
        start = lines.content(first, words.split("\n")[0])[0]
        end = lines.content(last)[1]
    number = heading_number(" ".join(words.split()))[0]
    return Block(HEADING, start, end, level=level, number=number)


def _paragraph(opening: Token, inline: Token, lines: _Lines, items: list[_Item]) -> Block:
    """A paragraph; inside a list item, a list item block, the item's marker on its first."""
    first = _first_line(opening)
    last = (opening.map or [first, first + 1])[1] - 1
    start = lines.content(first, inline.content.split("\n")[0])[0]
    end = lines.content(last)[1]
    if not items:
        return Block(PARAGRAPH, start, end)
    item = items[-1]
    marker, item.marker = item.marker, ""
    return Block(LIST_ITEM, start, end, level=item.level, number=marker)


def _code(token: Token, lines: _Lines) -> Block | None:
    """A code block's lines as written, from its first character to its last; a fenced one
    without its fences."""
    if not token.content.strip():
        return None
    first = _first_line(token) + (1 if token.type == "fence" else 0)
    last = first + token.content.count("\n") - 1
    while not lines.line(first).strip():  # blank lines at its ends are not its text
        first += 1
    while not lines.line(last).strip():
        last -= 1
    line = lines.line(first)
    start = lines.starts[first] + len(line) - len(line.lstrip())
    return Block(CODE, start, lines.starts[last] + len(lines.line(last).rstrip()))


def _append(blocks: list[Block], block: Block | None) -> None:
    """Add a block that has text and starts after the last one (a lazy or odd construct can
    give a span already covered)."""
    if block is None or block.end <= block.start:
        return
    if blocks and block.start < blocks[-1].end:
        return
    blocks.append(block)


def _heading_level(hashes: int, title_first: bool) -> int:
    return hashes if title_first else min(hashes + 1, 6)


def _marker(token: Token) -> str:
    return f"{token.info}{token.markup}" if token.info else BULLET


def _first_line(token: Token) -> int:
    return token.map[0] if token.map else 0


def _plain_words(markdown: str) -> str:
    """Inline Markdown's words without their markup: "The *new* `ls`" -> "The new ls"."""
    children = _INLINE.parseInline(markdown)[0].children or []
    words = [
        " " if child.type in ("softbreak", "hardbreak") else child.content
        for child in children
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    ]
    return " ".join("".join(words).split())


def _without_front_matter(text: str) -> str:
    """The text with a leading YAML front matter made blank lines, so that markdown-it finds
    no blocks in it and counts the lines after it as they are."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return text
    return "\n" * len(_LINE_BREAK.findall(match.group())) + text[match.end() :]
