"""Who may change things: the admin token, as a bearer header or a signed-in session."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Header, HTTPException, Request


def require_admin(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
    """Writes need the admin token: as ``Authorization: Bearer``, or a session signed in at
    ``/login``. Compared in constant time; 404 when no token is configured (writes are off)."""
    expected = request.app.state.qa.settings.admin_token
    if not expected:
        raise HTTPException(404, "admin endpoints are disabled: set BRIEFING_QA_ADMIN_TOKEN")
    supplied = (authorization or "").removeprefix("Bearer ").strip()
    by_header = bool(authorization) and hmac.compare_digest(supplied.encode(), expected.encode())
    if not by_header and not request.session.get("admin"):
        raise HTTPException(
            401,
            "a valid 'Authorization: Bearer <token>' header is required (or sign in at /login)",
            headers={"WWW-Authenticate": "Bearer"},
        )
