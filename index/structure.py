"""Where things are in a loaded index: sections by document and title, their numbers and
heading paths, the passages of each section — what a question naming a section ("What does
section 10.1 say?"), a follow-up staying in one, and the features of structure read."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from .documents import Document
from .passages import PassageRecord, SentenceRecord
from .sections import Section
from .text import stems

SectionKey = tuple[str, str]  # (document id, section title)
# A section number as questions write it: "section 10.1", "§ 4", "chapter 5", or a bare dotted
# number ("5.6.12") that is a section's number in the corpus (a version is not).
_NAMED_NUMBER = re.compile(
    r"\b(?:section|sections|chapter|clause|article|appendix|part|annex|\u00a7)\s*"
    r"(\d{1,3}(?:\.\d{1,3})*)",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3})+)(?![\w.]*\d)")


@dataclass
class Structure:
    """Sections of every document, by key, with their passages and heading words."""

    sections: dict[SectionKey, Section] = field(default_factory=dict)
    by_number: dict[str, list[SectionKey]] = field(default_factory=dict)
    passages: dict[SectionKey, list[int]] = field(default_factory=dict)
    heading_stems: dict[SectionKey, frozenset[str]] = field(default_factory=dict)
    # Each document's sections with their own number, outermost first.
    numbered: dict[str, list[Section]] = field(default_factory=dict)

    @classmethod
    def of(cls, documents: dict[str, Document], passages: list[PassageRecord]) -> Structure:
        """Tables for ``documents`` and their ``passages``."""
        found = cls()
        for document in documents.values():
            for section in document.sections:
                key = (document.id, section.title)
                found.sections.setdefault(key, section)
                words = " ".join([section.title, *section.path])
                found.heading_stems[key] = frozenset(stems(words))
                if section.number:
                    found.by_number.setdefault(_plain(section.number), []).append(key)
        for pid, passage in enumerate(passages):
            found.passages.setdefault((passage.document_id, passage.section), []).append(pid)
        return found

    def within(self, documents: Collection[str]) -> Structure:
        """The tables of ``documents`` only."""
        kept = set(documents)
        return Structure(
            sections={k: v for k, v in self.sections.items() if k[0] in kept},
            by_number={
                n: [k for k in keys if k[0] in kept]
                for n, keys in self.by_number.items()
                if any(k[0] in kept for k in keys)
            },
            passages={k: v for k, v in self.passages.items() if k[0] in kept},
            heading_stems={k: v for k, v in self.heading_stems.items() if k[0] in kept},
            numbered={k: v for k, v in self.numbered.items() if k in kept},
        )

    def key(self, sentence: SentenceRecord | PassageRecord) -> SectionKey:
        """The section a sentence or passage is in."""
        return (sentence.document_id, sentence.section)

    def number(self, key: SectionKey) -> str:
        """The section's own number ("5.6.12"), "" when it has none."""
        section = self.sections.get(key)
        return _plain(section.number) if section is not None else ""

    def asked_numbers(self, question: str, documents: Collection[str] | None = None) -> list[str]:
        """The section numbers ``question`` names that the corpus (or ``documents`` of it)
        has ("section 10.1", or a bare "5.6.12" that is a section's number)."""
        named = [_plain(m.group(1)) for m in _NAMED_NUMBER.finditer(question)]
        dotted = [_plain(m.group(1)) for m in _DOTTED.finditer(question)]
        allowed = None if documents is None else set(documents)
        return list(
            dict.fromkeys(
                n
                for n in [*named, *dotted]
                if any(allowed is None or key[0] in allowed for key in self.by_number.get(n, []))
            )
        )

    def sections_numbered(self, numbers: list[str]) -> list[SectionKey]:
        """The sections that carry one of ``numbers`` (in every document that has one)."""
        return [key for n in numbers for key in self.by_number.get(n, [])]


def number_match(candidate: str, asked: list[str]) -> float:
    """1 when the candidate's section is an asked number, 0.5 when it lies within one (5.6.12
    within 5.6), else 0."""
    if not candidate or not asked:
        return 0.0
    if candidate in asked:
        return 1.0
    return 0.5 if any(candidate.startswith(a + ".") for a in asked) else 0.0


def _plain(number: str) -> str:
    """A section number without the word before it or a trailing dot ("Section 3." -> "3")."""
    digits = re.search(r"\d+(?:\.\d+)*", number)
    return digits.group(0) if digits else number.strip().rstrip(".").lower()
