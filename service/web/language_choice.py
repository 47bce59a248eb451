"""Which language a request is answered in, and the switcher every page carries.

The reader's choice is a cookie (kept a year; HttpOnly, as no script reads it); without one,
the browser's ``Accept-Language``; else the default (``languages.Languages``). The JSON API,
``/v1`` and the pages all use it, so the chat's own calls to ``/ask`` get refusals in the
language the page is shown in.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .languages import Languages, Words

LANGUAGE_COOKIE = "briefing_qa_lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

router = APIRouter(include_in_schema=False)


def words_for(request: Request) -> Words:
    """The words of the language this request is answered in."""
    languages: Languages = request.app.state.languages
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages.offered:
        return languages.words(chosen)
    return languages.words(languages.negotiate(request.headers.get("accept-language")))


async def current_words(request: Request) -> Words:
    """The reader's words (a FastAPI dependency)."""
    return words_for(request)


WordsDep = Annotated[Words, Depends(current_words)]


@router.post("/language")
async def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=20)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remember the reader's language and go back to the page they were on. (A preference,
    not a change to anything of theirs: no CSRF token is asked, so the switcher works on
    every page, signed in or not, with or without JavaScript.)"""
    languages: Languages = request.app.state.languages
    response = RedirectResponse(_same_site(back), status_code=303)
    if language in languages.offered:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def _same_site(path: str) -> str:
    """``path`` when it is a path of this site, else the chat (never an open redirect)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
