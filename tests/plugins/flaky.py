"""A plugin whose event hooks and slots fail while ``broken`` is set: to see it paused."""

from __future__ import annotations

from supportdesk import hookimpl


class Flaky:
    """An object, not a module, so each test gets its own counters."""

    name = "flaky"

    def __init__(self, broken: bool = True) -> None:
        self.broken = broken
        self.calls: list[str] = []

    def _run(self, what: str) -> None:
        self.calls.append(what)
        if self.broken:
            raise RuntimeError(f"{what} is broken")

    @hookimpl
    def ticket_opened(self, ticket):
        self._run("ticket_opened")

    @hookimpl
    def ticket_changed(self, ticket, changes):
        self._run("ticket_changed")

    @hookimpl
    def message_added(self, ticket, message):
        self._run("message_added")

    @hookimpl
    def template_slot(self, slot, context):
        if slot == "seller_home":
            self._run("template_slot")
            return "flaky says hello"
        return None
