"""The contact form's pages: the form, the suggestions its script asks for, the confirmation.

Only signed-in sellers write here: a case is answered at their account's email address (staff
get 403). A visitor who is not signed in is sent to sign in and brought back, with ``?q=``
kept; what they had posted (their session ended while they wrote) is held meanwhile and filled
in again.

A message meets at most one question before it is sent:

* a case of theirs is open for the same order: add the message to it, or open a new case;
* else, when the script did not already show them while the seller typed, help articles that
  may answer: "No, send my message" sends it.

Files chosen at one step are held for the next (see :mod:`.held`). The form carries a key made
when it is shown, so that sending it twice (a double click, a reload) opens one case; and a
seller sends at most ``SUPPORTDESK_CONTACT_RATE_LIMIT`` messages through it, on the same
counter as the contact cases they file through the JSON API.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from supportdesk import FieldErrors, Suggestion, tickets
from supportdesk.accounts import current_user, login_required
from supportdesk.attachments import Upload, check
from supportdesk.extensions import csrf, db
from supportdesk.forms import show_errors
from supportdesk.i18n import LANGUAGE_NAMES
from supportdesk.i18n import gettext as _
from supportdesk.models import Ticket
from supportdesk.permissions import may, require
from supportdesk.rate_limits import retry_minutes
from supportdesk.ticket_types import ticket_types
from supportdesk.web import render_error

from . import held
from .case_type import FILING_LIMIT, TYPE_KEY
from .duplicates import (
    already_done,
    case_key,
    checked_key,
    new_key,
    open_cases_for,
    own_open_cases,
    reply_key,
)
from .forms import ORDER_ID_MAX, ContactForm
from .settings import setting, topic_label
from .suggestions import as_json, suggest

bp = Blueprint(
    "contact",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/contact/static",
)

#: What an anonymous visitor's draft keeps of each field, at most.
DRAFT_FIELDS = {
    "topic": 64,
    "order_id": ORDER_ID_MAX,
    "subject": tickets.SUBJECT_MAX,
    "body": tickets.BODY_MAX,
    "reply_language": 8,
}


@bp.app_template_global()
def contact_topic_label(key: str) -> str:
    return topic_label(key)


@bp.app_template_global()
def contact_language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


# --- rate limit ------------------------------------------------------------------------------


def counted(response: Response) -> bool:
    """What counts: a message delivered (a case opened, a message added) or a visitor's draft
    held. A form shown again, with an error or a question, does not."""
    return bool(g.get("contact_counted"))


# --- the form --------------------------------------------------------------------------------


@bp.route("/contact", methods=["GET", "POST"], endpoint="form")
@FILING_LIMIT.limit(filed=counted)
def contact() -> Response | tuple[str, int]:
    if not current_user.is_authenticated:
        if request.method == "POST":
            return keep_draft()
        return current_app.login_manager.unauthorized()
    if current_user.is_staff:
        abort(403)  # staff answer cases from their workspace; they do not file them
    if request.method == "GET":
        contact_form, page = new_form()
        return render_form(contact_form, **page)
    return submit()


# The CSRF check runs inside the view rather than before it: a visitor whose session ended
# while they wrote has no valid token any more, and their text is kept instead of lost on an
# error page. Every path that writes a case or holds a seller's files checks the token first
# (see ``session_expired``).
csrf.exempt(contact)


def new_form() -> tuple[ContactForm, dict[str, Any]]:
    """An empty form, or one filled from the help search (``?q=``) or a visitor's draft."""
    data = {"reply_language": str(get_locale()), "idempotency_key": new_key()}
    query = " ".join((request.args.get("q") or "").split())
    if query:
        data.update(subject=query[: tickets.SUBJECT_MAX], body=f"{query}\n\n")
    page: dict[str, Any] = {}
    token = request.args.get("draft")
    draft = held.load(token, owner_id=None)
    if draft is not None:
        held.drop(token, owner_id=None)
        data.update({k: v for k, v in draft.fields.items() if k in DRAFT_FIELDS and v})
        page = {"restored": True, "files_dropped": draft.fields.get("files_dropped") == "1"}
    return ContactForm(formdata=None, data=data), page


