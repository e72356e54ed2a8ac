"""A plugin whose event hooks and slots raise: the desk must log and go on."""

from supportdesk import hookimpl

name = "failing"


@hookimpl
def ticket_opened(ticket):
    raise RuntimeError("event hook exploded")


@hookimpl
def template_slot(slot, context):
    raise RuntimeError("slot exploded")


@hookimpl
def menu_links(actor):
    raise RuntimeError("menu exploded")
