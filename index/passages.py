"""Cutting documents into sentence-aligned, overlapping passages with exact offsets."""

from __future__ import annotations

from dataclasses import dataclass

from .documents import Document
from .model import CODE, HEADING, TABLE_ROW
from .text import reflow, split_sentences

# Blocks quoted whole: a table row reads as one statement, and code has no sentences.
WHOLE_BLOCKS = (TABLE_ROW, CODE)


@dataclass(frozen=True)
class PassageOptions:
    """How passages are cut. Chosen by measurement on the dev set (docs/quality.md)."""

    max_sentences: int = 3
    max_chars: int = 700
    overlap_sentences: int = 1


@dataclass(frozen=True)
class SentenceRecord:
    """One sentence of a document: offsets into the document text and its reflowed text."""

    document_id: str
    section: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class PassageRecord:
    """A run of consecutive sentences inside one section.

    ``sentence_ids`` index the global sentence list; ``text`` is the reflowed source
    ``document.text[start:end]``.
    """

    document_id: str
    section: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]
    page: int | None = None

    @property
    def search_text(self) -> str:
        """What is embedded and BM25-indexed: the section title gives a passage its topic."""
        return f"{self.section}. {self.text}" if self.section else self.text


def document_sentences(document: Document) -> list[tuple[str, int, int]]:
    """(section title, start, end) of every sentence, block by block: a sentence never runs
    from one block into the next (a heading into its first sentence, one list item into the
    next); a table row or a piece of code is one "sentence" as it stands."""
    result: list[tuple[str, int, int]] = []
    sections = iter(document.sections)
    section = next(sections, None)
    for block in document.blocks:
        if block.kind == HEADING:
            continue
        while section is not None and block.start >= section.end:
            section = next(sections, None)
        title = section.title if section is not None else document.title
        if block.kind in WHOLE_BLOCKS:
            spans = [(block.start, block.end)]
        else:
            spans = split_sentences(document.text, block.start, block.end)
        result.extend((title, a, b) for a, b in spans)
    return result


def cut_passages(
    document: Document, first_sentence_id: int, options: PassageOptions
) -> tuple[list[SentenceRecord], list[PassageRecord]]:
    """Split a document into sentences and overlapping passages.

    Args:
        document: the document to cut.
        first_sentence_id: the global id the document's first sentence gets.
        options: passage size and overlap.

    Returns:
        The document's sentences and its passages; passages never cross a section boundary
        and always start and end on sentence boundaries.
    """
    sentences = [
        SentenceRecord(document.id, title, a, b, reflow(document.text[a:b]))
        for title, a, b in document_sentences(document)
    ]
    passages: list[PassageRecord] = []
    i = 0
    while i < len(sentences):
        section = sentences[i].section
        j = i + 1
        while (
            j < len(sentences)
            and j - i < options.max_sentences
            and sentences[j].section == section
            and sentences[j].end - sentences[i].start <= options.max_chars
        ):
            j += 1
        start, end = sentences[i].start, sentences[j - 1].end
        passages.append(
            PassageRecord(
                document_id=document.id,
                section=section,
                start=start,
                end=end,
                text=reflow(document.text[start:end]),
                sentence_ids=tuple(range(first_sentence_id + i, first_sentence_id + j)),
                page=document.page_at(start),
            )
        )
        if j >= len(sentences) or sentences[j].section != section:
            i = j  # a new section starts fresh: no overlap across headings
        else:
            i = max(i + 1, j - options.overlap_sentences)
    return sentences, passages