def keep_draft() -> Response:
    """A visitor who is not signed in posted the form: hold the text, and send them to sign in
    and back to the form (``new_form`` fills it in). Files are not held for a visitor."""
    fields = {name: (request.form.get(name) or "")[:size] for name, size in DRAFT_FIELDS.items()}
    if any(upload.filename for upload in request.files.getlist("attachments")):
        fields["files_dropped"] = "1"
    token = held.hold(owner_id=None, fields=fields)
    g.contact_counted = True  # per address: visitors cannot fill the disk with drafts
    return redirect(url_for(".form", draft=token), code=303)


def submit() -> Response | tuple[str, int]:
    form = ContactForm()
    key = form.idempotency_key.data = checked_key(form.idempotency_key.data)
    kept = kept_files(form)
    form.held_count = len(kept or ())
    expired = session_expired()
    if not form.validate() or expired:
        if expired:
            if "csrf_token" in form:
                form.csrf_token.errors = []
            form.form_errors.append(
                _("This form had expired. Your message is kept below: please send it again.")
            )
        # Files are taken in only with a valid token: a forged request stores nothing.
        return step_back(form, kept or [], code=400, take_new=not expired)
    if (done := already_done(key)) is not None:
        return done
    if kept is None:
        form.attachments.errors.append(
            _("The files you attached before are no longer kept: please attach them again.")
        )
        return step_back(form, [], code=400)
    files = kept + form.new_uploads()
    try:
        fields = ticket_types()[TYPE_KEY].clean_fields(form.case_fields())
        check(files)
    except FieldErrors as exc:
        show_errors(form, exc)
        return step_back(form, kept, code=400)
    choice = request.form.get("choice", "")
    if choice.startswith("add:"):
        return add_to_case(form, choice.removeprefix("add:"), files, key)
    if choice != "new":
        if same_order := open_cases_for(form.order_id.data):
            return render_step(form, files, same_order=same_order)
        if not seen_suggestions() and (articles := written_suggestions(form)):
            return render_step(form, files, suggestions=articles)
    return open_case(form, fields, files, key)


def open_case(
    form: ContactForm, fields: dict[str, Any], files: list[Upload], key: str
) -> Response | tuple[str, int]:
    try:
        ticket = tickets.open_ticket(
            seller=current_user,
            type_key=TYPE_KEY,
            subject=form.subject.data,
            body=form.body.data,
            fields=fields,
            order_id=form.order_id.data,
            attachments=files,
            idempotency_key=case_key(key),
        )
    except FieldErrors as exc:
        show_errors(form, exc)
        return render_step(form, files, code=400)
    delivered(form)
    return redirect(url_for(".sent", ref=ticket.ref), code=303)


def add_to_case(
    form: ContactForm, ref: str, files: list[Upload], key: str
) -> Response | tuple[str, int]:
    """The seller chose to add the message to their case already open for the order."""
    ticket = db.session.scalar(own_open_cases().where(Ticket.ref == ref.strip().upper()))
    same_order = open_cases_for(form.order_id.data)
    if ticket is None or not may(current_user, "reply", ticket):
        form.form_errors.append(
            _("This case cannot take your message any more. You can open a new case instead.")
        )
        return render_step(form, files, code=400, same_order=same_order)
    try:
        tickets.reply(
            ticket,
            actor=current_user,
            body=message_for_case(form),
            attachments=files,
            source_id=reply_key(key),
        )
    except IntegrityError:
        db.session.rollback()  # the same form, sent twice at once: the other request added it
        if (done := already_done(key)) is not None:
            return done
        raise
    except FieldErrors as exc:
        show_errors(form, exc)
        return render_step(form, files, code=400, same_order=same_order)
    except tickets.Conflict as exc:
        form.form_errors.append(str(exc))
        return render_step(form, files, code=409, same_order=same_order)
    delivered(form)
    flash(_("Your message was added to case %(ref)s.", ref=ticket.ref), "success")
    return redirect(url_for("desk.seller.case", ref=ticket.ref), code=303)


def delivered(form: ContactForm) -> None:
    if form.held.data:  # nothing held: the seller, expired by the commit, is not read again
        held.drop(form.held.data, owner_id=current_user.id)
    g.contact_counted = True


def message_for_case(form: ContactForm) -> str:
    """The message added to a case: with its subject, so nothing the seller typed is lost."""
    subject, body = form.subject.data, form.body.data
    return body if body.startswith(subject) else f"{subject}\n\n{body}"


