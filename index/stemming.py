"""Words for BM25 in any language (issue #32): each text cut into words the Unicode way and
stemmed with the Snowball stemmer of its language (PyStemmer; ~30 languages), Arabic's
optional vowel points dropped, with Chinese, Japanese, Korean, Thai, Lao, Khmer and Burmese,
which do not separate words, cut into characters and character pairs.

The unstemmed word is kept beside its stem, so what is written the same in every language —
names, numbers, years — still matches across languages.
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


def words(text: str) -> list[str]:
    """The words of ``text``, case-folded; unspaced scripts as characters and their pairs."""
    out: list[str] = []
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_UNWRITTEN)
    for word in _word().findall(folded):
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
    for word in words(text):
        tokens.append(word)
        for stemmer in stemmers:
            stem = stemmer.stemWord(word)
            if stem != word:
                tokens.append(stem)
    return tokens
