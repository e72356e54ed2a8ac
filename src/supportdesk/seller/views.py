"""The seller's case log: their cases, one case's page, and what they may do to it.

Every change goes through :mod:`supportdesk.tickets` and every visibility question through
:mod:`supportdesk.permissions`. These pages act for the case's own seller: staff who may view a
case can read its page, but its forms are the seller's (staff answer from their workspace).

An invalid submission re-renders the case page with status 400, the errors next to their
fields and what the seller wrote kept; a case the actor may not touch is a 404, as if it did
not exist; a case changed meanwhile is a flash message and a fresh page.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from .. import tickets
from ..accounts import current_user, login_required
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import Status, Ticket, User
from ..pagination import BadCursor, SortKey, decode_cursor, keyset_page
from ..permissions import may, require, visible_tickets
from ..ticket_types import FieldErrors, ticket_types, type_label
from . import bp
from .filters import FILTERS, FINISHED, awaits_seller, filter_named
from .forms import RatingForm, ReplyForm, show_errors

NEWEST_FIRST = [SortKey(Ticket.id, descending=True)]
#: The largest id a cursor may carry: a bigger one would overflow PostgreSQL's integer.
MAX_ID = 2**63 - 1
#: Seller-facing names of the statuses: what each means for the seller.
STATUS_LABELS = {
    Status.NEW: _l("New"),
    Status.OPEN: _l("Open"),
    Status.WAITING: _l("Waiting for your reply"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed"),
}
HOME_LIST_SIZE = 3


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


LABELS = {"status_label": status_label, "type_label": type_label, "awaits_seller": awaits_seller}


@bp.context_processor
def case_labels() -> dict[str, Any]:
    return LABELS


def my_cases(actor: User) -> sa.Select:
    """The actor's own cases among those they may see (staff: usually none)."""
    return visible_tickets(actor).where(Ticket.seller_id == actor.id)


def page_size() -> int:
    return max(1, int(current_app.config["SUPPORTDESK_PAGE_SIZE"]))


def checked_cursor(raw: str | None) -> str | None:
    """The cursor if it is one of ours (an id), else None: a forged or stale one shows the
    first page instead of an error."""
    if not raw:
        return None
    try:
        (value,) = decode_cursor(raw, len(NEWEST_FIRST))
    except BadCursor:
        return None
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
    return raw if valid else None


@bp.get("/cases")
@login_required
def cases() -> str:
    """The signed-in person's cases, newest first, one tab at a time (see ``filters``)."""
    chosen = filter_named(request.args.get("filter"))
    query = my_cases(current_user)
    if chosen.condition is not None:
        query = query.where(chosen.condition())
    cursor = checked_cursor(request.args.get("cursor"))
    page = keyset_page(query, NEWEST_FIRST, cursor, page_size())
    tab = None if chosen.key == "all" else chosen.key
    return render_template(
        "desk/seller/cases.html",
        filters=FILTERS.values(),
        chosen=chosen,
        page=page,
        next_url=url_for(".cases", filter=tab, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url_for(".cases", filter=tab) if cursor else None,
    )


def awaiting_reply_panel(actor: User | None) -> Markup:
    """The start page's short list of a seller's latest cases that wait on them."""
    if actor is None or not actor.is_authenticated or actor.is_staff:
        return Markup("")
    query = (
        my_cases(actor)
        .where(Ticket.status == Status.WAITING)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(HOME_LIST_SIZE)
    )
    waiting = db.session.scalars(query).all()
    if not waiting:
        return Markup("")
    html = render_template("desk/seller/awaiting_reply.html", cases=waiting, **LABELS)
    return Markup(html)  # noqa: S704 (the output of an autoescaped template)  # nosec B704


def find_case(ref: str) -> Ticket:
    """The case with this reference, if the signed-in person may view it; else 404."""
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref.strip().upper()))
    if ticket is None:
        abort(404)
    require(current_user, "view", ticket)
    return ticket


def own_case(ref: str) -> Ticket:
    """The case for one of the seller's actions: their own, else 404."""
    ticket = find_case(ref)
    if ticket.seller_id != current_user.id:
        abort(404)
    return ticket


