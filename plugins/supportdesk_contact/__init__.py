"""Seller support contact form: how a seller who found no answer reaches support.

A signed-in seller writes to the "Seller support" queue at ``/contact``: a topic, an optional
order number, a subject, a message, files and the language of the answer. Help articles are
suggested while they type (through the ``suggest_articles`` hook, answered by the help centre
when it is installed); a case already open for the same order is offered instead of a second
one; the same form sent twice opens one case. See ``views.py``.
"""

from __future__ import annotations

from supportdesk import Link, hookimpl
from supportdesk.i18n import lazy_gettext as _l

__version__ = "0.1.0"


@hookimpl
def register_ticket_types(app):
    from .case_type import contact_type

    return [contact_type()]


@hookimpl
def register_blueprints(app):
    from .views import bp

    return [bp]


@hookimpl
def startup(app):
    from .settings import check

    check(app)


@hookimpl
def menu_links(actor):
    from flask import url_for

    if actor is not None and actor.is_staff:
        return []
    return [
        Link(
            _l("Contact support"),
            url_for("desk.contact.form"),
            order=30,
            endpoint="desk.contact.form",
        )
    ]
