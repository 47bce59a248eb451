"""The library's pages: sign in and out (with the admin token when auth is off; with a user
name and password in local mode, ``signin.py``), and the library itself."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .api import State, rate_limit
from .auth import may_write
from .callers import CallerDep
from .phrases import Phrase
from .reading import ReadableDep
from .rendering import render
from .signin import login_form, sign_in, sign_out

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, state: State, caller: CallerDep) -> HTMLResponse:
    """The sign-in form (a password field for the admin token, or a user name and password)."""
    return login_form(request, state, caller, None, 200)


@router.post("/login", response_model=None, dependencies=[Depends(rate_limit)])
async def login(
    request: Request,
    state: State,
    caller: CallerDep,
    token: Annotated[str, Form(max_length=1000)] = "",
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Check the credentials in constant time; on success a cookie marks the browser."""
    if caller.via != "open":
        return await sign_in(request, state, caller, username, password)
    expected = state.settings.admin_token
    if not expected:
        disabled = Phrase("Sign-in is disabled: no admin token is configured.")
        return login_form(request, state, caller, disabled, 404)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        return login_form(request, state, caller, Phrase("That token is not right."), 401)
    request.session["admin"] = True
    return RedirectResponse("/library", status_code=303)


@router.post("/logout")
async def logout(request: Request, state: State, caller: CallerDep) -> Response:
    """Forget the sign-in."""
    if caller.via != "open":
        return await sign_out(request, state, caller)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/library", response_class=HTMLResponse)
async def library_page(
    request: Request, state: State, caller: CallerDep, readable: ReadableDep
) -> HTMLResponse:
    """The documents, their status, and (signed in) upload and delete."""
    if caller.via == "open":
        signed_in, collections = bool(request.session.get("admin")), []
    else:
        policy = state.collections.policy(readable.version)
        collections = sorted(c for c in policy.shelves if may_write(caller, policy, c))
        signed_in = bool(collections) and caller.role in ("editor", "admin")
    context = {
        "signed_in": signed_in,
        "collections": collections,
        "max_mb": state.settings.max_upload_bytes // (1024 * 1024),
        # The second, multilingual build phase (issue #32): ready, or how far it has come.
        "multilingual": (
            state.second_phase.progress_of(readable.index) if state.second_phase else None
        ),
    }
    return render(request, "library.html", context, caller, readable)
