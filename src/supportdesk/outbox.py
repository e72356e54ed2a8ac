"""Notifications as outbox rows, written in the same transaction as the change they tell of.

The row holds what to say, not the rendered mail: the sender renders it in the recipient's
language when it delivers, so a crash between the change and the sending loses nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .extensions import db
from .models import Outbox, Ticket, User

#: A plain insert: nothing in the transaction reads the row back as an object, and the unit of
#: work costs several times the statement (the sender loads it as an ``Outbox``).
_INSERT_OUTBOX = sa.insert(Outbox.__table__)


def enqueue(
    kind: str, *, ticket: Ticket | None, recipient: User, channel: str = "email", **payload: Any
) -> None:
    """Add a pending notification to the current transaction."""
    enqueue_to_address(
        kind,
        ticket=ticket,
        address=recipient.email,
        locale=recipient.locale,
        channel=channel,
        **payload,
    )


def enqueue_to_address(
    kind: str,
    *,
    ticket: Ticket | None,
    address: str,
    locale: str | None,
    channel: str = "email",
    **payload: Any,
) -> None:
    """The same, to a bare address: someone without an account (an unknown sender's answer)."""
    if ticket is not None and ticket.id is None:
        db.session.flush()  # a case made in this transaction: its row comes first
    db.session.execute(
        _INSERT_OUTBOX,
        {
            "channel": channel,
            "kind": kind,
            "ticket_id": ticket.id if ticket is not None else None,
            "recipient": address,
            "payload": {"locale": locale, "ref": ticket.ref if ticket else None, **payload},
        },
    )
