"""One file's bytes to the document model, by the reader of its suffix, within the caps of
:class:`ReadOptions` (a run of characters too long to be words, too many headings or blocks,
no text). The readers themselves are the other modules of this package."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import HEADING, ParsedDocument
from ..problems import DocumentError
from .options import ReadOptions

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
_LONG_WORD = "[^\\s]{{{n},}}"


def parse_file(path: Path, raw: bytes, options: ReadOptions) -> ParsedDocument:
    """The document model of one file, by its suffix, within the caps of ``options``.

    Raises:
        DocumentError: why the file cannot be read or used.
    """
    try:
        parsed = _parse(path, raw, options)
    except ValueError as exc:  # the readers say what is wrong with a file in a ValueError
        raise DocumentError(str(exc)) from exc
    return within_caps(parsed, options)


def _parse(path: Path, raw: bytes, options: ReadOptions) -> ParsedDocument:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        parsed = _read_pdf(path, options)
    elif suffix == ".docx":
        from .docx import read_docx

        parsed = read_docx(raw)
    elif suffix in (".html", ".htm"):
        from .html import read_html

        parsed = read_html(_decode(raw))
    elif suffix == ".md":
        parsed = _read_markdown(_decode(raw))
    else:
        from .plain_text import read_text

        parsed = read_text(_decode(raw))
    return parsed


def _read_pdf(path: Path, options: ReadOptions) -> ParsedDocument:
    from .pdf import read_pdf
    from .scans import scanned_page_reader

    return read_pdf(path, scanned_page_reader(path, options))


def _read_markdown(text: str) -> ParsedDocument:
    """Markdown by its headings; without any (an article pasted as .md), as plain text, whose
    first line is its title."""
    from .markdown import read_markdown
    from .plain_text import read_text

    parsed = read_markdown(text)
    if not any(b.kind == HEADING for b in parsed.blocks):
        return read_text(text)
    return parsed


def within_caps(parsed: ParsedDocument, options: ReadOptions) -> ParsedDocument:
    """``parsed`` without blocks holding a run of characters too long to be words; refused
    when it has too many headings or blocks, or no text.

    Raises:
        DocumentError: the reason, with the figure and the cap.
    """
    headings = sum(b.kind == HEADING for b in parsed.blocks)
    if headings > options.max_headings:
        raise DocumentError(
            f"over {options.max_headings:,} headings ({headings:,}): not a document to answer "
            "from; split it, or raise BRIEFING_QA_MAX_HEADINGS"
        )
    if len(parsed.blocks) > options.max_blocks:
        raise DocumentError(
            f"over {options.max_blocks:,} paragraphs, items and rows ({len(parsed.blocks):,}); "
            "split it, or raise BRIEFING_QA_MAX_BLOCKS"
        )
    long_word = re.compile(_LONG_WORD.format(n=options.max_word_chars))
    kept = [b for b in parsed.blocks if not long_word.search(parsed.text, b.start, b.end)]
    notes = list(parsed.notes)
    if len(kept) < len(parsed.blocks):
        longest = max((len(m) for m in long_word.findall(parsed.text)), default=0)
        notes.append(
            f"{len(parsed.blocks) - len(kept)} blocks left out: a run of {longest:,} characters "
            f"without a space is not text (longest allowed {options.max_word_chars:,})"
        )
    if not any(parsed.text[b.start : b.end].strip() for b in kept if b.kind != HEADING):
        raise DocumentError(_no_text_reason(notes))
    return ParsedDocument(parsed.text, parsed.title, kept, parsed.page_starts, notes)


def _no_text_reason(notes: list[str]) -> str:
    telling = [n for n in notes if "left out" in n or "no text layer" in n]
    return "no text to index" + (f" ({'; '.join(telling)})" if telling else "")


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
