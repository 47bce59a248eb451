"""Rendering the HTML pages: one Jinja environment, and every page given what the caller may
see (the readable documents, their counts), who is signed in, and the CSRF token its forms
carry."""

from __future__ import annotations

from typing import Any, Literal

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from ..settings import PROJECT_ROOT
from .callers import CSRF_COOKIE, Caller
from .reading import Readable

# Autoescape everywhere: questions and corpus text are only ever rendered as text.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(PROJECT_ROOT / "web" / "templates"), autoescape=True
    )
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    caller: Caller,
    readable: Readable,
    status: int = 200,
) -> HTMLResponse:
    """The page ``name``; ``view`` in the templates is what ``caller`` may read."""
    local = caller.via != "open"
    page = templates.TemplateResponse(
        request,
        name,
        {
            **context,
            "view": readable,
            "caller": caller,
            "auth_local": local,
            "csrf": caller.csrf if local else None,
        },
        status_code=status,
    )
    if caller.fresh_csrf and caller.csrf:
        set_cookie(request, page, CSRF_COOKIE, caller.csrf, None, "strict")
    return page


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
