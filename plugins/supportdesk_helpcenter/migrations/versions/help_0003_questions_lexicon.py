"""help articles carry questions; searches remember the article opened from them; admins'
lexicon entries

Revision ID: help_0003
Revises: help_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "help_0003"
down_revision = "help_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("help_articles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("questions", json_type, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("help_searches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clicked_slug", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("clicked_at", sa.DateTime(), nullable=True))
    op.create_table(
        "help_lexicon_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("line", sa.String(length=500), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_help_lexicon_entries_locale", "help_lexicon_entries", ["locale"])


def downgrade() -> None:
    op.drop_index("ix_help_lexicon_entries_locale", table_name="help_lexicon_entries")
    op.drop_table("help_lexicon_entries")
    with op.batch_alter_table("help_searches", schema=None) as batch_op:
        batch_op.drop_column("clicked_at")
        batch_op.drop_column("clicked_slug")
    with op.batch_alter_table("help_articles", schema=None) as batch_op:
        batch_op.drop_column("questions")
