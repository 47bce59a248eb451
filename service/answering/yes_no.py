"""Reading a yes/no or permission question (issue #33): "Do you share my contact information?",
"Can I opt out?", "Is it allowed to sell my data?", "Must I register?".

English only (the English route; the cross-lingual route leaves it off): such a question opens
with an auxiliary or a modal, then its subject, then what is asked about — a verb and what it
acts on. The words below are English's closed classes (auxiliaries, pronouns, determiners) and
nothing of any document; without a part-of-speech tagger, a subject that is not a pronoun is
taken to be its determiner or name and one word, with a plural after them ("the company", "my
data", "the third parties"), which is how readers of a policy ask ("Does the website collect
...?"); a question it cannot read that way is left alone (None), never read by guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# do-support and modals: the verb that follows is the one asked about.
_DO_AND_MODALS = frozenset("do does did can could may might must shall should will would".split())
# be and have: what follows the subject is a participle, an adjective or "to" + verb.
_BE_AND_HAVE = frozenset("am is are was were has have had".split())
_NEGATED_OPENERS = {
    "don't": "do", "doesn't": "does", "didn't": "did", "can't": "can", "cannot": "can",
    "couldn't": "could", "mustn't": "must", "shouldn't": "should", "won't": "will",
    "wouldn't": "would", "isn't": "is", "aren't": "are", "wasn't": "was", "weren't": "were",
    "hasn't": "has", "haven't": "have", "hadn't": "had",
}  # fmt: skip
_PRONOUNS = frozenset(
    "i you we they he she it one there someone anyone anybody somebody everyone people".split()
)
_DETERMINERS = frozenset(
    "the my your our their his her its this that these those a an any some all each every "
    "other another no such".split()
)
# Words that make the question indirect: "Can you tell me what ...?" asks what, not whether.
_INDIRECT_VERBS = frozenset("tell know explain show say describe".split())
_WH = frozenset("what which who whom whose when where why how whether if".split())
# Leading words that open a question without changing what it asks ("So, can I ...?").
_LEAD_INS = frozenset("so and but also then ok okay well please hi hello".split())
# Verbs that hand the question to the verb after their "to" ("Do I need to register?").
_SEMI_MODALS = frozenset("need needs have has want wants ought got".split())
# Adverbs between the subject and the verb ("Have you ever sold ...?").
_ADVERBS = frozenset("ever really still also already actually currently always never".split())
# A passive's auxiliary after the subject: the participle after it is what is asked.
_BE_FORMS = frozenset("be been being".split())
# Words ending in -s that are no plural noun ("Does the site always ...", "Is it as ...").
_NOT_PLURALS = frozenset("always has does was perhaps sometimes its as yes news".split())
# Words that are never the verb asked about ("Will power and ...").
_NOT_VERBS = frozenset("and or of to in on for with at by from as than".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*|\d+")


@dataclass(frozen=True)
class YesNo:
    """A yes/no question, read.

    Attributes:
        clause: the asking clause as the reader wrote it ("Do you share my contact
            information?"): a long question's other clauses ("If yes, how?") left out.
        opener: its auxiliary or modal, lower case, positive ("do" for "don't").
        subject: who or what it asks about ("you", "the company").
        verb: the verb asked about ("share"; for "is it allowed to sell ...", "sell"), lower
            case; for a question about a state ("Is my data safe?") the first word of it.
        rest: what follows the verb ("my contact information"; "" for "Can I opt out?" less
            its particle: "out").
        negated: the question itself is negative ("Don't you sell ...?"): a reply's "no" would
            be ambiguous, so no verdict is given to it.
        passive: the subject is what is acted on ("Is my data shared?", "Will the users be
            notified?"), not who acts.
    """

    clause: str
    opener: str
    subject: str
    verb: str
    rest: str
    negated: bool
    passive: bool = False


def read_yes_no(question: str) -> YesNo | None:
    """The yes/no question in ``question``, or None when it asks something else."""
    for clause in _clauses(question):
        found = _read_clause(clause)
        if found is not None:
            return found
    return None


def _clauses(question: str) -> list[str]:
    """The question's sentences, and after a leading "if ..., " or "when ..., " clause, the
    main one ("If you share my data, do you need my permission?")."""
    parts = [p.strip() for p in re.split(r"(?<=[?.!])\s+", question.strip()) if p.strip()]
    clauses: list[str] = []
    for part in parts:
        clauses.append(part)
        _, comma, tail = part.partition(",")
        if comma and tail.strip():
            clauses.append(tail.strip())
    return clauses


def _read_clause(clause: str) -> YesNo | None:
    matches = list(_WORD.finditer(clause))
    words = [m.group(0).replace("\u2019", "'") for m in matches]
    lowered = [w.lower() for w in words]
    start = 0
    while start < len(lowered) and lowered[start] in _LEAD_INS:
        start += 1
    if len(lowered) - start < 3:  # an opener, a subject and something asked
        return None
    first = lowered[start]
    negated = first in _NEGATED_OPENERS
    opener = _NEGATED_OPENERS.get(first, first)
    if opener not in _DO_AND_MODALS and opener not in _BE_AND_HAVE:
        return None
    after = start + 1
    if lowered[after] == "not":  # "Do not share ..." is an instruction, not a question
        return None
    subject_end = _subject_end(words, lowered, after, clause.rstrip().endswith("?"))
    if subject_end is None or subject_end >= len(lowered):
        return None
    if lowered[subject_end] == "not":  # "Can you not ...?", "Do you not ...?"
        negated = True
        subject_end += 1
        if subject_end >= len(lowered):
            return None
    verb_from = subject_end
    while verb_from < len(lowered) - 1 and lowered[verb_from] in _ADVERBS:
        verb_from += 1
    verb_at = _verb_position(lowered, verb_from, opener in _BE_AND_HAVE)
    if verb_at is None:
        return None
    if lowered[verb_at] in _INDIRECT_VERBS and _asks_indirectly(lowered, verb_at):
        return None
    text_from = matches[verb_at + 1].start() if verb_at + 1 < len(matches) else len(clause)
    return YesNo(
        clause=_capitalised(clause[matches[start].start() :].strip()),
        opener=opener,
        subject=clause[matches[after].start() : matches[subject_end - 1].end()],
        verb=lowered[verb_at],
        rest=clause[text_from:].strip().rstrip("?.!").strip(),
        negated=negated,
        passive=opener in _BE_AND_HAVE or lowered[verb_at - 1] in _BE_FORMS,
    )


def _subject_end(words: list[str], lowered: list[str], at: int, asks: bool) -> int | None:
    """Where the subject that starts at ``at`` ends (the position after it), or None when no
    subject follows ("May 2014 ...", "Can opener ..."). A bare noun is a subject only in a
    clause that ends with "?" and in the plural ("Are cookies used?"): "Will power ..." is a
    title, not a question."""
    word = lowered[at]
    if word in _PRONOUNS:
        return at + 1
    if word in _DETERMINERS or word.endswith("'s"):
        end = at + 2 if at + 2 < len(lowered) else None
    elif words[at][:1].isupper() and not word.isdigit():  # a name: "Does Acme sell ...?"
        end = at + 1
        while end < len(words) - 1 and words[end][:1].isupper():
            end += 1
    elif asks and _plural(word):
        end = at + 1
    elif asks and at + 2 < len(lowered) and _plural(lowered[at + 1]):
        end = at + 1  # "Do third parties ...?": the plural below makes it two words
    else:
        return None
    # A plural after it is the head of the subject ("the third parties", "Kazakh workers"):
    # after "do" the verb has no -s.
    if end is not None and end < len(lowered) - 1 and _plural(lowered[end]):
        end += 1
    return end


def _plural(word: str) -> bool:
    return (
        word.endswith("s")
        and not word.endswith(("ss", "us", "is"))
        and word not in _NOT_VERBS
        and word not in _NOT_PLURALS
    )


def _verb_position(lowered: list[str], at: int, be_or_have: bool) -> int | None:
    """The verb asked about, from just after the subject: for "allowed to", "able to", "going
    to" after be ("Is it allowed to sell ...?") and "need to", "have to" after do or a modal,
    the verb after "to" ("Must I register to use it?" asks about registering)."""
    if (
        at + 2 < len(lowered)
        and lowered[at + 1] == "to"
        and (be_or_have or lowered[at] in _SEMI_MODALS)
    ):
        return at + 2
    word = lowered[at]
    if word in _DETERMINERS and at + 3 < len(lowered) and lowered[at + 2] == "to":
        return at + 3  # "Is there a way to opt out?"
    if word in _DETERMINERS or word in _NOT_VERBS or word.isdigit():
        return None
    if word in _BE_FORMS and at + 1 < len(lowered) and lowered[at + 1] not in _DETERMINERS:
        # "Will I be notified?", "Has it been shared?", "Will I be able to opt out?"
        return _verb_position(lowered, at + 1, True)
    return at


def _asks_indirectly(lowered: list[str], verb_at: int) -> bool:
    """ "Can you tell me what ...?", "Do you know whether ...?": a question inside."""
    window = lowered[verb_at + 1 : verb_at + 4]
    return any(w in _WH for w in window)


def _capitalised(clause: str) -> str:
    """ "can I delete it?" (after "So, ") reads as a question of its own: "Can I delete it?"."""
    return clause[:1].upper() + clause[1:]
