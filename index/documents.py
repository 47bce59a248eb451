"""Documents of the corpus folder: each file read by the reader of its format into the
document model (index/model.py; the readers and the caps: index/formats/).

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

from .formats.options import ReadOptions
from .formats.parse import SUPPORTED_SUFFIXES, parse_file
from .model import Block, ParsedDocument
from .problems import DocumentError
from .sections import Section, sections_from_blocks


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
