"""Inbound email: a reply on a case, a new case, or a polite answer; never a mail loop.

What a mail becomes, in this order:

1. Automatic mail (Auto-Submitted other than ``no``, Precedence bulk/junk/list, a mailing list,
   an empty Return-Path, a delivery report, mailer-daemon/postmaster, the desk's own address)
   is ignored and never answered.
2. A Message-ID already seen is a duplicate: nothing is added. ``Message.source_id`` is unique
   and a mail that opened a case is that case's idempotency key, so two copies ingested at the
   same instant still add one message.
3. A mail carrying a reply token (plus address, or ``[ref:…]`` in the body) becomes a reply on
   that case only if the token's signature is valid for the case's seller AND the From address
   is that seller's. A forged token, or a valid one sent from another address, adds nothing
   anywhere: the sender gets the polite "could not add it to a case" answer. (From can be
   forged, but not together with a token that only the seller's mailbox received.)
   A reply to a merged case lands on the case it was merged into.
4. A mail without a token from an active seller opens a new case of the type
   ``SUPPORTDESK_MAIL_NEW_CASE_TYPE`` ("contact"), with the mail's subject.
5. Anybody else gets a polite answer and no case.

Answers go through the outbox, at most one per address per
``SUPPORTDESK_MAIL_ANSWER_INTERVAL_SECONDS``, so two auto-responders cannot ping-pong with us.
Each attachment is checked on its own like a web upload; a refused file does not drop the
mail: its text is kept and a note at the end of the message names the refused files and why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from .. import attachments as files
from .. import tickets
from ..accounts import find_user
from ..database import write_transaction
from ..extensions import db
from ..i18n import gettext as _
from ..models import Message, Outbox, Role, Ticket, User, utcnow
from ..outbox import enqueue_to_address
from ..ticket_types import FieldErrors
from .addresses import BadAddress, ReplyToken, checked_address, token_is_valid
from .parse import InboundMail, read_mail

ANSWER_KIND = "mail_answer"
#: Tries at adding a reply when the case changes meanwhile (an agent writing at that instant).
REPLY_ATTEMPTS = 3
#: Room kept under the service's body limit for the note on refused files.
TEXT_LIMIT = tickets.BODY_MAX - 2000


@dataclass(frozen=True)
class IngestResult:
    action: str  # replied, opened, duplicate, ignored, answered
    detail: str = ""
    ref: str | None = None

    def __str__(self) -> str:
        return " ".join(part for part in (self.action, self.ref, self.detail) if part)


def ingest(raw: bytes, *, recipient: str | None = None) -> IngestResult:
    """Handle one RFC 822 message; ``recipient`` is the envelope address, when the MTA gives it."""
    mail = read_mail(raw, envelope_recipient=recipient)
    if mail.automatic:
        return IngestResult("ignored", mail.automatic)
    if already_seen(mail.message_id):
        return IngestResult("duplicate", mail.message_id)
    user = find_user(mail.sender)
    if user is not None and not user.active:
        user = None
    if mail.tokens:
        ticket = verified_case(mail.tokens, user)
        if ticket is None:
            return answer(mail, user, "unmatched_reply", "reply token not valid for this sender")
        return _reply(ticket, user, mail)
    if user is not None and user.role == Role.SELLER:
        return _open_case(user, mail)
    reason = "unknown_sender" if user is None else "unmatched_reply"
    return answer(mail, user, reason, "no reply token, and not a seller's address")


def _idempotency_key(message_id: str) -> str:
    return "email:" + hashlib.sha256(message_id.encode()).hexdigest()[:40]


def already_seen(message_id: str) -> bool:
    """True when this mail already became a message or a case."""
    seen_message = sa.select(Message.id).where(Message.source_id == message_id)
    seen_case = sa.select(Ticket.id).where(Ticket.idempotency_key == _idempotency_key(message_id))
    return db.session.scalar(seen_message.union_all(seen_case).limit(1)) is not None


def verified_case(tokens: list[ReplyToken], sender: User | None) -> Ticket | None:
    """The case of the first token signed for its seller and sent by that seller, else None."""
    if sender is None:
        return None
    for token in tokens:
        ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == token.ref))
        if ticket is None or not token_is_valid(token, ticket.seller_id):
            continue
        if ticket.seller_id != sender.id:
            continue
        for _hop in range(10):  # follow merges to the case that lives on
            if ticket.merged_into is None:
                break
            ticket = ticket.merged_into
        return ticket
    return None


def _seller_locale(user: User) -> str:
    return user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def _accepted_files(uploads: list[files.Upload]) -> tuple[list[files.Upload], list[str]]:
    """Files that pass the web upload checks, and a line on each refused one (current locale)."""
    limit = current_app.config.get("SUPPORTDESK_MAX_ATTACHMENTS")
    accepted, refused = [], []
    for upload in uploads:
        name = files.safe_filename(upload.filename)
        try:
            files.check([upload])
        except FieldErrors as exc:
            refused.extend(exc.errors.values())
            continue
        if limit is not None and len(accepted) >= limit:
            refused.append(
                _("%(name)s: a message carries at most %(n)d files.", name=name, n=limit)
            )
            continue
        accepted.append(upload)
    return accepted, refused


def _message_text(mail: InboundMail, refused: list[str]) -> str:
    """The text to store: the mail's new text, cut to size, with the note on refused files."""
    text = mail.text
    if len(text) > TEXT_LIMIT:
        text = text[:TEXT_LIMIT].rstrip() + "\n[…]"
    if not text:
        text = _("(This email had no text.)")
    if refused:
        lines = "\n".join(f"- {line}" for line in refused)
        text += "\n\n" + _("Files not attached:") + "\n" + lines
    return text


