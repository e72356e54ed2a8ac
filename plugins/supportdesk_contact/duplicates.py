"""The same form sent twice, and the same order written about twice.

The form carries a key made when it is shown. Sent again (a double click, a reload, two
requests at once), it opens one case (the key is the case's idempotency key) or adds one
message (the key is part of the message's unique ``source_id``), and the seller lands where
the first one went. A seller who writes about an order with a case of theirs still open for it
is offered that case instead.
"""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from flask import redirect, url_for
from werkzeug.wrappers import Response

from supportdesk import tickets
from supportdesk.accounts import current_user
from supportdesk.extensions import db
from supportdesk.models import Message, Status, Ticket
from supportdesk.permissions import visible_tickets

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)
SAME_ORDER_SHOWN = 5
KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def checked_key(key: str | None) -> str:
    """The key the form was shown with; a missing or odd one is replaced by a new one."""
    return key if key and KEY.fullmatch(key) else new_key()


def case_key(key: str) -> str:
    return f"contact-form:{key}"


def reply_key(key: str) -> str:
    """A message's ``source_id`` is unique: the same form adds one message, however often sent."""
    return f"contact-form:{current_user.id}:{key}"


#: Where the same form went before, in one statement (every form sent runs it, built once):
#: the case it opened, else the case it added its message to.
_DONE_BEFORE = (
    tickets.CASE_BY_KEY.with_only_columns(Ticket.ref, sa.literal(0).label("rank"))
    .union_all(
        sa.select(Ticket.ref, sa.literal(1))
        .join(Message, Message.ticket_id == Ticket.id)
        .where(Message.source_id == sa.bindparam("source_id"))
    )
    .order_by(sa.literal_column("rank"))
    .limit(1)
)


def already_done(key: str) -> Response | None:
    """Where the same form went when it was sent before (a double click, a reload)."""
    found = db.session.execute(
        _DONE_BEFORE,
        {
            "seller_id": current_user.id,
            "idempotency_key": case_key(key),
            "source_id": reply_key(key),
        },
    ).first()
    if found is None:
        return None
    ref, rank = found
    if rank == 0:
        return redirect(url_for("desk.contact.sent", ref=ref), code=303)
    return redirect(url_for("desk.seller.case", ref=ref), code=303)


def order_key(order_id: str) -> str:
    """An order number as compared: "4021-5583-1176" and "402155831176" are one order."""
    return order_id.replace("-", "").replace(" ", "").upper()


def own_open_cases() -> sa.Select:
    return visible_tickets(current_user).where(
        Ticket.seller_id == current_user.id,
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.merged_into_id.is_(None),
    )


def open_cases_for(order_id: str | None) -> list[Ticket]:
    """The seller's open cases about this order, newest first."""
    if not order_id:
        return []
    compared = sa.func.upper(sa.func.replace(sa.func.replace(Ticket.order_id, "-", ""), " ", ""))
    query = (
        own_open_cases()
        .where(Ticket.order_id.is_not(None), compared == order_key(order_id))
        .order_by(Ticket.id.desc())
        .limit(SAME_ORDER_SHOWN)
    )
    return list(db.session.scalars(query))
