"""Collections and who may read and write them (local mode, issue #25).

Every document belongs to one collection: an upload to the one it was uploaded into, any other
corpus file to ``default``. A collection is public (anyone may read it, signed in or not) or
readable by named groups, and writable by named groups (an editor of such a group may upload
to it and delete from it; whoever may write a collection may read it). Admins read and write
everything.

Requests read a :class:`Policy` — the collections, their grants and where each upload lives —
kept at most ``POLICY_SECONDS`` old and never older than the index version it is read for, so
a busy server reads these tables a few times a second rather than on every question
(memberships, which say who is in which group, are read on every request: ``accounts.py``).
An upload's record, with its collection, is written before its file reaches the corpus, and a
deleted upload keeps its record (status ``deleted``) — so no index version can hold a document
whose collection the policy does not know, which would make it ``default``'s.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from .access_tables import collections, grants
from .accounts import AccountProblem
from .records import uploads

DEFAULT = "default"
COLLECTION_NAME = re.compile(r"^[a-z0-9]{1,32}$")
# How old a policy a request may read. Revoking a grant is seen by every replica within this
# (the issue asks for 2 s; a membership or a key is seen at once).
POLICY_SECONDS = 0.5


@dataclass(frozen=True)
class Shelf:
    """One collection: public or not, the groups that may read it and that may write it."""

    name: str
    public: bool
    readers: frozenset[str] = frozenset()
    writers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Policy:
    """A snapshot of the collections and of where each upload lives."""

    shelves: dict[str, Shelf]
    placed: dict[str, str] = field(default_factory=dict)  # upload id -> its collection

    def collection_of(self, document_id: str) -> str:
        """The collection a document belongs to."""
        return self.placed.get(document_id, DEFAULT)

    def readable(self, groups: Iterable[str]) -> frozenset[str]:
        """The collections a member of ``groups`` may read."""
        mine = set(groups)
        return frozenset(
            s.name for s in self.shelves.values() if s.public or mine & (s.readers | s.writers)
        )

    def writable(self, groups: Iterable[str]) -> frozenset[str]:
        """The collections an editor in ``groups`` may write."""
        mine = set(groups)
        return frozenset(s.name for s in self.shelves.values() if mine & s.writers)


class Collections:
    """The collections and their grants.

    Args:
        engine: the library's database (already migrated).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._policy: tuple[float, str, Policy] | None = None

    def set_collection(
        self, name: str, public: bool, readers: list[str], writers: list[str]
    ) -> Shelf:
        """Create a collection or replace its grants."""
        if not COLLECTION_NAME.match(name):
            raise AccountProblem(
                f"collection name {name!r} must be 1-32 lower-case letters and digits (it "
                "becomes part of document ids, which must not run into another collection's)"
            )
        if public and readers:
            raise AccountProblem("a collection is either public or readable by groups, not both")
        with self.engine.begin() as db:
            db.execute(delete(collections).where(collections.c.name == name))
            db.execute(delete(grants).where(grants.c.collection == name))
            db.execute(insert(collections).values(name=name, public=public, created_at=_now()))
            for access, groups in (("read", readers), ("write", writers)):
                for group in sorted(set(groups)):
                    db.execute(
                        insert(grants).values(collection=name, group_name=group, access=access)
                    )
        self._policy = None
        return Shelf(name, public, frozenset(readers), frozenset(writers))

    def policy(self, version: str = "", fresh: bool = False) -> Policy:
        """The collections and placements, read at most ``POLICY_SECONDS`` ago and since the
        index ``version`` the request reads was first served here (``fresh``: read now, for a
        write, which is rare and should see a grant made a moment ago)."""
        with self._lock:
            cached = self._policy
            if (
                not fresh
                and cached is not None
                and cached[1] == version
                and time.monotonic() - cached[0] < POLICY_SECONDS
            ):
                return cached[2]
            read = self._read()
            self._policy = (time.monotonic(), version, read)
            return read

    def _read(self) -> Policy:
        with self.engine.connect() as db:
            rows = db.execute(select(collections)).all()
            granted = db.execute(select(grants)).all()
            placed = db.execute(
                select(uploads.c.id, uploads.c.collection).where(uploads.c.collection != DEFAULT)
            ).all()
        readers: dict[str, set[str]] = {}
        writers: dict[str, set[str]] = {}
        for grant in granted:
            side = readers if grant.access == "read" else writers
            side.setdefault(grant.collection, set()).add(grant.group_name)
        shelves = {
            r.name: Shelf(
                r.name,
                bool(r.public),
                frozenset(readers.get(r.name, ())),
                frozenset(writers.get(r.name, ())),
            )
            for r in rows
        }
        return Policy(shelves, {p.id: p.collection for p in placed})


def _now() -> datetime:
    return datetime.now(UTC)
