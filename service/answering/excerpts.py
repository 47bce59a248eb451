"""Quote a sentence in part when the whole does not fit the answer's length: the run of whole
words (or the head and tail, the middle left out) that holds the asked kind of answer and the
most of the question's wording, weighted by rarity, with "…" where the sentence was cut.
Words are only dropped, never rewritten; the citation still opens the whole sentence."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from index.text import STOPWORDS, UNSPACED_SCRIPTS, in_family, normalize, stem

from .answer_types import has_answer_type
from .tunables import (
    EXCERPT_END_BONUS,
    EXCERPT_MIN_RUN_WORDS,
    EXCERPT_NEARNESS_WEIGHT,
    EXCERPT_NEARNESS_WORDS,
)

ELLIPSIS = "\u2026"
# Words are cut whole; in scripts written without spaces (Chinese, Japanese) each character is
# a word, as it is a token to BM25 and to the overlap.
_WORD = re.compile(f"[{UNSPACED_SCRIPTS}]|[^\\s{UNSPACED_SCRIPTS}]+")
_TOKEN = re.compile(r"[^\W_]+")
# A window holding the asked kind of answer (a date for "when") beats any that lacks it.
_ASKED_KIND_BONUS = 100.0


@dataclass(frozen=True)
class Focus:
    """What an excerpt should keep: the question's stems with their rarity weights and the
    kind of answer it asks for."""

    query_stems: dict[str, float]
    expected: str | None
    question: str


def excerpt(text: str, budget: int, focus: Focus, keep_end: bool = False) -> str:
    """``text`` if it fits in ``budget`` characters, else the best cut of it (ellipses
    included in the budget): a window of whole words, or the sentence's head and tail with the
    middle left out — whichever holds more of what the question asks. ``keep_end``: only the
    sentence's last words (a sentence quoted for the one after it, which points back to what
    it ends with)."""
    if len(text) <= budget:
        return text
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    matched = [_matched_stem(text[s:e], focus.query_stems) for s, e in words]
    nearness = _running_total(_nearness(matched, focus.query_stems))

    def score(runs: list[tuple[int, int]]) -> float:
        kept = [key for first, last in runs for key in matched[first : last + 1]]
        value = _coverage(kept, focus.query_stems)
        value += EXCERPT_NEARNESS_WEIGHT * sum(nearness[b + 1] - nearness[a] for a, b in runs)
        if focus.expected is not None:  # most questions ask for no kind: skip the join
            quoted = " ".join(text[words[a][0] : words[b][1]] for a, b in runs)
            if has_answer_type(focus.expected, quoted, focus.question):
                value += _ASKED_KIND_BONUS
        if runs[-1][1] == len(words) - 1:
            value += EXCERPT_END_BONUS
        return value

    cuts = [
        runs
        for runs in _cuts(words, budget)
        if runs and (not keep_end or runs == [(runs[0][0], len(words) - 1)])
    ]
    if not cuts:
        return text[: max(budget - 1, 0)] + ELLIPSIS
    return _cut_text(text, words, max(cuts, key=score))


def _cuts(words: list[tuple[int, int]], budget: int) -> list[list[tuple[int, int]]]:
    """Every longest window of words that fits, and every head-and-tail split that fits
    (the head as long as it can be for each tail; neither shorter than
    EXCERPT_MIN_RUN_WORDS, which would read as debris)."""
    n = len(words)
    cuts: list[list[tuple[int, int]]] = []
    last = 0
    for first in range(n):
        last = max(last, first)
        while last + 1 < n and _cut_chars(words, [(first, last + 1)]) <= budget:
            last += 1
        if _cut_chars(words, [(first, last)]) <= budget:
            cuts.append([(first, last)])
    head = -1  # the later the tail starts, the longer the head can be
    for tail in range(2, n - EXCERPT_MIN_RUN_WORDS + 1):
        while head + 1 <= tail - 2 and _cut_chars(words, [(0, head + 1), (tail, n - 1)]) <= budget:
            head += 1
        split = [(0, head), (tail, n - 1)]
        if head >= EXCERPT_MIN_RUN_WORDS - 1 and _cut_chars(words, split) <= budget:
            cuts.append(split)
    return cuts


def _cut_chars(words: list[tuple[int, int]], runs: list[tuple[int, int]]) -> int:
    """A cut's length with its ellipses ("… " before, " … " between, " …" after)."""
    length = sum(words[b][1] - words[a][0] for a, b in runs)
    length += 3 * (len(runs) - 1)
    length += 2 if runs[0][0] > 0 else 0
    length += 2 if runs[-1][1] < len(words) - 1 else 0
    return length


def _cut_text(text: str, words: list[tuple[int, int]], runs: list[tuple[int, int]]) -> str:
    parts = [text[words[a][0] : words[b][1]] for a, b in runs]
    # A run cut short loses its trailing comma or colon ("1992, …" reads as "1992 …").
    parts = [p.rstrip(",;:") for p in parts[:-1]] + parts[-1:]
    body = f" {ELLIPSIS} ".join(parts)
    if runs[0][0] > 0:
        body = ELLIPSIS + " " + body
    if runs[-1][1] < len(words) - 1:
        body = body.rstrip(",;:") + " " + ELLIPSIS
    return body


def _matched_stem(word: str, query_stems: dict[str, float]) -> str | None:
    """The question stem a word matches (itself or its word family), if any."""
    for token in _TOKEN.findall(normalize(word)):
        if token in STOPWORDS:
            continue
        key = stem(token)
        if key in query_stems:
            return key
        family = next((s for s in query_stems if in_family(key, [s])), None)
        if family is not None:
            return family
    return None


def _coverage(matched: list[str | None], query_stems: dict[str, float]) -> float:
    """The rarity-weighted question stems a window holds, each once."""
    return sum(query_stems[key] for key in set(matched) if key is not None)


def _nearness(matched: list[str | None], query_stems: dict[str, float]) -> list[float]:
    """How close each word is to the question's words (rarity-weighted, decaying with the
    distance in words): the answer sits next to what the question names, on either side."""
    hits = [(i, query_stems[key]) for i, key in enumerate(matched) if key is not None]
    return [
        sum(w * math.exp(-abs(i - j) / EXCERPT_NEARNESS_WORDS) for j, w in hits)
        for i in range(len(matched))
    ]


def _running_total(values: list[float]) -> list[float]:
    totals = [0.0]
    for v in values:
        totals.append(totals[-1] + v)
    return totals
