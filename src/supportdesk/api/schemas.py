"""What the API reads and writes: request parsing with field errors, and the JSON shapes of
cases, messages and attachments (described for clients in :mod:`.openapi`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request, url_for

from ..i18n import gettext as _
from ..models import Attachment, Message, Ticket, User
from . import problem
from .errors import ApiProblem, validation_error


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def json_body() -> dict[str, Any]:
    """The request's JSON object; a problem for anything else."""
    if not request.is_json:
        raise ApiProblem(
            problem(
                415, _("Send the request body as application/json."), kind="unsupported-media-type"
            )
        )
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiProblem(
            problem(400, _("The request body is not a JSON object."), kind="bad-request")
        )
    return data


def text_field(
    data: dict[str, Any], name: str, errors: dict[str, str], *, required: bool = True
) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = _("This field is required.")
        return None
    if not isinstance(value, str):
        errors[name] = _("This field must be text.")
        return None
    if "\x00" in value:
        errors[name] = _("This value is not valid.")
        return None
    return value


def has_nul(value: Any) -> bool:
    """True if a NUL character hides anywhere in a JSON value (PostgreSQL cannot store one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def bool_field(data: dict[str, Any], name: str, errors: dict[str, str]) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        errors[name] = _("This field must be true or false.")
        return False
    return value


def raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise validation_error(errors)


def case_page_url(ticket: Ticket, actor: User) -> str:
    """The case's page in the desk, for this actor (staff and sellers have their own)."""
    endpoint = "desk.staff.case" if actor.is_staff else "desk.seller.case"
    return url_for(endpoint, ref=ticket.ref, _external=True)


def ticket_summary(ticket: Ticket, actor: User) -> dict[str, Any]:
    return {
        "ref": ticket.ref,
        "url": case_page_url(ticket, actor),
        "api_url": url_for("desk.api.get_ticket", ref=ticket.ref, _external=True),
        "type": ticket.type_key,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "order_id": ticket.order_id,
        "fields": dict(ticket.fields or {}),
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "merged_into": ticket.merged_into.ref if ticket.merged_into_id else None,
    }


def attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": url_for("desk.files.download", attachment_id=attachment.id, _external=True),
    }


def author_role(message: Message, ticket: Ticket) -> str:
    if message.author_id is None:
        return "system"
    return "seller" if message.author_id == ticket.seller_id else "staff"


def message_json(message: Message, ticket: Ticket) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": author_role(message, ticket),
        "author_name": message.author.display_name if message.author else None,
        "body": message.body,
        "internal": message.internal,
        "via": message.via,
        "created_at": iso(message.created_at),
        "attachments": [attachment_json(a) for a in message.attachments],
    }


def ticket_detail(ticket: Ticket, actor: User) -> dict[str, Any]:
    """The case with its messages; internal notes only for staff."""
    messages = sorted(ticket.messages, key=lambda m: m.id)
    shown = [m for m in messages if actor.is_staff or not m.internal]
    detail = ticket_summary(ticket, actor)
    detail["messages"] = [message_json(m, ticket) for m in shown]
    if actor.is_staff:
        detail["assignee"] = ticket.assignee.email if ticket.assignee else None
        detail["queue"] = ticket.queue.key
    return detail
