"""Queues: the list with its counts, one queue's cases, the cases assigned to me, bulk actions
on a list, and case search.

Every list starts from :func:`supportdesk.permissions.visible_tickets`, so a case the agent may
not open never shows; every bulk change goes through :mod:`supportdesk.tickets`, case by case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import sla, tickets
from ..accounts import current_user
from ..case_search import LISTED, normalise_ref, search_cases
from ..extensions import db
from ..i18n import gettext as _
from ..models import Queue, QueueCount, Role, Status, Ticket, User, UTCDateTime, utcnow
from ..pagination import BadCursor, SortKey, decode_cursor, encode_cursor, keyset_page
from ..permissions import hidden_type_keys, may, visible_tickets
from ..ticket_types import FieldErrors, ticket_types, type_label
from ..web import url_builder
from . import bp, staff_required
from .forms import (
    ALL_CASES,
    OPEN_CASES,
    PRIORITY_LABELS,
    STATUS_LABELS,
    BulkForm,
    CaseFilterForm,
    options,
)

#: The statuses of the cases still to be worked on.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)
#: Overdue and due-soon counts stop here (shown as "99+"): a page never counts a backlog.
COUNT_CAP = 100
#: Where a case without a deadline sorts among "due soonest": last.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
#: The largest integer a cursor may carry: a bigger one would overflow PostgreSQL's bigint.
MAX_INT = 2**63 - 1
#: How many cases one bulk action may touch (a page holds fewer).
BULK_LIMIT = 100
#: How many failed cases a bulk report names (the report travels in the session cookie).
FAILURES_NAMED = 10

DUE = SortKey(Ticket.next_due_at, null_as=sa.literal(FAR_FUTURE, UTCDateTime()))
PRIORITY_RANK = sa.case(
    {p.value: rank for rank, p in enumerate(PRIORITY_LABELS)}, value=Ticket.priority, else_=9
)
SORT_KEYS: dict[str, list[SortKey]] = {
    "newest": [SortKey(Ticket.id, descending=True)],
    "oldest": [SortKey(Ticket.id)],
    "due": [DUE, SortKey(Ticket.id)],
    "priority": [SortKey(PRIORITY_RANK), DUE, SortKey(Ticket.id)],
}
FILTER_NAMES = ("status", "priority", "type", "assignee", "overdue", "sort")


def due_state(due: datetime | None) -> str | None:
    """``"overdue"``, ``"due_soon"`` or None, for the badge next to a deadline."""
    return sla.state(due, utcnow())


@bp.context_processor
def case_labels() -> dict[str, Any]:
    """What every staff page needs to show a case: the names of statuses, priorities and
    types, the state of a deadline, and the addresses of a case and of its "Take" button."""
    # Translated once a page, not once a row: a case list shows each of them fifty times.
    types = {key: type_label(key) for key in ticket_types()}
    return {
        "status_labels": {status: str(label) for status, label in STATUS_LABELS.items()},
        "priority_labels": {priority: str(label) for priority, label in PRIORITY_LABELS.items()},
        "type_label": lambda key: types.get(key, key),
        "due_state": due_state,
        "case_url": url_builder("desk.staff.case", "ref"),
        "take_url": url_builder("desk.staff.take", "ref"),
    }


@dataclass
class QueueRow:
    queue: Queue
    open: int
    overdue: int
    due_soon: int


def capped_count(query: sa.Select) -> int:
    """``SELECT count(*) FROM (… LIMIT 100)``: reads at most 100 index entries."""
    limited = query.limit(COUNT_CAP).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0


def due_between(
    queue_id: int, hidden: list[str], after: datetime | None, until: datetime
) -> sa.Select:
    """Open cases of the queue whose deadline falls in (after, until]: an index range scan on
    ``ix_tickets_queue_due`` (queue, status, deadline)."""
    query = sa.select(sa.literal(1)).where(
        Ticket.queue_id == queue_id,
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.next_due_at <= until,
    )
    if after is not None:
        query = query.where(Ticket.next_due_at > after)
    if hidden:
        query = query.where(Ticket.type_key.not_in(hidden))
    return query


@bp.get("/")
@staff_required
def home() -> str:
    queues = [
        q
        for q in db.session.scalars(sa.select(Queue).order_by(Queue.name))
        if may(current_user, "view", q)
    ]
    totals = db.session.execute(
        sa.select(QueueCount.queue_id, sa.func.sum(QueueCount.count))
        .where(QueueCount.status.in_(OPEN_STATUSES))
        .group_by(QueueCount.queue_id)
    ).all()
    open_counts = {queue_id: int(total or 0) for queue_id, total in totals}
    now = utcnow()
    soon = now + timedelta(hours=current_app.config["SUPPORTDESK_DUE_SOON_HOURS"])
    hidden = hidden_type_keys(current_user)
    rows = [
        QueueRow(
            queue=q,
            open=open_counts.get(q.id, 0),
            overdue=capped_count(due_between(q.id, hidden, None, now)),
            due_soon=capped_count(due_between(q.id, hidden, now, soon)),
        )
        for q in queues
    ]
    mine = capped_count(
        visible_tickets(current_user)
        .with_only_columns(Ticket.id)
        .where(Ticket.assignee_id == current_user.id, Ticket.status.in_(OPEN_STATUSES))
    )
    return render_template(
        "desk/staff/home.html",
        rows=rows,
        mine=mine,
        cap=COUNT_CAP,
        widest=max([r.open for r in rows] + [1]),
    )


# --- case lists -----------------------------------------------------------------------------


def page_size() -> int:
    return max(1, int(current_app.config["SUPPORTDESK_PAGE_SIZE"]))


def _fits(value: object, key: SortKey) -> bool:
    if isinstance(key.expression().type, UTCDateTime | sa.DateTime):
        return isinstance(value, datetime) and value.utcoffset() == timedelta(0)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT


def checked_cursor(raw: str | None, keys: list[SortKey]) -> str | None:
    """The cursor if it is one of ours for this sort order, else None: a forged, stale or
    other-sort cursor shows the first page rather than an error."""
    if not raw:
        return None
    try:
        values = decode_cursor(raw, len(keys))
    except BadCursor:
        return None
    return raw if all(_fits(v, k) for v, k in zip(values, keys, strict=True)) else None


def agents_of(queues: list[Queue]) -> list[User]:
    """The active agents of these queues, by name: who a case may be given to."""
    people = {a.id: a for q in queues for a in q.agents if a.active and a.role == Role.AGENT}
    return sorted(people.values(), key=lambda a: a.display_name.lower())


def filter_form(types: list[str], agents: list[User]) -> CaseFilterForm:
    form = CaseFilterForm(formdata=request.args)
    known = ticket_types()
    form.type.choices = options([("", _("Any"))] + [(k, known[k].label) for k in types])
    form.assignee.choices = options(
        [("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))]
        + [(str(a.id), a.display_name) for a in agents]
    )
    form.validate()
    return form


def filtered(query: sa.Select, form: CaseFilterForm) -> sa.Select:
    status = form.value("status")
    if status == OPEN_CASES:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    elif status != ALL_CASES:
        query = query.where(Ticket.status == status)
    if priority := form.value("priority"):
        query = query.where(Ticket.priority == priority)
    if type_key := form.value("type"):
        query = query.where(Ticket.type_key == type_key)
    assignee = form.value("assignee")
    if assignee == "me":
        query = query.where(Ticket.assignee_id == current_user.id)
    elif assignee == "none":
        query = query.where(Ticket.assignee_id.is_(None))
    elif assignee:
        query = query.where(Ticket.assignee_id == int(assignee))
    if form.value("overdue"):
        query = query.where(Ticket.next_due_at <= utcnow())
    return query


def bulk_form(agents: list[User]) -> BulkForm:
    form = BulkForm()
    form.assignee.choices = options(
        [("", _("Choose an agent"))] + [(str(a.id), a.display_name) for a in agents]
    )
    return form


def case_list(
    query: sa.Select, filters: CaseFilterForm, bulk: BulkForm, queue: Queue | None = None
) -> tuple[str, int]:
    """One page of the filtered list, with links to the next page and back to the first."""
    keys = SORT_KEYS[filters.value("sort")]
    cursor = checked_cursor(request.args.get("cursor"), keys)
    query = filtered(query, filters).options(*LISTED)
    page = keyset_page(query, keys, cursor, page_size())
    kept = {name: request.args[name] for name in FILTER_NAMES if name in request.args}
    endpoint = request.endpoint or ""
    url_args = {"key": queue.key} if queue else {}
    html = render_template(
        "desk/staff/cases.html",
        queue=queue,
        page=page,
        filters=filters,
        bulk=bulk,
        next_url=url_for(endpoint, **url_args, **kept, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url_for(endpoint, **url_args, **kept) if cursor else None,
    )
    return html, 400 if bulk.errors else 200


@bp.route("/queues/<key>", methods=["GET", "POST"])
@staff_required
def queue(key: str) -> Response | tuple[str, int]:
    """One queue's cases; a POST is a bulk action on the cases checked."""
    queue = db.session.scalar(sa.select(Queue).where(Queue.key == key))
    if queue is None or not may(current_user, "view", queue):
        abort(404)
    agents = agents_of([queue])
    bulk = bulk_form(agents)
    if request.method == "POST" and (done := run_bulk(bulk, agents)) is not None:
        return done
    hidden = set(hidden_type_keys(current_user))
    types = [k for k, t in ticket_types().items() if t.queue == queue.key and k not in hidden]
    filters = filter_form(types, agents)
    query = visible_tickets(current_user).where(Ticket.queue_id == queue.id)
    return case_list(query, filters, bulk, queue)


