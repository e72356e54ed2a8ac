"""Seller support contact form: how a seller who found no answer reaches support."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from supportdesk import SlaPolicy, TicketType, hookimpl

__version__ = "0.1.0"


@hookimpl
def register_ticket_types(app):
    return [
        TicketType(
            key="contact",
            label=_l("Seller support"),
            queue="seller_support",
            sla=SlaPolicy(first_response=timedelta(hours=8), resolution=timedelta(hours=40)),
        )
    ]
