"""A plugin as a marketplace would write one: a ticket type, a page, a menu link, a slot and
event hooks that record what they saw."""

from __future__ import annotations

from flask import Blueprint
from markupsafe import Markup

from supportdesk import ExtraField, Link, TicketType, hookimpl

name = "sample"
seen: list[tuple[str, str]] = []

bp = Blueprint("sample", __name__, url_prefix="/sample")


@bp.get("/")
def index():
    return "sample page"


def _positive(value):
    number = int(value)
    if number <= 0:
        raise ValueError("must be positive")
    return number


@hookimpl
def register_blueprints(app):
    return [bp]


@hookimpl
def register_ticket_types(app):
    return [
        TicketType(
            key="sample_case",
            label="Sample case",
            queue="sample",
            extra_fields=[ExtraField("amount", "Amount", required=True, clean=_positive)],
        )
    ]


@hookimpl
def menu_links(actor):
    return [Link("Sample", "/sample/", order=50)]


@hookimpl
def template_slot(slot, context):
    if slot == "seller_home":
        return ["<b>escaped</b>", Markup("<i>trusted</i>")]
    return None


@hookimpl
def ticket_opened(ticket):
    seen.append(("opened", ticket.ref))


@hookimpl
def ticket_changed(ticket, changes):
    seen.append(("changed", ",".join(sorted(changes))))
