"""The sellers' pages: the guided intake (coverage first, then a fraud report or a guarantee
claim), and the live countdown of a claim's response deadline. Staff pages: :mod:`.staff_views`.

Every step posts its own fields with Back or Next, and what was typed is kept in the seller's
draft on the server (:mod:`.drafts`) either way: going back and forth, or coming back after the
session ended, loses nothing. Next checks the step; Back does not. Evidence files are chosen on
the last step, so a draft never holds files; when the last step is refused (a file of the wrong
kind, say) the page asks for the files again.

The intake is for sellers: staff, who answer cases and do not file them, get a 404.

A seller files at most ``SUPPORTDESK_FRAUD_REPORT_RATE_LIMIT`` reports and claims together;
only a case actually filed counts, and over the limit the page says when to send it again,
the draft kept.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response
from wtforms import MultipleFileField

from supportdesk import FieldErrors, tickets
from supportdesk.accounts import current_user, login_required
from supportdesk.case_search import normalise_ref
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.models import Ticket, utcnow
from supportdesk.permissions import require
from supportdesk.rate_limits import retry_minutes
from supportdesk.web import render_error

from . import case_types as ct
from . import countdown, drafts, steps
from .forms import ClaimForm, EvidenceForm
from .models import FraudDraft
from .settings import FILING_LIMIT, setting
from .steps import CLAIM, COVERAGE, EVIDENCE, STEPS

bp = Blueprint(
    "fraud",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/fraud/static",
)

STEP_TITLES = {
    steps.COVERAGE: _l("The buyer guarantee"),
    steps.CATEGORY: _l("What happened"),
    steps.CONTACT: _l("Contact the other party"),
    steps.DETAILS: _l("The report"),
    steps.EVIDENCE: _l("Evidence and sending"),
}


def _label(labels: dict[str, Any], key: str | None) -> str:
    return str(labels.get(key, key or ""))


@bp.app_context_processor
def fraud_helpers() -> dict[str, Any]:
    """What the plugin's templates, and its parts of the core's case pages, use."""
    return {
        "fraud_category_label": lambda key: _label(ct.CATEGORIES, key),
        "fraud_outcome_label": lambda key: _label(ct.OUTCOMES, key),
        "fraud_paid_label": lambda key: _label(ct.PAID_LABELS, key),
        "fraud_claim_reason_label": lambda key: _label(ct.CLAIM_REASONS, key),
        "fraud_countdown": lambda ticket: countdown.countdown(ticket, utcnow()),
    }


def sellers_only() -> None:
    if current_user.is_staff:
        abort(404)


def typed_values(form: FlaskForm) -> dict[str, str]:
    """The step's fields as the seller typed them (files aside), to keep in the draft."""
    return {
        name: request.form.get(name, "")
        for name, field in form._fields.items()
        if name != "csrf_token" and not isinstance(field, MultipleFileField)
    }


def refuse_forgery(form: FlaskForm) -> None:
    """Nothing is kept from a post without a valid CSRF token."""
    if "csrf_token" in form.errors:
        abort(400)


def draft_data(draft: FraudDraft | None) -> steps.Data:
    return dict(draft.data or {}) if draft else {}


# --- the filing limit ------------------------------------------------------------------------


def filed(response: Response) -> bool:
    """Only a report or claim actually filed counts (a step saved or refused does not)."""
    return bool(g.get("fraud_filed"))


def not_filing() -> bool:
    """Posts that cannot file a case: the steps before the last one, and every "Back"."""
    sending = (
        request.endpoint == "desk.fraud.claim" or (request.view_args or {}).get("step") == EVIDENCE
    )
    return not sending or request.form.get("go") == "back"


filing_limited = FILING_LIMIT.limit(filed=filed, exempt_when=not_filing)


@bp.errorhandler(429)
def too_many_reports(error: HTTPException) -> Any:
    """Over the limit: the last step again, with what the seller typed and when to send it."""
    sending = request.endpoint in ("desk.fraud.step", "desk.fraud.claim")
    if not sending or not current_user.is_authenticated:
        return render_error(error)
    minutes = retry_minutes()
    flash(
        ngettext(
            "You have filed as many reports and claims as we accept in a short time. Please send this one in %(num)d minute: what you typed is kept, attach your files again then.",
            "You have filed as many reports and claims as we accept in a short time. Please send this one in %(num)d minutes: what you typed is kept, attach your files again then.",
            minutes,
        ),
        "error",
    )
    draft = drafts.current(current_user)
    if request.endpoint == "desk.fraud.claim":
        form = ClaimForm()
        if FlaskForm().validate_on_submit():  # nothing is kept from a forged post
            draft = drafts.save_step(current_user, CLAIM, typed_values(form))
        return render_claim(form, draft_data(draft), code=429)
    return render_step(EVIDENCE, EvidenceForm(), draft_data(draft), draft, code=429)


