"""Checking uploaded files before they reach the corpus: the type is what the name says, the
size is allowed, and the stored name is ours, never a path the client chose.

Only cheap checks happen here, in the request: reading the file (a 200-page PDF, a scan to OCR,
a hostile file) is the build's work, in a process of its own within a time and memory budget
(index/formats/isolation.py); a file that cannot be read ends "failed" in the library, with the
reason.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from index import SUPPORTED_SUFFIXES

ALLOWED_SUFFIXES = SUPPORTED_SUFFIXES
UPLOAD_FOLDER = "uploads"


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated where it is shown."""
    return msgid


# Why a file is refused, by code: the English is the catalogue's source text; the web layer
# says it in the reader's language (service/web/library_api.py).
REJECTIONS = {
    "unsupported_type": N_("unsupported file type %(suffix)s; use %(allowed)s"),
    "empty": N_("the file is empty"),
    "too_large": N_("the file is larger than %(mb)s MB"),
    "not_pdf": N_("this is not a PDF file, whatever its name says"),
    "not_docx": N_("this is not a Word .docx file, whatever its name says"),
    "not_text": N_("this is not a text file, whatever its name says (%(suffix)s)"),
}
# A failure the build records for an upload it did not index (translated where it is shown).
NOT_IN_INDEX = N_("not in the index (removed?)")


@dataclass(frozen=True)
class Accepted:
    """A file that passed every check, with the name it will have in the corpus."""

    filename: str
    stored_name: str
    data: bytes
    digest: str


class Rejected(Exception):
    """A file refused, with a reason a person understands: a code of :data:`REJECTIONS` and
    the values its sentence needs (``str()`` is the English sentence)."""

    def __init__(self, code: str, **params: str) -> None:
        self.code = code
        self.params = params
        super().__init__(self.sentence())

    def sentence(self, gettext: Callable[[str], str] = str) -> str:
        """The reason in the language of ``gettext`` (default: the English source)."""
        said = gettext(REJECTIONS[self.code])
        return said % self.params if self.params else said


def check_upload(filename: str, data: bytes, max_bytes: int) -> Accepted:
    """Accept ``data`` as a document or raise :class:`Rejected` saying why."""
    shown = display_name(filename)
    suffix = Path(shown).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        allowed = ", ".join(ALLOWED_SUFFIXES)
        raise Rejected("unsupported_type", suffix=suffix or "(none)", allowed=allowed)
    if not data:
        raise Rejected("empty")
    if len(data) > max_bytes:
        raise Rejected("too_large", mb=str(max_bytes // (1024 * 1024)))
    if suffix == ".pdf" and not data.startswith(b"%PDF-"):
        raise Rejected("not_pdf")
    if suffix == ".docx" and not _is_word(data):
        raise Rejected("not_docx")
    if suffix not in (".pdf", ".docx") and (b"\x00" in data[:4096] or _looks_binary(data)):
        raise Rejected("not_text", suffix=suffix)
    digest = hashlib.sha256(data).hexdigest()
    stored = f"{safe_stem(shown)}-{digest[:8]}{suffix}"
    return Accepted(shown, stored, data, digest)


def display_name(filename: str) -> str:
    """The file's own name without any folders a client put in front of it, nor control or
    direction-changing characters (a right-to-left override makes "cod.exe" look like
    "exe.doc")."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    shown = "".join(c for c in name if unicodedata.category(c) not in _HIDDEN_CATEGORIES)
    return shown.strip()[:200] or "document"


# Control, format (bidirectional overrides, zero-width) and unassigned characters.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs"}


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


def _is_word(data: bytes) -> bool:
    """A zip holding word/document.xml (only the zip's directory is read, not its contents)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False
