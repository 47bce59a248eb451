"""Lines of a PDF joined into a block's text: a word hyphenated at a line's end made whole
again unless the document writes it with its hyphen, addresses broken at a line's end rejoined,
code kept line by line with its indentation."""

from __future__ import annotations

import re
from collections import Counter

from .pdf_lines import SOFT_HYPHEN, PdfLine

WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_BROKEN = re.compile(rf"[^\W\d_]*{SOFT_HYPHEN}[^\W\d_]*")


def whole_words(lines: list[PdfLine]) -> Counter[str]:
    """The document's words, lower-cased and counted, without the pieces of words broken at a
    line's end ("construc-" / "tion"): what tells a line-end hyphen from a word's own."""
    words: Counter[str] = Counter()
    broken_before = False
    for line in lines:
        found = WORD.findall(_BROKEN.sub(" ", line.text))
        if broken_before and found:
            found = found[1:]
        broken_before = line.text.endswith("-")
        if broken_before and found:
            found = found[:-1]
        words.update(w.lower() for w in found)
    return words


def code_text(lines: list[PdfLine]) -> str:
    left = min(line.x0 for line in lines)
    width = max(line.size for line in lines) * 0.6  # a monospace character's advance
    return "\n".join(" " * round((line.x0 - left) / width) + line.text for line in lines)


def joined(lines: list[PdfLine], vocabulary: Counter[str] | None) -> str:
    text = ""
    for line in lines:
        text = join_lines(text, line.text, vocabulary) if text else line.text
    return resolve_soft_hyphens(text, vocabulary)


def joined_with_pages(
    lines: list[PdfLine], pages: list[int], first_page: int, vocabulary: Counter[str], shift: int
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The text of a block's ``lines`` (on ``pages``, the block starting on ``first_page``),
    and where in it (after a prefix of ``shift`` characters) a new page begins."""
    text, breaks = "", list[tuple[int, int]]()
    for line, page in zip(lines, pages, strict=True):
        before = len(text)
        text = join_lines(text, line.text, vocabulary) if text else line.text
        if page != first_page and (not breaks or breaks[-1][1] != page):
            breaks.append((shift + before, page))
    resolved = resolve_soft_hyphens(text, vocabulary)
    if len(resolved) != len(text):  # offsets moved: place the breaks again, proportionally
        breaks = [(shift + round((o - shift) * len(resolved) / len(text)), p) for o, p in breaks]
    return resolved, tuple(breaks)


_SOFT = re.compile(rf"([^\W\d_]+){SOFT_HYPHEN}([^\W\d_]+)")


def resolve_soft_hyphens(text: str, vocabulary: Counter[str] | None) -> str:
    """PDFium's marked line-end hyphens: dropped inside a word, kept inside a compound."""
    if SOFT_HYPHEN not in text:
        return text

    def resolve(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        if vocabulary is not None and drop_hyphen(head, tail, vocabulary):
            return head + tail
        return f"{head}-{tail}"

    return _SOFT.sub(resolve, text).replace(SOFT_HYPHEN, "-")


def join_lines(before: str, after: str, vocabulary: Counter[str] | None) -> str:
    if before.endswith("-") and len(before) > 1 and before[-2].isalpha() and after[:1].islower():
        head = WORD.findall(before[:-1])
        tail = WORD.findall(after)
        if head and tail and vocabulary is not None and drop_hyphen(head[-1], tail[0], vocabulary):
            return before[:-1] + after
        return before + after
    last = before.split()[-1] if before.split() else ""
    if last.endswith(("/", ".", "-", "_", "@")) and (
        "@" in last or "://" in last or "www." in last
    ):
        return before + after  # an address broken at the end of a line
    return f"{before} {after}"


def drop_hyphen(head: str, tail: str, vocabulary: Counter[str]) -> bool:
    """Whether "head-" at a line's end and "tail" on the next are one word hyphenated."""
    joined, hyphenated = f"{head}{tail}".lower(), f"{head}-{tail}".lower()
    if vocabulary[joined] or vocabulary[hyphenated]:
        return vocabulary[joined] >= vocabulary[hyphenated]
    last_part = head.lower().split("-")[-1]
    return not (vocabulary[last_part] and vocabulary[tail.lower()] and len(tail) > 2)
