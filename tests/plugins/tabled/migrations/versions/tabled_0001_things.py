"""tabled: its one table

Revision ID: tabled_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tabled_0001"
down_revision = None
branch_labels = ("tabled",)
depends_on = "0001_core"


def upgrade() -> None:
    op.create_table(
        "tabled_things",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("label", sa.String(length=100), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tabled_things")
