"""Who is calling (issue #25): in local mode, a user signed in by a session cookie, a user's API
key or the admin token as ``Authorization: Bearer``, or nobody; and, for a request that
changes something, whether it came from one of our own forms (the CSRF check).

Every request reads the session or the key from the database, so a sign-out, a password change,
a revoked key or a removed membership counts on every replica at once. With
``BRIEFING_QA_AUTH=none`` nothing is read: every caller is :data:`OPEN` and reads everything,
as before accounts existed.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.formparsers import MultiPartException

from ..state import AppState
from .phrases import Phrase

SESSION_COOKIE = "briefing_qa_sid"
# The login form (and any form of a caller not signed in) has no session to hold its token:
# the token lives in this cookie and in the form, and both must agree (double submit).
CSRF_COOKIE = "briefing_qa_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_FILES_PER_UPLOAD = 50
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Caller:
    """Who is calling.

    Attributes:
        via: ``open`` (auth is off), ``anonymous``, ``session``, ``key`` or ``admin-token``.
        name: the user (None: anonymous, or the admin token).
        role: ``anonymous``, ``reader``, ``editor`` or ``admin``.
        groups: the user's groups, read with this request.
        csrf: the token this caller's forms carry (the session's, or the pre-session cookie's).
        fresh_csrf: the pre-session token was made now (the page sets its cookie).
        session: the session cookie's value (to end it at sign-out).
    """

    via: str
    name: str | None = None
    role: str = "anonymous"
    groups: frozenset[str] = frozenset()
    csrf: str | None = None
    fresh_csrf: bool = False
    session: str | None = None

    @property
    def reads_everything(self) -> bool:
        """Auth is off, or the caller is an admin."""
        return self.via == "open" or self.role == "admin"

    @property
    def actor(self) -> str | None:
        """The name the audit log gives this caller."""
        return "admin-token" if self.via == "admin-token" else self.name


OPEN = Caller("open")


def get_state(request: Request) -> AppState:
    """The application state loaded by the lifespan."""
    state: AppState = request.app.state.qa
    return state


State = Annotated[AppState, Depends(get_state)]


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """Who is asking: the connection's address, or, when the connection comes from a trusted
    proxy (a load balancer), the last address that proxy appended to ``X-Forwarded-For``.
    Addresses further left are the client's own claims and are never trusted."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    forwarded = [a for a in forwarded if a]
    return forwarded[-1] if forwarded else peer


def identify(request: Request, state: AppState) -> Caller:
    """The caller of a request in local mode (reads the database: call it off the event loop).

    Raises:
        HTTPException: 401 for an ``Authorization`` header that holds no valid key — a revoked
            key is refused, never quietly read as anonymous.
    """
    header = request.headers.get("authorization")
    if header is not None:
        address = client_address(request, state.settings.trusted_proxies)
        return bearer_caller(state, header, f"{request.method} {request.url.path}", address)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        member = state.credentials.session(token)
        if member is not None:
            return Caller(
                "session", member.name, member.role, member.groups, member.csrf, session=token
            )
    held = request.cookies.get(CSRF_COOKIE)
    usable = held if held and len(held) <= 100 else None
    return Caller("anonymous", csrf=usable or secrets.token_urlsafe(32), fresh_csrf=not usable)


def bearer_caller(state: AppState, header: str, what: str, address: str) -> Caller:
    """The caller an ``Authorization`` header names: the admin token (an admin) or a live API
    key (its user, the use noted in the audit log with ``what`` and ``address``).

    Raises:
        HTTPException: 401 when it names neither.
    """
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() == "bearer" and token:
        admin = state.settings.admin_token
        if admin and hmac.compare_digest(token.encode(), admin.encode()):
            return Caller("admin-token", role="admin")
        member = state.credentials.key_member(token)
        if member is not None:
            state.audit.record("key-use", member.name, what, address, key=member.key_id)
            return Caller("key", member.name, member.role, member.groups)
    raise HTTPException(
        401,
        Phrase("the Authorization header holds no valid API key (revoked, or never issued)"),
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_caller(request: Request) -> Caller:
    """The caller (a FastAPI dependency, read once per request); a request that changes
    something must carry the caller's CSRF token unless a Bearer header authenticates it."""
    state = get_state(request)
    if state.settings.auth != "local":
        return OPEN
    caller = await asyncio.to_thread(identify, request, state)
    if request.method not in _SAFE_METHODS:
        await check_csrf(request, caller)
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def check_csrf(request: Request, caller: Caller) -> None:
    """Refuse (403) a request that a signed-in browser did not send from one of our pages, and
    any form post without the token its page carried. A Bearer header is not sent by a browser
    on its own, so key and admin-token calls need no token; nor do JSON calls of a caller
    signed in nowhere (they have nothing to forge)."""
    if caller.via not in ("session", "anonymous"):
        return
    if caller.via == "anonymous" and not _is_form(request):
        return
    supplied = request.headers.get(CSRF_HEADER) or await _form_token(request)
    expected = caller.csrf or ""
    if caller.fresh_csrf or not supplied or not expected:
        raise _stale_form()
    if not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise _stale_form()


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith(_FORM_TYPES)


async def _form_token(request: Request) -> str | None:
    if not _is_form(request):
        return None
    try:
        # Starlette keeps the parsed form: the route reads the same one (with the same limits).
        form = await request.form(max_files=MAX_FILES_PER_UPLOAD)
    except (MultiPartException, ValueError, AssertionError) as exc:
        raise HTTPException(
            400, Phrase("the form could not be read: %(problem)s", problem=str(exc))
        ) from None
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def _stale_form() -> HTTPException:
    return HTTPException(
        403,
        Phrase(
            "this form is stale or did not come from this site (its CSRF token is missing or "
            "wrong): reload the page and send it again (a script sends 'Authorization: Bearer "
            "<API key>' instead)"
        ),
    )
