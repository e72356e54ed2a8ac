"""the search index holds a document's questions (other ways of asking what it answers) as a
field of its own

Revision ID: 0005_search_questions
Revises: 0004_search_text_and_heads
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from supportdesk.search import schema

revision = "0005_search_questions"
down_revision = "0004_search_text_and_heads"
branch_labels = None
depends_on = None

_TRIGGERS = [
    f"search_documents_{kind}{event}" for kind in ("", "heads_") for event in ("ai", "ad", "au")
]


def _drop_sqlite_full_text() -> None:
    for trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS search_fts_heads")
    op.execute("DROP TABLE IF EXISTS search_fts")


def _drop_full_text(bind) -> None:
    # An FTS5 table cannot gain or lose a column, and PostgreSQL cannot change a generated
    # column's expression: both are made again over the documents held.
    if bind.dialect.name == "sqlite":
        _drop_sqlite_full_text()
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
        op.execute("ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv")


def _rebuild_sqlite_full_text() -> None:
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    op.execute("INSERT INTO search_fts_heads(search_fts_heads) VALUES ('rebuild')")


def upgrade() -> None:
    bind = op.get_bind()
    _drop_full_text(bind)
    op.add_column(
        "search_documents",
        sa.Column("questions", sa.Text(), nullable=False, server_default=""),
    )
    schema.install(bind, titles=False)
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite_full_text()


def downgrade() -> None:
    bind = op.get_bind()
    _drop_full_text(bind)
    # Not batch mode: on SQLite it would copy the table.
    op.execute("ALTER TABLE search_documents DROP COLUMN questions")
    schema.install(bind, questions=False, titles=False)
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite_full_text()
