"""Text utilities shared by indexing and querying: normalisation, sentences, reflow, tokens.

Everything that compares text (BM25, term overlap, evidence checks) goes through
:func:`normalize` so a curly quote in the document and a straight one in a question match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u00ad": "",
    }
)
_HYPHEN_BREAK = re.compile(r"(\w)-\s*\n\s*(\w)")
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalize(text: str) -> str:
    """Return ``text`` with quotes, dashes and whitespace unified, NFKC-folded, lower-cased.

    Args:
        text: any text, from the corpus or from a user.
    """
    text = unicodedata.normalize("NFKC", text).translate(_TRANSLATE)
    text = _HYPHEN_BREAK.sub(r"\1-\2", text)
    return _SPACES.sub(" ", text).strip().lower()


def clean_user_text(text: str) -> str:
    """Strip control and zero-width characters and collapse whitespace in user input."""
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def reflow(text: str) -> str:
    """Join hard-wrapped lines: every run of whitespace becomes one space."""
    return _SPACES.sub(" ", text).strip()


# --- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "vs", "etc", "e.g", "i.e", "cf", "art",
    "para", "ca", "approx", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec", "gen", "col", "sen", "rep", "gov", "u.s", "u.k", "inc", "ltd", "co",
}  # fmt: skip
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace,
# then an optional opening mark (Spanish's inverted marks, guillemets and low quotes among
# them) and the character that must open a sentence (``_opens_sentence``; issue #32).
_BOUNDARY = re.compile(
    r"[.!?][\"'\u2019\u201d)\]]*(\s+)(?=[\"'\u2018\u201c\u201e\u00ab\u00bf\u00a1(\[]?(\w))"
)
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?][\"'\u2019\u201d)\]]*$")
# Scripts that end sentences with marks of their own (issue #32): the Chinese and Japanese
# full stop, exclamation and question marks (no space after them), Devanagari's danda and
# double danda, the Arabic question mark and the Urdu full stop, the Greek question mark, the
# Armenian, Ethiopic, Burmese and Khmer full stops. English text has none of them, so English
# documents are cut exactly as before.
_OWN_ENDS = "\u3002\uff01\uff1f\u0964\u0965\u061f\u06d4\u037e\u0589\u1362\u104b\u17d4"
# Greek is mostly typed with the plain semicolon as its question mark (U+037E decomposes to
# it; the Greek semicolon is the raised dot), so ";" between Greek words ends a sentence (a
# word of two letters or more before it, one opening with a capital after: not a lone symbol).
_GREEK = "\u0370-\u03ff\u1f00-\u1fff"
_GREEK_QUESTION = f"(?<=[{_GREEK}]{{2}});(?=\\s+[\u0386-\u03a9][{_GREEK}])"
_OWN_BOUNDARY = re.compile(
    f"(?:[{_OWN_ENDS}]|{_GREEK_QUESTION})[\"'\u2019\u201d\u300d\u300f)\uff09\\]]*(\\s*)(?=\\S)"
)
# Thai and Lao write no full stop: a space between two of their letters ends a sentence or a
# clause (words within one are not spaced), so a paragraph is not quoted whole — but not the
# space after their abbreviation and repetition marks ("กรุงเทพฯ เป็น…"), which stay inside one.
_SPACE_BOUNDARY = re.compile(
    "(?<=[\u0e00-\u0e2e\u0e30-\u0e45\u0e47-\u0eae\u0eb0-\u0ec5\u0ec7-\u0eff])(\\s+)(?=[\u0e00-\u0eff])"
)


# Chinese and Japanese end sentences with their own full stop (above): after a Latin dot their
# characters follow an initial ("J.A. 霍布森"), not a sentence's end.
_OWN_STOP_SCRIPTS = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _opens_sentence(first: str) -> bool:
    """Whether ``first`` may open a sentence after a Latin full stop: a capital of any script
    ("Über", "État", "Şehir", "Đây"), a digit, or a letter of a script without capitals
    (Arabic, Devanagari, Hebrew, Hangul). A lowercase letter does not: a Russian or Greek
    abbreviation's dot before a lowercase word ends no sentence."""
    if _OWN_STOP_SCRIPTS.match(first):
        return False
    return first.isupper() or first.isdigit() or (first.isalpha() and not first.islower())


