"""The case workspace: thread, reply, note, status, priority, assignment, merge, history.

Each form posts to its own URL and goes through :mod:`supportdesk.tickets`. A case the agent
may not see or touch is a 404, as if it did not exist. An invalid submission re-renders the
workspace with status 400, the error next to its field and what was typed kept; a case
changed meanwhile (409) says so and keeps the text too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from .. import tickets
from ..accounts import current_user
from ..case_search import normalise_ref
from ..extensions import db
from ..forms import show_errors
from ..i18n import gettext as _
from ..models import Status, Ticket, User
from ..permissions import may, require, visible_tickets
from ..ticket_types import FieldErrors, ticket_types
from ..web import is_safe_next
from . import bp, staff_required
from .canned import insert_reply, replies_for
from .forms import (
    STATUS_LABELS,
    TRANSITION_LABELS,
    AssignForm,
    MergeForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TakeForm,
    options,
)
from .queues import COUNT_CAP, agents_of, capped_count

#: How many of the seller's other cases the workspace links to.
OTHER_CASES_SHOWN = 5
#: The statuses a reply may set at once ("then set status").
REPLY_STATUSES = (Status.WAITING, Status.RESOLVED)
#: Transition buttons in workflow order.
STATUS_ORDER = (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED)
#: What the page asks ``may`` about, to offer only the forms that would be accepted.
CASE_ACTIONS = ("reply", "note", "transition", "priority", "assign", "claim", "merge")


def find_case(ref: str, action: str = "view") -> Ticket:
    """The case with this reference (as typed, dashes or not), if the signed-in agent may do
    ``action`` to it; else 404."""
    normal = normalise_ref(ref)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == normal)) if normal else None
    if ticket is None:
        abort(404)
    require(current_user, "view", ticket)
    if action != "view":
        require(current_user, action, ticket)
    return ticket


def to_case(ticket: Ticket) -> Response:
    return redirect(url_for(".case", ref=ticket.ref))


# --- the forms, with their choices for this case --------------------------------------------


def reply_form(ticket: Ticket, **kwargs: Any) -> ReplyForm:
    form = ReplyForm(prefix="reply", **kwargs)
    allowed = tickets.TRANSITIONS.get(ticket.status, set())
    form.status.choices = options(
        [("", _("Keep the status"))]
        + [(s, STATUS_LABELS[s]) for s in REPLY_STATUSES if s in allowed]
    )
    form.canned.choices = options(
        [("", _("Choose a canned reply"))]
        + [
            (str(r.id), f"{r.title} ({r.locale})" if r.locale else r.title)
            for r in replies_for(ticket)
        ]
    )
    return form


def note_form(**kwargs: Any) -> NoteForm:
    return NoteForm(prefix="note", **kwargs)


def assign_form(ticket: Ticket, **kwargs: Any) -> AssignForm:
    form = AssignForm(**kwargs)
    people = agents_of([ticket.queue])
    if ticket.assignee is not None and ticket.assignee not in people:
        people.append(ticket.assignee)
    form.assignee.choices = options(
        [("", _("Nobody"))] + [(str(p.id), p.display_name) for p in people]
    )
    return form


def blank_forms(ticket: Ticket) -> dict[str, FlaskForm]:
    return {
        "reply_form": reply_form(ticket, formdata=None),
        "note_form": note_form(formdata=None),
        "status_form": StatusForm(formdata=None),
        "priority_form": PriorityForm(formdata=None, priority=ticket.priority),
        "assign_form": assign_form(ticket, formdata=None, assignee=str(ticket.assignee_id or "")),
        "merge_form": MergeForm(formdata=None),
        "take_form": TakeForm(formdata=None),
    }


# --- the page ---------------------------------------------------------------------------------


def history_people(events: list[Any]) -> dict[int, User]:
    """The people an assignment event names (the actors come with the events)."""
    ids = {
        person
        for e in events
        if e.kind == "assigned"
        for person in (e.data.get("old"), e.data.get("new"))
        if isinstance(person, int)
    }
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


def render_case(ticket: Ticket, *, code: int = 200, **forms: FlaskForm) -> tuple[str, int]:
    others = visible_tickets(current_user).where(
        Ticket.seller_id == ticket.seller_id, Ticket.id != ticket.id
    )
    events = tickets.history(ticket)
    html = render_template(
        "desk/staff/case.html",
        ticket=ticket,
        ttype=ticket_types().get(ticket.type_key),
        messages=ticket.messages,
        other_cases=db.session.scalars(
            others.order_by(Ticket.id.desc()).limit(OTHER_CASES_SHOWN)
        ).all(),
        # Capped: a seller with thousands of cases made each of their pages count them all
        # (3 ms at 10,000, read row by row for the agent's queues).
        other_count=capped_count(others),
        cap=COUNT_CAP,
        transitions=[
            (s, TRANSITION_LABELS[s])
            for s in STATUS_ORDER
            if s in tickets.TRANSITIONS.get(ticket.status, ())
        ],
        can={action: may(current_user, action, ticket) for action in CASE_ACTIONS},
        events=events,
        people=history_people(events),
        **{**blank_forms(ticket), **forms},
    )
    return html, code


def attempt(
    ticket: Ticket,
    name: str,
    form: FlaskForm,
    change: Callable[[], Any],
    done: str,
    landing: Ticket | None = None,
) -> Response | tuple[str, int]:
    """Run one change through the service: done, ``done`` flashed and a redirect to the case
    (or to ``landing``); bad input, the page again with the errors on the form's fields; a
    race lost, the page again with the reason; not allowed after all, 404."""
    try:
        change()
    except tickets.NotAllowed:
        abort(404)
    except tickets.Conflict as exc:
        flash(str(exc), "error")
        return render_case(ticket, code=409, **{name: form})
    except FieldErrors as exc:
        show_errors(form, exc)
        return render_case(ticket, code=400, **{name: form})
    flash(done, "success")
    return to_case(landing or ticket)


@bp.get("/cases/<ref>")
@staff_required
def case(ref: str) -> tuple[str, int]:
    return render_case(find_case(ref))


@bp.post("/cases/<ref>/reply")
@staff_required
def reply(ref: str) -> Response | tuple[str, int]:
    """Send a public reply, or, with "Insert", put a canned reply into the text and show the
    page again (no JavaScript needed)."""
    ticket = find_case(ref, "reply")
    form = reply_form(ticket)
    if not form.validate_on_submit():
        return render_case(ticket, code=400, reply_form=form)
    if form.insert.data:
        return insert_canned(ticket, form)
    return attempt(
        ticket,
        "reply_form",
        form,
        lambda: tickets.reply(
            ticket, actor=current_user, body=form.body.data, status=form.status.data or None
        ),
        _("Your reply is sent to the seller."),
    )


def insert_canned(ticket: Ticket, form: ReplyForm) -> tuple[str, int]:
    chosen = next((r for r in replies_for(ticket) if str(r.id) == form.canned.data), None)
    if chosen is None:
        form.canned.errors.append(_("Choose the canned reply to insert."))
        return render_case(ticket, code=400, reply_form=form)
    form.body.data = insert_reply(form.body.data, chosen, ticket, current_user)
    return render_case(ticket, reply_form=form)


@bp.post("/cases/<ref>/note")
@staff_required
def note(ref: str) -> Response | tuple[str, int]:
    ticket = find_case(ref, "note")
    form = note_form()
    if not form.validate_on_submit():
        return render_case(ticket, code=400, note_form=form)
    return attempt(
        ticket,
        "note_form",
        form,
        lambda: tickets.add_note(ticket, actor=current_user, body=form.body.data),
        _("Your note is added."),
    )


@bp.post("/cases/<ref>/status")
@staff_required
def status(ref: str) -> Response | tuple[str, int]:
    ticket = find_case(ref, "transition")
    form = StatusForm()
    if not form.validate_on_submit():
        return render_case(ticket, code=400, status_form=form)
    new = form.status.data
    return attempt(
        ticket,
        "status_form",
        form,
        lambda: tickets.transition(ticket, actor=current_user, status=new),
        _("The case is now “%(status)s”.", status=STATUS_LABELS[new]),
    )


@bp.post("/cases/<ref>/priority")
@staff_required
def priority(ref: str) -> Response | tuple[str, int]:
    ticket = find_case(ref, "priority")
    form = PriorityForm()
    if not form.validate_on_submit():
        return render_case(ticket, code=400, priority_form=form)
    if form.priority.data == ticket.priority:
        return to_case(ticket)
    return attempt(
        ticket,
        "priority_form",
        form,
        lambda: tickets.set_priority(ticket, actor=current_user, priority=form.priority.data),
        _("The priority is changed."),
    )


@bp.post("/cases/<ref>/assign")
@staff_required
def assign(ref: str) -> Response | tuple[str, int]:
    ticket = find_case(ref, "assign")
    form = assign_form(ticket)
    if not form.validate_on_submit():
        return render_case(ticket, code=400, assign_form=form)
    person = db.session.get(User, int(form.assignee.data)) if form.assignee.data else None
    if (person.id if person else None) == ticket.assignee_id:
        return to_case(ticket)
    done = (
        _("The case is assigned to %(name)s.", name=person.display_name)
        if person
        else _("The case is no longer assigned.")
    )
    return attempt(
        ticket,
        "assign_form",
        form,
        lambda: tickets.assign(ticket, actor=current_user, assignee=person),
        done,
    )


@bp.post("/cases/<ref>/take")
@staff_required
def take(ref: str) -> Response:
    """Take the case. Of two agents pressing "Take" at once, one gets it; the other is told,
    and the page they come back to shows who has it."""
    ticket = find_case(ref, "claim")
    form = TakeForm()
    if not form.validate_on_submit():
        abort(400)
    back = form.next.data if is_safe_next(form.next.data) else url_for(".case", ref=ticket.ref)
    if ticket.assignee_id == current_user.id:
        flash(_("This case is already yours."), "info")
        return redirect(back)
    try:
        tickets.claim(ticket, agent=current_user)
    except tickets.NotAllowed:
        abort(404)
    except tickets.Conflict:
        flash(_("Another agent has already taken this case."), "error")
        return redirect(back)
    flash(_("You have taken %(ref)s.", ref=ticket.ref), "success")
    return redirect(back)


@bp.post("/cases/<ref>/merge")
@staff_required
def merge(ref: str) -> Response | tuple[str, int]:
    """Merge this case into another of the same seller (the service checks); the page of the
    case that is kept comes next."""
    ticket = find_case(ref, "merge")
    form = MergeForm()
    if not form.validate_on_submit():
        return render_case(ticket, code=400, merge_form=form)
    if ticket.merged_into is not None:  # a stale page: the case has no merge form any more
        flash(_("This case is already merged into %(ref)s.", ref=ticket.merged_into.ref), "error")
        return to_case(ticket)
    target = merge_target(form.into.data)
    if target is None:
        form.into.errors.append(_("There is no case with this reference that you may open."))
        return render_case(ticket, code=400, merge_form=form)
    return attempt(
        ticket,
        "merge_form",
        form,
        lambda: tickets.merge(ticket, into=target, actor=current_user),
        _("%(source)s is merged into this case.", source=ticket.ref),
        landing=target,
    )


def merge_target(text: str) -> Ticket | None:
    """The case a reference names, if the agent may open it and merge into it."""
    ref = normalise_ref(text or "")
    if ref is None:
        return None
    target = db.session.scalar(visible_tickets(current_user).where(Ticket.ref == ref))
    return target if target is not None and may(current_user, "merge", target) else None
