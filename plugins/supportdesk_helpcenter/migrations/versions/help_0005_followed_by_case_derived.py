"""help searches: whether a case followed a search is read from the seller's cases (through the
core's index of a seller's cases by date, revision 0009), not stored

Revision ID: help_0005
Revises: help_0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "help_0005"
down_revision = "help_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nothing is lost: every value it held is worked out again from the cases
    # (supportdesk_helpcenter.analytics.followed_by_case), read through the core's index.
    with op.batch_alter_table("help_searches") as batch:
        batch.drop_column("followed_by_case")


def downgrade() -> None:
    with op.batch_alter_table("help_searches") as batch:
        batch.add_column(
            sa.Column("followed_by_case", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # As the reports read it: a case by the same seller within two hours of the search.
    op.execute(_BACKFILL[op.get_bind().dialect.name == "sqlite"])


_BACKFILL = {
    True: "UPDATE help_searches SET followed_by_case = 1 WHERE EXISTS (SELECT 1 FROM tickets"
    " WHERE tickets.seller_id = help_searches.seller_id"
    " AND tickets.created_at >= help_searches.created_at AND tickets.created_at <="
    " strftime('%Y-%m-%d %H:%M:%f', help_searches.created_at, '+7200 seconds'))",
    False: "UPDATE help_searches SET followed_by_case = true WHERE EXISTS (SELECT 1 FROM tickets"
    " WHERE tickets.seller_id = help_searches.seller_id"
    " AND tickets.created_at >= help_searches.created_at"
    " AND tickets.created_at <= help_searches.created_at + interval '2 hours')",
}
