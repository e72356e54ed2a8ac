"""Fraud report intake: guarantee claims first, then reports the guarantee does not cover.

A seller goes through a guided intake (:mod:`.views`, :mod:`.steps`): the coverage questions
send a matter the buyer guarantee covers to a guarantee claim (type ``guarantee_claim``, queue
``guarantee``, answered within ``SUPPORTDESK_GUARANTEE_RESPONSE_HOURS`` around the clock, with a
countdown on the case pages); anything else becomes a fraud report (type ``fraud_report``, queue
``fraud``) after the seller has tried the messaging service and rated the other party (phishing
and account takeover skip that).

Reports are scored (:mod:`.scoring`) and seen only by the fraud team: the fraud queue's agents
and the admins (:mod:`.access`). The team works them by risk, records an outcome and downloads
an evidence pack (:mod:`.staff_views`, :mod:`.evidence`).
"""

from __future__ import annotations

from pathlib import Path

from supportdesk import Link, hookimpl
from supportdesk.i18n import lazy_gettext as _l

from . import models  # noqa: F401  (the tables must be known to the metadata)
from .scoring import score_report

__version__ = "0.1.0"

PACKAGE = Path(__file__).parent


@hookimpl
def register_ticket_types(app):
    from .case_types import claim_type, report_type

    return [report_type(), claim_type(app)]


@hookimpl
def register_blueprints(app):
    from . import staff_views  # noqa: F401  (adds the fraud team's routes to bp)
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

    from .access import in_fraud_team

    if actor is None:
        return []
    if not actor.is_staff:
        endpoint, section, label = "desk.fraud.start", "seller", _l("Report fraud")
    elif in_fraud_team(actor):
        endpoint, section, label = "desk.fraud.reports", "staff", _l("Fraud reports")
    else:
        return []
    return [Link(label, url_for(endpoint), section, order=45, endpoint=endpoint)]


@hookimpl
def template_slot(slot, context):
    """The fraud team's box in the staff workspace's sidebar, beside a fraud report."""
    if slot != "case_sidebar" or not context.get("staff"):
        return None
    from .staff_views import team_panel

    return team_panel(context.get("ticket"), context.get("actor"))


@hookimpl
def permission_allowed(actor, action, obj):
    from .access import permission

    return permission(actor, action, obj)


@hookimpl
def score_ticket(ticket):
    return score_report(ticket)
