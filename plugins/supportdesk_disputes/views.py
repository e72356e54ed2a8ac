"""The sellers' pages: their disputes, the dispute form with its policy check, a dispute's page
with the appeal, and the guidance on earning good feedback. Staff pages: :mod:`.staff_views`.

The form works without JavaScript: when the policy assistant finds likely reasons in the
feedback text, the first submit shows them and asks the seller to confirm; ``static/
policy-check.js`` shows them while the seller types (from ``/disputes/check``) so that the
first submit sends the dispute. Someone else's dispute is a 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from supportdesk import FieldErrors
from supportdesk.accounts import current_user, login_required
from supportdesk.case_search import normalise_ref
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.i18n import lazy_gettext as _l
from supportdesk.models import Ticket
from supportdesk.permissions import require
from supportdesk.tickets import NotAllowed
from supportdesk.web import render_error

from . import disputes
from .case_type import FEEDBACK_MAX
from .disputes import AlreadyDisputed, Refused
from .forms import AppealForm, DisputeForm, show_service_errors
from .models import APPEAL, FIRST, KEEP, REMOVE, STRIKE, Dispute
from .policy import REASON_HINTS, REASONS, PolicyHint, check_text, text_digest
from .settings import FILING_LIMIT, setting

bp = Blueprint(
    "disputes",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/disputes/static",
)

OUTCOME_LABELS = {REMOVE: _l("Removed"), STRIKE: _l("Rating struck through"), KEEP: _l("Kept")}
STAGE_LABELS = {FIRST: _l("Decision"), APPEAL: _l("Decision on appeal")}
LABELS = {"reason": REASONS, "outcome": OUTCOME_LABELS, "stage": STAGE_LABELS}
#: Help articles the guidance links to, when the help centre is installed.
HELP_ARTICLES = (
    ("earn-good-feedback", _l("Earn good feedback")),
    ("respond-to-negative-feedback", _l("Respond to negative feedback")),
    ("when-negative-feedback-can-be-removed", _l("When negative feedback can be removed")),
)


@bp.app_template_global()
def dispute_label(kind: str, key: str | None) -> str:
    """The translated name of a reason, an outcome or a stage (templates, core pages too)."""
    return str(LABELS[kind].get(key, key or ""))


@bp.app_template_global()
def feedback_dispute(ticket: Ticket) -> Dispute | None:
    """The dispute behind a case, for the case pages' extra-fields template."""
    return disputes.dispute_of(ticket.id)


@bp.app_template_global()
def dispute_hints(dispute: Dispute) -> list[PolicyHint]:
    return [PolicyHint.from_dict(hint) for hint in dispute.hints or ()]


def help_links() -> list[tuple[str, str]]:
    """Links to the help centre's articles on feedback, if it is installed."""
    if "desk.helpcenter.article" not in current_app.view_functions:
        return []
    return [
        (url_for("desk.helpcenter.article", slug=slug), str(title)) for slug, title in HELP_ARTICLES
    ]


def find_dispute(ref: str) -> Dispute:
    """The dispute of the case with this reference, if the signed-in person may see the case;
    else 404."""
    normal = normalise_ref(ref)
    query = sa.select(Dispute).join(Dispute.ticket).where(Ticket.ref == normal)
    dispute = db.session.scalar(query) if normal else None
    if dispute is None:
        abort(404)
    require(current_user, "view", dispute.ticket)
    return dispute


def sellers_only() -> None:
    """Disputes are filed by sellers; staff answer them from the workspace."""
    if current_user.is_staff:
        abort(403)


# --- the form -------------------------------------------------------------------------------


def filed(response: Response) -> bool:
    """Only a dispute actually filed counts against the limit (a check or an error does not)."""
    return response.status_code == 303


def render_form(
    form: DisputeForm,
    *,
    code: int = 200,
    hints: list[PolicyHint] | None = None,
    confirm: bool = False,
    first: Dispute | None = None,
    refusal: str | None = None,
) -> tuple[str, int]:
    html = render_template(
        "supportdesk_disputes/new.html",
        form=form,
        hints=hints,
        confirm=confirm,
        first=first,
        refusal=refusal,
        reason_hints=REASON_HINTS,
        window=setting("SUPPORTDESK_DISPUTE_WINDOW_DAYS"),
        highest=setting("SUPPORTDESK_DISPUTE_MAX_RATING"),
    )
    return html, code


