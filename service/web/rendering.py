"""Rendering the HTML pages: one Jinja environment, and every page given what the caller may
see (the readable documents, their counts), who is signed in, the CSRF token its forms carry,
and the reader's language (``{% trans %}`` and ``_()`` read its catalogue; the language
switcher lists the others)."""

from __future__ import annotations

from typing import Any, Literal

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from ..settings import PROJECT_ROOT
from .callers import CSRF_COOKIE, Caller
from .language_choice import words_for
from .languages import Languages, Words
from .phrases import Phrase
from .reading import Readable
from .script_words import script_words

# Autoescape everywhere: questions and corpus text are only ever rendered as text.
_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(PROJECT_ROOT / "web" / "templates"),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
)
# {% trans %} blocks are written over several lines; their msgids are one line of text.
_environment.policies["ext.i18n.trimmed"] = True


@jinja2.pass_context
def _gettext(context: Any, message: str) -> str:
    words: Words = context["words"]
    return words.gettext(message)


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    words: Words = context["words"]
    return words.ngettext(singular, plural, n)


# New-style gettext: values are escaped and put in by name, and the catalogue is the one of
# the request being rendered (the functions read it from the page's context).
_environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_environment)
# The scripts each page loads, whose words it hands them.
PAGE_SCRIPTS = {"chat.html": ("app.js",), "library.html": ("library.js",)}


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    caller: Caller,
    readable: Readable,
    status: int = 200,
) -> HTMLResponse:
    """The page ``name``; ``view`` in the templates is what ``caller`` may read, ``words`` the
    reader's language (a :class:`Phrase` in ``context`` is said in it)."""
    local = caller.via != "open"
    words = words_for(request)
    languages: Languages = request.app.state.languages
    said = {k: words.say(v) if isinstance(v, Phrase) else v for k, v in context.items()}
    page = templates.TemplateResponse(
        request,
        name,
        {
            **said,
            "view": readable,
            "caller": caller,
            "auth_local": local,
            "csrf": caller.csrf if local else None,
            "words": words,
            "languages": languages.choices(),
            "script_words": script_words(words, *PAGE_SCRIPTS.get(name, ())),
        },
        status_code=status,
    )
    if caller.fresh_csrf and caller.csrf:
        set_cookie(request, page, CSRF_COOKIE, caller.csrf, None, "strict")
    language_headers(page, words)
    return page


def language_headers(response: Response, words: Words) -> None:
    """Say which language the response is in, and that it depends on the reader's choice."""
    response.headers["Content-Language"] = words.tag
    response.headers.append("Vary", "Accept-Language, Cookie")


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    max_age: int | None,
    same_site: Literal["lax", "strict"],
) -> None:
    """An HttpOnly cookie for the whole site, Secure when the page came over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite=same_site,
        secure=request.url.scheme == "https",
        path="/",
    )