def _reply(ticket: Ticket, seller: User, mail: InboundMail) -> IngestResult:
    with force_locale(_seller_locale(seller)):
        uploads, refused = _accepted_files(mail.attachments)
        body = _message_text(mail, refused)
    for attempt in range(1, REPLY_ATTEMPTS + 1):
        try:
            message = tickets.reply(
                ticket,
                actor=seller,
                body=body,
                attachments=uploads,
                via="email",
                source_id=mail.message_id,
            )
            break
        except (IntegrityError, tickets.Conflict):
            # Another copy of this mail won the race (or someone else wrote on the case).
            db.session.rollback()
            if already_seen(mail.message_id):
                return IngestResult("duplicate", mail.message_id, ticket.ref)
            if attempt == REPLY_ATTEMPTS:
                raise
        except (tickets.NotAllowed, FieldErrors) as exc:
            db.session.rollback()
            return answer(mail, seller, "unmatched_reply", str(exc))
    detail = f"message {message.id}, {len(refused)} file(s) refused"
    return IngestResult("replied", detail, ticket.ref)


def _open_case(seller: User, mail: InboundMail) -> IngestResult:
    type_key = current_app.config["SUPPORTDESK_MAIL_NEW_CASE_TYPE"]
    if not type_key or type_key not in current_app.extensions["supportdesk"].ticket_types:
        return answer(mail, seller, "no_new_case", "no ticket type for cases opened by email")
    with force_locale(_seller_locale(seller)):
        uploads, refused = _accepted_files(mail.attachments)
        body = _message_text(mail, refused)
        subject = mail.subject[: tickets.SUBJECT_MAX] or _("Email without a subject")
    ticket = tickets.open_ticket(
        seller=seller,
        type_key=type_key,
        subject=subject,
        body=body,
        attachments=uploads,
        idempotency_key=_idempotency_key(mail.message_id),
        via="email",
    )
    return IngestResult("opened", f"{len(refused)} file(s) refused", ticket.ref)


def answer(mail: InboundMail, user: User | None, reason: str, detail: str) -> IngestResult:
    """Queue the polite answer ``reason`` to the sender, unless one went out lately."""
    try:
        address = checked_address(mail.sender or "")
    except BadAddress:
        return IngestResult("ignored", f"{detail}; the sender address is unusable")
    locale = (user.locale if user else None) or mail.language
    since = utcnow() - timedelta(
        seconds=float(current_app.config["SUPPORTDESK_MAIL_ANSWER_INTERVAL_SECONDS"])
    )
    with write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            # Serialise answers to one address across processes (SQLite's BEGIN IMMEDIATE does).
            key = int.from_bytes(hashlib.sha256(address.encode()).digest()[:8], "big", signed=True)
            db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        recent = db.session.scalar(
            sa.select(Outbox.id)
            .where(
                Outbox.kind == ANSWER_KIND,
                Outbox.recipient == address,
                Outbox.created_at > since,
            )
            .limit(1)
        )
        if recent is None:
            enqueue_to_address(
                ANSWER_KIND,
                ticket=None,
                address=address,
                locale=locale,
                reason=reason,
                subject=mail.subject,
                in_reply_to=mail.message_id,
            )
    if recent is not None:
        return IngestResult("ignored", f"{detail}; {address} was answered lately")
    return IngestResult("answered", f"{detail}; answer queued for {address}")
