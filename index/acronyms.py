"""Acronyms and their long forms, so "the European security organisation" meets "OSCE".

Briefings define an acronym once ("Organisation for Security and Cooperation in Europe (OSCE)")
and use the short form afterwards; readers ask with either. The embedding model knows neither
form well enough to bridge them, so the text that is embedded and BM25-indexed, and the
question, carry the long form next to each acronym.

Long forms come from the corpus itself — a capitalised phrase followed by its acronym in
brackets, or a capitalised phrase whose initials spell an acronym the corpus uses ("European
Parliament" for "EP") — and from a short glossary of acronyms that policy briefings use without
defining them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Acronyms EU policy briefings use without spelling them out.
COMMON_ACRONYMS: Mapping[str, str] = {
    "EU": "European Union",
    "EP": "European Parliament",
    "MEP": "Member of the European Parliament",
    "UN": "United Nations",
    "NGO": "non-governmental organisation",
    "OSCE": "Organisation for Security and Cooperation in Europe",
    "EEAS": "European External Action Service",
    "ECHR": "European Convention on Human Rights",
    "CSO": "civil society organisation",
}

_CONNECTORS = r"(?:of|for|and|on|in|the|against|to|de)"
_PHRASE = r"[A-Z][\w'-]*(?:\s+(?:" + _CONNECTORS + r"\s+)*[A-Z][\w'-]*)+"
_DEFINITION = re.compile(r"(" + _PHRASE + r")\s*\(([A-Z]{2,8})\)")
_CAPITALISED_PHRASE = re.compile(_PHRASE)
_ACRONYM = re.compile(r"\b([A-Z]{2,8})(s?)\b")
_SKIP_WORDS = frozenset({"The", "A", "An", "In", "On", "As", "For", "From", "According"})


def _initials(phrase: str) -> str:
    return "".join(w[0] for w in phrase.split() if w[0].isupper())


def _trim(phrase: str) -> str:
    """Drop a sentence-opening word ("The European Parliament") from a phrase."""
    words = phrase.split()
    while words and words[0] in _SKIP_WORDS:
        words = words[1:]
    return " ".join(words)


def _plural(phrase: str) -> str:
    """Members of the European Parliament, civil society organisations."""
    words = phrase.split()
    head = words.index("of") - 1 if "of" in words[1:] else len(words) - 1
    words[head] += "es" if words[head].endswith("s") else "s"
    return " ".join(words)


def corpus_acronyms(texts: Iterable[str]) -> dict[str, str]:
    """Acronym → long form, from the corpus texts and the common glossary.

    Args:
        texts: the documents' texts.
    """
    joined = " ".join(re.sub(r"\s+", " ", t) for t in texts)
    used = {m.group(1) for m in _ACRONYM.finditer(joined)}
    found: dict[str, str] = {}
    for match in _DEFINITION.finditer(joined):
        phrase, acronym = match.group(1), match.group(2)
        # The phrase may start earlier than the definition: keep the words whose initials
        # spell the acronym, counted from the end.
        words = phrase.split()
        for start in range(len(words)):
            candidate = " ".join(words[start:])
            if _initials(candidate) == acronym:
                found.setdefault(acronym, candidate)
                break
    for match in _CAPITALISED_PHRASE.finditer(joined):
        phrase = _trim(match.group(0))
        initials = _initials(phrase)
        if len(phrase.split()) >= 2 and initials in used and initials not in found:
            found[initials] = phrase
    return {**{k: v for k, v in COMMON_ACRONYMS.items() if k not in found}, **found}


def expand_acronyms(text: str, acronyms: Mapping[str, str]) -> str:
    """``text`` with the long form in brackets after each known acronym's first use ("MEPs"
    works too), unless the long form is already there."""
    seen: set[str] = set()
    lowered = text.lower()

    def replace(match: re.Match[str]) -> str:
        acronym, plural = match.group(1), match.group(2)
        long_form = acronyms.get(acronym)
        if not long_form or acronym in seen or long_form.lower() in lowered:
            return match.group(0)
        seen.add(acronym)
        return f"{match.group(0)} ({_plural(long_form) if plural else long_form})"

    return _ACRONYM.sub(replace, text)
