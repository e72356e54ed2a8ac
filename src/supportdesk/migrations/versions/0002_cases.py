"""case log, SLA clock, counters, canned replies

Revision ID: 0002_cases
Revises: 0001_core
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_cases"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "queue_counts",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "status"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("locked_by", sa.String(length=100), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint("uq_messages_source_id", ["source_id"])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_due_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("last_reply_by", sa.String(length=8), nullable=False, server_default="seller")
        )
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_tickets_queue_due", ["queue_id", "status", "next_due_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_seller_status", ["seller_id", "status", "id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_tickets_merged_into_id", "tickets", ["merged_into_id"], ["id"]
        )
    # Cases opened before this revision: their running deadline and the queue counters.
    op.execute(
        "UPDATE tickets SET next_due_at = CASE WHEN first_response_at IS NULL "
        "THEN first_response_due ELSE resolution_due END "
        "WHERE status IN ('new', 'open')"
    )
    op.execute(
        "INSERT INTO queue_counts (queue_id, status, count) "
        "SELECT queue_id, status, count(*) FROM tickets GROUP BY queue_id, status"
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("fk_tickets_merged_into_id", type_="foreignkey")
        batch_op.drop_index("ix_tickets_seller_status")
        batch_op.drop_index("ix_tickets_queue_due")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating")
        batch_op.drop_column("last_reply_by")
        batch_op.drop_column("sla_paused_at")
        batch_op.drop_column("next_due_at")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_messages_source_id", type_="unique")
        batch_op.drop_column("source_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("locked_by")
        batch_op.drop_column("locked_until")
    op.drop_table("queue_counts")
    op.drop_table("canned_replies")
