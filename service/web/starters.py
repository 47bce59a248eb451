"""How the chat names what was indexed, and the questions an empty chat offers.

The corpus may be one policy briefing, a library of them, or articles of any kind: the page
says what it is (the one document's title, or "these documents") rather than assuming a
briefing, as the answerer's refusals do (``answering.answerer.corpus_subject``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from index import Document, LoadedIndex

# An empty chat offers this many starter questions.
STARTERS = 4
# A corpus of many documents is named by its first few titles and a count of the rest.
TITLES_NAMED = 3


@dataclass(frozen=True)
class CorpusNaming:
    """The words the chat uses for the corpus."""

    heading: str
    sources: str
    pronoun: str


def corpus_naming(
    index: LoadedIndex, documents: Mapping[str, Document] | None = None
) -> CorpusNaming:
    """The chat's words for the corpus: "Ask the document" and its title, or "Ask the
    documents", how many, and the first few titles — of ``documents`` when given (those the
    reader may read), else of the whole index."""
    shown = index.documents if documents is None else documents
    titles = sorted(d.title for d in shown.values())
    if len(titles) == 1:
        return CorpusNaming("Ask the document", f"\u201c{titles[0]}\u201d", "it does")
    named = ", ".join(f"\u201c{t}\u201d" for t in titles[:TITLES_NAMED])
    rest = len(titles) - TITLES_NAMED
    sources = (
        f"{len(titles)} documents: {named} and {rest} more"
        if rest > 0
        else f"{len(titles)} documents: {named}"
    )
    return CorpusNaming("Ask the documents", sources, "they do")


def starter_questions(
    index: LoadedIndex, limit: int = STARTERS, documents: Mapping[str, Document] | None = None
) -> list[str]:
    """Questions an empty chat offers: one per section of the corpus (largest first) and,
    when sections are too few, the gist of the largest documents (answered from their
    opening, as any question asking for the gist is) — from ``documents`` when given."""
    shown = index.documents if documents is None else documents
    texts = [d.text for d in shown.values()]
    single = len(shown) == 1
    sections: dict[tuple[str, str], int] = {}
    for document in shown.values():
        for section in document.sections:
            if section.title and section.title != document.title:
                key = (section.title, document.title)
                sections[key] = max(sections.get(key, 0), section.end - section.start)
    ranked = sorted(sections, key=lambda key: -sections[key])[:limit]
    questions = [
        f"What does {'the document' if single else _quoted(title)} say about "
        f"{_as_phrase(section, texts)}?"
        for section, title in ranked
    ]
    by_size = sorted(shown.values(), key=lambda d: -len(d.text))
    for document in by_size[: limit - len(questions)]:
        questions.append(
            "What is this document about?" if single else f"Summarise {_quoted(document.title)}"
        )
    return questions


def _quoted(title: str) -> str:
    return f"\u201c{title}\u201d"


def _as_phrase(title: str, texts: list[str]) -> str:
    """A heading made to read inside a sentence: "Press freedom" -> "press freedom", but names
    ("Kazakhstan and the EU") keep their capital — the corpus shows which words are names."""
    first, _, rest = title.partition(" ")
    # Document by document, stopping at the first use: no corpus-sized string per page load.
    word = f" {first.lower()} "
    if first.isupper() or not any(word in text for text in texts):
        return title
    return first.lower() + (" " + rest if rest else "")
