"""The one write path for cases: open, reply, note, transition, claim, assign, prioritise,
update fields, merge and rate.

Each function does its whole change in one write transaction (the case, its message, the
attachments' metadata, an audit event, the outbox rows), then, after the commit, tells the
plugins through their event hooks, each isolated: a failing plugin never loses a case.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import attachments as files
from . import case_state, search
from .database import write_transaction
from .extensions import db
from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .models import (
    Attachment,
    Event,
    Message,
    Priority,
    Queue,
    Role,
    Status,
    Ticket,
    User,
    utcnow,
)
from .outbox import enqueue
from .permissions import may
from .plugins import plugin_host
from .ticket_types import FieldErrors, TicketType, get_ticket_type

CASE_SOURCE = "case"
SUBJECT_MAX = 300
BODY_MAX = 20_000

#: Which statuses a case may move to from each status.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.OPEN: {Status.WAITING, Status.RESOLVED, Status.CLOSED},
    Status.WAITING: {Status.OPEN, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}


#: Statuses as words inside a sentence ("A closed case cannot become waiting on the seller.").
STATUS_WORDS = {
    Status.NEW: _l("new"),
    Status.OPEN: _l("open"),
    Status.WAITING: _l("waiting on the seller"),
    Status.RESOLVED: _l("resolved"),
    Status.CLOSED: _l("closed"),
}


def status_name(status: str) -> str:
    return str(STATUS_WORDS.get(status, status))


class NotAllowed(PermissionError):
    """The actor may not do this to this case."""


class Conflict(RuntimeError):
    """The case changed meanwhile (another agent claimed it, or edited it first)."""


@contextmanager
def writing(*, keep_loaded: bool = False) -> Iterator[None]:
    """A write transaction in which a lost optimistic-lock race becomes ``Conflict``
    (``keep_loaded``: see ``write_transaction``)."""
    try:
        with write_transaction(keep_loaded=keep_loaded):
            yield
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(_("This case was changed meanwhile; please reload it.")) from exc


def _clean_text(subject: str | None, body: str | None) -> tuple[str, str]:
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = _("Please give your case a subject.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("The subject is limited to %(n)d characters.", n=SUBJECT_MAX)
    if not body:
        errors["body"] = _("Please write your message.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("The message is limited to %(n)d characters.", n=BODY_MAX)
    if errors:
        raise FieldErrors(errors)
    return subject, body


#: The audit row is written as a plain insert: nothing reads it back as an object, and the
#: unit of work costs several times the statement.
_INSERT_EVENT = sa.insert(Event.__table__)


def _event(ticket: Ticket, actor: User | None, kind: str, **data: Any) -> None:
    """Record an audit event of ``ticket`` (a case already written) in this transaction."""
    db.session.execute(
        _INSERT_EVENT,
        {
            "ticket_id": ticket.id,
            "actor_id": actor.id if actor else None,
            "kind": kind,
            "data": data,
        },
    )


def _add_message(
    ticket: Ticket,
    author: User | None,
    body: str,
    *,
    internal: bool,
    via: str,
    uploads: Sequence[files.Upload],
    written: list[str],
    source_id: str | None = None,
) -> Message:
    checked = files.check(list(uploads))
    message = Message(
        ticket=ticket,
        author_id=author.id if author else None,
        body=body,
        internal=internal,
        via=via,
        source_id=source_id,
    )
    db.session.add(message)
    for upload, content_type in checked:
        storage_name, digest = files.write(upload.data)
        written.append(storage_name)
        db.session.add(
            Attachment(
                ticket=ticket,
                message=message,
                filename=files.safe_filename(upload.filename),
                content_type=content_type,
                size=len(upload.data),
                sha256=digest,
                storage_name=storage_name,
            )
        )
    return message


def case_document(ticket: Ticket, bodies: Sequence[str] | None = None) -> search.Document:
    """A case as the search index sees it: reference, order id, subject, every message (notes
    included: case search is for staff only). ``bodies`` are its messages' bodies, oldest
    first, when the caller has them (a case just opened): otherwise they are read."""
    if bodies is None:
        bodies = db.session.scalars(
            sa.select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)
        )
    return search.Document(
        source=CASE_SOURCE,
        key=str(ticket.id),
        locale="any",
        title=ticket.subject,
        tags=[ticket.ref, ticket.order_id or "", ticket.type_key],
        body="\n".join(bodies),
    )


def all_case_documents():
    """Every open-to-search case, for ``supportdesk reindex`` (merged cases stay out)."""
    query = sa.select(Ticket).where(Ticket.merged_into_id.is_(None)).order_by(Ticket.id)
    for ticket in db.session.scalars(query.execution_options(yield_per=500)):
        yield case_document(ticket)


def index_case(ticket: Ticket, bodies: Sequence[str] | None = None, *, new: bool = False) -> None:
    """(Re)index a case; ``bodies`` and ``new`` for a case just opened (see ``case_document``
    and ``search.index``)."""
    if bodies is None:
        db.session.flush()  # its messages are read back
    search.index(case_document(ticket, bodies), new=new)


# Built once: every case filed runs them.
_QUEUE_BY_KEY = sa.select(Queue).where(Queue.key == sa.bindparam("key"))
#: A seller's case by its idempotency key (bound as ``seller_id``, ``idempotency_key``): what
#: ``existing_case`` reads, and what a form that looks up more than the case builds on.
CASE_BY_KEY = sa.select(Ticket).where(
    Ticket.seller_id == sa.bindparam("seller_id"),
    Ticket.idempotency_key == sa.bindparam("idempotency_key"),
)


def _queue_for(ttype: TicketType) -> Queue:
    queue = db.session.scalar(_QUEUE_BY_KEY, {"key": ttype.queue})
    if queue is None:
        queue = Queue(key=ttype.queue, name=ttype.queue.replace("_", " ").capitalize())
        db.session.add(queue)
        db.session.flush()
    return queue


def existing_case(seller: User, idempotency_key: str | None) -> Ticket | None:
    """The case ``seller`` already opened with ``idempotency_key``, if any."""
    if not idempotency_key:
        return None
    return db.session.scalar(
        CASE_BY_KEY, {"seller_id": seller.id, "idempotency_key": idempotency_key}
    )


def open_ticket(
    *,
    seller: User,
    type_key: str,
    subject: str,
    body: str,
    fields: dict[str, Any] | None = None,
    order_id: str | None = None,
    attachments: Sequence[files.Upload] = (),
    idempotency_key: str | None = None,
    via: str = "web",
    actor: User | None = None,
    priority: str = Priority.NORMAL,
) -> Ticket:
    """Open a case for ``seller``. With an ``idempotency_key`` already used by this seller, the
    first case is returned instead of a second one. Raises ``FieldErrors`` on bad input."""
    actor = actor or seller
    if actor.id != seller.id and not actor.is_staff:
        raise NotAllowed(_("You may only open cases for yourself."))
    ttype = get_ticket_type(type_key)
    subject, body = _clean_text(subject, body)
    cleaned = ttype.clean_fields(fields)
    if priority not in set(Priority):
        raise FieldErrors({"priority": _("Unknown priority.")})
    written: list[str] = []
    try:
        # Only new rows: nothing read before decides what is written. A key already used is not
        # looked up first: the case's insert fails on its unique constraint and the first case
        # is read in the IntegrityError below, which a form sent twice at once needs anyway.
        # Every case filed saves a read; only a repeated one pays a rolled-back insert.
        with writing(keep_loaded=True):
            now = utcnow()
            draft = Ticket(
                type_key=ttype.key,
                seller_id=seller.id,
                subject=subject,
                priority=priority,
                status=Status.NEW,
                queue_id=_queue_for(ttype).id,
                order_id=(order_id or "").strip() or None,
                fields=cleaned,
                idempotency_key=idempotency_key,
                created_at=now,
                updated_at=now,
                last_reply_by="seller",
            )
            case_state.start_clock(draft, now)
            ticket = _insert_case(draft)
            message_id = _first_message(ticket, actor, body, via, attachments, written)
            _apply_decisions(ticket)
            case_state.bump_count(ticket.queue_id, Status.NEW, +1)
            _event(ticket, actor, "opened", type=ttype.key, via=via)
            enqueue("ticket_opened", ticket=ticket, recipient=seller, message_id=message_id)
            # Indexed last, its one message given: the index's flush writes the decisions, if
            # any, with it.
            index_case(ticket, [body], new=True)
    except IntegrityError:
        files.discard(written)
        db.session.rollback()
        if (found := existing_case(seller, idempotency_key)) is not None:
            return found  # the same key again (sent twice, or twice at once): the first case
        raise
    except BaseException:
        files.discard(written)
        raise
    plugin_host().call_isolated("ticket_opened", ticket=ticket)
    return ticket


#: A new case and its first message are written as plain inserts: the case read back whole by
#: the same statement (the session then holds it as if it had flushed it), the message's id
#: alone. The unit of work cost more than both statements: about a tenth of a filing.
_INSERT_CASE = sa.insert(Ticket).returning(Ticket)
_INSERT_MESSAGE = sa.insert(Message.__table__).returning(Message.__table__.c.id)


def _insert_case(draft: Ticket) -> Ticket:
    """Write ``draft`` (a case never added to the session) and return it as the session's."""
    values = {
        column.key: getattr(draft, column.key)
        for column in Ticket.__mapper__.column_attrs
        if column.key in draft.__dict__
    }
    return db.session.scalars(_INSERT_CASE, [values]).one()


