"""Alembic's entry point, run by ``service.library.migrate.migrate`` on the connection it holds.

The app migrates its own schema at start (no ``alembic upgrade`` by hand); a developer adds a
revision under ``versions/`` that says in its docstring what it changes and why.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
