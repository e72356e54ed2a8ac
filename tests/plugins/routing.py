"""A plugin for the start-up and decision hooks the other samples leave out: a command, a search
source, demo content and the choice of an assignee."""

from __future__ import annotations

import click
import sqlalchemy as sa

from supportdesk import hookimpl
from supportdesk.extensions import db
from supportdesk.models import User
from supportdesk.search import SearchSource

name = "routing"
ASSIGNEE = "router@example.com"


@click.command("routing-hello")
def hello_command() -> None:
    """Say hello (to see that a plugin's command is added)."""
    click.echo("hello from routing")


@hookimpl
def register_commands(cli):
    cli.add_command(hello_command)


@hookimpl
def register_search_sources(app):
    return [SearchSource("routing", lambda: iter(()))]


@hookimpl
def load_demo_content(app):
    app.config["ROUTING_DEMO_LOADED"] = app.config.get("ROUTING_DEMO_LOADED", 0) + 1


@hookimpl
def assign_ticket(ticket):
    return db.session.scalar(sa.select(User).where(User.email == ASSIGNEE))
