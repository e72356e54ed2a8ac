"""help articles: an index for the category list of each language

Revision ID: help_0002
Revises: help_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "help_0002"
down_revision = "help_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_help_articles_listing", "help_articles", ["locale", "published", "category"]
    )


def downgrade() -> None:
    op.drop_index("ix_help_articles_listing", table_name="help_articles")