@bp.route("/mine", methods=["GET", "POST"])
@staff_required
def mine() -> Response | tuple[str, int]:
    """The cases assigned to me, across my queues."""
    queues = [q for q in db.session.scalars(sa.select(Queue)) if may(current_user, "view", q)]
    agents = agents_of(queues)
    bulk = bulk_form(agents)
    if request.method == "POST" and (done := run_bulk(bulk, agents)) is not None:
        return done
    hidden = set(hidden_type_keys(current_user))
    filters = filter_form([k for k in ticket_types() if k not in hidden], [])
    query = visible_tickets(current_user).where(Ticket.assignee_id == current_user.id)
    return case_list(query, filters, bulk)


# --- bulk actions -----------------------------------------------------------------------------


def run_bulk(form: BulkForm, agents: list[User]) -> Response | None:
    """Apply the action to each case checked, each through the service on its own: one that
    fails is reported by reference and reason, and the others are done. None when the form
    itself is wrong (its errors are on its fields)."""
    if not form.validate_on_submit():
        return None
    refs = list(dict.fromkeys(form.refs.data or ()))[:BULK_LIMIT]
    if not refs:
        form.refs.errors.append(_("Check at least one case."))
        return None
    assignee = None
    if form.action.data == "assign":
        assignee = next((a for a in agents if str(a.id) == form.assignee.data), None)
        if assignee is None:
            form.assignee.errors.append(_("Choose the agent to give the cases to."))
            return None
    done, failed = 0, []
    for raw in refs:
        ref = normalise_ref(raw)
        reason = apply_to_case(ref, form.action.data, assignee) if ref else _("not found")
        if reason is None:
            done += 1
        else:
            failed.append(f"{ref or raw[:20]} ({reason})")
    report_bulk(form.action.data, done, failed, assignee)
    return redirect(request.full_path if request.query_string else request.path)


