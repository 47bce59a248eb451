"""Cutting documents into sentence-aligned, overlapping passages with exact offsets."""

from __future__ import annotations

from dataclasses import dataclass

from .documents import Document
from .text import reflow, split_sentences


@dataclass(frozen=True)
class PassageOptions:
    """How passages are cut. Chosen by measurement on the dev set (see README, Quality)."""

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
    """(section title, start, end) of every sentence, section by section."""
    result: list[tuple[str, int, int]] = []
    regions = [(s.title, s.start, s.end) for s in document.sections] or [
        (document.title, 0, len(document.text))
    ]
    for title, start, end in regions:
        for a, b in split_sentences(document.text, start, end):
            result.append((title, a, b))
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
