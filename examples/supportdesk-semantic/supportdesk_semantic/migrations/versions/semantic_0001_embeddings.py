"""semantic search: the embeddings table

Revision ID: semantic_0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "semantic_0001"
down_revision = None
branch_labels = ("semantic",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "semantic_embeddings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("doc_key", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "doc_key", "locale", name="uq_semantic_embeddings_document"),
    )
    op.create_index(
        "ix_semantic_embeddings_stamp",
        "semantic_embeddings",
        ["source", "model", "locale", "updated_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_semantic_embeddings_stamp", table_name="semantic_embeddings")
    op.drop_table("semantic_embeddings")
