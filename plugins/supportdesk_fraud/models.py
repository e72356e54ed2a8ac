"""The plugin's own tables: a seller's unfinished report, and the parties named in reports.

The cases themselves (messages, status, extra fields, risk score) are the core's and change only
through ``supportdesk.tickets``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from supportdesk.extensions import db
from supportdesk.models import JSONType, UTCDateTime, utcnow


def new_draft_key() -> str:
    return secrets.token_urlsafe(16)


class FraudDraft(db.Model):
    """What a seller typed in the intake so far, one per seller, kept on the server so that it
    outlives their session. ``data`` maps each step to its fields as typed; files are not kept
    (they are chosen on the last step)."""

    __tablename__ = "fraud_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    # Made with the draft: the idempotency key of the case it becomes, so that a report sent
    # twice at once (a double click) opens one case.
    key: Mapped[str] = mapped_column(sa.String(32), default=new_draft_key)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportedParty(db.Model):
    """The other party a fraud report names, as compared between reports (see
    :func:`.case_types.party_key`): finds "the same party in N other reports" by index."""

    __tablename__ = "fraud_parties"

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    party_key: Mapped[str] = mapped_column(sa.String(200), index=True)
