"""Fraud report intake: guarantee claims first, then reports the guarantee does not cover."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from supportdesk import SlaPolicy, TicketType, hookimpl

__version__ = "0.1.0"


@hookimpl
def register_ticket_types(app):
    claim_hours = int(app.config.get("SUPPORTDESK_GUARANTEE_RESPONSE_HOURS", 48))
    return [
        TicketType(
            key="fraud_report",
            label=_l("Fraud report"),
            queue="fraud",
            sla=SlaPolicy(first_response=timedelta(hours=8), resolution=timedelta(hours=80)),
        ),
        TicketType(
            key="guarantee_claim",
            label=_l("Guarantee claim"),
            queue="guarantee",
            sla=SlaPolicy(
                first_response=timedelta(hours=claim_hours), resolution=timedelta(days=10)
            ),
        ),
    ]
