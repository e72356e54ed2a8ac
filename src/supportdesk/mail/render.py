"""An outbox row becomes an email, in the recipient's language.

Templates live in ``mail/templates/`` (one per kind, ``<kind>.html``, on ``_layout.html``); a
deployment may override any of them in ``instance/templates/mail/``. Each template is rendered
three times: the subject and the plain text with a non-escaping environment, the HTML with an
autoescaping one, so text a seller or agent typed is escaped in HTML and left alone in text.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup

from ..accounts import find_user, password_reset_link, reset_link_minutes
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..models import Message, Outbox, Status, Ticket, User, utcnow
from ..ticket_types import ticket_types
from .addresses import (
    BadAddress,
    checked_address,
    header_text,
    message_id,
    reply_address,
    reply_token,
    thread_id,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"
#: Kinds the sender knows, and whether a case must exist to tell of it.
KINDS = {
    "ticket_opened": True,
    "staff_reply": True,
    "status_changed": True,
    "merged": True,
    "mail_answer": False,
    "password_reset": False,
    "password_changed": False,
}
STATUS_LABELS = {
    Status.NEW: _l("new"),
    Status.OPEN: _l("open"),
    Status.WAITING: _l("waiting for your answer"),
    Status.RESOLVED: _l("resolved"),
    Status.CLOSED: _l("closed"),
}
_MESSAGE_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


class Undeliverable(Exception):
    """This row can never be sent (bad recipient, vanished case, internal note): no retry."""


def _environments() -> dict[bool, Environment]:
    """A text and an HTML environment per app, keyed by "is HTML" (built once)."""
    envs = current_app.extensions.get("supportdesk_mail_templates")
    if envs is None:
        overrides = Path(current_app.config["SUPPORTDESK_INSTANCE_PATH"]) / "templates" / "mail"
        loader = ChoiceLoader([FileSystemLoader(str(overrides)), FileSystemLoader(TEMPLATES_DIR)])
        envs = {}
        for html in (False, True):
            env = Environment(
                loader=loader,
                autoescape=html,  # noqa: S701 (the text part is plain text, never HTML)  # nosec B701
                trim_blocks=True,
                lstrip_blocks=True,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_callables(gettext, ngettext, newstyle=True)
            envs[html] = env
        current_app.extensions["supportdesk_mail_templates"] = envs
    return envs


def paragraph_writer(html: bool):
    def paragraph(text: str) -> str:
        return Markup("<p>{}</p>").format(text) if html else str(text)

    return paragraph


def quote_writer(html: bool):
    def quote(text: str) -> str:
        if html:
            style = "margin: 0 0 1em; padding-left: 1em; border-left: 3px solid #ccc; white-space: pre-wrap;"
            return Markup('<blockquote style="{}">{}</blockquote>').format(style, text)
        return str(text)

    return quote


def render_part(template: str, part: str, variables: dict[str, Any]) -> str:
    """Render ``part`` ("subject", "text" or "html") of a mail template in the current locale."""
    html = part == "html"
    rendered = (
        _environments()[html]
        .get_template(template)
        .render(part=part, paragraph=paragraph_writer(html), quote=quote_writer(html), **variables)
    )
    return re.sub(r"\n{3,}", "\n\n", rendered).strip() + "\n"


def recipient_locale(row: Outbox, user: User | None, ticket: Ticket | None = None) -> str:
    """The language the seller chose for the answers on this case (its type's
    ``reply_language_field``), in mail to that seller; else the recipient's language now (they
    may have changed it), else when queued, else the default."""
    supported = current_app.config["SUPPORTDESK_LANGUAGES"]
    asked = None
    if ticket is not None and user is not None and user.id == ticket.seller_id:
        ttype = ticket_types().get(ticket.type_key)
        if ttype is not None and ttype.reply_language_field:
            asked = (ticket.fields or {}).get(ttype.reply_language_field)
    for candidate in (asked, user.locale if user else None, row.payload.get("locale")):
        if candidate in supported:
            return candidate
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _case_message(row: Outbox) -> Message:
    message = db.session.get(Message, row.payload.get("message_id") or 0)
    if message is None:
        raise Undeliverable("the message this notification tells of no longer exists")
    if message.internal:
        raise Undeliverable("refused: an internal note is never sent to the seller")
    return message


def _variables(row: Outbox, ticket: Ticket | None, user: User | None) -> dict[str, Any]:
    """What the kind's template needs. Reads the case as it is now, not as it was queued."""
    payload = row.payload
    variables: dict[str, Any] = {
        "name": user.name if user else "",
        "site_name": current_app.config["SUPPORTDESK_SITE_NAME"] or _("Seller support"),
        "ref": ticket.ref if ticket else None,
        "subject": header_text(ticket.subject if ticket else payload.get("subject", "")),
        "token": None,
    }
    if ticket is not None and user is not None and user.id == ticket.seller_id:
        variables["token"] = str(reply_token(ticket.ref, user.id))
    if row.kind in ("ticket_opened", "staff_reply"):
        variables["message_text"] = _case_message(row).body
    if row.kind == "staff_reply":
        variables["waiting"] = ticket.status == Status.WAITING
    if row.kind == "status_changed":
        status = payload.get("status", ticket.status)
        variables["status"] = STATUS_LABELS.get(status, status)
        variables["reopenable"] = status in (Status.RESOLVED, Status.CLOSED)
    if row.kind == "merged":
        variables["source_ref"] = payload.get("source_ref", "")
    if row.kind == "mail_answer":
        variables["reason"] = payload.get("reason", "")
    if row.kind == "password_reset":
        variables["link"] = password_reset_link(user, payload)
        if variables["link"] is None:
            raise Undeliverable("not sent: the account changed since the reset was asked for")
        variables["minutes"] = reset_link_minutes()
    if row.kind == "password_changed":
        variables["link"] = payload.get("page", "")
    return variables