def allowed_actions(ticket: Ticket) -> dict[str, bool]:
    """Which of the seller's forms the page offers."""
    own = ticket.seller_id == current_user.id
    live = ticket.merged_into_id is None
    finished = ticket.status in FINISHED

    def allowed(action: str) -> bool:
        return own and may(current_user, action, ticket)

    return {
        "reply": live and allowed("reply"),
        "close": not finished and allowed("close"),
        "reopen": live and finished and allowed("reopen"),
        "rate": live and finished and ticket.rating is None and allowed("rate"),
    }


def render_case(
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    rating_form: RatingForm | None = None,
    status_error: str | None = None,
    code: int = 200,
) -> tuple[str, int]:
    messages = [m for m in ticket.messages if may(current_user, "view", m)]
    html = render_template(
        "desk/seller/case.html",
        ticket=ticket,
        ttype=ticket_types().get(ticket.type_key),
        messages=messages,
        can=allowed_actions(ticket),
        reply_form=reply_form or ReplyForm(formdata=None),
        rating_form=rating_form or RatingForm(formdata=None),
        status_error=status_error,
        max_files=current_app.config["SUPPORTDESK_MAX_ATTACHMENTS"],
        max_mb=current_app.config["SUPPORTDESK_ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
    )
    return html, code


@bp.get("/cases/<ref>")
@login_required
def case(ref: str) -> tuple[str, int]:
    return render_case(find_case(ref))


def back_to(ticket: Ticket) -> Response:
    return redirect(url_for(".case", ref=ticket.ref))


def merged_elsewhere(ticket: Ticket) -> Response | None:
    """A merged case lives on in its target: send the seller there instead of reopening it."""
    if ticket.merged_into is None:
        return None
    flash(
        _("This case was merged into %(ref)s: please continue there.", ref=ticket.merged_into.ref),
        "info",
    )
    return back_to(ticket.merged_into)


@bp.post("/cases/<ref>/reply")
@login_required
def reply(ref: str) -> Any:
    ticket = own_case(ref)
    if (elsewhere := merged_elsewhere(ticket)) is not None:
        return elsewhere
    form = ReplyForm()
    if form.validate_on_submit():
        was_finished = ticket.status in FINISHED
        try:
            tickets.reply(
                ticket, actor=current_user, body=form.body.data, attachments=form.uploads()
            )
        except FieldErrors as exc:
            show_errors(form, exc)
        except tickets.NotAllowed:
            abort(404)
        except tickets.Conflict as exc:
            flash(str(exc), "error")
            return back_to(ticket)
        else:
            if was_finished:
                flash(_("Your message was sent and your case is open again."), "success")
            else:
                flash(_("Your message was sent."), "success")
            return back_to(ticket)
    return render_case(ticket, reply_form=form, code=400)


def move(ref: str, status: str, done: str) -> Any:
    ticket = own_case(ref)
    if status == Status.OPEN and (elsewhere := merged_elsewhere(ticket)) is not None:
        return elsewhere
    try:
        tickets.transition(ticket, actor=current_user, status=status)
    except FieldErrors as exc:
        return render_case(ticket, status_error=" ".join(exc.errors.values()), code=400)
    except tickets.NotAllowed:
        abort(404)
    except tickets.Conflict as exc:
        flash(str(exc), "error")
        return back_to(ticket)
    flash(done, "success")
    return back_to(ticket)


@bp.post("/cases/<ref>/close")
@login_required
def close(ref: str) -> Any:
    return move(ref, Status.CLOSED, _("Your case is closed. Thank you!"))


@bp.post("/cases/<ref>/reopen")
@login_required
def reopen(ref: str) -> Any:
    return move(ref, Status.OPEN, _("Your case is open again."))


@bp.post("/cases/<ref>/rate")
@login_required
def rate(ref: str) -> Any:
    ticket = own_case(ref)
    form = RatingForm()
    if form.validate_on_submit():
        try:
            tickets.rate(
                ticket,
                actor=current_user,
                rating=form.rating.data,
                comment=form.comment.data or "",
            )
        except FieldErrors as exc:
            show_errors(form, exc)
        except tickets.NotAllowed:
            abort(404)
        except tickets.Conflict as exc:
            flash(str(exc), "error")
            return back_to(ticket)
        else:
            flash(_("Thank you for your rating."), "success")
            return back_to(ticket)
    return render_case(ticket, rating_form=form, code=400)
