"""Who is on the fraud team, and what that lets them see.

The fraud role is the membership of the fraud queue (the queue of ``fraud_report`` cases), and
every admin has it: nothing new to manage, and an admin gives or takes the role where queues
are given. The plugin answers ``permission_allowed(…, "view_type", <fraud_report type>)`` with
False for any other staff member; the core asks that one question for the queue lists, the
workspace, search, attachment downloads and this plugin's pages, so a fraud report is invisible
to them everywhere (404), even if it were moved to a queue of theirs. Sellers keep the core's
rule: they see the reports they filed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from supportdesk.extensions import db
from supportdesk.models import Role, Ticket, User
from supportdesk.permissions import visible_tickets
from supportdesk.ticket_types import TicketType

from .case_types import FRAUD_QUEUE, REPORT_TYPE, party_key
from .models import ReportedParty

#: How many linked reports a page lists (the count covers all of them).
LINKED_SHOWN = 10


def in_fraud_team(actor: Any) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.AGENT and any(q.key == FRAUD_QUEUE for q in actor.queues)


def permission(actor: User, action: str, obj: Any) -> bool | None:
    """False for staff outside the fraud team asking to see fraud reports; else no opinion."""
    if (
        action == "view_type"
        and isinstance(obj, TicketType)
        and obj.key == REPORT_TYPE
        and actor.is_staff
        and not in_fraud_team(actor)
    ):
        return False
    return None


def linked_reports(ticket: Ticket, viewer: User) -> tuple[int, list[Ticket]]:
    """The other reports naming the same party that ``viewer`` may see: how many, and the
    newest of them."""
    key = party_key((ticket.fields or {}).get("party"))
    if not key:
        return 0, []
    same_party = sa.select(ReportedParty.ticket_id).where(
        ReportedParty.party_key == key, ReportedParty.ticket_id != ticket.id
    )
    query = visible_tickets(viewer).where(Ticket.id.in_(same_party))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    shown = db.session.scalars(query.order_by(Ticket.id.desc()).limit(LINKED_SHOWN)).all()
    return count, list(shown)
