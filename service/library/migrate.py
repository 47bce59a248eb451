"""The database schema, created and upgraded by the app itself through Alembic.

Every process that opens the library calls :func:`migrate`; replicas that start together take
a lock first (a PostgreSQL advisory lock, or a file lock beside an SQLite file), so one of them
upgrades and the others find the schema at head.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("briefing_qa.migrate")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Databases made before migrations existed (the library's first release created its tables
# directly) hold exactly this revision's tables: they are stamped with it, then upgraded.
FIRST_REVISION = "0001"
FIRST_REVISION_TABLES = {"uploads", "feedback"}


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for a PostgreSQL advisory lock named ``name``."""
    digest = hashlib.sha256(f"briefing-qa:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def alembic_config(connection: Connection) -> Config:
    """Alembic's configuration, in code: no alembic.ini to find or to keep in step."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this code knows."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None  # the migrations folder ships with the package
    return head


def database_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: not migrated yet)."""
    return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the database to the newest revision (a no-op when it is there)."""
    with _migration_lock(engine) as connection:
        current = database_revision(connection)
        if current == head_revision():
            return
        config = alembic_config(connection)
        tables = set(inspect(connection).get_table_names())
        if current is None and tables >= FIRST_REVISION_TABLES:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
        connection.commit()
        log.info("database schema upgraded from %s to %s", current, head_revision())


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection that holds the migration lock until the block ends."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            key = advisory_key("migrate")
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            connection.commit()
            try:
                yield connection
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
            return
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            yield connection  # one process or a server with its own locking: nothing to share
            return
        with open(f"{database}.migrate.lock", "a+") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield connection
