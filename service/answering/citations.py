"""Citations: number the cited passages in order of first use, and give the offsets of the
quoted sentences inside them. Links are plain paths built here once (the web layer shows them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from index import Document, Hit, LoadedIndex

from .tunables import RELATED_MIN_DENSE, RELATED_SECTIONS


@dataclass
class Citation:
    """A cited passage; ``highlights`` are offsets of the quoted sentences inside ``text``.

    ``page`` is the page of the first quoted sentence (where a reader turns to), ``pages``
    every page the passage spans (empty for a document without pages), so a passage that runs
    on to the next page says so."""

    n: int
    document_id: str
    document_title: str
    section: str
    text: str
    start: int
    end: int
    page: int | None
    score: float
    highlights: list[tuple[int, int]]
    url: str
    pages: list[int] = field(default_factory=list)
    # The document's language (ISO 639-1), once the second build phase has detected it.
    language: str | None = None


@dataclass
class RelatedSection:
    """A section that touches the question's topic, offered when the answer is "not covered"."""

    document_id: str
    document_title: str
    section: str
    url: str


def cite(
    index: LoadedIndex,
    hits: list[Hit],
    chosen: list[int],
    runners_up: list[int],
    top_k: int,
    quotes: dict[int, str] | None = None,
) -> tuple[list[Citation], str]:
    """Number citations in order of first use in the answer, then add the passages of the
    runner-up sentences (the next likeliest answers), then the best other hits.

    ``quotes`` gives what is quoted of a sentence where it is not the whole (an excerpt).

    Returns:
        The citations and the answer text with its ``[n]`` markers.
    """
    ordered: list[Hit] = []
    sentence_passage: dict[int, int] = {}
    for sid in chosen:
        hit = _best_hit_containing(index, hits, sid, chosen)
        sentence_passage[sid] = hit.passage_id
        if all(h.passage_id != hit.passage_id for h in ordered):
            ordered.append(hit)
    for sid in runners_up:
        if len(ordered) >= top_k:
            break
        containing = [h for h in hits if sid in index.passages[h.passage_id].sentence_ids]
        if containing and not _adds_nothing(index, containing[0], ordered):
            ordered.append(containing[0])
    for hit in hits:
        if len(ordered) >= top_k:
            break
        if not _adds_nothing(index, hit, ordered):
            ordered.append(hit)
    ordered = ordered[: max(top_k, len({*sentence_passage.values()}))]
    numbers = {h.passage_id: n for n, h in enumerate(ordered, start=1)}
    quoted = quotes or {}
    parts = [
        f"{quoted.get(sid, index.sentences[sid].text)} [{numbers[sentence_passage[sid]]}]"
        for sid in chosen
    ]
    citations = [_citation(index, hit, numbers[hit.passage_id], chosen) for hit in ordered]
    return citations, " ".join(parts)


def related_sections(index: LoadedIndex, hits: list[Hit]) -> list[RelatedSection]:
    """Sections near the question's topic, offered with a refusal."""
    related: list[RelatedSection] = []
    seen: set[tuple[str, str]] = set()
    for hit in hits:
        passage = index.passages[hit.passage_id]
        key = (passage.document_id, passage.section)
        if key in seen or hit.dense < RELATED_MIN_DENSE:
            continue
        seen.add(key)
        document = index.documents[passage.document_id]
        section = next((s for s in document.sections if s.title == passage.section), None)
        start, end = (section.start, section.end) if section else (passage.start, passage.end)
        url = f"/documents/{document.id}?start={start}&end={end}#cited"
        related.append(RelatedSection(document.id, document.title, passage.section, url))
        if len(related) >= RELATED_SECTIONS:
            break
    return related


def _best_hit_containing(index: LoadedIndex, hits: list[Hit], sid: int, chosen: list[int]) -> Hit:
    """The highest-ranked hit containing sentence ``sid``, preferring one with every answer
    sentence in it, so one citation covers the whole answer when it can."""
    containing = [h for h in hits if sid in index.passages[h.passage_id].sentence_ids]
    if not containing:  # the sentence came from outside the hit list: cite its passage directly
        pid = index.sentence_to_passages[sid][0]
        return Hit(pid, hits[0].score, 0.0, 0.0, 0.0, 0.0)
    complete = [
        h for h in containing if all(c in index.passages[h.passage_id].sentence_ids for c in chosen)
    ]
    return (complete or containing)[0]


def _adds_nothing(index: LoadedIndex, hit: Hit, cited: list[Hit]) -> bool:
    """True when every sentence of ``hit`` is already in a cited passage."""
    seen = {sid for h in cited for sid in index.passages[h.passage_id].sentence_ids}
    return set(index.passages[hit.passage_id].sentence_ids) <= seen


def _citation(index: LoadedIndex, hit: Hit, n: int, chosen: list[int]) -> Citation:
    passage = index.passages[hit.passage_id]
    document = index.documents[passage.document_id]
    # A passage's text is its sentences' texts joined by single spaces (both are reflowed from
    # the same source), so a sentence's place in it is the sum of the lengths before it.
    offsets: dict[int, int] = {}
    position = 0
    for sid in passage.sentence_ids:
        offsets[sid] = position
        position += len(index.sentences[sid].text) + 1
    highlights = []
    spans = []
    for sid in chosen:
        if sid in offsets:
            sentence = index.sentences[sid]
            highlights.append((offsets[sid], offsets[sid] + len(sentence.text)))
            spans.append(f"{sentence.start}-{sentence.end}")
    # The page a reader should turn to is the quoted sentence's, where the passage spans two.
    quoted = [index.sentences[sid].start for sid in chosen if sid in offsets]
    page = document.page_at(quoted[0]) if quoted and document.page_starts else passage.page
    pages = pages_spanned(document, passage.start, passage.end)
    url = f"/documents/{document.id}?start={passage.start}&end={passage.end}"
    if spans:
        url += "&hl=" + ",".join(spans)
    return Citation(
        n=n,
        document_id=document.id,
        document_title=document.title,
        section=passage.section,
        text=passage.text,
        start=passage.start,
        end=passage.end,
        page=page,
        score=round(hit.score, 4),
        highlights=highlights,
        url=url + "#cited",
        pages=pages,
    )


def pages_spanned(document: Document, start: int, end: int) -> list[int]:
    """The pages from the one ``start`` is on to the one the last character before ``end``
    is on (empty for a document without pages)."""
    first, last = document.page_at(start), document.page_at(max(start, end - 1))
    if first is None or last is None:
        return []
    return list(range(first, last + 1))