def _first_message(
    ticket: Ticket,
    author: User,
    body: str,
    via: str,
    uploads: Sequence[files.Upload],
    written: list[str],
) -> int:
    """Write a new case's first message; its id. With files, through ``_add_message`` (the
    attachments refer to the message object); without, as a plain insert."""
    if uploads:
        message = _add_message(
            ticket, author, body, internal=False, via=via, uploads=uploads, written=written
        )
        db.session.flush()
        return message.id
    return db.session.scalar(
        _INSERT_MESSAGE,
        {
            "ticket_id": ticket.id,
            "author_id": author.id,
            "body": body,
            "internal": False,
            "via": via,
        },
    )


def _apply_decisions(ticket: Ticket) -> None:
    """Risk scores and automatic assignment: decision hooks, so their errors propagate."""
    relay = plugin_host().hook
    db.session.flush()
    signals = [score for scores in relay.score_ticket(ticket=ticket) for score in scores or ()]
    score = sum(s.points for s in signals)
    reasons = [{"points": s.points, "reason": str(s.reason), **s.details} for s in signals]
    # Set only when they differ from what was just written: a case left as it was needs no
    # further pass of the unit of work.
    if score != ticket.risk_score:
        ticket.risk_score = score
    if reasons != ticket.risk_reasons:
        ticket.risk_reasons = reasons
    assignee = relay.assign_ticket(ticket=ticket)
    if assignee is not None:
        ticket.assignee_id = assignee.id


