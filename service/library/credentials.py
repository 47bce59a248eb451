"""Sign-in sessions and API keys (local mode, issue #25), in the library's database.

Neither is stored as given: a session id and an API key are 256-bit random strings kept as
their SHA-256 digests (no one can guess such a string from a fast hash; a slow one would cost
every request). Every replica reads these tables on every request, so an ended session or a
revoked key stops working everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from .access_tables import api_keys, sessions, users
from .accounts import AccountProblem, Member, groups_of


def digest(secret: str) -> str:
    """The stored form of a session id or an API key."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Credentials:
    """Sessions and API keys.

    Args:
        engine: the library's database (already migrated).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ---- sessions -------------------------------------------------------------------------

    def start_session(self, name: str, hours: float) -> tuple[str, str]:
        """A new session for ``name``: (the id for the cookie, its CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as db:
            db.execute(delete(sessions).where(sessions.c.expires_at < now))  # tidy as we go
            db.execute(
                insert(sessions).values(
                    id_hash=digest(token),
                    user_name=name,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
        return token, csrf

    def session(self, token: str) -> Member | None:
        """Who the session ``token`` signs in, if it is live (not ended, not expired)."""
        query = (
            select(users.c.name, users.c.role, sessions.c.csrf)
            .join(users, users.c.name == sessions.c.user_name)
            .where(sessions.c.id_hash == digest(token), sessions.c.expires_at > datetime.now(UTC))
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
            if row is None:
                return None
            return Member(row.name, row.role, groups_of(db, row.name), csrf=row.csrf)

    def end_session(self, token: str) -> str | None:
        """End a session (sign-out); returns whose it was."""
        with self.engine.begin() as db:
            hashed = digest(token)
            owner = db.execute(
                select(sessions.c.user_name).where(sessions.c.id_hash == hashed)
            ).scalar()
            db.execute(delete(sessions).where(sessions.c.id_hash == hashed))
        return owner

    # ---- API keys -------------------------------------------------------------------------

    def add_key(self, name: str) -> tuple[str, str]:
        """A new API key for ``name``: (its id, the key — shown once, stored only hashed)."""
        with self.engine.begin() as db:
            if not db.execute(select(users.c.name).where(users.c.name == name)).first():
                raise AccountProblem(f"there is no user {name!r}")
            key_id = f"k{secrets.token_hex(6)}"
            key = f"bqa_{key_id}_{secrets.token_urlsafe(32)}"
            db.execute(
                insert(api_keys).values(
                    id=key_id, user_name=name, key_hash=digest(key), created_at=datetime.now(UTC)
                )
            )
        return key_id, key

    def key_member(self, key: str) -> Member | None:
        """Who an API key speaks for, if it is live (not revoked, its user still there)."""
        query = (
            select(users.c.name, users.c.role, api_keys.c.id)
            .join(users, users.c.name == api_keys.c.user_name)
            .where(api_keys.c.key_hash == digest(key), api_keys.c.revoked_at.is_(None))
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
            if row is None:
                return None
            return Member(row.name, row.role, groups_of(db, row.name), key_id=row.id)

    def revoke_key(self, key_id: str) -> str:
        """Revoke a key by its id; returns whose it was."""
        with self.engine.begin() as db:
            owner = db.execute(select(api_keys.c.user_name).where(api_keys.c.id == key_id)).scalar()
            if owner is None:
                raise AccountProblem(f"there is no key {key_id!r}")
            db.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return str(owner)

    def listed_keys(self) -> list[dict[str, str | None]]:
        """Every key's id, owner and dates (never the key), oldest first."""
        with self.engine.connect() as db:
            rows = db.execute(select(api_keys).order_by(api_keys.c.created_at))
            return [
                {
                    "id": r.id,
                    "user": r.user_name,
                    "created_at": r.created_at.isoformat(),
                    "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                }
                for r in rows
            ]
