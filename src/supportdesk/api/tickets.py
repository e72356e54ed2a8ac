"""Cases through the API. Every operation goes through :mod:`supportdesk.tickets` (the one write
path) and :mod:`supportdesk.permissions`; a case the caller may not see is a 404, never a 403.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request, url_for

from .. import tickets as service
from ..accounts import current_user
from ..attachments import Upload
from ..extensions import db
from ..i18n import gettext as _
from ..models import Status, Ticket, utcnow
from ..pagination import SortKey, keyset_page
from ..permissions import may, visible_tickets
from ..rate_limits import api_filing_limit, mark_filed
from ..ticket_types import ticket_types
from . import bp, problem
from .auth import rate_limited
from .errors import not_found, validation_error
from .schemas import (
    bool_field,
    has_nul,
    json_body,
    message_json,
    raise_if,
    text_field,
    ticket_detail,
    ticket_summary,
)

MAX_LIMIT = 100
IDEMPOTENCY_KEY_MAX = 200
ORDER_ID_MAX = 100
STATUSES = [str(s) for s in Status]


def find_ticket(ref: str) -> Ticket:
    """The case ``ref`` if the caller may see it; else the same 404 as for no case at all."""
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.ref == ref))
    if ticket is None or not may(current_user, "view", ticket):
        raise not_found()
    return ticket


def parse_limit(raw: str | None) -> int | None:
    """The page size asked for (default: the desk's page size), or None when it is not valid."""
    if raw is None or raw == "":
        return min(current_app.config["SUPPORTDESK_PAGE_SIZE"], MAX_LIMIT)
    if raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_LIMIT:
        return int(raw)
    return None


@bp.get("/tickets")
@rate_limited
def list_tickets() -> Response:
    status = request.args.get("status") or None
    type_key = request.args.get("type") or None
    errors = {}
    if status is not None and status not in STATUSES:
        errors["status"] = _("Unknown status.")
    limit = parse_limit(request.args.get("limit"))
    if limit is None:
        errors["limit"] = _("The limit is a whole number from 1 to %(max)d.", max=MAX_LIMIT)
    raise_if(errors)
    query = visible_tickets(current_user)
    if status is not None:
        query = query.where(Ticket.status == status)
    if type_key is not None:
        query = query.where(Ticket.type_key == type_key)
    page = keyset_page(
        query, [SortKey(Ticket.id, descending=True)], request.args.get("cursor") or None, limit
    )
    return jsonify(
        items=[ticket_summary(t, current_user) for t in page.items], next_cursor=page.next_cursor
    )


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise validation_error(
            {
                "Idempotency-Key": _(
                    "The idempotency key is 1 to %(n)d printable characters.", n=IDEMPOTENCY_KEY_MAX
                )
            }
        )
    return key


@bp.post("/tickets")
@rate_limited
@api_filing_limit
def create_ticket() -> Response | tuple[Response, int, dict[str, str]]:
    data = json_body()
    errors: dict[str, str] = {}
    type_key = text_field(data, "type", errors)
    subject = text_field(data, "subject", errors)
    body = text_field(data, "body", errors)
    order_id = text_field(data, "order_id", errors, required=False)
    if order_id is not None and len(order_id.strip()) > ORDER_ID_MAX:
        errors["order_id"] = _("The order number is limited to %(n)d characters.", n=ORDER_ID_MAX)
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        errors["fields"] = _("The fields must be a JSON object.")
    elif has_nul(fields):
        errors["fields"] = _("This value is not valid.")
    key = _idempotency_key()
    ttype = ticket_types().get(type_key or "")
    if ttype is not None and ttype.own_intake:
        errors["type"] = _("This kind of case is opened through its own form on the desk.")
    raise_if(errors)
    started = utcnow()
    ticket = service.open_ticket(
        seller=current_user,
        type_key=type_key,
        subject=subject,
        body=body,
        fields=fields,
        order_id=order_id,
        idempotency_key=key,
        via="api",
    )
    if ticket.created_at >= started:
        mark_filed()  # a replayed Idempotency-Key returns the earlier case: it counted then
    if key is not None and (ticket.type_key != type_key or ticket.subject != subject.strip()):
        return problem(
            409,
            _("This idempotency key was already used for another case."),
            kind="idempotency-key-reused",
        )
    location = url_for("desk.api.get_ticket", ref=ticket.ref, _external=True)
    return jsonify(ticket_summary(ticket, current_user)), 201, {"Location": location}


@bp.get("/tickets/<ref>")
@rate_limited
def get_ticket(ref: str) -> Response:
    return jsonify(ticket_detail(find_ticket(ref), current_user))


@bp.post("/tickets/<ref>/messages")
@rate_limited
def add_message(ref: str) -> tuple[Response, int]:
    ticket = find_ticket(ref)
    data = json_body()
    errors: dict[str, str] = {}
    body = text_field(data, "body", errors)
    internal = bool_field(data, "internal", errors)
    status = text_field(data, "status", errors, required=False)
    if internal and not current_user.is_staff:
        errors["internal"] = _("Only staff may add internal notes.")
    if status is not None and not current_user.is_staff:
        errors["status"] = _("Only staff may set the status with a message.")
    elif status is not None and status not in STATUSES:
        errors["status"] = _("Unknown status.")
    raise_if(errors)
    if internal:
        message = service.add_note(ticket, actor=current_user, body=body)
        if status is not None:
            service.transition(ticket, actor=current_user, status=status)
    else:
        message = service.reply(ticket, actor=current_user, body=body, via="api", status=status)
    return jsonify(message_json(message, ticket)), 201


@bp.post("/tickets/<ref>/attachments")
@rate_limited
def add_attachment(ref: str) -> tuple[Response, int]:
    ticket = find_ticket(ref)
    upload = request.files.get("file")
    body = request.form.get("body") or ""
    if upload is None or not upload.filename:
        raise validation_error({"file": _("Send the file in a multipart field named file.")})
    sent = Upload(filename=upload.filename, data=upload.read())
    if not body.strip():
        body = _("Sent a file: %(name)s", name=sent.filename)
    try:
        message = service.reply(
            ticket, actor=current_user, body=body, attachments=[sent], via="api"
        )
    except service.FieldErrors as exc:
        raise validation_error(
            {("file" if k == "attachments" else k): v for k, v in exc.errors.items()}
        ) from exc
    return jsonify(message_json(message, ticket)), 201


@bp.post("/tickets/<ref>/status")
@rate_limited
def change_status(ref: str) -> Response:
    ticket = find_ticket(ref)
    data = json_body()
    errors: dict[str, str] = {}
    status = text_field(data, "status", errors)
    if status is not None and status not in STATUSES:
        errors["status"] = _("Unknown status.")
    raise_if(errors)
    service.transition(ticket, actor=current_user, status=status)
    return jsonify(ticket_summary(ticket, current_user))


@bp.post("/tickets/<ref>/claim")
@rate_limited
def claim_ticket(ref: str) -> Response:
    ticket = find_ticket(ref)
    service.claim(ticket, agent=current_user)
    return jsonify(ticket_summary(ticket, current_user))
