"""What kind of answer a question asks for, and whether a sentence holds one."""

from __future__ import annotations

import re

from index.text import stem

_TYPE_PATTERNS = (
    ("duration", re.compile(r"\bhow long\b")),
    # "when" asks for a date where it opens a question or clause, not in "when it comes to".
    (
        "date",
        re.compile(
            r"(^\W*|[,;?.!]\s*|\b(?:and|or|but)\s+)when\b"
            r"|\b(what|which) (year|date|month|day)\b|\bsince when\b"
        ),
    ),
    # A count: "how many protesters" is not answered by "95.55% of votes".
    ("count", re.compile(r"\bhow many\b")),
    ("percentage", re.compile(r"\b(what percentage|what share|what proportion|percent(age)?)\b")),
    (
        "number",
        re.compile(
            r"\b(how much(?! (?:room|leeway|"
            r"latitude|power|influence|control|freedom|say|discretion|progress|attention|support|"
            r"pressure|of)\b)|"
            r"what number|what rank|which rank|rank(ed)?|quota)\b"
        ),
    ),
    # "How much room do officials have?" wants no figure ("how much oil?" does, above), nor
    # does "how big a problem": a preference in sentence choice, never a reason to abstain.
    ("amount", re.compile(r"\b(how much|how big|how large)\b")),
)
# The kinds of answer whose absence means the evidence does not answer the question.
REQUIRED_TYPES = frozenset({"date", "count", "percentage", "number", "duration"})
_MONTH = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december)\b"
)
_DURATION = re.compile(
    r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|an)\b[\w\s-]{0,20}?"
    r"\b(years?|months?|weeks?|days?|hours?)\b"
)
_YEAR_OR_DAY = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# Dates are numbers in form only: "in 1991" does not answer "how many".
_DATE = re.compile(
    r"\b(\d{1,2}\s+)?" + _MONTH.pattern + r"(\s+\d{4})?|\b(1[89]\d\d|20\d\d)[\u2010-]?(\d{2,4})?\b"
)
_PERCENTAGE = re.compile(r"\d\s*%|\bper ?cent\b")
_PERCENTAGE_FIGURE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:%|per ?cent\b)(?:\s+of\s+(?:the\s+)?([a-z]+))?"
)
_COUNTED = re.compile(r"\bhow many\s+([a-z]+)")
_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundreds?|thousands?|millions?|billions?|dozens?|half)\b"
)


def expected_answer_type(question: str) -> str | None:
    """What kind of answer the question wants: ``duration``, ``date``, ``count``,
    ``percentage``, ``number``, ``amount`` or None."""
    lowered = question.lower()
    for name, pattern in _TYPE_PATTERNS:
        if pattern.search(lowered):
            return name
    return None


def has_answer_type(kind: str, text: str, question: str = "") -> bool:
    """Whether ``text`` holds an answer of ``kind`` (a date, a count, a percentage, a number,
    a duration). ``question`` tells what a count counts."""
    lowered = text.lower()
    if kind == "duration":
        return bool(_DURATION.search(lowered))
    if kind == "date":
        return bool(_YEAR_OR_DAY.search(lowered) or _MONTH.search(lowered))
    if kind == "percentage":
        return bool(_PERCENTAGE.search(lowered))
    undated = _DATE.sub(" ", lowered)
    if kind == "count":
        # "95.55% of votes" answers "how many votes", not "how many people".
        counted = _COUNTED.search(question.lower())
        noun = stem(counted.group(1)) if counted else None

        def unless_of_counted(match: re.Match[str]) -> str:
            of_what = match.group(1)
            return match.group(0) if noun and of_what and stem(of_what) == noun else " "

        undated = _PERCENTAGE_FIGURE.sub(unless_of_counted, undated)
    return any(ch.isdigit() for ch in undated) or bool(_NUMBER_WORDS.search(undated))


_OVERVIEW = re.compile(
    r"\b(?:main|key|major|principal|central)\s+(?:\w+\s+){0,3}?(?:concerns|issues|problems|"
    r"points|topics|areas|themes|findings|messages|worries)\b|\bbig picture\b|\boverview\b|"
    r"\bsummar(?:y|ise|ize)\b|\bin a nutshell\b"
    r"|\bwhat (?:is|are) (?:this|these|the) (?:\w+ ){0,2}about\b",
    re.IGNORECASE,
)


def asks_for_overview(question: str) -> bool:
    """True when a question asks for the gist ("what are the main concerns?")."""
    return _OVERVIEW.search(question) is not None


# Words that ask for the gist rather than name a topic: no evidence has to hold them.
OVERVIEW_WORDS = frozenset(
    """main key major principal central concerns issues problems points topics areas themes
    findings messages worries big picture overview summary summarise summarize nutshell
    highlights highlight""".split()
)
