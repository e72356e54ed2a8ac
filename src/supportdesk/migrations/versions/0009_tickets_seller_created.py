"""the cases of a seller by when they were filed

Revision ID: 0009_tickets_seller_created
Revises: 0008_search_document_sources
Create Date: 2026-12-08
"""

from __future__ import annotations

from alembic import op

revision = "0009_tickets_seller_created"
down_revision = "0008_search_document_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_seller_created", "tickets", ["seller_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_seller_created", table_name="tickets")
