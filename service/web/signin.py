"""Signing in and out in local mode (issue #25): a user name and password checked against the
argon2 hash, a session in the database behind an HttpOnly cookie, failures limited per account
and per address in the shared limiter, every attempt in the audit log; and the account page,
where a password is changed (which ends every session of the user).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..library import AccountProblem
from ..library.accounts import LONGEST_PASSWORD, SHORTEST_PASSWORD
from ..settings import Settings
from ..state import AppState
from .api import rate_limit
from .callers import SESSION_COOKIE, Caller, CallerDep, State, client_address
from .phrases import Phrase
from .reading import ReadableDep, readable_for
from .rendering import render, set_cookie

log = logging.getLogger("briefing_qa.http")
router = APIRouter(include_in_schema=False)


class SignInLimits:
    """Failed sign-ins counted per account and per address in a moving window of a minute:
    in Redis when configured (every worker and replica counts together), else in memory. A
    Redis that cannot be reached falls back to this process's memory rather than to no limit:
    an open door for password guessing is worse than a stricter count."""

    def __init__(self, settings: Settings) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.item = RateLimitItemPerMinute(settings.login_failures_per_minute)
        self.local = MovingWindowRateLimiter(storage_from_string("memory://"))
        self.shared = (
            MovingWindowRateLimiter(
                storage_from_string(settings.redis_url, key_prefix=settings.redis_prefix)
            )
            if settings.redis_url
            else None
        )

    def wait(self, account: str, address: str) -> float:
        """Seconds until ``account`` from ``address`` may try again (0: now)."""
        for key in (("account", account), ("address", address)):
            limiter = self._limiter()
            try:
                if limiter.test(self.item, "sign-in", *key):
                    continue
                reset_at, _ = limiter.get_window_stats(self.item, "sign-in", *key)
            except Exception:
                log.warning("sign-in limiter store unreachable; counting in memory", exc_info=True)
                if self.local.test(self.item, "sign-in", *key):
                    continue
                reset_at, _ = self.local.get_window_stats(self.item, "sign-in", *key)
            return max(1.0, reset_at - time.time())
        return 0.0

    def failed(self, account: str, address: str) -> None:
        """Count one failure against both."""
        for key in (("account", account), ("address", address)):
            try:
                self._limiter().hit(self.item, "sign-in", *key)
            except Exception:
                self.local.hit(self.item, "sign-in", *key)

    def _limiter(self) -> Any:
        return self.shared or self.local


def login_form(
    request: Request, state: AppState, caller: Caller, error: Phrase | None, status: int
) -> HTMLResponse:
    """The sign-in form (the admin token's with auth off; a user name and password's)."""
    readable = readable_for(state, caller)
    return render(request, "login.html", {"error": error}, caller, readable, status)


async def sign_in(
    request: Request, state: AppState, caller: Caller, username: str, password: str
) -> Response:
    """Check a user name and password; on success, a new session and its cookie."""
    limits: SignInLimits = request.app.state.signin_limits
    address = client_address(request, state.settings.trusted_proxies)
    name = username.strip().lower()[:64]
    wait = await asyncio.to_thread(limits.wait, name, address)
    if wait > 0:
        seconds = math.ceil(wait)
        await asyncio.to_thread(
            state.audit.record, "sign-in-refused", name, "/login", address, retry_after=seconds
        )
        refused = Phrase("Too many failed sign-ins: try again in %(seconds)s s.", seconds=seconds)
        page = login_form(request, state, caller, refused, 429)
        page.headers["Retry-After"] = str(seconds)
        return page
    if not await asyncio.to_thread(state.accounts.verify, name, password):
        await asyncio.to_thread(limits.failed, name, address)
        await asyncio.to_thread(state.audit.record, "sign-in-failed", name, "/login", address)
        wrong = Phrase("That user name and password do not match.")
        return login_form(request, state, caller, wrong, 401)
    if caller.session:  # whoever was signed in on this browser is signed out first
        await asyncio.to_thread(state.credentials.end_session, caller.session)
    hours = state.settings.session_hours
    token, _ = await asyncio.to_thread(state.credentials.start_session, name, hours)
    await asyncio.to_thread(state.audit.record, "sign-in", name, "/login", address)
    response = RedirectResponse("/", status_code=303)
    # Lax: a link from elsewhere opens the page signed in; every change still needs the token.
    set_cookie(request, response, SESSION_COOKIE, token, int(hours * 3600), "lax")
    return response


async def sign_out(request: Request, state: AppState, caller: Caller) -> Response:
    """End this browser's session."""
    if caller.session:
        await asyncio.to_thread(state.credentials.end_session, caller.session)
        address = client_address(request, state.settings.trusted_proxies)
        await asyncio.to_thread(state.audit.record, "sign-out", caller.name, "/logout", address)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _signed_in(caller: Caller) -> None:
    if caller.via == "open":
        raise HTTPException(404, Phrase("there are no accounts: BRIEFING_QA_AUTH is none"))
    if caller.via != "session":
        raise HTTPException(401, Phrase("sign in at /login first"))


@router.get("/account", response_model=None)
async def account_page(request: Request, caller: CallerDep, readable: ReadableDep) -> Response:
    """Who is signed in, their role and groups, and the password form."""
    if caller.via == "anonymous":
        return RedirectResponse("/login", status_code=303)
    _signed_in(caller)
    return render(request, "account.html", {"error": None}, caller, readable)


@router.post("/account/password", response_model=None, dependencies=[Depends(rate_limit)])
async def change_password(
    request: Request,
    caller: CallerDep,
    readable: ReadableDep,
    state: State,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Change one's own password; every session of the user ends, this one too."""
    _signed_in(caller)
    assert caller.name is not None  # a session always has its user
    address = client_address(request, state.settings.trusted_proxies)
    # A stolen session must not be a way to guess the password: wrong current passwords count
    # against the same limit as failed sign-ins, for the account and the address.
    limits: SignInLimits = request.app.state.signin_limits
    wait = await asyncio.to_thread(limits.wait, caller.name, address)
    if wait > 0:
        seconds = math.ceil(wait)
        await asyncio.to_thread(
            state.audit.record, "password-change-refused", caller.name, caller.name, address
        )
        error = f"Too many wrong passwords: try again in {seconds} s."
        page = render(request, "account.html", {"error": error}, caller, readable, 429)
        page.headers["Retry-After"] = str(seconds)
        return page
    if not await asyncio.to_thread(state.accounts.verify, caller.name, current):
        await asyncio.to_thread(limits.failed, caller.name, address)
        await asyncio.to_thread(
            state.audit.record, "password-change-failed", caller.name, caller.name, address
        )
        error = Phrase("The current password is not right.")
        return render(request, "account.html", {"error": error}, caller, readable, 401)
    if not SHORTEST_PASSWORD <= len(new) <= LONGEST_PASSWORD:
        error = Phrase(
            "a password must be %(shortest)s to %(longest)s characters long",
            shortest=SHORTEST_PASSWORD,
            longest=LONGEST_PASSWORD,
        )
        return render(request, "account.html", {"error": error}, caller, readable, 422)
    try:
        ended = await asyncio.to_thread(state.accounts.set_password, caller.name, new)
    except AccountProblem as problem:
        return render(request, "account.html", {"error": str(problem)}, caller, readable, 422)
    await asyncio.to_thread(
        state.audit.record, "password-change", caller.name, caller.name, address, sessions=ended
    )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
