"""Risk signals of a fraud report, given to the core through ``score_ticket``.

Called while the case is being opened, inside its transaction: the party's row in
``fraud_parties`` is written here so that it exists exactly when the case does, whichever way
the report came in (the intake, the JSON API). The reasons are written in the desk's default
language: the case's readers are staff, whatever language the seller used.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, ngettext

from supportdesk import Score
from supportdesk.attachments import path_of
from supportdesk.extensions import db
from supportdesk.i18n import gettext as _
from supportdesk.models import Attachment, Message, Ticket

from .case_types import ACCOUNT_TAKEOVER, REPORT_TYPE, party_key
from .markers import EMAIL, LINK, PHONE, Found, email_text, find_markers
from .models import ReportedParty
from .settings import setting

log = logging.getLogger(__name__)

TAKEOVER_POINTS = 30
MONEY_LOST_POINTS = 20
#: Points for each other report naming the same party, counted up to REPEAT_COUNTED reports.
REPEAT_POINTS = 10
REPEAT_COUNTED = 3
MARKER_POINTS = {EMAIL: 10, PHONE: 10, LINK: 15}
EML = "message/rfc822"


def score_report(ticket: Ticket) -> list[Score]:
    """The signals of a new fraud report (none for other cases)."""
    if ticket.type_key != REPORT_TYPE:
        return []
    fields = ticket.fields or {}
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        signals = [
            amount_signal(fields),
            *urgency_signals(fields),
            repeat_signal(ticket, fields.get("party")),
            contact_signal(ticket, fields.get("order_ids") or []),
        ]
    return [signal for signal in signals if signal is not None]


def amount_signal(fields: dict[str, Any]) -> Score | None:
    try:
        amount = Decimal(str(fields.get("amount")))
    except InvalidOperation:
        return None
    reached = [
        (Decimal(str(threshold)), points)
        for threshold, points in setting("SUPPORTDESK_FRAUD_AMOUNT_POINTS")
        if amount >= Decimal(str(threshold))
    ]
    if not reached:
        return None
    threshold, points = max(reached)
    currency = fields.get("currency", "")
    return Score(
        int(points),
        _(
            "%(amount)s %(currency)s at stake (%(threshold)s or more)",
            amount=fields["amount"],
            currency=currency,
            threshold=threshold,
        ),
        {"signal": "amount", "amount": fields["amount"], "currency": currency},
    )


def urgency_signals(fields: dict[str, Any]) -> list[Score]:
    signals = []
    if fields.get("category") == ACCOUNT_TAKEOVER:
        signals.append(
            Score(
                TAKEOVER_POINTS,
                _("Account takeover: someone else may be using the seller's account now"),
                {"signal": "takeover"},
            )
        )
    if fields.get("money_lost"):
        signals.append(
            Score(MONEY_LOST_POINTS, _("The money is already gone"), {"signal": "money_lost"})
        )
    return signals


def repeat_signal(ticket: Ticket, party: str | None) -> Score | None:
    """Other reports naming the same party; records this report's party for the next ones."""
    key = party_key(party)
    if not key:
        return None
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ReportedParty)
        .where(ReportedParty.party_key == key, ReportedParty.ticket_id != ticket.id)
    )
    db.session.add(ReportedParty(ticket_id=ticket.id, party_key=key))
    if not others:
        return None
    return Score(
        REPEAT_POINTS * min(others, REPEAT_COUNTED),
        ngettext(
            "%(party)s is named in %(num)d other report",
            "%(party)s is named in %(num)d other reports",
            others,
            party=party,
        ),
        {"signal": "repeat", "party": party, "others": others},
    )


def evidence_emails(ticket: Ticket) -> list[tuple[str, bytes]]:
    """The saved emails among the evidence: (file name, bytes)."""
    rows = db.session.scalars(
        sa.select(Attachment).where(
            Attachment.ticket_id == ticket.id, Attachment.content_type == EML
        )
    )
    files = []
    for attachment in rows:
        try:
            files.append((attachment.filename, path_of(attachment.storage_name).read_bytes()))
        except OSError:
            log.warning("evidence file %s of %s is missing", attachment.id, ticket.ref)
    return files


def contact_signal(ticket: Ticket, order_ids: list[str]) -> Score | None:
    ours = list(setting("SUPPORTDESK_FRAUD_MARKETPLACE_DOMAINS"))
    description = db.session.scalar(
        sa.select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id).limit(1)
    )
    found, sources = Found(), []
    texts = [(_("the description"), description or "")]
    for filename, data in evidence_emails(ticket):
        try:
            texts.append((filename, email_text(data)))
        except Exception:  # a malformed email must not stop the report: it is read by staff
            log.warning("could not read the saved email %s of %s", filename, ticket.ref)
    for source, text in texts:
        markers = find_markers(text, ours=ours, ignore=order_ids)
        if markers.kinds:
            sources.append(source)
            for kind, examples in markers.examples.items():
                for example in examples:
                    found.add(kind, example)
    if not found.kinds:
        return None
    kind_names = {EMAIL: _("an email address"), PHONE: _("a phone number"), LINK: _("a link")}
    return Score(
        sum(MARKER_POINTS[kind] for kind in found.kinds),
        _(
            "Contact outside the messaging service: %(kinds)s (in %(sources)s)",
            kinds=", ".join(kind_names[kind] for kind in found.kinds),
            sources=", ".join(sources),
        ),
        {"signal": "off_platform", "found": found.examples, "sources": sources},
    )
