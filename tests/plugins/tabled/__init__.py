"""A plugin with its own table, created only by its migration branch."""

from pathlib import Path

from supportdesk import hookimpl

name = "tabled"


@hookimpl
def register_migrations(app):
    return Path(__file__).parent / "migrations" / "versions"
