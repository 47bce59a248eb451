"""Words and names as a set of documents knows them: how many passages use a word or a name's
family, which capitalised names there are to respell an unknown one into, which initialisms
stand for a phrase. One :class:`Vocabulary` per set of documents a question is asked of (the
whole index, or a reader's documents: issue #31), built from each document's own tables, so a
document outside the set counts for nothing."""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Iterable

import numpy as np

from .terms import PassageSet, Terms

# How alike (difflib ratio) an unknown capitalised word and a corpus name must be to be taken
# for a variant of it: "Nazarbaev"/"Nazarbayev" 0.95, "Janaozen"/"Zhanaozen" 0.82,
# "Uzbekistan"/"Kazakhstan" 0.60.
NAME_MATCH_CUTOFF = 0.8
CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]{4,}\b")
# Questions bring new words; memos of them are emptied past this size to bound memory.
_MEMO_LIMIT = 50_000


class Vocabulary:
    """Word statistics and name tables of one set of documents.

    Args:
        terms: the index's BM25 counts.
        within: the passages of the set (None: every passage of the index).
        names: the set's capitalised words, lower-cased, sorted.
        aliases: each word of the set's capitalised phrases -> the phrases' initials.
        sorted_words: every indexed word, sorted (shared by every set: it only narrows a
            search, the set's own counts decide).
    """

    def __init__(
        self,
        terms: Terms,
        within: PassageSet | None,
        names: list[str],
        aliases: dict[str, set[str]],
        sorted_words: list[str],
    ) -> None:
        self.terms = terms
        self.within = within
        self.names = names
        self.aliases = aliases
        self.sorted_words = sorted_words
        self._frequency: dict[str, int] = {}
        self._name_frequency: dict[str, int] = {}
        self._respellings: dict[str, str | None] = {}

    def frequency(self, term: str) -> int:
        """In how many passages of the set the BM25 token ``term`` occurs."""
        if self.within is None:
            return self.terms.frequency(term)
        found = self._frequency.get(term)
        if found is None:
            found = self.terms.frequency(term, self.within)
            _remember(self._frequency, term, found)
        return found

    def name_frequency(self, token: str) -> int:
        """In how many passages of the set ``token`` or a word of its family occurs ("kazakh"
        counts "Kazakhstan" and "Kazakhstani" too): how common a name is, as name matching
        sees it."""
        cached = self._name_frequency.get(token)
        if cached is not None:
            return cached
        family = self._word_family(token)
        if len(family) == 1:
            count = self.frequency(family[0])
        else:
            postings = [self.terms.postings(w, self.within) for w in family]
            count = len(np.unique(np.concatenate(postings))) if postings else 0
        _remember(self._name_frequency, token, count)
        return count

    def _word_family(self, token: str) -> list[str]:
        """Indexed words of ``token``'s family: itself, the words it begins, the words that
        begin it (see :func:`index.text.same_family`). Found by bisection in the sorted
        vocabulary, so a 100,000-word vocabulary costs microseconds, not a scan."""
        vocabulary = self.terms.vocabulary
        words = [token] if token in vocabulary else []
        if len(token) >= 5:
            start = bisect.bisect_left(self.sorted_words, token)
            for word in self.sorted_words[start:]:
                if not word.startswith(token):
                    break
                if word != token:
                    words.append(word)
            words += [token[:k] for k in range(5, len(token)) if token[:k] in vocabulary]
        return words

    def respell(self, text: str) -> str:
        """``text`` with capitalised words the set does not know replaced by the name of the
        set they are a variant of ("Nazarbaev" -> "Nazarbayev", "Janaozen" -> "Zhanaozen"):
        transliterations and typos of names are common, and an unknown name means "not in the
        corpus" to the abstention check."""

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            lowered = word.lower()
            if self.frequency(lowered) or self.name_frequency(lowered):
                return word
            known = self._closest_name(lowered)
            return known.capitalize() if known else word

        return CAPITALISED_WORD.sub(replace, text)

    def _closest_name(self, word: str) -> str | None:
        if word in self._respellings:
            return self._respellings[word]
        # Close in length first: difflib is slow over a large vocabulary.
        candidates = [n for n in self.names if abs(len(n) - len(word)) <= 2]
        match = difflib.get_close_matches(word, candidates, n=1, cutoff=NAME_MATCH_CUTOFF)
        found = match[0] if match else None
        _remember(self._respellings, word, found)
        return found


def _remember(memo: dict[str, int] | dict[str, str | None], key: str, value: object) -> None:
    if len(memo) > _MEMO_LIMIT:
        memo.clear()
    memo[key] = value  # type: ignore[assignment]


def document_names(text: str) -> frozenset[str]:
    """A document's capitalised words, lower-cased: the names an unknown one may be a
    variant of."""
    return frozenset(w.lower() for w in CAPITALISED_WORD.findall(text))


_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|for|and|on|in|the)\s+)*[A-Z][a-z]+)+")


def initialisms(text: str) -> dict[str, set[str]]:
    """Each word of a capitalised multi-word phrase in ``text`` -> the phrase's initials."""
    aliases: dict[str, set[str]] = {}
    for match in _PHRASE.finditer(text):
        words = [w for w in match.group(0).split() if w[0].isupper()]
        if len(words) < 2:
            continue
        initials = "".join(w[0] for w in words).lower()
        for word in words:
            aliases.setdefault(word.lower(), set()).add(initials)
    return aliases


def merged_names(tables: Iterable[frozenset[str]]) -> list[str]:
    """The names of several documents, once each, sorted."""
    return sorted(frozenset().union(*tables))


def merged_initialisms(tables: Iterable[dict[str, set[str]]]) -> dict[str, set[str]]:
    """The initialisms of several documents: each word's, from every document that has it."""
    merged: dict[str, set[str]] = {}
    for table in tables:
        for word, initials in table.items():
            merged.setdefault(word, set()).update(initials)
    return merged
