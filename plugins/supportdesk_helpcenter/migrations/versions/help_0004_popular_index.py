"""help articles: an index for the most helpful articles of each language

Revision ID: help_0004
Revises: help_0003
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "help_0004"
down_revision = "help_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_help_articles_popular",
        "help_articles",
        [
            "locale",
            "published",
            sa.text("(helpful_yes - helpful_no) DESC"),
            sa.text("updated_at DESC"),
            "id",
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_help_articles_popular", table_name="help_articles")
