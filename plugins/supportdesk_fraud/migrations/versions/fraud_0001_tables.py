"""fraud reports: intake drafts and the parties named in reports

Revision ID: fraud_0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "fraud_0001"
down_revision = None
branch_labels = ("fraud",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "fraud_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["seller_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seller_id"),
    )
    op.create_table(
        "fraud_parties",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("party_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id"),
    )
    with op.batch_alter_table("fraud_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fraud_parties_party_key"), ["party_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fraud_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fraud_parties_party_key"))

    op.drop_table("fraud_parties")
    op.drop_table("fraud_drafts")
