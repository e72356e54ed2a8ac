"""``supportdesk webhooks log``: the deliveries, newest first, with their outcome."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from supportdesk.extensions import db
from supportdesk.models import Outbox

from .delivery import CHANNEL


@click.group("webhooks")
def webhooks_group() -> None:
    """Signed webhooks."""


@webhooks_group.command("log")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@with_appcontext
def log_command(limit: int) -> None:
    """List webhook deliveries: status, attempts, event, case, URL and last error."""
    rows = db.session.scalars(
        sa.select(Outbox).where(Outbox.channel == CHANNEL).order_by(Outbox.id.desc()).limit(limit)
    )
    for row in rows:
        line = f"#{row.id} {row.status} attempts={row.attempts} {row.kind} {row.payload.get('ref')} {row.recipient}"
        click.echo(f"{line} error={row.last_error}" if row.last_error else line)
