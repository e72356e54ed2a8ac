"""The core's own hook implementations, registered like any plugin (name ``core``)."""

from __future__ import annotations

from typing import Any

from flask import Request, url_for
from markupsafe import Markup

from .hookspecs import Link, hookimpl
from .i18n import lazy_gettext as _l
from .models import User
from .seller.views import awaiting_reply_panel


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
        links.append(
            Link(
                _l("Dashboard"),
                url_for("desk.staff.dashboard"),
                section="staff",
                order=20,
                endpoint="desk.staff.dashboard",
            )
        )
    if actor.is_admin:
        links.append(
            Link(
                _l("Plugins"),
                url_for("desk.admin.plugins"),
                section="admin",
                order=90,
                endpoint="desk.admin.plugins",
            )
        )
    if not actor.is_staff:
        links.append(
            Link(
                _l("My cases"),
                url_for("desk.seller.cases"),
                section="seller",
                order=10,
                endpoint="desk.seller.cases",
            )
        )
    return links


@hookimpl
def template_slot(slot: str, context: dict[str, Any]) -> list[Markup] | None:
    """The start page lists a signed-in seller's latest cases that wait on their reply."""
    if slot == "seller_home":
        return [awaiting_reply_panel(context.get("actor"))]
    return None


@hookimpl
def register_search_sources(app) -> list:
    from .search import SearchSource
    from .tickets import CASE_SOURCE, all_case_documents

    return [SearchSource(CASE_SOURCE, all_case_documents)]
