"""The one JSON error shape of the API, its message in the reader's language."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from .languages import Words


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    words: Words | None = None,
) -> JSONResponse:
    """``{"error": {"code", "message", "details"}}`` with ``status``; a message (or a detail's
    message) that is a :class:`~service.web.phrases.Phrase` is said in ``words``' language
    (default: its English source). ``code`` stays the same in every language."""
    say = words.say if words is not None else str
    shown = [
        {**d, "message": say(d["message"])} if isinstance(d, dict) and "message" in d else d
        for d in details or []
    ]
    body = {"error": {"code": code, "message": say(message), "details": shown}}
    response = JSONResponse(body, status_code=status)
    if words is not None:
        response.headers["Content-Language"] = words.tag
        response.headers["Vary"] = "Accept-Language, Cookie"
    return response
