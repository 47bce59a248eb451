"""The language a text is written in (issue #32): py3langid's naive Bayes model, which ships in
its wheel, normalised to a probability, with one guard for short English questions.

Short questions carry few character n-grams, and English ones are the most often mistaken
("Who was Ada Lovelace?" can come out Italian). A text that is plain ASCII, that the model is
not sure of, and that holds English function words is English: the guard knows words of the
language, nothing of any document.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

# Below this probability the detector's first choice is only a guess (a question of a few
# words); above it, it stands. Measured on XQuAD's English questions (docs/quality.md).
SURE = 0.9
# English words that carry no topic: two of them in a short ASCII text make it English.
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the of and to is was were are what who whom whose which when where why how did does an "
    "for on by with from that this these those at be been has have had many much".split()
)
# How many function words the guard needs (one is too few: "on" and "has" are words elsewhere;
# "a", "in" and "do" are left out for the same reason).
_ENGLISH_WORDS_NEEDED = 2
_WORD = re.compile(r"[a-z']+")
ENGLISH = "en"


@dataclass(frozen=True)
class Language:
    """A detected language: an ISO 639-1 code and how sure the detector is (0 to 1)."""

    code: str
    confidence: float


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _answerable(code: str) -> bool:
    """Languages with a two-letter code only: the model also knows varieties (Wu and Cantonese
    beside Chinese) that no stemmer, catalogue or API caller names. They are dropped from the
    full model's ranking, not from the model: ``set_languages`` would keep a second, restricted
    copy of its tables (22 MB in every answering process) for the same answer."""
    return len(code) == 2


def known_languages() -> frozenset[str]:
    """Every code the detector can answer (ISO 639-1)."""
    return frozenset(code for code in _identifier().labels if _answerable(code))


# The guard never overrules a detector that all but rules English out: a German question that
# names an English title ("... das Gedicht The Mask of Anarchy?") holds English function words
# but gives English 0.0001-0.006, where the short English questions the guard is for get 0.04
# or more (the 5,772 English questions of XQuAD, SQuAD, PolicyQA, the policy set, the briefing).
_ENGLISH_NOT_RULED_OUT = 0.01


def detect_language(text: str) -> Language:
    """The language ``text`` is written in.

    Args:
        text: a question or a document's text (the first few thousand characters are enough).
    """
    probabilities = _classify(text[:_SAMPLE])
    code, confidence = next(iter(probabilities.items()))
    if (
        code != ENGLISH
        and confidence < SURE
        and probabilities.get(ENGLISH, 0.0) >= _ENGLISH_NOT_RULED_OUT
        and _looks_english(text)
    ):
        return Language(ENGLISH, confidence)
    return Language(str(code), float(confidence))


# A document's language shows in its first pages; reading all of a long one costs time.
_SAMPLE = 5000


def _classify(text: str) -> dict[str, float]:
    """Each two-letter language's probability among the two-letter ones, likeliest first (the
    full model's probabilities renormalised: what a restricted model gives)."""
    ranked = [(str(code), float(p)) for code, p in _identifier().rank(text) if _answerable(code)]
    total = sum(p for _, p in ranked)
    return {code: p / total if total > 0 else 0.0 for code, p in ranked}


def _looks_english(text: str) -> bool:
    if not text.isascii():
        return False
    words = _WORD.findall(text.lower())
    return sum(w in _ENGLISH_FUNCTION_WORDS for w in words) >= _ENGLISH_WORDS_NEEDED


@functools.cache
def script_of(code: str) -> str:
    """The script ``code`` is written in (ISO 15924, "Latn", "Hans", "Arab"), from CLDR's
    likely subtags, which Babel ships; the code itself when CLDR does not know it (a script
    no other language shares)."""
    from babel.core import get_global

    likely = get_global("likely_subtags").get(code)
    parts = str(likely).split("_") if likely else []
    return parts[1] if len(parts) > 2 else code