@bp.route("/disputes/new", methods=["GET", "POST"])
@FILING_LIMIT.limit(filed=filed)
@login_required
def new() -> Response | tuple[str, int]:
    sellers_only()
    form = DisputeForm()
    if not form.validate_on_submit():
        return render_form(form, code=400 if form.is_submitted() else 200)
    try:
        checked = disputes.assess(current_user, **form.feedback())
        if checked.hints and form.checked.data != checked.digest:
            form.checked.data = checked.digest
            return render_form(form, hints=checked.hints, confirm=True)
        dispute = disputes.file_dispute(
            current_user, explanation=form.explanation.data, **form.feedback()
        )
    except AlreadyDisputed as exc:
        show_service_errors(form, exc)
        return render_form(form, code=400, first=exc.dispute)
    except FieldErrors as exc:
        show_service_errors(form, exc)
        return render_form(form, code=400, hints=check_text(form.feedback_text.data or ""))
    flash(_("Your dispute is sent. We will answer you by email and on this page."), "success")
    return redirect(url_for(".dispute", ref=dispute.ticket.ref), code=303)


@bp.errorhandler(429)
def too_many_disputes(error: HTTPException) -> Any:
    """Over the limit: the form again, with the reason and what the seller typed."""
    if request.endpoint != "desk.disputes.new" or not current_user.is_authenticated:
        return render_error(error)
    refusal = _(
        "You have sent as many feedback disputes as we accept in a short time. Please try "
        "again later: what you typed is kept below."
    )
    return render_form(DisputeForm(), code=429, refusal=refusal)


@bp.post("/disputes/check")
@login_required
def check() -> Response:
    """The policy assistant's suggestions for a feedback text (the form's script asks)."""
    data = request.get_json(silent=True) if request.is_json else request.form
    text = str((data or {}).get("text") or "")[:FEEDBACK_MAX]
    hints = [
        {"reason": hint.reason, "label": hint.label, "matches": list(hint.matches)}
        for hint in check_text(text)
    ]
    return jsonify(hints=hints, checked=text_digest(text))


# --- the seller's disputes ------------------------------------------------------------------


@bp.get("/disputes")
@login_required
def mine() -> str:
    query = (
        sa.select(Dispute)
        .where(Dispute.seller_id == current_user.id)
        .order_by(Dispute.id.desc())
        .limit(200)
    )
    return render_template(
        "supportdesk_disputes/mine.html", disputes=db.session.scalars(query).all()
    )


def render_dispute(
    dispute: Dispute, *, form: AppealForm | None = None, error: str | None = None, code: int = 200
) -> tuple[str, int]:
    own = dispute.seller_id == current_user.id
    html = render_template(
        "supportdesk_disputes/dispute.html",
        dispute=dispute,
        ticket=dispute.ticket,
        own=own,
        appeal_refusal=disputes.appeal_refusal(dispute) if own else None,
        deadline=disputes.appeal_deadline(dispute),
        form=form or AppealForm(formdata=None),
        error=error,
    )
    return html, code


@bp.get("/disputes/<ref>")
@login_required
def dispute(ref: str) -> tuple[str, int]:
    return render_dispute(find_dispute(ref))


@bp.post("/disputes/<ref>/appeal")
@login_required
def appeal(ref: str) -> Response | tuple[str, int]:
    found = find_dispute(ref)
    if found.seller_id != current_user.id:
        abort(404)
    form = AppealForm()
    if not form.validate_on_submit():
        return render_dispute(found, form=form, code=400)
    try:
        disputes.appeal(found, seller=current_user, text=form.text.data)
    except NotAllowed:
        abort(404)
    except Refused as exc:
        return render_dispute(found, form=form, error=str(exc), code=409)
    except FieldErrors as exc:
        show_service_errors(form, exc)
        return render_dispute(found, form=form, code=400)
    flash(_("Your appeal is sent. Another member of our team will review the decision."), "success")
    return redirect(url_for(".dispute", ref=found.ticket.ref), code=303)


@bp.get("/disputes/guidance")
def guidance() -> str:
    """How to earn good feedback: public, linked from the form."""
    return render_template("supportdesk_disputes/guidance.html", articles=help_links())
