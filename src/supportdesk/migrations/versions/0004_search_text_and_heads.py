"""the search index keeps the body as given, for snippets; SQLite indexes titles and tags
apart; PostgreSQL's full-text index writes new documents at once (no pending list)

Revision ID: 0004_search_text_and_heads
Revises: 0003_search
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from supportdesk.search import schema

revision = "0004_search_text_and_heads"
down_revision = "0003_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Documents indexed before keep None until ``supportdesk reindex``; their snippets are
    # made from the source's records meanwhile.
    op.add_column("search_documents", sa.Column("body_text", sa.Text(), nullable=True))
    bind = op.get_bind()
    schema.install(bind, questions=False, titles=False)
    if bind.dialect.name == "sqlite":  # the titles and tags index, from the documents held
        op.execute("INSERT INTO search_fts_heads(search_fts_heads) VALUES ('rebuild')")
    else:  # the full-text index no longer keeps a pending list: merge the one it has
        op.execute("SELECT gin_clean_pending_list('ix_search_documents_tsv')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_documents_heads_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts_heads")
    else:
        op.execute("ALTER INDEX ix_search_documents_tsv RESET (fastupdate)")
    # Not batch mode: on SQLite it would copy the table and lose the full-text triggers.
    op.execute("ALTER TABLE search_documents DROP COLUMN body_text")
