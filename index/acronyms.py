"""Acronyms and their long forms, so "the European security organisation" meets "OSCE".

Briefings define an acronym once ("Organisation for Security and Cooperation in Europe (OSCE)")
and use the short form afterwards; readers ask with either. The embedding model knows neither
form well enough to bridge them, so the text that is embedded and BM25-indexed, and the
question, carry the long form next to each acronym.

Long forms come from the corpus itself, never from a word list kept for one domain: a phrase
followed by its acronym in brackets ("Debian Free Software Guidelines (DFSG)", "civil society
organisation (CSO)"), an acronym followed by its phrase in brackets ("DFSG (Debian Free
Software Guidelines)"), an acronym and its phrase side by side ("the DFSG, the Debian Free
Software Guidelines"), or a capitalised phrase whose initials spell an acronym the corpus uses
("European Parliament" for "EP").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

_CONNECTORS = r"(?:of|for|and|on|in|the|against|to|de)"
_PHRASE = r"[A-Z][\w'-]*(?:\s+(?:" + _CONNECTORS + r"\s+)*[A-Z][\w'-]*)+"
_DEFINITION = re.compile(r"(" + _PHRASE + r")\s*\(([A-Z]{2,8})\)")
# Any words before a bracketed acronym ("civil society organisation (CSO)"): the ones whose
# initials spell it are taken, counted from the end.
_LOWER_DEFINITION = re.compile(
    r"((?:[A-Za-z][\w'-]*\s+){1,10}?[A-Za-z][\w'-]*)\s*\(([A-Z]{2,8})s?\)"
)
# An acronym, then its phrase: in brackets, or after a comma and "the"/"or".
_AFTER = re.compile(r"\b([A-Z]{2,8})\s*(?:\(|,\s+(?:the|or|i\.e\.)\s+)(" + _PHRASE + r")")
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
    """Acronym → long form, as the corpus itself defines or uses them.

    Args:
        texts: the documents' texts.
    """
    joined = " ".join(re.sub(r"\s+", " ", t) for t in texts)
    used = {m.group(1) for m in _ACRONYM.finditer(joined)}
    found: dict[str, str] = {}
    for pattern in (_DEFINITION, _LOWER_DEFINITION):
        for match in pattern.finditer(joined):
            phrase = _spelling(match.group(1).split(), match.group(2))
            if phrase:
                found.setdefault(match.group(2), phrase)
    for match in _AFTER.finditer(joined):
        acronym = match.group(1)
        phrase = _spelling(_trim(match.group(2)).split(), acronym, from_start=True)
        if phrase:
            found.setdefault(acronym, phrase)
    phrases = Counter(_trim(m.group(0)) for m in _CAPITALISED_PHRASE.finditer(joined))
    for phrase, count in phrases.items():
        initials = _initials(phrase)
        # Used more than once: a phrase met once whose initials happen to spell a code
        # ("Dependencies Every" for "DE") is a coincidence, not a definition.
        if count >= 2 and len(phrase.split()) >= 2 and initials in used:
            found.setdefault(initials, phrase)
    return found


def merged_acronyms(tables: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The acronyms of several documents (each document's own, in order): an acronym two of
    them define differently keeps the first one's long form."""
    merged: dict[str, str] = {}
    for table in tables:
        for acronym, long_form in table.items():
            merged.setdefault(acronym, long_form)
    return merged


def _spelling(words: list[str], acronym: str, from_start: bool = False) -> str:
    """The run of ``words`` (ending at the last, or starting at the first) whose initials,
    connectors aside, spell ``acronym``; "" when none does."""
    spans = (
        [words[: n + 1] for n in range(len(words))]
        if from_start
        else [words[start:] for start in range(len(words) - 1, -1, -1)]
    )
    for span in spans:
        letters = "".join(w[0] for w in span if w.lower() not in _CONNECTOR_WORDS).upper()
        if letters == acronym and len(span) >= 2:
            return " ".join(span)
        if len(letters) > len(acronym):
            return ""
    return ""


_CONNECTOR_WORDS = frozenset("of for and on in the against to de".split())


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


_QUESTION_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|on|in|the)\s+)*[A-Z][a-z]+)+")


def question_initials(question: str, known: Callable[[str], bool]) -> str:
    """``question`` with, after each capitalised name whose initials the corpus uses as a
    word, those initials in brackets ("the United Nations" -> "the United Nations (UN)"): a
    corpus that writes only "UN" never spells the name out, and a question that does must still
    meet it. ``known`` says whether the corpus has a (lower-cased) token."""

    def add(match: re.Match[str]) -> str:
        initials = "".join(w[0] for w in match.group(0).split() if w[0].isupper())
        if len(initials) >= 2 and known(initials.lower()):
            return f"{match.group(0)} ({initials})"
        return match.group(0)

    return _QUESTION_NAME.sub(add, question)