# --- the intake ------------------------------------------------------------------------------


@bp.get("/fraud/report")
@login_required
def start() -> Response:
    """Where the seller left off: the first step still to fill, or the guarantee claim."""
    sellers_only()
    data = draft_data(drafts.current(current_user))
    decision = steps.covered(data)
    if decision is not None and decision.covered:
        return redirect(url_for(".claim"))
    return redirect(url_for(".step", step=steps.first_incomplete(data)))


def unreachable(step: str, data: steps.Data) -> Response | None:
    """A redirect when ``step`` cannot be shown yet (or at all) for these answers."""
    decision = steps.covered(data)
    if step != COVERAGE and decision is not None and decision.covered:
        return redirect(url_for(".claim"))
    active = steps.active_steps(data)
    first = steps.first_incomplete(data)
    if step not in active or active.index(step) > active.index(first):
        return redirect(url_for(".step", step=first))
    return None


def render_step(
    step: str, form: FlaskForm, data: steps.Data, draft: FraudDraft | None, code: int = 200
) -> tuple[str, int]:
    html = render_template(
        f"supportdesk_fraud/step_{step}.html",
        step=step,
        form=form,
        data=data,
        draft=draft,
        steps=[(s, STEP_TITLES[s]) for s in steps.active_steps(data)],
        titles=STEP_TITLES,
        contact_skipped=steps.contact_skipped(data),
        decision=steps.coverage(data.get(COVERAGE) or {}),
        window_days=setting("SUPPORTDESK_GUARANTEE_WINDOW_DAYS"),
        claim_hours=setting("SUPPORTDESK_GUARANTEE_RESPONSE_HOURS"),
    )
    return html, code


@bp.route("/fraud/report/<step>", methods=["GET", "POST"])
@filing_limited
@login_required
def step(step: str) -> Response | tuple[str, int]:
    sellers_only()
    if step not in STEPS:
        abort(404)
    draft = drafts.current(current_user)
    data = draft_data(draft)
    if request.method == "POST":
        return post_step(step, data)
    if (elsewhere := unreachable(step, data)) is not None:
        return elsewhere
    return render_step(step, steps.make_form(step, data, data.get(step) or {}), data, draft)


def post_step(step: str, data: steps.Data) -> Response | tuple[str, int]:
    form = steps.make_form(step, data)
    valid = form.validate_on_submit()
    refuse_forgery(form)
    going_back = request.form.get("go") == "back"
    if step == EVIDENCE:
        if going_back:
            return redirect(url_for(".step", step=steps.neighbour(step, data, -1) or COVERAGE))
        return send_report(form, drafts.current(current_user))
    draft = drafts.save_step(current_user, step, typed_values(form))
    data = draft_data(draft)
    if going_back:
        return redirect(url_for(".step", step=steps.neighbour(step, data, -1) or COVERAGE))
    if not valid:
        return render_step(step, form, data, draft, code=400)
    decision = steps.coverage(data[COVERAGE]) if step == COVERAGE else None
    if decision is not None and decision.covered:
        return redirect(url_for(".claim"))
    return redirect(url_for(".step", step=steps.neighbour(step, data, +1) or EVIDENCE))


@bp.post("/fraud/report/discard")
@login_required
def discard() -> Response:
    """Start again: the draft is deleted."""
    sellers_only()
    if not FlaskForm().validate_on_submit():
        abort(400)
    drafts.discard(current_user)
    flash(_("Your draft is deleted. You can start a new report."), "info")
    return redirect(url_for(".step", step=COVERAGE))


def show_service_errors(form: FlaskForm, exc: FieldErrors, files_field: str) -> None:
    """The service's errors on the form: the files' on the file field, the others on top."""
    for name, message in exc.errors.items():
        if name == "attachments":
            form[files_field].errors = [*form[files_field].errors, message]
        elif name in form._fields and name != "csrf_token":
            form[name].errors = [*form[name].errors, message]
        else:
            form.form_errors.append(message)


