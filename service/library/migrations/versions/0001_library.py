"""The library: uploaded documents and readers' feedback (issue #12).

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the uploads and feedback tables."""
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("filename", sa.String(300), nullable=False),
        sa.Column("path", sa.String(400), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_uploads_digest", "uploads", ["digest"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("rating", sa.String(4), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("index_version", sa.String(100), nullable=False),
        sa.Column("citations", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("feedback")
    op.drop_index("ix_uploads_digest", "uploads")
    op.drop_table("uploads")