def _refuse_merged(ticket: Ticket, field: str) -> None:
    """A case merged into another lives on there: nothing is added to the duplicate."""
    if ticket.merged_into_id is not None:
        target = db.session.get(Ticket, ticket.merged_into_id)
        raise FieldErrors(
            {field: _("This case was merged into %(ref)s; please continue there.", ref=target.ref)}
        )


def _check(actor: User, action: str, ticket: Ticket) -> None:
    if not may(actor, action, ticket):
        raise NotAllowed(_("You may not do this to this case."))


def _changed(ticket: Ticket, actor: User | None, changes: dict[str, tuple[Any, Any]]) -> None:
    if changes:
        plugin_host().call_isolated("ticket_changed", ticket=ticket, changes=changes, actor=actor)


def _clean_body(body: str | None, missing: str) -> str:
    body = (body or "").strip()
    if not body:
        raise FieldErrors({"body": missing})
    if len(body) > BODY_MAX:
        raise FieldErrors({"body": _("The message is limited to %(n)d characters.", n=BODY_MAX)})
    return body


def _move(ticket: Ticket, new: str, changes: dict[str, tuple[Any, Any]], now) -> None:
    if new != ticket.status:
        changes["status"] = (ticket.status, new)
        case_state.set_status(ticket, new, now)


def reply(
    ticket: Ticket,
    *,
    actor: User,
    body: str,
    attachments: Sequence[files.Upload] = (),
    via: str = "web",
    status: str | None = None,
    source_id: str | None = None,
) -> Message:
    """A public message on the case. A seller's reply moves a waiting, resolved or closed case
    back to open; a staff reply is the first response if none was given yet, is sent to the
    seller, and may set the next status at once (``status="waiting"``, ``"resolved"``).
    ``source_id`` is the Message-ID of the email it came from: unique, so the same mail
    ingested twice raises ``IntegrityError`` instead of adding a second message."""
    _check(actor, "reply", ticket)
    _refuse_merged(ticket, "body")
    body = _clean_body(body, _("Please write your message."))
    from_staff = actor.is_staff and actor.id != ticket.seller_id
    if status is not None and (not from_staff or status not in TRANSITIONS):
        raise FieldErrors({"status": _("Unknown status.")})
    written: list[str] = []
    changes: dict[str, tuple[Any, Any]] = {}
    try:
        with writing():
            db.session.refresh(ticket)
            now = utcnow()
            message = _add_message(
                ticket,
                actor,
                body,
                internal=False,
                via=via,
                uploads=attachments,
                written=written,
                source_id=source_id,
            )
            if from_staff:
                case_state.record_first_response(ticket, now)
                target = status or (Status.OPEN if ticket.status == Status.NEW else ticket.status)
                if target != ticket.status and target not in TRANSITIONS[ticket.status]:
                    raise FieldErrors(
                        {
                            "status": _(
                                "A %(old)s case cannot become %(new)s.",
                                old=status_name(ticket.status),
                                new=status_name(target),
                            )
                        }
                    )
            else:
                target = (
                    Status.OPEN
                    if ticket.status in (Status.WAITING, Status.RESOLVED, Status.CLOSED)
                    else ticket.status
                )
            _move(ticket, target, changes, now)
            case_state.update_next_due(ticket)
            ticket.last_reply_by = "staff" if from_staff else "seller"
            ticket.updated_at = now
            db.session.flush()
            _event(ticket, actor, "replied", message_id=message.id, via=via)
            if "status" in changes:
                _event(ticket, actor, "status", old=changes["status"][0], new=target)
            index_case(ticket)
            if from_staff:
                enqueue(
                    "staff_reply", ticket=ticket, recipient=ticket.seller, message_id=message.id
                )
    except BaseException:
        files.discard(written)
        raise
    plugin_host().call_isolated("message_added", ticket=ticket, message=message)
    _changed(ticket, actor, changes)
    return message