def send_report(form: EvidenceForm, draft: FraudDraft | None) -> Response | tuple[str, int]:
    data = draft_data(draft)
    missing = steps.first_incomplete(data)
    decision = steps.covered(data)
    if draft is None or missing != EVIDENCE or (decision is not None and decision.covered):
        flash(_("Please complete this step first."), "error")
        return redirect(url_for(".start"))
    if form.errors:
        return render_step(EVIDENCE, form, data, draft, code=400)
    fields = steps.report_fields(data)
    try:
        ticket = tickets.open_ticket(
            seller=current_user,
            type_key=ct.REPORT_TYPE,
            subject=steps.report_subject(data),
            body=data[steps.DETAILS]["description"],
            fields=fields,
            order_id=steps.first_order_id(data),
            attachments=form.uploads(),
            idempotency_key=f"fraud-report-{draft.key}",
        )
    except FieldErrors as exc:
        show_service_errors(form, exc, "evidence")
        return render_step(EVIDENCE, form, data, draft, code=400)
    drafts.discard(current_user)
    g.fraud_filed = True
    flash(
        _(
            "Your report %(ref)s is with the fraud team. We write to you here if we need more.",
            ref=ticket.ref,
        ),
        "success",
    )
    return redirect(url_for("desk.seller.case", ref=ticket.ref))


# --- the guarantee claim ---------------------------------------------------------------------


def render_claim(form: ClaimForm, data: steps.Data, code: int = 200) -> tuple[str, int]:
    html = render_template(
        "supportdesk_fraud/claim.html",
        form=form,
        decision=steps.coverage(data.get(COVERAGE) or {}),
        order_date=(data.get(COVERAGE) or {}).get("order_date"),
        claim_hours=setting("SUPPORTDESK_GUARANTEE_RESPONSE_HOURS"),
    )
    return html, code


@bp.route("/fraud/claim", methods=["GET", "POST"])
@filing_limited
@login_required
def claim() -> Response | tuple[str, int]:
    """The guarantee claim, for a matter the coverage questions found covered."""
    sellers_only()
    draft = drafts.current(current_user)
    data = draft_data(draft)
    decision = steps.covered(data)
    if decision is None or not decision.covered:
        return redirect(url_for(".step", step=COVERAGE))
    if request.method == "GET":
        return render_claim(ClaimForm(formdata=MultiDict(drafts.step_values(draft, CLAIM))), data)
    form = ClaimForm()
    valid = form.validate_on_submit()
    refuse_forgery(form)
    draft = drafts.save_step(current_user, CLAIM, typed_values(form))
    if request.form.get("go") == "back":
        return redirect(url_for(".step", step=COVERAGE))
    if not valid:
        return render_claim(form, data, code=400)
    return send_claim(form, draft)


def send_claim(form: ClaimForm, draft: FraudDraft) -> Response | tuple[str, int]:
    data = draft_data(draft)
    try:
        ticket = tickets.open_ticket(
            seller=current_user,
            type_key=ct.CLAIM_TYPE,
            subject=_("Guarantee claim for order %(order)s", order=form.order_id.data),
            body=form.description.data,
            order_id=form.order_id.data,
            fields={
                "claim_reason": form.claim_reason.data,
                "order_date": data[COVERAGE].get("order_date"),
            },
            attachments=form.uploads(),
            idempotency_key=f"guarantee-claim-{draft.key}",
        )
    except FieldErrors as exc:
        show_service_errors(form, exc, "evidence")
        return render_claim(form, data, code=400)
    drafts.discard(current_user)
    g.fraud_filed = True
    flash(
        _(
            "Your guarantee claim %(ref)s is sent. The guarantee team answers within %(hours)d hours.",
            ref=ticket.ref,
            hours=setting("SUPPORTDESK_GUARANTEE_RESPONSE_HOURS"),
        ),
        "success",
    )
    return redirect(url_for("desk.seller.case", ref=ticket.ref))


@bp.get("/fraud/claims/<ref>/countdown")
@login_required
def claim_countdown(ref: str) -> Response:
    """The claim's deadline as the page shows it, for ``static/countdown.js``."""
    normal = normalise_ref(ref)
    query = sa.select(Ticket).where(Ticket.ref == normal, Ticket.type_key == ct.CLAIM_TYPE)
    ticket = db.session.scalar(query) if normal else None
    if ticket is None:
        abort(404)
    require(current_user, "view", ticket)
    state = countdown.countdown(ticket, utcnow())
    response = jsonify(state=state.state if state else None, text=state.text if state else "")
    response.headers["Cache-Control"] = "private, no-store"
    return response
