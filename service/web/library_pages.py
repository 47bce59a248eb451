"""The library's pages: sign in and out with the admin token, and the library itself."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .api import State, rate_limit
from .pages import templates

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, state: State) -> HTMLResponse:
    """The sign-in form (a password field for the admin token)."""
    return _login(request, state, None, 200)


@router.post("/login", response_model=None, dependencies=[Depends(rate_limit)])
async def login(
    request: Request, state: State, token: Annotated[str, Form(max_length=1000)] = ""
) -> Response:
    """Check the token in constant time; on success the session cookie marks the browser."""
    expected = state.settings.admin_token
    if not expected:
        return _login(request, state, "Sign-in is disabled: no admin token is configured.", 404)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return _login(request, state, "That token is not right.", 401)
    request.session["admin"] = True
    return RedirectResponse("/library", status_code=303)


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """Forget the sign-in."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/library", response_class=HTMLResponse)
async def library_page(request: Request, state: State) -> HTMLResponse:
    """The documents, their status, and (signed in) upload and delete."""
    return templates.TemplateResponse(
        request,
        "library.html",
        {
            "index": state.holder.current(),
            "signed_in": bool(request.session.get("admin")),
            "max_mb": state.settings.max_upload_bytes // (1024 * 1024),
        },
    )


def _login(request: Request, state: State, error: str | None, status: int) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "login.html",
        {"index": state.holder.current(), "error": error},
        status_code=status,
    )
