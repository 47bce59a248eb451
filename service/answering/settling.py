"""Which sentence settles a yes/no question, and what it settles (issue #33).

A sentence settles "Do you share my contact information?" when it holds the asked verb (in
any of its forms: "shares", "shared", "sharing"; "sold" for "sell") and the most telling word
of what the verb acts on ("contact": fewer passages use it than "information"), so that it
states the thing asked, one way or the other. Its verdict is read only where it is plain, from
the uses of the verb by the one asked about ("we" for a question to "you"): all negated just
before the verb ("We do not sell ...") is "no"; a condition anywhere ("only", "unless",
"except", "if", "provided", "without your consent") makes it "conditional"; the verb stated
with neither is "yes"; uses that disagree, or a negation elsewhere, leave it unsure (None) —
a verdict is never guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from index import LoadedIndex
from index.text import QUERY_FILLER, content_terms, in_family, stem

from . import tunables
from .tunables import VERB_NEGATION_WINDOW
from .yes_no import YesNo

YES, NO, CONDITIONAL = "yes", "no", "conditional"

# English's common irregular verbs (base, past, participle): "Do you sell ...?" is settled by
# "... is never sold".
_IRREGULAR = """sell sold; buy bought; keep kept; send sent; give gave given; take took taken;
make made; get got gotten; tell told; hold held; know knew known; see saw seen; show showed
shown; pay paid; find found; lose lost; leave left; write wrote written; choose chose chosen;
do did done; go went gone; become became; bring brought; begin began begun; speak spoke
spoken; steal stole stolen; forget forgot forgotten; hide hid hidden; seek sought; spend
spent; lend lent; build built; mean meant; deal dealt; think thought; teach taught; catch
caught; run ran; come came; grant granted; withdraw withdrew withdrawn; undertake undertook
undertaken; forbid forbade forbidden; hear heard; understand understood"""
_NEGATIONS = frozenset("not no never cannot nor neither".split())
_CONDITIONS = frozenset("only unless except excepting if provided providing".split())
# A condition in other words than _CONDITIONS: "without your consent", "with your permission".
_CONSENT = re.compile(
    r"\bwith(?:out)? (?:your |their |the user's |prior |express |explicit )*"
    r"(?:consent|permission|authori[sz]ation|approval|agreement)\b"
)
# Who states a verb: the policy's writer, or its reader.
_WRITER = frozenset({"we"})
_READER = frozenset("you users user visitors customers members i".split())
# Words between a verb and who states it ("we may also sell", "you can always opt out").
_PASSING = frozenset(
    "do does did will would shall should may might can could must also still only and or "
    "then therefore generally usually".split()
)
_BE = frozenset("is are was were be been being".split())
_TOKEN = re.compile(r"[a-z]+(?:['\u2019][a-z]+)?")
# Words that end a clause: a negation before one does not reach the verb after it.
_CLAUSE_BREAK = re.compile(r"[,;:()\u2013\u2014]|--")


@dataclass(frozen=True)
class Settled:
    """What the quoted answer settles: the question's asking clause as the reader wrote it,
    the verdict ("yes", "no", "conditional", or None when the sentence does not say it
    plainly) and the number of the citation that holds the sentence."""

    question: str
    verdict: str | None
    citation: int


@functools.lru_cache(maxsize=1)
def _irregular() -> dict[str, tuple[str, ...]]:
    """Each irregular form -> its verb's forms, the base first."""
    families: dict[str, tuple[str, ...]] = {}
    for group in _IRREGULAR.split(";"):
        forms = tuple(group.split())
        for form in forms:
            families[form] = forms
    return families


@functools.lru_cache(maxsize=4096)
def verb_forms(verb: str) -> frozenset[str]:
    """The forms of ``verb`` (given in any form: "share", "shared", "sold"): its base with
    -s, -d or -ed, -ing (the "e" dropped, the last consonant doubled), and its irregular
    forms."""
    verb = verb.lower()
    irregular = _irregular().get(verb, ())
    forms: set[str] = {verb, *irregular}
    bases = [irregular[0]] if irregular else _bases(verb) or [verb]
    for base in bases:
        if len(base) < 2:
            continue
        forms.update({base, base + "s", base + "ing"})
        if base.endswith("e"):
            forms.update({base + "d", base[:-1] + "ing"})
        elif base.endswith("y"):
            forms.update({base + "ed", base[:-1] + "ies", base[:-1] + "ied"})
        else:
            forms.update(
                {base + "es", base + "ed", base + base[-1] + "ed", base + base[-1] + "ing"}
            )
    return frozenset(forms)


def _bases(verb: str) -> list[str]:
    """The bases an inflected form may come from ("shared": "share", "shar"; "stopped":
    "stop"; "denied": "deny"); none for a form that is not inflected."""
    for ending in ("ing", "ied", "ies", "ed", "es", "s"):
        if verb.endswith(ending) and len(verb) - len(ending) >= 2:
            stripped = verb[: -len(ending)]
            if ending in ("ied", "ies"):
                return [stripped + "y"]
            bases = [stripped, stripped + "e"]
            if len(stripped) > 2 and stripped[-1] == stripped[-2]:
                bases.append(stripped[:-1])
            return bases
    return []


def object_stems(asked: YesNo) -> frozenset[str]:
    """The stems of the words the asked verb acts on ("contact", "inform" of "my contact
    information"); a particle ("opt out") or a pronoun says nothing of it. In a passive the
    subject is what is acted on ("Is my card shared?"), so its words count too."""
    return frozenset(stem(t) for t in _object_terms(asked))


