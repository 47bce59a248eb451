"""Validation and cleaning of what users type, shared by the API, the form page and anything
later that takes a conversation: one parsing path, one set of limits, one kind of error."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from index.languages import known_languages
from index.text import clean_user_text

from ..answering import Turn
from ..settings import Settings
from .phrases import Phrase
from .schemas import AskRequest

_NOT_A_LIST = Phrase("history must be a JSON list of earlier turns")


@dataclass
class InputProblem(Exception):
    """A request that cannot be answered as sent; ``message`` says what to change (a
    :class:`Phrase`, said in the reader's language where the response is written)."""

    field: str
    message: str


def clean_question(raw: str, settings: Settings) -> str:
    """The question without control or zero-width characters, checked for length."""
    question = clean_user_text(raw)
    if not question:
        raise InputProblem("question", Phrase("question must not be empty"))
    if len(question) > settings.max_question_chars:
        raise InputProblem(
            "question",
            Phrase(
                "question is %(length)s characters long; the limit is %(limit)s",
                length=len(question),
                limit=settings.max_question_chars,
            ),
        )
    return question


def decode_history_json(raw: str) -> list[Any]:
    """The conversation a client carried as JSON text (the no-JavaScript form's hidden field).

    Anything that is not a JSON list is an :class:`InputProblem`, never an exception that
    escapes: deeply nested arrays make the decoder recurse past Python's limit (issue #16).
    """
    if not raw.strip():
        return []
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise InputProblem("history", _NOT_A_LIST) from None
    if not isinstance(data, list):
        raise InputProblem("history", _NOT_A_LIST)
    return data


def validate_history(turns: Sequence[Any], settings: Settings) -> list[Turn]:
    """Earlier turns, checked against the same limits whichever route they came by.

    Each turn is a mapping (or an object with attributes) with a ``question`` string and an
    optional ``answer`` string.
    """
    if len(turns) > settings.max_history_turns:
        raise InputProblem(
            "history",
            Phrase(
                "history has %(turns)s turns; the limit is %(limit)s",
                turns=len(turns),
                limit=settings.max_history_turns,
            ),
        )
    history = []
    for i, turn in enumerate(turns):
        fields = turn if isinstance(turn, Mapping) else getattr(turn, "__dict__", None)
        if not isinstance(fields, Mapping):
            raise InputProblem(
                f"history.{i}",
                Phrase("%(field)s must be an object with a question", field=f"history.{i}"),
            )
        question, answer = fields.get("question"), fields.get("answer", "")
        for name, value in (("question", question), ("answer", answer)):
            if not isinstance(value, str):
                where = f"history.{i}.{name}"
                raise InputProblem(where, Phrase("%(field)s must be text", field=where))
            if len(value) > settings.max_history_chars:
                where = f"history.{i}.{name}"
                raise InputProblem(
                    where,
                    Phrase(
                        "%(field)s is longer than %(limit)s characters",
                        field=where,
                        limit=settings.max_history_chars,
                    ),
                )
        history.append(Turn(clean_user_text(str(question)), clean_user_text(str(answer))))
    return history


def validate_ask(body: AskRequest, settings: Settings) -> tuple[str, list[Turn], int]:
    """(question, history, top_k) from a request, or :class:`InputProblem`."""
    question = clean_question(body.question, settings)
    history = validate_history(body.history, settings)
    top_k = body.top_k if body.top_k is not None else settings.top_k
    if top_k > settings.max_top_k:
        raise InputProblem(
            "top_k", Phrase("top_k must be at most %(limit)s", limit=settings.max_top_k)
        )
    return question, history, top_k


def validate_language(language: str | None) -> str | None:
    """A question's language as a caller names it (ISO 639-1, any case), or None."""
    if language is None:
        return None
    code = language.strip().lower()
    if code not in known_languages():
        raise InputProblem(
            "language",
            Phrase(
                "unknown language %(code)s: give an ISO 639-1 code such as de, fr or zh",
                code=repr(language),
            ),
        )
    return code


def validate_scope(documents: list[str] | None, known: Collection[str]) -> list[str] | None:
    """The document ids a question is scoped to, each one the library holds."""
    if documents is None:
        return None
    unknown = [d for d in documents if d not in known]
    if unknown:
        raise InputProblem("documents", unknown_document(unknown[0]))
    if not documents:
        raise InputProblem("documents", Phrase("documents, when given, must name at least one"))
    return documents


def unknown_document(document_id: str) -> Phrase:
    """The error for a document id nobody may read here (as good as none)."""
    return Phrase("unknown document id %(id)s", id=repr(document_id))


def no_document(document_id: str) -> Phrase:
    """The error for a document nobody may read here (as good as one that does not exist)."""
    return Phrase("no document with id %(id)s", id=repr(document_id))
