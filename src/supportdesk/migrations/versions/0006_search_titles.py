"""PostgreSQL indexes the titles apart, so that a page whose title holds a word of the query is
always among those ranked

Revision ID: 0006_search_titles
Revises: 0005_search_questions
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from supportdesk.search import schema

revision = "0006_search_titles"
down_revision = "0005_search_questions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has had its titles index since revision 0004 (``search_fts_heads``).
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":  # the generated column is computed for the documents held
        schema.install(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_search_documents_title_tsv")
        op.execute(f"ALTER TABLE search_documents DROP COLUMN IF EXISTS {schema.TITLES_COLUMN}")