def _thread(row: Outbox, ticket: Ticket | None) -> str | None:
    """The case's thread id; for an answer, the Message-ID it answers (if well-formed: it came
    from outside)."""
    if ticket is not None:
        return thread_id(ticket.ref)
    answered = header_text(row.payload.get("in_reply_to") or "", limit=300)
    return answered if _MESSAGE_ID.fullmatch(answered) else None


def compose(row: Outbox) -> EmailMessage:
    """The email for ``row``; ``Undeliverable`` when it can never be sent."""
    if row.kind not in KINDS:
        raise Undeliverable(f"unknown notification kind {row.kind!r}")
    try:
        recipient = checked_address(row.recipient)
    except BadAddress as exc:
        raise Undeliverable(str(exc)) from exc
    ticket = db.session.get(Ticket, row.ticket_id) if row.ticket_id else None
    if KINDS[row.kind] and ticket is None:
        raise Undeliverable("the case this notification tells of no longer exists")
    user = find_user(recipient)
    locale = recipient_locale(row, user, ticket)
    with force_locale(locale):
        variables = {**_variables(row, ticket, user), "locale": locale}
        template = f"{row.kind}.html"
        subject = header_text(render_part(template, "subject", variables))
        text = render_part(template, "text", variables)
        html = render_part(template, "html", variables)
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = f"[{ticket.ref}] {subject}" if ticket else subject
    mail["From"] = Address(
        header_text(variables["site_name"]), addr_spec=current_app.config["SUPPORTDESK_MAIL_FROM"]
    )
    mail["To"] = recipient
    if variables["token"]:
        mail["Reply-To"] = reply_address(ticket.ref, user.id)
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = message_id(row.id, row.created_at.isoformat())
    if thread := _thread(row, ticket):
        mail["In-Reply-To"] = thread
        mail["References"] = thread
    # RFC 3834: automatic mail; auto-responders must not answer it, so no loop starts.
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    mail["Content-Language"] = locale  # after the parts: they take the Content-* headers
    return mail
