"""Signed webhooks: each case event becomes one outbox row per configured URL, on the
``webhook`` channel; ``supportdesk worker`` POSTs them with the outbox's retries."""

from __future__ import annotations

from typing import Any

from supportdesk import hookimpl

from . import delivery

__version__ = "0.1.0"


@hookimpl
def startup(app):
    delivery.endpoints(app)  # a bad setting stops the desk at start, not at the first case


@hookimpl
def register_notification_channels(app):
    return {delivery.CHANNEL: delivery.deliver}


@hookimpl
def register_commands(cli):
    from .commands import webhooks_group

    cli.add_command(webhooks_group)


@hookimpl
def ticket_opened(ticket):
    delivery.enqueue_event("ticket.opened", ticket)


@hookimpl
def ticket_changed(ticket, changes: dict[str, tuple[Any, Any]]):
    delivery.enqueue_event(
        "ticket.changed", ticket, changes={k: [str(a), str(b)] for k, (a, b) in changes.items()}
    )


@hookimpl
def message_added(ticket, message):
    if not message.internal:  # staff notes never leave the desk
        delivery.enqueue_event("message.added", ticket, message_id=message.id)
