"""The library's records: uploaded documents (status, error, sizes) and readers' feedback.

SQLAlchemy Core, so the same code runs on the embedded SQLite default and on PostgreSQL
(``BRIEFING_QA_DATABASE_URL``). The documents themselves are files in the corpus folder; the
index says what is indexed; this store remembers what the index cannot: uploads still pending,
uploads that failed and why, and feedback.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from .migrate import migrate

# The status of an upload that was deleted (kept for its collection; listed nowhere).
DELETED = "deleted"

# The tables as queries see them; service/library/migrations/ creates and upgrades them.
metadata = MetaData()
uploads = Table(
    "uploads",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("filename", String(300), nullable=False),
    Column("path", String(400), nullable=False),
    Column("digest", String(64), nullable=False, index=True),
    Column("status", String(10), nullable=False),
    Column("error", Text),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("collection", String(64), nullable=False, server_default="default"),
)
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("rating", String(4), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("index_version", String(100), nullable=False),
    Column("citations", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(64)),
)


@dataclass(frozen=True)
class Upload:
    """A document that came in through the library."""

    id: str
    filename: str
    path: str
    digest: str
    status: str
    error: str | None
    added_at: datetime
    collection: str = "default"


class DatabaseUnavailable(Exception):
    """The library's database cannot be reached or the URL is not one; the message says which."""


def _why_unusable(url: str, exc: Exception) -> str:
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = "(not a database URL)"
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return (
        f"cannot use the library's database {shown}: {reason}. Check BRIEFING_QA_DATABASE_URL "
        "(e.g. postgresql+psycopg://user@host:5432/name) and that the server is running"
    )


def database_url(setting: str | None, index_dir: Path) -> str:
    """The configured database, or an SQLite file beside the index."""
    if setting:
        return setting
    index_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{index_dir / 'library.sqlite'}"


class Library:
    """Upload records and feedback in one database.

    Args:
        url: an SQLAlchemy database URL.
    """

    def __init__(self, url: str) -> None:
        try:
            self.engine: Engine = create_engine(url, future=True, pool_pre_ping=True)
            migrate(self.engine)
        except (ArgumentError, OperationalError, ImportError) as exc:
            raise DatabaseUnavailable(_why_unusable(url, exc)) from exc
        self._lock = threading.Lock()

    def uploads(self) -> list[Upload]:
        """Every upload not deleted, oldest first."""
        query = select(uploads).where(uploads.c.status != DELETED).order_by(uploads.c.added_at)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [Upload(**dict(r)) for r in rows]

    def upload(self, document_id: str) -> Upload | None:
        """One upload (not deleted) by document id."""
        query = select(uploads).where(uploads.c.id == document_id, uploads.c.status != DELETED)
        with self.engine.connect() as db:
            row = db.execute(query).mappings().first()
        return Upload(**dict(row)) if row else None

    def by_digest(self, digest: str, collection: str | None = None) -> Upload | None:
        """The upload with this content, if any (the same file uploaded twice is one document);
        only in ``collection`` when given (the same file in two collections is two documents,
        so an upload never learns of a twin it may not read)."""
        query = select(uploads).where(uploads.c.digest == digest, uploads.c.status != DELETED)
        if collection is not None:
            query = query.where(uploads.c.collection == collection)
        with self.engine.connect() as db:
            row = db.execute(query).mappings().first()
        return Upload(**dict(row)) if row else None

    def add_upload(
        self, document_id: str, filename: str, path: str, digest: str, collection: str = "default"
    ) -> None:
        """Record an accepted file as pending, in ``collection``."""
        with self._lock, self.engine.begin() as db:
            db.execute(delete(uploads).where(uploads.c.id == document_id))
            db.execute(
                insert(uploads).values(
                    id=document_id,
                    filename=filename,
                    path=path,
                    digest=digest,
                    status="pending",
                    error=None,
                    added_at=datetime.now(UTC),
                    collection=collection,
                )
            )

    def set_status(self, document_id: str, status: str, error: str | None = None) -> None:
        """Mark an upload indexed, pending or failed (with why)."""
        with self.engine.begin() as db:
            db.execute(
                update(uploads)
                .where(uploads.c.id == document_id)
                .values(status=status, error=error)
            )

    def remove_upload(self, document_id: str) -> None:
        """Forget an upload."""
        with self.engine.begin() as db:
            db.execute(delete(uploads).where(uploads.c.id == document_id))

    def mark_deleted(self, document_id: str) -> None:
        """Mark an upload deleted. The record stays, with its collection, because the served
        index holds the document until the next build: its collection must still say who may
        read it (grants.py). Uploading it again replaces the record."""
        self.set_status(document_id, DELETED)

    def add_feedback(self, row: dict[str, Any]) -> int:
        """Store one rating; returns its id."""
        values = {**row, "citations": json.dumps(row.get("citations", []), ensure_ascii=False)}
        with self.engine.begin() as db:
            result = db.execute(insert(feedback).values(**values, created_at=datetime.now(UTC)))
            key = result.inserted_primary_key
            assert key is not None  # an insert into a table with a primary key has one
            return int(key[0])

    def feedback(self, user_name: str | None = None) -> list[dict[str, Any]]:
        """Every rating (or ``user_name``'s only), oldest first, as JSON-ready rows."""
        query = select(feedback).order_by(feedback.c.id)
        if user_name is not None:
            query = query.where(feedback.c.user_name == user_name)
        with self.engine.connect() as db:
            rows = db.execute(query).mappings().all()
        return [
            {
                **dict(r),
                "citations": json.loads(r["citations"]),
                "created_at": r["created_at"].isoformat(),
            }
            for r in rows
        ]
