"""Documents of the corpus folder: each file read by the reader of its format into the
document model (index/model.py), then checked against the caps of :class:`ReadOptions`.

Every offset in the index points into :attr:`Document.text`. For ``.txt`` and ``.md`` files that
is the file's own text, byte-for-byte decoded, so a citation can be checked against the file;
for PDF, HTML and Word it is the text the reader made, one block per paragraph.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .model import HEADING, Block, ParsedDocument
from .problems import DocumentError
from .read_options import ReadOptions
from .sections import Section, sections_from_blocks

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm", ".docx")
_LONG_WORD = "[^\\s]{{{n},}}"


@dataclass
class Document:
    """A corpus document with the text every offset refers to, and its blocks."""

    id: str
    path: str
    title: str
    text: str
    format: str
    digest: str
    sections: list[Section] = field(default_factory=list)
    page_starts: list[int] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page containing ``offset``, or None for documents without pages."""
        if not self.page_starts:
            return None
        return max(1, bisect.bisect_right(self.page_starts, offset))

    def section_at(self, offset: int) -> Section | None:
        """The section whose body contains ``offset``."""
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None


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


def read_document(path: Path, corpus_dir: Path, options: ReadOptions | None = None) -> Document:
    """Read one corpus file into a :class:`Document`, in this process.

    Args:
        path: the file.
        corpus_dir: the corpus root, used for the document's id and relative path.
        options: OCR and the caps (default: :class:`ReadOptions`' defaults).

    Raises:
        DocumentError: the file cannot be read, holds no text, or passes a cap; the message
            starts with the file's path and says why.
    """
    relative = path.relative_to(corpus_dir).as_posix()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{relative}: cannot read ({exc.strerror})") from exc
    try:
        parsed = parse_file(path, raw, options or ReadOptions())
    except DocumentError as exc:
        raise DocumentError(f"{relative}: {exc}") from exc
    except RecursionError as exc:
        raise DocumentError(f"{relative}: nested too deeply to read") from exc
    except MemoryError as exc:
        raise DocumentError(f"{relative}: needs more memory to read than allowed") from exc
    except Exception as exc:  # a broken file can raise almost anything from its parser
        raise DocumentError(f"{relative}: cannot parse ({type(exc).__name__}: {exc})") from exc
    return as_document(parsed, relative, hashlib.sha256(raw).hexdigest(), path.suffix)


def as_document(parsed: ParsedDocument, relative: str, digest: str, suffix: str) -> Document:
    """The :class:`Document` of a parsed file found at ``relative`` in the corpus."""
    suffix = suffix.lower()
    stem = Path(relative).stem
    return Document(
        id=document_id(relative),
        path=relative,
        title=parsed.title or stem.replace("-", " ").replace("_", " "),
        text=parsed.text,
        format="html" if suffix == ".htm" else suffix.lstrip("."),
        digest=digest,
        sections=sections_from_blocks(parsed.text, parsed.blocks),
        page_starts=parsed.page_starts,
        blocks=parsed.blocks,
    )


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
        from .read_docx import read_docx

        parsed = read_docx(raw)
    elif suffix in (".html", ".htm"):
        from .read_html import read_html

        parsed = read_html(_decode(raw))
    elif suffix == ".md":
        parsed = _read_markdown(_decode(raw))
    else:
        from .read_text import read_text

        parsed = read_text(_decode(raw))
    return parsed


def _read_pdf(path: Path, options: ReadOptions) -> ParsedDocument:
    from .read_pdf import read_pdf
    from .scans import scanned_page_reader

    return read_pdf(path, scanned_page_reader(path, options))


def _read_markdown(text: str) -> ParsedDocument:
    """Markdown by its headings; without any (an article pasted as .md), as plain text, whose
    first line is its title."""
    from .read_markdown import read_markdown
    from .read_text import read_text

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