def _is_abbreviation(text: str, dot_at: int) -> bool:
    match = _WORD_BEFORE.search(text[max(0, dot_at - 12) : dot_at + 1])
    if not match or text[dot_at] != ".":
        return False
    word = match.group(1).lower()
    # Single letters are initials ("J. Smith"), not sentence ends.
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences and return their (start, end) offsets.

    Offsets index ``text`` itself; leading and trailing whitespace is excluded.

    Args:
        text: the full document text.
        start: where the region to split begins.
        end: where it ends (default: the end of ``text``).
    """
    end = len(text) if end is None else end
    region = text[start:end]
    spans: list[tuple[int, int]] = []
    cursor = 0
    boundaries = [
        m
        for m in _BOUNDARY.finditer(region)
        if _opens_sentence(m.group(2)) and not _is_abbreviation(region, m.start())
    ]
    boundaries += _OWN_BOUNDARY.finditer(region)
    boundaries += _SPACE_BOUNDARY.finditer(region)
    for match in sorted(boundaries, key=lambda m: m.start()):
        spans.append((cursor, match.start(1)))
        cursor = match.end(1)
    spans.append((cursor, len(region)))
    result = []
    for a, b in spans:
        piece = region[a:b]
        stripped_left = len(piece) - len(piece.lstrip())
        stripped_right = len(piece) - len(piece.rstrip())
        if piece.strip():
            result.append((start + a + stripped_left, start + b - stripped_right))
    return result


# --- tokens ----------------------------------------------------------------------------------

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can could did didn't do does doesn't doing
    don't down during each few for from further had has have having he her here hers herself
    him himself his how i if in into is isn't it it's its itself just let me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that that's the their theirs them themselves then there there's
    these they this those through to too under until up very was wasn't we were what what's
    when where which while who who's whom why will with would you your yours yourself
    yourselves s t d ll m re ve""".split()
)
# Question words and chat filler carry no topic; they must not count as "uncovered" terms.
QUERY_FILLER = frozenset(
    """tell know say says said briefing document according mention mentions mentioned please
    explain describe give list anything something anyone anybody much many kind kinds sort
    happen happened happens get got way ways thing things one ones well still really also does
    did do done make made want like would could should else whether yes abbreviation
    abbreviations abbreviated acronym acronyms initials stand stands""".split()
)
_POSSESSIVE = re.compile(r"'s$")
# Letters and digits of every script (Greek, Arabic, Cyrillic, ... are never silently empty).
_TOKEN = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*")
# Scripts written without spaces between words: each character is a token, so a Chinese or
# Japanese question still meets the text it asks about (BM25 and overlap on characters).
UNSPACED_SCRIPTS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_UNSPACED = re.compile(f"[{UNSPACED_SCRIPTS}]")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens of ``text`` after :func:`normalize`; 95.55 stays one token."""
    tokens: list[str] = []
    for raw in _TOKEN.findall(normalize(text)):
        token = _POSSESSIVE.sub("", raw).strip("'")
        if _UNSPACED.search(token):
            tokens.extend(ch for ch in token if not ch.isspace())
        elif token:
            tokens.append(token)
    return tokens


def content_terms(text: str) -> list[str]:
    """Tokens of ``text`` without stopwords, in order, each once."""
    seen: dict[str, None] = {}
    for token in tokenize(text):
        if token not in STOPWORDS:
            seen.setdefault(token, None)
    return list(seen)


@functools.lru_cache(maxsize=200_000)
def stem(token: str) -> str:
    """A light English stemmer: enough to match plurals and common verb/noun endings."""
    if token.isdigit() or len(token) <= 3:
        return token
    for suffix, keep in (
        ("ations", 1), ("ation", 1), ("ities", 1), ("ity", 1), ("ings", 1), ("ing", 1),
        ("ments", 1), ("ment", 1), ("ness", 1), ("ised", 1), ("ized", 1), ("ies", 0),
        ("ied", 0), ("ious", 1), ("ion", 1), ("ed", 1), ("es", 1), ("s", 1), ("ly", 1),
        ("ic", 1), ("al", 1),
    ):  # fmt: skip
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 + keep:
            token = token[: -len(suffix)]
            break
    if token.endswith(("e", "y")) and len(token) > 4:
        token = token[:-1]  # "ratify" meets "ratified", "party" meets "parties"
    return token


def same_family(a: str, b: str) -> bool:
    """Two words of one family: both of five letters or more, one beginning the other
    ("Europe" and "European", "Kazakh" and "Kazakhstan")."""
    return len(a) >= 5 and len(b) >= 5 and (a.startswith(b) or b.startswith(a))


def in_family(word: str, words: Iterable[str]) -> bool:
    """``word`` is one of ``words`` or of the family of one of them."""
    if len(word) < 5:  # a short word has no family: only itself matches (fast path)
        return word in words if isinstance(words, set | frozenset) else word in set(words)
    return any(
        word == w or (len(w) >= 5 and (w.startswith(word) or word.startswith(w))) for w in words
    )


def stems(text: str) -> list[str]:
    """Stemmed content terms of ``text``."""
    return [stem(t) for t in content_terms(text)]
