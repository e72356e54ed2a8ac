"""A plugin as a marketplace writes one against the extension points: slots in core pages
with priorities, a field added to another plugin's ticket type, and its own notification
channel."""

from __future__ import annotations

from markupsafe import Markup

from supportdesk import ExtraField, SlotContent, hookimpl
from supportdesk.database import write_transaction
from supportdesk.mail.render import Undeliverable
from supportdesk.outbox import enqueue_to_address


def _shop_id(value):
    if not str(value).isdigit():
        raise ValueError("a shop number has only digits")
    return int(value)


class Marketplace:
    name = "marketplace"

    def __init__(self) -> None:
        self.delivered: list[dict] = []
        self.failures_to_come = 0

    @hookimpl
    def template_slot(self, slot, context):
        if slot == "seller_home":
            return [SlotContent(Markup("<p>second</p>"), priority=50), (10, Markup("<p>first</p>"))]
        if slot == "case_sidebar":
            side = "staff" if context["staff"] else "seller"
            return Markup('<p class="mk-{}">shop of {}</p>').format(side, context["ticket"].ref)
        if slot == "staff_sidebar":
            return f"{len(context['queues'])} queues for {context['actor'].email}"
        if slot == "article_footer":
            return f"footer of {context['article'].slug}"
        return None

    @hookimpl
    def extend_ticket_type(self, ticket_type):
        if ticket_type.key == "contact":
            return [ExtraField("shop_id", "Shop number", required=True, clean=_shop_id)]
        return None

    @hookimpl
    def register_notification_channels(self, app):
        return {"sms": self.send_sms}

    def send_sms(self, row) -> None:
        if row.recipient == "nobody":
            raise Undeliverable("no such phone")
        if self.failures_to_come:
            self.failures_to_come -= 1
            raise ConnectionError("SMS gateway down")
        self.delivered.append({"to": row.recipient, "kind": row.kind, **row.payload})

    @hookimpl
    def ticket_opened(self, ticket):
        with write_transaction():
            enqueue_to_address(
                "case_opened", ticket=ticket, address="+33600000000", locale=None, channel="sms"
            )
