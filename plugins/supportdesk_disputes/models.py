"""The disputes' own tables: one row per dispute beside its case, and the decisions on it.

The case itself (its messages, status and extra fields) is the core's and changes only through
``supportdesk.tickets``; these rows hold what the ticket service does not know about: which
feedback is disputed, what the policy assistant suggested, who decided what and when.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supportdesk.extensions import db
from supportdesk.models import JSONType, Ticket, User, UTCDateTime, utcnow

FIRST = "first"
APPEAL = "appeal"

REMOVE = "remove"
STRIKE = "strike"
KEEP = "keep"
OUTCOMES = (REMOVE, STRIKE, KEEP)
#: Outcomes that grant the seller's request, for the acceptance rate.
ACCEPTED = frozenset({REMOVE, STRIKE})


class Dispute(db.Model):
    """A seller's request to take down one feedback, identified by the seller and the order."""

    __tablename__ = "feedback_disputes"
    __table_args__ = (
        # One dispute per feedback: a marketplace takes one feedback per order.
        sa.UniqueConstraint("seller_id", "order_key", name="uq_feedback_disputes_order"),
        sa.Index("ix_feedback_disputes_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    # The order id as typed, without spaces, dashes or "#", in capitals.
    order_key: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str] = mapped_column(sa.String(32))
    rating: Mapped[int]
    feedback_date: Mapped[date] = mapped_column(sa.Date)
    # The policy assistant's suggestions when the dispute was sent: [{"reason", "matches"}].
    hints: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ticket: Mapped[Ticket] = relationship()
    seller: Mapped[User] = relationship()
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="dispute", order_by="Decision.id", cascade="all, delete-orphan"
    )

    def decision(self, stage: str) -> Decision | None:
        return next((d for d in self.decisions if d.stage == stage), None)

    @property
    def final(self) -> Decision | None:
        """The decision that stands: the appeal's, else the first one."""
        return self.decision(APPEAL) or self.decision(FIRST)

    def __repr__(self) -> str:
        return f"<Dispute {self.id} order {self.order_key}>"


class Decision(db.Model):
    """One decision on a dispute: the first one, then at most one on appeal."""

    __tablename__ = "feedback_dispute_decisions"
    __table_args__ = (
        # One decision per stage: of two agents deciding at once, one wins.
        sa.UniqueConstraint("dispute_id", "stage", name="uq_feedback_dispute_decisions_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(
        sa.ForeignKey("feedback_disputes.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[str] = mapped_column(sa.String(8))
    outcome: Mapped[str] = mapped_column(sa.String(8))
    # The rule the feedback breaks (a policy reason); None when it is kept.
    rule: Mapped[str | None] = mapped_column(sa.String(32))
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dispute: Mapped[Dispute] = relationship(back_populates="decisions")
    agent: Mapped[User] = relationship()

    @property
    def accepted(self) -> bool:
        return self.outcome in ACCEPTED
