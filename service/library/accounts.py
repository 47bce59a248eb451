"""Accounts (local mode, issue #25): users with a role and a password, and groups, in the
library's database (sessions and API keys: ``credentials.py``).

A password is stored only as its argon2id hash (slow on purpose: a leaked table does not give
the passwords back). Every replica reads memberships on every request, so a user taken out of
a group loses its collections everywhere at once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from .access_tables import api_keys, memberships, sessions, user_groups, users

ROLES = ("reader", "editor", "admin")
# NIST SP 800-63B: at least 8 characters, no composition rules.
SHORTEST_PASSWORD = 8
LONGEST_PASSWORD = 1000  # argon2 hashes any length; a megabyte "password" is only load
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class AccountProblem(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Member:
    """Who a session or a key speaks for: the user, their role and their groups."""

    name: str
    role: str
    groups: frozenset[str]
    csrf: str | None = None
    key_id: str | None = None


def check_name(name: str, what: str = "name") -> str:
    """``name`` if it is a valid user, group or collection name (lower-case letters, digits,
    ``.``, ``_``, ``-``; it becomes part of paths and document ids)."""
    if not NAME.match(name):
        raise AccountProblem(
            f"{what} {name!r} must be 1-64 lower-case letters, digits, '.', '_' or '-'"
        )
    return name


class Accounts:
    """Users and groups.

    Args:
        engine: the library's database (already migrated).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.hasher = PasswordHasher()
        # Checked when a name is unknown, so a wrong name costs as long as a wrong password
        # and the timing does not tell which names exist (made at the first such sign-in).
        self._decoy: str | None = None

    # ---- users ----------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str) -> None:
        """Create a user (the name must be new)."""
        check_name(name, "user name")
        if role not in ROLES:
            raise AccountProblem(f"role must be one of {', '.join(ROLES)}")
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as db:
                db.execute(
                    insert(users).values(
                        name=name,
                        role=role,
                        password_hash=self._hash(password),
                        created_at=now,
                        password_changed_at=now,
                    )
                )
        except IntegrityError:
            raise AccountProblem(f"there is already a user {name!r}") from None

    def set_password(self, name: str, password: str) -> int:
        """Change a password and end every session of the user; returns how many ended."""
        hashed = self._hash(password)
        with self.engine.begin() as db:
            changed = db.execute(
                update(users)
                .where(users.c.name == name)
                .values(password_hash=hashed, password_changed_at=datetime.now(UTC))
            ).rowcount
            if not changed:
                raise AccountProblem(f"there is no user {name!r}")
            return int(db.execute(delete(sessions).where(sessions.c.user_name == name)).rowcount)

    def remove_user(self, name: str) -> None:
        """Delete a user with their sessions, keys and memberships."""
        with self.engine.begin() as db:
            if not db.execute(delete(users).where(users.c.name == name)).rowcount:
                raise AccountProblem(f"there is no user {name!r}")
            db.execute(delete(sessions).where(sessions.c.user_name == name))
            db.execute(delete(api_keys).where(api_keys.c.user_name == name))
            db.execute(delete(memberships).where(memberships.c.user_name == name))

    def users(self) -> list[dict[str, str]]:
        """Every user's name and role, by name."""
        with self.engine.connect() as db:
            rows = db.execute(select(users.c.name, users.c.role).order_by(users.c.name))
            return [{"name": r.name, "role": r.role} for r in rows]

    def verify(self, name: str, password: str) -> bool:
        """Whether ``password`` is ``name``'s (in about the same time either way)."""
        with self.engine.connect() as db:
            stored = db.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()
        if stored is None and self._decoy is None:
            self._decoy = self.hasher.hash(secrets.token_urlsafe(16))
        try:
            self.hasher.verify(stored or self._decoy or "", password[:LONGEST_PASSWORD])
        except (VerificationError, InvalidHashError):
            return False
        return stored is not None

    def _hash(self, password: str) -> str:
        if not SHORTEST_PASSWORD <= len(password) <= LONGEST_PASSWORD:
            raise AccountProblem(
                f"a password must be {SHORTEST_PASSWORD} to {LONGEST_PASSWORD} characters long"
            )
        return self.hasher.hash(password)

    # ---- groups ---------------------------------------------------------------------------

    def add_group(self, name: str, members: list[str]) -> None:
        """Create a group if it is new and add ``members`` to it (each an existing user)."""
        check_name(name, "group name")
        with self.engine.begin() as db:
            known = set(db.execute(select(users.c.name).where(users.c.name.in_(members))).scalars())
            strangers = sorted(set(members) - known)
            if strangers:
                raise AccountProblem(f"there is no user {strangers[0]!r}")
            exists = db.execute(select(user_groups.c.name).where(user_groups.c.name == name))
            if exists.first() is None:
                db.execute(insert(user_groups).values(name=name, created_at=datetime.now(UTC)))
            present = set(
                db.execute(
                    select(memberships.c.user_name).where(memberships.c.group_name == name)
                ).scalars()
            )
            for member in sorted(set(members) - present):
                db.execute(insert(memberships).values(group_name=name, user_name=member))

    def remove_members(self, name: str, members: list[str] | None) -> None:
        """Take ``members`` out of a group; with None, delete the group itself."""
        with self.engine.begin() as db:
            if not db.execute(select(user_groups.c.name).where(user_groups.c.name == name)).first():
                raise AccountProblem(f"there is no group {name!r}")
            leaving = delete(memberships).where(memberships.c.group_name == name)
            if members is not None:
                leaving = leaving.where(memberships.c.user_name.in_(members))
            db.execute(leaving)
            if members is None:
                db.execute(delete(user_groups).where(user_groups.c.name == name))

    def groups(self) -> dict[str, list[str]]:
        """Every group and its members, by name."""
        with self.engine.connect() as db:
            names = db.execute(select(user_groups.c.name).order_by(user_groups.c.name)).scalars()
            listed: dict[str, list[str]] = {n: [] for n in names}
            rows = db.execute(select(memberships).order_by(memberships.c.user_name))
            for row in rows:
                listed.setdefault(row.group_name, []).append(row.user_name)
        return listed


def groups_of(db: Connection, name: str) -> frozenset[str]:
    """The groups ``name`` belongs to, read on ``db``."""
    rows = db.execute(select(memberships.c.group_name).where(memberships.c.user_name == name))
    return frozenset(rows.scalars())