# --- steps and files ---------------------------------------------------------------------------


def session_expired() -> bool:
    """The CSRF check the view is exempted from (see ``contact``): True when it fails."""
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return False
    try:
        csrf.protect()
    except CSRFError:
        return True
    return False


def kept_files(form: ContactForm) -> list[Upload] | None:
    """The files held from an earlier step, unless the seller removed them; None when they
    are no longer kept."""
    if not form.held.data:
        return []
    kept = held.load(form.held.data, owner_id=current_user.id)
    form.held_files = kept.files if kept is not None else None
    if form.drop_files.data:
        return []
    return form.held_files


def seen_suggestions() -> bool:
    """The seller saw suggestions: the script showed them, or they answered "No, send it"."""
    return "1" in request.form.getlist("seen_suggestions")


def written_suggestions(form: ContactForm) -> list[Suggestion]:
    return suggest(f"{form.subject.data} {form.body.data}", str(get_locale()))


def step_back(
    form: ContactForm, kept: list[Upload], *, code: int, take_new: bool = True, **page: Any
) -> tuple[str, int]:
    """The form again, with its errors: the files kept, and those just chosen if they pass."""
    files = list(kept)
    new = form.new_uploads() if take_new else []
    if new and not form.attachments.errors:
        try:
            check(files + new)
            files += new
        except FieldErrors as exc:
            show_errors(form, exc)
    return render_step(form, files, code=code, **page)


def render_step(
    form: ContactForm, files: Sequence[Upload], *, code: int = 200, **page: Any
) -> tuple[str, int]:
    """Hold ``files`` for the next submission (the form carries their token) and show it."""
    previous = form.held.data or None
    if previous is None or list(files) != form.held_files:
        form.held.data = held.hold(owner_id=current_user.id, files=files) if files else ""
        held.drop(previous, owner_id=current_user.id)
    form.drop_files.data = False
    return render_form(form, code=code, held_names=[upload.filename for upload in files], **page)


def render_form(form: ContactForm, *, code: int = 200, **page: Any) -> tuple[str, int]:
    html = render_template(
        "supportdesk_contact/form.html",
        form=form,
        max_files=current_app.config["SUPPORTDESK_MAX_ATTACHMENTS"],
        max_mb=current_app.config["SUPPORTDESK_ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
        order_example=setting("SUPPORTDESK_ORDER_ID_EXAMPLE"),
        **page,
    )
    return html, code


@bp.errorhandler(429)
def too_many_messages(error: HTTPException) -> Any:
    """Over the limit: the form again, with what the seller typed and when to send it."""
    if request.endpoint != "desk.contact.form" or not current_user.is_authenticated:
        return render_error(error)
    form = ContactForm()
    form.idempotency_key.data = checked_key(form.idempotency_key.data)
    minutes = retry_minutes()
    refusal = ngettext(
        "You have sent as many messages to support as we accept in a short time. Please send this one in %(num)d minute: what you wrote is kept below.",
        "You have sent as many messages to support as we accept in a short time. Please send this one in %(num)d minutes: what you wrote is kept below.",
        minutes,
    )
    # Files are not taken in at this step: over the limit, nothing new is stored.
    return step_back(form, kept_files(form) or [], code=429, take_new=False, refusal=refusal)


# --- suggestions and confirmation ------------------------------------------------------------


@bp.get("/contact/suggestions")
def suggestions() -> Response:
    """Help articles for what the seller is writing (``?q=``), as JSON, for ``contact.js``."""
    found = suggest(request.args.get("q", ""), str(get_locale()))
    return jsonify(suggestions=[as_json(suggestion) for suggestion in found])


@bp.get("/contact/sent/<ref>")
@login_required
def sent(ref: str) -> str:
    """The confirmation, with the reference: only for the seller whose case it is."""
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref.strip().upper()))
    if ticket is None or ticket.seller_id != current_user.id:
        abort(404)
    require(current_user, "view", ticket)
    help_index = "desk.helpcenter.index"
    return render_template(
        "supportdesk_contact/sent.html",
        ticket=ticket,
        help_url=url_for(help_index) if help_index in current_app.view_functions else None,
    )
