"""Feedback disputes: a seller asks for the removal of feedback that breaks the rules."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from supportdesk import SlaPolicy, TicketType, hookimpl

__version__ = "0.1.0"


@hookimpl
def register_ticket_types(app):
    return [
        TicketType(
            key="feedback_dispute",
            label=_l("Feedback dispute"),
            queue="feedback",
            sla=SlaPolicy(first_response=timedelta(hours=16), resolution=timedelta(hours=40)),
        )
    ]
