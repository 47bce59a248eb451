"""Reading documents from the corpus folder: text, title, sections (and pages for PDF).

Every offset in the index points into :attr:`Document.text`. For ``.txt`` and ``.md`` files that
is the file's own text, byte-for-byte decoded, so a citation can be checked against the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .formats import Section, markdown_sections, parse_html, parse_pdf, plain_text_sections

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm")


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
            text, title, sections, pages = parse_pdf(path)
        elif suffix in (".html", ".htm"):
            text, title, sections = parse_html(_decode(raw))
            pages = []
        elif suffix == ".md":
            text = _decode(raw)
            title, sections = markdown_sections(text)
            pages = []
        else:
            text = _decode(raw)
            title, sections = plain_text_sections(text)
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