def apply_to_case(ref: str, action: str, assignee: User | None) -> str | None:
    """Do ``action`` to one case; the reason it failed, or None."""
    ticket = db.session.scalar(visible_tickets(current_user).where(Ticket.ref == ref))
    if ticket is None:
        return _("not found")
    try:
        if action == "take":
            if ticket.assignee_id != current_user.id:
                tickets.claim(ticket, agent=current_user)
        elif action == "assign":
            tickets.assign(ticket, actor=current_user, assignee=assignee)
        else:
            tickets.transition(ticket, actor=current_user, status=Status.CLOSED)
    except tickets.NotAllowed:
        return _("not found")
    except tickets.Conflict as exc:
        if action == "take" and ticket.assignee is not None:
            return _("already taken by %(name)s", name=ticket.assignee.display_name)
        return str(exc)
    except FieldErrors as exc:
        return " ".join(exc.errors.values())
    return None


def report_bulk(action: str, done: int, failed: list[str], assignee: User | None) -> None:
    """One message for what was done and one naming each case that could not be."""
    name = assignee.display_name if assignee else ""
    if done and action == "take":
        flash(
            ngettext("%(num)d case assigned to you.", "%(num)d cases assigned to you.", done),
            "success",
        )
    elif done and action == "assign":
        flash(
            ngettext(
                "%(num)d case assigned to %(name)s.",
                "%(num)d cases assigned to %(name)s.",
                done,
                name=name,
            ),
            "success",
        )
    elif done:
        flash(ngettext("%(num)d case closed.", "%(num)d cases closed.", done), "success")
    if not failed:
        return
    count, cases = len(failed), "; ".join(failed[:FAILURES_NAMED])
    if count > FAILURES_NAMED:
        more = count - FAILURES_NAMED
        cases = ngettext(
            "%(cases)s; and %(num)d more", "%(cases)s; and %(num)d more", more, cases=cases
        )
    if action == "take":
        message = ngettext(
            "%(num)d case could not be assigned to you: %(cases)s",
            "%(num)d cases could not be assigned to you: %(cases)s",
            count,
            cases=cases,
        )
    elif action == "assign":
        message = ngettext(
            "%(num)d case could not be assigned to %(name)s: %(cases)s",
            "%(num)d cases could not be assigned to %(name)s: %(cases)s",
            count,
            name=name,
            cases=cases,
        )
    else:
        message = ngettext(
            "%(num)d case could not be closed: %(cases)s",
            "%(num)d cases could not be closed: %(cases)s",
            count,
            cases=cases,
        )
    flash(message, "error")


# --- search ---------------------------------------------------------------------------------


@bp.get("/search")
@staff_required
def search() -> Response | str:
    """Find a case: a reference opens it at once; an order id, a seller's email or words list
    what matches, newest first, a page at a time."""
    text = request.args.get("q", "").strip()
    cursor = checked_cursor(request.args.get("cursor"), SORT_KEYS["newest"])
    before = decode_cursor(cursor, 1)[0] if cursor else None
    size = page_size()
    found = search_cases(current_user, text, limit=size + 1, before=before) if text else []
    results = found[:size]
    ref = normalise_ref(text) if text else None
    if ref is not None and before is None and len(results) == 1 and results[0].ref == ref:
        return redirect(url_for(".case", ref=ref))
    return render_template(
        "desk/staff/search.html",
        q=text,
        results=results,
        next_url=url_for(".search", q=text, cursor=encode_cursor([results[-1].id]))
        if len(found) > size
        else None,
        first_url=url_for(".search", q=text) if before is not None else None,
    )
