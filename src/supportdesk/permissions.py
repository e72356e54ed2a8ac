"""The one place that answers "may this actor do this to that object".

The list query (:func:`visible_tickets`) and the object check (:func:`may`) rest on the same two
rules, so a list never shows what the detail page would refuse, nor the reverse:

1. whose case it is: a seller's own cases; an agent's queues; an admin, everything;
2. which ticket types the actor may see at all: ``may(actor, "view_type", ticket_type)``, where
   plugins answer through ``permission_allowed`` (the fraud plugin keeps fraud cases to the
   fraud team this way).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort

from .extensions import db
from .models import Attachment, Message, Queue, Role, Ticket, User, queue_members
from .plugins import hook
from .ticket_types import TicketType, ticket_types

SELLER_ACTIONS = {"view", "reply", "close", "reopen", "rate", "attach"}
AGENT_ACTIONS = SELLER_ACTIONS | {
    "note",
    "transition",
    "claim",
    "assign",
    "priority",
    "merge",
    "fields",
}


def may(actor: User | None, action: str, obj: Any) -> bool:
    """True if ``actor`` may do ``action`` to ``obj``; plugins may veto or grant."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    answers = hook().permission_allowed(actor=actor, action=action, obj=obj)
    if any(answer is False for answer in answers):
        return False
    if any(answer is True for answer in answers):
        return True
    return _core_rule(actor, action, obj)


def require(actor: User | None, action: str, obj: Any) -> None:
    """Abort with 404 (not 403: a case's existence is itself private) unless allowed."""
    if not may(actor, action, obj):
        abort(404)


def _core_rule(actor: User, action: str, obj: Any) -> bool:
    if isinstance(obj, TicketType):
        return action == "view_type" and (
            obj.visible_to is None or actor.is_admin or bool(obj.visible_to(actor))
        )
    if isinstance(obj, Ticket):
        return _ticket_rule(actor, action, obj)
    if isinstance(obj, Message):
        return _ticket_rule(actor, "view", obj.ticket) and (actor.is_staff or not obj.internal)
    if isinstance(obj, Attachment):
        message = obj.message
        visible_message = message is None or actor.is_staff or not message.internal
        ticket = db.session.get(Ticket, obj.ticket_id)
        return visible_message and _ticket_rule(actor, "view", ticket)
    if isinstance(obj, Queue):
        return actor.is_admin or (actor.role == Role.AGENT and actor in obj.agents)
    if obj == "staff":
        return actor.is_staff
    if obj == "admin":
        return actor.is_admin
    return False


def _ticket_rule(actor: User, action: str, ticket: Ticket) -> bool:
    ttype = ticket_types().get(ticket.type_key)
    if ttype is not None and not may(actor, "view_type", ttype):
        return False
    if actor.is_admin:
        return True
    if actor.role == Role.AGENT:
        in_queue = any(q.id == ticket.queue_id for q in actor.queues)
        return in_queue and action in AGENT_ACTIONS
    return ticket.seller_id == actor.id and action in SELLER_ACTIONS


def hidden_type_keys(actor: User) -> list[str]:
    """Ticket type keys whose cases the actor may not see at all."""
    return [key for key, ttype in ticket_types().items() if not may(actor, "view_type", ttype)]


def visible_tickets(actor: User | None) -> sa.Select:
    """A select of the tickets ``actor`` may view; list pages, search and the API start here."""
    query = sa.select(Ticket)
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return query.where(sa.false())
    hidden = hidden_type_keys(actor)
    if hidden:
        query = query.where(Ticket.type_key.not_in(hidden))
    if actor.is_admin:
        return query
    if actor.role == Role.AGENT:
        my_queues = sa.select(queue_members.c.queue_id).where(queue_members.c.user_id == actor.id)
        return query.where(Ticket.queue_id.in_(my_queues))
    return query.where(Ticket.seller_id == actor.id)