def add_note(
    ticket: Ticket, *, actor: User, body: str, attachments: Sequence[files.Upload] = ()
) -> Message:
    """An internal note: staff only, never shown to the seller, never emailed."""
    _check(actor, "note", ticket)
    body = _clean_body(body, _("Please write your note."))
    written: list[str] = []
    try:
        with writing():
            db.session.refresh(ticket)
            message = _add_message(
                ticket, actor, body, internal=True, via="web", uploads=attachments, written=written
            )
            db.session.flush()
            _event(ticket, actor, "noted", message_id=message.id)
            index_case(ticket)
    except BaseException:
        files.discard(written)
        raise
    plugin_host().call_isolated("message_added", ticket=ticket, message=message)
    return message


def transition(ticket: Ticket, *, actor: User, status: str) -> Ticket:
    """Move the case to ``status`` along :data:`TRANSITIONS`. A seller may only close their
    case or reopen it; staff may make any allowed move."""
    if status not in TRANSITIONS:
        raise FieldErrors({"status": _("Unknown status.")})
    seller_moves = {Status.CLOSED: "close", Status.OPEN: "reopen"}
    action = "transition" if actor.is_staff else seller_moves.get(status, "transition")
    _check(actor, action, ticket)
    _refuse_merged(ticket, "status")
    changes: dict[str, tuple[Any, Any]] = {}
    with writing():
        db.session.refresh(ticket)
        if status == ticket.status:
            return ticket
        if action == "reopen" and ticket.status not in (Status.RESOLVED, Status.CLOSED):
            raise FieldErrors({"status": _("Only a resolved or closed case can be reopened.")})
        if status not in TRANSITIONS[ticket.status]:
            raise FieldErrors(
                {
                    "status": _(
                        "A %(old)s case cannot become %(new)s.",
                        old=status_name(ticket.status),
                        new=status_name(status),
                    )
                }
            )
        now = utcnow()
        _move(ticket, status, changes, now)
        ticket.updated_at = now
        _event(ticket, actor, "status", old=changes["status"][0], new=status)
        if actor.id != ticket.seller_id:
            enqueue("status_changed", ticket=ticket, recipient=ticket.seller, status=status)
    _changed(ticket, actor, changes)
    return ticket


