"""The fraud team's pages: the reports by risk, a report's review page with its outcome, and the
evidence pack of a report or a guarantee claim.

Staff outside the fraud team get a 404 on each of them, as on every fraud case anywhere
(:mod:`.access`); sellers get the staff pages' 403.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from supportdesk import FieldErrors, tickets
from supportdesk.accounts import current_user
from supportdesk.case_search import normalise_ref
from supportdesk.extensions import db
from supportdesk.forms import show_errors
from supportdesk.i18n import gettext as _
from supportdesk.models import Status, Ticket
from supportdesk.pagination import BadCursor, SortKey, keyset_page
from supportdesk.permissions import require, visible_tickets
from supportdesk.staff import staff_required
from supportdesk.staff.forms import STATUS_LABELS
from supportdesk.staff.queues import due_state

from . import access, evidence
from . import case_types as ct
from .forms import OutcomeForm
from .views import bp

#: The fraud team works the riskiest reports first; among equal scores, the newest.
BY_RISK = [SortKey(Ticket.risk_score, descending=True), SortKey(Ticket.id, descending=True)]
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING)


def fraud_team_only() -> None:
    if not access.in_fraud_team(current_user):
        abort(404)


def find_case(ref: str, types: tuple[str, ...] = (ct.REPORT_TYPE,)) -> Ticket:
    """The case of one of ``types`` with this reference, if the signed-in agent may see it."""
    normal = normalise_ref(ref)
    query = sa.select(Ticket).where(Ticket.ref == normal, Ticket.type_key.in_(types))
    ticket = db.session.scalar(query) if normal else None
    if ticket is None:
        abort(404)
    require(current_user, "view", ticket)
    return ticket


@bp.get("/staff/fraud")
@staff_required
def reports() -> str:
    """Fraud reports, riskiest first, a page at a time (keyset pages: the thousandth page costs
    what the first does)."""
    fraud_team_only()
    show_all = request.args.get("status") == "all"
    query = visible_tickets(current_user).where(Ticket.type_key == ct.REPORT_TYPE)
    if not show_all:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    size = max(1, int(current_app.config["SUPPORTDESK_PAGE_SIZE"]))
    cursor = request.args.get("cursor") or None
    try:
        page = keyset_page(query, BY_RISK, cursor, size)
    except BadCursor:  # a forged or stale cursor: the first page
        cursor, page = None, keyset_page(query, BY_RISK, None, size)
    status = "all" if show_all else None
    return render_template(
        "supportdesk_fraud/staff_reports.html",
        page=page,
        show_all=show_all,
        next_url=url_for(".reports", status=status, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        first_url=url_for(".reports", status=status) if cursor else None,
        status_labels=STATUS_LABELS,
        due_state=due_state,
    )


def render_review(ticket: Ticket, form: OutcomeForm, code: int = 200) -> tuple[str, int]:
    count, linked = access.linked_reports(ticket, current_user)
    html = render_template(
        "supportdesk_fraud/review.html",
        ticket=ticket,
        form=form,
        linked=linked,
        linked_count=count,
        outcome=(ticket.fields or {}).get("outcome"),
    )
    return html, code


@bp.route("/staff/fraud/<ref>", methods=["GET", "POST"])
@staff_required
def review(ref: str) -> Response | tuple[str, int]:
    """A report's facts, score, linked reports, and the outcome the fraud team records."""
    fraud_team_only()
    ticket = find_case(ref)
    form = OutcomeForm()
    if not form.is_submitted():
        return render_review(ticket, form)
    require(current_user, "fields", ticket)
    if not form.validate_on_submit():
        return render_review(ticket, form, code=400)
    try:
        record_outcome(ticket, form.outcome.data, form.message.data or "")
    except tickets.NotAllowed:
        abort(404)
    except tickets.Conflict as exc:
        flash(str(exc), "error")
        return render_review(ticket, form, code=409)
    except FieldErrors as exc:
        show_errors(form, exc)
        return render_review(ticket, form, code=400)
    flash(_("Outcome recorded: %(outcome)s.", outcome=ct.OUTCOMES[form.outcome.data]), "success")
    return redirect(url_for(".review", ref=ticket.ref), code=303)


def record_outcome(ticket: Ticket, outcome: str, message: str) -> None:
    """Record the outcome. "More information" goes back to the seller: a public reply asking for
    it, and the case waits on them. With the other outcomes the message is an internal note."""
    if outcome == ct.MORE_INFO:
        tickets.reply(ticket, actor=current_user, body=message, status=Status.WAITING)
    tickets.update_fields(ticket, actor=current_user, fields={"outcome": outcome})
    if outcome != ct.MORE_INFO and message:
        tickets.add_note(ticket, actor=current_user, body=message)


def team_panel(ticket: Any, viewer: Any) -> Markup | None:
    """The fraud team's box beside a report in the staff workspace: the outcome, the reports
    naming the same party, and the links to the review page and the evidence pack."""
    if not isinstance(ticket, Ticket) or ticket.type_key != ct.REPORT_TYPE:
        return None
    if not access.in_fraud_team(viewer):
        return None
    count, linked = access.linked_reports(ticket, viewer)
    html = render_template(
        "supportdesk_fraud/_team_panel.html",
        ticket=ticket,
        outcome=(ticket.fields or {}).get("outcome"),
        linked=linked,
        linked_count=count,
    )
    return Markup(html)  # noqa: S704 (the output of an autoescaped template)  # nosec B704


@bp.get("/staff/fraud/<ref>/evidence.zip")
@staff_required
def evidence_pack(ref: str) -> Response:
    """The evidence pack of a fraud report or a guarantee claim, as a download."""
    ticket = find_case(ref, (ct.REPORT_TYPE, ct.CLAIM_TYPE))
    response = send_file(
        evidence.build_pack(ticket, current_user),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"evidence-{ticket.ref}.zip",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
