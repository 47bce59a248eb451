"""Why a question was not answered, as a code and the values its wording needs.

The answerer never writes prose of its own: a refusal is a :class:`Refusal` (what was searched
and a :class:`Reason`), which the web layer renders through the message catalogue in the
reader's language (``service/web/words.py``). The English wording here is the catalogue's
source text (its msgids, extracted by ``pybabel extract`` through the ``N_`` marker); the
answerer renders it in English too, for the CLI and the evaluation, which have no reader.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

from index import LoadedIndex


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; it is translated where it is shown."""
    return msgid


# What the closest passage lacks, by the answer type the question expects.
KIND_MISSING = {
    "date": "no_date",
    "count": "no_count",
    "percentage": "no_percentage",
    "number": "no_figure",
    "duration": "no_duration",
}
REASONS: dict[str, str] = {
    "nothing_close": N_("nothing in them is close to the question"),
    "not_mentioned": N_("%(name)s is not mentioned"),
    "year_or_number": N_("the closest passage does not give the year or number you ask about"),
    "no_date": N_("the closest passage gives no date"),
    "no_count": N_("the closest passage gives no count"),
    "no_percentage": N_("the closest passage gives no percentage"),
    "no_figure": N_("the closest passage gives no figure"),
    "no_duration": N_("the closest passage gives no duration"),
    "not_about": N_("the closest passage is not about %(name)s"),
    "not_clear": N_("no passage states it clearly enough to quote"),
}
# Refusals that are no verdict on the documents, said whole (issue #32: the vectors that
# answer other languages are made after the English index serves).
WHOLE: dict[str, str] = {
    "multilingual_not_ready": N_(
        "Answers in other languages are still being prepared; please ask again in a few minutes."
    ),
}
# What was searched: the one document (by its title) or several.
ONE_DOCUMENT = N_("\u201c%(title)s\u201d does not answer this")
SEVERAL_DOCUMENTS = N_("These documents do not answer this")
# TRANSLATORS: a refusal: what was searched, then why it does not answer.
SENTENCE = N_("%(subject)s \u2014 %(reason)s, so I won't guess.")


def _same(msgid: str) -> str:
    return msgid


@dataclass(frozen=True)
class Reason:
    """Why the best candidate does not answer.

    Attributes:
        code: a key of :data:`REASONS` or :data:`WHOLE`.
        params: the values its wording needs (``name``: a name from the question).
    """

    code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Refusal:
    """A refusal as data: why, and the title of the one document searched (None: several)."""

    reason: Reason
    title: str | None = None

    @property
    def code(self) -> str:
        """The reason's code (the API reports it beside the rendered sentence)."""
        return self.reason.code

    @property
    def params(self) -> dict[str, str]:
        """Every value the sentence uses: the reason's, and the document's ``title``."""
        extra = {"title": self.title} if self.title is not None else {}
        return {**self.reason.params, **extra}

    def sentence(self, gettext: Callable[[str], str] = _same) -> str:
        """The refusal in the language of ``gettext`` (default: the English source)."""
        if self.reason.code in WHOLE:
            return gettext(WHOLE[self.reason.code])
        if self.title is not None:
            subject = gettext(ONE_DOCUMENT) % {"title": self.title}
        else:
            subject = gettext(SEVERAL_DOCUMENTS)
        reason = gettext(REASONS[self.reason.code]) % dict(self.reason.params)
        return gettext(SENTENCE) % {"subject": subject, "reason": reason}


def refusal_for(
    index: LoadedIndex, reason: Reason, documents: Collection[str] | None = None
) -> Refusal:
    """A refusal naming what was searched: the one document's title, or several — of
    ``documents`` when the question was scoped (a title outside them is never named)."""
    searched = list(index.documents) if documents is None else list(documents)
    if len(searched) == 1 and searched[0] in index.documents:
        return Refusal(reason, index.documents[searched[0]].title)
    return Refusal(reason)