def claim(ticket: Ticket, *, agent: User) -> Ticket:
    """Take an unassigned case. Of two agents racing, exactly one wins; the other gets
    ``Conflict``. The check-and-set is one UPDATE, so it holds on every database."""
    _check(agent, "claim", ticket)
    with writing():
        result = db.session.execute(
            sa.update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
            .values(assignee_id=agent.id, version=Ticket.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise Conflict(_("Another agent has already taken this case."))
        _event(ticket, agent, "claimed")
    db.session.refresh(ticket)
    _changed(ticket, agent, {"assignee_id": (None, agent.id)})
    return ticket


def assign(ticket: Ticket, *, actor: User, assignee: User | None) -> Ticket:
    """Give the case to ``assignee`` (an agent of its queue, or an admin), or unassign it."""
    _check(actor, "assign", ticket)
    if assignee is not None and not (assignee.role == Role.ADMIN or may(assignee, "view", ticket)):
        raise FieldErrors({"assignee": _("This person cannot work on this case.")})
    with writing():
        db.session.refresh(ticket)
        old = ticket.assignee_id
        new = assignee.id if assignee else None
        if old == new:
            return ticket
        ticket.assignee_id = new
        ticket.updated_at = utcnow()
        _event(ticket, actor, "assigned", old=old, new=new)
    _changed(ticket, actor, {"assignee_id": (old, new)})
    return ticket


def set_priority(ticket: Ticket, *, actor: User, priority: str) -> Ticket:
    _check(actor, "priority", ticket)
    if priority not in set(Priority):
        raise FieldErrors({"priority": _("Unknown priority.")})
    with writing():
        db.session.refresh(ticket)
        old = ticket.priority
        if old == priority:
            return ticket
        ticket.priority = priority
        ticket.updated_at = utcnow()
        _event(ticket, actor, "priority", old=old, new=priority)
    _changed(ticket, actor, {"priority": (old, priority)})
    return ticket


def update_fields(ticket: Ticket, *, actor: User, fields: dict[str, Any]) -> Ticket:
    """Change some of the case's extra fields (staff: a decision, a verdict). Only the fields
    given are checked, through the case's type; ``ticket_changed`` gets each one that changed
    as ``(old, new)``, and a change to the same value is no change at all."""
    _check(actor, "fields", ticket)
    cleaned = get_ticket_type(ticket.type_key).clean_fields(fields, partial=True)
    changes: dict[str, tuple[Any, Any]] = {}
    with writing():
        db.session.refresh(ticket)
        current = dict(ticket.fields or {})
        for name, value in cleaned.items():
            if current.get(name) != value:
                changes[name] = (current.get(name), value)
                current[name] = value
        if changes:
            ticket.fields = current
            ticket.updated_at = utcnow()
            _event(ticket, actor, "fields", changes={k: list(v) for k, v in changes.items()})
    _changed(ticket, actor, changes)
    return ticket


def merge(source: Ticket, *, into: Ticket, actor: User) -> Ticket:
    """Merge a duplicate into another case of the same seller: its messages and attachments
    move, it is closed with a pointer to the target, the seller is told, and both cases keep
    an audit event."""
    _check(actor, "merge", source)
    _check(actor, "merge", into)
    if source.id == into.id or source.seller_id != into.seller_id:
        raise FieldErrors(
            {"into": _("A case can only be merged into another case of the same seller.")}
        )
    if into.merged_into_id is not None:
        raise FieldErrors({"into": _("This case was itself merged into another one.")})
    _refuse_merged(source, "into")
    changes: dict[str, tuple[Any, Any]] = {}
    with writing():
        db.session.refresh(source)
        now = utcnow()
        moved = db.session.execute(
            sa.update(Message).where(Message.ticket_id == source.id).values(ticket_id=into.id)
        ).rowcount
        db.session.execute(
            sa.update(Attachment).where(Attachment.ticket_id == source.id).values(ticket_id=into.id)
        )
        if source.status != Status.CLOSED:
            _move(source, Status.CLOSED, changes, now)
        source.merged_into_id = into.id
        source.updated_at = into.updated_at = now
        changes["merged_into"] = (None, into.ref)
        _event(source, actor, "merged_into", into=into.ref, messages=moved)
        _event(into, actor, "merged_from", source=source.ref, messages=moved)
        db.session.flush()
        index_case(into)
        search.remove(CASE_SOURCE, str(source.id))
        enqueue("merged", ticket=into, recipient=source.seller, source_ref=source.ref)
    db.session.expire_all()
    _changed(source, actor, changes)
    return into


def rate(ticket: Ticket, *, actor: User, rating: int, comment: str = "") -> Ticket:
    """The seller rates the resolution of their case, once, when it is resolved or closed."""
    if actor.id != ticket.seller_id:
        raise NotAllowed(_("Only the seller who opened the case can rate it."))
    _check(actor, "rate", ticket)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED) or ticket.merged_into_id:
        raise FieldErrors({"rating": _("You can rate a case once it is resolved.")})
    if ticket.rating is not None:
        raise FieldErrors({"rating": _("You have already rated this case.")})
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise FieldErrors({"rating": _("Choose a rating from 1 to 5.")})
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise FieldErrors({"comment": _("The comment is limited to %(n)d characters.", n=2000)})
    with writing():
        ticket.rating, ticket.rating_comment, ticket.rated_at = rating, comment or None, utcnow()
        _event(ticket, actor, "rated", rating=rating)
    _changed(ticket, actor, {"rating": (None, rating)})
    return ticket


def history(ticket: Ticket) -> list[Event]:
    """The case's audit events, oldest first."""
    return list(
        db.session.scalars(sa.select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id))
    )
