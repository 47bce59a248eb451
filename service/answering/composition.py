"""Compose the answer: the likeliest sentence, one more when it cannot stand alone, and the
runners-up the model cannot tell from it, as far as the length budget allows; a sentence that
does not fit is quoted in part (``excerpts.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index import LoadedIndex
from index.model import LIST_ITEM

from .answer_types import has_answer_type
from .candidates import Candidates
from .constraints import same_section
from .excerpts import ELLIPSIS, Focus, excerpt
from .question import QuestionFacts, opens_by_referring
from .tunables import (
    FRAGMENT_CHARS,
    LEAD_IN_ENDS,
    MARKER_CHARS,
    MAX_ANSWER_CHARS,
    MIN_EXCERPT_CHARS,
    SECOND_SENTENCE_MARGIN,
)


@dataclass(frozen=True)
class Composition:
    """The sentences to quote (in answer order), what of each is quoted (the whole sentence
    or an excerpt), and the other candidates, likeliest first."""

    chosen: list[int]
    quotes: dict[int, str]
    runners_up: list[int]


def compose(
    index: LoadedIndex,
    candidates: Candidates,
    order: np.ndarray,
    probabilities: np.ndarray,
    facts: QuestionFacts,
) -> Composition:
    """What to quote, within MAX_ANSWER_CHARS (each sentence's citation marker included)."""
    ids = candidates.sentence_ids
    best = ids[int(order[0])]
    chosen = [best]
    gist = bool(candidates.column("overview_lead")[int(order[0])])
    items, items_left_out = _items_led_in(index, best)
    if not items and gist:
        items = _rest_of_opening(index, candidates, order)
    second = None
    if not items and not gist:
        second = _second_sentence(index, candidates, order, probabilities, facts)
    if items:  # a lead-in with what it announces, or a gist read on, as far as room allows
        chosen.extend(items)
    elif second is not None:
        chosen.append(second)
        # Neighbours read in the document's order; a sentence from elsewhere comes after the
        # likeliest one, so citation [1] is the best answer's passage. A yes/no question's
        # answer leads with its likeliest sentence, the one that settles it, whatever precedes.
        if abs(second - best) <= 1 and facts.yes_no is None:
            chosen.sort(key=lambda s: (index.sentences[s].document_id, index.sentences[s].start))
        third = _another_runner_up(index, candidates, order, probabilities, chosen)
        if third is not None:
            chosen.append(third)
    runners_up = [ids[int(i)] for i in order[1:] if ids[int(i)] not in chosen]
    focus = Focus(candidates.query_stems, facts.expected, facts.question)
    quotes = _fit(index, chosen, best, focus)
    if items_left_out and not quotes[chosen[-1]].endswith(ELLIPSIS):
        quotes[chosen[-1]] += " " + ELLIPSIS  # the list goes on past what is quoted
    return Composition(chosen, quotes, runners_up)


def _fit(index: LoadedIndex, chosen: list[int], best: int, focus: Focus) -> dict[int, str]:
    """Each chosen sentence's quote: whole where the answer fits, else the sentences other
    than the best one cut to what is left and the best one to the rest."""
    texts = {s: index.sentences[s].text for s in chosen}
    room = MAX_ANSWER_CHARS - MARKER_CHARS * len(chosen)
    if sum(len(t) for t in texts.values()) <= room:
        return texts
    others = [s for s in chosen if s != best]
    left_for_others = max(room - len(texts[best]), MIN_EXCERPT_CHARS * len(others))
    quotes: dict[int, str] = {}
    # Shortest first: what a short one leaves goes to the longer ones.
    for k, s in enumerate(sorted(others, key=lambda s: len(texts[s]))):
        # The sentence before one that opens by pointing back: what it points to is its end.
        antecedent = s == best - 1 and opens_by_referring(texts[best])
        share = (left_for_others - sum(len(q) for q in quotes.values())) // (len(others) - k)
        quotes[s] = excerpt(texts[s], share, focus, keep_end=antecedent)
    used = sum(len(q) for q in quotes.values())
    quotes[best] = excerpt(texts[best], room - used, focus)
    return quotes


def _items_led_in(index: LoadedIndex, best: int) -> tuple[list[int], bool]:
    """The sentences a lead-in announces ("… only under the following circumstances:"): those
    after it in its section, in order, while they fit the answer's length; the first one that
    does not fit whole is quoted in part when MIN_EXCERPT_CHARS are left (issue #33: a broad
    question answered with its list, not with the sentence that introduces it). A colon at
    the end announces what follows (LEAD_IN_ENDS: the colon and the full-width one).

    Returns:
        The items, and whether items that did not fit were left out whole (the answer then
        ends in "…", as a sentence cut does)."""
    if not index.sentences[best].text.rstrip().endswith(LEAD_IN_ENDS):
        return [], False
    # Room for the ellipsis that says the list goes on.
    budget = MAX_ANSWER_CHARS - MARKER_CHARS - len(index.sentences[best].text) - 2
    items: list[int] = []
    candidate = best + 1
    # A list announced is its items: the paragraph after the list is not one of them.
    kind = index.sentences[candidate].kind if candidate < len(index.sentences) else ""
    while (
        candidate < len(index.sentences)
        and same_section(index, best, candidate)
        and (kind != LIST_ITEM or index.sentences[candidate].kind == LIST_ITEM)
    ):
        length = len(index.sentences[candidate].text) + MARKER_CHARS
        if length > budget:
            if budget - MARKER_CHARS >= MIN_EXCERPT_CHARS:
                items.append(candidate)  # cut by _fit, "…" where it stops
                return items, False
            return items, bool(items)
        items.append(candidate)
        budget -= length
        candidate += 1
    return items, False


def _rest_of_opening(index: LoadedIndex, candidates: Candidates, order: np.ndarray) -> list[int]:
    """For a gist (the opening of a document or of the section the question names): the
    opening's next sentences, in order, while they fit whole — the gist reads on, and a
    runner-up from elsewhere is no part of it."""
    lead = candidates.column("overview_lead")
    best = candidates.sentence_ids[int(order[0])]
    rest = sorted(candidates.sentence_ids[int(i)] for i in order[1:] if lead[int(i)] > 0)
    budget = MAX_ANSWER_CHARS - MARKER_CHARS - len(index.sentences[best].text)
    run: list[int] = []
    for sentence_id in (s for s in rest if s > best):
        budget -= len(index.sentences[sentence_id].text) + MARKER_CHARS
        if budget < 0:
            break
        run.append(sentence_id)
    return run


def _second_sentence(
    index: LoadedIndex,
    candidates: Candidates,
    order: np.ndarray,
    probabilities: np.ndarray,
    facts: QuestionFacts,
) -> int | None:
    """A second sentence when the best one cannot stand alone or lacks what is asked: its
    antecedent when it opens with "These"/"It", the neighbour when only the neighbour holds the
    date or number asked for, the next sentence when the best is a fragment, or a runner-up the
    model rates nearly as likely — within the length budget."""
    best = candidates.sentence_ids[int(order[0])]
    text = index.sentences[best].text
    budget = MAX_ANSWER_CHARS - 2 * MARKER_CHARS - len(text)
    # A neighbour the best sentence needs is quoted in part when it does not fit whole.
    room_for_part = budget >= MIN_EXCERPT_CHARS

    def neighbour(offset: int) -> int | None:
        candidate = best + offset
        if 0 <= candidate < len(index.sentences) and same_section(index, best, candidate):
            return candidate
        return None

    if opens_by_referring(text):
        antecedent = neighbour(-1)
        if antecedent is not None and (room_for_part or _fits(index, antecedent, budget)):
            return antecedent
    expected = facts.expected
    if expected is not None and not has_answer_type(expected, text, facts.question):
        for offset in (1, -1):
            candidate = neighbour(offset)
            if (
                candidate is not None
                and has_answer_type(expected, index.sentences[candidate].text, facts.question)
                and (room_for_part or _fits(index, candidate, budget))
            ):
                return candidate
    following = neighbour(1)
    if following is not None:
        following_text = index.sentences[following].text
        fragment = min(len(text), len(following_text)) < FRAGMENT_CHARS
        if fragment and len(following_text) <= budget:
            return following
    if budget <= 20:
        return None
    # The model is unsure between two sentences: quote the runner-up too, if it fits.
    return _close_runner_up(index, candidates, order[:3], probabilities, budget, [best])


def _another_runner_up(
    index: LoadedIndex,
    candidates: Candidates,
    order: np.ndarray,
    probabilities: np.ndarray,
    chosen: list[int],
) -> int | None:
    """A further runner-up the model rates nearly as likely, when what is chosen leaves room:
    the reader judges between close candidates better than the model does (held out on the
    shared SQuAD articles, answer accuracy 0.777 -> 0.785 for 245 -> 252 characters; the
    briefing's sets 0.882 -> 0.888)."""
    budget = MAX_ANSWER_CHARS - sum(len(index.sentences[s].text) + MARKER_CHARS for s in chosen)
    budget -= MARKER_CHARS
    return _close_runner_up(index, candidates, order[:4], probabilities, budget, chosen)


def _close_runner_up(
    index: LoadedIndex,
    candidates: Candidates,
    order: np.ndarray,
    probabilities: np.ndarray,
    budget: int,
    chosen: list[int],
) -> int | None:
    """The likeliest of ``order[1:]`` not yet chosen that the model rates within
    SECOND_SENTENCE_MARGIN of ``order[0]``: whole if it fits in ``budget`` characters, in part
    if at least MIN_EXCERPT_CHARS are left, else the next close one that fits whole."""
    within_margin = [
        candidates.sentence_ids[int(rank)]
        for rank in order[1:]
        if float(probabilities[order[0]] - probabilities[rank]) <= SECOND_SENTENCE_MARGIN
    ]
    close = [c for c in within_margin if c not in chosen]
    if not close:
        return None
    # The likeliest close one, quoted in part where it does not fit whole.
    if _fits(index, close[0], budget) or budget >= MIN_EXCERPT_CHARS:
        return close[0]
    return next((c for c in close[1:] if _fits(index, c, budget)), None)


def _fits(index: LoadedIndex, sentence_id: int, budget: int) -> bool:
    return len(index.sentences[sentence_id].text) <= budget
