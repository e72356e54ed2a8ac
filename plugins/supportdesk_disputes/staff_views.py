"""Staff's pages: the decision page of a dispute, and the disputes' overview with its figures.

Who decides is the core's answer: staff who may see the case (the agents of the ``feedback``
queue, and admins); another agent gets a 404, a seller a 403. The rules on decisions (an appeal
decided by another agent, once) are the service's: its refusals are shown on the page.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from supportdesk import FieldErrors, charts, tickets
from supportdesk.accounts import current_user
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.models import Ticket
from supportdesk.permissions import visible_tickets
from supportdesk.staff import staff_required

from . import disputes, statistics
from .disputes import Refused
from .forms import DecisionForm, show_service_errors
from .models import APPEAL, FIRST, Dispute
from .policy import FULFILLED_BY_MARKETPLACE, REASONS
from .views import OUTCOME_LABELS, bp, find_dispute

PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
WAITING_SHOWN = 50


def render_decision(
    dispute: Dispute, form: DecisionForm, *, error: str | None = None, code: int = 200
) -> tuple[str, int]:
    html = render_template(
        "supportdesk_disputes/decide.html",
        dispute=dispute,
        ticket=dispute.ticket,
        form=form,
        stage=disputes.next_stage(dispute),
        refusal=disputes.decision_refusal(dispute, current_user),
        deadline=disputes.appeal_deadline(dispute),
        error=error,
    )
    return html, code


def decision_form(dispute: Dispute) -> DecisionForm:
    form = DecisionForm()
    if not form.is_submitted():
        # The seller's reason is the likely rule; a fulfilment complaint is struck through.
        form.rule.data = dispute.reason
        if dispute.reason == FULFILLED_BY_MARKETPLACE:
            form.outcome.data = "strike"
    return form


@bp.route("/staff/disputes/<ref>", methods=["GET", "POST"])
@staff_required
def decide(ref: str) -> Response | tuple[str, int]:
    dispute = find_dispute(ref)
    form = decision_form(dispute)
    if not form.is_submitted():
        return render_decision(dispute, form)
    if not form.validate_on_submit():
        return render_decision(dispute, form, code=400)
    try:
        decision = disputes.decide(
            dispute,
            agent=current_user,
            outcome=form.outcome.data,
            rule=form.rule.data,
            comment=form.comment.data or "",
        )
    except tickets.NotAllowed as exc:
        return render_decision(dispute, form, error=str(exc), code=403)
    except (Refused, tickets.Conflict) as exc:
        return render_decision(dispute, form, error=str(exc), code=409)
    except FieldErrors as exc:
        show_service_errors(form, exc)
        return render_decision(dispute, form, code=400)
    flash(
        _(
            "Decision recorded (%(outcome)s): the seller is told why by email.",
            outcome=str(OUTCOME_LABELS[decision.outcome]).lower(),
        ),
        "success",
    )
    return redirect(url_for(".decide", ref=dispute.ticket.ref), code=303)


def waiting_disputes() -> list[Dispute]:
    """Disputes this agent may decide that wait for a decision, first or on appeal, oldest
    first."""
    mine = visible_tickets(current_user).with_only_columns(Ticket.id)
    undecided = sa.or_(
        ~Dispute.decisions.any(),
        sa.and_(Dispute.appealed_at.is_not(None), ~Dispute.decisions.any(stage=APPEAL)),
    )
    query = (
        sa.select(Dispute)
        .where(Dispute.ticket_id.in_(mine), undecided)
        .order_by(Dispute.id)
        .limit(WAITING_SHOWN)
    )
    return list(db.session.scalars(query))


@bp.get("/staff/disputes")
@staff_required
def overview() -> str:
    days = request.args.get("days", DEFAULT_PERIOD, type=int)
    days = days if days in PERIODS else DEFAULT_PERIOD
    result = statistics.figures(days)
    reason_chart = charts.bar_chart(
        "disputes-by-reason",
        _("Disputes by reason"),
        _("How many disputes were filed for each reason in the period."),
        [(str(REASONS[row.reason]), row.filed) for row in result.by_reason],
        empty=_("No dispute in this period."),
    )
    outcome_chart = charts.bar_chart(
        "disputes-by-outcome",
        _("Decisions that stand"),
        _("How the disputes decided in the period ended, appeals included."),
        [(str(OUTCOME_LABELS[key]), n) for key, n in statistics.outcome_counts(result)],
        colour=charts.GREEN,
        empty=_("No decision in this period."),
    )
    return render_template(
        "supportdesk_disputes/overview.html",
        result=result,
        days=days,
        periods=PERIODS,
        reason_chart=reason_chart,
        outcome_chart=outcome_chart,
        waiting=waiting_disputes(),
        first_stage=FIRST,
    )
