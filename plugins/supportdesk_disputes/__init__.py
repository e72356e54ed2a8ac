"""Feedback disputes: a seller asks for the removal of buyer feedback that breaks the rules.

The seller fills a form (order, date, rating, text, reason, explanation); eligibility is checked
with a reason for each refusal, and a policy assistant suggests which rules the text breaks.
Agents of the ``feedback`` queue decide (remove, strike the rating through, keep); the seller
may appeal once, to another agent. The decision reaches a marketplace plugin through
``ticket_changed``: ``changes["decision"] == (old, new)`` on the case of type
``feedback_dispute``, whose ``order_id`` names the order.

A feedback is identified by the seller and the order id alone: a marketplace takes one feedback
per order, and neither the date nor the text, which the seller types, can make a second dispute
of the same feedback.
"""

from __future__ import annotations

from pathlib import Path

from supportdesk import Link, hookimpl
from supportdesk.i18n import lazy_gettext as _l

from . import models  # noqa: F401  (the tables must be known to the metadata)

__version__ = "0.1.0"

PACKAGE = Path(__file__).parent


@hookimpl
def register_ticket_types(app):
    from .case_type import dispute_type

    return [dispute_type()]


@hookimpl
def register_blueprints(app):
    from . import staff_views  # noqa: F401  (adds the staff's routes to bp)
    from .views import bp

    return [bp]


@hookimpl
def register_migrations(app):
    return PACKAGE / "migrations" / "versions"


@hookimpl
def startup(app):
    from .settings import check

    check(app)


@hookimpl
def menu_links(actor):
    from flask import url_for

    if actor is None:
        return []
    if actor.is_staff:
        endpoint, section = "desk.disputes.overview", "staff"
    else:
        endpoint, section = "desk.disputes.mine", "seller"
    return [Link(_l("Feedback disputes"), url_for(endpoint), section, order=40, endpoint=endpoint)]
