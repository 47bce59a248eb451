"""Cutting documents into sentence-aligned, overlapping passages with exact offsets, each
knowing where it is: its section, the headings above it, the document, and (for a list item)
the sentence that leads into the list."""

from __future__ import annotations

from dataclasses import dataclass

from .documents import Document
from .model import CODE, HEADING, LIST_ITEM, PARAGRAPH, TABLE_ROW, Block
from .sections import Section
from .text import reflow, split_sentences

# Blocks quoted whole: a table row reads as one statement, and code has no sentences.
WHOLE_BLOCKS = (TABLE_ROW, CODE)
# Between the parts of a heading path ("5.6.12 Version · Control files · Debian Policy Manual").
PATH_SEPARATOR = " \u00b7 "


@dataclass(frozen=True)
class PassageOptions:
    """How passages are cut. Chosen by measurement on the dev set (docs/quality.md)."""

    max_sentences: int = 3
    max_chars: int = 700
    overlap_sentences: int = 1


@dataclass(frozen=True)
class SentenceRecord:
    """One sentence of a document: offsets into the document text, its reflowed text, and
    the kind of block it is in (paragraph, list item, table row, footnote, …)."""

    document_id: str
    section: str
    start: int
    end: int
    text: str
    kind: str = PARAGRAPH


@dataclass(frozen=True)
class PassageRecord:
    """A run of consecutive sentences inside one section.

    ``sentence_ids`` index the global sentence list; ``text`` is the reflowed source
    ``document.text[start:end]``; ``context`` is where it sits — its heading path and the
    document's title, and for list items the sentence that leads into the list.
    """

    document_id: str
    section: str
    start: int
    end: int
    text: str
    sentence_ids: tuple[int, ...]
    page: int | None = None
    context: str = ""

    @property
    def search_text(self) -> str:
        """What is embedded and BM25-indexed: the passage with where it is, so the words a
        question uses for its section find it."""
        where = self.context or self.section
        return f"{where}. {self.text}" if where else self.text


@dataclass(frozen=True)
class _Sentence:
    section: Section | None
    start: int
    end: int
    kind: str
    lead_in: str  # for a list item: the sentence before its list


def heading_path(document: Document, section: Section | None) -> str:
    """ "5.6.12 Version · Control files and their fields · Debian Policy Manual": the section,
    the headings above it, the document's title (each once)."""
    parts = [section.title, *reversed(section.path)] if section and section.title else []
    if document.title and all(p.lower() != document.title.lower() for p in parts):
        parts.append(document.title)
    return PATH_SEPARATOR.join(p for p in parts if p)


def document_sentences(document: Document) -> list[tuple[str, int, int]]:
    """(section title, start, end) of every sentence, block by block."""
    return [(_title(document, s.section), s.start, s.end) for s in _sentences(document)]


def _sentences(document: Document) -> list[_Sentence]:
    """Every sentence, block by block: a sentence never runs from one block into the next (a
    heading into its first sentence, one list item into the next); a table row or a piece of
    code is one "sentence" as it stands."""
    result: list[_Sentence] = []
    sections = iter(document.sections)
    section = next(sections, None)
    lead_in = ""
    previous: Block | None = None
    for block in document.blocks:
        if block.kind == HEADING:
            previous, lead_in = block, ""
            continue
        while section is not None and block.start >= section.end:
            section = next(sections, None)
        if block.kind == LIST_ITEM and (previous is None or previous.kind != LIST_ITEM):
            lead_in = _last_sentence(result, document) if previous is not None else ""
        elif block.kind != LIST_ITEM:
            lead_in = ""
        if block.kind in WHOLE_BLOCKS:
            spans = [(block.start, block.end)]
        else:
            spans = split_sentences(document.text, block.start, block.end)
        result.extend(_Sentence(section, a, b, block.kind, lead_in) for a, b in spans)
        previous = block
    return result


def _last_sentence(sentences: list[_Sentence], document: Document) -> str:
    if not sentences:
        return ""
    last = sentences[-1]
    return reflow(document.text[last.start : last.end])


def _title(document: Document, section: Section | None) -> str:
    return section.title if section is not None else document.title


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
    found = _sentences(document)
    sentences = [
        SentenceRecord(
            document.id,
            _title(document, s.section),
            s.start,
            s.end,
            reflow(document.text[s.start : s.end]),
            s.kind,
        )
        for s in found
    ]
    paths: dict[int, str] = {}
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
        key = id(found[i].section)
        if key not in paths:
            paths[key] = heading_path(document, found[i].section)
        context = paths[key]
        if found[i].lead_in:  # a list keeps its lead-in ("The aims of this are:")
            context = f"{context}. {found[i].lead_in}" if context else found[i].lead_in
        passages.append(
            PassageRecord(
                document_id=document.id,
                section=section,
                start=start,
                end=end,
                text=reflow(document.text[start:end]),
                sentence_ids=tuple(range(first_sentence_id + i, first_sentence_id + j)),
                page=document.page_at(start),
                context=context,
            )
        )
        if j >= len(sentences) or sentences[j].section != section:
            i = j  # a new section starts fresh: no overlap across headings
        else:
            i = max(i + 1, j - options.overlap_sentences)
    return sentences, passages
