"""A plugin with a typo in a hook name: it must be caught, not silently ignored."""

from supportdesk import hookimpl

name = "misspelled"


@hookimpl
def ticket_opend(ticket):
    raise AssertionError("never called")
