"""The core's own hook implementations, registered like any plugin (name ``core``)."""

from __future__ import annotations

from flask import Request, url_for
from flask_babel import lazy_gettext as _l

from .hookspecs import Link, hookimpl
from .models import User


@hookimpl
def menu_links(actor: User | None, request: Request) -> list[Link]:
    links = [Link(_l("Home"), url_for("desk.core.home"), order=0, endpoint="desk.core.home")]
    if actor is None:
        return links
    if actor.is_staff:
        links.append(
            Link(
                _l("Staff"),
                url_for("desk.staff.home"),
                section="staff",
                order=0,
                endpoint="desk.staff.home",
            )
        )
    return links
