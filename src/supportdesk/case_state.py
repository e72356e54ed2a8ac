"""Bookkeeping that follows every change of a case's status or queue: timestamps, the SLA clock
and the per-queue counters. Only the ticket service calls it, inside its write transaction."""

from __future__ import annotations

from datetime import datetime

from . import sla
from .database import CommitTimeCounts
from .models import QueueCount, Status, Ticket
from .ticket_types import ticket_types

#: Statuses in which the SLA clock runs. It stands still while the case waits on the seller,
#: and while it is resolved or closed: a reopened case goes on with the time it had left.
RUNNING = (Status.NEW, Status.OPEN)


#: The per-queue counters: written at commit (two cases moved opposite ways at once, open ->
#: waiting and waiting -> open, would otherwise lock the same two counters in opposite orders).
_counts = CommitTimeCounts(QueueCount, ("queue_id", "status"), "count")


def bump_count(queue_id: int, status: str, delta: int) -> None:
    """Add ``delta`` to a queue's counter for ``status`` when the transaction commits."""
    _counts.add((queue_id, status), delta)


def _policy(ticket: Ticket) -> sla.SlaPolicy:
    ttype = ticket_types().get(ticket.type_key)
    return ttype.sla if ttype else sla.SlaPolicy()


def start_clock(ticket: Ticket, now: datetime) -> None:
    """Set the deadlines of a new case."""
    policy = _policy(ticket)
    ticket.first_response_due = sla.due_at(now, policy.first_response, policy)
    ticket.resolution_due = sla.due_at(now, policy.resolution, policy)
    update_next_due(ticket)


def update_next_due(ticket: Ticket) -> None:
    """The deadline that runs now: first response until given, then resolution; none while the
    clock stands still (a waiting case is not overdue, however long the seller takes)."""
    if ticket.status not in RUNNING:
        ticket.next_due_at = None
    elif ticket.first_response_at is None and ticket.first_response_due is not None:
        ticket.next_due_at = ticket.first_response_due
    else:
        ticket.next_due_at = ticket.resolution_due


def record_first_response(ticket: Ticket, now: datetime) -> None:
    """The first staff reply. Given while the clock stands still, it is in time if the deadline
    had not passed when the clock stopped."""
    if ticket.first_response_at is not None:
        return
    ticket.first_response_at = now
    if ticket.sla_paused_at is not None:
        ticket.first_response_due = sla.resume(
            ticket.first_response_due, ticket.sla_paused_at, now, _policy(ticket)
        )


def _resume_clock(ticket: Ticket, now: datetime) -> None:
    paused = ticket.sla_paused_at
    if paused is None:
        return
    policy = _policy(ticket)
    if ticket.first_response_at is None:
        ticket.first_response_due = sla.resume(ticket.first_response_due, paused, now, policy)
    ticket.resolution_due = sla.resume(ticket.resolution_due, paused, now, policy)
    ticket.sla_paused_at = None


def set_status(ticket: Ticket, new: str, now: datetime) -> None:
    """Move the case to ``new``, keeping timestamps, the SLA clock and the counters right."""
    old = ticket.status
    if old == new:
        return
    ticket.status = new
    bump_count(ticket.queue_id, old, -1)
    bump_count(ticket.queue_id, new, +1)
    # Deadlines are brought up to date at every move out of a pause (so a case resolved while
    # waiting is judged by the time it had left), and the clock stops again if it must.
    if old not in RUNNING:
        _resume_clock(ticket, now)
    if new not in RUNNING:
        ticket.sla_paused_at = now
    if new == Status.RESOLVED:
        ticket.resolved_at = now
    elif new == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif old in (Status.RESOLVED, Status.CLOSED):
        ticket.resolved_at = ticket.closed_at = None
    update_next_due(ticket)


def move_queue(ticket: Ticket, queue_id: int) -> None:
    if ticket.queue_id == queue_id:
        return
    bump_count(ticket.queue_id, ticket.status, -1)
    bump_count(queue_id, ticket.status, +1)
    ticket.queue_id = queue_id
