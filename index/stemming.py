"""Words for BM25 in any language (issue #32): each text cut into words the Unicode way and
stemmed with the Snowball stemmer of its language (PyStemmer; ~30 languages), Arabic's
optional vowel points dropped, with Chinese, Japanese, Korean, Thai, Lao, Khmer and Burmese,
which do not separate words, cut into characters and character pairs.

The unstemmed word is kept beside its stem, so what is written the same in every language —
names, numbers, years — still matches across languages: digits of every script are read as
ASCII ones, and a month named beside a number, in any language CLDR knows, adds a token of
its own ("März 1921", "1921年3月" and "March 1921" all hold ``#month3``).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

# ISO 639-1 → Snowball's name for the language (PyStemmer's algorithms).
SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, kana, Han,
# Hangul syllables.
_CJK = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)
_UNSPACED = re.compile(f"[{_CJK}]")
# Inside such a run, each character alone; other scripts (a Latin name, a number) whole.
_PIECES = re.compile(f"[{_CJK}]|[^{_CJK}]+")
# Where combining marks live (the Unicode categories Mn, Mc, Me): every block to U+1FFFF, and
# the variation selectors beyond it.
_MARK_PLANES = (range(0x0300, 0x20000), range(0xE0100, 0xE01F0))


@functools.cache
def _word() -> re.Pattern[str]:
    """A word: letters, digits and the combining marks inside them. ``\\w`` alone stops at a
    mark, and the vowel signs of Devanagari, Bengali, Tamil or Thai, and Arabic's vowel points,
    are marks: "भारत" came out as "भ" and "रत". Built once (~20 ms)."""
    ranges: list[tuple[int, int]] = []
    for code in itertools.chain(*_MARK_PLANES):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    marks = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile(f"[\\w{marks}]+")


@functools.cache
def _stemmer(language: str) -> Any:
    algorithm = SNOWBALL.get(language)
    if algorithm is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(algorithm)


# Arabic-script vowel points (harakat, U+064B-U+065F), the superscript alef and the tatweel
# (a stretching stroke) are written in some texts and left out of most: "أيضاً" and "أيضا"
# are one word. Dropped before words are cut (a word keeps its other marks, which in
# Devanagari or Thai are vowels that tell words apart).
_UNWRITTEN = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, 0x0640])
# How far (characters) from a month's name a number must be for the name to be read as a date:
# "12 March", "März 1921", "mayo de 1921", "1921年3月"; "may" or "march" alone are words.
MONTH_NUMBER_WINDOW = 7
MONTH_TOKEN = "#month{}"  # "#" is never part of a word, so no word can be taken for it
# A month's name, folded → the months it names and whether it holds digits ("3月").
MonthNames = dict[str, tuple[tuple[int, ...], bool]]


@functools.cache
def _folding() -> dict[int, str | None]:
    """What :func:`fold` replaces: the unwritten Arabic marks by nothing, and every decimal
    digit of another script ("١٩٢١", "१९२१", "۱۹۲۱") by its ASCII digit, so a number matches
    across languages whichever digits each text writes it in (NFKC already folds fullwidth
    ones). Built once (~50 ms)."""
    table: dict[int, str | None] = dict.fromkeys(_UNWRITTEN)
    for code in range(0x0660, 0x1FFFF):
        value = unicodedata.decimal(chr(code), None)
        if value is not None:
            table[code] = str(value)
    return table


def fold(text: str) -> str:
    """``text`` as words are cut from it: NFKC, case-folded, Arabic's unwritten marks dropped,
    digits ASCII."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_folding())


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded; unspaced scripts as characters and their pairs."""
    return _words_in(_word().findall(fold(text)))


def _words_in(found: Iterable[str]) -> list[str]:
    """The words of the runs ``_word()`` found, unspaced scripts cut."""
    out: list[str] = []
    for word in found:
        if _UNSPACED.search(word):
            out.extend(_unspaced(word))
        else:
            out.append(word)
    return out


def _unspaced(run: str) -> list[str]:
    pieces = _PIECES.findall(run)
    out = list(pieces)
    out.extend(
        a + b
        for a, b in itertools.pairwise(pieces)
        if _UNSPACED.fullmatch(a) and _UNSPACED.fullmatch(b)
    )
    return out


def language_tokens(text: str, languages: Iterable[str]) -> list[str]:
    """BM25 tokens of ``text``: each word, and its stem in each of ``languages`` (the
    document's language; for a question, its own and the languages of the documents asked)."""
    stemmers = [s for s in (_stemmer(code) for code in dict.fromkeys(languages)) if s]
    tokens: list[str] = []
    folded = fold(text)
    found = list(_word().finditer(folded))
    for word in _words_in(m.group() for m in found):
        tokens.append(word)
        for stemmer in stemmers:
            stem = stemmer.stemWord(word)
            if stem != word:
                tokens.append(stem)
    return tokens + _month_tokens(folded, found)


def _month_tokens(folded: str, found: list[re.Match[str]]) -> list[str]:
    """A ``#month<n>`` token for each month named beside a number in ``folded`` (a text as
    :func:`fold` left it; ``found``, its runs of word characters), in any language: a date
    then matches across languages as its year and day do."""
    if not _DIGIT.search(folded):
        return []
    spaced, first_words, unspaced = _month_names()
    months: list[int] = []
    for i, match in enumerate(found):
        if _UNSPACED.search(match.group()):
            months.extend(_months_in_run(folded, match, unspaced))
            continue
        if match.group() not in first_words:  # most words begin no month's name
            continue
        for length in range(1, 4):  # names of up to three words ("di marzu", "tháng 1")
            run = found[i : i + length]
            named = spaced.get(" ".join(m.group() for m in run)) if len(run) == length else None
            if named and _dated(folded, run[0].start(), run[-1].end(), named[1]):
                months.extend(named[0])
    return [MONTH_TOKEN.format(m) for m in dict.fromkeys(months)]


def _months_in_run(folded: str, run: re.Match[str], names: MonthNames) -> list[int]:
    """The months named in a run of an unspaced script, longest names first, so "十一月"
    is November and not also January."""
    text, taken = run.group(), set[int]()
    months: list[int] = []
    for name, (named, digits) in names.items():  # longest first
        at = text.find(name)
        while at >= 0:
            span = range(at, at + len(name))
            start = run.start() + at
            if not taken.intersection(span) and _dated(folded, start, start + len(name), digits):
                taken.update(span)
                months.extend(named)
            at = text.find(name, at + 1)
    return months


def _dated(folded: str, start: int, end: int, digits: bool) -> bool:
    """Whether a month's name at ``folded[start:end]`` stands in a date: a number within
    ``MONTH_NUMBER_WINDOW`` characters of it, or digits in the name itself ("3月") that do not
    continue a number before it."""
    if digits:
        return start == 0 or not folded[start - 1].isdigit()
    before = folded[max(0, start - MONTH_NUMBER_WINDOW) : start]
    return bool(_DIGIT.search(before) or _DIGIT.search(folded[end : end + MONTH_NUMBER_WINDOW]))


_DIGIT = re.compile(r"\d")


@functools.cache
def _month_names() -> tuple[MonthNames, frozenset[str], MonthNames]:
    """Each wide month name of CLDR's languages (Babel; both the form used in a date and the
    one standing alone: Polish "marca" and "marzec"), folded → the months it names (a name may
    name two: "listopad" is November in Polish and October in Croatian) and whether it holds
    digits; split into names of spaced scripts (their words joined by a space; with the words
    they begin with) and of unspaced ones (longest first). Built once, on first use (~1 s)."""
    from babel import Locale, localedata

    named: dict[str, set[int]] = {}
    for identifier in localedata.locale_identifiers():
        if "_" in identifier:  # regional variants name the months as their language does
            continue
        months = Locale.parse(identifier).months
        for context in ("format", "stand-alone"):
            for month, name in months.get(context, {}).get("wide", {}).items():
                named.setdefault(fold(name), set()).add(int(month))
    spaced: MonthNames = {}
    unspaced: MonthNames = {}
    for name in sorted(named, key=len, reverse=True):
        entry = (tuple(sorted(named[name])), bool(_DIGIT.search(name)))
        if _UNSPACED.search(name):
            unspaced[name.replace(" ", "")] = entry
        else:
            spaced[" ".join(_word().findall(name))] = entry
    return spaced, frozenset(name.split(" ")[0] for name in spaced), unspaced
