"""The tables of who may read what (issue #25), as queries see them; the Alembic revision
``0003_access`` creates them. Names are the keys (users, groups and collections are few, and a
name is what the CLI and the audit log speak of)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(10), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)
user_groups = Table(
    "user_groups",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
memberships = Table(
    "memberships",
    metadata,
    Column("group_name", String(64), primary_key=True),
    Column("user_name", String(64), primary_key=True),
)
collections = Table(
    "collections",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("public", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
grants = Table(
    "grants",
    metadata,
    Column("collection", String(64), primary_key=True),
    Column("group_name", String(64), primary_key=True),
    Column("access", String(5), primary_key=True),  # "read" or "write"
)
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100)),
    Column("action", String(40), nullable=False),
    Column("target", String(400), nullable=False),
    Column("address", String(100), nullable=False),
    Column("detail", Text, nullable=False),
)
