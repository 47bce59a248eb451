"""How far reading one file may go: time, memory, OCR and the caps on what a file may hold.

A file that passes a cap fails alone, with a reason a user can act on ("over 20,000
headings"), and the rest of the library is read as usual (issue #23). The service sets these
from its Settings; the defaults are what the README promises.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ReadOptions:
    """Limits and switches for reading documents.

    Attributes:
        ocr: read pages that have no text layer with offline OCR (off: such a PDF is refused,
            with that reason).
        max_ocr_pages: most pages of one document OCR reads (~1-5 s a page on 2 cores).
        seconds: wall time one file may take to read; past it the reader is stopped.
        memory_mb: address space the reading process may use (a decompression bomb stops here).
        max_headings: more headings than this is not a document to answer from but a list.
        max_blocks: more paragraphs, items and rows than this likewise.
        max_word_chars: a run of this many characters without a space is not prose (a blob of
            encoded data); the block holding it is left out.
        workers: files read at the same time, each in a process of its own.
    """

    ocr: bool = True
    max_ocr_pages: int = 100
    seconds: float = 120.0
    memory_mb: int = 3072
    max_headings: int = 20_000
    max_blocks: int = 250_000
    max_word_chars: int = 2_000
    workers: int = 2

    def result_key(self) -> str:
        """What, besides the file's bytes, decides what reading it gives (the parse cache's
        key): every switch and cap, and the time and memory (a file that ran out of either is
        tried again when they are raised); not the number of workers."""
        fields = asdict(self)
        fields.pop("workers")
        return ",".join(f"{k}={v}" for k, v in sorted(fields.items()))