def object_key(asked: YesNo, frequency: Callable[[str], int]) -> frozenset[str]:
    """What a settling sentence must name of the object: its most telling word, the one the
    fewest passages use (``frequency``: a word's document frequency) — "contact" of "my
    contact information", since a sentence about any information does not settle it. Words
    the documents never use cannot be required; with none left, any of the object's words
    will do."""
    known = [t for t in _object_terms(asked) if frequency(t) > 0]
    if not known:
        return object_stems(asked)
    return frozenset({stem(min(known, key=frequency))})


def settles(asked: YesNo, text: str, key: frozenset[str] | None = None) -> bool:
    """``text`` holds the asked verb and, when the question names what it acts on, ``key``
    (default: any word of it), by stem or word family."""
    words = _tokens(text)
    forms = verb_forms(asked.verb)
    if not any(w in forms for w in words):
        return False
    wanted = object_stems(asked) if key is None else key
    if not wanted:
        return True
    present = frozenset(stem(w) for w in words)
    return any(in_family(s, present) for s in wanted)


def _object_terms(asked: YesNo) -> list[str]:
    words = asked.rest
    if asked.passive:
        words = f"{asked.subject} {words}"
    return [t for t in content_terms(words) if t not in QUERY_FILLER]


def verdict(asked: YesNo, text: str) -> str | None:
    """What ``text`` says to the question, when it says it plainly; None when unsure.

    Each use of the asked verb by the one asked about counts ("we" for a question to "you",
    "you" for one about "I", a passive for any): all of them negated is "no", none negated
    (and no negation elsewhere) "yes"; a condition makes either "conditional"; uses that
    disagree, or a verb used only by someone else ("third parties may collect ..." for "Do
    you collect ...?"), leave it unsure.
    """
    if asked.negated:  # "Don't you sell my data?" "No" would be read both ways
        return None
    lowered = text.lower().replace("\u2019", "'")
    forms = verb_forms(asked.verb)
    agents = _agents(asked)
    negated: set[bool] = set()
    for clause in _CLAUSE_BREAK.split(lowered):
        words = _tokens(clause)
        for i, word in enumerate(words):
            if word in forms and _said_by(words[:i], agents):
                before = words[max(0, i - VERB_NEGATION_WINDOW) : i]
                negated.add(any(_negative(w) for w in before))
    if not negated:
        return None
    if _CONSENT.search(lowered) or any(w in _CONDITIONS for w in _tokens(lowered)):
        return CONDITIONAL
    if negated == {True}:
        return NO
    if negated == {False} and not any(_negative(w) for w in _tokens(lowered)):
        return YES
    return None  # uses that disagree, or a negation of something else: unsure


def _agents(asked: YesNo) -> frozenset[str] | None:
    """Who states the asked verb in a policy's words: "we" when the question asks "you", the
    reader ("you", "users") when it asks about "I"; None when any may (a passive question,
    "Is my data shared?", or a subject the policy may name in its own way)."""
    subject = asked.subject.lower()
    if subject == "you":
        return _WRITER
    if subject == "i":
        return _READER
    return None


def _said_by(before: list[str], agents: frozenset[str] | None) -> bool:
    """The verb, with ``before`` the words of its clause before it, is stated by one of
    ``agents``: the nearest word before it past auxiliaries and adverbs names them, or the
    verb is a passive ("is never sold"), an infinitive ("to opt out") or, for the reader, an
    instruction ("Opt out by ...")."""
    if agents is None:
        return True
    for word in reversed(before):
        if word in _PASSING or word.endswith("ly") or _negative(word):
            continue
        return word in _BE or word == "to" or word in agents
    return agents is _READER


def prefer_settling(
    order: np.ndarray,
    probabilities: np.ndarray,
    settling: np.ndarray,
    margin: float | None = None,
) -> np.ndarray:
    """``order`` with the likeliest settling candidate first, when the model rates it within
    ``margin`` (default SETTLING_MARGIN, read at call time so that a sweep can set it) of its
    own choice (which then follows it, a close runner-up that composition quotes beside it when
    it fits)."""
    margin = tunables.SETTLING_MARGIN if margin is None else margin
    best = float(probabilities[order[0]])
    for position, candidate in enumerate(order):
        if best - float(probabilities[candidate]) > margin:
            break
        if settling[candidate]:
            if position == 0:
                return order
            return np.concatenate([[candidate], np.delete(order, position)]).astype(order.dtype)
    return order


def settling_first(
    index: LoadedIndex,
    sentence_ids: list[int],
    order: np.ndarray,
    probabilities: np.ndarray,
    asked: YesNo | None,
) -> np.ndarray:
    """The decision's ``order``, with a sentence that settles ``asked`` first when the model
    rates it close enough (:func:`prefer_settling`); unchanged for other questions. Shared by
    the answerer and the trainer's replay."""
    if asked is None:
        return order
    settling = settling_candidates(index, sentence_ids, asked)
    return prefer_settling(order, probabilities, settling)


def settling_candidates(index: LoadedIndex, sentence_ids: list[int], asked: YesNo) -> np.ndarray:
    """For each candidate sentence, whether it settles ``asked``."""
    return np.array([settles(asked, index.sentences[s].text) for s in sentence_ids], dtype=bool)


def what_it_settles(
    index: LoadedIndex, asked: YesNo, quotes: list[str], answer: str
) -> Settled | None:
    """What the answer settles: the first of ``quotes`` (likeliest first) that holds the asked
    verb and its object, read from what is quoted of it (a verdict in a part an excerpt left
    out is not the reader's to see); None when none does."""
    key = object_key(asked, index.document_frequency)
    for quote in quotes:
        marker = re.search(re.escape(quote) + r" \[(\d+)\]", answer)
        if marker is not None and settles(asked, quote, key):
            return Settled(asked.clause, verdict(asked, quote), int(marker.group(1)))
    return None


def _negative(word: str) -> bool:
    return word in _NEGATIONS or word.endswith("n't")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))
