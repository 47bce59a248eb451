"""Who may change things. Auth off (``none``): the admin token, as a bearer header or a session
signed in at ``/login``. Local mode: admins do everything; editors write the collections their
groups may write; readers and anonymous callers write nothing."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header, HTTPException, Request

from ..library import Policy
from .callers import Caller, CallerDep, get_state
from .phrases import Phrase


def require_admin(
    request: Request, caller: CallerDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Admin only: with auth off, the admin token as ``Authorization: Bearer``, or a session
    signed in at ``/login`` (compared in constant time; 404 when no token is configured);
    in local mode, an admin (the token acts as one)."""
    if caller.via != "open":
        if caller.role != "admin":
            raise _not_allowed(caller, Phrase("this needs an admin"))
        return
    expected = get_state(request).settings.admin_token
    if not expected:
        raise HTTPException(
            404, Phrase("admin endpoints are disabled: set BRIEFING_QA_ADMIN_TOKEN")
        )
    supplied = (authorization or "").removeprefix("Bearer ").strip()
    by_header = bool(authorization) and hmac.compare_digest(supplied.encode(), expected.encode())
    if not by_header and not request.session.get("admin"):
        raise HTTPException(
            401,
            Phrase(
                "a valid 'Authorization: Bearer <token>' header is required (or sign in at /login)"
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_admin_when_local(caller: CallerDep) -> None:
    """Admins only in local mode (a session, an admin's API key or the admin token); anyone
    with auth off, where everyone reads everything anyway."""
    if caller.via != "open" and caller.role != "admin":
        raise _not_allowed(caller, Phrase("this needs an admin"))


def require_writer(
    request: Request, caller: CallerDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Library writes: with auth off, the admin's; in local mode, an editor's or an admin's
    (which collection is checked by the route, once it knows it)."""
    if caller.via == "open":
        require_admin(request, caller, authorization)
    elif caller.role not in ("editor", "admin"):
        raise _not_allowed(caller, Phrase("adding and deleting documents needs an editor"))


def may_write(caller: Caller, policy: Policy, collection: str) -> bool:
    """Whether ``caller`` may add documents to ``collection`` and delete from it."""
    if caller.reads_everything:
        return True
    return caller.role == "editor" and collection in policy.writable(caller.groups)


def may_read_collection(caller: Caller, policy: Policy, collection: str) -> bool:
    """Whether ``caller`` may read ``collection`` (an unknown one: no)."""
    if caller.reads_everything:
        return collection in policy.shelves
    return collection in policy.readable(caller.groups)


def _not_allowed(caller: Caller, why: Phrase) -> HTTPException:
    if caller.via == "anonymous":
        return HTTPException(
            401,
            Phrase(
                "%(why)s: sign in at /login, or send 'Authorization: Bearer <API key>'", why=why
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return HTTPException(
        403,
        Phrase(
            "%(why)s; you are signed in as %(name)s (%(role)s)",
            why=why,
            name=caller.actor,
            role=caller.role,
        ),
    )
