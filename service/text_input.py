"""Validation and cleaning of what users type, shared by the API and the form page."""

from __future__ import annotations

from dataclasses import dataclass

from index.text import clean_user_text

from .answerer import Turn
from .schemas import AskRequest
from .settings import Settings


@dataclass
class InputProblem(Exception):
    """A request that cannot be answered as sent; ``message`` says what to change."""

    field: str
    message: str


def clean_question(raw: str, settings: Settings) -> str:
    """The question without control or zero-width characters, checked for length."""
    question = clean_user_text(raw)
    if not question:
        raise InputProblem("question", "question must not be empty")
    if len(question) > settings.max_question_chars:
        raise InputProblem(
            "question",
            f"question is {len(question)} characters long; the limit is "
            f"{settings.max_question_chars}",
        )
    return question


def validate_ask(body: AskRequest, settings: Settings) -> tuple[str, list[Turn], int]:
    """(question, history, top_k) from a request, or :class:`InputProblem`."""
    question = clean_question(body.question, settings)
    if len(body.history) > settings.max_history_turns:
        raise InputProblem(
            "history",
            f"history has {len(body.history)} turns; the limit is {settings.max_history_turns}",
        )
    history = []
    for i, turn in enumerate(body.history):
        for name, value in (("question", turn.question), ("answer", turn.answer)):
            if len(value) > settings.max_history_chars:
                raise InputProblem(
                    f"history.{i}.{name}",
                    f"history.{i}.{name} is longer than {settings.max_history_chars} characters",
                )
        history.append(Turn(clean_user_text(turn.question), clean_user_text(turn.answer)))
    top_k = body.top_k if body.top_k is not None else settings.top_k
    if top_k > settings.max_top_k:
        raise InputProblem("top_k", f"top_k must be at most {settings.max_top_k}")
    return question, history, top_k
