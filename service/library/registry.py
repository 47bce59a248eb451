"""What replicas share about index builds, in the library's database: the versions that were
served, the queue of build requests, and the lock that lets one replica build at a time.

On PostgreSQL the lock is a session advisory lock: the server drops it when the holder's
connection ends, so a replica killed mid-build never leaves a stale lock, and its unfinished
request stays in the queue for the next replica to carry out. On SQLite (one machine) the
index folder's own file lock is the lock.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .migrate import advisory_key

if TYPE_CHECKING:
    from index import LoadedIndex

metadata = MetaData()
index_versions = Table(
    "index_versions",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("created_at", String(40), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("documents", Integer, nullable=False),
    Column("passages", Integer, nullable=False),
    Column("sentences", Integer, nullable=False),
    Column("recorded_by", String(200), nullable=False),
)
build_requests = Table(
    "build_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reason", String(200), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    Column("version", String(100)),
    Column("error", Text),
)


def process_name() -> str:
    """host:pid, to tell in the registry which replica did what."""
    return f"{socket.gethostname()}:{os.getpid()}"


class BuildRegistry:
    """The shared registry and build queue.

    Args:
        engine: the library's database (already migrated).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def request_build(self, reason: str) -> int:
        """Queue a build; returns the request's id."""
        with self.engine.begin() as db:
            result = db.execute(
                insert(build_requests).values(
                    reason=reason[:200],
                    requested_at=datetime.now(UTC),
                    requested_by=process_name(),
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def newest_open_request(self) -> int | None:
        """The id of the newest request not carried out yet (None: the queue is empty)."""
        with self.engine.connect() as db:
            newest = db.execute(
                select(func.max(build_requests.c.id)).where(build_requests.c.done_at.is_(None))
            ).scalar()
        return int(newest) if newest is not None else None

    def finish_requests(self, up_to: int, version: str | None, error: str | None = None) -> int:
        """Mark every open request up to ``up_to`` done by one build; returns how many."""
        with self.engine.begin() as db:
            result = db.execute(
                update(build_requests)
                .where(build_requests.c.id <= up_to, build_requests.c.done_at.is_(None))
                .values(done_at=datetime.now(UTC), version=version, error=error)
            )
        return int(result.rowcount or 0)

    def requests(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest build requests, newest first."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(build_requests).order_by(build_requests.c.id.desc()).limit(limit)
            ).mappings()
            return [_json_ready(dict(r)) for r in rows]

    def record_version(self, index: LoadedIndex) -> None:
        """Note a version the first time any replica serves it."""
        manifest = index.manifest
        try:
            with self.engine.begin() as db:
                db.execute(
                    insert(index_versions).values(
                        name=index.version,
                        created_at=str(manifest.get("created_at", "")),
                        recorded_at=datetime.now(UTC),
                        documents=len(index.documents),
                        passages=len(index.passages),
                        sentences=len(index.sentences),
                        recorded_by=process_name(),
                    )
                )
        except IntegrityError:
            pass  # another replica recorded it first

    def versions(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest recorded versions, newest first."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(index_versions).order_by(index_versions.c.name.desc()).limit(limit)
            ).mappings()
            return [_json_ready(dict(r)) for r in rows]

    @contextlib.contextmanager
    def build_lock(self) -> Iterator[bool]:
        """Try to become the one builder; yields whether this process is it. Never waits."""
        if self.engine.dialect.name != "postgresql":
            yield True  # one machine: build_index's file lock in the index folder decides
            return
        key = advisory_key("build")
        with self.engine.connect() as db:
            mine = bool(db.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            db.commit()
            try:
                yield mine
            finally:
                if mine:
                    try:
                        db.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        db.commit()
                    except Exception:
                        db.invalidate()  # closing the session releases the lock all the same


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
