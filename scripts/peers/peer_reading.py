"""Reading files the way the tutorials' loaders do: PDF through pypdf's page text, HTML as its
visible text, .txt and .md as they are (for scripts/peers/bench_peers.py)."""

from __future__ import annotations

import logging
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_data import PEER_SUFFIXES

# --- reading files the tutorials' way ---------------------------------------------------------

_BLOCK_TAGS = frozenset(
    """address article aside blockquote body br caption dd div dl dt figcaption figure footer
    form h1 h2 h3 h4 h5 h6 head header hr html li main nav ol p pre section table tbody td tfoot
    th thead title tr ul""".split()
)
_HIDDEN_TAGS = frozenset({"script", "style"})


class _VisibleText(HTMLParser):
    """Text a browser shows: no script/style, whitespace collapsed outside <pre>, blocks on
    lines of their own."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._enter(tag, 1)

    def handle_endtag(self, tag: str) -> None:
        self._enter(tag, -1)

    def _enter(self, tag: str, step: int) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden + step)
        elif tag == "pre":
            self.pre = max(0, self.pre + step)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        """The visible text, one blank line at most between blocks."""
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        kept: list[str] = []
        for line in lines:
            if line or (kept and kept[-1]):
                kept.append(line)
        return "\n".join(kept).strip()


def html_text(path: Path) -> str:
    """An HTML file's visible text."""
    parser = _VisibleText()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser.text()


def pdf_text(path: Path) -> str:
    """A PDF's text as pypdf extracts it, pages joined by newlines."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # font warnings, not failures
    reader = PdfReader(str(path))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def read_peer_documents(corpus: Path) -> list[tuple[str, str]]:
    """(file name, text) for every document the peers can read."""
    documents = []
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        suffix = path.suffix.lower()
        if suffix not in PEER_SUFFIXES:
            continue
        if suffix == ".pdf":
            text = pdf_text(path)
        elif suffix in (".html", ".htm"):
            text = html_text(path)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        documents.append((path.name, text))
    return documents
