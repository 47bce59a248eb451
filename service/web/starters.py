"""How the chat names what was indexed, and the questions an empty chat offers — in the
reader's language (the titles and section headings stay as the documents write them).

The corpus may be one policy briefing, a library of them, or articles of any kind: the page
says what it is (the one document's title, or "these documents") rather than assuming a
briefing, as the answerer's refusals do (``answering.refusals.refusal_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from babel.lists import format_list

from index import Document, LoadedIndex

from .languages import SOURCE, Words

# An empty chat offers this many starter questions.
STARTERS = 4
# A corpus of many documents is named by its first few titles and a count of the rest.
TITLES_NAMED = 3


@dataclass(frozen=True)
class CorpusNaming:
    """The words the chat uses for the corpus."""

    heading: str
    sources: str
    intro: str


def corpus_naming(
    index: LoadedIndex,
    documents: Mapping[str, Document] | None = None,
    words: Words | None = None,
) -> CorpusNaming:
    """The chat's words for the corpus: "Ask the document" and its title, or "Ask the
    documents", how many, and the first few titles — of ``documents`` when given (those the
    reader may read), else of the whole index; in ``words``' language (default: English)."""
    words = words or Words(SOURCE)
    _ = words.gettext
    shown = index.documents if documents is None else documents
    titles = sorted(d.title for d in shown.values())
    if len(titles) == 1:
        sources = _quoted(titles[0], words)
        intro = _(
            "Every answer is quoted from %(sources)s, with a link to the exact passage. "
            "If it does not say, you will be told."
        )
        return CorpusNaming(_("Ask the document"), sources, intro % {"sources": sources})
    named = [_quoted(title, words) for title in titles[:TITLES_NAMED]]
    rest = len(titles) - TITLES_NAMED
    if rest > 0:
        named.append(words.ngettext("%(n)s more", "%(n)s more", rest) % {"n": words.number(rest)})
    listed = format_list(named, locale=words.locale)
    sources = words.ngettext(
        "%(n)s document: %(titles)s", "%(n)s documents: %(titles)s", len(titles)
    ) % {"n": words.number(len(titles)), "titles": listed}
    intro = _(
        "Every answer is quoted from %(sources)s, with a link to the exact passage. "
        "If they do not say, you will be told."
    )
    return CorpusNaming(_("Ask the documents"), sources, intro % {"sources": sources})


def starter_questions(
    index: LoadedIndex,
    limit: int = STARTERS,
    documents: Mapping[str, Document] | None = None,
    words: Words | None = None,
) -> list[str]:
    """Questions an empty chat offers: one per section of the corpus (largest first) and,
    when sections are too few, the gist of the largest documents (answered from their
    opening, as any question asking for the gist is) — from ``documents`` when given, in
    ``words``' language (default: English), each heading and title as its document has it."""
    words = words or Words(SOURCE)
    _ = words.gettext
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
        (
            _("What does the document say about %(section)s?")
            if single
            else _("What does \u201c%(title)s\u201d say about %(section)s?")
        )
        % {"section": _as_phrase(section, texts), "title": title}
        for section, title in ranked
    ]
    by_size = sorted(shown.values(), key=lambda d: -len(d.text))
    for document in by_size[: limit - len(questions)]:
        questions.append(
            _("What is this document about?")
            if single
            else _("Summarise \u201c%(title)s\u201d") % {"title": document.title}
        )
    return questions


def _quoted(title: str, words: Words) -> str:
    # TRANSLATORS: a document's title in quotation marks, as your language writes them.
    return words.gettext("\u201c%(title)s\u201d") % {"title": title}


def _as_phrase(title: str, texts: list[str]) -> str:
    """A heading made to read inside a sentence: "Press freedom" -> "press freedom", but names
    ("Kazakhstan and the EU") keep their capital — the corpus shows which words are names."""
    first, _, rest = title.partition(" ")
    # Document by document, stopping at the first use: no corpus-sized string per page load.
    word = f" {first.lower()} "
    if first.isupper() or not any(word in text for text in texts):
        return title
    return first.lower() + (" " + rest if rest else "")
