"""The registry of index versions and the build queue, shared by replicas (issue #13).

Every version a server switches to is recorded once; a change to the library adds a build
request that whichever replica takes the build lock carries out, so a request outlives the
replica that made it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create index_versions and build_requests."""
    op.create_table(
        "index_versions",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("passages", sa.Integer, nullable=False),
        sa.Column("sentences", sa.Integer, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "build_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.String(100)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_build_requests_open", "build_requests", ["done_at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_build_requests_open", "build_requests")
    op.drop_table("build_requests")
    op.drop_table("index_versions")
