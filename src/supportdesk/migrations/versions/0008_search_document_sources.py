"""the search documents' source and language beside their keys, so that case search tests them
in that index instead of matching a scope token held by nearly every document

Revision ID: 0008_search_document_sources
Revises: 0007_search_document_keys
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0008_search_document_sources"
down_revision = "0007_search_document_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_search_documents_id_source",
        "search_documents",
        ["id", "source", "locale", "doc_key"],
    )
    op.drop_index("ix_search_documents_id_key", table_name="search_documents")
    bind = op.get_bind()
    if (
        bind.dialect.name == "sqlite"
        and bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
    ):
        # A database analysed before would otherwise know every index but this one, and
        # SQLite would read each match's row instead of this index.
        bind.exec_driver_sql("ANALYZE ix_search_documents_id_source")


def downgrade() -> None:
    op.create_index("ix_search_documents_id_key", "search_documents", ["id", "doc_key"])
    op.drop_index("ix_search_documents_id_source", table_name="search_documents")
