"""the search documents' keys by id, so that case search reads them from an index

Revision ID: 0007_search_document_keys
Revises: 0006_search_titles
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0007_search_document_keys"
down_revision = "0006_search_titles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_documents_id_key", "search_documents", ["id", "doc_key"])


def downgrade() -> None:
    op.drop_index("ix_search_documents_id_key", table_name="search_documents")
