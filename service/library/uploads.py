"""Checking uploaded files before they reach the corpus: the type is what the name says, there
is text to index, and the stored name is ours, never a path the client chose."""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from index import DocumentError, read_document

ALLOWED_SUFFIXES = (".txt", ".md", ".pdf", ".html", ".htm")
UPLOAD_FOLDER = "uploads"


@dataclass(frozen=True)
class Accepted:
    """A file that passed every check, with the name it will have in the corpus."""

    filename: str
    stored_name: str
    data: bytes
    digest: str
    pages: int


class Rejected(Exception):
    """A file refused, with a reason a person understands."""


def check_upload(filename: str, data: bytes, max_bytes: int) -> Accepted:
    """Accept ``data`` as a document or raise :class:`Rejected` saying why."""
    shown = display_name(filename)
    suffix = Path(shown).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(ALLOWED_SUFFIXES)
        raise Rejected(f"unsupported file type {suffix or '(none)'}; use {allowed}")
    if not data:
        raise Rejected("the file is empty")
    if len(data) > max_bytes:
        raise Rejected(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    if suffix == ".pdf" and not data.startswith(b"%PDF-"):
        raise Rejected("this is not a PDF file, whatever its name says")
    if suffix != ".pdf" and (b"\x00" in data[:4096] or _looks_binary(data)):
        raise Rejected(f"this is not a text file, whatever its name says ({suffix})")
    digest = hashlib.sha256(data).hexdigest()
    stored = f"{safe_stem(shown)}-{digest[:8]}{suffix}"
    pages = _readable(stored, data, suffix)
    return Accepted(shown, stored, data, digest, pages)


def display_name(filename: str) -> str:
    """The file's own name without any folders a client put in front of it."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    return name.strip() or "document"


def safe_stem(name: str) -> str:
    """A name for the corpus folder made of letters, digits and dashes."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", Path(name).stem).strip("-").lower()
    return stem[:80] or "document"


def _looks_binary(data: bytes) -> bool:
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(data[:65536]) - 4  # a cut multi-byte character at the end is fine
    return False


def _readable(stored: str, data: bytes, suffix: str) -> int:
    """Parse the file as the index will; the number of pages (0 for text), or Rejected."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / stored
        path.write_bytes(data)
        try:
            document = read_document(path, Path(folder))
        except DocumentError as exc:
            message = str(exc).split(": ", 1)[-1]
            if suffix == ".pdf" and "no text" in message:
                raise Rejected("no text to index \u2014 scanned?") from None
            raise Rejected(message) from None
    return len(document.page_starts)
