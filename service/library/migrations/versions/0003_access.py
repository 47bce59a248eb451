"""Who may read what (issue #25): accounts, groups, collections and their grants, sign-in
sessions, API keys and the audit log; each upload and each rating remembers its collection or
its author.

Every document belongs to one collection. A corpus file that is not an upload belongs to
``default``, created here public, so a database upgraded from 0002 serves exactly what it
served before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the access tables and add the uploads' collection and the ratings' author."""
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "user_groups",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("group_name", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), primary_key=True),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_name"])
    collections = op.create_table(
        "collections",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "grants",
        sa.Column("collection", sa.String(64), primary_key=True),
        sa.Column("group_name", sa.String(64), primary_key=True),
        sa.Column("access", sa.String(5), primary_key=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_name"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(400), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    # A database stamped at 0001 because it predates migrations may have had its tables made
    # from newer models, with these columns already there.
    present = {
        table: {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}
        for table in ("uploads", "feedback")
    }
    if "collection" not in present["uploads"]:
        with op.batch_alter_table("uploads") as batch:
            batch.add_column(
                sa.Column("collection", sa.String(64), nullable=False, server_default="default")
            )
    if "user_name" not in present["feedback"]:
        with op.batch_alter_table("feedback") as batch:
            batch.add_column(sa.Column("user_name", sa.String(64)))
    op.bulk_insert(
        collections, [{"name": "default", "public": True, "created_at": datetime.now(UTC)}]
    )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("user_name")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("collection")
    for table in ("audit_log", "api_keys", "sessions", "grants", "collections"):
        op.drop_table(table)
    op.drop_index("ix_memberships_user", "memberships")
    op.drop_table("memberships")
    op.drop_table("user_groups")
    op.drop_table("users")
